"""Factor families and the global view, against naive reference computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.explain import explain, family_label

from .conftest import fit_toy, make_toy


def test_by_family_is_the_sum_of_its_features(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    c = ex.contributions.drop(columns="base")
    fam = {m.column: m.family for m in toy.metadata}
    naive = c.T.groupby(c.columns.map(fam)).sum().T
    pd.testing.assert_frame_equal(ex.by_family[naive.columns], naive,
                                  check_names=False)
    assert set(ex.by_family.columns) == {"behaviour", "attendance", "police",
                                         "characteristics"}
    # probability by family adds up to the probability change
    np.testing.assert_allclose(
        ex.probability_by_family.sum(axis=1),
        ex.scores["probability"] - 1 / (1 + np.exp(-ex.base_value)), atol=1e-12)


def test_global_importance_is_the_mean_absolute_contribution(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    gi = ex.global_importance
    c = ex.contributions.drop(columns="base")
    for col in c.columns:
        assert gi.at[col, "mean_abs_log_odds"] == pytest.approx(c[col].abs().mean())
        assert gi.at[col, "mean_log_odds"] == pytest.approx(c[col].mean())
    assert gi["mean_abs_log_odds"].is_monotonic_decreasing
    p = ex.probability_contributions.drop(columns="base")
    assert gi.at["absence__ratio__1y", "mean_abs_points"] == pytest.approx(
        100 * p["absence__ratio__1y"].abs().mean())


def test_family_importance_sums_features_before_the_absolute_value(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    fi = ex.family_importance
    assert fi.at["police", "mean_abs_log_odds"] == pytest.approx(
        ex.by_family["police"].abs().mean())
    assert fi.at["police", "features"] == 2
    assert fi.at["behaviour", "family_label"] == "Behaviour and exclusions"


def test_protected_features_form_their_own_family():
    toy = make_toy(600, seed=5)
    model = fit_toy(toy, use_protected=True)
    ex = explain(model, toy.frame, toy.metadata)
    info = ex.feature_info
    assert info.at["sex__value__asof", "family"] == "protected"
    assert info.at["sen__value__asof", "family"] == "characteristics"
    assert not info.at["sex__value__asof", "actionable"]
    assert not info.at["police__no_data__all", "actionable"]
    assert info.at["police__count__all", "actionable"]
    assert "protected" in ex.by_family.columns
    assert not ex.family_importance.at["protected", "actionable"]
    assert ex.summary()["protected_inputs"] == ["sex"]


def test_family_labels():
    assert family_label("attendance") == "Attendance"
    assert family_label("youth_justice") == "Youth justice"
    assert family_label("new_family") == "New family"


def test_plots_are_inline_svg(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    for name in ("beeswarm", "families"):
        svg = ex.plots[name]
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "Behaviour and exclusions" in ex.plots["families"]
    assert "suspensions" in ex.plots["beeswarm"]
