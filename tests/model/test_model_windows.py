"""Test windows: a schedule keeps one fold per date; decision points are grouped into
calendar windows, each one fold and one capacity round; windows too small to judge
are merged or left out with a sentence; training/test base rates are compared."""

import numpy as np
import pandas as pd
import pytest
from model_simulation import DATES, simulate

from earlysignal.errors import EarlysignalError
from earlysignal.model import Capacity, evaluate, temporal_folds, validate_folds
from earlysignal.model._test_windows import (
    base_rate_shift,
    choose_test_every,
    merge_small_windows,
    renumber_folds,
)

FAST = {"n_estimators": 40, "early_stopping_rounds": 10, "min_child_samples": 20}


def decision_points(first: str = "2021-01-01", days: int = 730, seed: int = 3):
    """Each simulated person scored once, on a random day of a two-year span."""
    matrix, metadata, _ = simulate(2400, seed=seed, dates=DATES[:1], censor_last=False)
    rng = np.random.default_rng(seed)
    when = pd.Timestamp(first) + pd.to_timedelta(rng.integers(0, days, len(matrix)),
                                                 "D")
    return matrix.assign(as_of=when), metadata


@pytest.fixture(scope="module")
def decided():
    matrix, metadata = decision_points()
    ev = evaluate(matrix, metadata, horizon="6m", capacity="5%",
                  baselines=["base_rate"], calibration=None, model_params=FAST,
                  fit_final=False)
    return matrix, ev


def test_a_schedule_keeps_one_window_per_date():
    matrix, _, _ = simulate(300, seed=1)
    labelled = matrix[matrix["label"].notna()]
    every, reason = choose_test_every(labelled["as_of"], labelled["label"])
    assert every == "each date"
    assert reason.startswith("6 as-of dates, at most one in any month")
    by_window = temporal_folds(labelled["as_of"], horizon="12m", test_every=every)
    by_date = temporal_folds(labelled["as_of"], horizon="12m")
    assert by_window == by_date
    assert [f.window for f in by_window] == ["2021-09-01", "2022-03-01", "2022-09-01",
                                             "2023-03-01"]


def test_decision_points_are_grouped_into_the_first_window_length_that_holds_enough(
        decided):
    matrix, ev = decided
    y = matrix["label"].astype(float)
    months = y.groupby(matrix["as_of"].dt.to_period("M")).agg(["size", "sum"])
    quarters = y.groupby(matrix["as_of"].dt.to_period("Q")).agg(["size", "sum"])
    # a month is too thin, a quarter holds enough (the numbers behind the choice)
    assert months["size"].median() < 200 <= quarters["size"].median()
    assert quarters["sum"].median() >= 10
    assert ev.settings["test_every"] == "1 quarter"
    assert ev.settings["test_every_reason"] == (
        f"{matrix['as_of'].nunique()} distinct as-of dates in 24 months (decision "
        f"points): windows of 1 quarter, whose median holds "
        f"{quarters['size'].median():g} rows and {quarters['sum'].median():g} "
        "escalations")
    # a handful of quarterly folds, not hundreds of daily ones; the first quarter
    # would train on the one person scored on 1 January 2021
    assert [f.window for f in ev.folds] == [
        "2021-Q4", "2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"]
    assert ev.settings["window_notes"] == [
        "window 2021-Q3 was not evaluated: y has only one class (0) in 1 training "
        "row(s); a classifier needs examples of at least 2 classes"]
    assert (matrix["as_of"] <= "2021-01-01").sum() == 1
    validate_folds(ev.folds, matrix["as_of"], horizon="6m")
    for f in ev.folds:
        period = pd.Period(f.window.replace("-", ""), "Q")
        assert (f.test_start, f.test_end) == (period.start_time,
                                              period.end_time.normalize())
        rows = ev.scores[ev.scores["fold"] == f.index]
        assert (rows["as_of"].dt.to_period("Q") == period).all()


def test_capacity_is_applied_per_window(decided):
    _, ev = decided
    cap = Capacity.parse("5%")
    sizes = ev.scores.groupby("window").size()
    k = ev.metrics[(ev.metrics["model"] == "model") & (ev.metrics["metric"] == "k")]
    for f in ev.folds:
        assert k[k["fold"] == f.index]["value"].item() == cap.k(int(sizes[f.window]))
    pooled = ev.pooled_table.loc["model"]
    assert pooled["k"] == sum(cap.k(int(n)) for n in sizes)
    # per day it would have been at least one person on each of ~500 test days
    per_day = sum(cap.k(int(n)) for n in ev.scores.groupby("as_of").size())
    assert pooled["k"] < per_day / 3
    # the expected number caught, recomputed per window by a naive top-k
    caught = 0.0
    for _, part in ev.scores.groupby("window"):
        top = part.sort_values("model", ascending=False).head(cap.k(len(part)))
        caught += top["label"].sum()
    assert pooled["caught_at_k"] == pytest.approx(caught, abs=1.0)


def test_the_training_and_test_base_rates_of_each_window(decided):
    matrix, ev = decided
    y = matrix["label"].astype(int).to_numpy()
    per = {r["window"]: r for r in ev.shift["per_window"]}
    for f in ev.folds:
        train, test = f.split(matrix)
        assert per[f.window]["train_base_rate"] == pytest.approx(y[train].mean())
        assert per[f.window]["test_base_rate"] == pytest.approx(y[test].mean())
    assert ev.summary()["shift"]["text"] == ev.shift["text"]


def test_a_window_without_escalations_joins_the_next_and_a_small_last_one_is_left_out():
    as_of = pd.Series(pd.to_datetime(
        ["2020-01-15"] * 40 + ["2020-06-10"] * 20 + ["2021-02-10"] * 30
        + ["2021-03-05"] * 30 + ["2021-04-20"] * 10))
    y = np.r_[np.arange(60) % 4 == 0, np.zeros(30), np.arange(30) % 5 == 0,
              np.arange(10) % 2 == 0]
    folds = temporal_folds(as_of, horizon="12m", test_every="1 month")
    assert [f.window for f in folds] == ["2021-02", "2021-03", "2021-04"]
    kept, notes = merge_small_windows(folds, as_of, y, 12)
    assert len(kept) == 1
    merged = kept[0]
    assert (merged.index, merged.window) == (0, "2021-02 to 2021-03")
    assert (merged.test_start, merged.test_end) == (pd.Timestamp("2021-02-01"),
                                                    pd.Timestamp("2021-03-31"))
    # it trains as the earlier window did: only on labels closed by 1 February
    assert merged.train_dates == folds[0].train_dates == (pd.Timestamp("2020-01-15"),)
    assert merged.split(as_of)[1].tolist() == list(range(60, 120))
    assert notes == [
        "window 2021-02 (30 rows and no escalation) was merged with 2021-03",
        "window 2021-04 was not evaluated: 10 rows, fewer than the 13 in which a "
        "capacity of 12 selects anyone by choice (the last window)"]


def test_a_window_whose_calibration_slice_has_one_outcome_is_skipped_with_a_sentence():
    matrix, metadata = decision_points(first="2020-07-01", days=730, seed=5)
    # nobody scored in August or September 2020 escalated: the latest training rows
    # of the 2021-Q2 window (trained on labels closed by 1 April 2021) hold none
    quiet = matrix["as_of"].between("2020-08-01", "2020-10-01")
    matrix.loc[quiet, "label"] = 0
    ev = evaluate(matrix, metadata, horizon="6m", capacity="5%", test_every="1 quarter",
                  baselines=["base_rate"], calibration="sigmoid", model_params=FAST,
                  fit_final=False)
    skipped = [n for n in ev.settings["window_notes"] if "2021-Q2" in n]
    n_train = (matrix["as_of"] <= "2020-10-01").sum()
    assert skipped == [
        "window 2021-Q2 was not evaluated: calibration needs a later slice with both "
        f"outcomes; the latest 15% of the {n_train} training rows has 0 escalation(s) "
        "in 46 rows"]
    assert "2021-Q2" not in set(ev.scores["window"])
    assert [f.index for f in ev.folds] == list(range(len(ev.folds)))
    assert sorted(ev.scores["fold"].unique()) == [f.index for f in ev.folds]


def test_no_evaluable_window_names_the_settings_to_change():
    folds = temporal_folds(pd.Series(pd.to_datetime(["2020-01-01", "2021-06-01"])),
                           horizon="12m", test_every="1 quarter")
    with pytest.raises(EarlysignalError) as err:
        renumber_folds(folds, [], ["window 2021-Q2 was not evaluated: 3 rows and no "
                                   "escalation (the last window)"])
    text = str(err.value)
    assert text.startswith("no test window could be evaluated: window 2021-Q2 was not "
                           "evaluated: 3 rows and no escalation")
    for key in ("model.test_every", "cohort.as_of", "model.test_from",
                "label.horizon"):
        assert key in text


def test_base_rate_shift_in_either_direction_and_within():
    rows = [{"window": "2022-Q1", "n_train": 1000, "positives_train": 60,
             "n_test": 300, "positives_test": 9},
            {"window": "2022-Q2", "n_train": 1000, "positives_train": 50,
             "n_test": 300, "positives_test": 14}]
    low = base_rate_shift(rows)
    # 3.0% against 6.0% is half: beyond 1.5 times downwards; 4.7% against 5.0% is not
    assert low["windows_flagged"] == ["2022-Q1"]
    assert low["per_window"][0]["ratio"] == pytest.approx(0.5)
    assert low["text"].startswith(
        "In 1 of 2 test windows the escalation rate differs from that of the rows "
        "the fold trained on by more than 1.5 times either way: 2022-Q1 3.0% against "
        "6.0% (0.5 times).")
    assert low["text"].endswith(
        "Over all test windows 3.8% of test rows escalated against 5.5% of training "
        "rows (0.7 times).")
    within = base_rate_shift(rows[1:], factor=1.5)
    assert not within["flagged"]
    assert within["text"].startswith("In every one of the 1 test windows the "
                                     "escalation rate is within 1.5 times")
    assert base_rate_shift(rows[1:], factor=1.05)["windows_flagged"] == ["2022-Q2"]
