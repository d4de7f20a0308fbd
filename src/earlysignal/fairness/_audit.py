"""The pure computation of an audit: validated arrays in, DataFrames out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from earlysignal.bootstrap import people, percentile_interval
from earlysignal.disclosure import DEFAULT_RULE, decide
from earlysignal.errors import EarlysignalError
from earlysignal.fairness._disparity import (
    DISPARITY_COLUMNS,
    FLAG_METRICS,
    disparity_frame,
    flag,
    holm,
)
from earlysignal.fairness._inputs import AuditInput, capacity_rule, parse_top
from earlysignal.fairness._metrics import (
    METRICS,
    PROBABILITY_ONLY,
    TableCells,
    build_cells,
    estimate,
    exact_auc,
    score_classes,
)
from earlysignal.fairness._mitigation import (
    MITIGATION_COLUMNS,
    equal_selection_rate,
    equal_tpr,
    policy_rows,
    threshold_optimizer,
    top_weights,
)
from earlysignal.fairness._operating_point import (
    OperatingPoint,
    at_capacity,
    at_threshold,
    selection_weights,
)

OVERALL = "overall"
ALL = "all"

GROUP_COLUMNS = [
    "group_by",
    "group",
    "metric",
    "value",
    "lower",
    "upper",
    "suppressed",
    "flagged",
]
OVER_TIME_COLUMNS = [
    "period",
    "group_by",
    "group",
    "reference",
    "metric",
    "value",
    "lower",
    "upper",
    "difference",
    "difference_lower",
    "difference_upper",
    "suppressed",
]
DRIFT_COLUMNS = [
    "group_by",
    "group",
    "metric",
    "periods",
    "q",
    "p_value",
    "p_holm",
    "drifting",
]
SUPPRESSED_COLUMNS = ["period", "group_by", "group", "kind", "reason"]

#: A progress callback: step in words, work done, work in all.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Settings:
    """Everything about an audit other than the data."""

    threshold: float | None = None
    top: int | str | None = None
    reference: str | Mapping[str, str] | None = None
    min_cell: int = 10
    band: tuple[float, float] = (0.8, 1.25)
    n_boot: int = 1000
    seed: int = 0
    alpha: float = 0.05
    rule: tuple[str, ...] = DEFAULT_RULE
    mitigation: bool = True
    constraints: str = "equalized_odds"
    objective: str = "balanced_accuracy_score"
    max_bins: int = 512


@dataclass
class Table:
    """One group_by in one scope (all periods pooled, or one period)."""

    group_by: str
    period: str
    names: list[str]
    codes: np.ndarray  # group code per row of the scope
    rows: np.ndarray  # row indices of the scope
    point: np.ndarray
    reps: np.ndarray
    suppressed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


@dataclass
class Result:
    group_metrics: pd.DataFrame
    disparities: pd.DataFrame
    suppressed: pd.DataFrame
    mitigation: pd.DataFrame
    over_time: pd.DataFrame
    drift: pd.DataFrame
    impossibility: list[dict[str, object]]
    operating_points: dict[str, OperatingPoint]
    notes: list[str]
    settings: Settings
    n_rows: int
    source: str


def _weights(
    inp: AuditInput, st: Settings
) -> tuple[np.ndarray, dict[str, OperatingPoint]]:
    s = inp.score
    scopes = {ALL: np.arange(len(s))}
    if inp.period is not None and st.top is not None:
        # A capacity is a team's caseload per period, so it applies within each period.
        scopes = {p: np.flatnonzero(inp.period == p) for p in sorted(set(inp.period))}
    w = np.zeros(len(s))
    ops = {}
    for name, rows in scopes.items():
        if st.threshold is not None:
            op = at_threshold(s[rows], float(st.threshold))
        else:
            assert st.top is not None
            op = at_capacity(s[rows], parse_top(st.top, len(rows), "top"))
        ops[name] = op
        w[rows] = selection_weights(s[rows], op)
    return w, ops


def _person_codes(inp: AuditInput) -> np.ndarray:
    if inp.person is None:
        return np.arange(len(inp.score))
    return pd.factorize(pd.Series(inp.person), sort=False)[0]


def _capacity_scope(inp: AuditInput, st: Settings) -> np.ndarray:
    # A capacity applies within each period (see _weights), so it is re-chosen there.
    if inp.period is not None and st.top is not None:
        return pd.factorize(pd.Series(inp.period), sort=True)[0]
    return np.zeros(len(inp.score), dtype=np.int64)


def _resamples(progress: Progress | None, group_by: str, i: int, n_columns: int,
               n_boot: int) -> Callable[[int, int], None] | None:
    """Resamples of characteristic ``i``, told as a share of every characteristic's."""
    if progress is None:
        return None
    whom = "all people" if group_by == OVERALL else f"people by {group_by}"
    return lambda done, _: progress(f"resamples of {whom}: {done:,} of {n_boot:,}",
                                    i * n_boot + done, n_columns * n_boot)


def _tables(inp: AuditInput, w: np.ndarray, st: Settings,
            progress: Progress | None = None) -> list[Table]:
    classes = score_classes(inp.score, st.max_bins)
    scopes = [("", np.arange(len(inp.score)))]
    if inp.period is not None:
        scopes += [
            (p, np.flatnonzero(inp.period == p)) for p in sorted(set(inp.period))
        ]
    cap = capacity_rule(st.top) if st.top is not None else None
    scope = _capacity_scope(inp, st)
    ids = _person_codes(inp)
    columns = {OVERALL: np.full(len(inp.score), ALL), **inp.groups}
    built: dict[tuple[int, int], Table] = {}
    for i, (group_by, values) in enumerate(columns.items()):
        # One draw of people per characteristic, stratified by it, shared by the
        # pooled table and every period, so that periods' replicates are joint.
        who = people(ids, values)
        specs, meta = [], []
        for period, rows in scopes:
            codes, uniques = pd.factorize(pd.Series(values[rows]), sort=True)
            names = [str(u) for u in uniques]
            cells = build_cells(
                codes, inp.score, inp.label, w, classes, rows, scope[rows]
            )
            auc = exact_auc(codes, inp.score[rows], inp.label[rows], len(names))
            specs.append(TableCells(cells, len(names), auc, rows))
            meta.append((period, names, codes, rows))
        rng = np.random.default_rng([st.seed, i])
        for j, (est, (period, names, codes, rows)) in enumerate(
            zip(estimate(specs, who, st.n_boot, rng, cap,
                         _resamples(progress, group_by, i, len(columns), st.n_boot)),
                meta, strict=True)
        ):
            built[(j, i)] = Table(
                group_by, period, names, codes, rows, est.point, est.replicates
            )
    # period-major, as the suppression and the reports expect
    return [built[k] for k in sorted(built)]


def _suppress(inp: AuditInput, tables: list[Table], w: np.ndarray,
              st: Settings) -> pd.DataFrame:
    """The one disclosure rule (earlysignal.disclosure), counted by people."""
    person = inp.person if inp.person is not None else np.arange(len(inp.score))
    decisions = decide(inp.groups, person=person, label=inp.label,
                       period=inp.period, selected=w, min_cell=st.min_cell,
                       rule=st.rule)
    hidden = set(zip(decisions["period"], decisions["group_by"], decisions["group"],
                     strict=True))
    for t in tables:
        t.suppressed = np.array([(t.period, t.group_by, g) in hidden for g in t.names])
    return decisions


def _long(t: Table) -> pd.DataFrame:
    lo, hi = percentile_interval(np.moveaxis(t.reps, 1, 0))  # (groups, metrics)
    g_count, m_count = t.point.shape
    frame = pd.DataFrame(
        {
            "group_by": t.group_by,
            "group": np.repeat(t.names, m_count),
            "metric": np.tile(METRICS, g_count),
            "value": t.point.ravel(),
            "lower": lo.ravel(),
            "upper": hi.ravel(),
            "suppressed": np.repeat(t.suppressed, m_count),
        }
    )
    frame.loc[frame["suppressed"], ["value", "lower", "upper"]] = np.nan
    return frame


def _reference(t: Table, reference: str | Mapping[str, str] | None) -> int:
    wanted = reference.get(t.group_by) if isinstance(reference, Mapping) else reference
    if wanted is not None and wanted in t.names:
        return t.names.index(wanted)
    sizes = t.point[:, METRICS.index("size")]
    visible = np.where(t.suppressed, -1.0, sizes)
    return int(np.argmax(visible if visible.max() >= 0 else sizes))


def _check_reference(
    tables: list[Table], reference: str | Mapping[str, str] | None
) -> None:
    pooled = {
        t.group_by: t.names for t in tables if not t.period and t.group_by != OVERALL
    }
    if reference is None:
        return
    if isinstance(reference, Mapping):
        for group_by, group in reference.items():
            if group_by not in pooled:
                raise EarlysignalError(
                    f"reference names group_by '{group_by}', which is not audited "
                    f"(audited: {', '.join(pooled)})"
                )
            if group not in pooled[group_by]:
                raise EarlysignalError(
                    f"reference group '{group}' is not a value of '{group_by}' "
                    f"(values found: {', '.join(pooled[group_by])})"
                )
    elif not any(reference in names for names in pooled.values()):
        found = "; ".join(f"{k}: {', '.join(v)}" for k, v in pooled.items())
        raise EarlysignalError(
            f"reference group '{reference}' is not a value of any group column "
            f"(values found: {found}). Fix: name an existing group, or pass "
            "reference={'ethnicity': 'White'}"
        )


def _disparities(
    tables: list[Table], st: Settings
) -> tuple[pd.DataFrame, dict[tuple[str, str], pd.DataFrame]]:
    pooled, per_period = [], {}
    for t in tables:
        if t.group_by == OVERALL:
            continue
        ref = _reference(t, st.reference)
        frame = disparity_frame(t.group_by, t.names, t.point, t.reps, ref, t.suppressed)
        if t.period:
            per_period[(t.period, t.group_by)] = frame
        else:
            pooled.append(frame)
    frame = (
        pd.concat(pooled, ignore_index=True)
        if pooled
        else pd.DataFrame(columns=DISPARITY_COLUMNS[:14])
    )
    return flag(frame, st.band, st.alpha), per_period


def _over_time(
    tables: list[Table], per_period: dict[tuple[str, str], pd.DataFrame]
) -> pd.DataFrame:
    parts = []
    for t in tables:
        if not t.period:
            continue
        long = _long(t)
        long.insert(0, "period", t.period)
        disp = per_period.get((t.period, t.group_by))
        if disp is not None and len(disp):
            d = disp.set_index(["group", "metric"])[
                ["reference", "difference", "difference_lower", "difference_upper"]
            ]
            long = long.join(d, on=["group", "metric"])
            hidden = long["suppressed"] | long["group"].map(
                dict(zip(disp["group"], disp["suppressed"], strict=False))
            ).fillna(False).astype(bool)
            long.loc[hidden, ["difference", "difference_lower", "difference_upper"]] = (
                np.nan
            )
        parts.append(long)
    if not parts:
        return pd.DataFrame(columns=OVER_TIME_COLUMNS)
    return pd.concat(parts, ignore_index=True).reindex(columns=OVER_TIME_COLUMNS)


def equal_across_periods(d: np.ndarray, reps: np.ndarray) -> tuple[float, int]:
    """Wald statistic and degrees of freedom for 'every period's value is the same'.

    ``d`` holds one difference per period, ``reps`` their joint bootstrap replicates
    (resamples x periods). The same people recur across periods, so the periods'
    estimates are correlated; the test uses the full covariance of the replicates.
    With a diagonal covariance it is Cochran's Q.

    Examples
    --------
    >>> reps = np.zeros((6, 3))   # uncorrelated periods: a diagonal covariance
    >>> reps[0:2, 0], reps[2:4, 1], reps[4:6, 2] = [.1, -.1], [.2, -.2], [.1, -.1]
    >>> d = np.array([0.0, 0.2, 0.1])
    >>> stat, df = equal_across_periods(d, reps)
    >>> w = 1 / reps.var(axis=0, ddof=1)   # Cochran's Q with the same variances
    >>> q = float(np.sum(w * (d - np.sum(w * d) / w.sum()) ** 2))
    >>> df, round(stat, 9) == round(q, 9)
    (2, True)
    """
    k = len(d)
    contrast = np.eye(k)[1:] - np.eye(k)[:-1]
    cov = np.atleast_2d(np.cov(reps, rowvar=False))
    v = contrast @ cov @ contrast.T
    x = contrast @ d
    return float(x @ np.linalg.pinv(v) @ x), int(np.linalg.matrix_rank(v))


def _drift(tables: list[Table], st: Settings) -> pd.DataFrame:
    """A Wald test across periods of each disparity (difference vs the reference)."""
    by_key: dict[str, list[Table]] = {}
    for t in tables:
        if t.period and t.group_by != OVERALL:
            by_key.setdefault(t.group_by, []).append(t)
    pooled = {t.group_by: t for t in tables if not t.period}
    out = []
    for group_by, ts in by_key.items():
        ref_name = pooled[group_by].names[_reference(pooled[group_by], st.reference)]
        for metric in FLAG_METRICS:
            j = METRICS.index(metric)
            for name in pooled[group_by].names:
                if name == ref_name:
                    continue
                d, reps = [], []
                for t in ts:
                    if name not in t.names or ref_name not in t.names:
                        continue
                    g, r = t.names.index(name), t.names.index(ref_name)
                    if t.suppressed[g] or t.suppressed[r]:
                        continue
                    rep = t.reps[g, :, j] - t.reps[r, :, j]
                    diff = t.point[g, j] - t.point[r, j]
                    if np.isfinite(diff) and np.isfinite(rep).sum() > 1:
                        d.append(diff)
                        reps.append(rep)
                if len(d) < 2:
                    continue
                joint = np.stack(reps, axis=1)
                # resamples where some period's difference is undefined are dropped
                joint = joint[np.isfinite(joint).all(axis=1)]
                if len(joint) <= len(d):
                    continue
                q, df = equal_across_periods(np.array(d), joint)
                if df < 1:
                    continue
                p = float(stats.chi2.sf(q, df))
                out.append([group_by, name, metric, len(d), q, p])
    frame = pd.DataFrame(out, columns=DRIFT_COLUMNS[:6])
    # The same multiple-comparison control as the flags, over all drift tests.
    frame["p_holm"] = holm(frame["p_value"].to_numpy(dtype=float))
    frame["drifting"] = frame["p_holm"] < st.alpha
    return frame


def _flag_list(d: pd.DataFrame, metrics: tuple[str, ...]) -> list[dict[str, object]]:
    hit = d[d["metric"].isin(metrics) & d["flagged"].astype(bool)]
    keys = ["group", "reference", "metric"]
    nums = ["value", "reference_value", "ratio"]
    return [
        {**{k: str(r[k]) for k in keys}, **{k: float(r[k]) for k in nums}}
        for r in hit.to_dict("records")
    ]


def _said(flags: list[dict[str, object]]) -> str:
    names = {"oe_ratio": "observed/expected", "fpr": "FPR", "fnr": "FNR"}
    return "; ".join(
        f"{names[str(f['metric'])]} {float(str(f['value'])):.3g} for {f['group']} "
        f"against {float(str(f['reference_value'])):.3g} for {f['reference']} "
        f"(ratio {float(str(f['ratio'])):.2f})"
        for f in flags
    )


def _verdict(
    cal: list[dict[str, object]],
    err: list[dict[str, object]],
    differ: bool,
    probabilities: bool,
) -> tuple[str, str]:
    """Which criterion the flags say the model is closer to, and the sentence."""
    if not probabilities:
        return "unknown", (
            "Scores are not probabilities, so calibration within groups is not assessed."
        )
    if cal and err:
        return "neither", (
            "The model meets neither criterion: both calibration and error-rate "
            "disparities are flagged."
        )
    if cal:
        return "equal error rates", (
            "The model is closer to equal error rates than to calibration within "
            "groups: calibration disparities are flagged and FPR/FNR disparities are not."
        )
    if err:
        return "calibration within groups", (
            "The model is closer to calibration within groups than to equal error "
            "rates: FPR/FNR disparities are flagged and calibration disparities are not."
        )
    if differ:
        return "undetermined", (
            "Neither calibration nor FPR/FNR disparities are flagged; with these base "
            "rates both cannot hold exactly, so at least one difference is smaller "
            "than this audit can detect."
        )
    return "both", (
        "Neither calibration nor FPR/FNR disparities are flagged, as expected when "
        "both hold together."
    )


def _impossibility(
    tables: list[Table], disparities: pd.DataFrame, st: Settings
) -> list[dict[str, object]]:
    """Per characteristic: do base rates differ, and what the flags say of the trade-off.

    Every sentence is built from the group estimates and the flags of this audit, so
    it changes when they do.
    """
    notes = []
    cal_j = METRICS.index("calibration_gap")
    for t in tables:
        if t.period or t.group_by == OVERALL:
            continue
        keep = ~t.suppressed
        if keep.sum() < 2:
            continue
        p = t.point[keep]
        base = p[:, METRICS.index("base_rate")]
        d = disparities[disparities["group_by"] == t.group_by]
        base_flag = bool(d[d["metric"] == "base_rate"]["flagged"].any())
        ratio = np.nanmax(base) / np.nanmin(base) if np.nanmin(base) > 0 else np.inf
        differ = bool(base_flag or ratio > st.band[1])
        probabilities = bool(np.isfinite(p[:, cal_j]).any())
        cal_gap = float(np.nanmax(np.abs(p[:, cal_j]))) if probabilities else np.nan
        fpr, fnr = p[:, METRICS.index("fpr")], p[:, METRICS.index("fnr")]
        err_gap = float(
            np.nanmax(
                [np.nanmax(fpr) - np.nanmin(fpr), np.nanmax(fnr) - np.nanmin(fnr)]
            )
        )
        cal = _flag_list(d, ("oe_ratio",))
        err = _flag_list(d, ("fpr", "fnr"))
        closer, verdict = _verdict(cal, err, differ, probabilities)
        parts = [
            f"Base rates {'differ' if differ else 'are similar'} across {t.group_by} "
            f"groups (from {np.nanmin(base):.1%} to {np.nanmax(base):.1%})"
            + (" and the difference is flagged." if base_flag else ".")
        ]
        if differ:
            parts.append(
                "When base rates differ, no imperfect model can be both calibrated "
                "within every group and have equal error rates (FPR and FNR) in every "
                "group: improving one worsens the other, so which to prefer is a "
                "choice for people to make."
            )
        if cal:
            parts.append(f"Calibration disparities flagged: {_said(cal)}.")
        if err:
            parts.append(f"Error-rate disparities flagged: {_said(err)}.")
        parts.append(verdict)
        if probabilities:
            parts.append(
                f"Largest calibration gap (mean score minus observed rate) "
                f"{cal_gap:.3f}; largest difference in FPR or FNR between groups "
                f"{err_gap:.3f}."
            )
        notes.append(
            {
                "group_by": t.group_by,
                "base_rates_differ": differ,
                "max_calibration_gap": cal_gap,
                "max_error_rate_gap": err_gap,
                "calibration_flags": cal,
                "error_rate_flags": err,
                "closer_to": closer,
                "note": " ".join(parts),
            }
        )
    return notes


def _split(inp: AuditInput, st: Settings) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows to fit ThresholdOptimizer on, rows to judge it on, and how they were split."""
    periods = sorted(set(inp.period)) if inp.period is not None else []
    if inp.period is not None and len(periods) >= 2:
        early = periods[: (len(periods) + 1) // 2]
        fit = np.isin(inp.period, early)
        late = periods[len(early)]
        how = (
            f"fitted on the earlier periods ({early[0]} to {early[-1]}) and judged on "
            f"the later ones ({late} to {periods[-1]})"
        )
        return np.flatnonzero(fit), np.flatnonzero(~fit), how
    ids = _person_codes(inp)
    n = int(ids.max()) + 1
    first = np.random.default_rng(st.seed).permutation(n) < (n + 1) // 2
    fit = first[ids]
    how = (
        "fitted on a random half of the people and judged on the other half "
        "(no periods to split by time)"
    )
    return np.flatnonzero(fit), np.flatnonzero(~fit), how


def _mitigation(
    inp: AuditInput, w: np.ndarray, tables: list[Table], st: Settings, notes: list[str]
) -> pd.DataFrame:
    s, y = inp.score, inp.label
    capacity = float(w.sum())
    out: list[dict[str, object]] = []
    pooled = {t.group_by: t for t in tables if not t.period}
    fit, judged, how = _split(inp, st)
    for col in inp.columns:
        if col not in pooled:
            continue
        t = pooled[col]
        codes, names, hidden = t.codes, t.names, t.suppressed
        base = "unmitigated"
        out += policy_rows(base, base, col, names, codes, y, w, None, hidden)
        p, thr = equal_tpr(s, y, codes, capacity)
        out += policy_rows(
            "equal TPR, same capacity", base, col, names, codes, y, p, thr, hidden
        )
        p = equal_selection_rate(s, codes, capacity)
        out += policy_rows(
            "equal selection rate, same capacity",
            base,
            col,
            names,
            codes,
            y,
            p,
            None,
            hidden,
        )
        if len(fit) == 0 or len(judged) == 0:
            notes.append(f"ThresholdOptimizer could not run for {col}: too few rows.")
            continue
        try:
            p = threshold_optimizer(
                s, y, inp.groups[col], st.constraints, st.objective, fit
            )[judged]
        except ValueError as e:
            notes.append(f"ThresholdOptimizer could not run for {col}: {e}")
            continue
        name = f"ThresholdOptimizer ({st.constraints})"
        same = f"unmitigated at {name}'s capacity"
        c, yy = codes[judged], y[judged]
        n_g = np.bincount(c, minlength=len(names))
        pos_g = np.bincount(c, weights=yy, minlength=len(names))
        # groups too small among the judged rows are withheld there too
        hidden = hidden | (np.minimum(pos_g, n_g - pos_g) < st.min_cell)
        out += policy_rows(name, same, col, names, c, yy, p, None, hidden)
        top = top_weights(s[judged], p.sum())
        out += policy_rows(same, same, col, names, c, yy, top, None, hidden)
    if st.mitigation and len(out):
        notes.append(
            f"ThresholdOptimizer learns its thresholds from the outcomes, so it was "
            f"{how}, {len(fit):,} and {len(judged):,} rows; it and the unmitigated "
            "model at its capacity are shown on the judged rows only. The equal-TPR "
            "and equal-selection-rate options are computed on all rows (what each "
            "would have done with these outcomes known)."
        )
    return pd.DataFrame(out, columns=MITIGATION_COLUMNS)


def _resampling_notes(inp: AuditInput, st: Settings) -> list[str]:
    ids = _person_codes(inp)
    n_people = int(ids.max()) + 1
    notes = [
        f"Intervals: 95% percentile bootstrap over people, {st.n_boot} resamples "
        f"(seed {st.seed}) of the {n_people:,} people behind the {len(ids):,} rows, "
        "stratified by group; a resampled person brings all their rows, because a "
        "person's rows at different dates are not independent. Flags and the drift "
        "test use the same resamples."
    ]
    if inp.person_column is None:
        notes.append(
            "No person identifier (no 'person_id' column and none named with id=): "
            "each row is treated as a different person. If people recur at several "
            "dates, intervals are too narrow and flags too frequent; name the "
            "identifier column with id= (--id)."
        )
    if st.top is not None:
        notes.append(
            "At the capacity, the top k is chosen again inside each resample"
            + (" (per period)" if inp.period is not None else "")
            + ", so intervals include the uncertainty of where the cut-off falls."
        )
    else:
        notes.append(
            "At a fixed threshold, who is selected does not depend on the resample."
        )
    for group_by, values in inp.groups.items():
        pairs = pd.DataFrame({"p": ids, "g": values}).drop_duplicates()
        movers = int(pairs["p"][pairs["p"].duplicated()].nunique())
        if movers:
            notes.append(
                f"{movers:,} people have more than one {group_by} value across their "
                f"rows; each is resampled within the {group_by} group of their first "
                "row (their rows still count in the group each row records)."
            )
    if inp.period is not None:
        notes.append(
            "Drift: a Wald test that each disparity is the same in every period, "
            "with the periods' joint covariance from the person-level resamples (the "
            "same people recur across periods); Holm's correction over all drift tests."
        )
    return notes


def _reference_note(tables: list[Table],
                    reference: str | Mapping[str, str] | None) -> str:
    """Which group each characteristic is compared with, and who chose it."""
    parts = []
    for t in tables:
        if t.period or t.group_by == OVERALL:
            continue
        wanted = (reference.get(t.group_by) if isinstance(reference, Mapping)
                  else reference)
        chosen = t.names[_reference(t, reference)]
        why = ("as set" if wanted is not None and wanted == chosen
               else "the largest group, the default")
        parts.append(f"{t.group_by}: {chosen} ({why})")
    return "Reference groups, against which disparities are measured: " + \
        "; ".join(parts) + "."


def _notes(
    inp: AuditInput,
    st: Settings,
    ops: dict[str, OperatingPoint],
    tables: list[Table],
    n_tests: int,
) -> list[str]:
    notes = [
        ("Operating point: " if k == ALL else f"Operating point in period {k}: ")
        + op.describe()
        for k, op in ops.items()
    ]
    if any(0 < op.tie_fraction < 1 for op in ops.values()):
        notes.append(
            "Ties at the capacity boundary: rows tied on the last score are counted as "
            "selected with probability (places left / rows tied), so counts and rates "
            "are expected values under random tie-breaking, not one arbitrary order."
        )
    notes += _resampling_notes(inp, st)
    notes.append(_reference_note(tables, st.reference))
    notes.append(
        f"Flags: ratio to the reference outside {st.band[0]:g}-{st.band[1]:g} and parity "
        f"rejected by a two-sided bootstrap test with Holm's correction over all {n_tests} "
        f"disparity tests in this audit (family-wise error rate {st.alpha:g})."
    )
    notes.append(
        f"Disclosure control: a group is withheld when fewer than {st.min_cell} people "
        f"stand behind it or any of its rates ({', '.join(st.rule)}); further groups are "
        "withheld where needed so that no withheld group can be worked out from totals, "
        "other tables or other periods."
    )
    if not score_classes(inp.score, st.max_bins).exact:
        notes.append(
            f"More than {st.max_bins} distinct scores: bootstrap replicates of the score "
            f"sums use {st.max_bins} quantile bins (within-bin spread is not resampled; "
            "AUC intervals are centred on the exact AUC)."
        )
    if not (inp.score.min() >= 0 and inp.score.max() <= 1):
        notes.append(
            "Scores are not all in [0, 1], so they are not probabilities: "
            f"{', '.join(PROBABILITY_ONLY)} are not computed."
        )
    if inp.period is not None and st.mitigation:
        notes.append("Mitigation options are compared on all periods pooled.")
    return notes


def compute(inp: AuditInput, st: Settings, progress: Progress | None = None
            ) -> Result:
    """Run the whole audit on validated input.

    ``progress`` is called with (step, done, total) after each block of bootstrap
    resamples, counted over every characteristic, and before the mitigation options.
    """
    w, ops = _weights(inp, st)
    tables = _tables(inp, w, st, progress)
    _check_reference(tables, st.reference)
    suppressed = _suppress(inp, tables, w, st)
    pooled = [t for t in tables if not t.period]
    disparities, per_period = _disparities(tables, st)
    long = pd.concat([_long(t) for t in pooled], ignore_index=True)
    flagged = disparities[disparities["flagged"]][["group_by", "group", "metric"]]
    keys = set(map(tuple, flagged.to_numpy()))
    long["flagged"] = [
        (a, b, c) in keys
        for a, b, c in long[["group_by", "group", "metric"]].to_numpy()
    ]
    n_tests = int(disparities["p_holm"].notna().sum())
    notes = _notes(inp, st, ops, tables, n_tests)
    if progress is not None and st.mitigation:
        n = st.n_boot * (len(inp.groups) + 1)  # every resample is done by now
        progress("comparing mitigation options", n, n)
    mitigation = (
        _mitigation(inp, w, tables, st, notes)
        if st.mitigation
        else pd.DataFrame(columns=MITIGATION_COLUMNS)
    )
    return Result(
        group_metrics=long[GROUP_COLUMNS],
        disparities=disparities,
        suppressed=suppressed,
        mitigation=mitigation,
        over_time=_over_time(tables, per_period),
        drift=_drift(tables, st),
        impossibility=_impossibility(tables, disparities, st),
        operating_points=ops,
        notes=notes,
        settings=st,
        n_rows=len(inp.score),
        source=inp.source,
    )
