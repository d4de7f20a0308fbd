"""Cohorts: as-of schedules, decision points, eligibility at t and its counts."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earlysignal.data import CanonicalTables
from earlysignal.errors import ConfigError, DataError, EarlysignalWarning
from earlysignal.features._cohort import (
    REASONS,
    CohortSpec,
    Schedule,
    age_at,
    build_cohort,
    is_active,
)
from earlysignal.features._labels import LabelSpec, OutcomeRule

T = pd.Timestamp


def tables(**frames: pd.DataFrame) -> CanonicalTables:
    return CanonicalTables.from_frames(frames)


def people(*rows: tuple[str, str | None]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["person_id", "date_of_birth"])


def events(*rows: tuple) -> pd.DataFrame:
    cols = ["person_id", "event_date", "source", "event_type", "recorded_at"]
    return pd.DataFrame([r + (None,) * (5 - len(r)) for r in rows], columns=cols)


def episodes(*rows: tuple) -> pd.DataFrame:
    cols = ["person_id", "start_date", "end_date", "source", "episode_type",
            "recorded_at"]
    return pd.DataFrame([r + (None,) * (6 - len(r)) for r in rows], columns=cols)


def frame_rows(df: pd.DataFrame) -> list[tuple[str, str]]:
    return [(p, f"{d:%Y-%m-%d}") for p, d in zip(df["person_id"], df["as_of"],
                                                 strict=True)]


YJ = LabelSpec(horizon="12m", outcome=[OutcomeRule(table="events",
                                                   source=["youth_justice"])])


# --------------------------------------------------------------------------- schedules


def _dates(**kw: str) -> list[str]:
    return [f"{d:%Y-%m-%d}" for d in Schedule(**kw).dates()]


def test_default_schedule_has_seven_dates_including_end():
    assert _dates(start="2020-09-01", end="2023-09-01", every="6 months") == [
        "2020-09-01", "2021-03-01", "2021-09-01", "2022-03-01",
        "2022-09-01", "2023-03-01", "2023-09-01",
    ]


def test_schedule_keeps_month_ends_without_drifting():
    assert _dates(start="2021-01-31", end="2021-06-30", every="1m") == [
        "2021-01-31", "2021-02-28", "2021-03-31", "2021-04-30", "2021-05-31",
        "2021-06-30",
    ]
    assert _dates(start="2020-02-29", end="2024-03-01", every="1y") == [
        "2020-02-29", "2021-02-28", "2022-02-28", "2023-02-28", "2024-02-29",
    ]


def test_schedule_terms_and_days():
    assert _dates(start="2021-09-01", end="2022-09-01", every="1 term") == [
        "2021-09-01", "2022-01-01", "2022-05-01", "2022-09-01",
    ]
    assert _dates(start="2021-09-01", end="2021-09-20", every="7d") == [
        "2021-09-01", "2021-09-08", "2021-09-15",
    ]


def test_schedule_end_before_start_is_a_config_error():
    with pytest.raises(ConfigError) as e:
        CohortSpec.from_config(
            {"as_of": {"start": "2022-01-01", "end": "2021-01-01", "every": "6m"}},
            source="demo.yaml", path="cohort",
        )
    assert "cohort.as_of: end 2021-01-01 is before start 2022-01-01" in str(e.value)


# --------------------------------------------------------------------------- config


def test_config_errors_list_every_problem_with_path_and_hint():
    with pytest.raises(ConfigError) as e:
        CohortSpec.from_config({
            "as_of": {"start": "2020-09-01", "end": "2023-09-01", "every": "all"},
            "age": {"min": 18, "max": 10},
            "active": {"table": "periods", "source": "school", "within": "3x"},
            "exclude_escalated": "perhaps",
        }, source="demo.yaml", path="cohort")
    msg = str(e.value)
    assert msg.startswith("demo.yaml has 5 problems:")
    assert "cohort.as_of.every: 'all' has no end here" in msg
    assert "cohort.age: min 18 is above max 10 (hint: swap them)" in msg
    assert "cohort.active.within: '3x' is not a time span" in msg
    assert "cohort.active.source: periods have no source column" in msg
    assert "cohort.exclude_escalated: " in msg and "(hint: write true or false)" in msg


def test_config_as_of_form_and_list_errors():
    with pytest.raises(ConfigError) as e:
        CohortSpec.from_config({"as_of": {"when": "monthly"}}, path="cohort")
    assert "cohort.as_of: not an as-of form (hint: write {start, end, every}" in str(
        e.value)
    with pytest.raises(ConfigError) as e:
        CohortSpec.from_config({"as_of": ["2021-09-01", "someday"]}, path="cohort")
    assert "cohort.as_of[1]: " in str(e.value)
    assert "write dates as YYYY-MM-DD" in str(e.value)
    with pytest.raises(ConfigError) as e:
        CohortSpec.from_config({"as_of": {"at_events": {"sorce": "x"}}}, path="cohort")
    assert "cohort.as_of.at_events.sorce: unknown key" in str(e.value)


def test_config_accepts_all_four_as_of_forms():
    forms = [
        {"start": dt.date(2020, 9, 1), "end": dt.date(2021, 9, 1), "every": "1 year"},
        [dt.date(2021, 9, 1), dt.date(2022, 9, 1)],
        {"at_events": {"source": "social_care", "event_type": ["referral"]}},
        {"table": "decisions.csv"},
    ]
    kinds = [type(CohortSpec.from_config({"as_of": f}).as_of).__name__ for f in forms]
    assert kinds == ["Schedule", "list", "AtEventsAsOf", "DecisionTable"]


def test_exclude_escalated_needs_an_outcome():
    t = tables(people=people(("a", "2010-01-01")))
    with pytest.raises(ConfigError, match="exclude_escalated: true needs an outcome"):
        build_cohort(t, CohortSpec(as_of=["2021-01-01"], exclude_escalated=True))


# --------------------------------------------------------------------------- as-of dates


def test_list_cohort_is_everyone_at_every_date_sorted_unique():
    t = tables(people=people(("b", "2010-01-01"), ("a", "2010-01-01")))
    res = build_cohort(t, CohortSpec(as_of=["2022-09-01", "2021-09-01", "2022-09-01"]))
    assert frame_rows(res.frame) == [
        ("a", "2021-09-01"), ("b", "2021-09-01"),
        ("a", "2022-09-01"), ("b", "2022-09-01"),
    ]
    assert str(res.frame["as_of"].dtype) == "datetime64[us]"
    assert res.counts["candidates"] == 4 and res.counts["scored"] == 4


def test_decision_points_are_the_day_after_the_event_became_known():
    t = tables(
        people=people(("a", "2010-01-01"), ("b", "2010-01-01")),
        events=events(
            ("a", "2021-03-10", "social_care", "referral", "2021-03-20"),  # late
            ("a", "2021-03-10", "social_care", "referral", "2021-03-12"),  # same day
            ("a", "2021-06-01", "social_care", "referral"),
            ("a", "2021-06-02", "social_care", "assessment"),
            ("b", "2021-05-05", "police", "referral"),
            ("b", "2021-07-01", "social_care", "referral", "2021-06-01"),  # odd: early
        ),
    )
    spec = CohortSpec.from_config({"as_of": {"at_events": {
        "source": "social_care", "event_type": "referral"}}})
    res = build_cohort(t, spec)
    assert frame_rows(res.frame) == [
        ("a", "2021-03-13"), ("a", "2021-06-02"), ("b", "2021-07-02"),
    ]


def test_decision_points_on_one_known_day_give_one_row_and_respect_start_end():
    t = tables(
        people=people(("a", "2010-01-01")),
        events=events(
            ("a", "2021-03-01", "social_care", "referral", "2021-03-10"),
            ("a", "2021-03-05", "social_care", "referral", "2021-03-10"),
            ("a", "2021-09-05", "social_care", "referral"),
        ),
    )
    spec = CohortSpec.from_config({"as_of": {"at_events": {"source": "social_care"}}})
    assert frame_rows(build_cohort(t, spec).frame) == [
        ("a", "2021-03-11"), ("a", "2021-09-06"),
    ]
    spec = CohortSpec.from_config({"as_of": {"at_events": {
        "source": "social_care", "start": "2021-04-01", "end": "2021-09-06"}}})
    assert frame_rows(build_cohort(t, spec).frame) == [("a", "2021-09-06")]


def test_decision_table_csv_relative_to_base_dir_with_unknown_and_repeats(tmp_path):
    (tmp_path / "decisions.csv").write_text(
        "person_id,as_of\na,2021-09-01\nzz,2021-09-01\na,2021-09-01\na,2022-01-15\n"
    )
    t = tables(people=people(("a", "2010-01-01")))
    spec = CohortSpec.from_config({"as_of": {"table": "decisions.csv"}})
    res = build_cohort(t, spec, base_dir=tmp_path)
    assert frame_rows(res.frame) == [("a", "2021-09-01"), ("a", "2022-01-15")]
    assert res.counts["unknown_person"] == 1 and res.counts["duplicate"] == 1
    assert res.counts["candidates"] == 4
    assert set(res.set_aside["person_id"]) == {"a", "zz"}


def test_decision_table_parquet(tmp_path):
    pd.DataFrame({"person_id": ["a"], "as_of": [T("2021-09-01")]}).to_parquet(
        tmp_path / "d.parquet")
    t = tables(people=people(("a", "2010-01-01")))
    spec = CohortSpec.from_config({"as_of": {"table": str(tmp_path / "d.parquet")}})
    assert frame_rows(build_cohort(t, spec).frame) == [("a", "2021-09-01")]


def test_decision_table_errors_name_file_column_rows_and_fix(tmp_path):
    t = tables(people=people(("a", "2010-01-01")))
    (tmp_path / "d.csv").write_text("person_id,date\na,2021-09-01\n")
    spec = CohortSpec.from_config({"as_of": {"table": "d.csv"}})
    with pytest.raises(DataError) as e:
        build_cohort(t, spec, base_dir=tmp_path)
    assert "d.csv, column 'as_of': has no column 'as_of'" in str(e.value)
    assert "Fix: give the decision table the columns person_id and as_of" in str(
        e.value)
    (tmp_path / "d.csv").write_text("person_id,as_of\na,2021-09-01\na,soon\na,\n")
    with pytest.raises(DataError) as e:
        build_cohort(t, spec, base_dir=tmp_path)
    assert "column 'as_of', rows 2, 3: has missing or unreadable values" in str(e.value)
    with pytest.raises(DataError, match="missing.csv: decision table not found"):
        build_cohort(t, CohortSpec.from_config({"as_of": {"table": "missing.csv"}}),
                     base_dir=tmp_path)


# --------------------------------------------------------------------------- eligibility


def test_age_at_counts_the_birthday_itself():
    dob = pd.Series(pd.to_datetime(["2010-09-01", "2010-09-02", "2008-02-29",
                                    "2008-02-29", "2008-02-29"]))
    t = pd.Series(pd.to_datetime(["2020-09-01", "2020-09-01", "2021-02-28",
                                  "2021-02-27", "2024-02-28"]))
    assert age_at(dob, t).tolist() == [10, 9, 13, 12, 15]


def test_age_bounds_are_inclusive_at_t():
    t = tables(people=people(
        ("min_exact", "2010-09-01"), ("min_minus", "2010-09-02"),
        ("max_exact", "2003-09-02"), ("max_plus", "2003-09-01"),
        ("no_dob", None),
    ))
    res = build_cohort(t, CohortSpec(as_of=["2020-09-01"],
                                     age={"min": 10, "max": 16}))
    assert sorted(res.frame["person_id"]) == ["max_exact", "min_exact"]
    reasons = dict(zip(res.set_aside["person_id"], res.set_aside["reason"],
                       strict=True))
    assert reasons == {"min_minus": "too_young", "max_plus": "too_old",
                       "no_dob": "no_date_of_birth"}


@pytest.mark.parametrize(("end", "expected"), [
    ("2021-06-03", True),    # ends exactly at t - 90d: on roll that day
    ("2021-06-02", False),   # a day earlier
    (None, True),            # open
    ("2021-09-01", True),    # ends on t
])
def test_activity_lookback_edge_for_episodes(end, expected):
    t = tables(episodes=episodes(("a", "2019-09-01", end, "school", "enrolment")))
    rule = CohortSpec.from_config({"as_of": ["2021-09-01"], "active": {
        "table": "episodes", "source": "school", "type": "enrolment",
        "within": "90d"}}).active
    frame = pd.DataFrame({"person_id": ["a"], "as_of": [T("2021-09-01")]})
    assert T("2021-09-01") - pd.Timedelta(days=90) == T("2021-06-03")
    assert is_active(t, rule, frame).tolist() == [expected]


def test_activity_needs_the_row_known_before_t():
    t = tables(episodes=episodes(
        ("a", "2021-08-01", None, "school", "enrolment", "2021-09-01"),  # known at t
        ("b", "2021-08-01", None, "school", "enrolment", "2021-08-31"),
        ("c", "2021-09-01", None, "school", "enrolment"),  # starts at t
        ("d", "2021-08-01", None, "social_care", "enrolment"),  # other source
    ))
    rule = CohortSpec.from_config({"as_of": ["2021-09-01"], "active": {
        "table": "episodes", "source": "school", "within": "90d"}}).active
    frame = pd.DataFrame({"person_id": list("abcd"), "as_of": [T("2021-09-01")] * 4})
    assert is_active(t, rule, frame).tolist() == [False, True, False, False]


def test_activity_from_events_and_periods_and_calendar_months():
    t = tables(
        events=events(("a", "2021-02-28", "school", "x"), ("b", "2021-02-27", "school",
                                                           "x"),
                      ("c", "2021-05-31", "school", "x")),
        periods=pd.DataFrame({
            "person_id": ["a", "b"], "period_start": ["2021-01-04", "2021-01-04"],
            "period_end": ["2021-03-31", "2021-05-31"],
            "measure": ["sessions_possible"] * 2, "value": [100.0, 100.0]}),
    )
    frame = pd.DataFrame({"person_id": list("abc"), "as_of": [T("2021-05-31")] * 3})
    ev = CohortSpec.from_config({"as_of": ["2021-05-31"], "active": {
        "table": "events", "source": "school", "within": "3m"}}).active
    # 3 calendar months before 31 May is 28 February.
    assert is_active(t, ev, frame).tolist() == [True, False, False]
    pe = CohortSpec.from_config({"as_of": ["2021-05-31"], "active": {
        "table": "periods", "type": "sessions_possible", "within": "90d"}}).active
    # b's period ends on t, so it has not ended before t.
    assert is_active(t, pe, frame).tolist() == [True, False, False]
    ever = CohortSpec.from_config({"as_of": ["2021-05-31"], "active": {
        "table": "events", "within": "all"}}).active
    assert is_active(t, ever, frame).tolist() == [True, True, False]


def test_exclude_escalated_uses_outcome_rows_known_before_t():
    t = tables(
        people=people(("a", "2008-01-01"), ("b", "2008-01-01"), ("c", "2008-01-01")),
        events=events(
            ("a", "2021-03-01", "youth_justice", "caution"),
            ("b", "2021-03-01", "youth_justice", "caution", "2021-09-01"),  # late
            ("c", "2021-08-31", "police", "police_contact"),
        ),
    )
    spec = CohortSpec(as_of=["2021-09-01", "2021-09-02"], exclude_escalated=True)
    res = build_cohort(t, spec, outcome=YJ)
    assert frame_rows(res.frame) == [
        ("b", "2021-09-01"), ("c", "2021-09-01"), ("c", "2021-09-02"),
    ]
    assert res.counts["already_escalated"] == 3


def test_counts_take_the_first_reason_and_add_up():
    t = tables(
        people=people(("young", "2015-01-01"), ("old", "2000-01-01"),
                      ("idle", "2008-01-01"), ("done", "2008-01-01"),
                      ("ok", "2008-01-01")),
        events=events(("done", "2021-01-01", "youth_justice", "caution"),
                      ("young", "2021-01-01", "youth_justice", "caution")),
        episodes=episodes(*[(p, "2019-09-01", None, "school", "enrolment")
                            for p in ("young", "old", "done", "ok")]),
    )
    spec = CohortSpec.from_config({
        "as_of": ["2021-09-01", "2022-09-01"], "age": {"min": 10, "max": 17},
        "active": {"table": "episodes", "source": "school", "within": "90d"},
        "exclude_escalated": True})
    res = build_cohort(t, spec, outcome=YJ)
    assert res.counts == {
        "candidates": 10, "unknown_person": 0, "duplicate": 0,
        "after_last_record": 0, "no_date_of_birth": 0, "too_young": 2, "too_old": 2, "not_active": 2,
        "already_escalated": 2, "scored": 2,
    }
    assert sum(res.counts[r] for r in REASONS) + res.counts["scored"] == 10
    by = res.counts_by_as_of()
    assert by.loc[T("2021-09-01")].to_dict() == {
        "scored": 1, "too_young": 1, "too_old": 1, "not_active": 1,
        "already_escalated": 1}
    assert res.summary()[0] == "10 candidate rows, 2 scored"
    assert "2 set aside: not active in source" in res.summary()


# --------------------------------------------------------------------------- cross-checks


def _random_tables(rng: np.random.Generator, n: int = 60) -> CanonicalTables:
    ids = [f"p{i}" for i in range(n)]
    day = lambda k: T("2019-09-01") + pd.to_timedelta(rng.integers(0, 1500, k),  # noqa: E731
                                                      unit="D")
    ppl = pd.DataFrame({"person_id": ids, "date_of_birth": T("2003-01-01")
                        + pd.to_timedelta(rng.integers(0, 3650, n), unit="D")})
    k = 4 * n
    ev_date = day(k)
    ev = pd.DataFrame({
        "person_id": rng.choice(ids, k), "event_date": ev_date,
        "source": rng.choice(["school", "youth_justice"], k),
        "event_type": "x",
        "recorded_at": pd.Series(ev_date + pd.to_timedelta(
            rng.integers(-5, 60, k), unit="D")).where(rng.random(k) < 0.5)})
    m = 2 * n
    start = day(m)
    ep = pd.DataFrame({
        "person_id": rng.choice(ids, m), "start_date": start,
        "end_date": pd.Series(start + pd.to_timedelta(rng.integers(0, 400, m),
                                                      unit="D")).where(
            rng.random(m) < 0.7),
        "source": "school", "episode_type": rng.choice(["enrolment", "other"], m),
        "recorded_at": pd.Series(start + pd.to_timedelta(rng.integers(0, 30, m),
                                                         unit="D")).where(
            rng.random(m) < 0.5)})
    return tables(people=ppl, events=ev, episodes=ep)


def _naive_reason(t: CanonicalTables, pid: str, when: pd.Timestamp) -> str | None:
    """The eligibility rules of the brief, one candidate at a time."""
    dob = t["people"].set_index("person_id")["date_of_birth"][pid]
    age = when.year - dob.year - ((when.month, when.day) < (dob.month, dob.day))
    if age < 10:
        return "too_young"
    if age > 16:
        return "too_old"
    since = when - pd.Timedelta(days=120)
    active = False
    for r in t["episodes"].itertuples():
        if r.person_id != pid or r.episode_type != "enrolment":
            continue
        known = max(r.start_date, r.recorded_at) if pd.notna(r.recorded_at) \
            else r.start_date
        if known < when and (pd.isna(r.end_date) or r.end_date >= since):
            active = True
    if not active:
        return "not_active"
    for r in t["events"].itertuples():
        known = max(r.event_date, r.recorded_at) if pd.notna(r.recorded_at) \
            else r.event_date
        if r.person_id == pid and r.source == "youth_justice" and known < when:
            return "already_escalated"
    return None


def test_cohort_matches_a_naive_reference_on_random_tables():
    rng = np.random.default_rng(7)
    t = _random_tables(rng)
    spec = CohortSpec.from_config({
        "as_of": {"start": "2020-09-01", "end": "2023-09-01", "every": "6 months"},
        "age": {"min": 10, "max": 16},
        "active": {"table": "episodes", "source": "school", "type": "enrolment",
                   "within": "120d"},
        "exclude_escalated": True})
    res = build_cohort(t, spec, outcome=YJ)
    got = {(p, w): None for p, w in zip(res.frame["person_id"], res.frame["as_of"],
                                        strict=True)}
    got |= dict(zip(zip(res.set_aside["person_id"], res.set_aside["as_of"],
                        strict=True), res.set_aside["reason"], strict=True))
    want = {(p, w): _naive_reason(t, p, w)
            for w in Schedule(start="2020-09-01", end="2023-09-01",
                              every="6m").dates()
            for p in t["people"]["person_id"]}
    assert got == want
    assert 0 < res.counts["scored"] < res.counts["candidates"]
    assert all(res.counts[r] > 0 for r in ("too_young", "too_old", "not_active",
                                           "already_escalated"))


_days = st.integers(min_value=0, max_value=900)


@st.composite
def _later_rows(draw: st.DrawFn, when: pd.Timestamp) -> tuple[pd.DataFrame, ...]:
    """Events and episodes that are known on or after ``when``."""
    n = draw(st.integers(1, 6))
    ev, ep = [], []
    for _ in range(n):
        pid = draw(st.sampled_from(["p0", "p1", "p2", "p3"]))
        happened = T("2019-09-01") + pd.Timedelta(days=draw(_days))
        # Either it happens on/after t, or it happened before but was recorded late.
        recorded = max(happened, when) + pd.Timedelta(days=draw(st.integers(0, 30)))
        if happened >= when and draw(st.booleans()):
            recorded = None
        ev.append((pid, happened, draw(st.sampled_from(["school", "youth_justice"])),
                   "x", recorded))
        end = None if draw(st.booleans()) else happened + pd.Timedelta(
            days=draw(st.integers(0, 400)))
        ep.append((pid, happened, end, "school", "enrolment", recorded))
    return events(*ev), episodes(*ep)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 10_000))
def test_eligibility_ignores_rows_known_on_or_after_t(data, seed):
    when = T("2021-09-01")
    base = _random_tables(np.random.default_rng(seed), n=4)
    more_ev, more_ep = data.draw(_later_rows(when))
    grown = tables(
        people=base["people"],
        events=pd.concat([base["events"], more_ev], ignore_index=True),
        episodes=pd.concat([base["episodes"], more_ep], ignore_index=True),
    )
    spec = CohortSpec.from_config({
        "as_of": [when.date()], "age": {"min": 5, "max": 20},
        "active": {"table": "episodes", "source": "school", "within": "90d"},
        "exclude_escalated": True})
    a = build_cohort(base, spec, outcome=YJ)
    b = build_cohort(grown, spec, outcome=YJ)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.counts == b.counts
    ev_spec = spec.model_copy(update={"active": spec.active.model_copy(
        update={"table": "events", "type": None})})
    pd.testing.assert_frame_equal(build_cohort(base, ev_spec, outcome=YJ).frame,
                                  build_cohort(grown, ev_spec, outcome=YJ).frame)


# --------------------------------------------------------------------------- data's end


def _open_enrolments() -> CanonicalTables:
    # open enrolments keep everyone "active" at any date, however late
    return tables(
        people=people(("a", "2008-01-01"), ("b", "2009-01-01")),
        episodes=episodes(("a", "2019-09-01", None, "school", "enrolment"),
                          ("b", "2019-09-01", None, "school", "enrolment",
                           "2022-10-15")),
    )


def test_as_of_dates_after_the_last_record_are_set_aside_with_a_warning():
    spec = CohortSpec.from_config({
        "as_of": {"start": "2021-09-01", "end": "2024-09-01", "every": "1y"},
        "active": {"table": "episodes", "source": "school"}})
    with pytest.warns(EarlysignalWarning) as caught:
        res = build_cohort(_open_enrolments(), spec, last_record=T("2022-10-15"))
    assert str(caught[0].message) == (
        "2 as-of dates are after the data's last record (2022-10-15), so every row "
        "there is set aside (4 rows): 2023-09-01, 2024-09-01. Fix: end cohort.as_of "
        "on or before 2022-10-15, or supply a newer extract")
    assert frame_rows(res.frame) == [("a", "2021-09-01"), ("a", "2022-09-01")]
    assert res.counts["after_last_record"] == 4
    assert res.counts["not_active"] == 2          # b's enrolment known 2022-10-15
    assert sum(res.counts[r] for r in REASONS) + res.counts["scored"] == 8
    assert "4 set aside: as-of date after the data's last record, 2022-10-15" \
        in res.summary()
    assert res.counts_by_as_of()["after_last_record"].tolist() == [0, 0, 2, 2]
    # the last record's own day is within the data
    on_day = build_cohort(_open_enrolments(), CohortSpec(as_of=["2022-10-15"]),
                          last_record=T("2022-10-15"))
    assert on_day.counts["after_last_record"] == 0


def test_a_cohort_wholly_after_the_last_record_is_a_config_error():
    spec = CohortSpec(as_of=["2030-01-01", "2030-06-01"])
    with pytest.raises(ConfigError) as e:
        build_cohort(_open_enrolments(), spec, last_record=T("2022-10-15"))
    assert str(e.value) == (
        "cohort has 1 problem:\n  - cohort.as_of: every as-of date (2030-01-01, "
        "2030-06-01) is after the data's last record (2022-10-15), so no row can be "
        "scored (hint: end cohort.as_of on or before 2022-10-15, or supply a newer "
        "extract)")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), last_day=st.integers(0, 1600))
def test_the_last_record_sets_aside_exactly_the_rows_after_it(seed, last_day):
    t = _random_tables(np.random.default_rng(seed), n=12)
    last = T("2019-09-01") + pd.Timedelta(days=last_day)
    spec = CohortSpec.from_config({
        "as_of": {"start": "2020-09-01", "end": "2023-09-01", "every": "6 months"},
        "age": {"min": 10, "max": 16},
        "active": {"table": "episodes", "source": "school", "within": "all"}})
    every = build_cohort(t, spec)
    if last < T("2020-09-01"):
        with pytest.raises(ConfigError, match="cohort.as_of: every as-of date"):
            build_cohort(t, spec, last_record=last)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = build_cohort(t, spec, last_record=last)
    late = every.frame["as_of"] > last
    pd.testing.assert_frame_equal(res.frame,
                                  every.frame.loc[~late].reset_index(drop=True))
    aside = res.set_aside.set_index(["person_id", "as_of"])["reason"]
    n_late = len(t["people"]) * sum(d > last for d in spec.as_of.dates())
    assert (aside == "after_last_record").sum() == n_late == res.counts[
        "after_last_record"]
    assert all(w <= last for (_, w), r in aside.items() if r != "after_last_record")
    assert sum(res.counts[r] for r in REASONS) + res.counts["scored"] == \
        res.counts["candidates"] == every.counts["candidates"]
    assert len(caught) == int(n_late > 0)


def test_the_warning_lists_four_late_dates_and_how_many_more():
    with pytest.warns(EarlysignalWarning, match=r"\(12 rows\): 2023-01-01, "
                      r"2023-02-01, 2023-03-01, 2023-04-01 and 2 more\. Fix"):
        build_cohort(_open_enrolments(), CohortSpec.from_config({"as_of": {
            "start": "2022-10-01", "end": "2023-06-01", "every": "1m"}}),
            last_record=T("2022-12-31"))
