"""Calibration on a later slice reduces calibration error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from earlysignal.model import (
    CalibratedModel,
    ModelInputError,
    expected_calibration_error,
    reliability_svg,
)


class Overconfident(ClassifierMixin, BaseEstimator):
    """Scores the right order but far too extreme: p**0.3."""

    def fit(self, X, y):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = np.asarray(X)[:, 0] ** 0.3
        return np.column_stack([1 - p, p])


def simulated(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    p = rng.beta(1, 8, size=n)
    y = (rng.uniform(size=n) < p).astype(int)
    as_of = np.repeat(pd.to_datetime(["2021-01-01", "2021-07-01", "2022-01-01",
                                      "2022-07-01"]), n // 4)
    return p[:, None], y, as_of


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibration_reduces_ece(method):
    X, y, as_of = simulated()
    X_test, y_test, _ = simulated(seed=1)
    raw = Overconfident().fit(X, y).predict_proba(X_test)[:, 1]
    model = CalibratedModel(Overconfident(), method=method).fit(X, y, as_of=as_of)
    calibrated = model.predict_proba(X_test)[:, 1]
    before = expected_calibration_error(y_test, raw)
    after = expected_calibration_error(y_test, calibrated)
    assert before > 0.2 and after < 0.02
    # ranking is unchanged (isotonic steps are broken by the raw score)
    if method == "isotonic":
        assert (np.diff(calibrated[np.argsort(raw)]) >= 0).all()


def test_calibrator_sees_only_the_latest_dates():
    X, y, as_of = simulated()
    model = CalibratedModel(Overconfident(), calibration_fraction=0.25).fit(
        X, y, as_of=as_of)
    # the isotonic map was fitted on the 1500 rows of the last date only
    latest = as_of == as_of.max()
    assert model.calibrator_.x_.min() >= X[latest, 0].min() ** 0.3 - 1e-12


class Counting(Overconfident):
    """Records how many rows each fit saw."""

    def fit(self, X, y):
        self.n_rows_ = len(y)
        return super().fit(X, y)


def test_scoring_model_learns_from_every_row_by_default():
    X, y, as_of = simulated()
    model = CalibratedModel(Counting(), calibration_fraction=0.25).fit(
        X, y, as_of=as_of)
    # the map came from a model fitted without the latest date; the model that
    # scores was refitted on every row, so the most recent dates are learned too
    assert model.estimator_.n_rows_ == len(y)
    early_only = CalibratedModel(Counting(), calibration_fraction=0.25,
                                 refit=False).fit(X, y, as_of=as_of)
    assert early_only.estimator_.n_rows_ == len(y) * 3 // 4


def test_sigmoid_keeps_the_order_of_scores_across_dates():
    X, y, as_of = simulated()
    model = CalibratedModel(Overconfident(), method="sigmoid").fit(X, y, as_of=as_of)
    grid = np.linspace(0.001, 0.999, 500)[:, None]
    calibrated = model.predict_proba(grid)[:, 1]
    assert (np.diff(calibrated) > 0).all()


def test_no_escalations_in_the_later_slice_is_explained():
    X, y, as_of = simulated()
    y = y.copy()
    y[as_of == as_of.max()] = 0
    with pytest.raises(ModelInputError, match="later slice with both outcomes.*Fix"):
        CalibratedModel(Overconfident()).fit(X, y, as_of=as_of)


def test_reliability_svg_has_one_line_per_model():
    svg = reliability_svg([0, 1, 0, 1], {"model": [0.1, 0.8, 0.3, 0.6],
                                         "logistic": [0.2, 0.7, 0.2, 0.7]}, n_bins=2)
    assert "logistic" in svg and "perfect calibration" in svg


def test_refit_keeps_the_settings_and_rounds_the_first_fit_chose():
    from earlysignal.model import EarlyWarningClassifier
    from earlysignal.model._calibration import _with_rounds_of

    template = EarlyWarningClassifier(search_budget_s=30.0)
    fitted = EarlyWarningClassifier(search_budget_s=30.0)
    fitted.best_params_ = {"num_leaves": 31, "reg_lambda": 5.0}
    fitted.best_iteration_ = 17
    fresh = _with_rounds_of(fitted, template).get_params()
    assert fresh["num_leaves"] == 31 and fresh["reg_lambda"] == 5.0
    assert fresh["n_estimators"] == 17 and fresh["early_stopping_rounds"] is None
    assert fresh["search_budget_s"] == 0.0
    assert template.get_params()["num_leaves"] == 15      # the template is untouched
