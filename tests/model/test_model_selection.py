"""The shipped model: chosen by inner temporal validation, the same way in every fold."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from model_simulation import simulate
from sklearn.metrics import roc_auc_score

from earlysignal.features._windows import Window
from earlysignal.model import (
    BestSingleInput,
    BlendedModel,
    LogisticBaseline,
    PersistentAbsenceRule,
    evaluate,
)
from earlysignal.model._selection import InnerValidation

FAST = {"n_estimators": 60, "early_stopping_rounds": 10, "min_child_samples": 20}
H = Window.parse("12m")


# -- inner validation on its own ------------------------------------------------

class _Fixed:
    """A 'model' whose score of a row is given in advance."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values


def _quarters():
    dates = pd.date_range("2018-03-01", "2021-12-01", freq="3MS")
    as_of = pd.Series(np.repeat(dates, 10))
    y = np.tile([1, 0, 0, 1, 0, 0, 0, 0, 1, 0], len(dates))
    return as_of, y


def test_inner_fits_see_no_outcome_after_the_dates_they_score():
    as_of, y = _quarters()
    rng = np.random.default_rng(0)
    noise = rng.uniform(size=len(y))
    fits = []

    def fit(train, when):
        fits.append((as_of.iloc[train].max(), when))
        return {"lightgbm": _Fixed(noise), "logistic": _Fixed(y.astype(float))}

    def score(models, rows):
        return {name: m.values[rows] for name, m in models.items()}

    inner = InnerValidation(fit, score, as_of, H, {"min_train_dates": 1})
    outer = pd.Timestamp("2020-12-01")
    inner.keep(outer, fit(np.flatnonzero(as_of <= "2019-12-01"), outer))
    train_dates = sorted(as_of[as_of <= "2020-12-01"].unique())
    record = inner.select(train_dates, lambda rows: y[rows])

    # the last year of training dates; 2020-03 needs a fit of its own, which then
    # scores 2020-06 and 2020-09; 2020-12 is scored by the outer fold's fit
    assert record["inner_dates"] == {"2020-03-01": "2020-03-01",
                                     "2020-06-01": "2020-03-01",
                                     "2020-09-01": "2020-03-01",
                                     "2020-12-01": "2020-12-01"}
    assert inner.extra_fits == ["2020-03-01"]
    for last_trained, when in fits:
        assert H.shift(last_trained, +1) <= when
    # logistic here is the label itself: it must win, with the AUCs of those rows
    rows = np.flatnonzero(as_of.isin(pd.to_datetime(list(record["inner_dates"]))))
    assert record["choice"] == "logistic" and record["n_rows"] == len(rows) == 40
    assert record["auc"]["lightgbm"] == pytest.approx(roc_auc_score(y[rows],
                                                                    noise[rows]))
    assert record["auc"]["blend"] == pytest.approx(
        roc_auc_score(y[rows], (noise[rows] + y[rows]) / 2))


def test_without_inner_rows_the_configured_model_is_kept():
    as_of, y = _quarters()
    inner = InnerValidation(lambda train, when: {}, lambda m, rows: {}, as_of, H,
                            {"min_train_dates": 1})
    record = inner.select([pd.Timestamp("2018-03-01")], lambda rows: y[rows])
    assert record["choice"] == "lightgbm" and record["by"].startswith("default")
    assert record["inner_dates_unusable"] == ["2018-03-01"]
    assert "2018-03-01" in inner.unusable


# -- evaluate(): the procedure that ships is the one that is tested ---------------

@pytest.fixture(scope="module")
def small():
    return simulate(700, seed=3)


@pytest.fixture(scope="module")
def runs(small):
    matrix, metadata, _ = small
    kw = {"model_params": FAST, "baselines": ["logistic"], "calibration": "sigmoid"}
    return {s: evaluate(matrix, metadata, select=s, **kw)
            for s in ("auto", "lightgbm", "logistic", "blend")}


def test_each_fold_scores_with_the_candidate_it_chose(runs):
    auto = runs["auto"]
    model = {s: runs[s].scores["model"].to_numpy() for s in runs}
    np.testing.assert_allclose(model["logistic"], runs["logistic"].scores["logistic"])
    np.testing.assert_allclose(model["blend"], (model["lightgbm"]
                                                + model["logistic"]) / 2)
    choices = auto.settings["selection"]["choices"]
    assert [c["fold"] for c in choices] == [0, 1, 2, 3, "final"]
    for c in choices[:-1]:
        rows = (auto.scores["fold"] == c["fold"]).to_numpy()
        np.testing.assert_allclose(model["auto"][rows], model[c["choice"]][rows])
    # the first two folds have no earlier dates to validate on
    assert [c["by"].split(":")[0] for c in choices[:2]] == ["default"] * 2
    assert choices[0]["inner_dates_unusable"] == ["2020-09-01"]
    assert all(c["by"] == "inner validation" for c in choices[2:])


def test_inner_aucs_are_those_of_the_outer_fits_on_earlier_dates(runs):
    auto = runs["auto"]
    last = auto.settings["selection"]["choices"][3]
    assert last["inner_dates"] == {"2021-09-01": "2021-09-01",
                                   "2022-03-01": "2022-03-01"}
    # each inner date is scored by the fit that tested it in its own fold
    s = runs["lightgbm"].scores
    rows = s["as_of"].isin(pd.to_datetime(list(last["inner_dates"]))).to_numpy()
    y = s["label"].to_numpy()[rows]
    lgb = s["model"].to_numpy()[rows]
    lr = runs["logistic"].scores["model"].to_numpy()[rows]
    assert last["n_rows"] == rows.sum() and last["n_escalations"] == y.sum()
    assert last["auc"] == pytest.approx({"lightgbm": roc_auc_score(y, lgb),
                                         "logistic": roc_auc_score(y, lr),
                                         "blend": roc_auc_score(y, (lgb + lr) / 2)})
    assert last["choice"] == max(last["auc"], key=last["auc"].get)
    assert auto.settings["selection"]["extra_fits"] == []
    json.dumps(auto.summary())   # the record reaches metrics.json as it is


def test_the_final_model_is_the_one_chosen(small, runs):
    matrix, _, _ = small
    final = runs["auto"].settings["selection"]["choices"][-1]
    assert final["fold"] == "final" and final["by"] == "inner validation"
    kinds = {"lightgbm": "CalibratedModel", "logistic": "LogisticBaseline",
             "blend": "BlendedModel"}
    for s in ("auto", "lightgbm", "logistic", "blend"):
        chosen = final["choice"] if s == "auto" else s
        assert type(runs[s].final_model).__name__ == kinds[chosen]
    blend = runs["blend"].final_model
    assert isinstance(blend, BlendedModel)
    new = matrix[matrix["label"].isna()]
    np.testing.assert_allclose(
        blend.predict_proba(new)[:, 1],
        (runs["lightgbm"].final_model.predict_proba(new)[:, 1]
         + runs["logistic"].final_model.predict_proba(new)[:, 1]) / 2)
    assert isinstance(runs["logistic"].final_model, LogisticBaseline)


def test_an_unknown_select_is_refused(small):
    matrix, metadata, _ = small
    with pytest.raises(Exception, match="select='xgb' is not a choice.*auto, "
                       "lightgbm, logistic, blend"):
        evaluate(matrix, metadata, select="xgb", fit_final=False)


# -- baselines in evaluate() -----------------------------------------------------

def test_a_baseline_without_its_input_is_skipped_with_the_config_fix(small):
    matrix, metadata, _ = small
    meta = dict(metadata)
    meta["absence__rate__1y"] = replace(meta["absence__rate__1y"], name="absence")
    kw = {"model_params": FAST, "fit_final": False, "calibration": None,
          "select": "lightgbm"}
    ev = evaluate(matrix, meta, **kw)
    # the checklist's attendance item is overall absence too
    assert set(ev.skipped) == {"persistent_absence", "checklist"}
    assert "model.baseline_inputs: {persistent_absence: {column: ...}}" in \
        ev.skipped["persistent_absence"]
    assert "model.baseline_inputs: {checklist: {columns: {attendance: ...}}}" in \
        ev.skipped["checklist"]
    assert ev.summary()["skipped"] == ev.skipped
    named = evaluate(matrix, meta, baseline_inputs={
        "persistent_absence": {"column": "absence__rate__1y"}},
        baselines=["persistent_absence"], **kw)
    assert named.skipped == {}
    first = named.folds[0]
    train, test = first.split(named_data := matrix[matrix["label"].notna()]
                              .reset_index(drop=True))
    rule = PersistentAbsenceRule(column="absence__rate__1y").fit(
        named_data.iloc[train], named_data["label"].iloc[train])
    got = named.scores.loc[named.scores["fold"] == 0, "persistent_absence"]
    np.testing.assert_allclose(got, rule.predict_proba(named_data.iloc[test])[:, 1])
    assert set(rule.decision_function(named_data.iloc[test])) == {0.0, 1.0}


def test_best_single_input_is_recorded_per_fold(small, runs):
    matrix, metadata, _ = small
    ev = evaluate(matrix, metadata, model_params=FAST, fit_final=False,
                  calibration=None, select="lightgbm", baselines=["best_single_input"])
    data = matrix[matrix["label"].notna()].reset_index(drop=True)
    picks = ev.settings["best_single_input"]
    assert [p["fold"] for p in picks] == [f.index for f in ev.folds]
    for fold, pick in zip(ev.folds, picks, strict=True):
        train, test = fold.split(data)
        ref = BestSingleInput(metadata=metadata).fit(data.iloc[train],
                                                     data["label"].iloc[train])
        assert (pick["column"], pick["direction"]) == (ref.column_, ref.direction_)
        assert pick["train_auc"] == pytest.approx(ref.train_auc_)
        got = ev.scores.loc[ev.scores["fold"] == fold.index, "best_single_input"]
        np.testing.assert_allclose(got, ref.predict_proba(data.iloc[test])[:, 1])
