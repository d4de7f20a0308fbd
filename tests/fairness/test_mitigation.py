"""Mitigation options are compared at equal capacity and never change the scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.postprocessing import ThresholdOptimizer

from earlysignal.fairness import audit
from earlysignal.fairness._mitigation import (
    _FixedScores,
    equal_tpr,
    threshold_optimizer,
)

from ._sim import make_scores


@pytest.fixture(scope="module")
def result():
    df = make_scores(4000, 8)
    before = df.copy()
    a = audit(
        df,
        score="score",
        label="y",
        groups=["ethnicity"],
        top=400,
        n_boot=0,
        min_cell=0,
    )
    pd.testing.assert_frame_equal(df, before)  # nothing applied to the input
    return a


def totals(m: pd.DataFrame) -> pd.DataFrame:
    return m[m["group"] == "all"].set_index("method")


def test_capacity_preserving_options_select_the_same_number(result):
    t = totals(result.mitigation)
    assert t.loc["unmitigated", "selected"] == pytest.approx(400, abs=1e-9)
    assert t.loc["equal TPR, same capacity", "selected"] == pytest.approx(400, abs=1e-6)
    assert t.loc["equal selection rate, same capacity", "selected"] == pytest.approx(
        400, abs=1e-9
    )
    to = [m for m in t.index if m.startswith("ThresholdOptimizer")][0]
    same = f"unmitigated at {to}'s capacity"
    assert t.loc[same, "selected"] == pytest.approx(t.loc[to, "selected"], abs=1e-6)
    assert t.loc[to, "compared_with"] == same


def test_equal_tpr_and_equal_selection_rate_hold(result):
    m = result.mitigation[result.mitigation["group"] != "all"]
    tpr = m[m["method"] == "equal TPR, same capacity"]["tpr"]
    assert tpr.max() - tpr.min() < 1e-6
    rate = m[m["method"] == "equal selection rate, same capacity"]["selection_rate"]
    assert rate.max() - rate.min() < 1e-9
    base = m[m["method"] == "unmitigated"]["tpr"]
    assert base.max() - base.min() > 0.01  # there was something to equalise


def test_equal_tpr_is_on_the_hull_and_exact_on_tiny_data():
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.95, 0.5, 0.4, 0.3])
    y = np.array([1, 0, 1, 0, 1, 1, 0, 0])
    g = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    p, _ = equal_tpr(s, y, g, 3.0)
    assert p.sum() == pytest.approx(3.0)
    tpr = [np.sum(p * y * (g == k)) / np.sum(y * (g == k)) for k in (0, 1)]
    assert tpr[0] == pytest.approx(tpr[1])
    assert ((p >= 0) & (p <= 1)).all()


def test_threshold_optimizer_expectation_matches_fairlearn_predictions():
    df = make_scores(1500, 2)
    s, y, g = df["score"].to_numpy(), df["y"].to_numpy(), df["sex"].to_numpy()
    p = threshold_optimizer(
        s, y, g, "true_positive_rate_parity", "balanced_accuracy_score"
    )
    opt = ThresholdOptimizer(
        estimator=_FixedScores(),
        constraints="true_positive_rate_parity",
        objective="balanced_accuracy_score",
        prefit=True,
        predict_method="decision_function",
    ).fit(s[:, None], y, sensitive_features=g)
    draws = np.mean(
        [
            opt.predict(s[:, None], sensitive_features=g, random_state=i)
            for i in range(200)
        ],
        axis=0,
    )
    assert abs(draws.mean() - p.mean()) < 0.01
    assert np.abs(draws - p).max() < 0.15


def test_plot_is_an_svg_string(result):
    svg = result.mitigation_svg
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "TPR by ethnicity" in svg or "<path" in svg


def test_threshold_optimizer_is_judged_on_later_periods_than_it_was_fitted_on():
    frames = [make_scores(1500, 20 + i).assign(period=f"202{i}") for i in range(4)]
    df = pd.concat(frames, ignore_index=True)
    a = audit(df, score="score", label="y", groups="sex", top=150, period="period",
              n_boot=0, min_cell=0, constraints="true_positive_rate_parity")
    early = df["period"].isin(["2020", "2021"]).to_numpy()
    s, y, g = df["score"].to_numpy(), df["y"].to_numpy(), df["sex"].to_numpy()
    opt = ThresholdOptimizer(
        estimator=_FixedScores(),
        constraints="true_positive_rate_parity",
        objective="balanced_accuracy_score",
        prefit=True,
        predict_method="decision_function",
    ).fit(s[early, None], y[early], sensitive_features=g[early])
    p = opt._pmf_predict(s[~early, None], sensitive_features=g[~early])[:, 1]
    t = totals(a.mitigation)
    to = "ThresholdOptimizer (true_positive_rate_parity)"
    assert t.loc[to, "selected"] == pytest.approx(p.sum(), rel=1e-9)
    assert t.loc[to, "caught"] == pytest.approx((p * y[~early]).sum(), rel=1e-9)
    assert any("earlier periods (2020 to 2021)" in n for n in a.notes)
