"""Baselines on hand-built cases, and the metadata lookups they rely on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from model_simulation import Meta

from earlysignal.model import (
    AnySuspensionRule,
    BaseRate,
    BestSingleInput,
    ChecklistScore,
    LogisticBaseline,
    MissingFeatureError,
    ModelInputError,
    PersistentAbsenceRule,
    find_feature,
    make_baselines,
)

X = pd.DataFrame({
    "abs_1y": [0.02, 0.15, 0.40, 0.09, 0.10, np.nan],
    "susp_1y": [0, 1, 3, 0, 0, 0],
    "sen": ["none", "ehcp", "sen_support", "none", None, "none"],
    "cla": [0, 0, 1, 0, 0, 0],
    "police_1y": [0, 0, 2, 1, 0, 0],
    "noise": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
})
y = np.array([0, 1, 1, 0, 0, 0])
META = {
    "abs_1y": Meta("overall_absence", family="attendance", aggregate="rate",
                   window="1y"),
    "abs_90d": Meta("overall_absence", family="attendance", aggregate="rate",
                    window="90d"),
    "susp_1y": Meta("suspensions", family="exclusion", aggregate="count", window="1y"),
    "susp_days": Meta("suspensions", family="exclusion", aggregate="days_since_last",
                      window="all"),
    "sen": Meta("sen", kind="categorical", family="characteristics"),
    "cla": Meta("looked_after", family="social_care", aggregate="open", window="all"),
    "police_1y": Meta("police_contact", family="police", aggregate="count",
                      window="1y"),
    "noise": Meta("noise", aggregate="value", window="1y"),
    "sex": Meta("sex", kind="categorical", protected=True),
}


def test_base_rate():
    p = BaseRate().fit(X, y).predict_proba(X)
    np.testing.assert_allclose(p[:, 1], 2 / 6)


def test_persistent_absence_is_a_flag_at_ten_percent():
    rule = PersistentAbsenceRule(metadata=META).fit(X, y)
    assert rule.column_ == "abs_1y" and rule.threshold_ == 0.10
    # 10% exactly is persistent absence; no sessions recorded (NaN) is not
    np.testing.assert_array_equal(rule.decision_function(X), [0, 1, 1, 0, 1, 0])
    # probabilities keep the rule's order
    p = rule.predict_proba(X)[:, 1]
    assert np.array_equal(np.argsort(p, kind="stable"),
                          np.argsort(rule.decision_function(X), kind="stable"))


def test_absence_in_percent_uses_ten_percent():
    pct = X.assign(abs_1y=X["abs_1y"] * 100)
    rule = PersistentAbsenceRule(column="abs_1y").fit(pct, y)
    assert rule.threshold_ == 10.0
    np.testing.assert_array_equal(rule.decision_function(pct), [0, 1, 1, 0, 1, 0])


def test_any_suspension():
    rule = AnySuspensionRule(metadata=META).fit(X, y)
    assert rule.column_ == "susp_1y"     # not the days-since column
    np.testing.assert_array_equal(rule.decision_function(X), [0, 1, 1, 0, 0, 0])


def test_checklist_points_by_hand():
    rule = ChecklistScore(metadata=META).fit(X, y)
    assert rule.columns_ == {"attendance": "abs_1y", "exclusion": "susp_1y",
                             "sen": "sen", "looked_after": "cla",
                             "justice_contact": "police_1y"}
    points = rule.points(X)
    # person 2: absence 40%, suspended, SEN support, looked after, police -> 5
    # person 4: absence exactly 10% is attendance of 90%, not below it -> 0
    assert points.sum(axis=1).tolist() == [0, 3, 5, 1, 0, 0]
    np.testing.assert_array_equal(rule.decision_function(X), [0, 3, 5, 1, 0, 0])
    two = ChecklistScore(columns={"attendance": "abs_1y", "exclusion": "susp_1y"},
                         items=["attendance", "exclusion"]).fit(X, y)
    np.testing.assert_array_equal(two.decision_function(X), [0, 2, 2, 0, 0, 0])


def test_missing_feature_is_named():
    meta = {k: v for k, v in META.items() if k != "police_1y"}
    with pytest.raises(MissingFeatureError,
                       match=r"ChecklistScore \(item 'justice_contact'\) needs a count "
                             "of police or youth-justice contacts.*Fix: add such a "
                             "feature"):
        ChecklistScore(metadata=meta).fit(X, y)
    with pytest.raises(MissingFeatureError, match="AnySuspensionRule needs"):
        AnySuspensionRule(metadata={}).fit(X, y)
    with pytest.raises(MissingFeatureError, match="uses column 'gone'"):
        PersistentAbsenceRule(column="gone").fit(X, y)
    with pytest.raises(ModelInputError, match="has no item 'grades'"):
        ChecklistScore(items=["grades"]).fit(X, y)


def test_lookup_prefers_the_window_closest_to_a_year():
    assert find_feature(META, "absence_rate", needed_by="t") == "abs_1y"
    assert find_feature(META, "absence_rate", needed_by="t",
                        available=["abs_90d"]) == "abs_90d"


def test_logistic_uses_model_inputs_not_protected():
    X2 = X.assign(sex=["F", "M"] * 3, abs_90d=0.1, susp_days=np.nan)
    clf = LogisticBaseline(metadata=META).fit(X2, y)
    assert "sex" not in clf.columns_ and "sen" in clf.text_columns_
    p = clf.predict_proba(X2)[:, 1]
    assert p[1] > p[0] and p[2] > p[0]
    unseen = X2.assign(sen="new category")
    assert np.isfinite(clf.predict_proba(unseen)).all()


def test_baselines_are_sklearn_clonable():
    from sklearn.base import clone

    for name, est in make_baselines("all", META).items():
        assert clone(est).get_params() == est.get_params(), name
    with pytest.raises(ModelInputError, match="unknown baseline 'xgb'"):
        make_baselines(["xgb"])


def test_a_rule_that_goes_the_wrong_way_gets_the_base_rate():
    rule = AnySuspensionRule(column="susp_1y").fit(X, 1 - y)
    np.testing.assert_allclose(rule.predict_proba(X)[:, 1], 4 / 6)


def _library_metadata():
    """Metadata of the shipped feature library, as the feature stage makes it."""
    from pathlib import Path

    from earlysignal.features import parse_feature_specs
    from earlysignal.features._metadata import feature_metadata
    from earlysignal.pipeline._yaml import read_yaml

    path = Path(__file__).parents[2] / "pipelines" / "features" / "library.yaml"
    specs = parse_feature_specs(read_yaml(path), source=str(path))
    return {m.column: m for m in feature_metadata(specs)}


def test_persistent_absence_is_overall_absence_from_the_library():
    meta = _library_metadata()
    rate, flag = "unauthorised_absence_rate__ratio__1y", "persistent_absence__persistent__1y"
    Xl = pd.DataFrame({"attendance_rate__ratio__1y": [0.97, 0.85, 0.93, 0.99],
                       rate: [0.03, 0.01, 0.07, 0.0],
                       flag: [0.0, 1.0, 0.0, 0.0]})
    rule = PersistentAbsenceRule(metadata=meta).fit(Xl, [0, 1, 0, 0])
    # the council rule (authorised + unauthorised >= 10%), not the unauthorised rate
    assert rule.column_ == flag
    np.testing.assert_array_equal(rule.decision_function(Xl), [0, 1, 0, 0])
    points = ChecklistScore(metadata=meta, items=["attendance"]).fit(Xl, [0, 1, 0, 0])
    assert points.columns_ == {"attendance": flag}


def test_an_unauthorised_rate_is_not_taken_for_overall_absence():
    only = {c: m for c, m in _library_metadata().items()
            if c.startswith(("unauthorised_absence", "attendance_rate"))}
    Xu = pd.DataFrame({c: [0.0, 0.2] for c in only})
    with pytest.raises(MissingFeatureError, match=(
            r"PersistentAbsenceRule needs overall absence.*none of the \d+ features.*"
            r"model\.baseline_inputs: \{persistent_absence: \{column: \.\.\.\}\}")):
        PersistentAbsenceRule(metadata=only).fit(Xu, [0, 1])
    # a rate named as overall absence but computed from unauthorised absence alone
    from dataclasses import replace

    liar = {"overall_absence__ratio__1y": replace(
        only["unauthorised_absence_rate__ratio__1y"], name="overall_absence")}
    with pytest.raises(MissingFeatureError, match="overall absence"):
        PersistentAbsenceRule(metadata=liar).fit(
            pd.DataFrame({"overall_absence__ratio__1y": [0.0, 0.2]}), [0, 1])


def test_baseline_inputs_name_the_column_and_unknown_settings_are_refused():
    est = make_baselines(["persistent_absence"], META,
                         {"persistent_absence": {"column": "abs_90d",
                                                 "threshold": 0.2}})
    rule = est["persistent_absence"].fit(X.assign(abs_90d=[0.1, 0.2, 0.3, 0, 0, 0]), y)
    assert rule.column_ == "abs_90d"
    np.testing.assert_array_equal(rule.decision_function(
        X.assign(abs_90d=[0.1, 0.2, 0.3, 0, 0, 0])), [0, 1, 1, 0, 0, 0])
    with pytest.raises(ModelInputError, match=r"persistent_absence: unknown setting "
                       r"'colum' \(accepted: column, threshold, label\)"):
        make_baselines("all", META, {"persistent_absence": {"colum": "abs_1y"}})


def _naive_auc(x, y):
    """AUC by comparing every (escalation, non-escalation) pair; ties count half."""
    pos, neg = x[y == 1], x[y == 0]
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def test_best_single_input_against_pairwise_auc():
    rng = np.random.default_rng(4)
    n = 40
    yy = (rng.uniform(size=n) < 0.3).astype(int)
    Xs = pd.DataFrame({
        "up": rng.normal(size=n) + 0.6 * yy,
        "down": rng.normal(size=n) - 3.0 * yy,          # lower value, higher risk
        "gappy": np.where(rng.uniform(size=n) < 0.3, np.nan,
                          rng.normal(size=n) + yy),
        "ties": rng.integers(0, 3, size=n).astype(float),
        "sen": rng.choice(["none", "ehcp"], size=n),     # categorical: not a candidate
        "sex": yy.astype(float),                         # protected: never a candidate
    })
    meta = {c: Meta(c) for c in ["up", "down", "gappy", "ties"]}
    meta["sen"] = Meta("sen", kind="categorical")
    meta["sex"] = Meta("sex", protected=True)
    rule = BestSingleInput(metadata=meta).fit(Xs, yy)
    naive = {}
    for c in ["up", "down", "gappy", "ties"]:
        filled = Xs[c].fillna(Xs[c].median()).to_numpy()
        for sign in (1, -1):
            naive[(c, sign)] = _naive_auc(sign * filled, yy)
    (col, sign), auc = max(naive.items(), key=lambda kv: kv[1])
    assert (rule.column_, rule.direction_) == (col, sign) == ("down", -1)
    assert rule.train_auc_ == pytest.approx(auc)
    for c in ["up", "down", "gappy", "ties"]:
        assert rule.aucs_[c] == pytest.approx(max(naive[(c, 1)], naive[(c, -1)]))
    new = pd.DataFrame({"down": [2.0, np.nan, -3.0]}).assign(
        **{c: 0.0 for c in ["up", "gappy", "ties", "sex"]}, sen="none")
    fill = Xs["down"].median()
    np.testing.assert_allclose(rule.decision_function(new), [-2.0, -fill, 3.0])
    p = rule.predict_proba(new)[:, 1]
    assert p[2] > p[1] > p[0]
