"""A corpus of malformed inputs: each must stop with our own error, naming the file,
the column, the first offending lines and the fix."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from earlysignal.data._load import load_mapping
from earlysignal.data._pseudonym import KEY_ENV_VAR
from earlysignal.errors import ConfigError, DataError, EarlysignalError

PUPILS = "UPN,DOB\nA1,05/01/2010\nB2,02/03/2011\nC3,11/11/2012\n"
PEOPLE = "  people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"
EVENTS_MAP = (
    "  events:\n"
    "    file: behaviour.csv\n"
    "    columns: {person_id: UPN, event_date: Date, event_type: Code, value: Days}\n"
    "    values: {source: school}\n"
    "    codes: {event_type: {FTE: suspension, PEX: permanent_exclusion}}\n"
)


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]
    mapping: str
    error: type[EarlysignalError]
    fragments: list[str]
    setup: str = ""  # name of an extra setup step
    env: dict[str, str] = field(default_factory=dict)


def people_case(id: str, pupils: str | bytes, fragments: list[str],
                extra_map: str = "", error: type[EarlysignalError] = DataError) -> Case:
    return Case(id, {"pupils.csv": pupils}, "tables:\n" + PEOPLE + extra_map, error,
                fragments)


def events_case(id: str, behaviour: str, fragments: list[str],
                events_map: str = EVENTS_MAP) -> Case:
    return Case(id, {"pupils.csv": PUPILS, "behaviour.csv": behaviour},
                "tables:\n" + PEOPLE + events_map, DataError, fragments)


CASES = [
    Case("file_not_found", {}, "tables:\n" + PEOPLE, DataError,
         ["pupils.csv", "file not found", "looked for", "correct file: under "
          "tables.people", "relative to the mapping file's folder"]),
    people_case("empty_file", "", ["pupils.csv", "is empty", "export finished"]),
    people_case("header_only", "UPN,DOB\n", ["pupils.csv", "is empty"]),
    people_case("semicolon_delimiter", "UPN;DOB\nA1;05/01/2010\n",
                ["pupils.csv", "single column named 'UPN;DOB'",
                 "Fix: set delimiter: ';' under tables.people"]),
    people_case("tab_delimiter", "UPN\tDOB\nA1\t05/01/2010\n",
                ["pupils.csv", "separated by '\\t'", "set delimiter: '\\t'"]),
    people_case("non_utf8_bytes", "UPN,DOB,Name\nA1,05/01/2010,Ann\nB2,02/03/2011,Zo\xe9\n"
                .encode("cp1252"),
                ["pupils.csv", "is not utf-8-sig text", "byte 0xe9", "line 3",
                 "set encoding: cp1252 under tables.people"]),
    people_case("missing_column_typo", "UPN,D.O.B\nA1,05/01/2010\n",
                ["pupils.csv", "column 'DOB'", "has no column 'DOB'",
                 "columns found: 'UPN', 'D.O.B'", "did you mean 'D.O.B'?",
                 "correct the column name under tables.people"]),
    people_case("missing_column_case", "upn,DOB\nA1,05/01/2010\n",
                ["has no column 'UPN'", "did you mean 'upn'?"]),
    people_case("unparseable_dates", "UPN,DOB\nA1,05/01/2010\nB2,31/02/2010\nC3,soon\n",
                ["pupils.csv", "column 'DOB'", "2 value(s) cannot be read as dates",
                 "lines 3 ('31/02/2010'), 4 ('soon')",
                 "expected dates like 31/12/2020 (%d/%m/%Y)", "set date_format:"]),
    people_case("mixed_date_formats",
                "UPN,DOB\nA1,05/01/2010\nB2,2011-03-02\nC3,11/11/2012\nD4,13/12/2012\n",
                ["column 'DOB'", "more than one format",
                 "most are like 31/12/2020 (%d/%m/%Y)", "line 3 ('2011-03-02')",
                 "export the column in one date format"]),
    people_case("us_dates_read_dayfirst", "UPN,DOB\nA1,01/05/2010\nB2,12/31/2010\n",
                ["column 'DOB'", "cannot be read as day-first dates",
                 "line 3 ('12/31/2010')", "written month-first (US style",
                 "Fix: set date_format: '%m/%d/%Y' under tables.people"]),
    Case("uk_dates_with_dayfirst_false", {"pupils.csv": PUPILS.replace("11/11", "30/11")
                                          .replace("05/01", "25/01")},
         "dayfirst: false\ntables:\n" + PEOPLE, DataError,
         ["column 'DOB'", "cannot be read as month-first dates",
          "lines 2 ('25/01/2010')", "written day-first (UK style",
          "remove dayfirst: false, or set date_format: '%d/%m/%Y'"]),
    Case(
        "explicit_format_mismatch", {"pupils.csv": PUPILS},
        "tables:\n  people: {file: pupils.csv, date_format: '%Y-%m-%d',\n"
        "           columns: {person_id: UPN, date_of_birth: DOB}}\n", DataError,
        ["pupils.csv", "3 date(s) do not match the format %Y-%m-%d",
         "lines 2 ('05/01/2010'), 3 ('02/03/2011')",
         "every value of the column reads as %d/%m/%Y",
         "set date_format: '%d/%m/%Y'"]),
    events_case("non_numeric_value",
                "UPN,Date,Code,Days\nA1,01/02/2021,FTE,2\nB2,02/02/2021,FTE,two\n",
                ["behaviour.csv", "column 'Days'", "1 value(s) are not numbers",
                 "line 3 ('two')", "use a dot for decimals"]),
    events_case("unmapped_codes",
                "UPN,Date,Code,Days\nA1,01/02/2021,FTE,2\nB2,02/02/2021,XYZ,1\n"
                "C3,03/02/2021,XYZ,1\nA1,04/02/2021,ABC,1\n",
                ["behaviour.csv", "column 'Code'", "2 code(s) have no mapping",
                 "'XYZ' (2 lines, first line 3)", "'ABC' (1 line, first line 5)",
                 "add them under codes: event_type: in tables.events",
                 "unmapped_codes: set_aside"]),
    events_case("event_date_column_missing",
                "UPN,IncidentDate,Code,Days\nA1,01/02/2021,FTE,2\n",
                ["behaviour.csv", "has no column 'Date' (needed for event_date)",
                 "did you mean 'IncidentDate'?"]),
    Case("wide_measure_not_numeric",
         {"pupils.csv": PUPILS, "census.csv": "UPN,Start,End,Poss,Auth,Unauth\n"
          "A1,01/09/2020,31/12/2020,120,2,1\nB2,01/09/2020,31/12/2020,120,n/k,1\n"},
         "tables:\n" + PEOPLE + "  periods:\n    file: census.csv\n"
         "    columns: {person_id: UPN, period_start: Start, period_end: End}\n"
         "    measures: {sessions_possible: Poss, authorised_absence: Auth,\n"
         "               unauthorised_absence: Unauth}\n", DataError,
         ["census.csv", "column 'Auth'", "not numbers", "line 3 ('n/k')"]),
    Case("unknown_attendance_mark",
         {"pupils.csv": PUPILS, "marks.csv": "UPN,Date,Mark\nA1,06/01/2021,/\n"
          "A1,06/01/2021,?\nB2,06/01/2021,ZZ\nB2,07/01/2021,?\n"},
         "tables:\n" + PEOPLE + "  periods:\n    - attendance_marks:\n"
         "        file: marks.csv\n"
         "        columns: {person_id: UPN, date: Date, mark: Mark}\n", DataError,
         ["marks.csv", "column 'Mark'", "2 mark(s) are not DfE attendance codes",
          "'?' (2 lines: 3, 5)", "'ZZ' (1 line: 4)", "codes: {'-': not_counted}",
          "unmapped_codes: set_aside"]),
    Case("marks_column_missing", {"pupils.csv": PUPILS,
                                  "marks.csv": "UPN,Day,Mark\nA1,06/01/2021,/\n"},
         "tables:\n" + PEOPLE + "  periods:\n    - attendance_marks:\n"
         "        file: marks.csv\n"
         "        columns: {person_id: UPN, date: Date, mark: Mark}\n", DataError,
         ["marks.csv", "has no column 'Date'", "did you mean 'Day'?",
          "tables.periods.attendance_marks"]),
    Case("yaml_column_typo", {"pupils.csv": PUPILS},
         "tables:\n" + PEOPLE + "  events:\n    file: b.csv\n"
         "    columns: {person_id: UPN, event_dat: Date, event_type: Code}\n"
         "    values: {source: school}\n", ConfigError,
         ["mapping.yaml has 2 problems",
          "tables.events.columns.event_dat: unknown canonical column of events "
          "(did you mean event_date?)",
          "tables.events: nothing gives the required column 'event_date'"]),
    Case("yaml_table_typo", {}, "tables:\n" + PEOPLE + "  event: {file: b.csv}\n",
         ConfigError, ["tables.event: unknown canonical table (did you mean events?)"]),
    Case("yaml_setting_typo", {},
         "tables:\n  people: {file: p.csv, colums: {person_id: UPN}}\n", ConfigError,
         ["tables.people.colums: unknown setting (did you mean columns?)"]),
    Case("yaml_syntax", {}, "tables:\n  people: {file: p.csv\n", ConfigError,
         ["mapping.yaml has 1 problem", "is not valid YAML"]),
    Case("yaml_many_problems", {},
         "extract_date: someday\ntables:\n  people: {file: p.xlsx, columns: "
         "{person_id: UPN, date_of_birth: DOB}}\n  events:\n  - {query: 'SELECT 1',"
         " columns: {person_id: a, event_date: b, source: c, event_type: d}}\n"
         "  - {file: e.csv, columns: {person_id: a, event_date: b, source: c, "
         "event_type: d}, unmapped_codes: ignore}\n", ConfigError,
         ["has 4 problems", "extract_date:", "tables.people.file: 'p.xlsx' is not a "
          "CSV or Parquet file (save the sheet as CSV UTF-8)",
          "tables.events[0].connection: needed with query:",
          "tables.events[1].unmapped_codes: input should be 'error', 'set_aside' or "
          "'keep', got 'ignore'"]),
    Case("no_people_table", {}, "tables:\n  events: {file: e.csv, columns: "
         "{person_id: a, event_date: b, source: c, event_type: d}}\n", ConfigError,
         ["tables.people: missing; every mapping needs the people table"]),
    Case("key_in_yaml", {"pupils.csv": PUPILS},
         "pseudonymise: true\nkey: hunter2hunter2hunter2\ntables:\n" + PEOPLE,
         ConfigError, ["key: a pseudonym key must never be written in the mapping",
                       "EARLYSIGNAL_PSEUDONYM_KEY", "key_file:"]),
    Case("pseudonymise_without_key", {"pupils.csv": PUPILS},
         "pseudonymise: true\ntables:\n" + PEOPLE, ConfigError,
         ["pseudonymise: true needs a key", "EARLYSIGNAL_PSEUDONYM_KEY"]),
    Case("key_file_not_found", {"pupils.csv": PUPILS},
         "pseudonymise: true\nkey_file: nokey.txt\ntables:\n" + PEOPLE, ConfigError,
         ["key_file: not found", "nokey.txt"]),
    Case("short_key", {"pupils.csv": PUPILS}, "pseudonymise: true\ntables:\n" + PEOPLE,
         ConfigError, ["the pseudonym key is 5 characters; use at least 16"],
         env={KEY_ENV_VAR: "short"}),
    Case("unknown_encoding", {}, "tables:\n  people: {file: p.csv, encoding: utf-9,"
         " columns: {person_id: UPN, date_of_birth: DOB}}\n", ConfigError,
         ["tables.people.encoding: unknown text encoding 'utf-9'"]),
    Case("bad_marks_category", {}, "tables:\n" + PEOPLE + "  periods:\n"
         "  - attendance_marks: {file: m.csv, period: fortnight, columns: "
         "{person_id: a, date: b, mark: c}, codes: {'-': not_countd}}\n", ConfigError,
         ["tables.periods[0].attendance_marks.period: input should be 'term', "
          "'month', 'week' or 'day', got 'fortnight'"]),
    Case("bad_marks_code_category", {}, "tables:\n" + PEOPLE + "  periods:\n"
         "  - attendance_marks: {file: m.csv, columns: {person_id: a, date: b, "
         "mark: c}, codes: {'-': not_countd}}\n", ConfigError,
         ["tables.periods[0].attendance_marks.codes.-: unknown category "
          "'not_countd' (did you mean not_counted?)"]),
    Case("sql_missing_table", {"pupils.csv": PUPILS},
         "tables:\n" + PEOPLE + "  events:\n    query: SELECT * FROM contactz\n"
         "    connection: sqlite:///cases.db\n    columns: {person_id: a, "
         "event_date: b, event_type: c}\n    values: {source: police}\n", DataError,
         ["query 'SELECT * FROM contactz' on sqlite:///cases.db", "the query failed",
          "no such table: contactz", "check table and column names"],
         setup="sqlite"),
    Case("sql_database_missing", {"pupils.csv": PUPILS},
         "tables:\n" + PEOPLE + "  events:\n    query: SELECT 1\n"
         "    connection: sqlite:///nothere.db\n    columns: {person_id: a, "
         "event_date: b, event_type: c}\n    values: {source: police}\n", DataError,
         ["sqlite:///nothere.db", "database file not found", "nothere.db"]),
    Case("duckdb_bad_column", {"pupils.csv": PUPILS},
         "tables:\n" + PEOPLE + "  events:\n    query: SELECT nope FROM contacts\n"
         "    connection: duckdb:///cases.duckdb\n    columns: {person_id: a, "
         "event_date: b, event_type: c}\n    values: {source: police}\n", DataError,
         ["query 'SELECT nope FROM contacts' on duckdb:///cases.duckdb",
          "the query failed", "nope"], setup="duckdb"),
    Case("sql_bad_url", {"pupils.csv": PUPILS},
         "tables:\n" + PEOPLE + "  events:\n    query: SELECT 1\n"
         "    connection: 'nosuchdialect://x'\n    columns: {person_id: a, "
         "event_date: b, event_type: c}\n    values: {source: police}\n", DataError,
         ["nosuchdialect://x", "the query failed"]),
    Case("parquet_dates_as_numbers", {"pupils.csv": PUPILS},
         "tables:\n  people: {file: people.parquet, columns: {person_id: id, "
         "date_of_birth: dob}}\n", DataError,
         ["people.parquet", "column 'dob'", "numbers where dates are expected"],
         setup="parquet"),
    Case("mapping_file_missing", {}, "", ConfigError, ["file not found"],
         setup="no_mapping"),
]


def _setup(case: Case, tmp: Path) -> None:
    if case.setup == "sqlite":
        with sqlite3.connect(tmp / "cases.db") as con:
            con.execute("CREATE TABLE contacts (a TEXT, b TEXT, c TEXT)")
    elif case.setup == "duckdb":
        with duckdb.connect(str(tmp / "cases.duckdb")) as con:
            con.execute("CREATE TABLE contacts AS SELECT 'A1' AS a")
    elif case.setup == "parquet":
        pd.DataFrame({"id": ["A1"], "dob": [20100105]}).to_parquet(tmp / "people.parquet")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_raises_named_error(case: Case, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    for name, content in case.files.items():
        target = tmp_path / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    _setup(case, tmp_path)
    mapping = tmp_path / "mapping.yaml"
    if case.setup != "no_mapping":
        mapping.write_text(case.mapping, encoding="utf-8")
    with pytest.raises(case.error) as info:
        load_mapping(mapping)
    message = str(info.value)
    for fragment in case.fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"


def test_corpus_is_large_and_distinct() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)) >= 25


def test_bom_is_handled_silently(tmp_path: Path) -> None:
    (tmp_path / "pupils.csv").write_bytes(b"\xef\xbb\xbf" + PUPILS.encode())
    (tmp_path / "mapping.yaml").write_text("tables:\n" + PEOPLE)
    tables, report = load_mapping(tmp_path / "mapping.yaml")
    assert tables["people"]["person_id"].tolist() == ["A1", "B2", "C3"]
    assert report.totals_balance() and report.sources[0].used == 3


def test_bom_with_plain_utf8_encoding(tmp_path: Path) -> None:
    (tmp_path / "pupils.csv").write_bytes(b"\xef\xbb\xbf" + PUPILS.encode())
    (tmp_path / "mapping.yaml").write_text("encoding: utf-8\ntables:\n" + PEOPLE)
    tables, _ = load_mapping(tmp_path / "mapping.yaml")
    assert len(tables["people"]) == 3


def test_cp1252_file_reads_with_encoding_setting(tmp_path: Path) -> None:
    text = "UPN,DOB,Name\nA1,05/01/2010,Zo\xe9\n"
    (tmp_path / "pupils.csv").write_bytes(text.encode("cp1252"))
    (tmp_path / "mapping.yaml").write_text(
        "tables:\n  people: {file: pupils.csv, encoding: cp1252, columns: "
        "{person_id: UPN, date_of_birth: DOB}, extra_columns: [Name]}\n")
    tables, _ = load_mapping(tmp_path / "mapping.yaml")
    assert tables["people"]["Name"].tolist() == ["Zo\xe9"]


def test_semicolon_file_reads_with_delimiter_setting(tmp_path: Path) -> None:
    (tmp_path / "pupils.csv").write_text("UPN;DOB\nA1;05/01/2010\n")
    (tmp_path / "mapping.yaml").write_text(
        "tables:\n  people: {file: pupils.csv, delimiter: ';', columns: "
        "{person_id: UPN, date_of_birth: DOB}}\n")
    tables, _ = load_mapping(tmp_path / "mapping.yaml")
    assert tables["people"]["date_of_birth"].tolist() == [pd.Timestamp("2010-01-05")]
