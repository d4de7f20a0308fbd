"""Metrics at capacity with ties, agreement with scikit-learn, ECE by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from earlysignal.errors import EarlysignalError
from earlysignal.model import (
    Capacity,
    calibration_table,
    capacity_curve,
    capacity_metrics,
    caught_at_k,
    classification_metrics,
    expected_calibration_error,
)


def test_ties_at_the_boundary_by_hand():
    # scores: 0.9 (pos) | 0.5 x4 (1 pos, 3 neg) | 0.1 (pos); k = 3
    y = [1, 1, 0, 0, 0, 1]
    s = [0.9, 0.5, 0.5, 0.5, 0.5, 0.1]
    # one place above the tie (1 caught), two places among four tied people
    # of whom one escalates: worst 1 + 0, best 1 + 1, expected 1 + 2 * 1/4
    assert caught_at_k(y, s, 3) == (1.0, 2.0, 1.5)
    m = capacity_metrics(y, s, 3)
    assert m["k"] == 3
    assert m["precision_at_k_worst"] == pytest.approx(1 / 3)
    assert m["precision_at_k_best"] == pytest.approx(2 / 3)
    assert m["precision_at_k"] == pytest.approx(0.5)
    assert m["recall_at_k_worst"] == pytest.approx(1 / 3)
    assert m["recall_at_k"] == pytest.approx(0.5)
    assert m["caught_at_k_best"] == 2


def test_no_ties_means_one_answer():
    assert caught_at_k([1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], 2) == (1.0, 1.0, 1.0)


def test_everyone_tied_is_the_base_rate_in_expectation():
    # three places among 2 escalations and 3 others: worst picks the 3 others
    w, b, e = caught_at_k([1, 1, 0, 0, 0], [0.2] * 5, 3)
    assert (w, b, e) == (0.0, 2.0, pytest.approx(3 * 2 / 5))
    w, b, e = caught_at_k([1, 1, 0, 0, 0], [0.2] * 5, 4)
    assert (w, b, e) == (1.0, 2.0, pytest.approx(4 * 2 / 5))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 3)), min_size=1,
                max_size=7), st.integers(1, 7))
def test_worst_best_expected_match_every_tie_order(rows, k):
    """Naive reference: enumerate every order of the people and take the top k."""
    y = np.array([r[0] for r in rows])
    s = np.array([r[1] for r in rows], dtype=float)
    k = min(k, len(y))
    outcomes = []
    for perm in itertools.permutations(range(len(y))):
        # a stable sort of a permutation = one random tie-breaking
        order = sorted(perm, key=lambda i: -s[i])
        outcomes.append(y[order[:k]].sum())
    worst, best, expected = caught_at_k(y, s, k)
    assert worst == min(outcomes) and best == max(outcomes)
    assert expected == pytest.approx(np.mean(outcomes))


def test_capacity_is_per_group():
    y = [1, 0, 0, 0, 0, 1, 0, 0]
    s = [0.9, 0.1, 0.2, 0.3, 0.8, 0.7, 0.6, 0.5]
    g = ["a"] * 4 + ["b"] * 4
    m = capacity_metrics(y, s, "25%", g)   # k = 1 in each group
    assert m["k"] == 2 and m["caught_at_k"] == 1 and m["recall_at_k"] == 0.5


def test_capacity_parsing():
    assert Capacity.parse("5%").k(1000) == 50
    assert Capacity.parse("5%").k(10) == 1          # 0.5 rounds half up
    assert Capacity.parse("5%").k(9) == 1           # at least one
    assert Capacity.parse(50).k(20) == 20
    assert Capacity.parse("12.5%").label == "12.5%"
    with pytest.raises(EarlysignalError, match="neither a count nor a percentage"):
        Capacity.parse("five")


def test_classification_metrics_equal_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 * y + rng.uniform(size=300) * 0.7, 0, 1)
    m = classification_metrics(y, p)
    assert m["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert m["average_precision"] == pytest.approx(average_precision_score(y, p),
                                                   abs=1e-12)
    assert m["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert m["log_loss"] == pytest.approx(log_loss(y, p), abs=1e-9)
    one_class = classification_metrics([0, 0], [0.1, 0.2])
    assert math.isnan(one_class["auc"]) and one_class["brier"] == pytest.approx(0.025)


def test_ece_by_hand():
    # deciles of 10 distinct scores: one row per bin
    p = np.arange(1, 11) / 10 - 0.05          # 0.05 .. 0.95
    y = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1])
    gaps = np.abs(y - p)
    assert expected_calibration_error(y, p) == pytest.approx(gaps.mean())
    # three bins by hand; equal scores share a bin
    y = [0, 1, 0, 1, 1, 1]
    p = [0.1, 0.1, 0.3, 0.3, 0.8, 0.9]
    table = calibration_table(y, p, n_bins=3)
    assert table["n"].tolist() == [2, 2, 2]
    assert table["observed_rate"].tolist() == [0.5, 0.5, 1.0]
    expected = (abs(0.5 - 0.1) + abs(0.5 - 0.3) + abs(1.0 - 0.85)) / 3
    assert expected_calibration_error(y, p, n_bins=3, strategy="quantile") == \
        pytest.approx(expected)
    uniform = expected_calibration_error(y, p, n_bins=2, strategy="uniform")
    assert uniform == pytest.approx((4 * abs(0.5 - 0.2) + 2 * abs(1 - 0.85)) / 6)


def test_capacity_curve_matches_capacity_metrics():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 200)
    s = rng.integers(0, 5, 200).astype(float)   # heavy ties
    curve = capacity_curve(y, s, percents=[5, 10])
    m = capacity_metrics(y, s, "10%")
    row = curve[curve["percent"] == 10].iloc[0]
    assert row["precision"] == pytest.approx(m["precision_at_k"])
    assert row["precision_worst"] == pytest.approx(m["precision_at_k_worst"])
    assert capacity_curve(y, s)["percent"].max() == 20


def test_ece_is_the_fairness_audits_ece_on_the_same_scores():
    from earlysignal.fairness import audit

    rng = np.random.default_rng(7)
    # skewed scores, as a risk model gives: deciles and equal-width bins differ
    p = rng.beta(1, 12, size=3000)
    y = (rng.random(3000) < np.clip(1.6 * p, 0, 1)).astype(int)
    frame = pd.DataFrame({"score": p, "y": y, "everyone": "all"})
    a = audit(frame, score="score", label="y", groups="everyone", threshold=0.5,
              n_boot=0, mitigation=False, min_cell=0)
    gm = a.group_metrics
    theirs = gm[(gm["group"] == "all") & (gm["metric"] == "ece")]["value"].iloc[0]
    assert expected_calibration_error(y, p) == pytest.approx(theirs, abs=1e-12)
    # by hand: ten equal-width bins, each weighted by its share of the rows
    bins = np.minimum((p * 10).astype(int), 9)
    hand = sum((bins == b).mean() * abs(p[bins == b].mean() - y[bins == b].mean())
               for b in np.unique(bins))
    assert expected_calibration_error(y, p) == pytest.approx(hand, abs=1e-12)
