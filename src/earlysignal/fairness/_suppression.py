"""Small-cell suppression with secondary suppression checked by linear algebra.

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

from dataclasses import dataclass, field

import numpy as np

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
    groups = [i for i in witnesses if rows[i].table[0] != "overall"] or witnesses
    return min(groups, key=size) if groups else None
