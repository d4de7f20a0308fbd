"""A corpus of malformed inputs: each must stop with our own error, naming the file,
the column, the first offending lines and the fix."""

from __future__ import annotations

import json
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
    mapping: str | bytes
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


# ---------------------------------------------------------------- values and shapes

US = ["02/28/2014", "03/15/2013", "12/31/2012"]  # month-first: a second number > 12


def dob_case(id: str, dobs: list[str], fragments: list[str], head: str = "") -> Case:
    rows = "".join(f"P{i},{d}\n" for i, d in enumerate(dobs))
    return Case(id, {"pupils.csv": "UPN,DOB\n" + rows}, head + "tables:\n" + PEOPLE,
                DataError, fragments)


CASES += [
    events_case("infinite_value", "UPN,Date,Code,Days\nA1,01/02/2021,FTE,2\n"
                "B2,02/02/2021,FTE,inf\n",
                ["behaviour.csv", "column 'Days'", "1 value(s) are infinite or "
                 "implausibly large", "line 3 ('inf')", "counts and values must be "
                 "ordinary finite numbers"]),
    events_case("minus_infinity", "UPN,Date,Code,Days\nA1,01/02/2021,FTE,-inf\n",
                ["column 'Days'", "infinite or implausibly large", "line 2 ('-inf')"]),
    events_case("infinity_word", "UPN,Date,Code,Days\nA1,01/02/2021,FTE,Infinity\n"
                "C3,01/02/2021,FTE,1\n",
                ["column 'Days'", "infinite or implausibly large", "line 2 ('inf')"]),
    events_case("overflowed_1e308", "UPN,Date,Code,Days\nA1,01/02/2021,FTE,1e308\n",
                ["column 'Days'", "above 1,000,000,000", "line 2 ('1e+308')",
                 "an overflowed or mistyped number"]),
    Case("wide_measure_huge",
         {"pupils.csv": PUPILS, "census.csv": "UPN,Start,End,Poss,Auth,Unauth\n"
          "A1,01/09/2020,31/12/2020,120,2,1\nB2,01/09/2020,31/12/2020,9e99,0,1\n"},
         "tables:\n" + PEOPLE + "  periods:\n    file: census.csv\n"
         "    columns: {person_id: UPN, period_start: Start, period_end: End}\n"
         "    measures: {sessions_possible: Poss, authorised_absence: Auth,\n"
         "               unauthorised_absence: Unauth}\n", DataError,
         ["census.csv", "column 'Poss'", "infinite or implausibly large", "line 3"]),
    people_case("truncated_last_line", "UPN,DOB\nA1,05/01/2010\nB2",
                ["pupils.csv", "line 3, the last, has 1 of the 2 fields",
                 "has no line break", "looks cut short", "export the file again"]),
    people_case("truncated_last_line_with_break", "UPN,DOB\nA1,05/01/2010\nB2\n",
                ["pupils.csv", "line 3, the last, has 1 of the 2 fields",
                 "ends with line break"]),
    events_case("truncated_events", "UPN,Date,Code,Days\nA1,01/02/2021,FTE,2\n"
                "B2,02/02/2021",
                ["behaviour.csv", "line 3, the last, has 2 of the 4 fields",
                 "cut short"]),
    dob_case("us_dates_all_month_first", US,
             ["pupils.csv", "column 'DOB'", "cannot be read as day-first dates",
              "written month-first (US style", "lines 2 ('02/28/2014')",
              "Fix: set date_format: '%m/%d/%Y' under tables.people"]),
    dob_case("us_dates_with_time", [d + " 10:30" for d in US],
             ["written month-first", "date_format: '%m/%d/%Y %H:%M'"]),
    dob_case("us_dates_am_pm", [d + " 10:30:00 PM" for d in US],
             ["written month-first", "date_format: '%m/%d/%Y %I:%M:%S %p'"]),
    dob_case("us_dates_dashes", [d.replace("/", "-") for d in US],
             ["written month-first", "date_format: '%m-%d-%Y'"]),
    dob_case("us_dates_dots", [d.replace("/", ".") for d in US],
             ["written month-first", "date_format: '%m.%d.%Y'"]),
    dob_case("us_dates_two_digit_year", ["2/28/14", "3/15/13", "12/31/12"],
             ["written month-first", "date_format: '%m/%d/%y'"]),
    dob_case("us_dates_beside_ambiguous", ["03/01/2013", "02/28/2014"],
             ["line 3 ('02/28/2014')", "written month-first",
              "date_format: '%m/%d/%Y'"]),
    dob_case("day_and_month_first_mixed", ["28/02/2014", "02/28/2014"],
             ["mixes day-first dates", "and month-first dates",
              "line 3 ('02/28/2014')", "export the column in one date format"]),
    dob_case("swapped_month_precision",
             [f"{m:02d}/01/2010" for m in range(1, 10)],
             ["column 'DOB'", "every date reads as falling in January, on days 1 "
              "to 12 only", "month-precision dates",
              "set date_format: '%m/%d/%Y' under tables.people"]),
    dob_case("adults_before_default_earliest",
             [f"0{m}/0{m}/197{m}" for m in range(1, 8)] + ["01/01/2001"],
             ["pupils.csv", "7 of 8 lines (88%) would be set aside by the rule "
              "'date before 1990-01-01'", "the earliest_date setting",
              "first lines 2, 3, 4, 5, 6", "set earliest_date: in the mapping",
              "1900-01-01", "raise max_set_aside: (now 0.01)"]),
    dob_case("dob_in_future_majority", ["01/01/2010", "01/01/2090", "02/01/2091"],
             ["2 of 3 lines (67%)", "'date of birth in the future'",
              "extract_date setting", "set extract_date: in the mapping",
              "(not set, so today)"]),
    dob_case("dob_after_extract", ["01/01/2010", "01/01/2024", "02/01/2024"],
             ["2 of 3 lines (67%)", "'date of birth in the future'",
              "(now 2020-01-01)"], head="extract_date: 2020-01-01\n"),
    dob_case("earliest_date_too_late", ["01/01/2010", "01/01/2011"],
             ["2 of 2 lines (100%)", "'date before 2015-01-01'",
              "(now 2015-01-01"], head="earliest_date: 2015-01-01\n"),
    events_case("events_after_extract_majority",
                "UPN,Date,Code,Days\nA1,01/02/2021,FTE,1\nB2,01/02/2023,FTE,1\n",
                ["behaviour.csv", "1 of 2 lines (50%)", "'date after extract date'",
                 "set extract_date: in the mapping", "(now 2022-01-01)"],
                events_map="extract_date_placeholder"),
    Case("max_set_aside_out_of_range", {"pupils.csv": PUPILS},
         "max_set_aside: 2\ntables:\n" + PEOPLE, ConfigError,
         ["max_set_aside", "less than or equal to 1"]),
    Case("mapping_not_utf8", {"pupils.csv": PUPILS},
         b"# Zo\xe9's export\ntables:\n" + PEOPLE.encode(), ConfigError,
         ["mapping.yaml has 1 problem", "is not UTF-8 text", "byte 0xe9 at line 1",
          "save the file as UTF-8"]),
]
for _c in CASES:  # the extract date goes at the top of that mapping
    if _c.id == "events_after_extract_majority":
        _c.mapping = "extract_date: 2022-01-01\ntables:\n" + PEOPLE + EVENTS_MAP

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
        if isinstance(case.mapping, bytes):
            mapping.write_bytes(case.mapping)
        else:
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


# ---------------------------------------------------------------- counted set-asides


@dataclass
class SetAside:
    """A file whose unusable rows are set aside and counted, not raised."""

    id: str
    files: dict[str, str]
    mapping: str
    expected: dict[str, dict[str, int]]  # source -> reason -> count
    lines: dict[str, list[int]]  # reason -> the line numbers in rejects.csv


WIDE_CHARS = ("  characteristics:\n    file: chars.csv\n"
              "    columns: {person_id: UPN, valid_from: From}\n"
              "    attributes: {sex: Sex, fsm: FSM}\n")
LONG_CHARS = ("  characteristics:\n    file: chars.csv\n    columns: {person_id: UPN, "
              "attribute: Field, value: Value, valid_from: From}\n")
SET_ASIDE = [
    SetAside("duplicate_person_id", {"pupils.csv": PUPILS + "B2,02/03/2012\n"},
             "tables:\n" + PEOPLE,
             {"pupils.csv": {"duplicate person_id with different details": 1}},
             {"duplicate person_id with different details": [5]}),
    SetAside("missing_person_id", {"pupils.csv": PUPILS,
                                   "behaviour.csv": "UPN,Date,Code,Days\n"
                                   "A1,01/02/2021,FTE,1\n,02/02/2021,FTE,1\n"},
             "tables:\n" + PEOPLE + EVENTS_MAP,
             {"pupils.csv": {}, "behaviour.csv": {"missing person_id": 1}},
             {"missing person_id": [3]}),
    SetAside("blank_line", {"pupils.csv": "UPN,DOB\nA1,05/01/2010\n\nB2,02/03/2011\n"},
             "tables:\n" + PEOPLE, {"pupils.csv": {"blank line": 1}},
             {"blank line": [3]}),
    SetAside("negative_count", {"pupils.csv": PUPILS, "behaviour.csv":
                                "UPN,Date,Code,Days\nA1,01/02/2021,FTE,-2\n"
                                "B2,01/02/2021,FTE,1\n"},
             "tables:\n" + PEOPLE + EVENTS_MAP,
             {"pupils.csv": {}, "behaviour.csv": {"negative value": 1}},
             {"negative value": [2]}),
    SetAside("wide_characteristics_repeated_person",
             {"pupils.csv": PUPILS, "chars.csv": "UPN,From,Sex,FSM\n"
              "A1,01/09/2020,F,yes\nB2,01/09/2020,M,no\nA1,01/09/2020,F,yes\n"},
             "tables:\n" + PEOPLE + WIDE_CHARS,
             {"pupils.csv": {}, "chars.csv": {"duplicate": 2}},
             {"duplicate": [4, 4]}),
    SetAside("wide_characteristics_clash",
             {"pupils.csv": PUPILS, "chars.csv": "UPN,From,Sex,FSM,Row\n"
              "A1,01/09/2020,F,yes,1\nB2,01/09/2020,M,no,2\nA1,01/09/2020,F,no,3\n"},
             "tables:\n" + PEOPLE + WIDE_CHARS.replace("From}", "From}\n"
                                                      "    extra_columns: [Row]"),
             {"pupils.csv": {}, "chars.csv": {
                 "duplicate person_id, attribute and valid_from": 1,
                 "different values for one person, attribute and valid_from": 2}},
             {"duplicate person_id, attribute and valid_from": [4],
              "different values for one person, attribute and valid_from": [2, 4]}),
    SetAside("long_characteristics_clash",
             {"pupils.csv": PUPILS, "chars.csv": "UPN,Field,Value,From\n"
              "A1,sen,none,01/09/2020\nA1,sen,ehcp,01/09/2020\n"
              "A1,sen,ehcp,01/09/2021\n"},
             "tables:\n" + PEOPLE + LONG_CHARS,
             {"pupils.csv": {}, "chars.csv": {
                 "different values for one person, attribute and valid_from": 2}},
             {"different values for one person, attribute and valid_from": [2, 3]}),
    SetAside("adults_with_earliest_date_set",
             {"pupils.csv": "UPN,DOB\nA1,05/01/1975\nB2,02/03/1961\nC3,01/01/1890\n"},
             "earliest_date: 1900-01-01\nmax_set_aside: 0.5\ntables:\n" + PEOPLE,
             {"pupils.csv": {"date before 1900-01-01": 1}},
             {"date before 1900-01-01": [4]}),
    SetAside("after_extract_within_allowance",
             {"pupils.csv": PUPILS, "behaviour.csv": "UPN,Date,Code,Days\n"
              "A1,01/02/2021,FTE,1\nB2,01/02/2023,FTE,1\n"},
             "extract_date: 2022-01-01\nmax_set_aside: 0.5\ntables:\n" + PEOPLE
             + EVENTS_MAP,
             {"pupils.csv": {}, "behaviour.csv": {"date after extract date": 1}},
             {"date after extract date": [3]}),
    SetAside("unknown_person", {"pupils.csv": PUPILS, "behaviour.csv":
                                "UPN,Date,Code,Days\nZ9,01/02/2021,FTE,1\n"
                                "A1,01/02/2021,FTE,1\n"},
             "tables:\n" + PEOPLE + EVENTS_MAP,
             {"pupils.csv": {}, "behaviour.csv": {"unknown person": 1}},
             {"unknown person": [2]}),
]


@pytest.mark.parametrize("case", SET_ASIDE, ids=[c.id for c in SET_ASIDE])
def test_set_aside_rows_are_counted_and_written_to_rejects(case: SetAside,
                                                           tmp_path: Path) -> None:
    for name, content in case.files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(case.mapping, encoding="utf-8")
    tables, report = load_mapping(tmp_path / "mapping.yaml")
    assert {s.source: s.set_aside for s in report.sources} == case.expected
    for s in report.sources:  # read = used + set aside, source by source
        assert s.read == s.used + sum(s.set_aside.values()), s
    paths = report.write(tmp_path / "out")
    rejects = pd.read_csv(paths["rejects"])
    assert list(rejects.columns) == ["table", "source", "unit", "line", "reason"]
    got = {r: sorted(g["line"].tolist()) for r, g in rejects.groupby("reason")}
    assert got == case.lines
    doc = json.loads(paths["report"].read_text())
    assert doc["totals_balance"] is True and doc["rejects_file"] == "rejects.csv"
    # rejects name lines only, never an identifier or a value
    assert not rejects.isin(["A1", "B2", "C3", "Z9"]).any().any()


def test_mapping_corpus_is_distinct() -> None:
    ids = [c.id for c in CASES] + [c.id for c in SET_ASIDE]
    assert len(ids) == len(set(ids)) >= 70
