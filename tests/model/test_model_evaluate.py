"""evaluate(): honest folds, metrics recomputed independently, oracle gaps."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from model_simulation import simulate
from sklearn.metrics import average_precision_score, roc_auc_score

from earlysignal.errors import DataError, EarlysignalError
from earlysignal.model import (
    Capacity,
    MissingFeatureError,
    capacity_metrics,
    evaluate,
)
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
        "base_rate", "persistent_absence", "any_suspension", "checklist",
        "best_single_input", "logistic"]
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


def _outcome(text, words):
    """The verdict a sentence gives on one metric (the last verb before it)."""
    before = text[:text.index(f"{words} (")]
    verbs = ("beats", "does worse than", "is not distinguishable from")
    return max(verbs, key=before.rfind)


def test_verdicts_state_what_the_intervals_say(ev):
    iv = ev.intervals.set_index(["model", "metric"])
    pooled = ev.pooled_table
    for name, text in ev.verdicts.items():
        lo, hi = iv.loc[(name, "auc"), ["difference_lower", "difference_upper"]]
        said = _outcome(text, "AUC")
        assert said == ("beats" if lo > 0 else "does worse than" if hi < 0
                        else "is not distinguishable from"), text
        # the sentence quotes the interval it rests on
        assert f"interval {lo:+.3f} to {hi:+.3f}" in text
        assert "precision at 5%" in text
        assert iv.loc[(name, "auc"), "value"] == pytest.approx(pooled.loc[name, "auc"])
        assert iv.loc[(name, "auc"), "difference"] == pytest.approx(
            pooled.loc["model", "auc"] - pooled.loc[name, "auc"])
    assert ev.verdicts["base_rate"].startswith("The model beats the base rate on AUC")


def test_a_pooled_lead_inside_its_interval_is_not_a_win(ev):
    # on this cohort the model's pooled AUC is above the checklist's, but by less
    # than the resampling of people can tell from nothing
    pooled = ev.pooled_table
    assert pooled.loc["model", "auc"] > pooled.loc["checklist", "auc"]
    text = ev.verdicts["checklist"]
    assert text.startswith("The model is not distinguishable from the points "
                           "checklist on AUC"), text
    assert "beats" not in text


def test_intervals_are_carried_to_the_summary(ev):
    summary = json.loads(json.dumps(ev.summary()))
    rows = {(r["model"], r["metric"]): r for r in summary["intervals"]}
    assert set(rows) == {(m, k) for m in ev.pooled["model"].unique()
                         for k in ("auc", "precision_at_k")}
    model_auc = rows[("model", "auc")]
    assert model_auc["lower"] < model_auc["value"] < model_auc["upper"]
    assert model_auc["difference"] is None
    gap = summary["oracle_gap"]["auc"]
    oracle = rows[("oracle", "auc")]
    # the gap to the oracle is the model minus the oracle, with the same interval
    assert gap["gap"] == pytest.approx(oracle["difference"])
    assert (gap["gap_lower"], gap["gap_upper"]) == pytest.approx(
        (oracle["difference_lower"], oracle["difference_upper"]))
    assert gap["n_rows"] == ev.settings["n_test_rows"] == 2800
    assert summary["settings"]["n_boot"] == 500


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
          "calibration": None, "select": "lightgbm"}
    off = evaluate(matrix, metadata, **kw)
    on = evaluate(matrix, metadata, use_protected=True, **kw)
    assert "sex" not in off.features and "sex" in on.features
    assert "sex" not in off.final_model.feature_names_in_
    assert np.isin(["sex", "ethnicity"], on.final_model.feature_names_in_).all()
    # the logistic candidate follows the same rule
    kw["select"] = "logistic"
    assert "sex" not in evaluate(matrix, metadata, **kw).final_model.columns_
    assert "sex" in evaluate(matrix, metadata, use_protected=True,
                             **kw).final_model.columns_


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
    kw = {"baselines": ["base_rate"], "model_params": FAST, "calibration": "sigmoid",
          "select": "lightgbm"}
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


def test_model_and_oracle_are_pooled_on_the_same_rows(small):
    matrix, metadata, truth = small
    tested = matrix[matrix["as_of"].between("2021-09-01", "2023-03-01")]
    # thirty test rows without a true risk, chosen among those the model ranks high
    gone = tested.nlargest(30, "absence__rate__1y")[["person_id", "as_of"]]
    keys = truth.merge(gone, how="left", indicator=True)["_merge"] == "both"
    ev = evaluate(matrix, metadata, truth=truth[~keys.to_numpy()],
                  baselines=["base_rate"], model_params=FAST, calibration=None,
                  fit_final=False, n_boot=50)
    covered = ev.scores[ev.scores["p_true"].notna()]
    assert len(ev.scores) - len(covered) == 30
    pooled = ev.pooled_table
    assert pooled.loc["model", "auc"] == pytest.approx(
        roc_auc_score(covered["label"], covered["model"]))
    assert pooled.loc["model", "n"] == pooled.loc["oracle", "n"] == 2770
    per_fold = ev.metrics[ev.metrics["metric"] == "n"].pivot(
        index="fold", columns="model", values="value")
    assert (per_fold["model"] == per_fold["oracle"]).all()
    assert ev.settings["n_test_rows_without_truth"] == 30
    assert "30 test rows without a true risk are left out" in ev.summary()[
        "compared_on"]


def _leaky(matrix):
    # a feature written after the as-of date: the outcome itself, slightly blurred
    rng = np.random.default_rng(0)
    label = matrix["label"].astype(float).fillna(0).to_numpy()
    return matrix.assign(noise__value__1y=label + rng.normal(scale=0.3,
                                                             size=len(matrix)))


def test_a_model_above_the_oracle_raises_a_leakage_alarm(small):
    matrix, metadata, truth = small
    kw = {"baselines": ["base_rate"], "model_params": FAST, "calibration": None,
          "fit_final": False, "n_boot": 100}
    ev = evaluate(_leaky(matrix), metadata, truth=truth, **kw)
    gap = ev.oracle.set_index(["fold", "model", "metric"]).loc[
        ("pooled", "model", "auc")]
    assert gap["gap_lower"] > 0
    assert len(ev.alarms) == 2     # both AUC and precision at capacity
    auc = ev.alarms[0]
    assert auc.startswith("leakage suspected: the model's AUC")
    assert f"({gap['value']:.3f}) is above the oracle's ({gap['oracle']:.3f})" in auc
    assert f"interval {gap['gap_lower']:+.3f} to {gap['gap_upper']:+.3f}" in auc
    assert ev.summary()["alarms"] == ev.alarms
    honest = evaluate(matrix, metadata, truth=truth, **kw)
    assert honest.alarms == []


def test_a_leak_at_the_top_of_the_list_alone_raises_the_alarm():
    from earlysignal.model._compare import paired_replicates
    from earlysignal.model._evaluate import _above_oracle

    rng = np.random.default_rng(0)
    ids = np.tile(np.arange(3000), 3)
    rounds = np.repeat([0, 1, 2], 3000)
    p_true = 1 / (1 + np.exp(-(rng.normal(size=9000) - 1.5)))
    y = (rng.random(9000) < p_true).astype(int)
    # a noisy score, except that 5% of rows, all escalations, are pushed to the top
    model = p_true + rng.normal(scale=0.3, size=9000)
    leaked = rng.choice(np.flatnonzero(y == 1), size=450, replace=False)
    model[leaked] += 10
    paired = paired_replicates(y, {"model": model, "oracle": p_true}, ids, rounds,
                               "5%", n_boot=200)
    assert paired.difference("model", "oracle", "auc")[2] < 0   # AUC below
    alarms = _above_oracle(paired, Capacity.parse("5%"))
    assert len(alarms) == 1
    top = paired.point["precision_at_k"]
    assert alarms[0].startswith(f"leakage suspected: the model's precision at 5% "
                                f"({top[0]:.3f}) is above the oracle's ({top[1]:.3f})")


def test_degenerate_folds_are_warned_about_with_their_dates(small):
    matrix, metadata, _ = small
    # pure-noise labels: early stopping keeps a round or two, and the scores of
    # stumps on a handful of features take a few values that tie at the cut
    rng = np.random.default_rng(1)
    noise = matrix.assign(label=matrix["label"].mask(
        matrix["label"].notna(), pd.array(rng.random(len(matrix)) < 0.1,
                                          dtype="Int8")))
    ev = evaluate(noise, metadata, baselines=["base_rate"], calibration=None,
                  fit_final=False, n_boot=0,
                  model_params={"n_estimators": 200, "early_stopping_rounds": 5,
                                "num_leaves": 2, "min_child_samples": 200})
    last = [w for w in ev.warnings if w.startswith("fold 3 (test 2023-03-01): ")]
    assert any("training kept only 1 of up to 200 boosting rounds (early stopping "
               "found no later improvement)" in w for w in last)
    m = ev.metrics.set_index(["fold", "model", "metric"])["value"]
    worst, best = m[(3, "model", "precision_at_k_worst")], m[
        (3, "model", "precision_at_k_best")]
    n_scores = ev.scores.loc[ev.scores["fold"] == 3, "model"].nunique()
    assert any(f"lies between {worst:.3f} and {best:.3f}" in w for w in last)
    assert any(f"gave {n_scores} distinct scores to 700 rows, fewer than the 35 "
               "places" in w for w in last)
    assert ev.summary()["warnings"] == ev.warnings
    clean = evaluate(matrix, metadata, baselines=["base_rate"], model_params=FAST,
                     calibration=None, fit_final=False, n_boot=0)
    assert not any("boosting rounds" in w for w in clean.warnings)
