"""The early-warning classifier: LightGBM with scikit-learn conventions.

Early stopping and the small hyper-parameter search both look at a *later* slice of
the training data (the most recent as-of dates), because the model will be used on
people scored after everything it learned from.
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import average_precision_score, log_loss
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from earlysignal.errors import EarlysignalError
from earlysignal.features._windows import Window
from earlysignal.model._folds import _label_ends
from earlysignal.model._threads import lightgbm_threads

__all__ = [
    "TooFewOutcomesError",
    "EarlyWarningClassifier",
    "FeatureMetaLike",
    "ModelInputError",
    "known_model_settings",
    "model_inputs",
    "own_setting_aliases",
    "split_settings",
    "monotone_directions",
    "SEARCH_CANDIDATES",
]


class ModelInputError(EarlysignalError, ValueError):
    """Data handed to a model that it cannot use as it is."""


class TooFewOutcomesError(ModelInputError):
    """Training rows (or their calibration slice) hold a single outcome.

    ``reason`` says so in words without the fix, for callers that skip the fit (an
    evaluation skips such a test window) rather than stop.
    """

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(f"{reason}. Fix: {fix}")
        self.reason = reason


class FeatureMetaLike(Protocol):
    """What the model stage reads from a feature's metadata."""

    name: str
    kind: str
    protected: bool
    family: str
    aggregate: str | None
    window: Any
    unit: str | None


def model_inputs(
    metadata: Mapping[str, FeatureMetaLike], use_protected: bool = False
) -> list[str]:
    """Columns the model learns from: every feature except protected ones.

    Protected characteristics (sex, ethnicity, ...) are kept for the fairness audit
    but are not model inputs unless ``use_protected=True``.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> meta = {"absence_rate": M(protected=False), "sex": M(protected=True)}
    >>> model_inputs(meta), model_inputs(meta, use_protected=True)
    (['absence_rate'], ['absence_rate', 'sex'])
    """
    return [c for c, m in metadata.items()
            if use_protected or not bool(getattr(m, "protected", False))]


# A handful of settings tried in this order when a search budget is given; the
# first is the default, so a zero budget is the same as no search.
SEARCH_CANDIDATES: tuple[dict[str, Any], ...] = (
    {},
    {"num_leaves": 31, "min_child_samples": 20},
    {"num_leaves": 63, "min_child_samples": 50},
    {"num_leaves": 31, "min_child_samples": 100, "reg_lambda": 5.0},
    {"num_leaves": 7, "min_child_samples": 200, "learning_rate": 0.1},
    {"num_leaves": 31, "colsample_bytree": 0.5, "subsample": 0.7},
)


# lightgbm 4.7 renamed eval_set to eval_X / eval_y; older releases know only eval_set
_EVAL_XY = "eval_X" in inspect.signature(lgb.LGBMClassifier.fit).parameters


def _own_settings() -> set[str]:
    return set(inspect.signature(EarlyWarningClassifier.__init__).parameters) - {"self"}


def _lightgbm_aliases() -> dict[str, list[str]]:
    try:
        return dict(lgb.basic._ConfigAliases._get_all_param_aliases())
    except AttributeError:  # a LightGBM without the (private) parameter list
        return {}


def known_model_settings(*, aliases: bool = True) -> frozenset[str]:
    """Names the model accepts as settings: its own and LightGBM's.

    With ``aliases=False`` only LightGBM's main names (for suggestions). Empty
    when this LightGBM release does not list its parameters, so that nothing is
    refused for want of the list.

    Examples
    --------
    >>> names = known_model_settings()
    >>> {"num_leaves", "monotone", "extra_trees"} <= names, "num_leafs" in names
    (True, False)
    """
    table = _lightgbm_aliases()
    if not table:
        return frozenset()
    other = {a for v in table.values() for a in v} if aliases else set()
    return frozenset(_own_settings() | set(table) | other)


def own_setting_aliases() -> dict[str, str]:
    """LightGBM's other names for the settings the model names itself.

    Examples
    --------
    >>> aliases = own_setting_aliases()
    >>> aliases.get("eta"), aliases.get("num_iterations"), aliases.get("seed")
    ('learning_rate', 'n_estimators', 'random_state')
    """
    own = _own_settings()
    out: dict[str, str] = {}
    for key, group in _lightgbm_aliases().items():
        names = {key, *group}
        mine = sorted(names & own)
        for alias in names - own if mine else ():
            out[alias] = mine[0]
    return out


def split_settings(settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Constructor arguments of the model: its own settings by name, every other
    (LightGBM) setting gathered into ``lgb_params``.

    Examples
    --------
    >>> split_settings({"num_leaves": 7, "extra_trees": True})
    {'num_leaves': 7, 'lgb_params': {'extra_trees': True}}
    """
    own = _own_settings()
    given = dict(settings or {})
    named = {k: v for k, v in given.items() if k in own}
    passed = {k: v for k, v in given.items() if k not in own}
    if passed:
        named["lgb_params"] = {**dict(named.get("lgb_params") or {}), **passed}
    return named


def monotone_directions(X: np.ndarray, y: np.ndarray, *, z: float = 3.0,
                        skip: Sequence[int] = (), max_rows: int = 200_000,
                        seed: int = 0) -> np.ndarray:
    """Direction (+1, -1 or 0) of each column's clear rank correlation with ``y``.

    Spearman's rho over the rows where the column is present; a direction is kept
    when ``|rho| * sqrt(n - 1) >= z`` (about a z-test of no correlation), else 0.
    Columns in ``skip`` (categorical codes) and constant columns get 0. Above
    ``max_rows`` rows, a fixed random sample of that many rows decides: a direction
    that is clear in 200,000 rows does not change with more.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 3))
    >>> y = (x[:, 0] - x[:, 1] + rng.normal(size=2000) > 1).astype(int)
    >>> monotone_directions(x, y).tolist()
    [1, -1, 0]
    """
    if len(y) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(y), max_rows,
                                                          replace=False))
        X, y = X[keep], y[keep]
    y = np.asarray(y, dtype=float)
    binary = len(np.unique(y)) <= 2   # ranks of a 0/1 label are the label, rescaled
    out = np.zeros(X.shape[1], dtype=int)
    skipped = set(skip)
    for j in range(X.shape[1]):
        present = ~np.isnan(X[:, j])
        n = int(present.sum())
        if j in skipped or n < 3:
            continue
        rx = rankdata(X[present, j])
        ry = y[present] if binary else rankdata(y[present])
        if rx.std() == 0 or ry.std() == 0:
            continue
        rho = float(np.corrcoef(rx, ry)[0, 1])
        if abs(rho) * math.sqrt(n - 1) >= z:
            out[j] = int(np.sign(rho))
    return out


def _is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))


def temporal_holdout(
    n: int, as_of: Any | None, fraction: float, *, min_rows: int = 1,
    horizon: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Split rows into an earlier part and a later part (about ``fraction``).

    With ``as_of``, the latest ``ceil(fraction * n_dates)`` distinct dates form the
    later part (while at least one date is left earlier); otherwise the last rows.
    With a label ``horizon`` too, the earlier part keeps only dates whose label
    window closes on or before the first later date, as the temporal folds do, so
    that nothing learned from it has seen the later part's outcomes; the dates in
    between are in neither part. Returns positional indices ``(early, late)``;
    ``late`` is empty when either part would be smaller than ``min_rows``.

    Examples
    --------
    >>> temporal_holdout(4, pd.to_datetime(["2021-01-01"] * 2 + ["2022-01-01"] * 2), 0.15)
    (array([0, 1]), array([2, 3]))
    >>> temporal_holdout(10, None, 0.2)
    (array([0, 1, 2, 3, 4, 5, 6, 7]), array([8, 9]))
    >>> quarters = pd.to_datetime(["2021-01-01", "2021-04-01", "2021-07-01",
    ...                            "2021-10-01", "2022-01-01"])
    >>> temporal_holdout(5, quarters, 0.2, horizon="6m")
    (array([0, 1, 2]), array([4]))
    """
    rows = np.arange(n)
    late_mask = np.zeros(n, dtype=bool)
    dates = None if as_of is None else pd.DatetimeIndex(pd.to_datetime(np.asarray(as_of)))
    if dates is not None and len(dates) != n:
        raise ModelInputError(
            f"as_of has {len(dates)} values but X has {n} rows. Fix: pass the as_of "
            "column of the same rows"
        )
    distinct = None if dates is None else dates.unique().sort_values()
    if dates is not None and distinct is not None and len(distinct) >= 2:
        n_late = min(max(1, math.ceil(fraction * len(distinct))), len(distinct) - 1)
        late_mask = np.asarray(dates >= distinct[-n_late])
        early_mask = ~late_mask
        if horizon is not None:
            closed = distinct[_label_ends(distinct, Window.parse(horizon))
                              <= distinct[-n_late]]
            early_mask &= np.asarray(dates.isin(closed))
    else:
        n_late = int(round(fraction * n))
        late_mask[n - n_late:] = n_late > 0
        early_mask = ~late_mask
    early, late = rows[early_mask], rows[late_mask]
    if len(late) < min_rows or len(early) < min_rows:
        return rows, rows[:0]
    return early, late


def gapped_holdout(
    n: int, as_of: Any | None, fraction: float, horizon: str | None,
    min_rows: int = 20, y: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`temporal_holdout` with the horizon gap where the dates allow one.

    When too few dates (or, given ``y``, no escalation) are left before the gap
    (the first folds of a schedule), the split is made without it; the third
    value says whether the gap was kept.

    Examples
    --------
    >>> halves = pd.to_datetime(["2021-01-01", "2021-07-01", "2022-01-01"] * 20)
    >>> gapped_holdout(60, halves, 0.3, "1y")[2], gapped_holdout(60, halves, 0.3, "18m")[2]
    (True, False)
    """
    if horizon is not None:
        early, late = temporal_holdout(n, as_of, fraction, min_rows=min_rows,
                                       horizon=horizon)
        if len(late) and (y is None or len(np.unique(np.asarray(y)[early])) > 1):
            return early, late, True
    early, late = temporal_holdout(n, as_of, fraction, min_rows=min_rows)
    return early, late, False


class EarlyWarningClassifier(ClassifierMixin, BaseEstimator):
    """Gradient-boosted risk model (LightGBM) with temporal early stopping.

    Parameters
    ----------
    n_estimators : int
        Most boosting rounds; early stopping usually ends sooner.
    learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree, \
reg_lambda : LightGBM settings.
    early_stopping_rounds : int or None
        Stop when the validation log loss has not improved for this many rounds.
        ``None`` trains all ``n_estimators`` rounds on all rows.
    validation_fraction : float
        Share of the latest as-of dates (or, without ``as_of``, of the last rows)
        held out for early stopping and the search.
    horizon : str, optional
        The label horizon (``"12m"``): rows whose label window reaches the held-out
        dates do not train the early-stopping model (see :func:`temporal_holdout`).
    refit : bool
        After choosing the number of rounds on the held-out slice, train again on all
        rows with that many rounds, so the most recent data is learned from too.
    search_budget_s : float
        Seconds to spend trying the settings in ``SEARCH_CANDIDATES`` (in order, at
        least the first) on the validation slice; 0 means no search. The candidates
        tried are recorded in ``search_results_``: a budget that runs out earlier on
        a slower machine tries fewer of them.
    search_metric : {"log_loss", "average_precision"}
        How candidates are compared.
    monotone : {"auto"} or None
        ``"auto"``: each numeric column whose rank correlation with the label on the
        fitting rows is clear (``|rho| * sqrt(n - 1) >= monotone_z``) may only raise, or
        only lower, the risk, in that direction (``monotone_`` records it). With few
        escalations this keeps the trees from learning noise that contradicts a
        clear trend; ``None`` leaves every column free.
    monotone_z : float
        How clear a correlation must be (a z-score) to fix a direction.
    lgb_params : dict, optional
        Further LightGBM settings (``extra_trees``, ``max_bin``, ...), passed through.
    random_state : int
        Seed; the same data give identical scores.
    n_jobs : int or "auto"
        LightGBM threads; ``"auto"`` takes the cores free when each fit starts
        (see ``earlysignal.model._threads``). Fits are deterministic and row-wise,
        so the scores are the same on any number of threads.

    Attributes
    ----------
    classes_ : ndarray
    feature_names_in_ : ndarray of str (when fitted on a DataFrame)
    n_features_in_ : int
    categories_ : dict
        Categories of each text column, fixed at fit; unseen values become missing.
    booster_ : lightgbm.Booster
    best_iteration_ : int
    holdout_gap_ : bool
        Whether the early-stopping slice was kept a horizon apart from the rows
        trained before it.
    best_params_ : dict
    search_results_ : list of dict

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=400),
    ...                   "school": rng.choice(["A", "B"], size=400)})
    >>> y = (X["x"] + rng.normal(size=400) > 1).astype(int)
    >>> clf = EarlyWarningClassifier(n_estimators=20).fit(X, y)
    >>> clf.predict_proba(X).shape, clf.categories_["school"]
    ((400, 2), ['A', 'B'])
    """

    def __init__(
        self,
        *,
        n_estimators: int = 1000,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_child_samples: int = 100,
        subsample: float = 1.0,
        colsample_bytree: float = 0.8,
        reg_lambda: float = 1.0,
        early_stopping_rounds: int | None = 50,
        validation_fraction: float = 0.15,
        horizon: str | None = None,
        refit: bool = True,
        search_budget_s: float = 0.0,
        search_metric: str = "log_loss",
        monotone: str | None = None,
        monotone_z: float = 3.0,
        lgb_params: Mapping[str, Any] | None = None,
        random_state: int | None = 0,
        n_jobs: int | str = "auto",
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.horizon = horizon
        self.refit = refit
        self.search_budget_s = search_budget_s
        self.search_metric = search_metric
        self.monotone = monotone
        self.monotone_z = monotone_z
        self.lgb_params = lgb_params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags

    # -- input handling -------------------------------------------------------

    def _encode(self, X: Any, *, fitting: bool) -> np.ndarray:
        """Numeric float matrix; text columns become category codes (NaN if unseen)."""
        if isinstance(X, pd.DataFrame):
            return self._encode_frame(X, fitting=fitting)
        if not fitting:
            return np.asarray(validate_data(self, X, reset=False, dtype=np.float64,
                                            ensure_all_finite="allow-nan"))
        return check_array(X, dtype=np.float64, ensure_all_finite="allow-nan")

    def _encode_frame(self, X: pd.DataFrame, *, fitting: bool) -> np.ndarray:
        if not fitting:
            names = list(getattr(self, "feature_names_in_", []))
            if names and set(names) <= set(map(str, X.columns)):
                X = X[names]  # extra columns (ids, label) are fine; order by name
            try:
                validate_data(self, X, reset=False, skip_check_array=True)
            except ValueError as e:
                raise ModelInputError(
                    f"{e} Fix: score a matrix with the same feature columns as the "
                    "training matrix"
                ) from e
        if X.shape[1] == 0 or X.shape[0] == 0:
            raise ModelInputError(
                f"X has shape {X.shape}; at least one row and one feature column are "
                "needed (0 feature(s) / 0 sample(s) found)"
            )
        columns = []
        for j, col in enumerate(X.columns):
            s = X.iloc[:, j]
            if fitting and _is_categorical(s):
                self.categories_[str(col)] = sorted(map(str, s.dropna().unique()))
            cats = self.categories_.get(str(col))
            if cats is not None:
                # unseen categories (and missing values) become NaN
                values = s.astype("string").astype(object).to_numpy()
                index = pd.Index(cats)
                codes = index.get_indexer(pd.Index(values)).astype(float)
                codes[codes < 0] = np.nan
                columns.append(codes)
            else:
                try:
                    columns.append(pd.to_numeric(s).to_numpy(dtype=float,
                                                             na_value=np.nan))
                except (TypeError, ValueError) as e:
                    raise ModelInputError(
                        f"column '{col}' was numeric when the model was fitted but "
                        f"holds {s.dtype} values now. Fix: give it numbers"
                    ) from e
        out = np.column_stack(columns)
        if np.isinf(out).any():
            raise ModelInputError("X contains infinity. Fix: replace it by NaN")
        return out

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        self.categories_: dict[str, list[str]] = {}
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, reset=True, skip_check_array=True)
            if not all(isinstance(c, str) for c in X.columns):
                X = X.set_axis([str(c) for c in X.columns], axis=1)
            Xn = self._encode(X, fitting=True)
        else:
            Xv, _ = validate_data(self, X, y, ensure_all_finite="allow-nan",
                                  dtype=np.float64)
            Xn = np.asarray(Xv)
        y = column_or_1d(y, warn=True)
        if len(y) != Xn.shape[0]:
            raise ModelInputError(
                f"X has {Xn.shape[0]} rows but y has {len(y)}. Fix: pass one label "
                "per row"
            )
        if pd.isna(pd.Series(y)).any():
            raise ModelInputError(
                "y has missing labels (censored rows?). Fix: drop rows whose label is "
                "missing before fitting"
            )
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise TooFewOutcomesError(
                f"y has only one class ({self.classes_[0]}) in {len(y)} training "
                "row(s); a classifier needs examples of at least 2 classes",
                "train on a longer period (an earlier first as-of date in "
                "cohort.as_of) or check the label (label.outcome)")
        return Xn, encoder.transform(y)

    # -- fitting ----------------------------------------------------------------

    def _params(self, extra: Mapping[str, Any], seed: int) -> dict[str, Any]:
        params = {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1 else 0,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            **dict(self.lgb_params or {}),
        }
        params.update(extra)
        params["subsample_freq"] = 1 if params["subsample"] < 1 else 0
        if any(getattr(self, "monotone_", {}).values()) and \
                "monotone_constraints" not in params:
            params["monotone_constraints"] = list(self.monotone_.values())
            params.setdefault("monotone_constraints_method", "intermediate")
        params.update(
            random_state=seed, n_jobs=lightgbm_threads(self.n_jobs),
            deterministic=True,
            force_row_wise=True, verbosity=-1,
        )
        return params

    def _monotone(self, X: np.ndarray, y: np.ndarray, names: Any,
                  cat_idx: list[int]) -> dict[str, int]:
        if self.monotone is None:
            return {}
        if self.monotone != "auto":
            raise ModelInputError(
                f"monotone must be 'auto' or None, got {self.monotone!r}")
        labels = (list(map(str, names)) if names is not None
                  else [f"x{i}" for i in range(X.shape[1])])
        signs = monotone_directions(X, y, z=self.monotone_z, skip=cat_idx)
        return dict(zip(labels, signs.tolist(), strict=True))

    def _train(
        self, X: np.ndarray, y: np.ndarray, params: dict[str, Any],
        cat_idx: list[int], eval_set: tuple[np.ndarray, np.ndarray] | None,
    ) -> lgb.LGBMClassifier:
        model = lgb.LGBMClassifier(**params)
        kwargs: dict[str, Any] = {"categorical_feature": cat_idx or "auto"}
        if eval_set is not None and self.early_stopping_rounds:
            if _EVAL_XY:
                kwargs["eval_X"], kwargs["eval_y"] = (eval_set[0],), (eval_set[1],)
            else:
                kwargs["eval_set"] = [eval_set]
            kwargs["callbacks"] = [lgb.early_stopping(self.early_stopping_rounds,
                                                      verbose=False)]
        return model.fit(X, y, **kwargs)

    def _score(self, model: lgb.LGBMClassifier, X: np.ndarray, y: np.ndarray) -> float:
        p = np.asarray(model.predict_proba(X))
        if self.search_metric == "average_precision" and p.shape[1] == 2:
            return -float(average_precision_score(y, p[:, 1]))
        return float(log_loss(y, p, labels=np.arange(p.shape[1])))

    def fit(
        self, X: Any, y: Any, as_of: Any | None = None
    ) -> EarlyWarningClassifier:
        """Fit, early-stopping (and searching) on the latest slice of ``X``.

        Parameters
        ----------
        X : DataFrame or array of shape (n_rows, n_features)
            Text (or pandas category) columns are treated as categorical.
        y : array of shape (n_rows,)
        as_of : array of dates, optional
            The as-of date of each row; the latest ``validation_fraction`` of the
            distinct dates form the validation slice. Without it, the last rows do.
        """
        if self.search_metric not in ("log_loss", "average_precision"):
            raise ModelInputError(
                f"search_metric must be 'log_loss' or 'average_precision', got "
                f"{self.search_metric!r}"
            )
        Xn, yn = self._validate_fit(X, y)
        seed = (self.random_state if isinstance(self.random_state, int | np.integer)
                else int(check_random_state(self.random_state).randint(2**31 - 1)))
        names = getattr(self, "feature_names_in_", None)
        cat_idx = ([i for i, c in enumerate(names) if str(c) in self.categories_]
                   if names is not None else [])
        self.monotone_ = self._monotone(Xn, yn, names, cat_idx)
        early, late, self.holdout_gap_ = gapped_holdout(
            len(yn), as_of, self.validation_fraction, self.horizon, y=yn)
        usable = (self.early_stopping_rounds and len(late)
                  and len(np.unique(yn[early])) == len(self.classes_))
        candidates = (SEARCH_CANDIDATES if usable and self.search_budget_s > 0
                      else SEARCH_CANDIDATES[:1])
        self.search_results_: list[dict[str, Any]] = []
        best: tuple[float, dict[str, Any], int] | None = None
        final: lgb.LGBMClassifier | None = None
        started = time.perf_counter()
        for extra in candidates:
            if self.search_results_ and time.perf_counter() - started > \
                    self.search_budget_s:
                break
            params = self._params(extra, seed)
            if not usable:
                best = (float("nan"), dict(extra), self.n_estimators)
                break
            model = self._train(Xn[early], yn[early], params, cat_idx,
                                (Xn[late], yn[late]))
            rounds = int(model.best_iteration_ or params["n_estimators"])
            score = self._score(model, Xn[late], yn[late])
            self.search_results_.append({**extra, "rounds": rounds,
                                         self.search_metric: abs(score)})
            if best is None or score < best[0]:
                best = (score, dict(extra), rounds)
                final = model
        assert best is not None
        _, extra, rounds = best
        self.best_params_ = extra
        self.best_iteration_ = rounds
        if not usable or self.refit:
            params = {**self._params(extra, seed), "n_estimators": rounds}
            final = self._train(Xn, yn, params, cat_idx, None)
        assert final is not None
        self.model_ = final
        self.booster_ = final.booster_
        return self

    # -- prediction -------------------------------------------------------------

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of each class, columns in the order of ``classes_``."""
        check_is_fitted(self, "model_")
        Xn = self._encode(X, fitting=False)
        kwargs: dict[str, Any] = (
            {"num_iteration": self.best_iteration_} if not self.refit else {})
        return np.asarray(self.model_.predict_proba(Xn, **kwargs))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class."""
        check_is_fitted(self, "model_")
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])

    @property
    def feature_importances_(self) -> pd.Series:
        """Total gain of the splits on each feature, largest first."""
        check_is_fitted(self, "model_")
        names: Sequence[str] = (list(self.feature_names_in_)
                                if hasattr(self, "feature_names_in_")
                                else [f"x{i}" for i in range(self.n_features_in_)])
        gain = self.booster_.feature_importance(importance_type="gain")
        return pd.Series(np.asarray(gain, dtype=float), index=list(names), name="gain").sort_values(ascending=False)
