"""EarlyWarningClassifier: determinism, categoricals, temporal early stopping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


def test_monotone_directions_match_spearman_with_a_z_threshold():
    from scipy.stats import spearmanr

    from earlysignal.model import monotone_directions

    rng = np.random.default_rng(5)
    n = 3000
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] - 0.6 * X[:, 1] + 0.05 * X[:, 2] + rng.normal(size=n) > 1.5)
    X[rng.uniform(size=n) < 0.3, 1] = np.nan        # missing values are left out
    X[:, 4] = 1.0                                   # constant: no direction
    got = monotone_directions(X, y.astype(int), z=3.0, skip=[5])
    want = []
    for j in range(6):
        ok = ~np.isnan(X[:, j])
        rho = spearmanr(X[ok, j], y[ok]).statistic if j not in (4, 5) else 0.0
        want.append(int(np.sign(rho)) if abs(rho) * np.sqrt(ok.sum() - 1) >= 3 else 0)
    assert got.tolist() == want
    assert got[0] == 1 and got[1] == -1 and got[4] == 0 and got[5] == 0
    # a label that is not 0/1 is ranked as Spearman ranks it
    score = X[:, 0] + rng.normal(size=n)
    ok = ~np.isnan(X[:, 2])
    rho = spearmanr(X[ok, 2], score[ok]).statistic
    assert monotone_directions(X[:, [2]], score, z=0.0).tolist() == [int(np.sign(rho))]
    # past max_rows a fixed sample decides, and a clear direction stays
    sampled = monotone_directions(X, y.astype(int), skip=[5], max_rows=1500)
    assert sampled[0] == 1 and sampled[1] == -1
    assert (sampled == monotone_directions(X, y.astype(int), skip=[5],
                                           max_rows=1500)).all()


def test_monotone_auto_makes_risk_move_one_way_in_a_clear_feature():
    rng = np.random.default_rng(2)
    n = 6000
    x = rng.uniform(-3, 3, size=n)
    noise = rng.normal(size=n)
    # overall risk rises with x, with a wiggle a free model follows
    logit = x + 2.5 * np.sin(3 * x) - 2
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = pd.DataFrame({"x": x, "noise": noise})
    grid = pd.DataFrame({"x": np.linspace(-3, 3, 200), "noise": 0.0})
    kwargs = {"n_estimators": 200, "min_child_samples": 20, "num_leaves": 7}
    free = EarlyWarningClassifier(**kwargs).fit(X, y)
    tied = EarlyWarningClassifier(**kwargs, monotone="auto").fit(X, y)
    assert tied.monotone_ == {"x": 1, "noise": 0}
    assert (np.diff(free.predict_proba(grid)[:, 1]) < -1e-6).any()
    assert (np.diff(tied.predict_proba(grid)[:, 1]) >= -1e-12).all()


def test_unknown_monotone_rule_is_refused(data):
    X, y, as_of = data
    with pytest.raises(ModelInputError, match="monotone must be 'auto' or None"):
        EarlyWarningClassifier(**SMALL, monotone="yes").fit(X, y, as_of)


def test_lightgbm_settings_pass_through(data):
    X, y, as_of = data
    clf = EarlyWarningClassifier(**SMALL, lgb_params={"extra_trees": True,
                                                      "max_bin": 31}).fit(X, y, as_of)
    assert clf.booster_.params["extra_trees"] is True
    assert clf.booster_.params["max_bin"] == 31


@settings(max_examples=60, deadline=None)
@given(months=st.lists(st.integers(0, 60), min_size=2, max_size=12, unique=True),
       fraction=st.floats(0.05, 0.6), horizon_months=st.integers(1, 24),
       repeat=st.integers(1, 4))
def test_holdout_gap_keeps_every_early_label_window_before_the_later_slice(
        months, fraction, horizon_months, repeat):
    from earlysignal.model._estimator import gapped_holdout

    dates = pd.DatetimeIndex([pd.Timestamp("2019-01-01") + pd.DateOffset(months=m)
                              for m in sorted(months) for _ in range(repeat)])
    early, late, gap = gapped_holdout(len(dates), dates, fraction,
                                      f"{horizon_months}m", min_rows=1)
    assert len(late) > 0 and len(set(early) & set(late)) == 0
    first_late = dates[late].min()
    assert (dates[early] < first_late).all()
    closes = dates[early] + pd.DateOffset(months=horizon_months)
    if gap:
        assert (closes <= first_late).all()
    else:  # no earlier date's window closes in time: the split falls back
        every = dates[dates < first_late].unique()
        assert ((every + pd.DateOffset(months=horizon_months)) > first_late).all()
