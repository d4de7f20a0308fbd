"""One disclosure-control rule for every group or period count that leaves a run.

Every count published by group or by period (the fairness audit's tables, the
model's per-fold metrics, the impact estimate's reach by group, what goes to MLflow)
passes through :func:`decide`, so that a group withheld in one output is not published
in another. Counts are of distinct **people**: in a scheduled cohort a person recurs
at many as-of dates, and 57 rows can be 8 children.

Small-cell suppression with secondary suppression checked by linear algebra.

The rule (primary suppression): a group's row is withheld whole, every metric of it,
when fewer than ``min_cell`` people stand behind it or behind any rate published for
it: the group's size, the people with the outcome, without it, selected, and not
selected. Published rates times the published size give these counts exactly, so a
rate over fewer than ``min_cell`` people would publish a small count. Small
numerators inside a rate over enough people (e.g. 3 caught out of 40 positives) are
not withheld by default; pass ``rule=STRICT_RULE`` to withhold those groups too.

Secondary suppression: a withheld group must not be computable from what is
published. Every published row (each group in each table, and each table's overall
row) is a sum over the finest cells, i.e. the cross-classification of every
characteristic audited and the period. A withheld group can be worked out exactly
(totals minus other groups, or across tables such as sex totals minus the published
sex x ethnicity groups, or across periods) if and only if its indicator vector lies in
the row space of the published rows. Groups withheld by the rule are checked this
way (groups withheld only to protect them are not small, so they need not be), and also
that the withheld groups of a table, taken together (which is always computable as
the total minus the published groups), pass the rule. Whenever a check fails, the
smallest published group whose withholding fixes it is withheld too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

DEFAULT_RULE: tuple[str, ...] = (
    "size",
    "positives",
    "negatives",
    "selected",
    "not_selected",
)
STRICT_RULE: tuple[str, ...] = DEFAULT_RULE + ("tp", "fp", "fn", "tn")

RULE_WORDS = {
    "size": "people in the group",
    "positives": "people with the outcome",
    "negatives": "people without the outcome",
    "selected": "people selected",
    "not_selected": "people not selected",
    "tp": "selected people with the outcome",
    "fp": "selected people without the outcome",
    "fn": "missed people with the outcome",
    "tn": "unselected people without the outcome",
}


@dataclass
class Row:
    """One group of one table, as published: its counts and its finest cells."""

    table: tuple[str, str]  # (group_by, period)
    group: str
    counts: dict[str, float]
    members: np.ndarray  # bool over finest cells
    reason: str = ""
    kind: str = ""  # "", "primary" or "secondary"
    extra: dict[str, str] = field(default_factory=dict)


def fails(counts: dict[str, float], min_cell: int, rule: tuple[str, ...]) -> str | None:
    """The first count of the rule below ``min_cell``, or None."""
    for key in rule:
        if counts[key] < min_cell - 1e-9:
            return key
    return None


def _basis(mat: np.ndarray) -> np.ndarray:
    if mat.size == 0:
        return np.zeros((0, mat.shape[1]))
    _, s, vt = np.linalg.svd(mat, full_matrices=False)
    if s.size == 0 or s[0] == 0:
        return np.zeros((0, mat.shape[1]))
    return vt[s > s[0] * 1e-10 * max(mat.shape)]


def recoverable(vec: np.ndarray, basis: np.ndarray) -> bool:
    """True when ``vec`` is a linear combination of the published rows."""
    v = vec.astype(float)
    resid = v - basis.T @ (basis @ v)
    scale = max(1.0, float(np.linalg.norm(v)))
    return bool(float(np.linalg.norm(resid)) < 1e-8 * scale)


def _union_counts(rows: list[Row], idx: list[int]) -> dict[str, float]:
    keys = rows[idx[0]].counts.keys()
    return {k: sum(rows[i].counts[k] for i in idx) for k in keys}


def suppress(
    rows: list[Row],
    totals: list[np.ndarray],
    min_cell: int,
    rule: tuple[str, ...] = DEFAULT_RULE,
) -> list[Row]:
    """Mark rows withheld (``kind`` and ``reason``), primary then secondary.

    ``totals`` are the always-published overall rows (finest-cell indicators).
    """
    for r in rows:
        bad = fails(r.counts, min_cell, rule)
        if bad:
            r.kind, r.reason = "primary", f"fewer than {min_cell} {RULE_WORDS[bad]}"
    tables: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(rows):
        tables.setdefault(r.table, []).append(i)
    while True:
        problem = _first_problem(rows, totals, tables, min_cell, rule)
        if problem is None:
            return rows
        target, why = problem
        pick = _choose(rows, totals, tables, target, why, min_cell, rule)
        if pick is None:
            # Nothing left to withhold in reach: the group equals a published total.
            rows[target].extra["unresolved"] = why
            return rows
        t = rows[target]
        rows[pick].kind = "secondary"
        rows[pick].reason = (
            f"withheld so that '{t.group}' ({t.table[0]}"
            + (f", period {t.table[1]}" if t.table[1] else "")
            + ") cannot be worked out from the totals"
        )


def _published_basis(
    rows: list[Row], totals: list[np.ndarray], skip: int | None = None
) -> np.ndarray:
    mats = [
        *totals,
        *(r.members for i, r in enumerate(rows) if not r.kind and i != skip),
    ]
    if not mats:  # nothing is published, so nothing can be worked out from it
        width = len(rows[0].members) if rows else 0
        return np.zeros((0, width))
    return _basis(np.vstack(mats).astype(float))


def _first_problem(
    rows: list[Row],
    totals: list[np.ndarray],
    tables: dict[tuple[str, str], list[int]],
    min_cell: int,
    rule: tuple[str, ...],
) -> tuple[int, str] | None:
    basis = _published_basis(rows, totals)
    for i, r in enumerate(rows):
        # Groups withheld only to protect others are not small: they may be derivable.
        if (
            r.kind == "primary"
            and "unresolved" not in r.extra
            and recoverable(r.members, basis)
        ):
            return i, "recoverable"
    for idx in tables.values():
        hidden = [i for i in idx if rows[i].kind]
        if (
            hidden
            and len(hidden) < len(idx)
            and fails(_union_counts(rows, hidden), min_cell, rule)
        ):
            return min(hidden, key=lambda i: rows[i].counts["size"]), "union"
    return None


def _choose(
    rows: list[Row],
    totals: list[np.ndarray],
    tables: dict[tuple[str, str], list[int]],
    target: int,
    why: str,
    min_cell: int,
    rule: tuple[str, ...],
) -> int | None:
    """The published group to withhold next: the smallest one the leak goes through."""
    t = rows[target]

    def size(i: int) -> float:
        return rows[i].counts["size"]

    if why == "union":
        same = sorted((i for i in tables[t.table] if not rows[i].kind), key=size)
        return same[0] if same else None
    published = [i for i, r in enumerate(rows) if not r.kind]
    if not published:
        return None
    mat = np.vstack([*totals, *(rows[i].members for i in published)]).astype(float)
    # The minimum-norm way of writing the withheld group as a sum of published rows
    # uses every route through which it can be worked out; withholding the smallest
    # row on those routes breaks one of them.
    coef = np.linalg.lstsq(mat.T, t.members.astype(float), rcond=None)[0][len(totals) :]
    witnesses = [i for i, c in zip(published, coef, strict=True) if abs(c) > 1e-8]
    # Withhold a group before a total, and a period's figure before the pooled one:
    # the pooled totals are the headline every report is built on.
    groups = (
        [i for i in witnesses if rows[i].table[0] != "overall"]
        or [i for i in witnesses if rows[i].table[1]]
        or witnesses
    )
    return min(groups, key=size) if groups else None


DECISION_COLUMNS = ["period", "group_by", "group", "kind", "reason"]
OVERALL = "overall"
ALL = "all"


def _per_group_max(keys: np.ndarray, values: np.ndarray, n_people: int,
                   n_groups: int) -> np.ndarray:
    """Sum over the people of each group of their largest value."""
    if not len(keys):
        return np.zeros(n_groups)
    order = np.argsort(keys, kind="stable")
    k, v = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    best = np.maximum.reduceat(v, starts)
    return np.bincount(k[starts] // n_people, weights=best, minlength=n_groups)


def _people_counts(
    codes: np.ndarray, person: np.ndarray, n_people: int, n_groups: int,
    label: np.ndarray, selected: np.ndarray | None,
) -> list[dict[str, float]]:
    """Distinct people behind each count of each group (codes 0..n_groups-1)."""
    keys = codes.astype(np.int64) * n_people + person
    y = label.astype(float)

    def people(v: np.ndarray) -> np.ndarray:
        return _per_group_max(keys, v, n_people, n_groups)

    c = {"size": people(np.ones(len(keys))), "positives": people(y),
         "negatives": people(1 - y)}
    if selected is None:
        c["selected"] = c["not_selected"] = np.full(n_groups, np.inf)
    else:
        w = selected.astype(float)
        c["selected"], c["not_selected"] = people(w), people(1 - w)
        c["tp"] = people(w * y)
        c["fp"] = c["selected"] - c["tp"]
        c["fn"] = c["positives"] - c["tp"]
        c["tn"] = c["negatives"] - c["fp"]
    return [{k: float(v[g]) for k, v in c.items()} for g in range(n_groups)]


def decide(
    groups: Mapping[str, np.ndarray],
    *,
    person: np.ndarray,
    label: np.ndarray,
    period: np.ndarray | None = None,
    selected: np.ndarray | None = None,
    min_cell: int = 10,
    rule: tuple[str, ...] = DEFAULT_RULE,
) -> pd.DataFrame:
    """Which published groups (and periods) must be withheld, and why.

    The published tables are, for all periods pooled (period ``""``) and for each
    period: the overall row, and one row per value of each ``groups`` column. A row
    is withheld when fewer than ``min_cell`` distinct people stand behind any count
    of ``rule`` (primary), or when a withheld row could be worked out from what is
    published (secondary; see the module docstring).

    Parameters
    ----------
    groups : mapping of str to array
        group_by name -> the group value of each row (people recur at many dates).
    person : array
        The person of each row.
    label : array of 0/1
    period : array, optional
        The period of each row (e.g. the as-of date or the test window).
    selected : array of float, optional
        Selection weight of each row at the team's capacity; without it, the
        selection counts of ``rule`` are not checked.
    min_cell : int
    rule : tuple of str

    Returns
    -------
    DataFrame
        period, group_by, group, kind ("primary" or "secondary"), reason: one row per
        withheld group.

    Examples
    --------
    >>> person = np.arange(40) % 20          # 20 people at 2 dates
    >>> sex = np.where(person < 17, "F", "M")
    >>> label = (person % 2 == 0).astype(int)
    >>> d = decide({"sex": sex}, person=person, label=label, min_cell=5)
    >>> d[["group_by", "group", "kind"]].values.tolist()
    [['sex', 'F', 'secondary'], ['sex', 'M', 'primary']]
    """
    label = np.asarray(label).astype(int)
    keys = [pd.factorize(pd.Series(v))[0] for v in groups.values()]
    scopes = [("", np.arange(len(label)))]
    if period is not None:
        keys.append(pd.factorize(pd.Series(period))[0])
        p = np.asarray(period).astype(str)
        scopes += [(q, np.flatnonzero(p == q)) for q in sorted(set(p))]
    finest = (
        np.unique(np.stack(keys, axis=1), axis=0, return_inverse=True)[1].ravel()
        if keys
        else np.zeros(len(label), dtype=np.int64)
    )
    n_cells = int(finest.max()) + 1 if len(finest) else 1
    rows: list[Row] = []
    columns = {OVERALL: np.full(len(label), ALL), **groups}
    who, _ = pd.factorize(pd.Series(person))
    n_people = int(who.max()) + 1 if len(who) else 1
    sel = None if selected is None else np.asarray(selected, dtype=float)
    for scope, idx in scopes:
        for group_by, values in columns.items():
            codes, names = pd.factorize(pd.Series(np.asarray(values).astype(str)[idx]),
                                        sort=True)
            members = np.zeros((len(names), n_cells), dtype=bool)
            members[codes, finest[idx]] = True
            counts = _people_counts(codes, who[idx], n_people, len(names), label[idx],
                                    None if sel is None else sel[idx])
            rows += [Row((group_by, scope), str(g), counts[i], members[i])
                     for i, g in enumerate(names)]
    usable = tuple(k for k in rule if selected is not None or k in _PEOPLE_ONLY)
    suppress(rows, [], min_cell, usable)
    return pd.DataFrame(
        [[r.table[1], r.table[0], r.group, r.kind, r.reason] for r in rows if r.kind],
        columns=DECISION_COLUMNS,
    )


_PEOPLE_ONLY = ("size", "positives", "negatives")


def withhold(
    frame: pd.DataFrame,
    decisions: pd.DataFrame,
    *,
    group_by: str | None = None,
    group: str | None = None,
    period: str | None = None,
    values: list[str] | None = None,
) -> pd.DataFrame:
    """Blank the ``values`` of the rows of ``frame`` that ``decisions`` withhold.

    ``group_by``, ``group`` and ``period`` name the columns of ``frame`` that hold
    them (a frame of per-period rows names only ``period``; its rows are the
    period's overall row). A column ``withheld`` says which rows were blanked.

    Examples
    --------
    >>> d = pd.DataFrame([["2022-09-01", "overall", "all", "primary", "few"]],
    ...                  columns=DECISION_COLUMNS)
    >>> f = pd.DataFrame({"period": ["2022-09-01", "2022-12-01"], "n": [8.0, 90.0]})
    >>> withhold(f, d, period="period", values=["n"]).values.tolist()
    [['2022-09-01', nan, True], ['2022-12-01', 90.0, False]]
    """
    hidden = set(
        zip(decisions["period"], decisions["group_by"], decisions["group"], strict=True)
    )
    n = len(frame)
    per = frame[period].astype(str) if period else pd.Series([""] * n, frame.index)
    gb = frame[group_by].astype(str) if group_by else pd.Series([OVERALL] * n, frame.index)
    gr = frame[group].astype(str) if group else pd.Series([ALL] * n, frame.index)
    mask = np.array(
        [(a, b, c) in hidden for a, b, c in zip(per, gb, gr, strict=True)], dtype=bool
    )
    out = frame.copy()
    cols = values if values is not None else [
        c for c in frame.columns if c not in {group_by, group, period}
    ]
    for c in cols:
        out[c] = out[c].astype(float).where(~mask)
    out["withheld"] = mask
    return out
