"""Honest temporal evaluation of the model against baselines and, when known, the truth.

For every temporal fold the model (and its calibration) and each baseline are fitted
on the training rows only and score the test rows; metrics are computed per fold and
pooled over all test rows. Everything returned is a DataFrame, a plain dict or SVG
text, so it can be logged or rendered as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, cast

import numpy as np
import pandas as pd
from sklearn.base import clone

from earlysignal.errors import DataError, EarlysignalError
from earlysignal.features._windows import Window
from earlysignal.model._baselines import baseline_label, make_baselines
from earlysignal.model._calibration import CalibratedModel
from earlysignal.model._compare import COMPARED, PairedReplicates, paired_replicates
from earlysignal.model._diagnostics import fitted_rounds, fold_warnings
from earlysignal.model._estimator import (
    EarlyWarningClassifier,
    TooFewOutcomesError,
    model_inputs,
    split_settings,
)
from earlysignal.model._folds import Fold, folds_svg, temporal_folds
from earlysignal.model._lookup import MissingFeatureError
from earlysignal.model._metrics import (
    Capacity,
    calibration_table,
    capacity_curve,
    capacity_metrics,
    classification_metrics,
    expected_calibration_error,
)
from earlysignal.model._plots import lines_svg_from, reliability_svg_from
from earlysignal.model._progress import FoldSteps
from earlysignal.model._selection import (
    CANDIDATES,
    SELECT_OPTIONS,
    InnerValidation,
    blend_of,
    with_blend,
)
from earlysignal.model._test_windows import (
    SHIFT_FACTOR,
    base_rate_shift,
    merge_small_windows,
    renumber_folds,
    resolve_test_every,
)
from earlysignal.model._threads import one_blas_thread
from earlysignal.present import run_model_names

__all__ = ["Evaluation", "evaluate"]

MODEL = "model"
ORACLE = "oracle"
ORACLE_METRICS = ("auc", "average_precision", "precision_at_k")


@dataclass
class Evaluation:
    """Result of :func:`evaluate`.

    Attributes
    ----------
    scores : DataFrame
        Wide: one row per test row (person_id, as_of, fold, window, label, p_true
        when a truth was given) and one score column per model (``model`` and each
        baseline by short name). A person appears once per test as-of date.
        ``window`` is the test window, the capacity round.
    metrics : DataFrame
        Tidy: fold, model, metric, value (``oracle`` is a model when truth is known).
    pooled : DataFrame
        Tidy: model, metric, value over all test rows (capacity per as-of date);
        with a truth, over the test rows whose true risk is known, so that every
        model and the oracle are compared on the same rows (per fold too;
        ``settings["n_test_rows_without_truth"]`` counts the rows left out).
    oracle : DataFrame or None
        fold ("pooled" or the fold index), model, metric, value, oracle, gap
        (value - oracle), gap_lower and gap_upper (the paired interval of people,
        pooled AUC and precision at capacity), relative_gap (gap / oracle), n_rows:
        computed on the test
        rows whose truth is known (``settings["truth_coverage"]`` is their share),
        so model and oracle are compared on the same people.
    folds : list of Fold
    calibration : DataFrame
        Per model, deciles of score on the pooled test rows (see calibration_table).
    drift : DataFrame
        fold, test_start, model, auc, average_precision, precision_at_k.
    capacity_curve : DataFrame
        model, percent (0.5-20), k, caught, precision, recall, ...
    plots : dict
        name -> SVG text: folds, reliability, drift_auc, drift_precision,
        capacity_precision, capacity_recall (drawn on first access).
    final_model : estimator
        Trained on all labelled rows, for scoring new people.
    verdicts : dict
        Baseline -> a sentence on whether the model beats it, from ``intervals``:
        a win only where the interval of the difference excludes zero.
    skipped : dict
        Baseline -> why it could not be evaluated (its features were missing).
    intervals : DataFrame
        Tidy: model, metric (auc, precision_at_k), value, lower, upper, and
        difference (the model's value minus this one's) with difference_lower and
        difference_upper: a paired bootstrap of people on the pooled rows.
    warnings : list of str
        Sentences about degenerate test folds (see :func:`fold_warnings`).
    alarms : list of str
        Sentences about a model that scores above the oracle: leakage suspected.
    shift : dict
        Training against test escalation rates (see ``base_rate_shift``), with a
        sentence in ``text``.
    """

    scores: pd.DataFrame
    metrics: pd.DataFrame
    pooled: pd.DataFrame
    oracle: pd.DataFrame | None
    folds: list[Fold]
    calibration: pd.DataFrame
    drift: pd.DataFrame
    capacity_curve: pd.DataFrame
    final_model: Any
    verdicts: dict[str, str]
    skipped: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    features: list[str] = field(default_factory=list)
    intervals: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)
    shift: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def plots(self) -> dict[str, str]:
        """Name -> SVG text."""
        models = list(self.pooled["model"].unique())
        return _plots(self.folds, models, self.calibration, self.drift,
                      self.capacity_curve, Capacity.parse(self.settings["capacity"]),
                      run_model_names(self.settings.get("baseline_inputs")))

    @cached_property
    def pooled_table(self) -> pd.DataFrame:
        """Pooled metrics as model x metric."""
        return self.pooled.pivot(index="model", columns="metric", values="value")

    def summary(self) -> dict[str, Any]:
        """Plain JSON-able summary: settings, folds, pooled metrics, oracle gaps,
        verdicts."""
        pooled = {m: {k: _num(v) for k, v in row.items()}
                  for m, row in self.pooled_table.to_dict("index").items()}
        out: dict[str, Any] = {
            "settings": self.settings,
            "n_features": len(self.features),
            "folds": [f.to_dict() for f in self.folds],
            "pooled": pooled,
            "compared_on": self.compared_on,
            "intervals": _plain_records(self.intervals),
            "verdicts": self.verdicts,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "alarms": self.alarms,
            "shift": self.shift,
        }
        if self.oracle is not None:
            part = self.oracle[(self.oracle["fold"] == "pooled")
                               & (self.oracle["model"] == MODEL)]
            out["oracle_gap"] = {r.metric: {"model": _num(r.value),
                                            "oracle": _num(r.oracle),
                                            "gap": _num(r.gap),
                                            "gap_lower": _num(r.gap_lower),
                                            "gap_upper": _num(r.gap_upper),
                                            "relative_gap": _num(r.relative_gap),
                                            "n_rows": int(cast(int, r.n_rows))}
                                 for r in part.itertuples()}
        return out

    @property
    def compared_on(self) -> str:
        """Which test rows the pooled metrics and comparisons are computed on."""
        st = self.settings
        left = st.get("n_test_rows_without_truth")
        if left is None:
            return (f"Pooled metrics and comparisons are on all "
                    f"{st.get('n_test_rows', len(self.scores)):,} test rows.")
        shown = st["n_test_rows"] - left
        tail = (f"; {left:,} test rows without a true risk are left out, so that "
                "every model and the oracle are judged on the same rows" if left
                else "")
        return (f"Pooled metrics and comparisons are on the {shown:,} test rows whose "
                f"true risk is known{tail}.")


def _plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (_num(v) if isinstance(v, float | np.floating) else v)
             for k, v in row.items()} for row in frame.to_dict("records")]


def _num(v: Any) -> float | None:
    v = float(v)
    return None if math.isnan(v) else v


def _labels_known_by(data: pd.DataFrame, y: np.ndarray, rows: np.ndarray,
                     when: pd.Timestamp, column: str | None) -> np.ndarray:
    """Training labels as a model trained at ``when`` could have seen them.

    An escalation that happened inside a training row's window but was recorded on
    or after ``when`` was not in any extract taken then: the row reads as negative.
    """
    out = y[rows].copy()
    if column is None or column not in data.columns:
        return out
    known = pd.to_datetime(data[column].iloc[rows]).to_numpy()
    late = (out == 1) & ~np.isnat(known) & (known >= np.datetime64(when))
    out[late] = 0
    return out


def _check_matrix(matrix: pd.DataFrame, metadata: Mapping[str, Any],
                  label_col: str) -> None:
    need = ["person_id", "as_of", label_col]
    missing = [c for c in need if c not in matrix.columns]
    if missing:
        raise DataError(
            f"the feature matrix has no column '{missing[0]}' (columns needed: "
            f"{', '.join(need)})", file="feature matrix", column=missing[0],
            fix="pass the matrix built by the feature stage, with its label column",
        )
    absent = [c for c in metadata if c not in matrix.columns]
    if absent:
        raise DataError(
            f"{len(absent)} feature(s) in the metadata are not in the matrix, first "
            f"'{absent[0]}'", file="feature matrix", column=absent[0],
            fix="pass the metadata that came with this matrix",
        )
    labels = pd.to_numeric(matrix[label_col], errors="coerce")
    bad = np.flatnonzero(np.asarray(matrix[label_col].notna() & ~labels.isin([0, 1])))
    if len(bad):
        raise DataError(
            "labels must be 0, 1 or missing (censored)", file="feature matrix",
            column=label_col, rows=[int(r) + 1 for r in bad],
            fix="recode the label as 0/1 and leave censored rows empty",
        )


def _attach_truth(test: pd.DataFrame, truth: pd.DataFrame, horizon: Window
                  ) -> pd.Series:
    need = ["person_id", "as_of", "p_true"]
    missing = [c for c in need if c not in truth.columns]
    if missing:
        raise DataError(f"the truth table has no column '{missing[0]}'",
                        file="truth", column=missing[0],
                        fix="give person_id, as_of and p_true")
    truth = truth[[c for c in [*need, "horizon"] if c in truth.columns]]
    if "horizon" in truth.columns and truth["horizon"].nunique() > 1:
        keep = truth["horizon"].map(lambda h: Window.parse(h) == horizon)
        truth = truth[keep.astype(bool)]
    truth = truth.assign(person_id=truth["person_id"].astype(str),
                         as_of=pd.to_datetime(truth["as_of"]).dt.normalize())
    truth = truth.drop_duplicates(["person_id", "as_of"])
    keys = test[["person_id", "as_of"]].assign(
        person_id=test["person_id"].astype(str),
        as_of=pd.to_datetime(test["as_of"]).dt.normalize())
    merged = keys.merge(truth, on=["person_id", "as_of"], how="left")
    if merged["p_true"].isna().all():
        first = merged.iloc[0]
        raise DataError(
            f"none of the {len(merged)} test rows has a p_true in the truth table "
            f"(first: person {first['person_id']} at {first['as_of'].date()})",
            file="truth", column="p_true",
            fix="pass the truth table of the same synthetic cohort",
        )
    return pd.Series(merged["p_true"].to_numpy(dtype=float), index=test.index)


def _row_metrics(y: np.ndarray, p: np.ndarray, groups: np.ndarray,
                 capacity: Capacity) -> dict[str, float]:
    out = classification_metrics(y, p)
    out["ece"] = expected_calibration_error(y, p)
    out.update(capacity_metrics(y, p, capacity, groups))
    return out


def _tidy(rows: list[dict[str, Any]], keys: Sequence[str]) -> pd.DataFrame:
    long = [{**{k: r[k] for k in keys}, "metric": m, "value": float(v)}
            for r in rows for m, v in r["metrics"].items()]
    return pd.DataFrame(long, columns=[*keys, "metric", "value"])


def _verdict(name: str, intervals: pd.DataFrame, metrics: pd.DataFrame,
             capacity: Capacity, level: float,
             inputs: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """Whether the model beats ``name``, metric by metric, from paired intervals.

    A metric is a win (or a loss) only when the interval of the difference excludes
    zero; otherwise the two are not distinguishable on it.
    """
    label = baseline_label(name, inputs)
    groups: dict[str, list[str]] = {}
    for metric, words in (("auc", "AUC"),
                          ("precision_at_k", f"precision at {capacity.label}")):
        row = intervals[(intervals["model"] == name) & (intervals["metric"] == metric)]
        ours = intervals[(intervals["model"] == MODEL)
                         & (intervals["metric"] == metric)]["value"]
        if row.empty or ours.empty:
            continue
        r = row.iloc[0]
        per = metrics[metrics["metric"] == metric].pivot(
            index="fold", columns="model", values="value")
        wins = int((per[MODEL] > per[name]).sum()) if name in per else 0
        d, lo, hi = r["difference"], r["difference_lower"], r["difference_upper"]
        if math.isnan(lo) or math.isnan(hi):
            outcome = "cannot be compared with"
            interval = "without an interval"
        else:
            outcome = ("beats" if lo > 0 else "does worse than" if hi < 0
                       else "is not distinguishable from")
            interval = f"{level:.0%} interval {lo:+.3f} to {hi:+.3f}"
        groups.setdefault(outcome, []).append(
            f"{words} ({float(ours.iloc[0]):.3f} vs {r['value']:.3f}; difference "
            f"{d:+.3f}, {interval}; better in {wins} of {len(per)} "
            f"fold{'' if len(per) == 1 else 's'})")
    parts: list[str] = []
    for outcome in ("beats", "does worse than", "is not distinguishable from",
                    "cannot be compared with"):
        if outcome in groups:
            whom = label if not parts else "it"
            parts.append(f"{outcome} {whom} on " + " and on ".join(groups[outcome]))
    return "The model " + ", but ".join(parts) + "."


def _above_oracle(paired: PairedReplicates, capacity: Capacity) -> list[str]:
    """An alarm per metric on which the model is above the oracle beyond chance."""
    out = []
    for metric, words in (("auc", "AUC"),
                          ("precision_at_k", f"precision at {capacity.label}")):
        d, lo, hi = paired.difference(MODEL, ORACLE, metric)
        if lo > 0:
            i, j = paired.models.index(MODEL), paired.models.index(ORACLE)
            out.append(
                f"leakage suspected: the model's {words} "
                f"({paired.point[metric][i]:.3f}) is above the oracle's "
                f"({paired.point[metric][j]:.3f}) on the same "
                f"{paired.n_rows:,} test rows (difference {d:+.3f}, "
                f"{paired.level:.0%} interval {lo:+.3f} to {hi:+.3f}); no model can "
                "rank better than the true risk unless a feature carries information "
                "from on or after the as-of date.")
    return out


def _parts(choice: str) -> tuple[str, ...]:
    """The fitted models a choice needs: the blend needs both of its parts."""
    return ("lightgbm", "logistic") if choice in ("auto", "blend") else (choice,)


def _choose(select: str, inner: InnerValidation, train_dates: Sequence[Any],
            labels: Any) -> dict[str, Any]:
    if select != "auto":
        return {"choice": select, "by": "configured"}
    return inner.select(train_dates, labels)


def _make_model(calibration: str | None, seed: int, search_budget_s: float,
                n_jobs: int | str, model_params: Mapping[str, Any] | None,
                horizon: str | None = None) -> Any:
    named = split_settings(model_params)
    named.setdefault("horizon", horizon)
    base = EarlyWarningClassifier(random_state=seed, search_budget_s=search_budget_s,
                                  n_jobs=n_jobs, **named)
    if calibration is None or calibration == "none":
        return base
    return CalibratedModel(base, method=calibration, horizon=horizon)


# many small linear fits: one BLAS thread is faster and machine-independent
@one_blas_thread()
def evaluate(
    matrix: pd.DataFrame,
    metadata: Mapping[str, Any],
    *,
    horizon: str = "12m",
    capacity: str | int = "5%",
    baselines: str | Sequence[str] = "all",
    calibration: str | None = "isotonic",
    truth: pd.DataFrame | None = None,
    seed: int = 0,
    search_budget_s: float = 0.0,
    label_col: str = "label",
    use_protected: bool = False,
    test_dates: Sequence[Any] | None = None,
    max_train_span: str | int | None = None,
    min_train_dates: int = 1,
    test_from: Any = None,
    holdout_gap: bool = False,
    model_params: Mapping[str, Any] | None = None,
    n_jobs: int | str = "auto",
    fit_final: bool = True,
    label_known_col: str | None = "label_known_at",
    min_label_coverage: float = 0.5,
    n_boot: int = 500,
    select: str = "lightgbm",
    baseline_inputs: Mapping[str, Mapping[str, Any]] | None = None,
    test_every: str | None = "auto",
    shift_factor: float = SHIFT_FACTOR,
    progress: Callable[[str, int, int], None] | None = None,
) -> Evaluation:
    """Fit and score the model and baselines on temporal folds; compare with truth.

    Parameters
    ----------
    matrix : DataFrame
        person_id, as_of, the feature columns of ``metadata``, and ``label_col``
        (0/1, missing for censored rows, which are left out).
    metadata : mapping
        Column -> feature metadata (``kind``, ``protected``, ``family``, ``name``,
        ``aggregate``, ``window``, ``unit``).
    horizon : str
        Label horizon; no training label window reaches a fold's test date.
    capacity : str or int
        People a team can work with per test window: a count or a share ("5%").
    baselines : "all", a name or a list of names
        base_rate, persistent_absence, any_suspension, checklist, logistic. With
        "all", a baseline whose features are missing is skipped (see ``skipped``);
        named explicitly, it raises.
    calibration : "isotonic", "sigmoid" or None
    truth : DataFrame, optional
        person_id, as_of, p_true (synthetic data): adds the oracle and the gaps.
    seed : int
    search_budget_s : float
        Hyper-parameter search budget per fit (0 = defaults only).
    use_protected : bool
        Let the model use protected characteristics (off by default).
    test_dates, max_train_span, min_train_dates : passed to :func:`temporal_folds`.
        Explicit ``test_dates`` win over ``test_from``.
    holdout_gap : bool
        Keep the early-stopping and calibration slice of each fit a horizon apart
        from the rows trained before it. Stricter, but those rows are the most
        recent: on the demo cohorts it cost about 0.002 AUC, so it is off by
        default. The test folds always keep the gap.
    test_from : date, optional
        Test only as-of dates on or after this one (earlier dates still train): the
        first folds of a schedule learn from very few dates and judge a model no
        council would deploy.
    model_params : dict, optional
        EarlyWarningClassifier settings; any other LightGBM parameter passes
        through to LightGBM.
    n_jobs : int or "auto"
        LightGBM threads; ``"auto"`` takes the free cores at each fit. The scores
        do not depend on it. The linear fits always use one BLAS thread (see
        ``earlysignal.model._threads``).
    fit_final : bool
        Also train the final model on all labelled rows.
    label_known_col : str or None
        Column holding when each positive label's escalation was first recorded
        (``label_known_at`` from the feature stage). In each fold, a training
        escalation recorded on or after the test start counts as negative: an
        extract taken then would not have held it.
    min_label_coverage : float
        As-of dates where a smaller share of rows has a label are left out of
        training and testing (listed in ``settings["dates_left_out"]``): when the
        horizon runs past the end of the data, the labels that remain are mostly
        early escalations and would bias both.
    n_boot : int
        Resamples of people for the paired intervals behind the verdicts and the
        oracle gap: 500 resamples of 45,000 test rows and seven scores take a few
        seconds of CPU. 0 leaves the intervals undefined, and no verdict a win.
    select : {"auto", "lightgbm", "logistic", "blend"}
        The model a team receives (``model`` in the scores and ``final_model``):
        LightGBM, the logistic regression, or the mean of their probabilities
        (:class:`BlendedModel`); each can be explained. ``auto`` chooses
        by inner temporal validation on the training dates only (see
        ``earlysignal.model._selection``), inside each fold too, so the test
        numbers are those of the procedure that ships; the choices and the inner
        AUCs are in ``settings["selection"]``.
    baseline_inputs : mapping, optional
        Settings of a baseline by name, e.g. ``{"persistent_absence": {"column":
        "persistent_absence__persistent__1y"}}``; other columns are found in the
        metadata.
    test_every : str
        Test windows: ``1 month``, ``1 quarter``, ``6 months``, ``1 year``, ``each
        date`` or ``auto`` (a schedule keeps each date; decision points are grouped
        so that a window holds enough rows, see ``choose_test_every``). One fold
        per window; capacity applies per window. A window with no escalation or
        fewer rows than capacity needs joins the next one; a window whose training
        rows cannot be fitted is skipped. Both are told in
        ``settings["window_notes"]``.
    shift_factor : float
        Report test windows whose escalation rate is more than this many times
        that of their training rows, or less than it divided by this (``shift``).
    progress : callable, optional
        Called with ``(step, done, total)`` before each fit ("fold 2/5: logistic"),
        after each fold and before the final model; work is counted in training
        rows fitted (see ``earlysignal.model._progress``).

    Returns
    -------
    Evaluation

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> rng = np.random.default_rng(0)
    >>> n = 600
    >>> x = rng.normal(size=n)
    >>> m = pd.DataFrame({"person_id": [f"p{i % 200}" for i in range(n)],
    ...     "as_of": pd.to_datetime(np.repeat(["2020-09-01", "2021-09-01",
    ...                                        "2022-09-01"], 200)),
    ...     "x": x, "label": (x + rng.normal(size=n) > 1.5).astype(int)})
    >>> ev = evaluate(m, {"x": M(kind="numeric", protected=False)},
    ...               baselines=["base_rate"], calibration=None,
    ...               model_params={"n_estimators": 20}, fit_final=False)
    >>> len(ev.folds), sorted(ev.scores.columns)
    (2, ['as_of', 'base_rate', 'fold', 'label', 'model', 'person_id', 'window'])
    """
    _check_matrix(matrix, metadata, label_col)
    cap = Capacity.parse(capacity)
    h = Window.parse(horizon)
    features = model_inputs(metadata, use_protected)
    if not features:
        raise EarlysignalError(
            "no model inputs: every feature in the metadata is protected. Fix: add "
            "features, or set use_protected=True"
        )
    dates = pd.to_datetime(matrix["as_of"]).dt.normalize()
    coverage = matrix[label_col].notna().groupby(dates).mean()
    # where most labels are censored (the horizon runs past the extract date), the
    # few labels left are mostly early escalations: keep such dates out entirely
    thin = coverage[coverage < min_label_coverage]
    keep = matrix[label_col].notna().to_numpy() & ~dates.isin(thin.index).to_numpy()
    data = matrix[keep].reset_index(drop=True)
    data = data.assign(as_of=pd.to_datetime(data["as_of"]).dt.normalize())
    y_all = data[label_col].astype(int).to_numpy()
    gap = h.label if holdout_gap else None
    rounds: dict[int, tuple[int, int] | None] = {}
    every, every_reason = resolve_test_every(test_every, data["as_of"], y_all)
    folds = temporal_folds(data["as_of"], horizon=h, test_dates=test_dates,
                           max_train_span=max_train_span,
                           min_train_dates=min_train_dates, test_every=every)
    if test_from is not None and test_dates is None:
        start = pd.Timestamp(test_from)
        folds = [replace(f, index=i) for i, f in
                 enumerate(f for f in folds if f.test_start >= start)]
        if not folds:
            last = data["as_of"].max().date()
            raise EarlysignalError(
                f"no test date on or after test_from={start.date()} (the last "
                f"labelled as-of date is {last}). Fix: give an earlier test_from")
    if not folds:
        seen = sorted({d.date().isoformat() for d in data["as_of"]})
        raise EarlysignalError(
            f"no temporal fold is possible: the labelled as-of dates {seen} have no "
            f"pair {h.label} apart. Fix: add earlier as-of dates or shorten the horizon"
        )
    folds, window_notes = merge_small_windows(folds, data["as_of"], y_all, cap)
    X_all = data[list(metadata)]
    names = list(make_baselines(baselines, metadata, baseline_inputs))
    if select not in SELECT_OPTIONS:
        raise EarlysignalError(f"select={select!r} is not a choice. Fix: use one of "
                               f"{', '.join(SELECT_OPTIONS)}")
    logistic = make_baselines("logistic", metadata, baseline_inputs)["logistic"
                                                                    ].set_params(
        use_protected=use_protected)
    need = _parts(select)

    def fit(train: np.ndarray, y_train: np.ndarray, which: Sequence[str]
            ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "lightgbm" in which:
            out["lightgbm"] = _make_model(calibration, seed, search_budget_s, n_jobs,
                                          model_params, gap)
            out["lightgbm"].fit(X_all.iloc[train][features], y_train,
                                as_of=data["as_of"].iloc[train].to_numpy())
        if "logistic" in which:
            out["logistic"] = clone(logistic).fit(X_all.iloc[train][features], y_train)
        return out

    def fit_at(train: np.ndarray, when: pd.Timestamp) -> dict[str, Any]:
        """The candidates fitted on ``train`` with the labels known at ``when``."""
        return fit(train, _labels_known_by(data, y_all, train, when, label_known_col),
                   need)

    def score(models: Mapping[str, Any], rows: np.ndarray) -> dict[str, np.ndarray]:
        return with_blend({name: m.predict_proba(X_all.iloc[rows][features])[:, 1]
                           for name, m in models.items()})

    inner = InnerValidation(fit_at, score, data["as_of"], h, {
        "max_train_span": max_train_span, "min_train_dates": min_train_dates},
        person=data["person_id"].to_numpy())
    choices: list[dict[str, Any]] = []
    picks: list[dict[str, Any]] = []
    explicit = baselines != "all"
    skipped: dict[str, str] = {}
    pieces, rates = [], []
    steps = FoldSteps(progress, folds, data["as_of"], fit_final)
    for fold in folds:
        train, test = fold.split(data)
        if len(test) == 0:
            continue
        steps.fit(fold, MODEL)
        part = data.iloc[test][["person_id", "as_of"]].assign(
            fold=fold.index, window=fold.window, label=y_all[test])
        y_train = _labels_known_by(data, y_all, train, fold.test_start,
                                   label_known_col)
        try:
            fitted = fit_at(train, fold.test_start)
        except TooFewOutcomesError as e:
            window_notes.append(f"window {fold.window} was not evaluated: {e.reason}")
            continue
        rates.append({"window": fold.window, "n_train": len(train),
                      "positives_train": int(y_train.sum()), "n_test": len(test),
                      "positives_test": int(y_all[test].sum())})
        candidates = score(fitted, test)
        if select == "auto":
            inner.keep(fold.test_start, fitted)
        choice = _choose(select, inner, fold.train_dates, lambda rows, f=fold: (
            _labels_known_by(data, y_all, rows, f.test_start, label_known_col)))
        choices.append({"fold": fold.index, **choice})
        part[MODEL] = candidates[choice["choice"]]
        rounds[fold.index] = (fitted_rounds(fitted["lightgbm"])
                              if "lightgbm" in fitted else None)
        for name, est in make_baselines(names, metadata, baseline_inputs).items():
            if name in skipped:
                continue
            steps.fit(fold, name)
            if name == "logistic" and "logistic" in candidates and \
                    est.get_params() == logistic.get_params():
                part[name] = candidates["logistic"]   # the same fit, made once
                continue
            try:
                est.fit(X_all.iloc[train], y_train)
            except MissingFeatureError as e:
                if explicit:
                    raise
                skipped[name] = str(e)
                continue
            part[name] = est.predict_proba(X_all.iloc[test])[:, 1]
            if name == "best_single_input":
                picks.append({"fold": fold.index, "column": est.column_,
                              "direction": est.direction_,
                              "train_auc": est.train_auc_})
        pieces.append(part)
        steps.fold_done(fold)
    folds, scores = renumber_folds(folds, pieces, window_notes)
    models = [MODEL, *[n for n in names if n not in skipped]]
    scores = scores[["person_id", "as_of", "fold", "window", "label", *models]]
    if truth is not None:
        scores.insert(5, "p_true", _attach_truth(scores, truth, h))
        models_scored = [*models, ORACLE]
    else:
        models_scored = models
    columns = {ORACLE: "p_true"}
    # with a truth, every metric and comparison is on the rows whose true risk is
    # known: a model judged on rows the oracle lacks is not compared like for like
    judged = (scores[scores["p_true"].notna()].reset_index(drop=True)
              if truth is not None else scores)
    # a team's capacity is per test window: each window is one selection round
    groups = judged["window"].to_numpy(dtype=str)

    fold_rows, pooled_rows = [], []
    # (fold or "pooled", model) -> metrics on every judged row of it, for the
    # oracle table, which compares on exactly those rows
    whole: dict[tuple[Any, str], dict[str, float]] = {}
    y = judged["label"].to_numpy()
    for name in models_scored:
        p = judged[columns.get(name, name)].to_numpy(dtype=float)
        keep = ~np.isnan(p)
        for f, idx in judged[keep].groupby("fold").indices.items():
            idx = np.flatnonzero(keep)[idx]
            fold_rows.append({"fold": f, "model": name, "metrics": _row_metrics(
                y[idx], p[idx], groups[idx], cap)})
        pooled_rows.append({"model": name, "metrics": _row_metrics(
            y[keep], p[keep], groups[keep], cap)})
        if keep.all():
            whole.update({(int(r["fold"]), name): cast(dict[str, float], r["metrics"])
                          for r in fold_rows if r["model"] == name})
            whole["pooled", name] = cast(dict[str, float], pooled_rows[-1]["metrics"])
    metrics = _tidy(fold_rows, ["fold", "model"])
    pooled = _tidy(pooled_rows, ["model"])
    paired = paired_replicates(
        y, {n: judged[columns.get(n, n)].to_numpy(dtype=float) for n in models_scored},
        judged["person_id"].to_numpy(), groups, cap, n_boot=n_boot, seed=seed)
    intervals = paired.table(MODEL)
    oracle = (_oracle_table(judged, models, groups, cap, paired, whole)
              if truth is not None else None)
    alarms = _above_oracle(paired, cap) if truth is not None else []

    def known(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = judged[columns.get(name, name)].to_numpy(dtype=float)
        keep = ~np.isnan(p)
        return y[keep], p[keep], groups[keep]

    calib = pd.concat([calibration_table(*known(n)[:2]).assign(model=n)
                       for n in models_scored], ignore_index=True)
    drift = _drift(metrics, folds)
    curve = pd.concat([capacity_curve(*known(n)).assign(model=n)
                       for n in models_scored], ignore_index=True)
    verdicts = {n: _verdict(n, intervals, metrics, cap, paired.level, baseline_inputs)
                for n in models if n != MODEL}
    notes = fold_warnings(judged, folds, rounds, cap, groups)
    final = None
    if fit_final:
        steps.final()
        all_dates = sorted(data["as_of"].unique())
        chosen = _choose(select, inner, all_dates, lambda rows: y_all[rows])
        choices.append({"fold": "final", **chosen})
        parts = fit(np.arange(len(data)), y_all, _parts(chosen["choice"]))
        final = (blend_of(parts["lightgbm"], parts["logistic"])
                 if chosen["choice"] == "blend" else parts[chosen["choice"]])
    settings = {"horizon": h.label, "capacity": cap.label, "calibration": calibration,
                "seed": seed, "search_budget_s": search_budget_s,
                "use_protected": use_protected, "label_col": label_col,
                "test_from": None if test_from is None else
                pd.Timestamp(test_from).date().isoformat(),
                "min_train_dates": min_train_dates, "holdout_gap": holdout_gap,
                "max_train_span": max_train_span,
                "model_params": dict(model_params or {}),
                "baselines": models[1:], "n_rows_labelled": len(data),
                "n_rows_censored": int(matrix[label_col].isna().sum()),
                "dates_left_out": [d.date().isoformat() for d in thin.index],
                "n_test_rows": len(scores), "n_boot": n_boot, "select": select,
                "test_every": every, "test_every_reason": every_reason,
                "windows": [f.window for f in folds], "window_notes": window_notes,
                "selection": {"candidates": list(CANDIDATES) if select == "auto"
                              else [select],
                              "choices": choices,
                              "extra_fits": inner.extra_fits,
                              "unusable_dates": inner.unusable},
                "baseline_inputs": {k: dict(v) for k, v in
                                    (baseline_inputs or {}).items()},
                "baseline_labels": {n: baseline_label(n, baseline_inputs)
                                    for n in models[1:]}}
    if picks:
        settings["best_single_input"] = picks
    if truth is not None:
        settings["truth_coverage"] = float(scores["p_true"].notna().mean())
        settings["n_test_rows_without_truth"] = len(scores) - len(judged)
    return Evaluation(scores=scores, metrics=metrics, pooled=pooled, oracle=oracle,
                      folds=folds, calibration=calib, drift=drift,
                      capacity_curve=curve, final_model=final,
                      verdicts=verdicts, skipped=skipped, settings=settings,
                      features=features, intervals=intervals, warnings=notes,
                      alarms=alarms, shift=base_rate_shift(rates, shift_factor))


def _oracle_table(scores: pd.DataFrame, models: Sequence[str], groups: np.ndarray,
                  cap: Capacity, paired: PairedReplicates,
                  known: Mapping[tuple[Any, str], Mapping[str, float]] | None = None
                  ) -> pd.DataFrame:
    """Each model against the oracle on the same rows: those whose truth is known.

    The pooled gaps of AUC and precision at capacity carry the paired interval of
    people (gap_lower, gap_upper); the other gaps' intervals are undefined.
    ``known`` holds metrics already computed on all of a part's rows, by (fold or
    "pooled", model), and is used instead of computing them again.
    """
    covered = scores["p_true"].notna().to_numpy()
    parts: list[tuple[Any, np.ndarray]] = [("pooled", np.flatnonzero(covered))]
    parts += [(int(f), np.flatnonzero(covered & (scores["fold"] == f).to_numpy()))
              for f in sorted(scores["fold"].unique())]
    y = scores["label"].to_numpy()
    truth = scores["p_true"].to_numpy(dtype=float)

    def three(name: str, p: np.ndarray, fold: Any, idx: np.ndarray
              ) -> Mapping[str, float]:
        if covered.all() and (fold, name) in (known or {}):
            return (known or {})[fold, name]
        m = classification_metrics(y[idx], p[idx])
        m.update(capacity_metrics(y[idx], p[idx], cap, groups[idx]))
        return m

    rows = []
    for fold, idx in parts:
        ref = three(ORACLE, truth, fold, idx)
        for name in models:
            ours = three(name, scores[name].to_numpy(dtype=float), fold, idx)
            for metric in ORACLE_METRICS:
                lo = hi = math.nan
                if fold == "pooled" and metric in COMPARED:
                    _, lo, hi = paired.difference(name, ORACLE, metric)
                rows.append({"fold": fold, "model": name, "metric": metric,
                             "value": ours[metric], "oracle": ref[metric],
                             "gap_lower": lo, "gap_upper": hi, "n_rows": len(idx)})
    out = pd.DataFrame(rows)
    out["gap"] = out["value"] - out["oracle"]
    out["relative_gap"] = out["gap"] / out["oracle"]
    return out[["fold", "model", "metric", "value", "oracle", "gap", "gap_lower",
                "gap_upper", "relative_gap", "n_rows"]]


def _drift(metrics: pd.DataFrame, folds: Sequence[Fold]) -> pd.DataFrame:
    wanted = metrics[metrics["metric"].isin(
        ["auc", "average_precision", "precision_at_k", "base_rate", "ece"])]
    table = wanted.pivot_table(index=["fold", "model"], columns="metric",
                               values="value").reset_index()
    table.columns.name = None
    starts = {f.index: f.test_start for f in folds}
    table.insert(1, "test_start", table["fold"].map(starts))
    return table.sort_values(["model", "fold"]).reset_index(drop=True)


def _plots(folds: Sequence[Fold], models: Sequence[str], calib: pd.DataFrame,
           drift: pd.DataFrame, curve: pd.DataFrame, cap: Capacity,
           names: Mapping[str, str] | None = None) -> dict[str, str]:
    shown = [m for m in models if m in (MODEL, "logistic", ORACLE)] or list(models)
    return {
        "folds": folds_svg(folds),
        "reliability": reliability_svg_from(
            {m: calib[calib["model"] == m] for m in shown}, names),
        "drift_auc": lines_svg_from(
            drift, x="test_start", y="auc", hue="model", xlabel="test as-of date",
            ylabel="ROC AUC", title="Discrimination over time (one point per fold)",
            names=names),
        "drift_precision": lines_svg_from(
            drift, x="test_start", y="precision_at_k", hue="model",
            xlabel="test as-of date", ylabel=f"precision at {cap.label}",
            title="Precision at capacity over time", names=names),
        "capacity_precision": lines_svg_from(
            curve, x="percent", y="precision", hue="model",
            xlabel="capacity (% of each test window's cohort)", ylabel="precision",
            title="Precision against capacity (expected, random tie-breaking)",
            names=names),
        "capacity_recall": lines_svg_from(
            curve, x="percent", y="recall", hue="model",
            xlabel="capacity (% of each test window's cohort)", ylabel="recall",
            title="Recall against capacity", names=names),
    }
