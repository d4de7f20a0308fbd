"""Linkage quality measures against hand-computed cases and a naive reference."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from earlysignal.linkage import clusters_at, linkage_quality, pair_metrics


def _naive(cluster: list[object], person: list[object]) -> tuple[float, float]:
    """Precision and recall by listing every pair of records."""
    pairs = list(itertools.combinations(range(len(cluster)), 2))
    said = {p for p in pairs if cluster[p[0]] == cluster[p[1]]}
    true = {p for p in pairs if person[p[0]] == person[p[1]]}
    return len(said & true) / len(said), len(said & true) / len(true)


def test_pairwise_measures_of_a_hand_worked_case():
    # A has 4 records (a1..a4), B 2 (b1, b2), C 1 (c1).
    # linkage: {a1, a2, a3}, {a4, b1}, {b2}, {c1}
    cluster = pd.Series([1, 1, 1, 2, 2, 3, 4])
    person = pd.Series(["A", "A", "A", "A", "B", "B", "C"])
    m = pair_metrics(cluster, person)
    # implied pairs: 3 (a1a2, a1a3, a2a3) + 1 (a4b1) = 4, of which 3 true
    # true pairs: 6 (A) + 1 (B) = 7, of which 3 found
    assert m["pairs_predicted"] == 4 and m["pairs_true"] == 7 and m["pairs_found"] == 3
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["recall"] == pytest.approx(3 / 7)
    assert m["f1"] == pytest.approx(2 * (3 / 4) * (3 / 7) / (3 / 4 + 3 / 7))
    # A and B (the two people with several records) are both split
    assert m["split_share"] == 1.0
    # A and B share a cluster; C does not: 2 of 3 people merged
    assert m["merged_share"] == pytest.approx(2 / 3)


def test_pairwise_measures_match_listing_every_pair():
    rng = np.random.default_rng(4)
    person = rng.integers(0, 30, 120).tolist()
    # a noisy linkage: most records keep their person, some move
    cluster = [p if rng.random() < 0.8 else int(rng.integers(0, 30)) for p in person]
    m = pair_metrics(pd.Series(cluster), pd.Series(person))
    precision, recall = _naive(cluster, person)
    assert m["precision"] == pytest.approx(precision)
    assert m["recall"] == pytest.approx(recall)


def test_clusters_at_a_threshold_are_connected_components():
    pairs = pd.DataFrame({"unique_id_l": ["a", "b", "d", "a"],
                          "unique_id_r": ["b", "c", "e", "e"],
                          "match_probability": [0.99, 0.96, 0.97, 0.5]})
    ids = ["a", "b", "c", "d", "e", "f"]
    at95 = clusters_at(ids, pairs, 0.95)
    assert at95["a"] == at95["b"] == at95["c"]
    assert at95["d"] == at95["e"] != at95["a"]
    assert at95["f"] not in set(at95[["a", "d"]])
    at40 = clusters_at(ids, pairs, 0.4)
    assert at40[["a", "b", "c", "d", "e"]].nunique() == 1


def _case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Two groups: group x (people 0..11) all linked right; group y (people
    12..23) with every second person split."""
    rec, truth = [], []
    for p in range(24):
        for k in range(2):
            rid = f"r{p}_{k}"
            split = p >= 12 and p % 2 == 0 and k == 1
            rec.append({"unique_id": rid, "cluster_id": f"{rid}" if split else f"c{p}"})
            truth.append({"record_id": rid, "person_id": f"P{p}",
                          "g": "x" if p < 12 else "y",
                          "sex": "F" if p % 3 else "M"})
    pairs = pd.DataFrame({"unique_id_l": [f"r{p}_0" for p in range(24)],
                          "unique_id_r": [f"r{p}_1" for p in range(24)],
                          "match_probability": [0.3 if p >= 12 and p % 2 == 0
                                                else 0.99 for p in range(24)]})
    return pd.DataFrame(rec), pairs, pd.DataFrame(truth)


def test_quality_by_group_and_along_thresholds():
    clusters, pairs, truth = _case()
    q = linkage_quality(clusters, pairs, truth, threshold=0.95, groups=["g"],
                        thresholds=[0.2, 0.95], min_cell=5)
    by = q.by_group.set_index("group")
    # group y: 12 people, 12 true pairs, 6 found; group x: all 12 found
    assert by.loc["x", "recall"] == 1.0
    assert by.loc["y", "recall"] == pytest.approx(0.5)
    assert by.loc["y", "split_share"] == pytest.approx(0.5)
    assert q.overall["recall"] == pytest.approx(18 / 24)
    # at 0.2 every scored pair joins: recall 1; at 0.95 the 0.3 pairs do not
    curve = q.curve.set_index("threshold")
    assert curve.loc[0.2, "recall"] == 1.0
    assert curve.loc[0.95, "recall"] == pytest.approx(18 / 24)
    gap = q.gaps().iloc[0]
    assert (gap["best"], gap["worst"]) == ("x", "y")
    assert gap["gap"] == pytest.approx(0.5)
    assert "a gap of 50.0 percentage points" in q.sentences()[1]


def test_small_groups_are_withheld_by_the_disclosure_rule():
    clusters, pairs, truth = _case()
    # 8 of 24 people are M: withheld at min_cell 10, and F (16) with it, since
    # F is the total minus M
    q = linkage_quality(clusters, pairs, truth, threshold=0.95, groups=["sex"],
                        min_cell=10)
    by = q.by_group.set_index("group")
    assert by.loc["M", "withheld"] and np.isnan(by.loc["M", "recall"])
    assert by.loc["F", "withheld"]
    shown = linkage_quality(clusters, pairs, truth, threshold=0.95, groups=["sex"],
                            min_cell=5).by_group
    assert not shown["withheld"].any()
