"""Ties at the capacity boundary: expected values under random tie-breaking."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from earlysignal.fairness import at_capacity, audit, selection_weights


def test_fraction_is_places_left_over_rows_tied():
    s = np.array([0.9, 0.8, 0.5, 0.5, 0.5, 0.5, 0.1])
    op = at_capacity(s, 4)
    assert (op.boundary, op.tied, op.tie_fraction) == (0.5, 4, 0.5)
    assert selection_weights(s, op).tolist() == [1, 1, 0.5, 0.5, 0.5, 0.5, 0]
    assert "4 people tie at score 0.5 for the last 2 places" in op.describe()
    assert "expected value under random tie-breaking" in op.describe()


def test_no_tie_means_plain_top_k():
    s = np.arange(10) / 10
    assert selection_weights(s, at_capacity(s, 3)).tolist() == [0] * 7 + [1] * 3


def test_top_percent_rounds_half_up():
    df = pd.DataFrame({"s": np.linspace(0, 1, 30), "y": [0, 1] * 15, "g": "a"})
    a = audit(
        df,
        score="s",
        label="y",
        groups="g",
        top="5%",
        n_boot=0,
        mitigation=False,
        min_cell=0,
    )
    sel = a.group_metrics.query("group == 'all' and metric == 'selected'")[
        "value"
    ].item()
    assert sel == 2  # 5% of 30 = 1.5 -> 2


def test_group_metrics_are_the_average_over_every_tie_break():
    df = pd.DataFrame(
        {
            "s": [0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.3, 0.2, 0.8, 0.1],
            "y": [1, 1, 0, 1, 0, 0, 1, 0, 0, 0],
            "g": ["a", "a", "b", "b", "a", "b", "a", "b", "b", "a"],
        }
    )
    k = 4  # 0.9, 0.8 certain; two of the five 0.7s
    a = audit(
        df,
        score="s",
        label="y",
        groups="g",
        top=k,
        n_boot=0,
        mitigation=False,
        min_cell=0,
    )
    gm = a.group_metrics.set_index(["group_by", "group", "metric"])["value"]
    tied = np.flatnonzero(df["s"] == 0.7)
    sums: dict[tuple[str, str], list[float]] = {}
    for chosen in combinations(tied, 2):
        sel = (df["s"] > 0.7).to_numpy().copy()
        sel[list(chosen)] = True
        for g, part in df.assign(sel=sel).groupby("g"):
            pos, neg = part["y"] == 1, part["y"] == 0
            vals = {
                "tp": (part["sel"] & pos).sum(),
                "selected": part["sel"].sum(),
                "tpr": (part["sel"] & pos).sum() / pos.sum(),
                "fpr": (part["sel"] & neg).sum() / neg.sum(),
                "selection_rate": part["sel"].mean(),
            }
            for m, v in vals.items():
                sums.setdefault((g, m), []).append(float(v))
    for (g, m), values in sums.items():
        assert gm[("g", g, m)] == pytest.approx(np.mean(values), abs=1e-12), (g, m)
    # Ratios whose denominator varies are ratios of expected counts, as documented.
    for g in ("a", "b"):
        assert gm[("g", g, "precision")] == pytest.approx(
            np.mean(sums[(g, "tp")]) / np.mean(sums[(g, "selected")]), abs=1e-12
        )
    assert any("random tie-breaking" in n for n in a.notes)
