"""The engine equals the naive pandas reference, cell by cell, on random tables
(DuckDB always; Spark when marked), and hand-computed cases for each aggregate."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from reference import (
    ALL_SPECS,
    assert_frames_match,
    reference_features,
    tables_and_cohort,
)

from earlysignal.data import CanonicalTables
from earlysignal.errors import EngineError
from earlysignal.features._compute import compute_features, iter_features
from earlysignal.features._engine import Engine

_SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck)}


@settings(max_examples=20, **_SETTINGS)
@given(tables_and_cohort())
def test_duckdb_matches_reference(duckdb_engine, case):
    tables, cohort = case
    got = compute_features(tables, cohort, ALL_SPECS, engine=duckdb_engine).frame
    assert_frames_match(got, reference_features(tables, cohort, ALL_SPECS))


@pytest.mark.spark
@settings(max_examples=3, **_SETTINGS)
@given(tables_and_cohort())
def test_spark_matches_reference(spark_engine, case):
    tables, cohort = case
    got = compute_features(tables, cohort, ALL_SPECS, engine=spark_engine).frame
    assert_frames_match(got, reference_features(tables, cohort, ALL_SPECS))


@settings(max_examples=5, **_SETTINGS)
@given(tables_and_cohort())
def test_batches_and_parquet_give_the_same_matrix(duckdb_engine, tmp_path_factory,
                                                  case):
    tables, cohort = case
    whole = compute_features(tables, cohort, ALL_SPECS, engine=duckdb_engine).frame
    folder = tmp_path_factory.mktemp("tables")
    tables.write_dir(folder)
    on_disk = CanonicalTables.read_dir(folder)
    batches = list(iter_features(on_disk, cohort, ALL_SPECS, engine=duckdb_engine,
                                 rows_per_batch=2))
    assert len(batches) >= cohort["as_of"].nunique()
    joined = pd.concat(batches).sort_index()
    assert_frames_match(joined, whole)


# ---------------------------------------------------------------- hand-computed

def _day(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


T = _day("2024-03-01")


def _one(tables: dict, spec: dict, engine: Engine, person: str = "a",
         as_of: pd.Timestamp = T) -> pd.Series:
    cohort = pd.DataFrame({"person_id": [person], "as_of": [as_of]})
    frame = compute_features(CanonicalTables.from_frames(tables), cohort, [spec],
                             engine=engine).frame
    return frame.iloc[0, 2:]


def test_events_by_hand(engine):
    events = pd.DataFrame({
        "person_id": "a",
        "event_date": ["2024-02-29", "2023-12-02", "2023-12-01", "2022-03-01",
                       "2024-03-01", "2024-02-20"],
        "recorded_at": [None, None, None, None, None, "2024-03-01"],
        "source": "school",
        "event_type": ["x", "y", "x", "x", "x", "x"],
        "value": [2.0, 1.0, 4.0, 1.0, 9.0, 9.0],
    })
    people = pd.DataFrame({"person_id": ["a"], "date_of_birth": ["2014-03-01"]})
    spec = {"name": "e", "from": "events",
            "aggregate": ["count", "sum", "ever", "days_since_last",
                          "days_since_first", "distinct_types", "rate_per_year"],
            "windows": ["90d", "all"], "trend": True}
    got = _one({"events": events, "people": people}, spec, engine)
    # 90d window is [2023-12-02, 2024-03-01): rows on 02-29 and 12-02; the row on
    # 03-01 is on t and the one recorded on 03-01 is not yet known.
    assert got["e__count__90d"] == 2 and got["e__count__all"] == 4
    assert got["e__sum__90d"] == 3.0 and got["e__sum__all"] == 8.0
    assert got["e__ever__90d"] == 1.0
    assert got["e__days_since_last__90d"] == 1
    assert got["e__days_since_first__90d"] == 90
    assert got["e__days_since_first__all"] == (T - _day("2022-03-01")).days
    assert got["e__distinct_types__90d"] == 2
    assert got["e__rate_per_year__90d"] == pytest.approx(2 / (90 / 365.25))
    age = (T - _day("2014-03-01")).days / 365.25
    assert got["e__rate_per_year__all"] == pytest.approx(4 / age)
    # previous 90 days [2023-09-03, 2023-12-02) hold the row on 2023-12-01
    assert got["e__trend__90d"] == 2 - 1
    assert got["e__no_data__90d"] == 0.0


def test_events_with_nothing_recorded(engine):
    events = pd.DataFrame({"person_id": ["b"], "event_date": ["2024-01-01"],
                           "source": "school", "event_type": "x"})
    spec = {"name": "e", "from": "events",
            "aggregate": ["count", "days_since_last", "rate_per_year"],
            "windows": ["30d"]}
    got = _one({"events": events}, spec, engine)
    assert got["e__count__30d"] == 0 and got["e__rate_per_year__30d"] == 0
    assert pd.isna(got["e__days_since_last__30d"])
    assert got["e__no_data__30d"] == 1.0


def test_episodes_by_hand(engine):
    episodes = pd.DataFrame({
        "person_id": "a",
        "start_date": ["2023-12-01", "2024-02-01", "2023-01-01", "2024-02-25"],
        "end_date": ["2023-12-21", "2024-03-05", None, None],
        "recorded_at": [None, None, None, "2024-03-02"],
        "source": "social_care",
        "episode_type": ["cin", "cin", "cp", "cin"],
    })
    spec = {"name": "cin", "from": "episodes", "where": {"episode_type": "cin"},
            "aggregate": ["open", "started", "days_in", "days_since_last_ended"],
            "windows": ["90d", "all"], "trend": True}
    got = _one({"episodes": episodes}, spec, engine)
    # the episode ending 2024-03-05 is open at t and clipped there; the one recorded
    # on 2024-03-02 is not known yet.
    assert got["cin__open__asof"] == 1.0
    assert got["cin__started__90d"] == 1
    assert got["cin__days_in__90d"] == 19 + 29
    assert got["cin__days_since_last_ended__90d"] == (T - _day("2023-12-21")).days
    # the trend is of `started`: the 90 days before, [2023-09-03, 2023-12-02), saw
    # the first episode start
    assert got["cin__trend__90d"] == 1 - 1


def test_periods_by_hand(engine):
    periods = pd.DataFrame({
        "person_id": "a",
        "period_start": ["2023-09-01"] * 3 + ["2024-01-01"] * 3 + ["2024-01-01"] * 3,
        "period_end": ["2023-12-31"] * 3 + ["2024-02-29"] * 3 + ["2024-03-31"] * 3,
        "measure": ["possible", "auth", "unauth"] * 3,
        "value": [100, 6, 4, 60, 3, 6, 80, 40, 40],
    })
    spec = {"name": "absence", "from": "periods",
            "ratio": {"numerator": {"measure": ["auth", "unauth"]},
                      "denominator": {"measure": "possible"}},
            "aggregate": ["ratio", "persistent"], "windows": ["30d", "90d", "1y"],
            "trend": True}
    got = _one({"periods": periods}, spec, engine)
    # the period ending 2024-03-31 (after t) never counts.
    assert got["absence__ratio__30d"] == pytest.approx(9 / 60)
    assert got["absence__ratio__1y"] == pytest.approx(19 / 160)
    assert got["absence__persistent__30d"] == 1.0
    assert got["absence__persistent__1y"] == 1.0
    assert got["absence__ratio__90d"] == pytest.approx(19 / 160)
    # nothing ended in the 30 days before, so that ratio and the trend are NULL
    assert pd.isna(got["absence__trend__30d"])
    assert got["absence__no_data__30d"] == 0.0


def test_period_ratio_missing_and_complement(engine):
    periods = pd.DataFrame({
        "person_id": "a", "period_start": "2024-01-01",
        "period_end": ["2024-02-28", "2024-02-28"], "measure": ["possible", "auth"],
        "value": [50.0, 5.0]})
    spec = {"name": "attendance", "from": "periods",
            "ratio": {"numerator": {"measure": "auth"},
                      "denominator": {"measure": "possible"}, "complement": True},
            "windows": ["30d", "1y"], "trend": True}
    got = _one({"periods": periods}, spec, engine)
    assert got["attendance__ratio__30d"] == pytest.approx(0.9)
    assert pd.isna(got["attendance__trend__30d"])  # nothing in the 30 days before
    assert got["attendance__no_data__30d"] == 0.0
    got = _one({"periods": periods}, spec, engine, as_of=_day("2024-02-28"))
    assert pd.isna(got["attendance__ratio__30d"])
    assert got["attendance__no_data__30d"] == 1.0


def test_characteristics_and_age_by_hand(engine):
    chars = pd.DataFrame({
        "person_id": "a", "attribute": ["sen", "sen", "sen", "fsm"],
        "value": ["none", "ehcp", "support", "yes"],
        "valid_from": ["2020-01-01", "2024-01-01", "2024-03-01", "2020-01-01"],
        "valid_to": [None, None, None, "2024-02-29"],
    })
    people = pd.DataFrame({"person_id": ["a"], "date_of_birth": ["2012-03-01"],
                           "school": ["S9"]})
    specs = [{"name": "sen", "from": "characteristics", "attribute": "sen"},
             {"name": "fsm", "from": "characteristics", "attribute": "fsm"},
             {"name": "age", "from": "people", "aggregate": ["age"]},
             {"name": "school", "from": "people", "column": "school"}]
    cohort = pd.DataFrame({"person_id": ["a"], "as_of": [T]})
    got = compute_features(CanonicalTables.from_frames(
        {"characteristics": chars, "people": people}), cohort, specs,
        engine=engine).frame.iloc[0]
    assert got["sen__value__asof"] == "ehcp"   # the row from t itself is not known
    assert got["fsm__value__asof"] == "unknown"  # ended the day before t
    assert got["age__age__asof"] == pytest.approx((T - _day("2012-03-01")).days
                                                  / 365.25)
    assert got["school__value__asof"] == "S9"


def test_engine_error_carries_sql(duckdb_engine, tmp_path):
    path = tmp_path / "events.parquet"
    pd.DataFrame({"person_id": ["a"], "event_date": ["not a date"], "source": "s",
                  "event_type": "x"}).to_parquet(path)
    tables = CanonicalTables(paths={"events": path})
    cohort = pd.DataFrame({"person_id": ["a"], "as_of": [T]})
    spec = [{"name": "e", "from": "events", "windows": ["30d"]}]
    with pytest.raises(EngineError) as info:
        compute_features(tables, cohort, spec, engine=duckdb_engine)
    msg = str(info.value)
    assert "computing feature 'e' on duckdb failed" in msg
    assert "generated SQL" in msg and "SELECT" in msg


@pytest.mark.spark
def test_spark_reads_parquet_like_duckdb(spark_engine, duckdb_engine, tmp_path):
    frames = {
        "people": pd.DataFrame({"person_id": ["p0", "p1"],
                                "date_of_birth": ["2010-05-01", None],
                                "school": ["S1", "S2"]}),
        "events": pd.DataFrame({
            "person_id": ["p0", "p0", "p1", "p1"], "source": "school",
            "event_type": ["a", "b", "a", "c"], "value": [1.0, 2.0, 3.0, 4.0],
            "event_date": ["2024-01-10", "2024-02-29", "2023-12-01", "2024-03-01"],
            "recorded_at": [None, "2024-03-01", "2023-12-30", None]}),
        "episodes": pd.DataFrame({
            "person_id": ["p0", "p1"], "start_date": ["2023-06-01", "2024-01-01"],
            "end_date": ["2024-01-15", None], "source": "social_care",
            "episode_type": "cin", "recorded_at": [None, "2024-01-20"]}),
        "periods": pd.DataFrame({
            "person_id": "p0", "period_start": "2023-09-01",
            "period_end": ["2023-12-31"] * 3, "measure": ["possible", "auth", "unauth"],
            "value": [100.0, 7.0, 5.0], "recorded_at": "2024-01-04"}),
        "characteristics": pd.DataFrame({
            "person_id": ["p0", "p1"], "attribute": ["sen", "fsm"],
            "value": ["x", "y"], "valid_from": ["2020-01-01", "2023-01-01"],
            "valid_to": [None, "2024-02-01"]}),
    }
    tables = CanonicalTables.from_frames(frames)
    tables.write_dir(tmp_path)
    cohort = pd.DataFrame({"person_id": ["p0", "p1", "p0", "p1"],
                           "as_of": pd.to_datetime(["2024-03-01"] * 2
                                                   + ["2024-01-05"] * 2)})
    on_spark = compute_features(CanonicalTables.read_dir(tmp_path), cohort,
                                ALL_SPECS, engine=spark_engine).frame
    assert_frames_match(on_spark, reference_features(tables, cohort, ALL_SPECS))
