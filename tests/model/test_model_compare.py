"""The paired person-level bootstrap of AUC and precision at capacity, against a naive
resample of the expanded rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from earlysignal.bootstrap import people, person_draws
from earlysignal.model import capacity_metrics
from earlysignal.model._compare import paired_replicates


def cohort(n_people=120, dates=3, seed=0):
    rng = np.random.default_rng(seed)
    ids = np.tile(np.arange(n_people), dates)
    rounds = np.repeat(np.arange(dates), n_people)
    risk = rng.normal(size=n_people)[ids]
    y = (rng.random(len(ids)) < 1 / (1 + np.exp(-(2 * risk - 2)))).astype(int)
    return ids, rounds, risk, y, rng


def test_points_equal_sklearn_and_capacity_metrics_with_ties():
    ids, rounds, risk, y, rng = cohort()
    scores = {"fine": risk + rng.normal(size=len(y)),
              "coarse": np.round(risk, 0)}          # heavy ties at the cut
    r = paired_replicates(y, scores, ids, rounds, "7%", n_boot=0)
    for i, s in enumerate(scores.values()):
        assert r.point["auc"][i] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
        expected = capacity_metrics(y, s, "7%", rounds)["precision_at_k"]
        assert r.point["precision_at_k"][i] == pytest.approx(expected, abs=1e-12)
    assert r.draws["auc"].shape == (0, 2)
    assert np.isnan(r.table("fine")["lower"]).all()


def test_each_replicate_equals_the_metrics_of_the_resampled_rows():
    ids, rounds, risk, y, rng = cohort(n_people=80)
    scores = {"a": risk + rng.normal(size=len(y)), "b": np.round(risk * 2) / 2}
    r = paired_replicates(y, scores, ids, rounds, "10%", n_boot=6, seed=4)
    who = people(ids)
    (draw,) = list(person_draws(who, 6, np.random.default_rng(4), block=6))
    for b in range(6):
        # every person's rows, repeated as often as the person was drawn
        rep = np.repeat(np.arange(len(y)), draw[b, who.codes].astype(int))
        for i, s in enumerate(scores.values()):
            assert r.draws["auc"][b, i] == pytest.approx(
                roc_auc_score(y[rep], s[rep]), abs=1e-12)
            # k re-chosen per as-of date from the resampled size; ties shared
            naive = capacity_metrics(y[rep], s[rep], "10%", rounds[rep])
            assert r.draws["precision_at_k"][b, i] == pytest.approx(
                naive["precision_at_k"], abs=1e-12)


def test_pairing_tells_a_tiny_consistent_gain_from_noise_and_resamples_people():
    ids, rounds, risk, _, rng = cohort(n_people=600, dates=4, seed=1)
    # an escalation and a score that last: a person's four rows move together
    y = (rng.random(600) < 1 / (1 + np.exp(-(2 * risk[:600] - 2))))[ids].astype(int)
    noise = rng.normal(size=600)[ids] + 0.3 * rng.normal(size=len(ids))
    better = risk + noise
    worse = risk + 1.6 * noise
    r = paired_replicates(y, {"better": better, "worse": worse}, ids, rounds, "5%",
                          n_boot=300, seed=0)
    d, lo, hi = r.difference("better", "worse", "auc")
    assert lo > 0 and d > 0
    table = r.table("better").set_index(["model", "metric"])
    assert table.loc[("worse", "auc"), "difference_lower"] == pytest.approx(lo)
    # a person carries all four of their rows: intervals are wider than if each row
    # were its own person (the ordinary row bootstrap)
    rows = paired_replicates(y, {"better": better, "worse": worse},
                             np.arange(len(y)), rounds, "5%", n_boot=300, seed=0)
    width = table.loc[("better", "auc"), "upper"] - table.loc[("better", "auc"), "lower"]
    t_rows = rows.table("better").set_index(["model", "metric"])
    row_width = t_rows.loc[("better", "auc"), "upper"] - t_rows.loc[("better", "auc"),
                                                                    "lower"]
    assert width > 1.5 * row_width
    assert r.n_people == 600 and r.n_rows == 2400


def test_a_round_of_equal_scores_shares_its_places_among_everyone():
    # a constant score (the base rate): every row of the round ties, so the
    # expected precision at capacity is the round's outcome rate, whatever the
    # order the rows arrive in
    n = 2000
    y = np.zeros(n)
    y[-100:] = 1  # the outcomes all sit at the end of the input order
    r = paired_replicates(y, {"flat": np.full(n, 0.3)}, [f"p{i}" for i in range(n)],
                          np.zeros(n), "5%", n_boot=20, seed=1)
    assert float(r.point["precision_at_k"][0]) == pytest.approx(0.05)
    reps = r.draws["precision_at_k"][:, 0]
    assert abs(reps.mean() - 0.05) < 0.01
