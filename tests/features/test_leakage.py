"""Known, not happened: nothing known on or after the as-of date reaches a feature.

The properties are checked on random tables; the same checks are shown to catch a
deliberately leaky compile path, so they are not vacuous.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reference import (
    ALL_SPECS,
    BASE_DAY,
    PEOPLE,
    assert_frames_match,
    canonical_tables,
    known_on,
)

from earlysignal.data import CanonicalTables
from earlysignal.errors import LeakageError
from earlysignal.features import _compile
from earlysignal.features._compute import compute_features
from earlysignal.features._engine import Engine
from earlysignal.features._integrity import check_temporal_integrity, known_before

_SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck)}
_DATE = {"events": "event_date", "episodes": "start_date", "periods": "period_end",
         "characteristics": "valid_from"}


def _future_only(tables: CanonicalTables, t: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The rows of ``tables`` first known on or after ``t``."""
    return {name: df[known_on(df, _DATE[name]) >= t]
            for name, df in tables.items() if name in _DATE}


@st.composite
def world_with_future(draw):
    """(tables, cohort at t, tables after adding, deleting and changing rows known on
    or after t, and moving ends and valid_to dates that lie on or after t)."""
    day = draw(st.integers(200, 800))
    t = BASE_DAY + pd.Timedelta(days=day)
    tables = draw(canonical_tables([day]))
    extra = _future_only(draw(canonical_tables([day])), t)
    changed = {}
    for name, df in tables.items():
        if name == "people":
            changed[name] = df
            continue
        future = known_on(df, _DATE[name]) >= t
        keep = [not f or draw(st.booleans()) for f in future]   # delete some future
        df = df[np.array(keep, dtype=bool)].copy()
        if name == "episodes":
            late = df["end_date"].isna() | (df["end_date"] >= t)
            for i in df.index[late]:
                df.loc[i, "end_date"] = draw(st.sampled_from(
                    [pd.NaT, t, t + pd.Timedelta(days=3), t + pd.Timedelta(days=400)]))
        if name == "characteristics":
            late = df["valid_to"].isna() | (df["valid_to"] >= t)
            for i in df.index[late]:
                df.loc[i, "valid_to"] = draw(st.sampled_from([pd.NaT, t,
                                                              t + pd.Timedelta(days=9)]))
        changed[name] = pd.concat([df, extra[name]], ignore_index=True)
    cohort = pd.DataFrame({"person_id": PEOPLE, "as_of": [t] * len(PEOPLE)})
    return tables, cohort, CanonicalTables.from_frames(changed)


def _features(tables, cohort, engine) -> pd.DataFrame:
    return compute_features(tables, cohort, ALL_SPECS, engine=engine).frame


def _future_changes_nothing(case, engine) -> None:
    tables, cohort, changed = case
    t = cohort["as_of"].iloc[0]
    before = _features(tables, cohort, engine)
    assert_frames_match(_features(changed, cohort, engine), before)
    cut = CanonicalTables.from_frames(known_before(tables, t))
    assert_frames_match(_features(cut, cohort, engine), before)


@settings(max_examples=25, **_SETTINGS)
@given(world_with_future())
def test_rows_known_on_or_after_t_change_no_feature(duckdb_engine, case):
    _future_changes_nothing(case, duckdb_engine)


@pytest.mark.spark
@settings(max_examples=2, **_SETTINGS)
@given(world_with_future())
def test_rows_known_on_or_after_t_change_no_feature_on_spark(spark_engine, case):
    _future_changes_nothing(case, spark_engine)


# ---------------------------------------------------------------- the check bites

def _ignore_recorded_at(tbl, date_col):
    return _compile._days(tbl[date_col])


def _on_or_before(day, t):
    return day <= t


@pytest.mark.parametrize("name, leak", [("_known_day", _ignore_recorded_at),
                                        ("_before", _on_or_before)])
def test_property_finds_a_leaky_compile_path(monkeypatch, name, leak):
    monkeypatch.setattr(_compile, name, leak)
    engine = Engine("duckdb")   # a fresh engine: no query compiled before the patch

    # no shrinking: finding one counterexample is the point, and shrinking a
    # failure through the engine takes minutes
    @settings(max_examples=100, database=None, phases=[Phase.generate],
              report_multiple_bugs=False, **_SETTINGS)
    @given(world_with_future())
    def prop(case):
        _future_changes_nothing(case, engine)

    # the failure must be a feature value that changed, not any other assertion
    with pytest.raises(AssertionError, match=r"engine .* vs reference"):
        prop()


def _leaky_world():
    events = pd.DataFrame({
        "person_id": ["p0", "p0", "p1", "p1"],
        "event_date": ["2024-01-10", "2024-02-20", "2024-03-01", "2023-12-05"],
        "source": "school", "event_type": "a",
        "recorded_at": [None, "2024-03-04", None, None]})
    tables = CanonicalTables.from_frames({"events": events})
    cohort = pd.DataFrame({"person_id": ["p0", "p1", "p2"],
                           "as_of": pd.to_datetime(["2024-03-01"] * 3)})
    specs = [{"name": "school_events", "from": "events",
              "aggregate": ["count", "days_since_last"], "windows": ["90d"]}]
    return tables, cohort, specs


def test_integrity_check_passes_a_sound_matrix():
    tables, cohort, specs = _leaky_world()
    frame = compute_features(tables, cohort, specs).frame
    report = check_temporal_integrity(tables, cohort, specs, frame, sample=10)
    assert report.rows_checked == 3 and report.features_checked == 3


@pytest.mark.parametrize("name, leak", [("_known_day", _ignore_recorded_at),
                                        ("_before", _on_or_before)])
def test_integrity_check_raises_on_a_leaky_matrix(monkeypatch, name, leak):
    tables, cohort, specs = _leaky_world()
    with monkeypatch.context() as m:
        m.setattr(_compile, name, leak)
        leaky = compute_features(tables, cohort, specs, engine=Engine("duckdb")).frame
    with pytest.raises(LeakageError) as info:
        check_temporal_integrity(tables, cohort, specs, leaky, engine=Engine("duckdb"))
    msg = str(info.value)
    assert "school_events__count__90d: 1 row differs" in msg
    assert "when data known on or after the as-of date is removed" in msg
    assert "at 2024-03-01: matrix 2, from data known before the date 1" in msg


# ---------------------------------------------------------------- named rules

T = pd.Timestamp("2024-03-01")


def _frame(tables: dict, specs: list, engine, person="a") -> pd.Series:
    cohort = pd.DataFrame({"person_id": [person], "as_of": [T]})
    return compute_features(CanonicalTables.from_frames(tables), cohort, specs,
                            engine=engine).frame.iloc[0]


def test_a_period_ending_on_or_after_t_never_counts(engine):
    periods = pd.DataFrame({
        "person_id": "a", "period_start": "2023-09-01",
        "period_end": ["2024-03-01", "2024-03-01", "2024-07-31", "2024-07-31"],
        "measure": ["possible", "auth"] * 2, "value": [100.0, 50.0, 300.0, 90.0]})
    spec = [{"name": "absence", "from": "periods",
             "ratio": {"numerator": {"measure": "auth"},
                       "denominator": {"measure": "possible"}},
             "windows": ["1y", "all"]},
            {"name": "possible", "from": "periods", "measure": "possible",
             "aggregate": ["sum"], "windows": ["all"]}]
    got = _frame({"periods": periods}, spec, engine)
    assert pd.isna(got["absence__ratio__all"]) and got["absence__no_data__all"] == 1
    assert got["possible__sum__all"] == 0


def test_an_open_episode_is_clipped_at_t(engine):
    episodes = pd.DataFrame({
        "person_id": ["a", "b"], "start_date": ["2024-02-01", "2024-02-01"],
        "end_date": [None, "2025-01-01"], "source": "social_care",
        "episode_type": "looked_after"})
    spec = [{"name": "care", "from": "episodes",
             "aggregate": ["open", "days_in", "days_since_last_ended"],
             "windows": ["1y", "all"]}]
    for person in ("a", "b"):   # open, and ending after t: the same thing at t
        got = _frame({"episodes": episodes}, spec, engine, person)
        assert got["care__open__asof"] == 1
        assert got["care__days_in__all"] == 29 and got["care__days_in__1y"] == 29
        assert pd.isna(got["care__days_since_last_ended__all"])


def test_characteristics_are_taken_as_of_t(engine):
    chars = pd.DataFrame({
        "person_id": "a", "attribute": "fsm", "value": ["no", "yes", "no"],
        "valid_from": ["2020-09-01", "2023-09-01", "2024-03-01"],
        "valid_to": ["2023-08-31", None, None]})
    spec = [{"name": "fsm", "from": "characteristics", "attribute": "fsm",
             "protected": True}]
    assert _frame({"characteristics": chars}, spec, engine)["fsm__value__asof"] == "yes"
