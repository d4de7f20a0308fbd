"""What real extracts need from a mapping: row filters, joins, many-column person
keys, dates from several columns, from days after an anchor, and offsets. Each test
writes CSV files the way an extract arrives and checks the canonical rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from earlysignal.data import load_mapping
from earlysignal.data._mapping import SourceMapping
from earlysignal.errors import ConfigError, DataError
from earlysignal.features import CohortSpec, build_cohort, compute_features


def write(tmp: Path, files: dict[str, str], mapping: str) -> Path:
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    path = tmp / "mapping.yaml"
    path.write_text(mapping, encoding="utf-8")
    return path


PUPILS = "UPN,DOB\nA1,05/01/2010\nB2,02/03/2011\n"
PEOPLE = "  people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"


def test_where_filters_rows_counted_as_filtered_by_rule(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "cases.csv": (
        "UPN,Date,Status,Days\n"
        "A1,01/02/2021,Closed,3\n"     # 2 kept
        "A1,02/02/2021,Open,5\n"       # 3 filtered: status
        "B2,03/02/2021,Closed,\n"      # 4 filtered: empty Days fails min
        "B2,04/02/2021,Closed,1\n"     # 5 filtered: Days below 2
        "B2,05/02/2021,Closed,9\n")},  # 6 kept
        "tables:\n" + PEOPLE +
        "  events:\n    file: cases.csv\n"
        "    where: {Status: Closed, Days: {min: 2}}\n"
        "    columns: {person_id: UPN, event_date: Date, value: Days}\n"
        "    values: {source: social_care, event_type: closure}\n")
    tables, report = load_mapping(path)
    ev = tables["events"]
    assert ev["event_date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-02-01",
                                                                 "2021-02-05"]
    assert ev["value"].tolist() == [3.0, 9.0]
    src = report.sources[1]
    assert src.set_aside == {"filtered by rule": 3}
    assert src.examples["filtered by rule"] == [3, 4, 5]
    assert report.totals_balance()


def test_where_compares_two_columns_and_missing(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "work.csv": (
        "UPN,Due,Handed,Date\n"
        "A1,10,12,01/02/2021\n"   # late: kept
        "A1,10,9,02/02/2021\n"    # on time
        "B2,10,,03/02/2021\n")},  # never handed in
        "tables:\n" + PEOPLE +
        "  events:\n"
        "    - {file: work.csv, where: {Handed: {above: Due}}, name: late,\n"
        "       columns: {person_id: UPN, event_date: Date},\n"
        "       values: {source: school, event_type: late}}\n"
        "    - {file: work.csv, where: {Handed: {missing: true}}, name: never,\n"
        "       columns: {person_id: UPN, event_date: Date},\n"
        "       values: {source: school, event_type: never}}\n")
    tables, _ = load_mapping(path)
    got = tables["events"][["person_id", "event_type"]].values.tolist()
    assert got == [["A1", "late"], ["B2", "never"]]


def test_where_text_in_a_compared_column_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "w.csv": (
        "UPN,Days,Date\nA1,3,01/02/2021\nA1,three,01/02/2021\n")},
        "tables:\n" + PEOPLE +
        "  events: {file: w.csv, where: {Days: {above: 1}},\n"
        "           columns: {person_id: UPN, event_date: Date},\n"
        "           values: {source: school, event_type: x}}\n")
    with pytest.raises(DataError) as e:
        load_mapping(path)
    assert "w.csv, column 'Days'" in str(e.value) and "line 3 ('three')" in str(
        e.value)


def test_first_non_empty_date_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "incidents.csv": (
        "UPN,IncidentDate,ReportDate,Entered\n"
        "A1,01/02/2021,05/02/2021,10/02/2021\n"
        "A1,,07/02/2021,10/02/2021\n"
        "B2,,,10/02/2021\n")},
        "tables:\n" + PEOPLE +
        "  events:\n    file: incidents.csv\n"
        "    columns:\n      person_id: UPN\n"
        "      event_date: {first_of: [IncidentDate, ReportDate]}\n"
        "      recorded_at: {column: Entered, offset: -1d}\n"
        "    values: {source: police, event_type: incident}\n")
    tables, report = load_mapping(path)
    ev = tables["events"]
    assert ev["event_date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-02-01",
                                                                 "2021-02-07"]
    assert ev["recorded_at"].dt.strftime("%Y-%m-%d").tolist() == ["2021-02-09"] * 2
    assert report.sources[1].set_aside == {"missing event_date": 1}


def test_days_from_an_anchor_column_or_a_date_per_code(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "marks.csv": (
        "UPN,Course,Start,Day\n"
        "A1,C13,01/10/2013,19\n"
        "B2,C14,01/10/2014,-3\n")},
        "tables:\n" + PEOPLE +
        "  events:\n"
        "    - {file: marks.csv, name: by column,\n"
        "       columns: {person_id: UPN, event_date: {days: Day, anchor: Start}},\n"
        "       values: {source: school, event_type: a}}\n"
        "    - {file: marks.csv, name: by code,\n"
        "       columns: {person_id: UPN, event_date: {days: Day, offset: 1w,\n"
        "         anchor: {column: Course, dates: {C13: 2013-10-01,\n"
        "                                          C14: 2014-10-01}}}},\n"
        "       values: {source: school, event_type: b}}\n")
    tables, _ = load_mapping(path)
    ev = tables["events"].sort_values(["event_type", "person_id"])
    assert ev["event_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2013-10-20", "2014-09-28", "2013-10-27", "2014-10-05"]


def test_anchor_code_without_a_date_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "m.csv": (
        "UPN,Course,Day\nA1,C13,19\nB2,C15,4\n")},
        "tables:\n" + PEOPLE +
        "  events: {file: m.csv, columns: {person_id: UPN, event_date: {days: Day,\n"
        "           anchor: {column: Course, dates: {C13: 2013-10-01}}}},\n"
        "           values: {source: school, event_type: a}}\n")
    with pytest.raises(DataError) as e:
        load_mapping(path)
    assert "'C15'" in str(e.value) and "line 3" in str(e.value)
    assert "tables.events.columns.event_date.anchor.dates" in str(e.value)


def test_many_column_person_key_and_joins(tmp_path: Path) -> None:
    path = write(tmp_path, {
        "info.csv": "student,module,pres,result\n7,AAA,2013J,Fail\n7,BBB,2013J,Pass\n"
                    "8,AAA,2013J,Pass\n",
        "tasks.csv": "task,module,pres,due\n1,AAA,2013J,20\n2,BBB,2013J,30\n",
        "subs.csv": "task,student,day\n1,7,25\n2,7,28\n1,9,26\n"},
        "tables:\n"
        "  people: {file: info.csv, columns: {person_id: [student, module, pres]}}\n"
        "  events:\n"
        "    - {file: subs.csv, join: {file: tasks.csv, on: task}, name: late,\n"
        "       where: {day: {above: due}},\n"
        "       columns: {person_id: [student, module, pres], event_date: {\n"
        "         days: day, anchor: {column: pres, dates: {2013J: 2013-10-01}}}},\n"
        "       values: {source: school, event_type: late}}\n"
        "    - {file: info.csv, name: missed,\n"
        "       join: [{file: tasks.csv, on: [module, pres], many: true},\n"
        "              {file: subs.csv, on: [task, student], unmatched: keep}],\n"
        "       where: {day: {missing: true}},\n"
        "       columns: {person_id: [student, module, pres], event_date: {\n"
        "         days: due, anchor: {column: pres, dates: {2013J: 2013-10-01}}}},\n"
        "       values: {source: school, event_type: missed}}\n")
    tables, report = load_mapping(path)
    assert tables["people"]["person_id"].tolist() == ["7|AAA|2013J", "7|BBB|2013J",
                                                      "8|AAA|2013J"]
    assert tables["people"]["date_of_birth"].isna().all()
    ev = tables["events"][["person_id", "event_type"]].values.tolist()
    assert ev == [["7|AAA|2013J", "late"], ["8|AAA|2013J", "missed"]]
    late, missed = report.sources[1], report.sources[2]
    # 7/BBB submitted on time; student 9 has no person (unknown person)
    assert late.set_aside == {"filtered by rule": 1, "unknown person": 1}
    assert missed.unit == "joined row" and missed.read == 3
    assert missed.set_aside == {"filtered by rule": 2}
    assert report.totals_balance()


def test_many_column_key_is_pseudonymised_as_one_key(tmp_path: Path) -> None:
    path = write(tmp_path, {"info.csv": "student,module\n7,AAA\n7,BBB\n"},
                 "pseudonymise: true\n"
                 "tables:\n  people: {file: info.csv, columns: {person_id: "
                 "[student, module]}}\n")
    tables, _ = load_mapping(path, key="k" * 32)
    from earlysignal.data import Pseudonymiser

    expected = Pseudonymiser("k" * 32)(pd.Series(["7|AAA", "7|BBB"])).tolist()
    assert tables["people"]["person_id"].tolist() == expected
    assert len(set(expected)) == 2


def test_lookup_with_a_repeated_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "e.csv": "UPN,k\nA1,1\n",
                            "l.csv": "k,Date\n1,01/02/2021\n1,02/02/2021\n"},
                 "tables:\n" + PEOPLE +
                 "  events: {file: e.csv, join: {file: l.csv, on: k},\n"
                 "           columns: {person_id: UPN, event_date: Date},\n"
                 "           values: {source: school, event_type: a}}\n")
    with pytest.raises(DataError) as e:
        load_mapping(path)
    assert "l.csv" in str(e.value) and "lines 2, 3" in str(e.value)
    assert "many: true" in str(e.value)


def test_unknown_keys_list_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as e:
        SourceMapping.from_dict({"tables": {"people": {
            "file": "p.csv", "columns": {"person_id": "a"}},
            "events": {"file": "e.csv", "wher": {"a": 1},
                       "where": {"b": {"abov": 1}},
                       "columns": {"person_id": "a",
                                   "event_date": {"days": "d", "anchr": "s"}},
                       "values": {"source": "s"}}}})
    problems = e.value.problems
    assert any(p.startswith("tables.events.wher: unknown setting (did you mean "
                            "where?) (settings here are ") and "join, where" in p
               for p in problems), problems
    assert ("tables.events.where.b.abov: unknown condition (did you mean above?) "
            "(conditions are equals, not, missing, min, max, above, below)") in problems
    assert any(p.startswith("tables.events.columns.event_date.anchr: unknown "
                            "setting") and "column, first_of, days, anchor, offset"
               in p for p in problems), problems
    with pytest.raises(ConfigError) as e:
        SourceMapping.from_dict({"tables": {"people": {
            "file": "p.csv", "columns": {"person_id": "a", "date_of_birth": [
                "b", "c"]}}}})
    assert e.value.problems[0].startswith(
        "tables.people.columns.date_of_birth: a list of columns makes one key and "
        "is for person_id only (for the first non-empty of several dates write "
        "{first_of: [A, B]})")


def test_data_root_from_the_environment(tmp_path: Path, monkeypatch:
                                        pytest.MonkeyPatch) -> None:
    data = tmp_path / "extract"
    data.mkdir()
    (data / "pupils.csv").write_text(PUPILS)
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "m.yaml").write_text("data_root: ${EXTRACT_DIR:-../nowhere}\n"
                                 "tables:\n" + PEOPLE)
    monkeypatch.setenv("EXTRACT_DIR", str(data))
    tables, _ = load_mapping(conf / "m.yaml")
    assert tables["people"]["person_id"].tolist() == ["A1", "B2"]
    monkeypatch.delenv("EXTRACT_DIR")
    with pytest.raises(DataError, match="nowhere"):
        load_mapping(conf / "m.yaml")
    (conf / "m.yaml").write_text("data_root: ${EXTRACT_DIR}\ntables:\n" + PEOPLE)
    with pytest.raises(ConfigError, match="EXTRACT_DIR is not set"):
        load_mapping(conf / "m.yaml")


def test_numeric_characteristic_is_a_number_feature(tmp_path: Path) -> None:
    path = write(tmp_path, {"pupils.csv": PUPILS, "c.csv": (
        "UPN,From,Attempts\nA1,01/09/2020,2\nA1,01/01/2021,3\nB2,01/09/2020,\n")},
        "tables:\n" + PEOPLE +
        "  characteristics: {file: c.csv, columns: {person_id: UPN, valid_from: From},"
        "\n                    attributes: {attempts: Attempts}}\n")
    tables, _ = load_mapping(path)
    cohort = pd.DataFrame({"person_id": ["A1", "A1", "B2"],
                           "as_of": pd.to_datetime(["2020-12-01", "2021-02-01",
                                                    "2021-02-01"])})
    fs = compute_features(tables, cohort, [
        {"name": "attempts", "from": "characteristics", "attribute": "attempts",
         "aggregate": ["number"]}])
    col = fs.frame["attempts__number__asof"]
    assert col.dtype == "float64"
    assert col.tolist()[:2] == [2.0, 3.0] and pd.isna(col.tolist()[2])
    assert [m.kind for m in fs.metadata] == ["numeric"]


def test_decision_table_with_its_own_columns(tmp_path: Path) -> None:
    tables, _ = load_mapping(write(tmp_path, {
        "info.csv": "student,module\n7,AAA\n7,BBB\n"},
        "tables:\n  people: {file: info.csv, columns: {person_id: "
        "[student, module]}}\n"))
    (tmp_path / "decisions.csv").write_text(
        "Student,Module,Decided\n7,BBB,2014-11-30\n7,AAA,2013-11-30\n")
    spec = CohortSpec.from_config({"as_of": {"table": "decisions.csv", "columns": {
        "person_id": ["Student", "Module"], "as_of": "Decided"}}})
    res = build_cohort(tables, spec, base_dir=tmp_path)
    got = res.frame.assign(as_of=res.frame["as_of"].dt.strftime("%Y-%m-%d"))
    assert got.values.tolist() == [["7|AAA", "2013-11-30"], ["7|BBB", "2014-11-30"]]
    assert res.counts["no_date_of_birth"] == 0


def test_documented_extract_example_is_valid(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from earlysignal.data import _mapping

    doc = _mapping.__doc__ or ""
    block = doc.split("What real extracts often need", 1)[1].split("::\n", 1)[1]
    block = block.split("\n\n:meth:", 1)[0]
    monkeypatch.setenv("EXTRACT_DIR", str(tmp_path))
    m = SourceMapping.from_yaml(write(tmp_path, {}, "\n".join(
        line[4:] for line in block.splitlines())))
    assert m.data_dir == tmp_path
    src = m.sources("events")[0]
    assert src.columns["person_id"] == ["id_student", "code_module"]
    assert src.where == {"type": ["TMA", "CMA"], "submitted": {"above": "due"}}
    rule = src.columns["recorded_at"]
    assert rule.first_of == ["marked", "entered"] and rule.offset_days == -1
