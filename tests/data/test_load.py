"""Loading a mapping: set-aside accounting, SQL and Parquet sources, the report,
validate_tables, and the round trip through the messy exports."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earlysignal.data._load import load_mapping
from earlysignal.data._load_report import LoadReport
from earlysignal.data._tables import CanonicalTables
from earlysignal.data._validate import validate_tables
from earlysignal.data.synth._messy import write_messy_exports
from earlysignal.errors import DataError

PEOPLE_MAP = "  people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"


def write(tmp: Path, files: dict[str, str], mapping: str) -> Path:
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    path = tmp / "mapping.yaml"
    path.write_text(mapping, encoding="utf-8")
    return path


def by_source(report: LoadReport) -> dict[str, dict[str, int]]:
    return {s.source: dict(s.set_aside) for s in report.sources}


# ------------------------------------------------------------ set-aside rows


@pytest.fixture
def messy_load(tmp_path: Path) -> tuple[CanonicalTables, LoadReport]:
    pupils = (
        "UPN,DOB\n"
        "A1,05/01/2010\n"       # 2 used
        "B2,02/03/2011\n"       # 3 used
        "B2,02/03/2012\n"       # 4 duplicate person_id
        "C3,01/01/2030\n"       # 5 date of birth in the future
        ",01/01/2010\n"         # 6 missing person_id
        "D4,01/01/1985\n"       # 7 date before 1990
        "\n"                    # 8 blank line
        "E5,07/07/2012\n"       # 9 used
    )
    behaviour = (
        "UPN,Date,Code,Days,Entered\n"
        "A1,01/02/2021,FTE,2,\n"          # 2 used
        "A1,01/02/2021,FTE,2,\n"          # 3 duplicate
        "C3,01/02/2021,FTE,1,\n"          # 4 unknown person (set aside in people)
        "Z9,01/02/2021,FTE,1,\n"          # 5 unknown person
        "B2,01/10/2024,FTE,1,\n"          # 6 date after extract
        "B2,01/02/2021,XYZ,1,\n"          # 7 unmapped code in event_type
        "B2,01/02/2021,PEX,-1,\n"         # 8 negative value
        "B2,01/02/2021,PEX,,\n"           # 9 used (empty value means 1)
        "B2,01/02/1989,PEX,1,\n"          # 10 date before 1990
        "E5,01/08/2024,FTE,1,02/09/2024\n"  # 11 recorded after extract
        "E5,,FTE,1,\n"                    # 12 missing event_date
    )
    episodes = (
        "ChildID,Start,End,Type\n"
        "A1,2021-01-01,2021-06-01,CIN\n"  # 2 used
        "A1,2021-06-01,2021-01-01,CIN\n"  # 3 end before start
        "B2,2021-01-01,,CP\n"             # 4 used (open)
    )
    census = (
        "UPN,Start,End,Poss,Auth,Unauth\n"
        "A1,01/09/2020,31/12/2020,120,4,2\n"   # 3 values used
        "B2,01/09/2020,31/12/2020,100,60,50\n"  # 3 values: absence > possible
        "E5,01/09/2020,31/12/2020,120,-3,\n"   # possible used, negative, missing
    )
    chars = (
        "UPN,Field,Value,From,To\n"
        "A1,sex,F,01/09/2019,\n"               # 2 used
        "A1,fsm,yes,01/09/2020,01/09/2019\n"   # 3 end before start
    )
    mapping = (
        "extract_date: 2024-08-31\nmax_set_aside: 0.5\n"
        "tables:\n" + PEOPLE_MAP +
        "  events:\n    file: behaviour.csv\n"
        "    columns: {person_id: UPN, event_date: Date, event_type: Code, value: Days,"
        " recorded_at: Entered}\n"
        "    values: {source: school}\n"
        "    codes: {event_type: {FTE: suspension, PEX: permanent_exclusion}}\n"
        "    unmapped_codes: set_aside\n"
        "  episodes:\n    file: episodes.csv\n"
        "    columns: {person_id: ChildID, start_date: Start, end_date: End,"
        " episode_type: Type}\n"
        "    values: {source: social_care}\n"
        "  periods:\n    file: census.csv\n"
        "    columns: {person_id: UPN, period_start: Start, period_end: End}\n"
        "    measures: {sessions_possible: Poss, authorised_absence: Auth,"
        " unauthorised_absence: Unauth}\n"
        "  characteristics:\n    file: chars.csv\n"
        "    columns: {person_id: UPN, attribute: Field, value: Value,"
        " valid_from: From, valid_to: To}\n"
    )
    path = write(tmp_path, {"pupils.csv": pupils, "behaviour.csv": behaviour,
                            "episodes.csv": episodes, "census.csv": census,
                            "chars.csv": chars}, mapping)
    return load_mapping(path)


def test_every_set_aside_reason_is_counted(messy_load) -> None:
    tables, report = messy_load
    assert by_source(report) == {
        "pupils.csv": {"blank line": 1, "missing person_id": 1,
                       "date before 1990-01-01": 1, "date of birth in the future": 1,
                       "duplicate person_id with different details": 1},
        "behaviour.csv": {"unmapped code in event_type": 1, "missing event_date": 1,
                          "negative value": 1, "date before 1990-01-01": 1,
                          "date after extract date": 2, "duplicate": 1,
                          "unknown person": 2},
        "episodes.csv": {"end before start": 1},
        "census.csv": {"missing value": 1, "negative value": 1,
                       "absence more than sessions possible": 3},
        "chars.csv": {"end before start": 1},
    }
    assert report.totals_balance()
    reads = {s.source: (s.read, s.used, s.unit) for s in report.sources}
    assert reads == {"pupils.csv": (8, 3, "line"), "behaviour.csv": (11, 2, "line"),
                     "episodes.csv": (2 + 1, 2, "line"), "census.csv": (9, 4, "value"),
                     "chars.csv": (2, 1, "line")}
    assert tables["people"]["person_id"].tolist() == ["A1", "B2", "E5"]
    assert tables["events"]["value"].tolist() == [2.0, 1.0]
    assert tables["periods"]["measure"].tolist() == [
        "sessions_possible", "sessions_possible", "authorised_absence",
        "unauthorised_absence"]


def test_examples_name_the_lines(messy_load) -> None:
    _, report = messy_load
    beh = next(s for s in report.sources if s.source == "behaviour.csv")
    assert beh.examples["unknown person"] == [4, 5]
    assert beh.examples["date after extract date"] == [6, 11]
    census = next(s for s in report.sources if s.source == "census.csv")
    assert census.examples["absence more than sessions possible"] == [3, 3, 3]
    assert "unknown person: 2 (lines 4, 5)" in report.summary()


def test_report_outputs(messy_load) -> None:
    _, report = messy_load
    frame = report.to_frame()
    assert list(frame.columns) == ["table", "source", "unit", "read", "used",
                                   "set_aside", "reasons"]
    assert (frame["read"] == frame["used"] + frame["set_aside"]).all()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["totals_balance"] is True and len(data["sources"]) == 5
    long = report.set_aside_frame()
    assert long["count"].sum() == frame["set_aside"].sum()
    assert report.table_totals().loc["events", "read"] == 11
    assert "extract date 2024-08-31" in report.summary()
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(report.to_rich())
    assert "behaviour.csv" in console.export_text()


# ------------------------------------------------------------ sources


def test_sqlite_and_duckdb_queries(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "police.db") as con:
        con.execute("CREATE TABLE contacts (child TEXT, day TEXT, kind TEXT)")
        con.executemany("INSERT INTO contacts VALUES (?, ?, ?)",
                        [("A1", "2021-03-04", "PC"), ("B2", "2021-05-06", "MS")])
    with duckdb.connect(str(tmp_path / "yj.duckdb")) as con:
        con.execute("CREATE TABLE outcomes AS SELECT 'A1' AS child, "
                    "DATE '2022-01-02' AS day, 'caution' AS kind")
    path = write(tmp_path, {"pupils.csv": "UPN,DOB\nA1,05/01/2010\nB2,02/03/2011\n"},
                 "tables:\n" + PEOPLE_MAP + "  events:\n"
                 "    - query: SELECT child, day, kind FROM contacts\n"
                 "      connection: sqlite:///police.db\n"
                 "      name: police contacts\n"
                 "      columns: {person_id: child, event_date: day, event_type: kind}\n"
                 "      values: {source: police}\n"
                 "      codes: {event_type: {PC: police_contact, MS: missing_episode}}\n"
                 "    - query: SELECT * FROM outcomes\n"
                 "      connection: duckdb:///yj.duckdb\n"
                 "      columns: {person_id: child, event_date: day, event_type: kind}\n"
                 "      values: {source: youth_justice}\n")
    tables, report = load_mapping(path)
    ev = tables["events"]
    assert ev[["person_id", "source", "event_type"]].values.tolist() == [
        ["A1", "police", "police_contact"], ["B2", "police", "missing_episode"],
        ["A1", "youth_justice", "caution"]]
    assert ev["event_date"].tolist() == [pd.Timestamp(d) for d in
                                         ("2021-03-04", "2021-05-06", "2022-01-02")]
    assert [s.source for s in report.sources][1:] == [
        "police contacts on sqlite:///police.db",
        "query 'SELECT * FROM outcomes' on duckdb:///yj.duckdb"]
    assert all(s.unit == "row" for s in report.sources[1:])


def test_parquet_source_with_numeric_ids(tmp_path: Path) -> None:
    pd.DataFrame({"id": [101, 102], "dob": pd.to_datetime(["2010-01-05", "2011-02-03"])}
                 ).to_parquet(tmp_path / "people.parquet")
    path = write(tmp_path, {}, "tables:\n  people: {file: people.parquet, "
                 "columns: {person_id: id, date_of_birth: dob}}\n")
    tables, report = load_mapping(path)
    assert tables["people"]["person_id"].tolist() == ["101", "102"]
    assert report.sources[0].unit == "row" and report.sources[0].used == 2


def test_wide_attributes_codes_keep_and_keys_as_written(tmp_path: Path) -> None:
    pupils = "UPN,DOB,Gender,FSM,Start\nA1,05/01/2010,1,Y,01/09/2019\n" \
             "B2,02/03/2011,2,N,01/09/2019\nC3,03/03/2011,9,Y,01/09/2019\n"
    path = write(tmp_path, {"pupils.csv": pupils},
                 "tables:\n" + PEOPLE_MAP +
                 "  characteristics:\n    file: pupils.csv\n"
                 "    columns: {person_id: UPN, valid_from: Start}\n"
                 "    attributes: {sex: Gender, fsm: FSM}\n"
                 "    codes: {value: {1: F, 2: M, Y: yes, N: no}}\n"
                 "    unmapped_codes: keep\n")
    tables, report = load_mapping(path)
    ch = tables["characteristics"].sort_values(["person_id", "attribute"])
    assert ch[["person_id", "attribute", "value"]].values.tolist() == [
        ["A1", "fsm", "yes"], ["A1", "sex", "F"], ["B2", "fsm", "no"],
        ["B2", "sex", "M"], ["C3", "fsm", "yes"], ["C3", "sex", "9"]]
    src = report.sources[1]
    assert (src.unit, src.read, src.used) == ("value", 6, 6)


def test_constant_value_for_missing_column_and_extra_columns(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": "UPN,DOB,School\nA1,05/01/2010,SCH01\n"},
                 "tables:\n  people: {file: pupils.csv, columns: {person_id: UPN, "
                 "date_of_birth: DOB}, extra_columns: {school: School}}\n")
    tables, _ = load_mapping(path)
    assert tables["people"].columns.tolist() == ["person_id", "date_of_birth", "school"]
    assert tables["people"]["school"].tolist() == ["SCH01"]


def test_dayfirst_false_reads_us_dates(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": "UPN,DOB\nA1,01/05/2010\nB2,12/31/2010\n"},
                 "dayfirst: false\ntables:\n" + PEOPLE_MAP)
    tables, _ = load_mapping(path)
    assert tables["people"]["date_of_birth"].tolist() == [
        pd.Timestamp("2010-01-05"), pd.Timestamp("2010-12-31")]


def test_ambiguous_dates_read_dayfirst_by_default(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": "UPN,DOB\nA1,01/05/2010\nB2,2/3/2011\n"},
                 "tables:\n" + PEOPLE_MAP)
    tables, _ = load_mapping(path)
    assert tables["people"]["date_of_birth"].tolist() == [
        pd.Timestamp("2010-05-01"), pd.Timestamp("2011-03-02")]


def test_iso_datetimes_drop_the_time(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": "UPN,DOB\nA1,2010-05-01 13:45:00\n"},
                 "tables:\n" + PEOPLE_MAP)
    tables, _ = load_mapping(path)
    assert tables["people"]["date_of_birth"].tolist() == [pd.Timestamp("2010-05-01")]


# ------------------------------------------------------------ validate_tables


def test_validate_tables_counts_and_names_rows() -> None:
    people = pd.DataFrame({"person_id": ["a", "b"],
                           "date_of_birth": ["2010-01-05", "2011-03-02"]})
    episodes = pd.DataFrame({
        "person_id": ["a", "a", "b"],
        "start_date": pd.to_datetime(["2020-01-01", "2020-05-01", "2025-01-01"]),
        "end_date": pd.to_datetime(["2020-02-01", "2020-04-01", None]),
        "source": "social_care", "episode_type": "child_in_need"})
    tables, report = validate_tables({"people": people, "episodes": episodes},
                                     extract_date="2024-08-31", max_set_aside=0.5)
    assert len(tables["episodes"]) == 1
    assert report.sources[1].set_aside == {"date after extract date": 1,
                                           "end before start": 1}
    assert report.sources[1].examples == {"date after extract date": [3],
                                          "end before start": [2]}
    assert report.totals_balance()


def test_validate_tables_missing_column_and_bad_values() -> None:
    people = pd.DataFrame({"person_id": ["a"], "DateOfBirth": ["2010-01-05"]})
    with pytest.raises(DataError, match=r"people.csv, column 'date_of_birth': has no "
                       r"column 'date_of_birth'.*did you mean 'DateOfBirth'"):
        validate_tables({"people": people}, file_names={"people": "people.csv"})
    events = pd.DataFrame({"person_id": ["a", "a"], "event_date": ["2021-01-01", "x"],
                           "source": "school", "event_type": "suspension"})
    with pytest.raises(DataError, match=r"events table, column 'event_date': 1 "
                       r"value\(s\) cannot be read as dates: row 2 \('x'\)"):
        validate_tables({"events": events})


def test_validate_tables_rejects_unknown_table() -> None:
    with pytest.raises(DataError, match="unknown canonical table"):
        validate_tables({"event": pd.DataFrame()})


# ------------------------------------------------------------ property


rows = st.lists(
    st.tuples(st.sampled_from(["A1", "B2", "Z9", ""]),
              st.integers(-400, 400),             # days from 2022-01-01
              st.sampled_from(["FTE", "PEX", "XX"]),
              st.sampled_from(["1", "2", "-1", ""])),
    min_size=1, max_size=30)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows)
def test_report_balances_and_matches_naive_filter(tmp_path: Path, rows) -> None:
    extract = pd.Timestamp("2022-06-30")
    lines = ["UPN,Date,Code,Days"]
    for pid, day, code, days in rows:
        d = pd.Timestamp("2022-01-01") + pd.Timedelta(days=day)
        lines.append(f"{pid},{d:%d/%m/%Y},{code},{days}")
    path = write(tmp_path, {"pupils.csv": "UPN,DOB\nA1,05/01/2010\nB2,02/03/2011\n",
                            "b.csv": "\n".join(lines) + "\n"},
                 "extract_date: 2022-06-30\nmax_set_aside: 1\ntables:\n" + PEOPLE_MAP +
                 "  events:\n    file: b.csv\n    columns: {person_id: UPN, "
                 "event_date: Date, event_type: Code, value: Days}\n"
                 "    values: {source: school}\n    unmapped_codes: set_aside\n"
                 "    codes: {event_type: {FTE: suspension, PEX: permanent_exclusion}}\n")
    tables, report = load_mapping(path)
    assert report.totals_balance()
    src = report.sources[1]
    assert src.read == len(rows)
    seen, expected = set(), []
    for pid, day, code, days in rows:
        d = pd.Timestamp("2022-01-01") + pd.Timedelta(days=day)
        value = float(days) if days else 1.0
        if not pid or code == "XX" or value < 0 or d > extract or pid == "Z9":
            continue
        key = (pid, d, code, value)
        if key not in seen:
            seen.add(key)
            expected.append(key)
    got = tables["events"]
    assert src.used == len(got) == len(expected)
    codes = {"FTE": "suspension", "PEX": "permanent_exclusion"}
    assert got[["person_id", "event_date", "event_type", "value"]].values.tolist() == [
        [p, d, codes[c], v] for p, d, c, v in expected]


# ------------------------------------------------------------ messy exports


def small_cohort(seed: int = 0, n: int = 40) -> CanonicalTables:
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(n)]
    people = pd.DataFrame({
        "person_id": ids,
        "date_of_birth": pd.Timestamp("2007-09-01")
        + pd.to_timedelta(rng.integers(0, 2500, n), unit="D"),
        "school": [f"SCH{i % 5 + 1:02d}" for i in range(n)],
        "team": rng.choice(["North", "South", "East"], n)})
    kinds = {"school": ["behaviour_incident", "suspension", "permanent_exclusion"],
             "police": ["police_contact", "missing_episode"],
             "social_care": ["referral"],
             "youth_justice": ["caution", "conditional_caution", "court_disposal"]}
    m = 150
    src = rng.choice(list(kinds), m)
    events = pd.DataFrame({
        "person_id": rng.choice(ids, m),
        "event_date": pd.Timestamp("2019-09-01")
        + pd.to_timedelta(rng.integers(0, 1800, m), unit="D"),
        "source": src,
        "event_type": [rng.choice(kinds[s]) for s in src]})
    events["value"] = np.where(events["event_type"] == "suspension",
                               rng.integers(1, 6, m) + 0.5 * rng.integers(0, 2, m), 1.0)
    events["recorded_at"] = events["event_date"] + pd.to_timedelta(
        rng.integers(0, 40, m), unit="D")
    events.loc[events.index % 3 == 0, "recorded_at"] = pd.NaT
    types = ["enrolment", "early_help", "child_in_need", "child_protection",
             "looked_after"]
    k = 60
    etype = rng.choice(types, k)
    start = pd.Timestamp("2019-09-01") + pd.to_timedelta(rng.integers(0, 1500, k),
                                                         unit="D")
    end = start + pd.to_timedelta(rng.integers(1, 300, k), unit="D")
    episodes = pd.DataFrame({
        "person_id": rng.choice(ids, k), "start_date": start,
        "end_date": end.where(rng.random(k) > 0.3),
        "source": np.where(etype == "enrolment", "school", "social_care"),
        "episode_type": etype, "recorded_at": pd.NaT})
    terms = [("2020-09-01", "2020-12-31"), ("2021-01-01", "2021-03-31"),
             ("2021-04-01", "2021-07-31")]
    per = []
    for p in ids[:20]:
        for s, e in terms:
            poss = float(rng.integers(100, 140))
            auth = float(rng.integers(0, 10))
            per += [(p, s, e, "sessions_possible", poss),
                    (p, s, e, "authorised_absence", auth),
                    (p, s, e, "unauthorised_absence", float(rng.integers(0, 10)))]
    periods = pd.DataFrame(per, columns=["person_id", "period_start", "period_end",
                                         "measure", "value"])
    chars = pd.DataFrame({
        "person_id": ids * 3, "attribute": ["sex"] * n + ["sen"] * n + ["fsm"] * n,
        "value": list(rng.choice(["F", "M"], n))
        + list(rng.choice(["none", "sen_support", "ehcp"], n))
        + list(rng.choice(["yes", "no"], n)),
        "valid_from": pd.Timestamp("2019-09-01"),
        "valid_to": [pd.Timestamp("2022-08-31") if i % 4 == 0 else pd.NaT
                     for i in range(3 * n)]})
    return CanonicalTables.from_frames({
        "people": people, "events": events.drop_duplicates(), "episodes": episodes,
        "periods": periods, "characteristics": chars})


def as_rows(df: pd.DataFrame) -> pd.DataFrame:
    cols = sorted(df.columns)
    return df[cols].sort_values(cols).reset_index(drop=True)


def test_messy_exports_round_trip(tmp_path: Path) -> None:
    cohort = small_cohort()
    mapping = write_messy_exports(cohort, tmp_path / "exports")
    files = sorted(p.name for p in mapping.parent.iterdir())
    assert files == ["census_attendance.csv", "cms_contacts.csv", "cms_episodes.csv",
                     "mapping.yaml", "mis_behaviour.csv", "mis_characteristics.csv",
                     "mis_pupils.csv", "mis_rolls.csv", "police_yj_extract.csv"]
    tables, report = load_mapping(mapping)
    assert report.totals_balance()
    assert all(not s.set_aside for s in report.sources), report.summary()
    for name in cohort:
        pd.testing.assert_frame_equal(as_rows(tables[name]), as_rows(cohort[name]))


def test_messy_exports_are_messy(tmp_path: Path) -> None:
    mapping = write_messy_exports(small_cohort(), tmp_path)
    pupils = (tmp_path / "mis_pupils.csv").read_bytes()
    assert pupils.startswith(b"\xef\xbb\xbfUPN,Date of Birth")
    behaviour = (tmp_path / "mis_behaviour.csv").read_text(encoding="utf-8-sig")
    assert behaviour.splitlines()[0] == (
        "Incident ID;Pupil UPN;Incident Date;Type;Amount;Entered")
    assert {"FTE", "PEX", "BEH"} <= {ln.split(";")[3] for ln in behaviour.splitlines()[1:]}
    police = pd.read_csv(tmp_path / "police_yj_extract.csv", dtype=str)
    assert police["Occurred"].str.match(r"^\d\d-[A-Z][a-z]{2}-\d{4}$").all()
    assert set(police["Agency"]) == {"POL", "YOT"}
    assert " P0" in pupils.decode("utf-8-sig")  # padded identifiers
    assert "pseudonymise" in mapping.read_text()


def test_messy_exports_long_periods_when_not_census_shaped(tmp_path: Path) -> None:
    cohort = small_cohort(n=10)
    periods = cohort["periods"].iloc[:4].copy()  # one period lacks two measures
    periods["recorded_at"] = pd.Timestamp("2021-01-15")
    frames = {n: cohort[n] for n in cohort}
    frames["periods"] = periods
    mapping = write_messy_exports(frames, tmp_path)
    assert (tmp_path / "attendance_counts.csv").exists()
    tables, _ = load_mapping(mapping)
    pd.testing.assert_frame_equal(as_rows(tables["periods"]),
                                  as_rows(CanonicalTables.from_frames(frames)["periods"]))


def test_rows_differing_only_in_an_unmapped_column_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": "UPN,DOB\nA1,05/01/2010\n",
                            "b.csv": "IncidentID,UPN,Date\n1,A1,01/02/2021\n"
                                     "2,A1,01/02/2021\n2,A1,01/02/2021\n"},
                 "tables:\n" + PEOPLE_MAP + "  events: {file: b.csv, columns: "
                 "{person_id: UPN, event_date: Date}, values: {source: school, "
                 "event_type: behaviour_incident}}\n")
    tables, report = load_mapping(path)
    assert len(tables["events"]) == 2
    assert report.sources[1].set_aside == {"duplicate": 1}
    assert report.sources[1].examples == {"duplicate": [4]}


def test_messy_exports_round_trip_on_the_synthetic_cohort(tmp_path: Path) -> None:
    from earlysignal.data.synth import SynthConfig, generate

    cohort = generate(SynthConfig(people=300, seed=11)).tables
    tables, report = load_mapping(write_messy_exports(cohort, tmp_path))
    assert report.totals_balance()
    assert sum(s.set_aside_total for s in report.sources) == 0, report.summary()
    for name in cohort:
        pd.testing.assert_frame_equal(as_rows(tables[name]), as_rows(cohort[name]))
