"""Per-person reasons: the factor families that raise and lower a score.

Contributions are summed by family with one matrix product; the strongest families
in each direction are picked with an ``argsort`` over the family matrix; text is
rendered only for the chosen (person, family) pairs, one feature column at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Reason", "evidence_rows", "format_reasons", "select_reasons"]

_MISSING_NOTE_MOSTLY = "mostly reflects gaps in the records, not something that happened"
_MISSING_NOTE_PARTLY = "partly reflects gaps in the records"
_PROTECTED_NOTE = ("a protected characteristic, used as a model input only because "
                   "the configuration allowed it; not something to act on")


@dataclass(frozen=True)
class Reason:
    """One reason behind a person's score: a factor family and its direction.

    Attributes
    ----------
    family, family_label : the family key (``attendance``) and its name
    direction : ``"raises"`` or ``"lowers"``
    size : signed change in the shown probability (calibrated when the model is),
        0.031 = 3.1 percentage points; the sizes of all families add up to the
        person's shown probability minus the shown baseline
    log_odds : the same on the log-odds scale (exactly additive)
    text : the strongest feature of the family, in words, with what is typical
    details : further features of the family pushing the same way, in words
    evidence : records behind the text (``date``, ``end_date``, ``source``,
        ``type``, ``value``), newest first; empty without tables
    actionable : False for protected characteristics and for reasons that mostly
        reflect missing records
    notes : caveats a practitioner should read with the reason
    """

    family: str
    family_label: str
    direction: str
    size: float
    log_odds: float
    text: str
    details: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    actionable: bool = True
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, not tuples) for JSON and templates."""
        d = asdict(self)
        d["details"] = list(self.details)
        d["evidence"] = [dict(e) for e in self.evidence]
        d["notes"] = list(self.notes)
        return d


#: Families that move the log-odds by less than this are not worth a reason.
MIN_LOG_ODDS = 0.02


def select_reasons(
    by_family: np.ndarray, top: int, min_log_odds: float = MIN_LOG_ODDS
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int]]:
    """(rows, families, ranks, sign): each row's ``top`` families per direction.

    Only families that push that way by at least ``min_log_odds`` are kept, so a
    row may have fewer. Ranks start at 1.

    Examples
    --------
    >>> F = np.array([[0.5, -0.2, 0.1], [-0.3, 0.0, -0.4]])
    >>> [(r.tolist(), f.tolist(), k.tolist(), s)
    ...  for r, f, k, s in select_reasons(F, 1)]
    [([0], [0], [1], 1), ([0, 1], [1, 2], [1, 1], -1)]
    """
    out = []
    k = min(top, by_family.shape[1])
    for sign in (1, -1):
        signed = by_family * sign
        order = np.argsort(-signed, axis=1, kind="stable")[:, :k]
        chosen = np.take_along_axis(signed, order, axis=1)
        rows, rank = np.nonzero(chosen >= max(min_log_odds, 1e-12))
        out.append((rows, order[rows, rank], rank + 1, sign))
    return out


def strongest_in_family(
    phi: np.ndarray, rows: np.ndarray, families: np.ndarray, sign: int,
    members: Sequence[np.ndarray], n: int = 1,
) -> np.ndarray:
    """Column index of the ``n`` strongest same-direction features per pair.

    Returns an array (pairs x n); -1 where the family has fewer such features.
    """
    out = np.full((len(rows), n), -1, dtype=int)
    for f in np.unique(families):
        at = np.nonzero(families == f)[0]
        cols = members[f]
        sub = phi[np.ix_(rows[at], cols)] * sign
        order = np.argsort(-sub, axis=1, kind="stable")[:, :n]
        picked = cols[order]
        ok = np.take_along_axis(sub, order, axis=1) > 0
        out[at, : picked.shape[1]] = np.where(ok, picked, -1)
    return out


def evidence_rows(
    metas: Sequence[Any], tables: Mapping[str, pd.DataFrame], person_id: object,
    as_of: pd.Timestamp, limit: int = 20,
) -> tuple[dict[str, Any], ...]:
    """The records behind some features of one person, deduplicated, newest first.

    An end date on or after ``as_of`` had not happened yet: it is left out, so the
    evidence shows only what was known at the date.
    """
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for meta in metas:
        rows = meta.rows_behind(tables, person_id, as_of)
        for rec in _records(meta, rows, pd.Timestamp(as_of)):
            key = tuple(rec.values())
            seen.setdefault(key, rec)
    ordered = sorted(seen.values(), key=lambda r: r["date"] or "", reverse=True)
    return tuple(ordered[:limit])


def _records(meta: Any, rows: pd.DataFrame,
             as_of: pd.Timestamp) -> list[dict[str, Any]]:
    table = meta.table
    date_col, end_col, type_col = {
        "events": ("event_date", None, "event_type"),
        "episodes": ("start_date", "end_date", "episode_type"),
        "periods": ("period_start", "period_end", "measure"),
        "characteristics": ("valid_from", "valid_to", "attribute"),
        # a date of birth is identifying: the record says only that it exists
        "people": (None, None, None),
    }.get(table, (None, None, None))
    default_source = meta.source or {"periods": "school"}.get(table, "records")
    out = []
    for rec in rows.to_dict("records"):
        value = rec.get("value")
        end = rec.get(end_col) if end_col else None
        if end is not None and not pd.isna(end) and pd.Timestamp(end) >= as_of:
            end = None
        out.append({
            "date": _day(rec.get(date_col)) if date_col else None,
            "end_date": _day(end),
            "source": str(rec.get("source") or default_source),
            "table": table,
            "type": str(rec.get(type_col)) if type_col else "date of birth",
            "value": None if value is None or pd.isna(value) else
            (value if isinstance(value, str) else float(value)),
        })
    return out


def _value_text(e: Mapping[str, Any]) -> str:
    v = e.get("value")
    # an event's value is 1 unless it measures something (days of a suspension)
    if v is None or (v == 1.0 and e.get("table") == "events"):
        return ""
    return f" ({v:g})" if isinstance(v, float) else f" ({v})"


def _day(v: Any) -> str | None:
    if v is None or pd.isna(v):
        return None
    return f"{pd.Timestamp(v):%Y-%m-%d}"


def notes_for(protected: bool, missing_share: float) -> tuple[str, ...]:
    if protected:
        return (_PROTECTED_NOTE,)
    if missing_share >= 0.5:
        return (_MISSING_NOTE_MOSTLY,)
    if missing_share >= 0.25:
        return (_MISSING_NOTE_PARTLY,)
    return ()


def format_reasons(
    reasons: Sequence[Reason | Mapping[str, Any]], *, evidence: int = 3
) -> str:
    """Reasons as plain text for a terminal, raising first, then lowering.

    Examples
    --------
    >>> r = Reason("attendance", "Attendance", "raises", 0.031, 0.6,
    ...            "28 unauthorised absence sessions in the last 90 days")
    >>> print(format_reasons([r]))
    Raises risk
      +3.1 points  Attendance: 28 unauthorised absence sessions in the last 90 days
    """
    items = [r.to_dict() if isinstance(r, Reason) else dict(r) for r in reasons]
    lines: list[str] = []
    for direction, title in (("raises", "Raises risk"), ("lowers", "Lowers risk")):
        chosen = [r for r in items if r["direction"] == direction]
        if not chosen:
            continue
        lines.append(title)
        for r in chosen:
            points = r["size"] * 100
            shown = f"{points:+.1f}" if abs(points) >= 0.05 else \
                ("+" if points >= 0 else "-") + "<0.1"
            lines.append(f"  {shown} points  {r['family_label']}: {r['text']}")
            lines.extend(f"{'':15}also: {d}" for d in r.get("details", ()))
            lines.extend(f"{'':15}note: {n}" for n in r.get("notes", ()))
            ev = list(r.get("evidence", ()))
            for e in ev[:evidence]:
                span = f" to {e['end_date']}" if e.get("end_date") else ""
                value = _value_text(e)
                when = f"{e['date']}{span}  " if e.get("date") else ""
                lines.append(f"{'':15}{when}{e['source']}: "
                             f"{str(e['type']).replace('_', ' ')}{value}")
            if len(ev) > evidence:
                lines.append(f"{'':15}... and {len(ev) - evidence} more records")
    if not lines:
        return "No reasons: the score equals the base rate."
    return "\n".join(lines)
