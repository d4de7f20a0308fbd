"""Honest temporal evaluation of the model against baselines and, when known, the truth.

For every temporal fold the model (and its calibration) and each baseline are fitted
on the training rows only and score the test rows; metrics are computed per fold and
pooled over all test rows. Everything returned is a DataFrame, a plain dict or SVG
text, so it can be logged or rendered as it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import DataError, EarlysignalError
from earlysignal.features._windows import Window
from earlysignal.model._baselines import BASELINE_LABELS, make_baselines
from earlysignal.model._calibration import CalibratedModel
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
from earlysignal.model._test_windows import (
    SHIFT_FACTOR,
    base_rate_shift,
    merge_small_windows,
    renumber_folds,
    resolve_test_every,
)

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
        Tidy: model, metric, value over all test rows (capacity per test window).
    oracle : DataFrame or None
        fold ("pooled" or the fold index), model, metric, value, oracle, gap
        (value - oracle), relative_gap (gap / oracle), n_rows: computed on the test
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
        Baseline -> a sentence on whether the model beats it.
    skipped : dict
        Baseline -> why it could not be evaluated (its features were missing).
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
    shift: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def plots(self) -> dict[str, str]:
        """Name -> SVG text."""
        models = list(self.pooled["model"].unique())
        return _plots(self.folds, models, self.calibration, self.drift,
                      self.capacity_curve, Capacity.parse(self.settings["capacity"]))

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
            "verdicts": self.verdicts,
            "skipped": self.skipped,
            "shift": self.shift,
        }
        if self.oracle is not None:
            part = self.oracle[(self.oracle["fold"] == "pooled")
                               & (self.oracle["model"] == MODEL)]
            out["oracle_gap"] = {r.metric: {"model": _num(r.value),
                                            "oracle": _num(r.oracle),
                                            "gap": _num(r.gap),
                                            "relative_gap": _num(r.relative_gap)}
                                 for r in part.itertuples()}
        return out


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


def _verdict(name: str, pooled: pd.DataFrame, metrics: pd.DataFrame,
             capacity: Capacity) -> str:
    label = BASELINE_LABELS.get(name, name)

    def value(model: str, metric: str) -> float:
        hit = pooled[(pooled["model"] == model) & (pooled["metric"] == metric)]
        return float(hit["value"].iloc[0]) if len(hit) else math.nan

    parts_beat: list[str] = []
    parts_not: list[str] = []
    for metric, words in (("auc", "AUC"),
                          ("precision_at_k", f"precision at {capacity.label}")):
        ours, theirs = value(MODEL, metric), value(name, metric)
        per = metrics[metrics["metric"] == metric].pivot(
            index="fold", columns="model", values="value")
        wins = int((per[MODEL] > per[name]).sum()) if name in per else 0
        text = f"{words} ({ours:.3f} vs {theirs:.3f}; better in {wins} of {len(per)} folds)"
        (parts_beat if ours > theirs else parts_not).append(text)
    sentence = []
    if parts_beat:
        sentence.append(f"The model beats {label} on " + " and ".join(parts_beat))
    if parts_not:
        lead = "but does NOT beat it on " if parts_beat else \
            f"The model does NOT beat {label} on "
        sentence.append(lead + " and ".join(parts_not))
    return ", ".join(sentence) + "."


def _make_model(calibration: str | None, seed: int, search_budget_s: float,
                n_jobs: int, model_params: Mapping[str, Any] | None,
                horizon: str | None = None) -> Any:
    named = split_settings(model_params)
    named.setdefault("horizon", horizon)
    base = EarlyWarningClassifier(random_state=seed, search_budget_s=search_budget_s,
                                  n_jobs=n_jobs, **named)
    if calibration is None or calibration == "none":
        return base
    return CalibratedModel(base, method=calibration, horizon=horizon)


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
    n_jobs: int = 1,
    fit_final: bool = True,
    label_known_col: str | None = "label_known_at",
    min_label_coverage: float = 0.5,
    test_every: str | None = "auto",
    shift_factor: float = SHIFT_FACTOR,
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
    n_jobs : int
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
    names = list(make_baselines(baselines, metadata))
    explicit = baselines != "all"
    skipped: dict[str, str] = {}
    pieces, rates = [], []
    for fold in folds:
        train, test = fold.split(data)
        if len(test) == 0:
            continue
        part = data.iloc[test][["person_id", "as_of"]].assign(
            fold=fold.index, window=fold.window, label=y_all[test])
        y_train = _labels_known_by(data, y_all, train, fold.test_start,
                                   label_known_col)
        model = _make_model(calibration, seed, search_budget_s, n_jobs, model_params,
                            gap)
        try:
            model.fit(X_all.iloc[train][features], y_train,
                      as_of=data["as_of"].iloc[train].to_numpy())
        except TooFewOutcomesError as e:
            window_notes.append(f"window {fold.window} was not evaluated: {e.reason}")
            continue
        rates.append({"window": fold.window, "n_train": len(train),
                      "positives_train": int(y_train.sum()), "n_test": len(test),
                      "positives_test": int(y_all[test].sum())})
        part[MODEL] = model.predict_proba(X_all.iloc[test][features])[:, 1]
        for name, est in make_baselines(names, metadata).items():
            if name in skipped:
                continue
            try:
                est.fit(X_all.iloc[train], y_train)
            except MissingFeatureError as e:
                if explicit:
                    raise
                skipped[name] = str(e)
                continue
            part[name] = est.predict_proba(X_all.iloc[test])[:, 1]
        pieces.append(part)
    folds, scores = renumber_folds(folds, pieces, window_notes)
    models = [MODEL, *[n for n in names if n not in skipped]]
    scores = scores[["person_id", "as_of", "fold", "window", "label", *models]]
    if truth is not None:
        scores.insert(5, "p_true", _attach_truth(scores, truth, h))
        models_scored = [*models, ORACLE]
    else:
        models_scored = models
    columns = {ORACLE: "p_true"}
    # a team's capacity is per test window: each window is one selection round
    groups = scores["window"].to_numpy(dtype=str)
    scores_groups = pd.Series(groups, index=scores.index)

    fold_rows, pooled_rows = [], []
    y = scores["label"].to_numpy()
    for name in models_scored:
        p = scores[columns.get(name, name)].to_numpy(dtype=float)
        keep = ~np.isnan(p)   # the oracle only where the truth is known
        for f, idx in scores[keep].groupby("fold").indices.items():
            idx = np.flatnonzero(keep)[idx]
            fold_rows.append({"fold": f, "model": name, "metrics": _row_metrics(
                y[idx], p[idx], scores_groups.to_numpy()[idx], cap)})
        pooled_rows.append({"model": name, "metrics": _row_metrics(
            y[keep], p[keep], scores_groups.to_numpy()[keep], cap)})
    metrics = _tidy(fold_rows, ["fold", "model"])
    pooled = _tidy(pooled_rows, ["model"])
    oracle = (_oracle_table(scores, models, scores_groups.to_numpy(), cap)
              if truth is not None else None)

    def known(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p = scores[columns.get(name, name)].to_numpy(dtype=float)
        keep = ~np.isnan(p)
        return y[keep], p[keep], groups[keep]

    calib = pd.concat([calibration_table(*known(n)[:2]).assign(model=n)
                       for n in models_scored], ignore_index=True)
    drift = _drift(metrics, folds)
    curve = pd.concat([capacity_curve(*known(n)).assign(model=n)
                       for n in models_scored], ignore_index=True)
    verdicts = {n: _verdict(n, pooled, metrics, cap) for n in models if n != MODEL}
    final = None
    if fit_final:
        final = _make_model(calibration, seed, search_budget_s, n_jobs, model_params,
                            gap)
        final.fit(X_all[features], y_all, as_of=data["as_of"].to_numpy())
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
                "n_test_rows": len(scores), "test_every": every,
                "test_every_reason": every_reason,
                "windows": [f.window for f in folds], "window_notes": window_notes}
    if truth is not None:
        settings["truth_coverage"] = float(scores["p_true"].notna().mean())
    return Evaluation(scores=scores, metrics=metrics, pooled=pooled, oracle=oracle,
                      folds=folds, calibration=calib, drift=drift,
                      capacity_curve=curve, final_model=final,
                      verdicts=verdicts, skipped=skipped, settings=settings,
                      features=features, shift=base_rate_shift(rates, shift_factor))


def _oracle_table(scores: pd.DataFrame, models: Sequence[str], groups: np.ndarray,
                  cap: Capacity) -> pd.DataFrame:
    """Each model against the oracle on the same rows: those whose truth is known."""
    covered = scores["p_true"].notna().to_numpy()
    parts: list[tuple[Any, np.ndarray]] = [("pooled", np.flatnonzero(covered))]
    parts += [(int(f), np.flatnonzero(covered & (scores["fold"] == f).to_numpy()))
              for f in sorted(scores["fold"].unique())]
    y = scores["label"].to_numpy()
    truth = scores["p_true"].to_numpy(dtype=float)

    def three(p: np.ndarray, idx: np.ndarray) -> dict[str, float]:
        m = classification_metrics(y[idx], p[idx])
        m.update(capacity_metrics(y[idx], p[idx], cap, groups[idx]))
        return {k: m[k] for k in ORACLE_METRICS}

    rows = []
    for fold, idx in parts:
        ref = three(truth, idx)
        for name in models:
            ours = three(scores[name].to_numpy(dtype=float), idx)
            for metric in ORACLE_METRICS:
                rows.append({"fold": fold, "model": name, "metric": metric,
                             "value": ours[metric], "oracle": ref[metric],
                             "n_rows": len(idx)})
    out = pd.DataFrame(rows)
    out["gap"] = out["value"] - out["oracle"]
    out["relative_gap"] = out["gap"] / out["oracle"]
    return out[["fold", "model", "metric", "value", "oracle", "gap", "relative_gap",
                "n_rows"]]


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
           drift: pd.DataFrame, curve: pd.DataFrame, cap: Capacity) -> dict[str, str]:
    shown = [m for m in models if m in (MODEL, "logistic", ORACLE)] or list(models)
    return {
        "folds": folds_svg(folds),
        "reliability": reliability_svg_from(
            {m: calib[calib["model"] == m] for m in shown}),
        "drift_auc": lines_svg_from(
            drift, x="test_start", y="auc", hue="model", xlabel="test as-of date",
            ylabel="ROC AUC", title="Discrimination over time (one point per fold)"),
        "drift_precision": lines_svg_from(
            drift, x="test_start", y="precision_at_k", hue="model",
            xlabel="test as-of date", ylabel=f"precision at {cap.label}",
            title="Precision at capacity over time"),
        "capacity_precision": lines_svg_from(
            curve, x="percent", y="precision", hue="model",
            xlabel="capacity (% of each test window's cohort)", ylabel="precision",
            title="Precision against capacity (expected, random tie-breaking)"),
        "capacity_recall": lines_svg_from(
            curve, x="percent", y="recall", hue="model",
            xlabel="capacity (% of each test window's cohort)", ylabel="recall",
            title="Recall against capacity"),
    }
