"""Practitioners' judgements fed back to the ethics board: how many of the
people shown were reviewed, how often practitioners agreed with or overrode the
band, by band, team and the audited characteristics, with person-level
intervals; overrides that differ by group, flagged by the fairness audit's rule;
and, once outcomes are known, whether overridden and confirmed cases went on to
the outcome at different rates.

Pure computation on one row per person shown (no database): the service's
loader (:func:`earlysignal.serve._service.review_feedback`) gathers the rows.
What is published obeys the project's one disclosure rule, through the same
:func:`~earlysignal.serve._aggregates.review_table` as the service's own
aggregates page, so that a group withheld there is withheld here too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from earlysignal.bootstrap import people, percentile_interval, person_draws, person_sums
from earlysignal.disclosure import ALL, OVERALL, decide
from earlysignal.fairness import bootstrap_p, holm
from earlysignal.present import count, pct
from earlysignal.serve._aggregates import review_table

__all__ = ["feedback", "outcome_table", "override_disparities", "rate_table"]

#: Per-person indicators summed by group: shown, reviewed, agreed, overrode.
_KEYS = ("people", "reviewed", "agree", "override")
#: Rates published with intervals: (name, numerator, denominator).
_RATES = (("review_rate", "reviewed", "people"), ("agree_rate", "agree", "reviewed"),
          ("override_rate", "override", "reviewed"))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _indicators(df: pd.DataFrame) -> np.ndarray:
    a = df["agreement"]
    return np.column_stack([np.ones(len(df)), a.notna(), a == "agree",
                            a == "disagree"]).astype(float)


def _group_rates(df: pd.DataFrame, column: np.ndarray, n_boot: int,
                 rng: np.random.Generator) -> tuple[list[str], np.ndarray,
                                                    np.ndarray]:
    """Point sums (groups x keys) and resampled sums (boot x groups x keys) for
    one breakdown, resampling people within each group."""
    codes, names = pd.factorize(pd.Series(column), sort=True)
    who = people(df["person_id"].to_numpy(), strata=codes)
    ind = _indicators(df)
    g, k = len(names), len(_KEYS)
    # columns key-major: key j of group i is column j * g + i
    m = sparse.hstack([person_sums(who, codes, g, ind[:, j]) for j in range(k)]
                      ).tocsr()
    point = np.asarray(m.sum(axis=0)).reshape(k, g).T
    reps = [np.asarray(d @ m) for d in person_draws(who, n_boot, rng)]
    boot = (np.vstack(reps) if reps else np.zeros((0, g * k))
            ).reshape(-1, k, g).transpose(0, 2, 1)
    return [str(x) for x in names], point, boot


def rate_table(df: pd.DataFrame, group_by: Sequence[str], *, min_cell: int = 10,
               n_boot: int = 1000, seed: int = 0,
               order: dict[str, Sequence[str]] | None = None
               ) -> tuple[pd.DataFrame, dict[str, tuple[list[str], np.ndarray]]]:
    """Review, agreement and override rates by group with 95% person-level
    intervals; withheld groups blanked.

    Parameters
    ----------
    df : DataFrame
        One row per person shown: ``person_id``, ``agreement`` (agree, partly,
        disagree or missing when not reviewed) and the ``group_by`` columns.
    group_by : sequence of str
        Breakdowns after the overall row.
    min_cell : int
        The disclosure rule's smallest number of people behind a count.
    n_boot, seed : int
        Resamples of people (within each group) and the generator's seed.
    order : mapping, optional
        The order of groups within a breakdown.

    Returns
    -------
    (DataFrame, dict)
        One row per group: people, reviewed, agree, override, each rate with
        ``_lower`` and ``_upper``, ``withheld`` and ``judgements_withheld``;
        and, per breakdown, the group names and the override-rate replicates
        that :func:`override_disparities` compares.

    Examples
    --------
    >>> df = pd.DataFrame({"person_id": [f"p{i}" for i in range(10)],
    ...     "sex": list("FFFFFMMMMM"),
    ...     "agreement": ["agree", "disagree", "partly", None, "agree",
    ...                   "agree", "partly", "disagree", "disagree", None]})
    >>> t, _ = rate_table(df, ["sex"], min_cell=1, n_boot=50)
    >>> t[["group", "people", "reviewed", "agree", "override"]].values.tolist()
    [['all', 10.0, 8.0, 3.0, 3.0], ['F', 5.0, 4.0, 2.0, 1.0], ['M', 5.0, 4.0, 1.0, 2.0]]
    >>> [round(x, 3) for x in t["override_rate"]]
    [0.375, 0.25, 0.5]
    >>> rate_table(df, ["sex"], min_cell=2, n_boot=50)[0]["override"].tolist()
    [3.0, nan, nan]
    """
    rng = np.random.default_rng(seed)
    shown = review_table(df[["person_id", *group_by]],
                         df.loc[df["agreement"].notna(), ["person_id", "agreement"]],
                         group_by, min_cell=min_cell, order=order)
    hidden = {(r["group_by"], r["group"]): (bool(r["withheld"]),
              bool(r["judgements_withheld"] or r["split_withheld"]))
              for r in shown.to_dict("records")}
    rows, reps = [], {}
    for gb in (OVERALL, *group_by):
        column = (np.full(len(df), ALL) if gb == OVERALL
                  else df[gb].astype(str).to_numpy())
        names, point, boot = _group_rates(df, column, n_boot, rng)
        reps[gb] = (names, _ratio(boot[..., 3], boot[..., 1]))
        wanted = list(dict.fromkeys([*(order or {}).get(gb, []), *names]))
        for name in (n for n in wanted if n in names):
            g = names.index(name)
            rows.append(_rate_row(gb, name, point[g], boot[:, g],
                                  hidden.get((gb, name), (True, True))))
    return pd.DataFrame(rows), reps


def _rate_row(gb: str, name: str, point: np.ndarray, boot: np.ndarray,
              hidden: tuple[bool, bool]) -> dict[str, Any]:
    row: dict[str, Any] = {"group_by": gb, "group": name,
                           **{k: float(point[i]) for i, k in enumerate(_KEYS)}}
    for rate, num, den in _RATES:
        i, j = _KEYS.index(num), _KEYS.index(den)
        lo, hi = percentile_interval(_ratio(boot[:, i], boot[:, j])[:, None])
        row[rate] = float(_ratio(point[i:i + 1], point[j:j + 1])[0])
        row[f"{rate}_lower"], row[f"{rate}_upper"] = float(lo[0]), float(hi[0])
    judged = [c for c in row if c.startswith(("agree", "override"))]
    if hidden[0]:
        judged += [c for c in row if c.startswith(("people", "reviewed",
                                                   "review_rate"))]
    if hidden[0] or hidden[1]:
        row.update({c: np.nan for c in judged})
    row["withheld"], row["judgements_withheld"] = hidden[0], hidden[0] or hidden[1]
    return row


def override_disparities(table: pd.DataFrame,
                         reps: Mapping[str, tuple[list[str], np.ndarray]],
                         tested: Sequence[str], *,
                         band: tuple[float, float] = (0.8, 1.25),
                         alpha: float = 0.05) -> pd.DataFrame:
    """Each published group's override rate against its breakdown's largest
    published group, flagged by the fairness audit's rule: the ratio outside
    ``band`` and parity rejected by a bootstrap test, Holm-adjusted over every
    comparison made here.

    Examples
    --------
    >>> t = pd.DataFrame({"group_by": ["sex"] * 2, "group": ["F", "M"],
    ...     "reviewed": [100.0, 300.0], "override_rate": [0.30, 0.10],
    ...     "judgements_withheld": [False, False]})
    >>> rng = np.random.default_rng(0)
    >>> r = np.column_stack([rng.normal(0.30, 0.04, 500), rng.normal(0.10, 0.02, 500)])
    >>> d = override_disparities(t, {"sex": (["F", "M"], r)}, ["sex"])
    >>> d[["group", "reference", "flagged"]].values.tolist(), round(float(d["ratio"][0]), 6)
    ([['F', 'M', True]], 3.0)
    """
    rows = []
    for gb in tested:
        mine = table[(table["group_by"] == gb) & ~table["judgements_withheld"]]
        if len(mine) < 2:
            continue
        names, boot = reps[gb]
        records: list[dict[Any, Any]] = mine.sort_values(
            "reviewed", ascending=False, kind="stable").to_dict("records")
        ref = records[0]
        r = names.index(str(ref["group"]))
        for g in records[1:]:
            i = names.index(str(g["group"]))
            diff_reps = boot[:, i] - boot[:, r]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio_reps = boot[:, i] / boot[:, r]
            ratio_reps[~np.isfinite(ratio_reps)] = np.nan
            diff = float(g["override_rate"] - ref["override_rate"])
            d_lo, d_hi = percentile_interval(diff_reps[:, None])
            r_lo, r_hi = percentile_interval(ratio_reps[:, None])
            ratio_now = float(_ratio(np.array([g["override_rate"]]),
                                     np.array([ref["override_rate"]]))[0])
            rows.append({"group_by": gb, "group": str(g["group"]),
                         "reference": str(ref["group"]),
                         "value": float(g["override_rate"]),
                         "reference_value": float(ref["override_rate"]),
                         "difference": diff, "difference_lower": float(d_lo[0]),
                         "difference_upper": float(d_hi[0]), "ratio": ratio_now,
                         "ratio_lower": float(r_lo[0]), "ratio_upper": float(r_hi[0]),
                         "p_value": float(bootstrap_p(np.array([diff]),
                                                      diff_reps[:, None])[0])})
    out = pd.DataFrame(rows, columns=["group_by", "group", "reference", "value",
                                      "reference_value", "difference",
                                      "difference_lower", "difference_upper", "ratio",
                                      "ratio_lower", "ratio_upper", "p_value"])
    out["p_holm"] = holm(out["p_value"].to_numpy(dtype=float))
    ratio = out["ratio"].to_numpy(dtype=float)
    out["flagged"] = (((ratio < band[0]) | (ratio > band[1]))
                      & (out["p_holm"] < alpha))
    return out


def outcome_table(df: pd.DataFrame, *, bands: Sequence[str], min_cell: int = 10,
                  n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Outcome rates among overridden (disagree) and confirmed (agree) cases,
    within each band and across bands, with the difference and 95% intervals
    from resampling people within each band and judgement.

    Only people judged agree or disagree whose outcome is known count. A row is
    withheld when the disclosure rule withholds either of its two groups.

    Examples
    --------
    >>> df = pd.DataFrame({"person_id": range(8), "band": ["High"] * 8,
    ...     "agreement": ["agree"] * 4 + ["disagree"] * 4,
    ...     "outcome": [1, 1, 1, 0, 0, 0, 0, 1]})
    >>> t = outcome_table(df, bands=["High"], min_cell=1, n_boot=50)
    >>> t[["band", "overridden", "overridden_rate", "confirmed", "confirmed_rate",
    ...    "difference"]].values.tolist()[0]
    ['all', 4.0, 0.25, 4.0, 0.75, -0.5]
    """
    d = df[df["agreement"].isin(["agree", "disagree"]) & df["outcome"].notna()]
    d = d.assign(band=d["band"].astype(str), over=d["agreement"] == "disagree",
                 outcome=d["outcome"].astype(float))
    judgement = np.where(d["over"], "overridden", "confirmed")
    cell = d["band"].to_numpy() + " | " + judgement
    hidden = _withheld_cells(d, judgement, cell, min_cell)
    codes, names = pd.factorize(pd.Series(cell), sort=True)
    rows = []
    if len(d):
        who = people(d["person_id"].to_numpy(), strata=codes)
        k = len(names)
        m = sparse.hstack([person_sums(who, codes, k),
                           person_sums(who, codes, k, d["outcome"].to_numpy())]
                          ).tocsr()
        point = np.asarray(m.sum(axis=0)).ravel()
        reps = [np.asarray(x @ m) for x in person_draws(
            who, n_boot, np.random.default_rng(seed))]
        boot = np.vstack(reps) if reps else np.zeros((0, 2 * k))
        for b in ["all", *[b for b in bands if b in set(d["band"])]]:
            pick = {j: [i for i, n in enumerate(names) if n.endswith(f"| {j}")
                        and (b == "all" or n.startswith(f"{b} |"))]
                    for j in ("overridden", "confirmed")}
            if not all(pick.values()):
                continue  # nothing to compare in this band
            keys = ({("overall", "all"), *(("judgement", j) for j in pick)}
                    if b == "all" else {("cell", f"{b} | {j}") for j in pick})
            rows.append(_outcome_row(b, pick, point, boot, k, bool(keys & hidden)))
    return pd.DataFrame(rows, columns=_OUTCOME_COLS)


_OUTCOME_COLS = ["band", "overridden", "overridden_outcomes", "overridden_rate",
                 "overridden_lower", "overridden_upper", "confirmed",
                 "confirmed_outcomes", "confirmed_rate", "confirmed_lower",
                 "confirmed_upper", "difference", "difference_lower",
                 "difference_upper", "verdict", "withheld"]


def _withheld_cells(d: pd.DataFrame, judgement: np.ndarray, cell: np.ndarray,
                    min_cell: int) -> set[tuple[str, str]]:
    """(breakdown, group) of the cells and totals the disclosure rule withholds."""
    if not len(d):
        return set()
    dec = decide({"judgement": judgement, "cell": cell},
                 person=d["person_id"].to_numpy(),
                 label=d["outcome"].to_numpy().astype(int), min_cell=min_cell)
    return set(zip(dec["group_by"], dec["group"], strict=True))


def _outcome_row(b: str, pick: dict[str, list[int]], point: np.ndarray,
                 boot: np.ndarray, k: int, hidden: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"band": b}
    rates = {}
    for j, idx in pick.items():
        n, y = point[idx].sum(), point[[i + k for i in idx]].sum()
        rb = _ratio(boot[:, [i + k for i in idx]].sum(axis=1),
                    boot[:, idx].sum(axis=1))
        lo, hi = percentile_interval(rb[:, None])
        rates[j] = rb
        row.update({j: float(n), f"{j}_outcomes": float(y),
                    f"{j}_rate": float(y / n) if n else np.nan,
                    f"{j}_lower": float(lo[0]), f"{j}_upper": float(hi[0])})
    row["difference"] = row["overridden_rate"] - row["confirmed_rate"]
    lo, hi = percentile_interval((rates["overridden"] - rates["confirmed"])[:, None])
    row["difference_lower"], row["difference_upper"] = float(lo[0]), float(hi[0])
    row["verdict"] = ("lower" if hi[0] < 0 else "higher" if lo[0] > 0
                      else "unclear" if np.isfinite(lo[0]) else "")
    if hidden:
        row.update({c: np.nan for c in _OUTCOME_COLS[1:14]})
        row["verdict"] = ""
    row["withheld"] = hidden
    return row


def _points(x: Any) -> str:
    return f"{100 * x:+.1f}".replace("-", "\u2212")


def sentences(table: pd.DataFrame, flags: pd.DataFrame, outcomes: pd.DataFrame | None,
              words: Mapping[str, Any]) -> dict[str, Any]:
    """Every sentence of the section, made from its numbers.

    ``words`` holds ``people`` (the population's plural noun), ``outcome``,
    ``label`` (a function naming a breakdown) and ``tests`` (comparisons made).
    """
    top = table[table["group_by"] == OVERALL].iloc[0]
    who = words["people"]
    if top["withheld"]:
        head = (f"Too few {who} were reviewed to publish anything from the "
                "judgements without risk of identifying someone.")
    elif top["judgements_withheld"]:
        head = (f"Of the {count(top['people'])} {who} shown, "
                f"{count(top['reviewed'])} ({pct(top['review_rate'])}) have a "
                "recorded judgement: too few to say how they were judged.")
    else:
        head = (f"Of the {count(top['people'])} {who} shown, "
                f"{count(top['reviewed'])} ({pct(top['review_rate'])}) have a "
                f"recorded judgement. Practitioners agreed with the band for "
                f"{count(top['agree'])} of them ({pct(top['agree_rate'])}) and "
                f"disagreed for {count(top['override'])} "
                f"({pct(top['override_rate'])}); the rest agreed in part.")
    flagged = flags[flags["flagged"]]
    if not len(flags):
        flag_text = ("No two groups had enough published judgements to compare "
                     "override rates.")
    elif not len(flagged):
        many = len(flags) > 1
        flag_text = (f"No difference in override rates between groups was "
                     f"flagged ({len(flags)} comparison{'s' if many else ''} with "
                     "the largest group of each characteristic"
                     + (", allowing for all of them)." if many else ")."))
    else:
        parts = [f"{f.group} {pct(f.value)} against {pct(f.reference_value)} for "
                 f"{f.reference} ({words['label'](f.group_by)}; ratio "
                 f"{f.ratio:.2f}, 95% interval {f.ratio_lower:.2f} to "
                 f"{f.ratio_upper:.2f})" for f in flagged.itertuples()]
        flag_text = (f"Override rates differ by group, flagged by the rule the "
                     f"fairness audit uses ({len(flagged)} of {len(flags)} "
                     f"comparisons): " + "; ".join(parts) + ".")
    return {"headline": head, "flags_text": flag_text,
            "outcome_sentences": _outcome_sentences(outcomes, words)}


def _outcome_sentences(outcomes: pd.DataFrame | None, words: Mapping[str, Any]
                       ) -> list[str]:
    if outcomes is None:
        return ["No later outcomes were given, so whether disagreement was right "
                "cannot be said yet (give a later run or an outcomes file).",]
    shown = outcomes[~outcomes["withheld"]]
    if not len(shown):
        return [f"Outcomes are known for too few of the {words['people']} judged "
                "agree or disagree to publish their rates."]
    out = []
    for r in shown.itertuples():
        where = "Across all bands" if r.band == "all" else f"In band {r.band}"
        verdict = {"lower": "less", "higher": "more"}.get(str(r.verdict))
        said = (f"{where}, {pct(r.overridden_rate)} of the {count(r.overridden)} "
                f"{words['people']} whose band was disagreed with went on to "
                f"{words['outcome']}, against {pct(r.confirmed_rate)} of the "
                f"{count(r.confirmed)} whose band was confirmed (difference "
                f"{_points(r.difference)} points, 95% interval "
                f"{_points(r.difference_lower)} to {_points(r.difference_upper)})")
        if verdict:
            said += (f": the overridden went on to it {verdict} often, so "
                     "disagreement picked out a real difference.")
        else:
            said += (": the interval includes no difference, so these outcomes "
                     "do not show whether disagreement was right.")
        out.append(said)
    return out


def feedback(df: pd.DataFrame, group_by: Sequence[str], tested: Sequence[str], *,
             bands: Sequence[str], words: Mapping[str, Any], min_cell: int = 10,
             n_boot: int = 1000, seed: int = 0,
             band: tuple[float, float] = (0.8, 1.25), alpha: float = 0.05
             ) -> dict[str, Any]:
    """The whole section as plain data: rates, flags, outcomes and sentences.

    ``df`` has one row per person shown (see :func:`rate_table`) and an
    ``outcome`` column (missing where not known) or none when no outcomes were
    given. ``group_by`` starts with ``band``; ``tested`` are the breakdowns whose
    override rates are compared (never the band: bands differ by design).
    """
    table, reps = rate_table(df, group_by, min_cell=min_cell, n_boot=n_boot,
                             seed=seed, order={"band": list(bands)})
    flags = override_disparities(table, reps, tested, band=band, alpha=alpha)
    outcomes = (outcome_table(df, bands=bands, min_cell=min_cell, n_boot=n_boot,
                              seed=seed) if "outcome" in df else None)
    return {"rates": table.to_dict("records"), "flags": flags.to_dict("records"),
            "outcomes": None if outcomes is None else outcomes.to_dict("records"),
            "group_by": [OVERALL, *group_by], "min_cell": min_cell,
            "n_boot": n_boot, "band": list(band), "alpha": alpha,
            "known_outcomes": (int(df["outcome"].notna().sum())
                               if "outcome" in df else 0),
            **sentences(table, flags, outcomes, {**words, "tests": len(flags)})}
