"""Calibration on a later slice of the training data, and reliability diagrams.

The calibration map is learned on the most recent training as-of dates, from a
model that never saw them, so it corrects the model the way it will be used:
forwards in time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from earlysignal.model._estimator import (
    ModelInputError,
    TooFewOutcomesError,
    gapped_holdout,
)
from earlysignal.model._metrics import calibration_table
from earlysignal.model._plots import reliability_svg_from

__all__ = ["CalibratedModel", "reliability_svg"]

_EPS = 1e-6


def _fit_with_as_of(estimator: Any, X: Any, y: Any, as_of: Any | None) -> Any:
    if as_of is not None and "as_of" in _fit_params(estimator):
        return estimator.fit(X, y, as_of=as_of)
    return estimator.fit(X, y)


def _fit_params(estimator: Any) -> tuple[str, ...]:
    import inspect

    return tuple(inspect.signature(estimator.fit).parameters)


def _with_rounds_of(fitted: Any, estimator: Any) -> Any:
    """A fresh clone; one that early-stops reuses the settings and rounds ``fitted`` chose.

    Choosing the rounds again on all rows would hold out the calibration slice a
    second time for the same answer, and cost a whole extra fit.
    """
    fresh = clone(estimator)
    rounds = getattr(fitted, "best_iteration_", None)
    params = fresh.get_params()
    if rounds and {"n_estimators", "early_stopping_rounds"} <= set(params):
        chosen = {**getattr(fitted, "best_params_", {}), "n_estimators": int(rounds),
                  "early_stopping_rounds": None, "search_budget_s": 0.0}
        fresh.set_params(**{k: v for k, v in chosen.items() if k in params})
    return fresh


def _take(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame | pd.Series) else np.asarray(X)[idx]


class CalibratedModel(ClassifierMixin, BaseEstimator):
    """A binary classifier whose scores are recalibrated on a later slice.

    ``fit`` trains a clone of ``estimator`` on the earlier part of the training rows
    and fits the calibration map (isotonic, or Platt's sigmoid on the log-odds) on
    the latest ``calibration_fraction`` of the as-of dates. With ``refit=True`` (the
    default) the estimator is then trained again on all rows, with the number of
    boosting rounds it chose, and the same map applied: the model that scores has
    learned from the most recent dates too.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    method : {"isotonic", "sigmoid"}
    calibration_fraction : float
    refit : bool
    horizon : str, optional
        The label horizon: the model that feeds the map learns only from dates
        whose labels closed before the calibration slice begins (where the dates
        allow; ``holdout_gap_`` says whether they did).

    Attributes
    ----------
    estimator_ : the fitted estimator
    calibrator_ : IsotonicRegression or LogisticRegression
    classes_ : ndarray

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(600, 1)); y = (X[:, 0] + rng.normal(size=600) > 1)
    >>> m = CalibratedModel(LogisticRegression(), method="sigmoid").fit(X, y)
    >>> m.predict_proba(X[:2]).shape
    (2, 2)
    """

    def __init__(self, estimator: Any, method: str = "isotonic",
                 calibration_fraction: float = 0.15, refit: bool = True,
                 horizon: str | None = None) -> None:
        self.estimator = estimator
        self.method = method
        self.calibration_fraction = calibration_fraction
        self.refit = refit
        self.horizon = horizon

    def fit(self, X: Any, y: Any, as_of: Any | None = None) -> CalibratedModel:
        """Fit the estimator on earlier rows and the calibration map on later ones."""
        if self.method not in ("isotonic", "sigmoid"):
            raise ModelInputError(
                f"calibration method must be 'isotonic' or 'sigmoid', got "
                f"{self.method!r}"
            )
        y = np.asarray(pd.Series(y).astype(int))
        early, late, self.holdout_gap_ = gapped_holdout(
            len(y), as_of, self.calibration_fraction, self.horizon, y=y)
        if len(late) == 0 or len(np.unique(y[late])) < 2:
            raise TooFewOutcomesError(
                f"calibration needs a later slice with both outcomes; the latest "
                f"{self.calibration_fraction:.0%} of the "
                f"{len(y)} training rows has "
                f"{int(y[late].sum()) if len(late) else 0} escalation(s) in "
                f"{len(late)} rows",
                "train on more rows (an earlier first as-of date in cohort.as_of, "
                "or a later model.test_from), or turn calibration off "
                "(model.calibration: null in the pipeline YAML; calibration=None "
                "or a larger calibration_fraction in Python)")
        dates = None if as_of is None else np.asarray(as_of)
        est = _fit_with_as_of(clone(self.estimator), _take(X, early), y[early],
                              None if dates is None else dates[early])
        raw = est.predict_proba(_take(X, late))[:, 1]
        self.calibrator_ = self._fit_map(raw, y[late])
        if self.refit:
            est = _fit_with_as_of(_with_rounds_of(est, self.estimator), X, y, dates)
        self.estimator_ = est
        self.classes_ = np.array([0, 1])
        return self

    def _fit_map(self, raw: np.ndarray, y: np.ndarray) -> Any:
        if self.method == "isotonic":
            return _SmoothedIsotonic().fit(raw, y)
        return LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated probabilities, columns for classes 0 and 1."""
        check_is_fitted(self, "calibrator_")
        p = self.calibrate(self.estimator_.predict_proba(X)[:, 1])
        return np.column_stack([1 - p, p])

    def calibrate(self, raw: Any) -> np.ndarray:
        """The calibration map: the estimator's probabilities to calibrated ones.

        ``predict_proba`` is exactly ``calibrate`` of the estimator's probability,
        so an explanation of the estimator can be put on the calibrated scale.
        """
        check_is_fitted(self, "calibrator_")
        raw = np.asarray(raw, dtype=float)
        if self.method == "isotonic":
            # isotonic steps tie many people; the uncalibrated score, shifted by
            # less than 1e-6, keeps the model's own order inside each step
            p = self.calibrator_.predict(raw) + 1e-7 * (raw - 0.5)
        else:
            p = self.calibrator_.predict_proba(_logit(raw)[:, None])[:, 1]
        return np.clip(np.asarray(p, dtype=float), 0.0, 1.0)

    @property
    def platt_(self) -> tuple[float, float] | None:
        """(slope, intercept) of Platt's map on the log-odds; None for isotonic.

        Calibrated log-odds = slope * the estimator's log-odds + intercept (for
        log-odds within +-13.8, where the map's clipping does not act).
        """
        check_is_fitted(self, "calibrator_")
        if self.method != "sigmoid":
            return None
        return (float(self.calibrator_.coef_[0, 0]),
                float(self.calibrator_.intercept_[0]))

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class _SmoothedIsotonic:
    """Isotonic regression whose steps are shrunk towards the overall rate.

    A step of n rows with no escalation would otherwise predict exactly 0, which
    makes log loss infinite for the first escalation scored there; each step gets
    ``prior_rows`` pseudo-rows at the overall rate, and the steps are then made
    non-decreasing again.
    """

    def __init__(self, prior_rows: float = 10.0) -> None:
        self.prior_rows = prior_rows

    def fit(self, raw: np.ndarray, y: np.ndarray) -> _SmoothedIsotonic:
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        fitted = iso.fit_transform(raw, y)
        base = float(np.mean(y))
        steps = pd.DataFrame({"level": fitted, "y": y}).groupby("level")["y"].agg(
            ["sum", "size"])
        smooth = (steps["sum"] + self.prior_rows * base) / (steps["size"]
                                                            + self.prior_rows)
        mapping = dict(zip(steps.index, smooth, strict=True))
        self.x_ = np.asarray(iso.X_thresholds_, dtype=float)
        levels = np.array([mapping.get(v, v) for v in iso.y_thresholds_], dtype=float)
        self.y_ = np.maximum.accumulate(levels)
        return self

    def predict(self, raw: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(raw, dtype=float), self.x_, self.y_)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def reliability_svg(
    y: Any, scores: Mapping[str, Any], *, n_bins: int = 10, strategy: str = "quantile"
) -> str:
    """Reliability diagram (SVG) of one or more scores against the same labels.

    Examples
    --------
    >>> reliability_svg([0, 1, 0, 1], {"model": [0.1, 0.7, 0.3, 0.9]}, n_bins=2)[:5]
    '<?xml'
    """
    tables = {name: calibration_table(y, s, n_bins=n_bins, strategy=strategy)
              for name, s in scores.items()}
    return reliability_svg_from(tables)
