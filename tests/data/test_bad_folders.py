"""A folder of canonical Parquet tables goes through the same validation and load
report as a mapping: each bad table stops with a named error or is counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data import validate_folder
from earlysignal.errors import DataError

Frames = dict[str, pd.DataFrame]


def _clean() -> Frames:
    people = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
                           "date_of_birth": pd.to_datetime(
                               ["2010-01-05", "2011-03-02", "2009-07-30",
                                "2012-11-11"])})
    events = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
                           "event_date": pd.to_datetime(
                               ["2021-02-01", "2021-03-01", "2021-04-01",
                                "2021-05-01"]),
                           "source": "school", "event_type": "suspension",
                           "value": [1.0, 2.0, 1.0, 3.0]})
    periods = pd.DataFrame({"person_id": ["p1", "p1"], "period_start":
                            pd.to_datetime(["2020-09-01"] * 2), "period_end":
                            pd.to_datetime(["2020-12-31"] * 2),
                            "measure": ["sessions_possible", "unauthorised_absence"],
                            "value": [120.0, 4.0]})
    chars = pd.DataFrame({"person_id": ["p1", "p2"], "attribute": "sex",
                          "value": ["F", "M"],
                          "valid_from": pd.to_datetime(["2019-09-01"] * 2)})
    return {"people": people, "events": events, "periods": periods,
            "characteristics": chars}


def _set(table: str, col: str, row: int, value: object) -> Callable[[Frames], None]:
    def edit(f: Frames) -> None:
        df = f[table].astype({col: "object"}) if value is None or isinstance(
            value, str) else f[table]
        df.loc[row, col] = value
        f[table] = df
    return edit


def _append(table: str, row: int, **changes: object) -> Callable[[Frames], None]:
    def edit(f: Frames) -> None:
        extra = f[table].iloc[[row]].assign(**changes)
        f[table] = pd.concat([f[table], extra], ignore_index=True)
    return edit


def _drop(table: str, col: str) -> Callable[[Frames], None]:
    def edit(f: Frames) -> None:
        f[table] = f[table].drop(columns=[col])
    return edit


def _text_dates(fmt: str) -> Callable[[Frames], None]:
    def edit(f: Frames) -> None:
        f["people"]["date_of_birth"] = f["people"]["date_of_birth"].dt.strftime(fmt)
    return edit


@dataclass
class FolderCase:
    id: str
    edit: Callable[[Frames], None]
    fragments: list[str]  # of the error; empty when rows are counted instead
    counted: dict[str, dict[str, int]] | None = None  # file -> reason -> count
    rules: dict[str, object] | None = None


def _month_first_dobs(f: Frames) -> None:
    f["people"] = pd.DataFrame({
        "person_id": [f"p{i}" for i in range(1, 9)],
        "date_of_birth": [f"{m:02d}/01/2010" for m in range(1, 9)]})


def _adults(f: Frames) -> None:
    f["people"]["date_of_birth"] = pd.to_datetime(
        ["1975-01-05", "1961-03-02", "1980-07-30", "2001-11-11"])


CASES = [
    FolderCase("duplicate_person_id", _append("people", 0, date_of_birth=pd.Timestamp(
        "2005-01-01")), [], {"people.parquet": {
            "duplicate person_id with different details": 1}}, {"max_set_aside": 0.5}),
    FolderCase("null_person_id_in_events", _set("events", "person_id", 1, None), [],
               {"events.parquet": {"missing person_id": 1}}),
    FolderCase("null_person_id_in_people", _set("people", "person_id", 3, None), [],
               {"people.parquet": {"missing person_id": 1},
                "events.parquet": {"unknown person": 1}}),
    FolderCase("event_after_extract", _set("events", "event_date", 3,
                                           pd.Timestamp("2023-01-01")), [],
               {"events.parquet": {"date after extract date": 1}},
               {"extract_date": "2022-08-31", "max_set_aside": 0.5}),
    FolderCase("recorded_after_extract", lambda f: f["events"].assign(
        recorded_at=pd.NaT).pipe(lambda d: f.update(events=d.assign(
            recorded_at=pd.to_datetime([None, None, None, "2023-02-01"])))), [],
        {"events.parquet": {"date after extract date": 1}},
        {"extract_date": "2022-08-31", "max_set_aside": 0.5}),
    FolderCase("negative_count", _set("periods", "value", 1, -4.0), [],
               {"periods.parquet": {"negative value": 1}}),
    FolderCase("unknown_person", _set("events", "person_id", 0, "zz"), [],
               {"events.parquet": {"unknown person": 1}}),
    FolderCase("exact_duplicate_event", _append("events", 2), [],
               {"events.parquet": {"duplicate": 1}}),
    FolderCase("characteristic_clash", _append("characteristics", 0, value="M"), [],
               {"characteristics.parquet": {
                   "different values for one person, attribute and valid_from": 2}}),
    FolderCase("missing_event_date_column", _drop("events", "event_date"),
               ["events.parquet", "column 'event_date'", "has no column "
                "'event_date', which every events table needs", "columns found",
                "write the table with the canonical columns person_id, event_date"]),
    FolderCase("missing_dob_column_renamed", lambda f: f.update(people=f[
        "people"].rename(columns={"date_of_birth": "DateOfBirth"})),
        ["people.parquet", "did you mean 'DateOfBirth'? rename it to "
         "'date_of_birth'"]),
    FolderCase("infinite_value", _set("events", "value", 2, np.inf),
               ["events.parquet", "column 'value'", "infinite or implausibly large",
                "row 3 ('inf')"]),
    FolderCase("huge_value", _set("periods", "value", 0, 1e308),
               ["periods.parquet", "column 'value'", "above 1,000,000,000",
                "row 1 ('1e+308')"]),
    FolderCase("text_in_value", lambda f: f["periods"].__setitem__(
        "value", ["lots", "4"]),
               ["periods.parquet", "column 'value'", "not numbers", "row 1 ('lots')"]),
    FolderCase("us_text_dates", _text_dates("%m/%d/%Y"),
               ["people.parquet", "column 'date_of_birth'", "written month-first",
                "its values read with the format '%m/%d/%Y'"]),
    FolderCase("swapped_month_precision", _month_first_dobs,
               ["people.parquet", "every date reads as falling in January",
                "its text reads with '%m/%d/%Y'"]),
    FolderCase("adults_before_default_earliest", _adults,
               ["people.parquet", "3 of 4 rows (75%) would be set aside by the rule "
                "'date before 1990-01-01'", "set earliest_date: in the test config",
                "raise max_set_aside: (now 0.01)"]),
    FolderCase("adults_with_earliest_date", _adults, [],
               {"people.parquet": {}}, {"earliest_date": "1900-01-01"}),
    FolderCase("events_mostly_after_extract", _set("events", "event_date", 0,
                                                   pd.Timestamp("2030-01-01")),
               ["events.parquet", "1 of 4 rows (25%)", "'date after extract date'",
                "(now 2022-08-31)"], rules={"extract_date": "2022-08-31"}),
]


def _write(frames: Frames, folder: Path) -> None:
    folder.mkdir()
    for name, df in frames.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_folder_tables_are_validated(case: FolderCase, tmp_path: Path) -> None:
    frames = _clean()
    case.edit(frames)
    _write(frames, tmp_path / "data")
    rules = {"settings": "the test config", **(case.rules or {})}
    if case.fragments:
        with pytest.raises(DataError) as err:
            validate_folder(tmp_path / "data", **rules)  # type: ignore[arg-type]
        for fragment in case.fragments:
            assert fragment in str(err.value), f"{fragment!r} not in {err.value}"
        return
    tables, report = validate_folder(tmp_path / "data", **rules)  # type: ignore[arg-type]
    assert report.totals_balance()
    got = {s.source: s.set_aside for s in report.sources}
    for source, reasons in (case.counted or {}).items():
        assert got[source] == reasons
    others = {s for s in got if s not in (case.counted or {})}
    assert all(not got[s] for s in others), got
    for s in report.sources:  # every row read is used or counted
        table = tables[s.table]
        assert s.used == len(table) and s.read == len(frames[s.table])
    assert len(report.rejects) == sum(s.set_aside_total for s in report.sources)


def test_folder_without_people_or_with_a_damaged_table(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(DataError, match="has no people.parquet"):
        validate_folder(tmp_path / "a")
    frames = _clean()
    _write(frames, tmp_path / "b")
    (tmp_path / "b" / "events.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError) as err:
        validate_folder(tmp_path / "b")
    assert "events.parquet" in str(err.value) and "cannot be read as Parquet" in str(
        err.value)
