"""evaluate(): honest folds, metrics recomputed independently, oracle gaps."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from model_simulation import simulate
from sklearn.metrics import average_precision_score, roc_auc_score

from earlysignal.errors import DataError, EarlysignalError
from earlysignal.model import MissingFeatureError, capacity_metrics, evaluate
from earlysignal.model._folds import validate_folds

FAST = {"n_estimators": 60, "early_stopping_rounds": 10, "min_child_samples": 20}


@pytest.fixture(scope="module")
def small():
    return simulate(700, seed=3)


@pytest.fixture(scope="module")
def ev(small):
    matrix, metadata, truth = small
    return evaluate(matrix, metadata, truth=truth, model_params=FAST, capacity="5%")


def test_folds_and_scores_are_honest(ev, small):
    matrix, _, _ = small
    labelled = matrix[matrix["label"].notna()]
    assert [str(f.test_start.date()) for f in ev.folds] == [
        "2021-09-01", "2022-03-01", "2022-09-01", "2023-03-01"]
    validate_folds(ev.folds, labelled["as_of"], horizon="12m")
    # censored rows (the last as-of date) are never scored
    assert ev.scores["as_of"].max() == pd.Timestamp("2023-03-01")
    assert len(ev.scores) == 4 * 700
    assert list(ev.scores.columns) == [
        "person_id", "as_of", "fold", "window", "label", "p_true", "model",
        "base_rate", "persistent_absence", "any_suspension", "checklist", "logistic"]
    for fold in ev.folds:
        rows = ev.scores[ev.scores["fold"] == fold.index]
        assert (rows["as_of"] == fold.test_start).all()


def test_metrics_recomputed_independently(ev):
    s = ev.scores
    m = ev.metrics.set_index(["fold", "model", "metric"])["value"]
    for f, rows in s.groupby("fold"):
        assert m[(f, "model", "auc")] == pytest.approx(
            roc_auc_score(rows["label"], rows["model"]))
        assert m[(f, "oracle", "average_precision")] == pytest.approx(
            average_precision_score(rows["label"], rows["p_true"]))
    pooled = ev.pooled.set_index(["model", "metric"])["value"]
    assert pooled[("model", "auc")] == pytest.approx(roc_auc_score(s["label"],
                                                                   s["model"]))
    cap = capacity_metrics(s["label"], s["checklist"], "5%", s["as_of"])
    assert pooled[("checklist", "precision_at_k_worst")] == pytest.approx(
        cap["precision_at_k_worst"])
    assert pooled[("model", "k")] == 4 * 35      # 5% of 700 per as-of date


def test_oracle_gap_is_model_minus_oracle(ev):
    s = ev.scores
    o = ev.oracle.set_index(["fold", "model", "metric"])
    model_auc = roc_auc_score(s["label"], s["model"])
    oracle_auc = roc_auc_score(s["label"], s["p_true"])
    row = o.loc[("pooled", "model", "auc")]
    assert row["value"] == pytest.approx(model_auc)
    assert row["oracle"] == pytest.approx(oracle_auc)
    assert row["gap"] == pytest.approx(model_auc - oracle_auc)
    assert row["relative_gap"] == pytest.approx((model_auc - oracle_auc) / oracle_auc)
    first = s[s["fold"] == 0]
    p_model = capacity_metrics(first["label"], first["model"], "5%")["precision_at_k"]
    p_oracle = capacity_metrics(first["label"], first["p_true"], "5%")[
        "precision_at_k"]
    assert o.loc[(0, "model", "precision_at_k"), "gap"] == pytest.approx(
        p_model - p_oracle)
    assert ev.summary()["oracle_gap"]["auc"]["gap"] == pytest.approx(
        model_auc - oracle_auc)


def test_results_are_loggable(ev):
    summary = ev.summary()
    json.dumps(summary)
    assert summary["settings"]["capacity"] == "5%"
    assert set(ev.plots) == {"folds", "reliability", "drift_auc", "drift_precision",
                             "capacity_precision", "capacity_recall"}
    assert all(v.startswith("<?xml") for v in ev.plots.values())
    assert set(ev.drift["model"]) >= {"model", "oracle", "checklist"}
    assert ev.capacity_curve["percent"].max() == 20
    assert set(ev.calibration.columns) >= {"model", "bin", "mean_score",
                                           "observed_rate"}


def test_verdicts_state_what_the_numbers_say(ev):
    pooled = ev.pooled_table
    for name, text in ev.verdicts.items():
        beats_auc = pooled.loc["model", "auc"] > pooled.loc[name, "auc"]
        assert ("beats" in text.split("AUC")[0]) == beats_auc, text
        assert "precision at 5%" in text
    assert ev.verdicts["base_rate"].startswith("The model beats the base rate on AUC")


def test_final_model_scores_new_people(ev, small):
    matrix, _, _ = small
    new = matrix[matrix["label"].isna()]
    p = ev.final_model.predict_proba(new)[:, 1]
    assert p.shape == (700,) and ((p >= 0) & (p <= 1)).all()


def test_same_seed_same_evaluation(small):
    matrix, metadata, _ = small
    kw = {"baselines": ["base_rate"], "model_params": FAST, "fit_final": False,
          "calibration": "sigmoid"}
    a = evaluate(matrix, metadata, seed=5, **kw)
    b = evaluate(matrix, metadata, seed=5, **kw)
    pd.testing.assert_frame_equal(a.scores, b.scores)


def test_missing_baseline_features(small):
    matrix, metadata, _ = small
    meta = {k: v for k, v in metadata.items() if not k.startswith("police")}
    kw = {"model_params": FAST, "fit_final": False, "calibration": None}
    ev = evaluate(matrix, meta, baselines="all", **kw)
    assert set(ev.skipped) == {"checklist"}
    assert "police or youth-justice" in ev.skipped["checklist"]
    with pytest.raises(MissingFeatureError, match="item 'justice_contact'"):
        evaluate(matrix, meta, baselines=["checklist"], **kw)


def test_bad_inputs_name_the_problem(small):
    matrix, metadata, truth = small
    with pytest.raises(DataError, match="column 'label'"):
        evaluate(matrix.drop(columns="label"), metadata)
    bad = matrix.assign(label=matrix["label"].astype("Float64") * 2)
    with pytest.raises(DataError, match="labels must be 0, 1 or missing"):
        evaluate(bad, metadata)
    with pytest.raises(DataError, match="none of the 2800 test rows has a p_true"):
        evaluate(matrix, metadata, truth=truth.iloc[:10], baselines=["base_rate"],
                 model_params=FAST, calibration=None, fit_final=False)
    one_date = matrix[matrix["as_of"] == matrix["as_of"].min()]
    with pytest.raises(EarlysignalError, match="no temporal fold is possible"):
        evaluate(one_date, metadata)


def test_oracle_is_compared_on_rows_whose_truth_is_known(small):
    matrix, metadata, truth = small
    partial = truth[truth["person_id"] < "P00350"]
    ev = evaluate(matrix, metadata, truth=partial, baselines=["base_rate"],
                  model_params=FAST, calibration=None, fit_final=False)
    assert ev.settings["truth_coverage"] == pytest.approx(0.5)
    covered = ev.scores[ev.scores["p_true"].notna()]
    row = ev.oracle.set_index(["fold", "model", "metric"]).loc[
        ("pooled", "model", "auc")]
    assert row["n_rows"] == len(covered) == 1400
    assert row["value"] == pytest.approx(roc_auc_score(covered["label"],
                                                       covered["model"]))
    assert row["oracle"] == pytest.approx(roc_auc_score(covered["label"],
                                                        covered["p_true"]))


def test_dates_with_mostly_censored_labels_are_left_out(small):
    matrix, metadata, _ = small
    last = matrix["as_of"] == matrix["as_of"].max()
    # the horizon runs past the data: only early escalations carry a label
    partly = matrix.assign(label=matrix["label"].mask(last & (np.arange(len(matrix))
                                                             % 10 == 0), 1))
    kw = {"baselines": ["base_rate"], "model_params": FAST, "fit_final": False,
          "calibration": None}
    ev = evaluate(partly, metadata, **kw)
    assert ev.settings["dates_left_out"] == ["2023-09-01"]
    assert ev.scores["as_of"].max() == pd.Timestamp("2023-03-01")
    kept = evaluate(partly, metadata, min_label_coverage=0.05, **kw)
    assert kept.settings["dates_left_out"] == []
    # kept for training, but its labelled rows are all escalations: not a test
    assert kept.settings["window_notes"] == [
        "window 2023-09-01 was not evaluated: 70 rows, all escalations (the last "
        "window)"]


def test_protected_only_with_use_protected(small):
    matrix, metadata, _ = small
    kw = {"baselines": ["base_rate"], "model_params": FAST, "fit_final": True,
          "calibration": None}
    off = evaluate(matrix, metadata, **kw)
    on = evaluate(matrix, metadata, use_protected=True, **kw)
    assert "sex" not in off.features and "sex" in on.features
    assert "sex" not in off.final_model.feature_names_in_
    assert np.isin(["sex", "ethnicity"], on.final_model.feature_names_in_).all()


def test_training_labels_recorded_after_the_test_start_count_as_negative():
    from earlysignal.model._evaluate import _labels_known_by

    data = pd.DataFrame({"label_known_at": pd.to_datetime(
        ["2021-05-01", "2021-09-01", "2021-10-15", None, None])})
    y = np.array([1, 1, 1, 1, 0])
    got = _labels_known_by(data, y, np.arange(5), pd.Timestamp("2021-09-01"),
                           "label_known_at")
    # known before the test start: kept; on or after it: not yet in any extract
    assert got.tolist() == [1, 0, 0, 1, 0]
    assert _labels_known_by(data, y, np.arange(5), pd.Timestamp("2021-09-01"),
                            None).tolist() == y.tolist()


def test_holdout_gap_and_test_from_reach_every_fit(small):
    matrix, metadata, _ = small
    kw = {"baselines": ["base_rate"], "model_params": FAST, "calibration": "sigmoid"}
    loose = evaluate(matrix, metadata, **kw)
    assert loose.final_model.horizon is None and not loose.final_model.holdout_gap_
    last = loose.folds[-1].test_start
    strict = evaluate(matrix, metadata, holdout_gap=True, test_from=last, **kw)
    assert [f.test_start for f in strict.folds] == [last] and len(loose.folds) > 1
    assert strict.folds[0].index == 0 and strict.settings["test_from"] == str(last.date())
    model = strict.final_model
    assert model.horizon == "12m" and model.estimator.horizon == "12m"
    # six half-yearly dates leave room for the gap before the calibration slice
    assert model.holdout_gap_
