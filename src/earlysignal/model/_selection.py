"""Which model a team receives, chosen by inner temporal validation.

Three candidates: LightGBM with the configured settings (calibrated as configured),
the regularised logistic regression, and a blend, the mean of their probabilities.
For a set of training dates, the inner validation scores the latest of them (those
within one label horizon of the last) with candidates fitted, for each such date,
only on dates whose labels close by it: the rule of the temporal folds, one level
down. The candidate with the highest AUC on those rows is chosen. The outer folds'
fits are reused for it (see :class:`InnerValidation`), so only dates before the
first test date need fits of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.metrics import roc_auc_score
from sklearn.utils.validation import check_is_fitted

from earlysignal.bootstrap import (
    people,
    percentile_interval,
    person_draws,
    weighted_auc,
)
from earlysignal.errors import EarlysignalError
from earlysignal.features._windows import Window
from earlysignal.model._calibration import _fit_with_as_of
from earlysignal.model._folds import temporal_folds

__all__ = ["BlendedModel", "CANDIDATES", "SELECT_OPTIONS", "InnerValidation",
           "choose", "inner_dates"]

CANDIDATES = ("lightgbm", "logistic", "blend")
SELECT_OPTIONS = ("auto", *CANDIDATES)

#: Candidate scores of some rows: positional row indices and candidate -> scores.
Scored = tuple[np.ndarray, dict[str, np.ndarray]]


class BlendedModel(ClassifierMixin, BaseEstimator):
    """The mean of two classifiers' probabilities of the positive class.

    Parameters
    ----------
    lightgbm : classifier
        Fitted with ``as_of`` when its ``fit`` takes it.
    logistic : classifier

    Attributes
    ----------
    lightgbm_, logistic_ : the fitted classifiers
    classes_ : ndarray

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.dummy import DummyClassifier
    >>> X = np.array([[0.0], [1], [2], [3]]); y = [0, 0, 1, 1]
    >>> m = BlendedModel(DummyClassifier(), LogisticRegression()).fit(X, y)
    >>> bool(np.allclose(m.predict_proba(X)[:, 1], (0.5 + m.logistic_.predict_proba(
    ...     X)[:, 1]) / 2))
    True
    """

    def __init__(self, lightgbm: Any = None, logistic: Any = None) -> None:
        self.lightgbm = lightgbm
        self.logistic = logistic

    def fit(self, X: Any, y: Any, as_of: Any | None = None) -> BlendedModel:
        if self.lightgbm is None or self.logistic is None:
            raise EarlysignalError(
                "BlendedModel needs both estimators. Fix: give lightgbm= and logistic=")
        self.lightgbm_ = _fit_with_as_of(clone(self.lightgbm), X, y, as_of)
        self.logistic_ = clone(self.logistic).fit(X, y)
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "logistic_")
        p = (self.lightgbm_.predict_proba(X)[:, 1]
             + self.logistic_.predict_proba(X)[:, 1]) / 2
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def blend_of(lightgbm: Any, logistic: Any) -> BlendedModel:
    """A :class:`BlendedModel` made of two classifiers already fitted."""
    model = BlendedModel(lightgbm, logistic)
    model.lightgbm_, model.logistic_ = lightgbm, logistic
    model.classes_ = np.array([0, 1])
    return model


def with_blend(scores: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Candidate scores with the blend added where both of its parts are there."""
    out = dict(scores)
    if "lightgbm" in out and "logistic" in out:
        out["blend"] = (out["lightgbm"] + out["logistic"]) / 2
    return out


def choose(scores: Mapping[str, np.ndarray], y: np.ndarray,
           person: np.ndarray | None = None, n_boot: int = 200, seed: int = 0
           ) -> tuple[str, dict[str, float], dict[str, list[float]]]:
    """LightGBM, unless another candidate's AUC lead over it is clear.

    Each other candidate's lead over LightGBM (the configured model) gets a paired
    bootstrap interval of people (a person's rows drawn together); a candidate is
    chosen only when that interval lies above zero, and of several such the one
    with the highest AUC. A higher AUC on a few dozen escalations is not a verdict,
    so it does not change the model a team receives.

    Returns the choice, the AUCs and each lead as [difference, lower, upper].

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = (rng.random(400) < 0.3).astype(int)
    >>> noise = {"lightgbm": rng.random(400), "logistic": y + rng.random(400) * 2,
    ...          "blend": rng.random(400)}
    >>> choose(noise, y)[0]
    'logistic'
    >>> choose({"lightgbm": y + rng.random(400) * 2, "logistic": y + rng.random(400)
    ...         * 2, "blend": y + rng.random(400) * 2}, y)[0]
    'lightgbm'
    """
    names = [c for c in CANDIDATES if c in scores]
    aucs = {c: float(roc_auc_score(y, scores[c])) for c in names}
    who = people(np.arange(len(y)) if person is None else person)
    (draws,) = person_draws(who, n_boot, np.random.default_rng(seed), block=n_boot)
    w = draws[:, who.codes]
    base = weighted_auc(scores[names[0]], y, w)
    leads: dict[str, list[float]] = {}
    for c in names[1:]:
        lo, hi = percentile_interval((weighted_auc(scores[c], y, w) - base)[:, None])
        leads[c] = [aucs[c] - aucs[names[0]], float(lo[0]), float(hi[0])]
    clear = [c for c in names[1:] if leads[c][1] > 0]
    return max(clear, key=lambda c: aucs[c]) if clear else names[0], aucs, leads


def inner_dates(train_dates: Sequence[Any], horizon: Window) -> list[pd.Timestamp]:
    """The latest training dates: those less than one horizon before the last.

    Examples
    --------
    >>> quarters = pd.date_range("2019-09-01", "2021-09-01", freq="3MS")
    >>> [d.strftime("%Y-%m") for d in inner_dates(quarters, Window.parse("12m"))]
    ['2020-12', '2021-03', '2021-06', '2021-09']
    """
    dates = sorted(pd.Timestamp(d) for d in train_dates)
    start = horizon.shift(dates[-1], -1)
    return [d for d in dates if d > start]


class InnerValidation:
    """Candidate scores at single as-of dates from models fitted only on dates
    whose labels close by then; fits are kept and shared between dates.

    A date ``d`` is scored by the latest kept fit made at an origin ``o <= d``
    (trained on dates whose labels close by ``o``) less than one horizon before
    it; an outer fold's fit is such a fit for its test start. Only where there is
    none is a fit made at ``d`` itself. Any such fit has seen no outcome after
    ``d``, and the extra fits number about one per horizon of dates before the
    first test date, not one per fold.

    Parameters
    ----------
    fit : callable
        ``fit(train_rows, when)`` -> candidate name -> fitted model, trained on
        ``train_rows`` with the labels known at ``when``.
    score : callable
        ``score(models, rows)`` -> candidate name -> scores of ``rows``.
    as_of : Series
        The as-of date of every row.
    horizon : Window
    fold_options : mapping
        ``max_train_span`` and ``min_train_dates``, as for the outer folds.
    person : array, optional
        The person of every row, so that the choice's intervals resample people.
    """

    def __init__(self, fit: Callable[[np.ndarray, pd.Timestamp], dict[str, Any]],
                 score: Callable[[dict[str, Any], np.ndarray], dict[str, np.ndarray]],
                 as_of: pd.Series, horizon: Window,
                 fold_options: Mapping[str, Any],
                 person: np.ndarray | None = None) -> None:
        self.fit = fit
        self.person = person
        self.score = score
        self.as_of = as_of
        self.horizon = horizon
        self.fold_options = dict(fold_options)
        self.models: dict[pd.Timestamp, dict[str, Any]] = {}
        self.scored: dict[tuple[pd.Timestamp, pd.Timestamp], Scored] = {}
        self.extra_fits: list[str] = []
        self.unusable: dict[str, str] = {}

    def keep(self, origin: pd.Timestamp, models: dict[str, Any]) -> None:
        """Keep an outer fold's fit, trained on labels closed by ``origin``."""
        origin = pd.Timestamp(origin)
        self.models[origin] = models
        self.scored = {k: v for k, v in self.scored.items() if k[0] != origin}

    def origin(self, when: pd.Timestamp) -> pd.Timestamp | None:
        """The latest kept origin at or before ``when``, less than a horizon before."""
        fresh = [o for o in self.models if o <= when < self.horizon.shift(o, +1)]
        return max(fresh) if fresh else None

    def at(self, when: pd.Timestamp) -> tuple[pd.Timestamp, Scored] | None:
        """The origin used and the candidate scores of the rows at ``when``."""
        when = pd.Timestamp(when)
        origin = self.origin(when)
        if origin is None:
            if when.date().isoformat() in self.unusable or not self._fit_at(when):
                return None
            origin = when
        # the folds' choices look at overlapping dates: score each pair once
        if (origin, when) not in self.scored:
            rows = np.flatnonzero(np.asarray(self.as_of == when))
            self.scored[origin, when] = (
                rows, with_blend(self.score(self.models[origin], rows)))
        return origin, self.scored[origin, when]

    def _fit_at(self, when: pd.Timestamp) -> bool:
        try:
            fold = temporal_folds(self.as_of, horizon=self.horizon, test_dates=[when],
                                  **self.fold_options)[0]
            self.models[when] = self.fit(fold.split(self.as_of)[0], when)
        except EarlysignalError as e:  # too few dates, one outcome only ...
            self.unusable[when.date().isoformat()] = str(e)
            return False
        self.extra_fits.append(when.date().isoformat())
        return True

    def select(self, train_dates: Sequence[Any],
               labels: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
        """Choose a candidate on the latest of ``train_dates``; a plain record.

        ``labels(rows)`` gives the labels of those rows as known when the choice is
        made. Without usable rows (too few earlier dates, one outcome only), the
        choice is LightGBM, the configured model, and the record says why.
        """
        dates = inner_dates(train_dates, self.horizon)
        parts = [(d, self.at(d)) for d in dates]
        used = [(d, p) for d, p in parts if p is not None]
        record: dict[str, Any] = {
            "inner_dates": {d.date().isoformat(): p[0].date().isoformat()
                            for d, p in used},
            "inner_dates_unusable": [d.date().isoformat() for d, p in parts
                                     if p is None]}
        if used:
            rows = np.concatenate([p[1][0] for _, p in used])
            scores = {c: np.concatenate([p[1][1][c] for _, p in used])
                      for c in CANDIDATES}
            y = labels(rows)
            record.update(n_rows=len(rows), n_escalations=int(y.sum()))
            if len(np.unique(y)) == 2:
                person = None if self.person is None else self.person[rows]
                choice, aucs, leads = choose(scores, y, person)
                return {**record, "choice": choice, "by": "inner validation",
                        "auc": aucs, "lead_over_lightgbm": leads}
        return {**record, "choice": "lightgbm", "auc": {},
                "by": "default: no inner-validation rows with both outcomes"}
