"""Points are on the scale the pages show: the calibrated risk of a calibrated model.

A person's points, family by family, add up to their shown risk minus the shown
baseline; with Platt calibration the slope times the contributions is exact on the
calibrated log-odds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.explain import explain
from earlysignal.explain._contributions import sigmoid
from earlysignal.explain._reasons import format_reasons
from earlysignal.model import CalibratedModel, EarlyWarningClassifier


def _calibrated(toy, method):
    cols = [m.column for m in toy.metadata if not m.protected]
    base = EarlyWarningClassifier(n_estimators=40, early_stopping_rounds=None,
                                  min_child_samples=10, num_leaves=7)
    model = CalibratedModel(base, method=method).fit(
        toy.frame[cols], toy.y, as_of=toy.frame["as_of"])
    return model, model.predict_proba(toy.frame[cols])[:, 1]


@pytest.fixture(scope="module", params=["sigmoid", "isotonic"])
def calibrated(request, toy):
    model, shown = _calibrated(toy, request.param)
    return request.param, model, shown, explain(model, toy.frame, toy.metadata)


def test_points_add_up_to_shown_risk_minus_shown_baseline(calibrated):
    _, model, shown, ex = calibrated
    baseline = float(model.calibrate(sigmoid(np.array([ex.base_value])))[0])
    assert ex.base_probability == pytest.approx(baseline, abs=1e-12)
    by_family = ex.probability_by_family.sum(axis=1).to_numpy()
    np.testing.assert_allclose(by_family, shown - baseline, atol=1e-9)
    pc = ex.probability_contributions
    np.testing.assert_allclose(pc.sum(axis=1).to_numpy(), shown, atol=1e-9)
    # the uncalibrated scale is far away for someone: the check has teeth
    raw = ex.scores["probability"].to_numpy()
    assert np.abs((raw - sigmoid(ex.base_value)) - (shown - baseline)).max() > 0.01


def test_printed_points_of_one_person_add_up_to_rounding(calibrated, toy):
    _, _, shown, ex = calibrated
    i = int(np.argmax(shown))
    pid, as_of = ex.index[i]
    reasons = ex.reasons(pid, as_of, top=len(ex.families))
    printed = [float(line.split()[0]) for line in format_reasons(reasons).splitlines()
               if line.strip().split()[0][0] in "+-" and "points" in line]
    # every family that moved the score by at least the reason threshold is listed
    rest = ex.probability_by_family.iloc[i].sum() - sum(r.size for r in reasons)
    expected = 100 * (shown[i] - ex.base_probability)
    assert sum(printed) + 100 * rest == pytest.approx(
        expected, abs=0.05 * len(printed) + 1e-9)
    assert ex.scores["shown_probability"].iloc[i] == pytest.approx(shown[i],
                                                                   abs=1e-12)


def test_what_changed_adds_up_to_the_change_in_shown_risk(calibrated, toy):
    _, _, shown, ex = calibrated
    risk = pd.Series(shown, index=ex.index)
    a, b = pd.Timestamp("2022-09-01"), pd.Timestamp("2023-09-01")
    for pid in ["P0001", "P0042", "P0300"]:
        ch = ex.what_changed(pid, a, b)
        assert ch["change"].sum() == pytest.approx(risk[(pid, b)] - risk[(pid, a)],
                                                   abs=1e-9)


def test_platt_slope_times_contributions_is_exact_on_calibrated_log_odds(toy):
    model, shown = _calibrated(toy, "sigmoid")
    ex = explain(model, toy.frame, toy.metadata)
    slope, intercept = model.platt_
    cc = ex.calibrated_contributions
    np.testing.assert_allclose(cc.drop(columns="base").to_numpy(),
                               slope * ex.contributions.drop(columns="base"),
                               atol=1e-12)
    np.testing.assert_allclose(cc.sum(axis=1), np.log(shown / (1 - shown)),
                               atol=1e-8)
    assert cc["base"].iloc[0] == pytest.approx(slope * ex.base_value + intercept)
    assert "Platt" in ex.summary()["scale"]


def test_isotonic_says_how_its_points_are_shared(toy):
    model, _ = _calibrated(toy, "isotonic")
    ex = explain(model, toy.frame.iloc[:5], toy.metadata)
    assert "isotonic" in ex.summary()["scale"]
    with pytest.raises(Exception, match="only for Platt"):
        _ = ex.calibrated_contributions
