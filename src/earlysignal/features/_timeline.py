"""A person's timeline: every source merged into one ordered, readable stream.

The practitioner report shows it beside a score, so it follows the same rule as
features: with ``until`` given, nothing dated on or after ``until`` appears (an
episode or characteristic still running at ``until`` is shown without its end),
and each row says whether it was already *known* by then (``known_at < until``):
a row that happened before ``until`` but was recorded later is shown, flagged.

Attendance periods are summarised, one row per period (all measures together);
daily records are gathered per school term so that a timeline stays readable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd

from earlysignal.errors import DataError
from earlysignal.features._labels import known_at

__all__ = ["TIMELINE_COLUMNS", "timeline", "timeline_text"]

_DATE: Final = "datetime64[us]"
TIMELINE_COLUMNS = [
    "date", "end_date", "source", "kind", "type", "description", "value",
    "recorded_at", "known_at", "known_by",
]

_EVENT_TEXT = {
    "behaviour_incident": "Behaviour incident",
    "permanent_exclusion": "Permanent exclusion",
    "police_contact": "Police contact",
    "missing_episode": "Reported missing",
    "referral": "Referral to children's social care",
    "caution": "Youth caution",
    "conditional_caution": "Youth conditional caution",
    "court_disposal": "Court disposal",
}
_EPISODE_TEXT = {
    "enrolment": "On roll at school",
    "early_help": "Early help",
    "child_in_need": "Child in need plan",
    "child_protection": "Child protection plan",
    "looked_after": "Looked after (in care)",
}
_ATTRIBUTE_TEXT = {
    "sex": "Sex",
    "ethnicity": "Ethnicity (as recorded)",
    "sen": "Special educational needs",
    "fsm": "Free school meals",
}
_VALUE_TEXT = {"sen_support": "SEN support", "ehcp": "EHC plan"}
_ATTENDANCE = ("sessions_possible", "authorised_absence", "unauthorised_absence")
_DAILY_MAX_DAYS = 7


def timeline(
    tables: Mapping[str, pd.DataFrame],
    person_id: str,
    until: dt.date | pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """One person's merged, ordered stream of events, episodes, periods and traits.

    Parameters
    ----------
    tables : CanonicalTables or mapping of table name to DataFrame
    person_id : str
    until : date, optional
        Usually the as-of date of a score. Rows dated on or after it are left out;
        ``known_by`` says whether a row was known before it.

    Returns
    -------
    DataFrame
        Columns ``date``, ``end_date`` (episodes, periods, characteristics),
        ``source``, ``kind`` (event, episode, period, characteristic), ``type``,
        ``description`` (plain words), ``value``, ``recorded_at``, ``known_at``
        and ``known_by``; sorted by date, then source.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({
    ...     "people": pd.DataFrame({"person_id": ["a"], "date_of_birth": ["2009-05-01"]}),
    ...     "events": pd.DataFrame({"person_id": ["a", "a"],
    ...         "event_date": ["2021-10-04", "2022-01-10"], "source": ["school"] * 2,
    ...         "event_type": ["suspension", "suspension"], "value": [3, 1],
    ...         "recorded_at": ["2021-11-20", None]}),
    ...     "characteristics": pd.DataFrame({"person_id": ["a"], "attribute": ["fsm"],
    ...         "value": ["yes"], "valid_from": ["2020-09-01"]})})
    >>> tl = timeline(t, "a", until="2021-11-01")
    >>> tl[["description", "known_by"]].values.tolist()
    [['Free school meals: yes', True], ['Suspension (3 days)', False]]
    """
    if not tables["people"]["person_id"].eq(str(person_id)).any():
        raise DataError(
            f"person '{person_id}' is not in the people table",
            file="people", column="person_id",
            fix="check the identifier (pseudonymised identifiers are case-sensitive)",
        )
    cut = pd.Timestamp(until) if until is not None else None
    parts = [
        _events(_one(tables, "events", person_id), cut),
        _episodes(_one(tables, "episodes", person_id), cut),
        _periods(_one(tables, "periods", person_id), cut),
        _characteristics(_one(tables, "characteristics", person_id), cut),
    ]
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty()
    out = pd.concat(parts, ignore_index=True)
    out["known_by"] = (
        True if cut is None else (out["known_at"] < cut).to_numpy(dtype=bool)
    )
    out = out.sort_values(["date", "source", "kind", "type"], kind="stable")
    return out[TIMELINE_COLUMNS].reset_index(drop=True)


def timeline_text(df: pd.DataFrame) -> str:
    """A plain-text rendering of :func:`timeline`'s frame, one line per row.

    Rows recorded only after the cut-off are marked ``(recorded later)``.

    Examples
    --------
    >>> df = pd.DataFrame({"date": pd.to_datetime(["2021-10-04"]),
    ...     "end_date": [pd.NaT], "source": ["school"], "description":
    ...     ["Suspension (3 days)"], "known_by": [False]})
    >>> print(timeline_text(df))
    2021-10-04               school         Suspension (3 days)  (recorded later)
    """
    lines = []
    cols = ("date", "end_date", "source", "description", "known_by")
    for date, end_date, source, text, known in zip(
        *(df[c] for c in cols), strict=True
    ):
        end = "" if pd.isna(end_date) else f"to {pd.Timestamp(end_date):%Y-%m-%d}"
        late = "" if known else "  (recorded later)"
        lines.append(
            f"{pd.Timestamp(date):%Y-%m-%d} {end:<13} {source:<14} {text}{late}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- parts


def _one(tables: Mapping[str, pd.DataFrame], name: str, person_id: str) -> pd.DataFrame:
    df = tables[name]
    return df.loc[df["person_id"] == str(person_id)]


def _frame(**cols: object) -> pd.DataFrame:
    out = pd.DataFrame(cols)
    for c in ("date", "end_date", "recorded_at", "known_at"):
        out[c] = pd.to_datetime(out[c]).astype(_DATE)
    out["value"] = out["value"].astype("object")
    return out


def _empty() -> pd.DataFrame:
    out = _frame(date=[], end_date=[], source=[], kind=[], type=[], description=[],
                 value=[], recorded_at=[], known_at=[])
    out["known_by"] = pd.Series([], dtype=bool)
    return out[TIMELINE_COLUMNS]


def _recorded(df: pd.DataFrame) -> pd.Series:
    if "recorded_at" in df.columns:
        return df["recorded_at"]
    return pd.Series(pd.NaT, index=df.index, dtype=_DATE)


def _before(dates: pd.Series, cut: pd.Timestamp | None) -> pd.Series:
    return pd.Series(True, index=dates.index) if cut is None else dates < cut


def _hide_after(dates: pd.Series, cut: pd.Timestamp | None) -> pd.Series:
    """Ends on or after the cut-off had not happened yet: show them as open."""
    return dates if cut is None else dates.where(dates < cut)


def _events(ev: pd.DataFrame, cut: pd.Timestamp | None) -> pd.DataFrame:
    ev = ev.loc[_before(ev["event_date"], cut)]
    text = [_event_text(t, v) for t, v in zip(ev["event_type"], ev["value"], strict=True)]
    return _frame(
        date=ev["event_date"].to_numpy(), end_date=pd.NaT,
        source=ev["source"].to_numpy(), kind="event",
        type=ev["event_type"].to_numpy(), description=text,
        value=ev["value"].to_numpy(), recorded_at=_recorded(ev).to_numpy(),
        known_at=known_at("events", ev).to_numpy(),
    )


def _event_text(event_type: str, value: float) -> str:
    label = _EVENT_TEXT.get(event_type, _humanise(event_type))
    if event_type == "suspension" and pd.notna(value):
        return f"Suspension ({value:g} day{'s' if value != 1 else ''})"
    if pd.notna(value) and value != 1:
        return f"{label} ({value:g})"
    return label


def _episodes(ep: pd.DataFrame, cut: pd.Timestamp | None) -> pd.DataFrame:
    ep = ep.loc[_before(ep["start_date"], cut)]
    end = _hide_after(ep["end_date"], cut)
    text = [
        f"{_EPISODE_TEXT.get(t, _humanise(t))} started"
        + (f" (ended {e:%d %b %Y})" if pd.notna(e) else " (open)")
        for t, e in zip(ep["episode_type"], end, strict=True)
    ]
    return _frame(
        date=ep["start_date"].to_numpy(), end_date=end.to_numpy(),
        source=ep["source"].to_numpy(), kind="episode",
        type=ep["episode_type"].to_numpy(), description=text, value=np.nan,
        recorded_at=_recorded(ep).to_numpy(),
        known_at=known_at("episodes", ep).to_numpy(),
    )


def _characteristics(ch: pd.DataFrame, cut: pd.Timestamp | None) -> pd.DataFrame:
    ch = ch.loc[_before(ch["valid_from"], cut)]
    valid_to = ch.get("valid_to", pd.Series(pd.NaT, index=ch.index, dtype=_DATE))
    text = [
        f"{_ATTRIBUTE_TEXT.get(a, _humanise(a))}: {_VALUE_TEXT.get(v, v)}"
        for a, v in zip(ch["attribute"], ch["value"], strict=True)
    ]
    source = ch["source"] if "source" in ch.columns else "record"
    return _frame(
        date=ch["valid_from"].to_numpy(), end_date=_hide_after(valid_to, cut).to_numpy(),
        source=np.asarray(source), kind="characteristic",
        type=ch["attribute"].to_numpy(), description=text, value=ch["value"].to_numpy(),
        recorded_at=pd.NaT, known_at=known_at("characteristics", ch).to_numpy(),
    )


def _periods(pe: pd.DataFrame, cut: pd.Timestamp | None) -> pd.DataFrame:
    """One row per period (or per term, for daily records), all measures together."""
    pe = pe.loc[_before(pe["period_end"], cut)].copy()
    if pe.empty:
        return _empty().drop(columns="known_by")
    pe["known_at"] = known_at("periods", pe)
    pe["recorded_at"] = _recorded(pe)
    daily = (pe["period_end"] - pe["period_start"]).dt.days < _DAILY_MAX_DAYS
    pe["key"] = pe["period_start"].dt.strftime("%Y-%m-%d") + "/" + \
        pe["period_end"].dt.strftime("%Y-%m-%d")
    pe.loc[daily, "key"] = [_term(d)[0] for d in pe.loc[daily, "period_start"]]
    if "source" not in pe.columns:
        pe["source"] = "school"
    sums = pe.groupby(["key", "measure"])["value"].sum()
    totals: dict[str, dict[str, float]] = {}
    for (key, measure), v in zip(sums.index, sums.tolist(), strict=True):
        totals.setdefault(key, {})[measure] = v
    rows = []
    for key, g in _spans(pe, daily).items():
        mine = totals.get(key, {})
        text, rate = _attendance_text(mine, g["date"], g["end_date"], g["daily"])
        rows.append({
            **g, "kind": "period",
            "type": "attendance" if set(mine) & set(_ATTENDANCE)
            else ",".join(sorted(mine)),
            "description": text, "value": rate,
        })
    cols = ["date", "end_date", "source", "kind", "type", "description", "value",
            "recorded_at", "known_at"]
    return _frame(**{c: [r[c] for r in rows] for c in cols})


def _spans(pe: pd.DataFrame, daily: pd.Series) -> dict[str, dict[str, Any]]:
    """Per period key, in order of first appearance: its first start, last end,
    first row's source, latest recorded and known dates (missing dates skipped)
    and whether all its records are daily. One pass over the rows, not a frame
    per period: a person's page builds this on every request."""
    out: dict[str, dict[str, Any]] = {}
    for key, start, end, source, rec, known, day in zip(
        pe["key"], pe["period_start"], pe["period_end"], pe["source"],
        pe["recorded_at"], pe["known_at"], daily, strict=True
    ):
        g = out.get(key)
        if g is None:
            out[key] = {"date": start, "end_date": end, "source": source,
                        "recorded_at": rec, "known_at": known, "daily": bool(day)}
            continue
        g["date"] = _first(g["date"], start, later=False)
        g["end_date"] = _first(g["end_date"], end, later=True)
        g["recorded_at"] = _first(g["recorded_at"], rec, later=True)
        g["known_at"] = _first(g["known_at"], known, later=True)
        g["daily"] = g["daily"] and bool(day)
    return out


def _first(a: Any, b: Any, later: bool) -> Any:
    """The later (or earlier) of two dates, a missing one ignored (as min/max do).

    Examples
    --------
    >>> t = pd.Timestamp
    >>> _first(t("2021-01-02"), t("2021-03-01"), later=True).day
    1
    >>> _first(pd.NaT, t("2021-03-01"), later=False).month, _first(pd.NaT, pd.NaT, True)
    (3, NaT)
    """
    if pd.isna(b):
        return a
    if pd.isna(a):
        return b
    return (b if b > a else a) if later else (b if b < a else a)


def _term(day: pd.Timestamp) -> tuple[str, str]:
    """The school term a day falls in: a sortable key and a label."""
    if day.month >= 9:
        return f"{day.year}-1", f"Autumn term {day.year}"
    if day.month <= 3:
        return f"{day.year - 1}-2", f"Spring term {day.year}"
    return f"{day.year - 1}-3", f"Summer term {day.year}"


def _attendance_text(
    totals: Mapping[str, float], start: pd.Timestamp, end: pd.Timestamp, daily: bool
) -> tuple[str, float]:
    same_term = _term(start)[0] == _term(end)[0]
    span = _term(start)[1] if same_term else f"{start:%d %b %Y} to {end:%d %b %Y}"
    note = f" (daily records to {end:%d %b %Y})" if daily else ""
    possible = totals.get("sessions_possible")
    if possible is None or not possible > 0:
        parts = "; ".join(f"{_humanise(str(m)).lower()} {v:g}" for m, v in totals.items())
        return f"{span}{note}: {parts}", np.nan
    unauth = float(totals.get("unauthorised_absence", 0.0))
    missed = float(totals.get("authorised_absence", 0.0)) + unauth
    rate = missed / float(possible)
    text = (f"{span} attendance{note}: {missed:g} of {possible:g} sessions missed "
            f"({100 * rate:.1f}%)")
    if unauth:
        text += f", {unauth:g} unauthorised"
    return text, rate


def _humanise(code: str) -> str:
    return str(code).replace("_", " ").capitalize()
