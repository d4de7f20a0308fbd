"""Daily DfE attendance marks summed into periods: hand-computed cases, a naive
reference, term boundaries and the mapping path with its accounting."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earlysignal.data._attendance import DFE_MARKS, marks_to_periods, period_bounds
from earlysignal.data._load import load_mapping
from earlysignal.errors import DataError


def counts(out: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(r.person_id, r.measure): r.value for r in out.itertuples()}


def test_each_category_counts_as_documented() -> None:
    marks = pd.DataFrame({
        "person_id": "a", "date": "2024-01-10",
        "mark": ["/", "\\", "L", "K", "V", "P", "W", "B",   # 8 present / approved
                 "I", "M", "C2", "J1", "E",                # 5 authorised
                 "O", "G", "N", "U",                       # 4 unauthorised
                 "X", "Z", "#", "D", "Y1", "Q"]})          # 6 not counted
    out = marks_to_periods(marks, period="day")
    assert counts(out) == {("a", "sessions_possible"): 17.0,
                           ("a", "authorised_absence"): 5.0,
                           ("a", "unauthorised_absence"): 4.0}
    assert out["period_start"].tolist() == [pd.Timestamp("2024-01-10")] * 3


def test_every_dfe_code_has_a_known_category() -> None:
    assert set(DFE_MARKS.values()) == {"present", "approved_activity",
                                       "authorised_absence", "unauthorised_absence",
                                       "not_counted"}
    for code in ["/", "\\", "L", "K", "C", "C1", "C2", "E", "I", "M", "J1", "S", "T",
                 "R", "G", "N", "O", "U", "X", "Z", "#", "D", "Q", "Y7"]:
        assert code in DFE_MARKS


def test_marks_are_case_and_space_insensitive() -> None:
    marks = pd.DataFrame({"person_id": "a", "date": "2024-01-10",
                          "mark": [" o ", "i", "l"]})
    assert counts(marks_to_periods(marks, period="day")) == {
        ("a", "sessions_possible"): 3.0, ("a", "authorised_absence"): 1.0,
        ("a", "unauthorised_absence"): 1.0}


@pytest.mark.parametrize(("day", "start", "end"), [
    ("2024-03-28", "2024-01-01", "2024-03-31"),   # Easter Sunday 2024 is 31 March
    ("2024-03-31", "2024-01-01", "2024-03-31"),
    ("2024-04-01", "2024-04-01", "2024-07-31"),
    ("2023-04-05", "2023-01-01", "2023-04-09"),   # Easter Sunday 2023 is 9 April
    ("2023-04-10", "2023-04-10", "2023-07-31"),
    ("2023-09-05", "2023-08-01", "2023-12-31"),
    ("2023-12-31", "2023-08-01", "2023-12-31"),
])
def test_term_bounds_follow_the_census(day: str, start: str, end: str) -> None:
    s, e = period_bounds(pd.Series([pd.Timestamp(day)]), "term")
    assert (s[0], e[0]) == (pd.Timestamp(start), pd.Timestamp(end))


@pytest.mark.parametrize(("period", "start", "end"), [
    ("week", "2024-02-26", "2024-03-03"),
    ("month", "2024-02-01", "2024-02-29"),
    ("day", "2024-02-29", "2024-02-29"),
])
def test_other_period_bounds(period: str, start: str, end: str) -> None:
    s, e = period_bounds(pd.Series([pd.Timestamp("2024-02-29")]), period)  # type: ignore[arg-type]
    assert (s[0], e[0]) == (pd.Timestamp(start), pd.Timestamp(end))


codes = sorted(DFE_MARKS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                          st.integers(0, 400), st.sampled_from(codes)),
                min_size=1, max_size=60),
       st.sampled_from(["term", "month", "week", "day"]))
def test_matches_naive_reference(rows, period) -> None:
    dates = [pd.Timestamp("2023-06-01") + pd.Timedelta(days=d) for _, d, _ in rows]
    marks = pd.DataFrame({"person_id": [r[0] for r in rows], "date": dates,
                          "mark": [r[2] for r in rows]})
    out = marks_to_periods(marks, period=period)
    starts, ends = period_bounds(marks["date"], period)
    expected: dict[tuple, float] = {}
    for (pid, _, mark), s, e in zip(rows, starts, ends, strict=True):
        cat = DFE_MARKS[mark]
        for measure, hit in (("sessions_possible", cat != "not_counted"),
                             ("authorised_absence", cat == "authorised_absence"),
                             ("unauthorised_absence", cat == "unauthorised_absence")):
            key = (pid, s, e, measure)
            expected[key] = expected.get(key, 0.0) + float(hit)
    got = {(r.person_id, r.period_start, r.period_end, r.measure): r.value
           for r in out.itertuples()}
    assert got == expected
    assert (out["period_start"] <= pd.Series(dates).max()).all()


def test_unknown_code_is_an_error_naming_rows() -> None:
    marks = pd.DataFrame({"person_id": "a", "date": "2024-01-10",
                          "mark": ["/", "-", "-", "@"]})
    with pytest.raises(DataError) as info:
        marks_to_periods(marks)
    msg = str(info.value)
    assert "2 mark(s) are not DfE attendance codes" in msg
    assert "'-' (2 rows: 2, 3)" in msg and "'@' (1 row: 4)" in msg
    assert "unmapped_codes: set_aside" in msg


def test_local_codes_and_set_aside() -> None:
    marks = pd.DataFrame({"person_id": "a", "date": "2024-01-10",
                          "mark": ["/", "-", "@", "O"]})
    out = marks_to_periods(marks, period="day", codes={"-": "not_counted"},
                           unmapped_codes="set_aside")
    assert counts(out)[("a", "sessions_possible")] == 2.0
    out = marks_to_periods(marks, period="day",
                           codes={"-": "unauthorised_absence", "@": "present",
                                  "O": "authorised_absence"})
    assert counts(out) == {("a", "sessions_possible"): 4.0,
                           ("a", "authorised_absence"): 1.0,
                           ("a", "unauthorised_absence"): 1.0}


def test_marks_through_a_mapping_are_accounted(tmp_path: Path) -> None:
    (tmp_path / "pupils.csv").write_text("UPN,DOB\nA1,05/01/2010\nB2,02/03/2011\n")
    (tmp_path / "marks.csv").write_text(
        "UPN,Date,AMPM,Mark\n"
        "A1,08/01/2024,AM,/\n"       # 2 used
        "A1,08/01/2024,PM,O\n"       # 3 used
        "A1,08/01/2024,PM,O\n"       # 4 duplicate
        "A1,09/01/2024,AM,/\n"       # 5 conflicting
        "A1,09/01/2024,AM,I\n"       # 6 conflicting
        "B2,08/01/2024,AM,-\n"       # 7 used (local code, not counted)
        "B2,08/01/2024,PM,I\n"       # 8 used
        "Z9,08/01/2024,AM,/\n"       # 9 unknown person
        "B2,08/09/2024,AM,/\n"       # 10 date after extract
        "B2,10/01/2024,AM,@\n"       # 11 unmapped code
        "\n"                         # 12 blank line
        "B2,,AM,/\n"                 # 13 missing date
        "A1,10/04/2024,AM,N\n")      # 14 used (summer term)
    (tmp_path / "mapping.yaml").write_text(
        "extract_date: 2024-08-31\nmax_set_aside: 0.1\ntables:\n"
        "  people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"
        "  periods:\n  - attendance_marks:\n      file: marks.csv\n"
        "      columns: {person_id: UPN, date: Date, mark: Mark, session: AMPM}\n"
        "      codes: {'-': not_counted}\n      unmapped_codes: set_aside\n")
    tables, report = load_mapping(tmp_path / "mapping.yaml")
    src = report.sources[1]
    assert (src.unit, src.read, src.used, src.produced) == ("mark", 13, 5, 9)
    assert src.set_aside == {"blank line": 1, "missing date": 1,
                             "unmapped code in mark": 1, "date after extract date": 1,
                             "duplicate": 1, "conflicting marks for one session": 2,
                             "unknown person": 1}
    assert src.examples["conflicting marks for one session"] == [5, 6]
    assert report.totals_balance()
    got = {(r.person_id, str(r.period_start.date()), r.measure): r.value
           for r in tables["periods"].itertuples()}
    assert got == {
        ("A1", "2024-01-01", "sessions_possible"): 2.0,
        ("A1", "2024-01-01", "authorised_absence"): 0.0,
        ("A1", "2024-01-01", "unauthorised_absence"): 1.0,
        ("A1", "2024-04-01", "sessions_possible"): 1.0,
        ("A1", "2024-04-01", "authorised_absence"): 0.0,
        ("A1", "2024-04-01", "unauthorised_absence"): 1.0,
        ("B2", "2024-01-01", "sessions_possible"): 1.0,
        ("B2", "2024-01-01", "authorised_absence"): 1.0,
        ("B2", "2024-01-01", "unauthorised_absence"): 0.0,
    }
    assert "made 9 period rows" in report.summary()
