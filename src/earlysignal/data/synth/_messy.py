"""Write a canonical cohort out as the messy exports a local authority really holds.

The files look like what comes out of a school MIS, a social-care case-management
system and a police / youth-justice extract: each with its own column names, local
codes, date formats (UK day-first, ISO, ``01-Mar-2021``), a byte-order mark, a
semicolon delimiter, Windows encoding and padded identifiers. A ``mapping.yaml``
written next to them maps everything back, so the exports exercise the whole
loading path and double as a worked example of a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from earlysignal.data._schema import TABLES, coerce_table

__all__ = ["write_messy_exports"]

_EVENT_CODES = {
    "behaviour_incident": "BEH", "suspension": "FTE", "permanent_exclusion": "PEX",
    "referral": "REF", "police_contact": "PCON", "missing_episode": "MISS",
    "caution": "YC", "conditional_caution": "YCC", "court_disposal": "CRT",
}
_EPISODE_CODES = {
    "enrolment": "ROLL", "early_help": "EH", "child_in_need": "CIN",
    "child_protection": "CP", "looked_after": "LAC",
}
_SOURCE_CODES = {"police": "POL", "youth_justice": "YOT", "social_care": "CSC",
                 "school": "SCH"}
_ATTRIBUTE_CODES = {"sex": "GENDER", "ethnicity": "ETHNIC", "sen": "SEN_STATUS",
                    "fsm": "FSM_ELIGIBLE"}
_MEASURE_COLUMNS = {"sessions_possible": "Poss Sessions",
                    "authorised_absence": "Auth Abs", "unauthorised_absence": "Unauth Abs"}
UK = "%d/%m/%Y"


def _codes(values: pd.Series, known: Mapping[str, str]) -> dict[str, str]:
    """Local code -> canonical value for every value present (unknown: upper case)."""
    out: dict[str, str] = {}
    for v in sorted(values.dropna().unique()):
        code = known.get(v, str(v).upper().replace(" ", "_"))
        while code in out and out[code] != v:
            code += "X"
        out[code] = v
    return out


def _encode(values: pd.Series, codes: dict[str, str]) -> pd.Series:
    return values.map({v: k for k, v in codes.items()})


def _number(v: pd.Series) -> pd.Series:
    """Numbers as people write them: 2 not 2.0, but exact for fractions."""
    v = v.astype("float64")
    whole = v.notna() & (v % 1 == 0)
    text = v.map(repr).where(v.notna())
    ints = v.where(whole).astype("Int64").astype("str")
    return text.where(~whole, ints)


def _date(s: pd.Series, fmt: str) -> pd.Series:
    return pd.to_datetime(s).dt.strftime(fmt)


def _padded(ids: pd.Series) -> pd.Series:
    """Every seventh identifier with stray spaces, as hand-keyed systems produce."""
    pad = np.arange(len(ids)) % 7 == 3
    return ids.where(~pad, " " + ids.astype("str") + " ")


def _extras(table: str, df: pd.DataFrame) -> dict[str, str]:
    return {c: str(c).replace("_", " ").title() + " (local)" if table != "people"
            else str(c).replace("_", " ").title()
            for c in df.columns if c not in TABLES[table].names}


def _write(df: pd.DataFrame, path: Path, record_id: str | None = None,
           **kw: Any) -> None:
    """Write a CSV; ``record_id`` adds the system's own row id as the first column
    (real exports have one; it keeps two same-day incidents distinct)."""
    if record_id is not None:
        df = df.copy()
        df.insert(0, record_id, [f"{i + 1:07d}" for i in range(len(df))])
    df.to_csv(path, index=False, **kw)


def write_messy_exports(tables: Mapping[str, pd.DataFrame], out_dir: str | Path
                        ) -> Path:
    """Write a cohort as messy multi-agency CSV exports plus a mapping that reads them.

    Parameters
    ----------
    tables : CanonicalTables or mapping of table name to DataFrame
        A canonical cohort (people must be present).
    out_dir : str or Path
        Folder to write into (created if needed).

    Returns
    -------
    Path
        The ``mapping.yaml`` written; ``load_mapping`` on it gives back the same
        rows as ``tables``.

    Examples
    --------
    >>> import tempfile
    >>> people = pd.DataFrame({"person_id": ["P1", "P2"],
    ...                        "date_of_birth": ["2010-01-05", "2011-03-02"]})
    >>> events = pd.DataFrame({"person_id": ["P1"], "event_date": ["2021-02-01"],
    ...                        "source": ["school"], "event_type": ["suspension"],
    ...                        "value": [2.0]})
    >>> path = write_messy_exports({"people": people, "events": events},
    ...                            tempfile.mkdtemp())
    >>> sorted(p.name for p in path.parent.iterdir())
    ['mapping.yaml', 'mis_behaviour.csv', 'mis_pupils.csv']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = {name: coerce_table(name, df) for name, df in tables.items() if name in TABLES}
    if "people" not in t:
        raise ValueError("a cohort needs a people table")
    spec: dict[str, list[dict[str, Any]]] = {}
    spec["people"] = [_people(t["people"], out)]
    events = t.get("events")
    if events is not None and len(events):
        spec["events"] = _events(events, out)
    episodes = t.get("episodes")
    if episodes is not None and len(episodes):
        spec["episodes"] = _episodes(episodes, out)
    periods = t.get("periods")
    if periods is not None and len(periods):
        spec["periods"] = [_periods(periods, out)]
    chars = t.get("characteristics")
    if chars is not None and len(chars):
        spec["characteristics"] = [_characteristics(chars, out)]
    return _write_mapping(t, spec, out)


def _people(df: pd.DataFrame, out: Path) -> dict[str, Any]:
    extras = _extras("people", df)
    data = pd.DataFrame({"UPN": _padded(df["person_id"]),
                         "Date of Birth": _date(df["date_of_birth"], UK)})
    for c, header in extras.items():
        data[header] = df[c].to_numpy()
    # Excel's "CSV UTF-8" starts with a byte-order mark
    _write(data, out / "mis_pupils.csv", encoding="utf-8-sig")
    src: dict[str, Any] = {"file": "mis_pupils.csv",
                           "columns": {"person_id": "UPN", "date_of_birth": "Date of Birth"},
                           "date_format": UK}
    if extras:
        src["extra_columns"] = extras
    return src


def _event_file(df: pd.DataFrame, *, id_col: str, date_col: str, fmt: str,
                source: str | None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The columns every event export shares, and the mapping that reads them."""
    type_codes = _codes(df["event_type"], _EVENT_CODES)
    data = pd.DataFrame({
        id_col: _padded(df["person_id"]).to_numpy(),
        date_col: _date(df["event_date"], fmt).to_numpy(),
        "Type": _encode(df["event_type"], type_codes).to_numpy(),
        "Amount": _number(df["value"]).to_numpy(),
        "Entered": _date(df["recorded_at"], fmt).to_numpy(),
    })
    src: dict[str, Any] = {
        "columns": {"person_id": id_col, "event_date": date_col, "event_type": "Type",
                    "value": "Amount", "recorded_at": "Entered"},
        "codes": {"event_type": type_codes},
    }
    if source is None:
        source_codes = _codes(df["source"], _SOURCE_CODES)
        data.insert(2, "Agency", _encode(df["source"], source_codes).to_numpy())
        src["columns"]["source"] = "Agency"
        src["codes"]["source"] = source_codes
    else:
        src["values"] = {"source": source}
    extras = _extras("events", df)
    for c, header in extras.items():
        data[header] = df[c].to_numpy()
    if extras:
        src["extra_columns"] = extras
    return data, src


def _events(df: pd.DataFrame, out: Path) -> list[dict[str, Any]]:
    sources = []
    school = df[df["source"] == "school"]
    if len(school):
        data, src = _event_file(school, id_col="Pupil UPN", date_col="Incident Date",
                                fmt=UK, source="school")
        _write(data, out / "mis_behaviour.csv", "Incident ID", sep=";",
               encoding="utf-8-sig")
        sources.append({"file": "mis_behaviour.csv", "delimiter": ";",
                        "date_format": UK, **src})
    care = df[df["source"] == "social_care"]
    if len(care):
        data, src = _event_file(care, id_col="Child ID", date_col="Contact Date",
                                fmt="%Y-%m-%d", source="social_care")
        _write(data, out / "cms_contacts.csv", "Contact ID")
        sources.append({"file": "cms_contacts.csv", **src})
    other = df[~df["source"].isin(["school", "social_care"])]
    if len(other):
        data, src = _event_file(other, id_col="Subject Ref", date_col="Occurred",
                                fmt="%d-%b-%Y", source=None)
        _write(data, out / "police_yj_extract.csv", "Occurrence Ref", encoding="cp1252")
        sources.append({"file": "police_yj_extract.csv", "encoding": "cp1252",
                        "date_format": "%d-%b-%Y", **src})
    return sources


def _episode_file(df: pd.DataFrame, *, id_col: str, fmt: str
                  ) -> tuple[pd.DataFrame, dict[str, Any]]:
    type_codes = _codes(df["episode_type"], _EPISODE_CODES)
    source_codes = _codes(df["source"], _SOURCE_CODES)
    data = pd.DataFrame({
        id_col: _padded(df["person_id"]).to_numpy(),
        "Service": _encode(df["source"], source_codes).to_numpy(),
        "Episode": _encode(df["episode_type"], type_codes).to_numpy(),
        "Start": _date(df["start_date"], fmt).to_numpy(),
        "End": _date(df["end_date"], fmt).to_numpy(),
        "Recorded": _date(df["recorded_at"], fmt).to_numpy(),
    })
    src: dict[str, Any] = {
        "columns": {"person_id": id_col, "source": "Service", "episode_type": "Episode",
                    "start_date": "Start", "end_date": "End", "recorded_at": "Recorded"},
        "codes": {"source": source_codes, "episode_type": type_codes},
    }
    extras = _extras("episodes", df)
    for c, header in extras.items():
        data[header] = df[c].to_numpy()
    if extras:
        src["extra_columns"] = extras
    return data, src


def _episodes(df: pd.DataFrame, out: Path) -> list[dict[str, Any]]:
    sources = []
    school = df[df["source"] == "school"]
    if len(school):
        data, src = _episode_file(school, id_col="UPN", fmt=UK)
        _write(data, out / "mis_rolls.csv", "Roll ID", encoding="utf-8-sig")
        sources.append({"file": "mis_rolls.csv", "date_format": UK, **src})
    other = df[df["source"] != "school"]
    if len(other):
        data, src = _episode_file(other, id_col="Child ID", fmt="%Y-%m-%d")
        _write(data, out / "cms_episodes.csv", "Episode ID")
        sources.append({"file": "cms_episodes.csv", **src})
    return sources


def _census_shape(df: pd.DataFrame) -> bool:
    """True when every person-period has exactly the three census measures once."""
    if not set(df["measure"]) <= set(_MEASURE_COLUMNS) or df["recorded_at"].notna().any():
        return False
    key = ["person_id", "period_start", "period_end"]
    if len(_extras("periods", df)):
        return False
    n = df.groupby(key)["measure"].agg(["size", "nunique"])
    return bool((n["size"] == 3).all() and (n["nunique"] == 3).all())


def _periods(df: pd.DataFrame, out: Path) -> dict[str, Any]:
    key = ["person_id", "period_start", "period_end"]
    if _census_shape(df):
        wide = df.pivot(index=key, columns="measure", values="value").reset_index()
        data = pd.DataFrame({
            "UPN": wide["person_id"].to_numpy(),
            "Term Start": _date(wide["period_start"], UK).to_numpy(),
            "Term End": _date(wide["period_end"], UK).to_numpy(),
        })
        for measure, header in _MEASURE_COLUMNS.items():
            data[header] = _number(wide[measure]).to_numpy()
        _write(data, out / "census_attendance.csv", "Return ID")
        return {"file": "census_attendance.csv", "date_format": UK,
                "columns": {"person_id": "UPN", "period_start": "Term Start",
                            "period_end": "Term End"},
                "measures": {m: h for m, h in _MEASURE_COLUMNS.items()}}
    data = pd.DataFrame({
        "UPN": df["person_id"].to_numpy(),
        "From": _date(df["period_start"], UK).to_numpy(),
        "To": _date(df["period_end"], UK).to_numpy(),
        "Measure": df["measure"].to_numpy(),
        "Count": _number(df["value"]).to_numpy(),
        "Recorded": _date(df["recorded_at"], UK).to_numpy(),
    })
    src: dict[str, Any] = {
        "file": "attendance_counts.csv", "date_format": UK,
        "columns": {"person_id": "UPN", "period_start": "From", "period_end": "To",
                    "measure": "Measure", "value": "Count", "recorded_at": "Recorded"}}
    extras = _extras("periods", df)
    for c, header in extras.items():
        data[header] = df[c].to_numpy()
    if extras:
        src["extra_columns"] = extras
    _write(data, out / "attendance_counts.csv", "Return ID")
    return src


def _characteristics(df: pd.DataFrame, out: Path) -> dict[str, Any]:
    codes = _codes(df["attribute"], _ATTRIBUTE_CODES)
    data = pd.DataFrame({
        "UPN": _padded(df["person_id"]).to_numpy(),
        "Field": _encode(df["attribute"], codes).to_numpy(),
        "Value": df["value"].to_numpy(),
        "From": _date(df["valid_from"], UK).to_numpy(),
        "To": _date(df["valid_to"], UK).to_numpy(),
    })
    src: dict[str, Any] = {
        "file": "mis_characteristics.csv", "date_format": UK,
        "columns": {"person_id": "UPN", "attribute": "Field", "value": "Value",
                    "valid_from": "From", "valid_to": "To"},
        "codes": {"attribute": codes}}
    extras = _extras("characteristics", df)
    for c, header in extras.items():
        data[header] = df[c].to_numpy()
    if extras:
        src["extra_columns"] = extras
    _write(data, out / "mis_characteristics.csv", "Record ID")
    return src


def _write_mapping(t: dict[str, pd.DataFrame], spec: dict[str, list[dict[str, Any]]],
                   out: Path) -> Path:
    dates = [df[c.name] for name, df in t.items() for c in TABLES[name].columns
             if c.kind == "date" and len(df)]
    every = pd.concat(dates).dropna() if dates else pd.Series([], dtype="datetime64[us]")
    head: dict[str, Any] = {"dayfirst": True}
    if len(every):
        last, first = pd.Timestamp(every.max()), pd.Timestamp(every.min())
        head["extract_date"] = last.date()
        if first < pd.Timestamp("1990-01-01"):
            head["earliest_date"] = first.date()
    tables = {name: (srcs[0] if len(srcs) == 1 else srcs) for name, srcs in spec.items()}
    text = yaml.safe_dump({**head, "tables": tables}, sort_keys=False,
                          allow_unicode=True, width=88)
    path = out / "mapping.yaml"
    path.write_text(
        "# Maps the exports in this folder onto earlysignal's canonical tables.\n"
        "# Check it with: earlysignal validate mapping.yaml\n"
        "# To pseudonymise on load, add `pseudonymise: true` and set the key in\n"
        "# the environment variable EARLYSIGNAL_PSEUDONYM_KEY.\n" + text,
        encoding="utf-8",
    )
    return path
