"""Disparities, Holm's procedure and flags."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.errors import EarlysignalError
from earlysignal.fairness import FLAG_METRICS, audit, holm


def naive_holm(p):
    order = np.argsort(p)
    m = len(p)
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def test_holm_equals_naive():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.uniform(size=12) ** 3
        np.testing.assert_allclose(holm(p), naive_holm(p))
    assert np.isnan(holm(np.array([np.nan, 0.01]))[0])
    assert holm(np.array([np.nan, 0.01]))[1] == 0.01


def biased(n=6000, seed=0):
    rng = np.random.default_rng(seed)
    g = rng.choice(["A", "B"], n, p=[0.6, 0.4])
    score = rng.uniform(size=n)
    # B's scores run low for the same outcome: more of B's outcomes are missed.
    y = (
        rng.uniform(size=n)
        < np.where(g == "B", np.minimum(1, score * 1.0 + 0.25), score)
    ).astype(int)
    return pd.DataFrame({"score": score, "y": y, "g": g})


def test_flags_need_ratio_outside_band_and_holm_rejection():
    a = audit(
        biased(),
        score="score",
        label="y",
        groups="g",
        top="20%",
        n_boot=400,
        mitigation=False,
    )
    d = a.disparities
    assert set(d["reference"]) == {"A"}  # largest group by default
    tested = d[d["metric"].isin(FLAG_METRICS)]
    assert tested["p_holm"].notna().all()
    np.testing.assert_allclose(
        tested["p_holm"], naive_holm(tested["p_value"].to_numpy())
    )
    expect = (tested["ratio"].lt(0.8) | tested["ratio"].gt(1.25)) & tested["p_holm"].lt(
        0.05
    )
    assert (tested["flagged"] == expect).all()
    assert d.set_index("metric").loc["tpr", "flagged"]
    assert not d.set_index("metric").loc["fnr", "flagged"]  # 1.15: inside the band
    assert not d[~d["metric"].isin(FLAG_METRICS)]["flagged"].any()
    assert any("Holm" in n for n in a.notes)
    assert a.summary()["settings"]["multiple_comparisons"].startswith("Holm")
    gm = a.group_metrics.set_index(["group", "metric"])
    assert gm.loc[("B", "tpr"), "flagged"]


def test_p_value_is_normal_approximation_of_bootstrap_se():
    from earlysignal.fairness._disparity import bootstrap_p

    reps = np.random.default_rng(0).normal(0.1, 0.05, size=(5000, 1))
    assert bootstrap_p(np.array([0.1]), reps)[0] == pytest.approx(0.0455, abs=0.003)


def test_wider_band_removes_flags():
    a = audit(
        biased(),
        score="score",
        label="y",
        groups="g",
        top="20%",
        n_boot=200,
        mitigation=False,
        band=(0.0, 1e9),
    )
    assert not a.disparities["flagged"].any()


def test_difference_and_ratio_values():
    a = audit(
        biased(),
        score="score",
        label="y",
        groups="g",
        top="20%",
        n_boot=100,
        mitigation=False,
    )
    gm = a.group_metrics.set_index(["group", "metric"])["value"]
    row = a.disparities.set_index("metric").loc["tpr"]
    assert row["difference"] == pytest.approx(
        gm[("B", "tpr")] - gm[("A", "tpr")], abs=1e-12
    )
    assert row["ratio"] == pytest.approx(gm[("B", "tpr")] / gm[("A", "tpr")], abs=1e-12)
    assert row["ratio_lower"] <= row["ratio"] <= row["ratio_upper"]


def test_named_reference_and_errors():
    df = biased()
    a = audit(
        df,
        score="score",
        label="y",
        groups="g",
        top=100,
        reference="B",
        n_boot=0,
        mitigation=False,
    )
    assert set(a.disparities["reference"]) == {"B"}
    a = audit(
        df,
        score="score",
        label="y",
        groups="g",
        top=100,
        reference={"g": "B"},
        n_boot=0,
        mitigation=False,
    )
    assert set(a.disparities["group"]) == {"A"}
    with pytest.raises(
        EarlysignalError, match="reference group 'C' is not a value of any group column"
    ):
        audit(
            df, score="score", label="y", groups="g", top=100, reference="C", n_boot=0
        )
