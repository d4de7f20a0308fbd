"""The person-level bootstrap against naive references."""

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from earlysignal.bootstrap import (
    people,
    person_draws,
    person_sums,
    weighted_auc,
)


def test_draws_keep_each_stratum_size_and_carry_whole_people():
    ids = np.repeat(np.arange(50), 4)  # 50 people at 4 dates
    strata = np.where(ids < 20, "a", "b")
    who = people(ids, strata)
    for block in person_draws(who, 30, np.random.default_rng(1), block=7):
        assert block[:, :20].sum(axis=1).tolist() == [20.0] * len(block)
        assert block[:, 20:].sum(axis=1).tolist() == [30.0] * len(block)
        rows = block[:, who.codes]
        # a person's four rows always carry the same multiplicity
        assert (rows.reshape(len(block), 50, 4).std(axis=2) == 0).all()


def test_draws_are_uniform_over_people():
    who = people(np.arange(10))
    total = sum(b.sum(axis=0) for b in person_draws(who, 4000, np.random.default_rng(2)))
    # each person is drawn once per resample on average
    assert np.allclose(total / 4000, 1.0, atol=0.06)


def test_person_sums_times_draws_equals_naive_resample():
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 30, 200)
    keys = rng.integers(0, 5, 200)
    vals = rng.normal(size=200)
    who = people(ids)
    m = person_sums(who, keys, 5, vals)
    (block,) = list(person_draws(who, 3, rng))
    for r in range(3):
        w = block[r, who.codes]
        naive = np.bincount(keys, weights=w * vals, minlength=5)
        assert np.allclose(block[r] @ m, naive)


def test_weighted_auc_equals_sklearn_on_the_expanded_rows():
    rng = np.random.default_rng(4)
    s = np.round(rng.random(300), 2)  # ties
    y = (rng.random(300) < 0.3).astype(int)
    w = rng.integers(0, 3, size=(5, 300)).astype(float)
    got = weighted_auc(s, y, w)
    for r in range(5):
        rep = np.repeat(np.arange(300), w[r].astype(int))
        assert got[r] == pytest.approx(roc_auc_score(y[rep], s[rep]), abs=1e-12)


def test_a_person_in_two_strata_is_drawn_from_their_first():
    who = people(["p", "p", "q"], strata=["x", "y", "y"])
    assert who.strata.tolist() == [0, 1]
