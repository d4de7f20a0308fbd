"""Baselines a council actually uses, with scikit-learn's fit / predict_proba.

Rules rank people by a raw score (a flag, a rate, checklist points: see
``decision_function``); ``predict_proba`` maps that score to a probability with a
one-feature logistic fit on the training rows, which keeps the rule's ranking and
makes Brier score and log loss meaningful. A rule whose score goes the wrong way in
training gets the base rate for everyone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import rankdata
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from earlysignal.model._estimator import ModelInputError, model_inputs
from earlysignal.model._lookup import MissingFeatureError, find_feature

__all__ = [
    "AnySuspensionRule",
    "BaseRate",
    "BestSingleInput",
    "ChecklistScore",
    "LogisticBaseline",
    "PersistentAbsenceRule",
    "make_baselines",
]


def _frame(X: Any, needed_by: str) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise ModelInputError(
            f"{needed_by} finds its columns by name, so X must be a DataFrame; got "
            f"{type(X).__name__}. Fix: pass the feature matrix as a DataFrame"
        )
    return X


def _column(X: pd.DataFrame, column: str, needed_by: str) -> pd.Series:
    if column not in X.columns:
        raise MissingFeatureError(
            f"{needed_by} uses column '{column}', which X does not have. Fix: keep "
            "that column in the matrix, or name another one"
        )
    return X[column]


def _labels(y: Any) -> np.ndarray:
    y = np.asarray(pd.Series(y).astype(float))
    if np.isnan(y).any():
        raise ModelInputError("y has missing labels. Fix: drop censored rows first")
    return y.astype(int)


class _Baseline(ClassifierMixin, BaseEstimator):
    def _set_classes(self, y: np.ndarray) -> None:
        self.classes_ = np.array([0, 1])
        self.base_rate_ = float(np.mean(y)) if len(y) else 0.0

    def predict(self, X: Any) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


class BaseRate(_Baseline):
    """Everyone gets the training base rate (the "no information" model).

    Examples
    --------
    >>> BaseRate().fit(pd.DataFrame({"x": [1, 2, 3, 4]}), [0, 0, 0, 1]).predict_proba(
    ...     pd.DataFrame({"x": [9]}))
    array([[0.75, 0.25]])
    """

    def fit(self, X: Any, y: Any) -> BaseRate:
        self._set_classes(_labels(y))
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "base_rate_")
        return np.full(len(X), self.base_rate_)

    def predict_proba(self, X: Any) -> np.ndarray:
        p = self.decision_function(X)
        return np.column_stack([1 - p, p])


class _Rule(_Baseline):
    """A rule with a raw score, mapped to probabilities by a monotone logistic fit."""

    def _resolve(self, X: pd.DataFrame, y: np.ndarray) -> None:
        raise NotImplementedError

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def fit(self, X: Any, y: Any) -> _Rule:
        X = _frame(X, type(self).__name__)
        y = _labels(y)
        self._set_classes(y)
        self._resolve(X, y)
        raw = self._raw(X)
        self.scale_ = float(np.nanstd(raw)) or 1.0
        self.link_: LogisticRegression | None = None
        if len(np.unique(y)) == 2 and len(np.unique(raw)) > 1:
            link = LogisticRegression().fit((raw / self.scale_)[:, None], y)
            if link.coef_[0, 0] > 0:
                self.link_ = link
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The rule's own score (flag, rate or points); higher = higher risk."""
        check_is_fitted(self, "scale_")
        return self._raw(_frame(X, type(self).__name__))

    def predict_proba(self, X: Any) -> np.ndarray:
        raw = self.decision_function(X)
        if self.link_ is None:
            p = np.full(len(raw), self.base_rate_)
        else:
            p = self.link_.predict_proba((raw / self.scale_)[:, None])[:, 1]
        return np.column_stack([1 - p, p])


def _absence_threshold(meta: Any, values: pd.Series, share: float = 0.10) -> float:
    """``share`` of sessions, in the feature's own unit (fraction or percent).

    A 0/1 flag (the persistent-absence aggregate) stays itself at any threshold
    in (0, 1], so a flag column can stand in for the rate.
    """
    unit = str(getattr(meta, "unit", "") or "").lower()
    if "%" in unit or "percent" in unit:
        return share * 100
    if unit in ("", "none") and float(values.max(skipna=True) or 0) > 1.5:
        return share * 100
    return share


def _config_fix(baseline: str, yaml: str, python: str) -> str:
    """How to give a baseline its column, in the pipeline config and in Python."""
    return (f"add such a feature to the feature spec, or name the column in the "
            f"pipeline config: model.baseline_inputs: {{{baseline}: {{{yaml}}}}} "
            f"({python} in Python)")


_ABSENCE_FIX = (
    "add a feature of overall absence to the feature spec (a periods ratio of "
    "authorised_absence and unauthorised_absence over sessions_possible, named "
    "overall_absence, or its persistent aggregate named persistent_absence), or name "
    "the column in the pipeline config: model.baseline_inputs: {persistent_absence: "
    "{column: ...}} (column=... in Python)")


class PersistentAbsenceRule(_Rule):
    """Persistent absence, the rule councils use: overall absence (authorised and
    unauthorised) at or above 10% of possible sessions over about a year; a 0/1 flag.

    Parameters
    ----------
    column : str, optional
        Overall absence as a share of sessions possible (a fraction, or a percent
        when its unit says so), or the persistent-absence flag itself. Default:
        found in ``metadata`` by ``LOOKUPS["absence_rate"]``: a feature named as
        overall or persistent absence whose period measures (when the metadata lists
        them) include authorised and unauthorised absence, window closest to a year.
        An unauthorised-only absence rate is never taken for it.
    metadata : mapping, optional
        Column -> feature metadata.
    threshold : float
        Share of sessions at or above which a person is persistently absent.

    Attributes
    ----------
    column_ : str
    threshold_ : float
        ``threshold`` in the column's unit.

    Examples
    --------
    >>> X = pd.DataFrame({"absence": [0.02, 0.12, 0.30, 0.05, 0.10]})
    >>> rule = PersistentAbsenceRule(column="absence").fit(X, [0, 1, 1, 0, 0])
    >>> rule.decision_function(X)
    array([0., 1., 1., 0., 1.])
    """

    def __init__(self, column: str | None = None,
                 metadata: Mapping[str, Any] | None = None,
                 threshold: float = 0.10) -> None:
        self.column = column
        self.metadata = metadata
        self.threshold = threshold

    def _resolve(self, X: pd.DataFrame, y: np.ndarray) -> None:
        if not 0 < self.threshold <= 1:
            raise ModelInputError(
                f"PersistentAbsenceRule threshold must be a share of sessions in "
                f"(0, 1], got {self.threshold!r}. Fix: use 0.10 for 10%")
        self.column_ = self.column or find_feature(
            self.metadata, "absence_rate", needed_by="PersistentAbsenceRule",
            available=list(X.columns), fix=_ABSENCE_FIX)
        meta = (self.metadata or {}).get(self.column_)
        self.threshold_ = _absence_threshold(meta, pd.to_numeric(
            _column(X, self.column_, "PersistentAbsenceRule")), self.threshold)

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        rate = pd.to_numeric(_column(X, self.column_, "PersistentAbsenceRule")
                             ).to_numpy(dtype=float, na_value=np.nan)
        # no sessions recorded (a missing rate) is not persistent absence
        with np.errstate(invalid="ignore"):
            return (rate >= self.threshold_).astype(float)


class AnySuspensionRule(_Rule):
    """Flag anyone with a suspension (or exclusion) in the last year.

    Parameters
    ----------
    column : str, optional
        A count of suspensions over about a year. Default: ``LOOKUPS["suspensions"]``
        (name or family containing "suspension" or "exclusion", aggregate count).
    metadata : mapping, optional

    Examples
    --------
    >>> X = pd.DataFrame({"susp": [0, 2, 0, 1]})
    >>> AnySuspensionRule(column="susp").fit(X, [0, 1, 0, 0]).decision_function(X)
    array([0., 1., 0., 1.])
    """

    def __init__(self, column: str | None = None,
                 metadata: Mapping[str, Any] | None = None) -> None:
        self.column = column
        self.metadata = metadata

    def _resolve(self, X: pd.DataFrame, y: np.ndarray) -> None:
        self.column_ = self.column or find_feature(
            self.metadata, "suspensions", needed_by="AnySuspensionRule",
            available=list(X.columns), fix=_config_fix("any_suspension", "column: ...",
                                                        "column=..."))

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        count = pd.to_numeric(_column(X, self.column_, "AnySuspensionRule"))
        return (count.fillna(0).to_numpy(dtype=float) > 0).astype(float)


_CHECKLIST_ITEMS = ("attendance", "exclusion", "sen", "looked_after", "justice_contact")
_ITEM_LOOKUP = {"attendance": "absence_rate", "exclusion": "suspensions", "sen": "sen",
                "looked_after": "looked_after", "justice_contact": "justice_contact"}
_NOT_SEN = {"", "none", "no", "n", "false", "0", "nan", "<na>"}


def _present(values: pd.Series) -> np.ndarray:
    """1 where a status is present: a positive number, or a text other than none."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return (pd.to_numeric(values).fillna(0).to_numpy(dtype=float) > 0).astype(float)
    text = values.astype("string").fillna("").str.strip().str.lower()
    return (~text.isin(_NOT_SEN)).to_numpy(dtype=float)


class ChecklistScore(_Rule):
    """A points checklist in the style of risk-of-NEET indicators.

    One point each for: attendance below 90% (absence rate above 10%), any
    suspension or exclusion in the last year, special educational needs, being
    looked after, police or youth-justice contact in the last year.

    Parameters
    ----------
    columns : mapping, optional
        Item -> column, for any of ``attendance``, ``exclusion``, ``sen``,
        ``looked_after``, ``justice_contact``. Items not given are found in
        ``metadata`` (``LOOKUPS``).
    metadata : mapping, optional
    items : sequence of str, optional
        Which items to score (default all five).

    Examples
    --------
    >>> X = pd.DataFrame({"abs": [0.2, 0.0], "susp": [1, 0], "sen": ["ehcp", "none"],
    ...                   "cla": [0, 0], "police": [3, 0]})
    >>> cols = {"attendance": "abs", "exclusion": "susp", "sen": "sen",
    ...         "looked_after": "cla", "justice_contact": "police"}
    >>> ChecklistScore(columns=cols).fit(X, [1, 0]).decision_function(X)
    array([4., 0.])
    """

    def __init__(self, columns: Mapping[str, str] | None = None,
                 metadata: Mapping[str, Any] | None = None,
                 items: Sequence[str] | None = None) -> None:
        self.columns = columns
        self.metadata = metadata
        self.items = items

    def _resolve(self, X: pd.DataFrame, y: np.ndarray) -> None:
        items = list(self.items) if self.items is not None else list(_CHECKLIST_ITEMS)
        unknown = [i for i in items if i not in _CHECKLIST_ITEMS]
        unknown += [i for i in (self.columns or {}) if i not in _CHECKLIST_ITEMS]
        if unknown:
            raise ModelInputError(
                f"ChecklistScore has no item {unknown[0]!r}. Fix: use items from "
                f"{', '.join(_CHECKLIST_ITEMS)}"
            )
        given = dict(self.columns or {})
        self.columns_ = {
            item: given.get(item) or find_feature(
                self.metadata, _ITEM_LOOKUP[item],
                needed_by=f"ChecklistScore (item '{item}')", available=list(X.columns),
                fix=_config_fix("checklist", f"columns: {{{item}: ...}}",
                                f"columns={{'{item}': ...}}"))
            for item in items
        }
        absence = self.columns_.get("attendance")
        self.threshold_ = 0.10 if absence is None else _absence_threshold(
            (self.metadata or {}).get(absence),
            pd.to_numeric(_column(X, absence, "ChecklistScore")))

    def points(self, X: pd.DataFrame) -> pd.DataFrame:
        """One 0/1 column per item, so a reader can see where the points came from."""
        check_is_fitted(self, "columns_")
        out = {}
        for item, column in self.columns_.items():
            values = _column(X, column, "ChecklistScore")
            if item == "attendance":
                rates = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
                out[item] = (rates > self.threshold_).astype(float)
            else:
                out[item] = _present(values)
        return pd.DataFrame(out, index=X.index)

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        return self.points(X).sum(axis=1).to_numpy(dtype=float)


def _directed_aucs(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AUC of each column of ``X`` (no missing values) for the 0/1 labels ``y``.

    Ties count half, as in :func:`sklearn.metrics.roc_auc_score`.
    """
    n1 = int(y.sum())
    n0 = len(y) - n1
    ranks = np.apply_along_axis(rankdata, 0, X)
    return (ranks[y == 1].sum(axis=0) - n1 * (n1 + 1) / 2) / (n1 * n0)


class BestSingleInput(_Rule):
    """The one model input that ranks best (AUC) on the training rows.

    Each numeric input is tried both ways round (higher value = higher risk, or
    lower value = higher risk); the column and direction with the highest AUC on
    the training rows score new rows by that column alone. A missing value takes
    the training median. It asks whether the model learned more than the strongest
    single signal in the data; which signal that was is recorded (``column_``,
    ``direction_``).

    Parameters
    ----------
    metadata : mapping, optional
        Column -> metadata; candidates are ``model_inputs(metadata, use_protected)``
        that are not categorical. Without it, every numeric column of X.
    columns : sequence of str, optional
        Explicit candidates (overrides ``metadata``).
    use_protected : bool

    Attributes
    ----------
    column_ : str
    direction_ : int
        +1 when a higher value means higher risk, -1 when a lower one does.
    train_auc_ : float
        AUC of the chosen column and direction on the training rows.
    aucs_ : Series
        Every candidate's AUC in its better direction, on the training rows.
    fill_ : float
        The training median, given to missing values.

    Examples
    --------
    >>> X = pd.DataFrame({"a": [1.0, 3, 2, 4], "b": [4.0, 3, 1, 2]})
    >>> rule = BestSingleInput().fit(X, [0, 0, 1, 1])
    >>> rule.column_, rule.direction_, rule.train_auc_
    ('b', -1, 1.0)
    """

    def __init__(self, metadata: Mapping[str, Any] | None = None,
                 columns: Sequence[str] | None = None,
                 use_protected: bool = False) -> None:
        self.metadata = metadata
        self.columns = columns
        self.use_protected = use_protected

    def _candidates(self, X: pd.DataFrame) -> list[str]:
        if self.columns is not None:
            cols = list(self.columns)
        elif self.metadata is not None:
            cols = [c for c in model_inputs(self.metadata, self.use_protected)
                    if c in X.columns and getattr(self.metadata[c], "kind", "numeric")
                    != "categorical"]
        else:
            cols = list(X.columns)
        for c in cols:
            _column(X, c, "BestSingleInput")
        cols = [c for c in cols if pd.api.types.is_numeric_dtype(X[c])
                or pd.api.types.is_bool_dtype(X[c])]
        if not cols:
            raise MissingFeatureError(
                "BestSingleInput needs at least one numeric input; X has none. Fix: "
                "add numeric features, or name candidates with columns=...")
        return cols

    def _resolve(self, X: pd.DataFrame, y: np.ndarray) -> None:
        cols = self._candidates(X)
        values = X[cols].apply(pd.to_numeric).astype(float)
        fills = values.median().fillna(0.0)
        if len(np.unique(y)) < 2:
            aucs = pd.Series(0.5, index=cols)
        else:
            aucs = pd.Series(_directed_aucs(values.fillna(fills).to_numpy(), y),
                             index=cols)
        better = pd.Series(np.maximum(aucs.to_numpy(), 1 - aucs.to_numpy()), index=cols)
        best = str(better.idxmax())  # the first of equals, in column order
        self.column_ = best
        self.direction_ = 1 if aucs[best] >= 0.5 else -1
        self.train_auc_ = float(better[best])
        self.aucs_ = better.rename("auc")
        self.fill_ = float(fills[best])

    def _raw(self, X: pd.DataFrame) -> np.ndarray:
        values = pd.to_numeric(_column(X, self.column_, "BestSingleInput")
                               ).to_numpy(dtype=float, na_value=np.nan)
        return self.direction_ * np.where(np.isnan(values), self.fill_, values)


def _signed_log1p(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


class LogisticBaseline(_Baseline):
    """Regularised logistic regression on the model's own features.

    Numeric columns are median-imputed (with missing-value indicators), put on a
    signed log scale (counts and days are heavily skewed, and a linear model on raw
    counts lets a few extreme values dominate) and scaled; text columns are one-hot
    encoded (unseen categories ignored). The default penalty is strong, because
    there are many correlated features and few escalations: a weakly penalised
    model overfits and would be a straw man to beat.

    Parameters
    ----------
    metadata : mapping, optional
        Column -> metadata; the inputs are ``model_inputs(metadata, use_protected)``.
        Without it, every column of X.
    columns : sequence of str, optional
        Explicit inputs (overrides ``metadata``).
    C : float
        Inverse regularisation strength.
    use_protected : bool
    max_iter : int

    Examples
    --------
    >>> X = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5], "g": list("ababab")})
    >>> clf = LogisticBaseline().fit(X, [0, 0, 0, 1, 1, 1])
    >>> bool(clf.predict_proba(X)[5, 1] > clf.predict_proba(X)[0, 1])
    True
    """

    def __init__(self, metadata: Mapping[str, Any] | None = None,
                 columns: Sequence[str] | None = None, C: float = 0.05,
                 use_protected: bool = False, max_iter: int = 2000) -> None:
        self.metadata = metadata
        self.columns = columns
        self.C = C
        self.use_protected = use_protected
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> LogisticBaseline:
        X = _frame(X, "LogisticBaseline")
        y = _labels(y)
        self._set_classes(y)
        if self.columns is not None:
            cols = list(self.columns)
        elif self.metadata is not None:
            cols = [c for c in model_inputs(self.metadata, self.use_protected)
                    if c in X.columns]
        else:
            cols = list(X.columns)
        for c in cols:
            _column(X, c, "LogisticBaseline")
        kinds = {c: getattr((self.metadata or {}).get(c), "kind", None) for c in cols}
        text = [c for c in cols if kinds[c] == "categorical"
                or not pd.api.types.is_numeric_dtype(X[c])]
        numeric = [c for c in cols if c not in text]
        prep = ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median", add_indicator=True,
                                                keep_empty_features=True),
                                  FunctionTransformer(_signed_log1p),
                                  StandardScaler()), numeric),
            ("cat", make_pipeline(
                SimpleImputer(strategy="constant", fill_value="missing"),
                OneHotEncoder(handle_unknown="ignore", min_frequency=20)), text),
        ])
        self.columns_ = cols
        data = self._text_as_object(X[cols], text)
        self.pipeline_ = Pipeline([
            ("prep", prep),
            ("lr", LogisticRegression(C=self.C, max_iter=self.max_iter)),
        ]).fit(data, y)
        self.text_columns_ = text
        self.transformed_sources_ = _transformed_sources(prep, numeric, text)
        # the training rows' mean of each coefficient's input: the background an
        # explanation measures each person's contributions from
        self.transformed_mean_ = _dense(prep.transform(data)).mean(axis=0)
        return self

    @staticmethod
    def _text_as_object(X: pd.DataFrame, text: list[str]) -> pd.DataFrame:
        # SimpleImputer wants NaN, not pandas NA, in text columns
        X = X.copy()
        for c in text:
            X[c] = X[c].astype(object).where(X[c].notna(), np.nan)
        return X

    def _inputs(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "pipeline_")
        X = _frame(X, "LogisticBaseline")
        for c in self.columns_:
            _column(X, c, "LogisticBaseline")
        return self._text_as_object(X[self.columns_], self.text_columns_)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.asarray(self.pipeline_.predict_proba(self._inputs(X)))

    def transform(self, X: Any) -> np.ndarray:
        """The inputs as the regression sees them, one column per coefficient.

        The log-odds are ``transform(X) @ coef_ + intercept_``; column ``k`` comes
        from the input ``transformed_sources_[k]`` (its scaled signed log, its
        missing-value indicator, or one of its categories).

        Examples
        --------
        >>> X = pd.DataFrame({"x": [0.0, 1, None, 3, 4, 5], "g": list("ababab")})
        >>> clf = LogisticBaseline(C=1.0).fit(X, [0, 0, 0, 1, 1, 1])
        >>> clf.transformed_sources_  # x, its missing flag, g's rare categories
        ['x', 'x', 'g']
        >>> z = clf.transform(X) @ clf.coef_ + clf.intercept_
        >>> bool(np.allclose(1 / (1 + np.exp(-z)), clf.predict_proba(X)[:, 1]))
        True
        """
        return _dense(self.pipeline_.named_steps["prep"].transform(self._inputs(X)))

    @property
    def coef_(self) -> np.ndarray:
        """The coefficients, one per column of :meth:`transform`."""
        check_is_fitted(self, "pipeline_")
        return np.asarray(self.pipeline_.named_steps["lr"].coef_[0], dtype=float)

    @property
    def intercept_(self) -> float:
        check_is_fitted(self, "pipeline_")
        return float(self.pipeline_.named_steps["lr"].intercept_[0])


def _dense(Z: Any) -> np.ndarray:
    return np.asarray(Z.toarray() if sparse.issparse(Z) else Z, dtype=float)


def _transformed_sources(prep: ColumnTransformer, numeric: list[str],
                         text: list[str]) -> list[str]:
    """The input column behind each output column of the fitted ``prep``."""
    out: list[str] = []
    if numeric:
        imputer = prep.named_transformers_["num"].steps[0][1]
        flagged = [] if imputer.indicator_ is None else imputer.indicator_.features_
        out += numeric + [numeric[i] for i in flagged]
    if text:
        onehot = prep.named_transformers_["cat"].steps[-1][1]
        # names are "{position}_{category}": the position names the input column
        names = onehot.get_feature_names_out([str(i) for i in range(len(text))])
        out += [text[int(n.split("_", 1)[0])] for n in names]
    return out


BASELINES = {
    "base_rate": "BaseRate",
    "persistent_absence": "PersistentAbsenceRule",
    "any_suspension": "AnySuspensionRule",
    "checklist": "ChecklistScore",
    "best_single_input": "BestSingleInput",
    "logistic": "LogisticBaseline",
}

BASELINE_LABELS = {
    "base_rate": "the base rate",
    "persistent_absence": "the persistent-absence rule",
    "any_suspension": "the any-suspension-in-the-last-year rule",
    "checklist": "the points checklist",
    "best_single_input": "the best single input",
    "logistic": "logistic regression",
}

_CLASSES: dict[str, type[BaseEstimator]] = {
    "base_rate": BaseRate,
    "persistent_absence": PersistentAbsenceRule,
    "any_suspension": AnySuspensionRule,
    "checklist": ChecklistScore,
    "best_single_input": BestSingleInput,
    "logistic": LogisticBaseline,
}

#: Settings a pipeline config may give each baseline (model.baseline_inputs).
BASELINE_INPUTS: dict[str, tuple[str, ...]] = {
    name: tuple(p for p in cls().get_params() if p not in ("metadata",))
    for name, cls in _CLASSES.items()
}


def check_baseline_inputs(inputs: Mapping[str, Mapping[str, Any]] | None) -> list[str]:
    """Problems with per-baseline settings, each naming what is accepted.

    Examples
    --------
    >>> check_baseline_inputs({"persistent_absence": {"colum": "x"}, "xgb": {}})
    ["persistent_absence: unknown setting 'colum' (accepted: column, threshold, \
label)", \
"unknown baseline 'xgb' (baselines: base_rate, persistent_absence, any_suspension, \
checklist, best_single_input, logistic)"]
    """
    problems = []
    for name, given in (inputs or {}).items():
        if name not in BASELINE_INPUTS:
            problems.append(f"unknown baseline {name!r} (baselines: "
                            f"{', '.join(BASELINE_INPUTS)})")
            continue
        if not isinstance(given, Mapping):
            problems.append(f"{name}: expected a mapping of settings "
                            f"({', '.join(BASELINE_INPUTS[name])})")
            continue
        accepted = (*BASELINE_INPUTS[name], "label")
        problems += [f"{name}: unknown setting {k!r} (accepted: {', '.join(accepted)})"
                     for k in given if k not in accepted]
    return problems


def baseline_label(name: str, inputs: Mapping[str, Mapping[str, Any]] | None = None
                   ) -> str:
    """What a baseline is called in words: the config's ``label`` for it, else ours.

    A baseline pointed at another population's column (a missed deadline instead
    of a suspension) is named for what it now is.

    Examples
    --------
    >>> baseline_label("any_suspension")
    'the any-suspension-in-the-last-year rule'
    >>> baseline_label("any_suspension", {"any_suspension": {"label": "a missed deadline"}})
    'a missed deadline'
    """
    given = (inputs or {}).get(name) or {}
    return str(given.get("label") or BASELINE_LABELS.get(name, name))


def make_baselines(
    names: str | Sequence[str] = "all", metadata: Mapping[str, Any] | None = None,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, BaseEstimator]:
    """Baselines by short name: base_rate, persistent_absence, any_suspension,
    checklist, best_single_input, logistic (``"all"`` for every one).

    ``inputs`` gives a baseline its settings by name, e.g. ``{"persistent_absence":
    {"column": "overall_absence__ratio__1y"}}``; the rest are found in ``metadata``.

    Examples
    --------
    >>> sorted(make_baselines(["base_rate", "logistic"]))
    ['base_rate', 'logistic']
    >>> make_baselines("persistent_absence",
    ...                inputs={"persistent_absence": {"column": "pa"}}
    ...                )["persistent_absence"].column
    'pa'
    """
    wanted = list(BASELINES) if names == "all" else (
        [names] if isinstance(names, str) else list(names))
    unknown = [n for n in wanted if n not in BASELINES]
    if unknown:
        raise ModelInputError(
            f"unknown baseline {unknown[0]!r}. Fix: choose from {', '.join(BASELINES)} "
            "or 'all'"
        )
    problems = check_baseline_inputs(inputs)
    if problems:
        raise ModelInputError(f"baseline settings: {'; '.join(problems)}. Fix: use "
                              "the accepted settings")
    out = {}
    for name in wanted:
        given = {k: v for k, v in ((inputs or {}).get(name) or {}).items()
                 if k != "label"}
        cls: Any = _CLASSES[name]
        est = cls() if name == "base_rate" else cls(metadata=metadata)
        out[name] = est.set_params(**given)
    return out
