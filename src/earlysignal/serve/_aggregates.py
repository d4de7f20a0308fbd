"""What the ethics reviewers see: band shares, how many people shown were
reviewed, and how practitioners judged the bands, by band, team and the
characteristics the fairness audit compares, with the project's one disclosure
rule withholding small groups."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from earlysignal.disclosure import ALL, OVERALL, decide

__all__ = ["JUDGEMENTS", "review_table"]

JUDGEMENTS = ("agree", "partly", "disagree")
_PEOPLE_COLS = ["people", "reviewed", "review_rate"]
_JUDGED_COLS = ["agree", "not_agree", "agree_share", "not_agree_share"]
_SPLIT_COLS = ["partly", "disagree", "partly_share", "disagree_share"]


def _hidden(groups: dict[str, np.ndarray], person: np.ndarray, label: np.ndarray,
            min_cell: int) -> set[tuple[str, str]]:
    if not len(person):
        return {(OVERALL, ALL), *((g, str(v)) for g, vs in groups.items()
                                  for v in set(vs))}
    d = decide(groups, person=person, label=label, min_cell=min_cell)
    d = d[d["period"] == ""]
    return set(zip(d["group_by"], d["group"], strict=True))


def review_table(people: pd.DataFrame, judged: pd.DataFrame,
                 group_by: Sequence[str], *, min_cell: int = 10,
                 order: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """People, reviews and judgements by group, with small groups withheld.

    Parameters
    ----------
    people : DataFrame
        One row per person shown (``person_id`` and the ``group_by`` columns).
    judged : DataFrame
        ``person_id`` and ``agreement`` (agree, partly or disagree): each
        person's latest judgement in the run; people without one were not
        reviewed.
    group_by : sequence of str
        The columns to break down by (an ``overall`` row comes first).
    min_cell : int
        The disclosure rule's smallest number of people behind a count.
    order : mapping, optional
        The order of groups within a column (e.g. bands from the highest).

    Returns
    -------
    DataFrame
        group_by, group, people, reviewed, review_rate; agree, not_agree (partly
        or disagree), partly, disagree and their shares of the reviewed;
        ``withheld`` (all blank: fewer than ``min_cell`` people behind the
        reviewed or unreviewed count, or the group could be worked out from
        others), ``judgements_withheld`` (agree and not_agree blank, for the same
        reasons among the reviewed) and ``split_withheld`` (partly and disagree
        blank, among those who did not agree).

    Examples
    --------
    >>> people = pd.DataFrame({"person_id": [f"p{i}" for i in range(12)],
    ...                        "team": ["N"] * 8 + ["S"] * 4})
    >>> judged = pd.DataFrame({"person_id": ["p0", "p1", "p2", "p3", "p8", "p9"],
    ...     "agreement": ["agree", "agree", "disagree", "partly", "agree", "partly"]})
    >>> t = review_table(people, judged, ["team"], min_cell=1)
    >>> t[["group", "people", "reviewed", "agree", "not_agree", "disagree"]
    ...   ].values.tolist()
    [['all', 12.0, 6.0, 3.0, 3.0, 1.0], ['N', 8.0, 4.0, 2.0, 2.0, nan], ['S', 4.0, 2.0, 1.0, 1.0, nan]]
    >>> t["split_withheld"].tolist()  # S: none disagreed outright; N: S = all - N
    [False, True, True]
    >>> review_table(people, judged, ["team"], min_cell=2)["withheld"].tolist()
    [False, False, False]
    >>> review_table(people, judged, ["team"], min_cell=3)["judgements_withheld"
    ...              ].tolist()
    [False, True, True]
    """
    df = people.assign(person_id=people["person_id"].astype(str))
    latest = judged.assign(person_id=judged["person_id"].astype(str))
    df = df.merge(latest[["person_id", "agreement"]], on="person_id", how="left")
    df["reviewed"] = df["agreement"].notna()
    cols = {g: df[g].astype(str).to_numpy() for g in group_by}
    who = df["person_id"].to_numpy()
    # three nested publications, each under the rule: reviewed or not among the
    # people shown; agreed or not among the reviewed; partly or wholly among
    # those who did not agree
    hidden = [_hidden(cols, who, df["reviewed"].to_numpy(), min_cell)]
    for among, label in ((df["reviewed"], df["agreement"] == "agree"),
                         (df["reviewed"] & (df["agreement"] != "agree"),
                          df["agreement"] == "disagree")):
        keep = among.to_numpy()
        hidden.append(hidden[-1] | _hidden({g: v[keep] for g, v in cols.items()},
                                           who[keep], label.to_numpy()[keep],
                                           min_cell))
    rows = []
    for gb in (OVERALL, *group_by):
        values = np.full(len(df), ALL) if gb == OVERALL else cols[gb]
        present = sorted({str(x) for x in values})
        names = list(dict.fromkeys([*(order or {}).get(gb, []), *present]))
        for name in names:
            key = (gb, str(name))
            rows.append(_row(gb, str(name), df[values == name],
                             [key in h for h in hidden]))
    return pd.DataFrame(rows)


def _row(gb: str, name: str, mine: pd.DataFrame, hidden: list[bool]
         ) -> dict[str, object]:
    n, reviewed = float(len(mine)), float(mine["reviewed"].sum())
    counts = {j: float((mine["agreement"] == j).sum()) for j in JUDGEMENTS}
    counts["not_agree"] = counts["partly"] + counts["disagree"]
    row: dict[str, object] = {"group_by": gb, "group": name, "people": n,
                              "reviewed": reviewed,
                              "review_rate": reviewed / n if n else np.nan}
    for j in ("agree", "not_agree", "partly", "disagree"):
        row[j] = counts[j]
        row[f"{j}_share"] = counts[j] / reviewed if reviewed else np.nan
    for blank, cols in zip(hidden, (_PEOPLE_COLS, _JUDGED_COLS, _SPLIT_COLS),
                           strict=True):
        if blank:
            row.update({c: np.nan for c in cols})
    row["withheld"], row["judgements_withheld"], row["split_withheld"] = hidden
    return row
