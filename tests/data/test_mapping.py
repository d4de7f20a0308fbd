"""The mapping YAML: the documented example parses, every problem is reported at
once with its path, and codes are read as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earlysignal.data import _mapping
from earlysignal.data._mapping import AttendanceMarks, SourceMapping, TableSource
from earlysignal.errors import ConfigError


def documented_example() -> str:
    doc = _mapping.__doc__ or ""
    block = doc.split("A full example::", 1)[1].split("\n\nKeys are read", 1)[0]
    return "\n".join(line[4:] for line in block.splitlines())


def test_documented_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "mapping.yaml"
    path.write_text(documented_example())
    m = SourceMapping.from_yaml(path)
    assert m.base_dir == tmp_path and m.origin == str(path)
    assert m.pseudonymise and m.key_file == "../secrets/pseudonym.key"
    assert str(m.extract_date) == "2024-08-31"
    events = m.sources("events")
    assert [type(s) for s in events] == [TableSource, TableSource]
    assert events[0].delimiter == ";" and events[0].codes["event_type"]["FTE"] == \
        "suspension"
    assert events[1].label == "police contacts"
    periods = m.sources("periods")
    assert isinstance(periods[1], AttendanceMarks)
    assert periods[1].codes == {"-": "not_counted"} and periods[1].period == "term"
    assert isinstance(periods[0], TableSource)
    assert periods[0].unpivot == {"sessions_possible": "SessPoss",
                                  "authorised_absence": "AuthAbs",
                                  "unauthorised_absence": "UnauthAbs"}
    people = m.sources("people")[0]
    assert isinstance(people, TableSource)
    assert people.extras == {"school": "SchoolCode", "team": "Locality"}
    assert people.date_format_for("date_of_birth") == "%d/%m/%Y"


def test_every_problem_reported_once_with_paths() -> None:
    raw = {
        "extract_date": "not a date",
        "pseudonymize": True,
        "tables": {
            "people": {"file": "p.csv", "columns": {"person_id": "UPN",
                                                    "date_of_birth": "DOB"}},
            "events": [
                {"file": "e.csv", "columns": {"person_id": "a", "event_dat": "b",
                                              "source": "c", "event_type": "d"}},
                {"file": "f.csv", "columns": {"person_id": "a", "event_date": "b",
                                              "event_type": "d"},
                 "codes": {"evnt_type": {"X": "y"}}},
            ],
            "episodes": {"file": "g.csv", "measures": {"x": "y"},
                         "columns": {"person_id": "a", "start_date": "b",
                                     "end_date": "c", "source": "d",
                                     "episode_type": "e"},
                         "date_format": "dd/mm/yyyy"},
        },
    }
    with pytest.raises(ConfigError) as info:
        SourceMapping.from_dict(raw, origin="demo.yaml")
    problems = info.value.problems
    expected = [
        "extract_date: Input should be a valid date",
        "pseudonymize: unknown setting (did you mean pseudonymise?)",
        "tables.events[0].columns.event_dat: unknown canonical column of events "
        "(did you mean event_date?)",
        "tables.events[0]: nothing gives the required column 'event_date'",
        "tables.events[1]: nothing gives the required column 'source'",
        "tables.events[1].codes.evnt_type: unknown canonical column of events "
        "(did you mean event_type?)",
        "tables.episodes.measures: only the periods table has measures",
        "tables.episodes.date_format: 'dd/mm/yyyy' has no % codes",
    ]
    for text in expected:
        assert any(p.startswith(text) for p in problems), (text, problems)
    assert str(info.value).startswith(f"demo.yaml has {len(problems)} problems:")
    assert len(problems) == len(expected)


def test_codes_and_keys_are_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "tables:\n"
        "  people: {file: p.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"
        "  characteristics:\n"
        "    file: c.csv\n"
        "    columns: {person_id: UPN, attribute: A, value: V, valid_from: F}\n"
        "    codes: {value: {01: White, 1.0: Mixed, Y: yes, N: no, on: off, 'null': x}}\n")
    m = SourceMapping.from_yaml(path)
    src = m.sources("characteristics")[0]
    assert isinstance(src, TableSource)
    assert src.codes["value"] == {"01": "White", "1.0": "Mixed", "Y": "yes", "N": "no",
                                  "on": "off", "null": "x"}


def test_values_may_be_numbers_and_extra_columns_a_list() -> None:
    m = SourceMapping.from_dict({"tables": {
        "people": {"file": "p.csv", "columns": {"person_id": "a", "date_of_birth": "b"},
                   "extra_columns": ["School", "Team"]},
        "events": {"file": "e.csv", "columns": {"person_id": "a", "event_date": "b"},
                   "values": {"source": "school", "event_type": "suspension",
                              "value": 2}}}})
    events = m.sources("events")[0]
    assert isinstance(events, TableSource)
    assert events.values["value"] == 2
    people = m.sources("people")[0]
    assert isinstance(people, TableSource)
    assert people.extras == {"School": "School", "Team": "Team"}


def test_query_label_is_shortened() -> None:
    src = TableSource(query="SELECT " + ", ".join(f"c{i}" for i in range(40)) +
                      " FROM t", connection="sqlite:///x.db")
    assert re.fullmatch(r"query 'SELECT c0, .{40,60}\.\.\.'", src.label)


def test_attendance_marks_only_in_periods_and_alone() -> None:
    with pytest.raises(ConfigError) as info:
        SourceMapping.from_dict({"tables": {
            "people": {"file": "p.csv", "columns": {"person_id": "a",
                                                    "date_of_birth": "b"}},
            "events": [{"attendance_marks": {"file": "m.csv"}}],
            "periods": [{"attendance_marks": {"file": "m.csv", "columns": {
                "person_id": "a", "date": "b", "mark": "c", "sesion": "d"}},
                "period": "week"}]}})
    problems = info.value.problems
    assert problems == [
        "tables.events[0].attendance_marks: daily marks can only feed the periods table",
        "tables.periods[0]: put period inside attendance_marks: (nothing else belongs "
        "next to it)",
        "tables.periods[0].attendance_marks.columns.sesion: unknown marks column (did "
        "you mean session?) (marks columns are person_id, date, mark, session)",
    ]


def test_empty_and_non_mapping_yaml(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("")
    with pytest.raises(ConfigError, match="the mapping is empty"):
        SourceMapping.from_yaml(path)
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a set of settings"):
        SourceMapping.from_yaml(path)
