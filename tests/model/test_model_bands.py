"""Risk bands: measured on within-date ranks, cut on the scores they are applied to,
and a check in words when a caseload's shares part from the claimed ones."""

from __future__ import annotations

import numpy as np
import pytest

from earlysignal.model import (
    Band,
    assign_bands,
    cut_bands,
    outside_population,
    population_ranges,
    risk_bands,
    share_check,
)

TWO = (("Top", 0.05), ("Rest", 0.95))


def test_observed_rates_count_the_top_of_each_date_not_of_the_pool():
    # two dates of 100 people; the second date's scores are ten times lower, as a
    # later model with another calibration would give
    s1 = np.arange(100) / 100.0
    s2 = s1 / 10
    y1 = np.zeros(100)
    y1[95:] = [1, 0, 1, 0, 1]          # the top 5 of date 1: 3 outcomes
    y2 = np.zeros(100)
    y2[95:] = [1, 1, 1, 1, 0]          # the top 5 of date 2: 4 outcomes
    b = risk_bands(np.r_[s1, s2], np.r_[y1, y2], dates=np.repeat(["a", "b"], 100),
                   bands=TWO)
    # by hand: the top 5 of each date, 10 people, 7 outcomes
    assert (b[0].n, b[0].outcomes, b[0].observed_per_100) == (10, 7, 70.0)
    assert (b[1].n, b[1].outcomes) == (190, 0)


def test_cut_on_the_final_models_scores_gives_the_claimed_shares():
    rng = np.random.default_rng(1)
    folds = rng.beta(1, 8, 5000)
    final = folds[:1200] / 8               # the final model scores lower overall
    measured = risk_bands(folds, rng.random(5000) < folds)
    old_way = assign_bands(final, measured)
    assert (old_way == "Very high").mean() < 0.002       # the defect, reproduced
    cut = cut_bands(measured, final)
    names = assign_bands(final, cut)
    for band in cut:
        assert (names == band.name).mean() == pytest.approx(band.share_of_cohort,
                                                            abs=1 / 1200)
    assert share_check(cut, names)["ok"]
    # the observed rates are those measured: cutting moves only the cut points
    assert [x.observed_per_100 for x in cut] == [x.observed_per_100 for x in measured]


def test_share_check_gives_both_sets_of_shares_in_words():
    b = [Band("Very high", 0.5, 1.0, 0.01, 0, 0, 0.0, "x", "12 months"),
         Band("High", 0.2, 0.5, 0.04, 0, 0, 0.0, "x", "12 months"),
         Band("Typical", 0.0, 0.2, 0.95, 0, 0, 0.0, "x", "12 months")]
    names = ["Very high"] * 0 + ["High"] * 1 + ["Typical"] * 999
    check = share_check(b, names)
    assert not check["ok"]
    assert check["observed"] == {"Very high": 0.0, "High": 0.001, "Typical": 0.999}
    assert check["claimed"] == {"Very high": 0.01, "High": 0.04, "Typical": 0.95}
    assert check["warning"].startswith(
        "The bands do not hold the shares they claim: Very high holds 0% of the "
        "1,000 young people scored (claimed 1%), High 0.1% (claimed 4%). Band "
        "shares may differ by at most 20% of the claimed share")
    # Typical's 99.9% is within a fifth of its claimed 95%
    # within a fifth of the claim, or one person, is rounding
    ok = ["Very high"] * 11 + ["High"] * 38 + ["Typical"] * 951
    assert share_check(b, ok)["ok"] and share_check(b, ok)["warning"] is None


def test_ages_outside_the_labelled_rows_are_named():
    from types import SimpleNamespace as M

    import pandas as pd

    m = pd.DataFrame({"age": [10.5, 12.0, 15.5, 16.3, 9.0]})
    ranges = population_ranges(m, {"age": M(aggregate="age"), "x": M(aggregate="n")},
                               [True, True, True, False, False])
    assert [(r.low, r.high, r.rows) for r in ranges] == [(10.5, 15.5, 3)]
    notes = outside_population(m, ranges)
    assert notes[:3].tolist() == ["", "", ""]
    assert notes[3] == ("No young person older than 15 years 6 months was followed "
                        "up to see the outcome; this young person is 16 years 3 "
                        "months old, so the band is an extrapolation.")
    assert notes[4].startswith("No young person younger than 10 years 6 months")
