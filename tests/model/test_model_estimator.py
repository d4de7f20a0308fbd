"""EarlyWarningClassifier: determinism, categoricals, temporal early stopping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from earlysignal.model import EarlyWarningClassifier, ModelInputError, model_inputs
from earlysignal.model._estimator import temporal_holdout

SMALL = {"n_estimators": 60, "early_stopping_rounds": 10, "min_child_samples": 10}


@pytest.fixture(scope="module")
def data(simulated):
    matrix, metadata, _ = simulated
    labelled = matrix[matrix["label"].notna()].reset_index(drop=True)
    features = model_inputs(metadata)
    return labelled[features], labelled["label"].astype(int), labelled["as_of"]


def test_same_data_and_seed_give_identical_scores(data):
    X, y, as_of = data
    a = EarlyWarningClassifier(**SMALL, subsample=0.8, random_state=3).fit(X, y, as_of)
    b = EarlyWarningClassifier(**SMALL, subsample=0.8, random_state=3).fit(X, y, as_of)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = EarlyWarningClassifier(**SMALL, subsample=0.8, random_state=4).fit(X, y, as_of)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))


def test_protected_characteristics_are_not_inputs(simulated):
    _, metadata, _ = simulated
    inputs = model_inputs(metadata)
    assert "sex" not in inputs and "ethnicity" not in inputs and "sen" in inputs
    assert set(model_inputs(metadata, use_protected=True)) == set(metadata)


def test_categories_are_fixed_at_fit_and_unseen_become_missing():
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    y = ((X["g"] == "c") | (X["x"] > 1)).astype(int)
    clf = EarlyWarningClassifier(**SMALL).fit(X, y)
    assert clf.categories_ == {"g": ["a", "b", "c"]}
    codes = clf._encode(pd.DataFrame({"x": [0.0, 0.0, 0.0], "g": ["c", "zzz", None]}),
                        fitting=False)
    np.testing.assert_array_equal(codes[:, 1], [2.0, np.nan, np.nan])
    p = clf.predict_proba(pd.DataFrame({"x": [0.0, 0.0], "g": ["c", "a"]}))[:, 1]
    assert p[0] > 0.8 > 0.2 > p[1]
    # the column order of the scoring frame does not matter; extra columns are dropped
    shuffled = X[["g", "x"]].assign(person_id="p")
    np.testing.assert_array_equal(clf.predict_proba(shuffled), clf.predict_proba(X))


def test_missing_feature_at_scoring_names_it(data):
    X, y, as_of = data
    clf = EarlyWarningClassifier(**SMALL).fit(X, y, as_of)
    with pytest.raises(ModelInputError, match="(?s)absence__rate__1y.*Fix: score a matrix"):
        clf.predict_proba(X.drop(columns="absence__rate__1y"))


def test_missing_labels_and_one_class_are_refused():
    X = pd.DataFrame({"x": np.arange(50.0)})
    with pytest.raises(ModelInputError, match="missing labels"):
        EarlyWarningClassifier().fit(X, pd.array([1, None] * 25, dtype="Int8"))
    with pytest.raises(ModelInputError, match="only one class"):
        EarlyWarningClassifier().fit(X, np.zeros(50))


def test_holdout_takes_the_latest_dates():
    as_of = pd.to_datetime(["2021-01-01"] * 3 + ["2020-01-01"] * 3 + ["2022-01-01"] * 2)
    early, late = temporal_holdout(8, as_of, 0.15)
    assert late.tolist() == [6, 7] and early.tolist() == [0, 1, 2, 3, 4, 5]
    early, late = temporal_holdout(8, as_of, 0.5)   # ceil(0.5 * 3) = 2 dates
    assert late.tolist() == [0, 1, 2, 6, 7]
    early, late = temporal_holdout(8, as_of, 0.15, min_rows=3)
    assert len(late) == 0 and len(early) == 8


def test_early_stopping_and_search_use_the_later_slice(data):
    X, y, as_of = data
    clf = EarlyWarningClassifier(n_estimators=400, early_stopping_rounds=5,
                                 search_budget_s=60).fit(X, y, as_of)
    assert clf.best_iteration_ < 400
    assert len(clf.search_results_) == 6
    losses = [r["log_loss"] for r in clf.search_results_]
    chosen = clf.search_results_[int(np.argmin(losses))]
    assert {k: chosen[k] for k in clf.best_params_} == clf.best_params_
    assert clf.booster_.current_iteration() == clf.best_iteration_
    top = clf.feature_importances_
    assert top.index[0] in ("absence__rate__1y", "suspensions__count__1y",
                            "police_contact__count__1y")
    # no search: only the default settings are tried
    plain = clone(clf).set_params(search_budget_s=0).fit(X, y, as_of)
    assert len(plain.search_results_) == 1 and plain.best_params_ == {}


def test_model_learns_the_signal(data):
    X, y, as_of = data
    from sklearn.metrics import roc_auc_score

    clf = EarlyWarningClassifier(**SMALL).fit(X, y, as_of)
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.75
