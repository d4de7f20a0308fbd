"""Contributions of the blend: the mean of its two models' points.

The blend's risk is the mean of two probabilities, the (calibrated) LightGBM
model's and the logistic regression's. Each part's points add up to its own risk
minus its own baseline, so the mean of the two parts' points adds up exactly to the
blended risk minus the mean of the two baselines: those are the blend's points.

The blend has no log-odds of its own. Its log-odds contributions share the change
from the log-odds of the mean baseline to the log-odds of the blended risk in
proportion to the points: the rule that puts a single model's log-odds on the
probability scale, used the other way round. They keep each feature's sign and its
share of the person's change, so reasons, their thresholds and the plots work on
them as on any model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.explain._contributions import Attribution, encode_frame

__all__ = ["BLEND_NOTE", "BlendView", "blend_attributions"]

BLEND_NOTE = (
    "The risk shown is the mean of two models' risks: the gradient-boosted trees "
    "(LightGBM, its calibrated probability when calibrated) and the logistic "
    "regression. Each model's points share its own change from its baseline in "
    "proportion to its exact log-odds contributions (TreeSHAP values for the trees; "
    "coefficient times transformed value minus the training mean for the "
    "regression), so they add up to its risk minus its baseline. A point of the "
    "blend is the mean of the two models' points: a person's points add up exactly "
    "to the blended risk minus the mean of the two baselines. The blend's log-odds "
    "contributions share the change in the log-odds of the blended risk in the same "
    "proportions."
)

_EPS = 1e-12


@dataclass(frozen=True)
class BlendView:
    """What explaining needs from a ``BlendedModel``: its two parts' views."""

    lightgbm: Any
    logistic: Any
    calibrate: None = None
    platt: None = None
    scale_note: str = BLEND_NOTE

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The parts' features, LightGBM's first."""
        first = tuple(self.lightgbm.feature_names)
        return first + tuple(c for c in self.logistic.feature_names if c not in first)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """The features' own values (text as LightGBM's category codes), for plots."""
        categories = {**self.logistic.categories, **self.lightgbm.categories}
        return encode_frame(X, self.feature_names, categories)

    def attribute(self, X: pd.DataFrame, n_jobs: int | None = None) -> Attribution:
        """The mean of the parts' points, and log-odds shares of the blended risk."""
        parts = [self.lightgbm.attribute(X, n_jobs), self.logistic.attribute(X, n_jobs)]
        names = self.feature_names
        return blend_attributions(parts, [
            _positions(v.feature_names, names) for v in (self.lightgbm, self.logistic)],
            len(names))


def _positions(part: Sequence[str], names: Sequence[str]) -> np.ndarray:
    where = {n: i for i, n in enumerate(names)}
    return np.array([where[c] for c in part], dtype=int)


def blend_attributions(parts: Sequence[Attribution],
                       positions: Sequence[np.ndarray], n_features: int
                       ) -> Attribution:
    """The attribution of the mean of the parts' shown probabilities.

    ``positions[i]`` places part ``i``'s features among the blend's
    ``n_features``; a feature a part does not use gets no points from it.

    Examples
    --------
    Two parts with two features each, their points given:

    >>> a = Attribution(phi=np.zeros((1, 2)), base=0.0, points=np.array([[.10, -.02]]),
    ...                 base_probability=0.2, shown=np.array([.28]))
    >>> b = Attribution(phi=np.zeros((1, 2)), base=0.0, points=np.array([[.04, .02]]),
    ...                 base_probability=0.1, shown=np.array([.16]))
    >>> blend = blend_attributions([a, b], [np.arange(2), np.arange(2)], 2)
    >>> blend.points.round(12).tolist(), round(blend.base_probability, 12)
    ([[0.07, 0.0]], 0.15)
    >>> logit = lambda p: float(np.log(p / (1 - p)))
    >>> bool(np.isclose(blend.phi.sum(), logit(0.22) - logit(0.15)))
    True
    """
    points = np.zeros((len(parts[0].shown), n_features))
    for part, at in zip(parts, positions, strict=True):
        points[:, at] += part.points / len(parts)
    p0 = float(np.mean([part.base_probability for part in parts]))
    shown = np.mean([part.shown for part in parts], axis=0)
    phi = points * _log_odds_per_point(shown, p0)[:, None]
    return Attribution(phi=phi, base=float(_logit(np.array([p0]))[0]), points=points,
                       base_probability=p0, shown=shown)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.asarray(np.log(p / (1 - p)))


def _log_odds_per_point(p: np.ndarray, p0: float) -> np.ndarray:
    """``(logit(p) - logit(p0)) / (p - p0)``; where ``p == p0`` its limit."""
    delta = p - p0
    small = np.abs(delta) < 1e-12
    q = np.clip(p, _EPS, 1 - _EPS)
    slope = 1.0 / (q * (1 - q))
    ratio = (_logit(p) - _logit(np.array([p0]))) / np.where(small, 1.0, delta)
    return np.asarray(np.where(small, slope, ratio))
