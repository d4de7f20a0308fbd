"""Intervals and flags resample people, who recur at many as-of dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.errors import DataError
from earlysignal.fairness import at_capacity, audit

from ._sim import people_at_dates


def _ci(a, metric, group="B"):
    return a.disparities.set_index(["group", "metric"]).loc[(group, metric)]


def test_interval_width_is_that_of_the_people_not_the_rows():
    # Outcomes are a person's, repeated at 8 dates: the base-rate difference between
    # groups has the standard error of a difference of two proportions of PEOPLE.
    df = people_at_dates(2000, 8, 3)
    a = audit(df, score="score", label="y", groups="group", top="20%",
              n_boot=400, seed=1, mitigation=False, reference="A")
    person = df.drop_duplicates("person_id")
    p = person.groupby("group")["y"].mean()
    n = person.groupby("group").size()
    se = np.sqrt(p["A"] * (1 - p["A"]) / n["A"] + p["B"] * (1 - p["B"]) / n["B"])
    d = _ci(a, "base_rate")
    width = d["difference_upper"] - d["difference_lower"]
    # a row bootstrap would give sqrt(8) = 2.8 times too narrow an interval
    assert width == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert any("16,000 rows" in n and "2,000 people" in n for n in a.notes)


def test_one_row_per_person_is_the_row_bootstrap():
    df = people_at_dates(600, 1, 4)
    kw = dict(score="score", label="y", groups="group", top="20%", n_boot=50,
              mitigation=False)
    with_id = audit(df, id="person_id", **kw).group_metrics
    without = audit(df.drop(columns="person_id"), **kw)
    pd.testing.assert_frame_equal(with_id, without.group_metrics)
    assert any("No person identifier" in n for n in without.notes)


@pytest.mark.slow
def test_fair_model_at_eight_dates_flags_at_most_alpha():
    # 200 audits of a fair model, 600 people x 8 dates each. Holm keeps the chance
    # that an audit flags anything at most about alpha = 0.05; allow two Monte Carlo
    # standard errors. Resampling rows flagged most of these audits.
    n = 200
    hits = 0
    for seed in range(n):
        a = audit(people_at_dates(600, 8, seed), score="score", label="y",
                  groups="group", top="20%", n_boot=100, seed=seed, mitigation=False)
        hits += bool(a.disparities["flagged"].any())
    assert hits / n <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / n)


def test_fair_model_at_eight_dates_rarely_flags_fast():
    # The fast version of the check above: 40 audits of 1,200 people x 8 dates.
    hits = 0
    for seed in range(40):
        a = audit(people_at_dates(1200, 8, 1000 + seed), score="score", label="y",
                  groups="group", top="20%", n_boot=60, seed=seed, mitigation=False)
        hits += bool(a.disparities["flagged"].any())
    # at most alpha plus two Monte Carlo standard errors: 2 + 2.8 audits of 40
    assert hits <= 4


def test_over_recorded_group_at_eight_dates_is_still_flagged():
    df = people_at_dates(3000, 8, 5, over_record=1.6)
    a = audit(df, score="score", label="y", groups="group", top="20%",
              n_boot=200, mitigation=False, reference="A")
    flagged = a.disparities.query("group == 'B' and flagged")["metric"]
    assert {"base_rate", "oe_ratio"} <= set(flagged)


def test_id_column_errors_name_the_column_and_rows():
    df = people_at_dates(50, 2, 6)
    with pytest.raises(DataError, match="no column 'child'"):
        audit(df, score="score", label="y", groups="group", top=10, id="child")
    df.loc[[3, 7], "person_id"] = None
    with pytest.raises(DataError, match="2 person identifiers are missing") as e:
        audit(df, score="score", label="y", groups="group", top=10)
    assert "4, 8" in str(e.value)


def test_capacity_rechosen_in_a_resample_equals_top_k_of_the_expanded_rows():
    from earlysignal.fairness._metrics import (
        build_cells,
        capacity_weights,
        score_classes,
    )
    from earlysignal.fairness._operating_point import Capacity

    rng = np.random.default_rng(7)
    s = np.round(rng.uniform(size=300), 2)  # ties
    y = (rng.uniform(size=300) < s).astype(int)
    g = rng.integers(0, 3, 300)
    cl = score_classes(s)
    cells = build_cells(g, s, y, np.zeros(300), cl)
    mult = rng.integers(0, 3, 300)  # one resample's multiplicity of each row
    m = np.bincount(cells.row_cell, weights=mult, minlength=len(cells.count))
    for cap, k in ((Capacity(count=40), 40), (Capacity(share=0.1), None)):
        w = capacity_weights(m[None, :], cells, cap)[0]
        rows = np.repeat(np.arange(300), mult)
        k = k if k is not None else np.floor(0.1 * len(rows) + 0.5)
        naive = at_capacity(s[rows], k)
        sel = (s[rows] > naive.boundary) + (s[rows] == naive.boundary) * naive.tie_fraction
        for grp in range(3):
            got = np.sum((m * w)[cells.group == grp])
            assert got == pytest.approx(sel[g[rows] == grp].sum(), abs=1e-9)


def test_capacity_is_the_same_in_every_resample():
    # top=300 of 3,000 people: every resample selects exactly 300, so the interval of
    # the number selected is a point; re-choosing the cut-off moves the group shares.
    df = people_at_dates(3000, 1, 8)
    a = audit(df, score="score", label="y", groups="group", top=300, n_boot=100,
              mitigation=False)
    gm = a.group_metrics.set_index(["group", "metric"])
    assert gm.loc[("all", "selected"), ["lower", "upper"]].tolist() == [300.0, 300.0]
    assert gm.loc[("A", "selected"), "upper"] > gm.loc[("A", "selected"), "lower"]
    assert any("chosen again inside each resample" in n for n in a.notes)
