"""Exact contributions of a fitted model's scores, on log-odds and shown risk.

Contributions are computed on the model's raw score (log-odds) and are exactly
additive there: ``base + sum(contributions) == raw score``. For people they are also
given on the probability scale the pages show, by sharing the change from the
shown baseline to the person's shown probability among features in proportion to
their log-odds contributions (see :func:`to_probability`), which keeps additivity
exact.

LightGBM is explained with its own TreeSHAP (``pred_contrib``). A calibrated model
is explained through its uncalibrated estimator, and its points are put on the
calibrated scale. With Platt's map (``sigmoid``) the calibrated log-odds are
``slope * raw + intercept``, so ``slope * contribution`` is exact on the
calibrated log-odds, and sharing the calibrated probability change in proportion
to those is the same as in proportion to the raw contributions. An isotonic map has
no log-odds form: the calibrated change is shared in proportion to the estimator's
log-odds contributions, the same rule, without the exact log-odds statement.

The logistic regression and the blend of both have views of their own
(:mod:`earlysignal.explain._linear`, :mod:`earlysignal.explain._blend`); every
view returns an :class:`Attribution`, which is all the explanation needs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import EarlysignalError

__all__ = ["Attribution", "ExplainError", "ModelView", "SCALE_NOTE", "encode_frame",
           "model_view", "on_shown_scale", "probability_ratio", "to_probability"]

SCALE_NOTE = (
    "Contributions are exact TreeSHAP values on the model's log-odds score. A point "
    "is one percentage point of the risk shown (the calibrated probability when the "
    "model is calibrated): each person's change from the baseline risk to their risk "
    "is shared among features in proportion to their log-odds contributions, so a "
    "person's points add up exactly to their risk minus the baseline."
)

PLATT_NOTE = (
    " The calibration is Platt's map, linear on the log-odds, so the contributions "
    "times its slope are exact on the calibrated log-odds too."
)

ISOTONIC_NOTE = (
    " The calibration is an isotonic map, which has no log-odds form: the points "
    "share the calibrated change in proportion to the uncalibrated log-odds "
    "contributions."
)


class ExplainError(EarlysignalError, ValueError):
    """A model, matrix or request that the explanation stage cannot use."""


@dataclass(frozen=True)
class Attribution:
    """Contributions of some rows on two scales, and what each adds up to.

    ``phi`` (rows x features) adds up, with ``base``, to each row's log-odds;
    ``points`` adds up, with ``base_probability``, to each row's ``shown``
    probability, the one the pages show.
    """

    phi: np.ndarray
    base: float
    points: np.ndarray
    base_probability: float
    shown: np.ndarray


def on_shown_scale(
    phi: np.ndarray, base: float,
    calibrate: Callable[[np.ndarray], np.ndarray] | None = None,
) -> Attribution:
    """Log-odds contributions with their points on the shown scale.

    Examples
    --------
    >>> a = on_shown_scale(np.array([[1.0, -0.5]]), 0.0)
    >>> bool(np.isclose(a.base_probability + a.points.sum(), a.shown[0]))
    True
    """
    phi = np.asarray(phi, dtype=float)
    f = base + phi.sum(axis=1)
    shown = sigmoid(f)
    p0 = sigmoid(np.array([base]))
    if calibrate is not None:
        shown, p0 = calibrate(shown), calibrate(p0)
    return Attribution(phi=phi, base=float(base), points=to_probability(
        phi, base, calibrate), base_probability=float(np.asarray(p0)[0]),
        shown=np.asarray(shown, dtype=float))


def encode_frame(X: pd.DataFrame, names: Sequence[str],
                 categories: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Float matrix of columns ``names``; text columns become category codes.

    Unseen or missing categories become NaN.

    Examples
    --------
    >>> encode_frame(pd.DataFrame({"a": [1, 2], "g": ["y", "q"]}), ["a", "g"],
    ...              {"g": ["x", "y"]}).tolist()
    [[1.0, 1.0], [2.0, nan]]
    """
    missing = [c for c in names if c not in X.columns]
    if missing:
        raise ExplainError(
            f"the feature matrix lacks {len(missing)} column(s) the model was "
            f"trained on, first: {missing[:5]}. Fix: explain the matrix built "
            "with the same feature specs as the training matrix"
        )
    out = np.empty((len(X), len(names)), dtype=float)
    for j, col in enumerate(names):
        s = X[col]
        cats = categories.get(col)
        if cats is not None:
            values = pd.Index(s.astype("string").astype(object).to_numpy())
            codes = pd.Index(list(cats)).get_indexer(values).astype(float)
            codes[codes < 0] = np.nan
            out[:, j] = codes
        else:
            try:
                out[:, j] = pd.to_numeric(s).to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError) as e:
                raise ExplainError(
                    f"column '{col}' holds {s.dtype} values but the model was "
                    "trained on numbers there. Fix: pass the matrix as built by "
                    "the feature stage"
                ) from e
    return out


@dataclass(frozen=True)
class ModelView:
    """What explaining needs from a fitted model, whatever wraps it.

    ``calibrate`` maps uncalibrated probabilities to calibrated ones (``None`` when
    the model is not calibrated); ``platt`` is Platt's (slope, intercept) when the
    map is a sigmoid on the log-odds.
    """

    booster: Any
    feature_names: tuple[str, ...]
    categories: dict[str, list[str]]
    num_iteration: int | None
    calibrate: Callable[[np.ndarray], np.ndarray] | None
    platt: tuple[float, float] | None = None

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """Float matrix in the model's column order; text columns become codes.

        Mirrors the estimator's own encoding (categories fixed at fit, unseen or
        missing values become NaN); the additivity test against ``predict_proba``
        guards the two against drifting apart.
        """
        return encode_frame(X, self.feature_names, self.categories)

    def attribute(self, X: pd.DataFrame, n_jobs: int | None = None) -> Attribution:
        """TreeSHAP contributions of the rows of ``X``, and their points."""
        encoded = self.encode(X)
        phi, base = self.contributions(encoded, n_jobs) if len(encoded) else (
            np.zeros((0, encoded.shape[1])), self.base_value())
        return on_shown_scale(phi, base, self.calibrate)

    @property
    def scale_note(self) -> str:
        """What the contributions and points are, in words."""
        if self.calibrate is None:
            return SCALE_NOTE
        return SCALE_NOTE + (PLATT_NOTE if self.platt is not None else ISOTONIC_NOTE)

    def contributions(
        self, X: np.ndarray, n_jobs: int | None = None
    ) -> tuple[np.ndarray, float]:
        """Log-odds contributions (rows x features) and the base value."""
        kwargs: dict[str, Any] = {"pred_contrib": True}
        if self.num_iteration is not None:
            kwargs["num_iteration"] = self.num_iteration
        if n_jobs is not None:
            kwargs["num_threads"] = n_jobs
        raw = np.asarray(self.booster.predict(X, **kwargs), dtype=float)
        if raw.shape[1] != X.shape[1] + 1:
            raise ExplainError(
                f"the model gives {raw.shape[1] - 1} contributions per row for "
                f"{X.shape[1]} features; only binary models are supported. Fix: "
                "explain a two-class early-warning model"
            )
        base = float(raw[0, -1]) if len(raw) else self.base_value()
        return raw[:, :-1], base

    def base_value(self) -> float:
        """The expected raw score over the training data (TreeSHAP's base)."""
        x = np.full((1, len(self.feature_names)), np.nan)
        return self.contributions_one(x)

    def contributions_one(self, x: np.ndarray) -> float:
        kwargs: dict[str, Any] = {"pred_contrib": True}
        if self.num_iteration is not None:
            kwargs["num_iteration"] = self.num_iteration
        return float(np.asarray(self.booster.predict(x, **kwargs))[0, -1])


def model_view(model: Any) -> Any:
    """What explaining needs from any model the pipeline can ship.

    An EarlyWarningClassifier, a CalibratedModel around one, or a LightGBM model
    gives a :class:`ModelView`; the logistic regression (``LogisticBaseline``) a
    ``LinearView``; a ``BlendedModel`` a ``BlendView`` of its two parts' views.
    Each has ``feature_names``, ``encode``, ``attribute``, ``calibrate``,
    ``platt`` and ``scale_note``.

    Examples
    --------
    >>> from earlysignal.model import EarlyWarningClassifier
    >>> X = pd.DataFrame({"x": np.arange(200.0)}); y = (X["x"] > 120).astype(int)
    >>> view = model_view(EarlyWarningClassifier(n_estimators=5,
    ...     early_stopping_rounds=None, min_child_samples=5).fit(X, y))
    >>> view.feature_names, view.calibrate is None
    (('x',), True)
    """
    if hasattr(model, "lightgbm_") and hasattr(model, "logistic_"):
        from earlysignal.explain._blend import BlendView

        return BlendView(model_view(model.lightgbm_), model_view(model.logistic_))
    if hasattr(model, "transformed_sources_") and hasattr(model, "coef_"):
        from earlysignal.explain._linear import LinearView

        return LinearView.of(model)
    calibrate = None
    platt = None
    est = model
    if hasattr(model, "calibrator_") and hasattr(model, "estimator_"):
        est = model.estimator_
        calibrate = _calibration_map(model)
        platt = getattr(model, "platt_", None)
    if hasattr(est, "booster_") and hasattr(est, "model_"):
        names = tuple(str(c) for c in getattr(
            est, "feature_names_in_", [f"x{i}" for i in range(est.n_features_in_)]))
        refit = bool(getattr(est, "refit", True))
        return ModelView(
            booster=est.booster_, feature_names=names,
            categories=dict(getattr(est, "categories_", {})),
            num_iteration=None if refit else int(est.best_iteration_),
            calibrate=calibrate, platt=platt,
        )
    booster = getattr(est, "booster_", est)
    if hasattr(booster, "feature_name") and hasattr(booster, "predict"):
        return ModelView(booster=booster, feature_names=tuple(booster.feature_name()),
                         categories={}, num_iteration=None, calibrate=calibrate,
                         platt=platt)
    raise ExplainError(
        f"cannot explain a {type(model).__name__}: expected an "
        "EarlyWarningClassifier, a CalibratedModel around one, a LightGBM model, the "
        "logistic regression (LogisticBaseline) or a BlendedModel of the two, "
        "fitted. Fix: pass the fitted model (e.g. Evaluation.final_model)"
    )


def _calibration_map(model: Any) -> Callable[[np.ndarray], np.ndarray]:
    if hasattr(model, "calibrate"):
        return model.calibrate  # type: ignore[no-any-return]

    def calibrate(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if getattr(model, "method", "isotonic") == "isotonic":
            out = model.calibrator_.predict(p)
        else:
            logit = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
            out = model.calibrator_.predict_proba(logit[:, None])[:, 1]
        return np.clip(np.asarray(out, dtype=float), 0.0, 1.0)

    return calibrate


def sigmoid(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float))))


def to_probability(
    phi: np.ndarray, base: float,
    calibrate: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Share each row's probability change among features, exactly additively.

    With raw score ``f = base + sum(phi)``, the person's shown probability is
    ``shown(f)`` (``sigmoid``, then ``calibrate`` when given) and the shown
    baseline ``shown(base)``. Feature ``j`` gets
    ``phi_j * (shown(f) - shown(base)) / (f - base)``; when ``f == base`` the
    ratio is its limit ``shown'(f)``. So contributions keep their sign, their
    log-odds proportions, and add up to ``shown(f) - shown(base)``.

    Examples
    --------
    >>> phi = np.array([[1.0, -0.5], [0.3, -0.3]])
    >>> p = to_probability(phi, 0.0)
    >>> bool(np.allclose(p.sum(axis=1), 1 / (1 + np.exp(-phi.sum(axis=1))) - 0.5))
    True
    >>> p[1].round(4).tolist()
    [0.075, -0.075]
    """
    phi = np.asarray(phi, dtype=float)
    return phi * probability_ratio(base + phi.sum(axis=1), base, calibrate)[:, None]


def probability_ratio(
    log_odds: np.ndarray, base: float,
    calibrate: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Shown probability points per unit of log-odds contribution, per row.

    ``(shown(f) - shown(base)) / (f - base)``, where ``shown`` is ``sigmoid``,
    followed by ``calibrate`` when given; where ``f == base`` its limit, the slope
    of ``shown`` at ``f``.

    Examples
    --------
    >>> r = probability_ratio(np.array([1.0]), 0.0, lambda p: p / 2)
    >>> bool(np.isclose(r[0], (1 / (1 + np.exp(-1)) - 0.5) / 2))
    True
    """
    f = np.asarray(log_odds, dtype=float)

    def shown(z: np.ndarray) -> np.ndarray:
        p = sigmoid(z)
        return p if calibrate is None else np.asarray(calibrate(p), dtype=float)

    delta = f - base
    p, p0 = shown(f), float(shown(np.array([base]))[0])
    small = np.abs(delta) < 1e-12
    if calibrate is None:
        slope = p * (1 - p)
    else:
        h = 1e-5
        slope = (shown(f + h) - shown(f - h)) / (2 * h)
    return np.where(small, slope, (p - p0) / np.where(small, 1.0, delta))
