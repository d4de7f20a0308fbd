"""Exact contributions: LightGBM's pred_contrib against shap, additivity, scales."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from earlysignal.explain import explain, to_probability
from earlysignal.explain._contributions import model_view
from earlysignal.model import CalibratedModel, EarlyWarningClassifier

from .conftest import fit_toy, make_toy


def _shap_values(booster, X: np.ndarray, *, own_algorithm: bool) -> np.ndarray:
    import shap

    explainer = shap.TreeExplainer(booster)
    if own_algorithm:
        # shap's TreeExplainer hands LightGBM models to pred_contrib; forcing its
        # own C implementation on its own parse of the trees gives an independent
        # computation of the same exact values
        explainer.model.model_type = "internal"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = explainer.shap_values(X, check_additivity=False)
    return np.asarray(values)


def test_contributions_match_shap_tree_explainer(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    X = model_view(toy_model).encode(toy.frame)
    expected = _shap_values(toy_model.booster_, X, own_algorithm=False)
    ours = ex.contributions.drop(columns="base").to_numpy()
    assert ours.shape == expected.shape == (len(toy.frame), 6)
    assert np.abs(ours - expected).max() < 1e-6


def test_contributions_match_shaps_own_tree_shap_on_numeric_features(toy):
    """shap's own C TreeSHAP, on its own reading of the trees. It does not read
    LightGBM's categorical splits, so the model here has numeric inputs only."""
    numeric = [m for m in toy.metadata if m.kind != "categorical"]
    cols = [m.column for m in numeric]
    model = EarlyWarningClassifier(n_estimators=40, early_stopping_rounds=None,
                                   min_child_samples=10, num_leaves=7).fit(
        toy.frame[cols], toy.y)
    frame = toy.frame.copy()
    frame.loc[frame.index[:30], "absence__ratio__1y"] = np.nan
    ex = explain(model, frame, numeric)
    X = model_view(model).encode(frame)
    expected = _shap_values(model.booster_, X, own_algorithm=True)
    assert np.abs(ex.contributions.drop(columns="base").to_numpy()
                  - expected).max() < 1e-6


def test_contributions_match_shap_on_the_demo_features(cohort, cohort_model):
    rows = cohort.frame.iloc[:400]
    ex = explain(cohort_model, rows, cohort.metadata)
    X = model_view(cohort_model).encode(rows)
    expected = _shap_values(cohort_model.booster_, X, own_algorithm=False)
    assert np.abs(ex.contributions.drop(columns="base").to_numpy()
                  - expected).max() < 1e-6


def test_additivity_on_the_log_odds_scale(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    p = toy_model.predict_proba(toy.frame)[:, 1]
    raw = np.log(p / (1 - p))
    assert np.abs(ex.contributions.sum(axis=1).to_numpy() - raw).max() < 1e-9
    assert np.abs(ex.scores["log_odds"].to_numpy() - raw).max() < 1e-9
    assert np.abs(ex.scores["probability"].to_numpy() - p).max() < 1e-12
    raw_booster = toy_model.booster_.predict(model_view(toy_model).encode(toy.frame),
                                             raw_score=True)
    assert np.abs(ex.contributions.sum(axis=1).to_numpy() - raw_booster).max() < 1e-9


def test_additivity_on_the_probability_scale(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    pc = ex.probability_contributions
    p = toy_model.predict_proba(toy.frame)[:, 1]
    assert np.abs(pc.sum(axis=1).to_numpy() - p).max() < 1e-12
    base_p = 1 / (1 + np.exp(-ex.base_value))
    assert pc["base"].iloc[0] == pytest.approx(base_p)
    # same sign and same proportions as the log-odds contributions
    lo = ex.contributions.drop(columns="base").to_numpy()
    pp = pc.drop(columns="base").to_numpy()
    assert np.all(np.sign(lo) == np.sign(pp))
    row = int(np.argmax(np.abs(lo).sum(axis=1)))
    np.testing.assert_allclose(pp[row] / pp[row].sum(), lo[row] / lo[row].sum())


def test_base_value_is_the_expected_raw_score(toy, toy_model):
    """TreeSHAP's base is the cover-weighted mean of the leaves of every tree."""
    dump = toy_model.booster_.dump_model()

    def expected(node, weight):
        if "leaf_value" in node:
            return node["leaf_value"] * node["leaf_count"] / weight
        return (expected(node["left_child"], weight)
                + expected(node["right_child"], weight))

    total = sum(expected(t["tree_structure"], t["tree_structure"]["internal_count"])
                for t in dump["tree_info"])
    ex = explain(toy_model, toy.frame.iloc[:3], toy.metadata)
    assert ex.base_value == pytest.approx(total, abs=1e-9)


def test_calibrated_model_explains_its_estimator(toy):
    cols = [m.column for m in toy.metadata if not m.protected]
    base = EarlyWarningClassifier(n_estimators=30, early_stopping_rounds=None,
                                  min_child_samples=10)
    model = CalibratedModel(base, method="isotonic").fit(
        toy.frame[cols], toy.y, as_of=toy.frame["as_of"])
    ex = explain(model, toy.frame, toy.metadata)
    raw = model.estimator_.predict_proba(toy.frame[cols])[:, 1]
    np.testing.assert_allclose(ex.scores["probability"], raw, atol=1e-12)
    # the calibrated column is the calibration map of the explained probability
    cal = model.predict_proba(toy.frame[cols])[:, 1]
    np.testing.assert_allclose(ex.scores["calibrated_probability"], cal, atol=1e-6)


def test_model_without_refit_is_explained_at_its_best_iteration(toy):
    cols = [m.column for m in toy.metadata if not m.protected]
    model = EarlyWarningClassifier(n_estimators=40, early_stopping_rounds=None,
                                   refit=False, min_child_samples=10).fit(
        toy.frame[cols], toy.y)
    # as if early stopping had chosen round 12 of the 40 kept
    model.best_iteration_ = 12
    ex = explain(model, toy.frame, toy.metadata)
    p = model.predict_proba(toy.frame[cols])[:, 1]
    full = model.booster_.predict(model_view(model).encode(toy.frame))
    assert np.abs(full - p).max() > 1e-3
    np.testing.assert_allclose(ex.scores["probability"], p, atol=1e-12)


def test_unseen_category_and_missing_values(toy, toy_model):
    rows = toy.frame.iloc[:5].copy()
    rows["sen__value__asof"] = ["a new code", None, "ehcp", "none", "sen_support"]
    rows.loc[rows.index[0], "absence__ratio__1y"] = np.nan
    ex = explain(toy_model, rows, toy.metadata)
    cols = [m.column for m in toy.metadata if not m.protected]
    p = toy_model.predict_proba(rows[cols])[:, 1]
    np.testing.assert_allclose(ex.scores["probability"], p, atol=1e-12)


def test_columns_in_any_order_and_extra_columns(toy, toy_model):
    shuffled = toy.frame[list(reversed(toy.frame.columns))].assign(label=1)
    a = explain(toy_model, toy.frame, toy.metadata).contributions
    b = explain(toy_model, shuffled, toy.metadata).contributions
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(arrays(float, st.tuples(st.integers(1, 5), st.integers(1, 6)),
              elements=st.floats(-4, 4)),
       st.floats(-5, 2))
def test_probability_sharing_is_exact(phi, base):
    p = to_probability(phi, base)
    f = base + phi.sum(axis=1)
    target = 1 / (1 + np.exp(-f)) - 1 / (1 + np.exp(-base))
    np.testing.assert_allclose(p.sum(axis=1), target, atol=1e-12)
    assert np.all((np.sign(p) == np.sign(phi)) | (np.abs(p) < 1e-300))


def test_protected_inputs_are_explained_when_the_config_allows_them():
    toy = make_toy(600, seed=2)
    model = fit_toy(toy, use_protected=True)
    ex = explain(model, toy.frame, toy.metadata)
    assert "sex__value__asof" in ex.contributions.columns
    assert ex.feature_info.loc["sex__value__asof", "family"] == "protected"
