"""Temporal folds: no training label window reaches the test start."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earlysignal.errors import EarlysignalError, LeakageError
from earlysignal.features._windows import Window
from earlysignal.model import _folds
from earlysignal.model._folds import Fold, folds_svg, temporal_folds, validate_folds

ORIGIN = pd.Timestamp("2019-09-01")
HORIZONS = ["30d", "90d", "2 weeks", "6m", "12m", "1y", "1 term"]

dates_strategy = st.lists(st.integers(0, 2000), min_size=1, max_size=30).map(
    lambda days: pd.Series(ORIGIN + pd.to_timedelta(days, unit="D")))


def leak_free(as_of: pd.Series, horizon: str) -> None:
    """Every property a fold must have, checked against the rows themselves."""
    h = Window.parse(horizon)
    folds = temporal_folds(as_of, horizon=horizon)
    validate_folds(folds, as_of, horizon=horizon)
    distinct = sorted(set(as_of))
    for fold in folds:
        train, test = fold.split(as_of)
        assert len(train) and len(test)
        for t in as_of.iloc[train]:
            assert h.shift(t, +1) <= fold.test_start
        assert (as_of.iloc[test] == fold.test_start).all()
        # complete: every date whose label has closed is used
        expected = [t for t in distinct if h.shift(t, +1) <= fold.test_start]
        assert sorted(set(as_of.iloc[train])) == expected
    # every eligible test date gets a fold
    eligible = [d for d in distinct if any(h.shift(t, +1) <= d for t in distinct)]
    assert [f.test_start for f in folds] == eligible


@settings(max_examples=60, deadline=None)
@given(dates_strategy, st.sampled_from(HORIZONS))
def test_no_training_label_reaches_the_test_start(as_of, horizon):
    leak_free(as_of, horizon)


@settings(max_examples=30, deadline=None)
@given(dates_strategy, st.sampled_from(HORIZONS), st.integers(1, 4))
def test_max_train_span_keeps_only_recent_eligible_dates(as_of, horizon, n):
    h = Window.parse(horizon)
    for fold in temporal_folds(as_of, horizon=horizon, max_train_span=n):
        everything = [t for t in sorted(set(as_of)) if h.shift(t, +1) <= fold.test_start]
        assert list(fold.train_dates) == everything[-n:]


def test_a_wrong_fold_rule_is_caught(monkeypatch):
    # "train on anything before the test date" lets labels overlap the test period
    def wrong(dates, test_start, horizon):
        return np.asarray(dates < test_start)

    monkeypatch.setattr(_folds, "_train_mask", wrong)
    as_of = pd.Series(pd.to_datetime(["2021-09-01", "2022-03-01"]))
    with pytest.raises(LeakageError, match="closes 2022-09-01, after the test start"):
        leak_free(as_of, "12m")

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(dates_strategy, st.sampled_from(HORIZONS))
    def prop(as_of, horizon):
        leak_free(as_of, horizon)

    with pytest.raises(LeakageError, match="after the test start"):
        prop()


def test_hand_built_schedule():
    as_of = pd.Series(pd.to_datetime(
        ["2020-09-01", "2021-03-01", "2021-09-01", "2021-09-01", "2022-03-01"]))
    folds = temporal_folds(as_of, horizon="12m")
    assert [str(f.test_start.date()) for f in folds] == ["2021-09-01", "2022-03-01"]
    train, test = folds[0].split(as_of)
    assert train.tolist() == [0] and test.tolist() == [2, 3]
    train, test = folds[1].split(as_of)
    assert train.tolist() == [0, 1] and test.tolist() == [4]
    assert folds[1].train_label_end == pd.Timestamp("2022-03-01")
    assert folds[1].to_dict()["train_end"] == "2021-03-01"


def test_min_train_dates_skips_early_test_dates():
    as_of = pd.Series(pd.to_datetime(["2020-01-01", "2020-07-01", "2021-01-01",
                                      "2021-07-01"]))
    folds = temporal_folds(as_of, horizon="6m", min_train_dates=2)
    assert [f.test_start for f in folds] == list(as_of[2:])


def test_test_period_for_decision_points():
    as_of = pd.Series(pd.to_datetime(["2020-01-15", "2020-11-03", "2021-02-10",
                                      "2021-05-20", "2021-08-30"]))
    (fold,) = temporal_folds(as_of, horizon="12m",
                             test_dates=[("2021-01-15", "2021-06-30")])
    train, test = fold.split(as_of)
    assert train.tolist() == [0] and test.tolist() == [2, 3]
    validate_folds([fold], as_of, horizon="12m")


def test_errors_name_the_fix():
    as_of = pd.Series(pd.to_datetime(["2021-01-01", "2021-06-01"]))
    with pytest.raises(EarlysignalError, match="0 training as-of date.*shorter horizon"):
        temporal_folds(as_of, horizon="12m", test_dates=["2021-06-01"])
    with pytest.raises(EarlysignalError, match="horizon 'all' has no end"):
        temporal_folds(as_of, horizon="all")
    with pytest.raises(EarlysignalError, match="ends before it starts"):
        temporal_folds(as_of, test_dates=[("2022-06-01", "2022-01-01")])


def test_overlapping_rows_are_leakage():
    as_of = pd.Series(pd.to_datetime(["2020-01-01", "2021-01-01"]))
    d = as_of[1]
    overlapping = Fold(0, d, d, d, d, d, "1d", (d,))
    with pytest.raises(LeakageError, match="same rows to train and test"):
        validate_folds([overlapping], as_of, horizon="1d")


def test_folds_svg_is_reproducible_svg():
    as_of = pd.Series(pd.to_datetime(["2020-09-01", "2021-03-01", "2021-09-01"]))
    folds = temporal_folds(as_of, horizon="6m")
    svg = folds_svg(folds)
    assert svg.startswith("<?xml") and "<svg" in svg and "fold 1" in svg
    assert svg == folds_svg(folds)
