"""The audit finds an injected bias, and rarely flags anything when there is none."""

from __future__ import annotations

import numpy as np
import pandas as pd

from earlysignal.fairness import FLAG_METRICS, audit


def over_recorded(n: int, seed: int, factor: float) -> pd.DataFrame:
    """Same true risk in both groups; B's outcomes recorded ``factor`` times as often."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B"], n, p=[0.65, 0.35])
    p_true = rng.beta(2, 8, n)
    rate = np.where(group == "B", np.minimum(1.0, factor * p_true), p_true)
    y = (rng.uniform(size=n) < rate).astype(int)
    return pd.DataFrame({"score": p_true, "y": y, "group": group})


def test_over_recording_is_flagged_on_the_affected_metrics():
    a = audit(
        over_recorded(20000, 0, 1.5),
        score="score",
        label="y",
        groups="group",
        top="10%",
        n_boot=300,
        mitigation=False,
    )
    d = a.disparities.set_index("metric")
    flagged = set(d.index[d["flagged"]])
    assert {"base_rate", "oe_ratio", "precision"} <= flagged
    assert (
        d.loc["oe_ratio", "ratio"] > 1.25
    )  # B's outcomes under-predicted by the score
    assert not d.loc["roc_auc", "flagged"]
    note = a.impossibility[0]
    assert note["base_rates_differ"] and "no imperfect model" in note["note"]


def test_false_flag_rate_on_unbiased_data_stays_at_or_under_nominal():
    tests = flags = audits_with_a_flag = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        n = 3000
        p_true = rng.beta(2, 8, n)
        df = pd.DataFrame(
            {
                "score": p_true,
                "y": (rng.uniform(size=n) < p_true).astype(int),
                "group": rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2]),
            }
        )
        a = audit(
            df,
            score="score",
            label="y",
            groups="group",
            top="15%",
            n_boot=150,
            seed=seed,
            mitigation=False,
        )
        d = a.disparities[a.disparities["metric"].isin(FLAG_METRICS)]
        tests += int(d["p_holm"].notna().sum())
        flags += int(d["flagged"].sum())
        audits_with_a_flag += bool(d["flagged"].any())
    assert tests == 20 * 2 * len(FLAG_METRICS)
    assert flags / tests <= 0.05
    # Holm controls the family-wise rate at 5%: about 1 audit in 20; allow chance.
    assert audits_with_a_flag <= 2
