"""Every model the pipeline can ship is explained on the risk the pages show.

The logistic regression: exact contributions on its log-odds (shap's linear
explainer and a hand computation agree), each transformed column given back to its
feature. The blend: the mean of its two models' points, adding up to the blended
risk minus the mean of their baselines. Reasons and "what changed" work unchanged.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from earlysignal.explain import ExplainError, explain
from earlysignal.explain._blend import blend_attributions
from earlysignal.explain._contributions import Attribution
from earlysignal.model import CalibratedModel, EarlyWarningClassifier, LogisticBaseline
from earlysignal.model._selection import BlendedModel

from .conftest import Toy


def _inputs(toy: Toy) -> list[str]:
    return [m.column for m in toy.metadata if not m.protected]


def _meta(toy: Toy) -> dict:
    return {m.column: m for m in toy.metadata}


@pytest.fixture(scope="module")
def logistic(toy):
    return LogisticBaseline(metadata=_meta(toy)).fit(toy.frame, toy.y)


@pytest.fixture(scope="module")
def blend(toy):
    trees = CalibratedModel(EarlyWarningClassifier(
        n_estimators=40, early_stopping_rounds=None, min_child_samples=10,
        num_leaves=7), method="sigmoid")
    return BlendedModel(trees, LogisticBaseline(metadata=_meta(toy))).fit(
        toy.frame[_inputs(toy)], toy.y, as_of=toy.frame["as_of"])


def test_logistic_contributions_match_shaps_linear_explainer(toy, logistic):
    import shap

    ex = explain(logistic, toy.frame, toy.metadata)
    z = logistic.transform(toy.frame)
    background = logistic.transform(toy.frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lin = shap.LinearExplainer((logistic.coef_, logistic.intercept_),
                                   shap.maskers.Independent(background,
                                                            max_samples=len(z)))
        values = np.asarray(lin.shap_values(z))
    sources = np.array(logistic.transformed_sources_)
    expected = np.column_stack([values[:, sources == c].sum(axis=1)
                                for c in _inputs(toy)])
    ours = ex.contributions.drop(columns="base")
    assert list(ours.columns) == _inputs(toy)
    np.testing.assert_allclose(ours.to_numpy(), expected, atol=1e-10)
    assert ex.base_value == pytest.approx(float(lin.expected_value), abs=1e-10)
    # categories and missing-value flags are given back to their features
    assert {"sen__value__asof", "police__count__all"} <= set(sources)
    assert len(sources) > len(_inputs(toy))


def test_logistic_points_add_up_to_its_risk_minus_its_baseline(toy, logistic):
    ex = explain(logistic, toy.frame, toy.metadata)
    p = logistic.predict_proba(toy.frame)[:, 1]
    np.testing.assert_allclose(ex.contributions.sum(axis=1), np.log(p / (1 - p)),
                               atol=1e-9)
    baseline = 1 / (1 + np.exp(-ex.base_value))
    assert ex.base_probability == pytest.approx(baseline, abs=1e-12)
    np.testing.assert_allclose(ex.probability_by_family.sum(axis=1), p - baseline,
                               atol=1e-12)
    np.testing.assert_allclose(ex.probability_contributions.sum(axis=1), p,
                               atol=1e-12)
    np.testing.assert_allclose(ex.scores["shown_probability"], p, atol=1e-12)
    assert "logistic regression" in ex.summary()["scale"]
    assert "TreeSHAP" not in ex.summary()["scale"]


def test_logistic_contributions_by_hand():
    """One number with a gap and one category, worked through the transforms."""
    rng = np.random.default_rng(3)
    n = 400
    x = rng.poisson(2, n).astype(float)
    x[:25] = np.nan
    g = rng.choice(["a", "b"], n)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(np.nan_to_num(x) - 2)))).astype(int)
    X = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)],
                      "as_of": pd.Timestamp("2023-09-01"), "x": x, "g": g})
    model = LogisticBaseline(columns=["x", "g"], C=1.0).fit(X, y)
    prep = model.pipeline_.named_steps["prep"]
    num = prep.named_transformers_["num"]
    median = num.steps[0][1].statistics_[0]
    scale = num.steps[-1][1]
    filled = np.where(np.isnan(x), median, x)
    flag = np.isnan(x).astype(float)
    cols = np.column_stack([np.log1p(filled), np.log1p(flag)])  # values are >= 0
    z_num = (cols - scale.mean_) / scale.scale_
    z_cat = np.column_stack([g == "a", g == "b"]).astype(float)
    w = model.coef_
    z = np.column_stack([z_num, z_cat])
    mean = z.mean(axis=0)
    by_hand_x = w[0] * (z[:, 0] - mean[0]) + w[1] * (z[:, 1] - mean[1])
    by_hand_g = w[2] * (z[:, 2] - mean[2]) + w[3] * (z[:, 3] - mean[3])

    meta = {c: type("M", (), {"kind": k, "family": f, "protected": False,
                              "is_missing_indicator": False, "label": c,
                              "name": c, "aggregate": "value", "window": "all",
                              "unit": "", "template": c + " {value}"})()
            for c, k, f in (("x", "numeric", "behaviour"),
                            ("g", "categorical", "characteristics"))}
    ex = explain(model, X, meta)
    assert model.transformed_sources_ == ["x", "x", "g", "g"]
    np.testing.assert_allclose(ex.contributions["x"], by_hand_x, atol=1e-12)
    np.testing.assert_allclose(ex.contributions["g"], by_hand_g, atol=1e-12)
    assert ex.base_value == pytest.approx(model.intercept_ + w @ mean, abs=1e-12)


def test_blend_points_are_the_mean_of_its_models_points(toy, blend):
    frame = toy.frame
    ex = explain(blend, frame, toy.metadata)
    trees = explain(blend.lightgbm_, frame, toy.metadata)
    linear = explain(blend.logistic_, frame, toy.metadata)
    points = ex.probability_contributions.drop(columns="base")
    mean = (trees.probability_contributions.drop(columns="base")
            + linear.probability_contributions.drop(columns="base")) / 2
    np.testing.assert_allclose(points.to_numpy(), mean.to_numpy(), atol=1e-15)
    # each model's points add up to its own risk minus its own baseline
    own_trees = blend.lightgbm_.predict_proba(frame[_inputs(toy)])[:, 1]
    own_linear = blend.logistic_.predict_proba(frame)[:, 1]
    np.testing.assert_allclose(trees.probability_by_family.sum(axis=1),
                               own_trees - trees.base_probability, atol=1e-9)
    np.testing.assert_allclose(linear.probability_by_family.sum(axis=1),
                               own_linear - linear.base_probability, atol=1e-12)
    # and the blend's add up to the blended risk minus the mean of the baselines
    p = blend.predict_proba(frame[_inputs(toy)])[:, 1]
    baseline = (trees.base_probability + linear.base_probability) / 2
    assert ex.base_probability == pytest.approx(baseline, abs=1e-15)
    np.testing.assert_allclose(ex.probability_by_family.sum(axis=1), p - baseline,
                               atol=1e-9)
    np.testing.assert_allclose(ex.scores["shown_probability"], p, atol=1e-9)
    # the log-odds contributions add up to the log-odds of the blended risk
    np.testing.assert_allclose(ex.contributions.sum(axis=1), np.log(p / (1 - p)),
                               atol=1e-8)
    same_sign = np.sign(ex.contributions.drop(columns="base").to_numpy()) == \
        np.sign(points.to_numpy())
    assert same_sign.all()
    assert "mean of two models" in ex.summary()["scale"]


def test_blend_by_hand():
    """Two parts' points given; the blend's points, baseline and log-odds."""
    a = Attribution(phi=np.zeros((2, 3)), base=0.0,
                    points=np.array([[0.10, -0.02, 0.0], [0.0, 0.0, 0.0]]),
                    base_probability=0.20, shown=np.array([0.28, 0.20]))
    b = Attribution(phi=np.zeros((2, 2)), base=0.0,
                    points=np.array([[0.04, 0.02], [-0.05, 0.01]]),
                    base_probability=0.10, shown=np.array([0.16, 0.06]))
    # part b uses the blend's features 0 and 2 only
    out = blend_attributions([a, b], [np.array([0, 1, 2]), np.array([0, 2])], 3)
    np.testing.assert_allclose(out.points, [[0.07, -0.01, 0.01],
                                            [-0.025, 0.0, 0.005]], atol=1e-15)
    assert out.base_probability == pytest.approx(0.15, abs=1e-15)
    np.testing.assert_allclose(out.shown, [0.22, 0.13], atol=1e-15)

    def logit(p):
        return np.log(p / (1 - p))

    assert out.base == pytest.approx(logit(0.15))
    per_point = (logit(0.22) - logit(0.15)) / 0.07
    np.testing.assert_allclose(out.phi[0], np.array([0.07, -0.01, 0.01]) * per_point)
    np.testing.assert_allclose(out.phi.sum(axis=1), logit(out.shown) - logit(0.15))


def test_blend_at_its_baseline_keeps_the_points():
    """A person at the blend's baseline: points that cancel keep their sizes."""
    a = Attribution(phi=np.zeros((1, 2)), base=0.0, points=np.array([[0.05, 0.0]]),
                    base_probability=0.2, shown=np.array([0.25]))
    b = Attribution(phi=np.zeros((1, 2)), base=0.0, points=np.array([[0.0, -0.05]]),
                    base_probability=0.2, shown=np.array([0.15]))
    out = blend_attributions([a, b], [np.arange(2), np.arange(2)], 2)
    np.testing.assert_allclose(out.points, [[0.025, -0.025]])
    slope = 1 / (0.2 * 0.8)
    np.testing.assert_allclose(out.phi, [[0.025 * slope, -0.025 * slope]])


@pytest.fixture(scope="module", params=["logistic", "blend"])
def shipped(request, toy, logistic, blend):
    model = logistic if request.param == "logistic" else blend
    frame = toy.frame
    risk = model.predict_proba(frame if request.param == "logistic"
                               else frame[_inputs(toy)])[:, 1]
    return model, risk, explain(model, frame, toy.metadata)


def test_what_changed_adds_up_to_the_change_in_shown_risk(shipped):
    _, risk, ex = shipped
    shown = pd.Series(risk, index=ex.index)
    a, b = pd.Timestamp("2022-09-01"), pd.Timestamp("2023-09-01")
    for pid in ["P0001", "P0042", "P0300"]:
        ch = ex.what_changed(pid, a, b)
        assert ch["change"].sum() == pytest.approx(shown[(pid, b)] - shown[(pid, a)],
                                                   abs=1e-9)


def test_reasons_are_the_families_points(shipped):
    _, risk, ex = shipped
    i = int(np.argmax(risk))
    pid, as_of = ex.index[i]
    reasons = ex.reasons(pid, as_of, top=len(ex.families))
    assert reasons and reasons[0].direction == "raises"
    fam = ex.probability_by_family.iloc[i]
    for r in reasons:
        assert r.size == pytest.approx(fam[r.family], abs=1e-15)
    frame = ex.reasons_frame()
    mine = frame[(frame["person_id"] == pid) & (frame["as_of"] == as_of)]
    np.testing.assert_allclose(mine["size"].to_numpy(),
                               [fam[f] for f in mine["family"]], atol=1e-15)
    imp = ex.family_importance
    np.testing.assert_allclose(
        imp["mean_abs_points"].to_numpy(),
        100 * ex.probability_by_family.abs().mean()[imp.index].to_numpy())


def test_a_logistic_regression_fitted_without_its_background_is_refused(toy,
                                                                         logistic):
    import copy

    old = copy.copy(logistic)
    del old.transformed_sources_
    with pytest.raises(ExplainError, match="cannot explain a LogisticBaseline"):
        explain(old, toy.frame, toy.metadata)
