"""Per-period metrics equal an audit of that period alone; drift is detected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.fairness import audit


def periods_df(seed: int, drift: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for i, period in enumerate(["2021", "2022", "2023", "2024"]):
        n = 4000
        g = rng.choice(["A", "B"], n, p=[0.6, 0.4])
        p = rng.beta(2, 8, n)
        factor = 1 + (0.25 * i if drift else 0)
        rate = np.where(g == "B", np.minimum(1, p * factor), p)
        frames.append(
            pd.DataFrame(
                {
                    "score": p.round(3),
                    "y": (rng.uniform(size=n) < rate).astype(int),
                    "g": g,
                    "period": period,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_period_rows_equal_an_audit_of_the_period():
    df = periods_df(0, drift=False)
    a = audit(
        df,
        score="score",
        label="y",
        groups="g",
        top=200,
        period="period",
        n_boot=0,
        mitigation=False,
    )
    one = audit(
        df[df["period"] == "2022"],
        score="score",
        label="y",
        groups="g",
        top=200,
        n_boot=0,
        mitigation=False,
    )
    ot = a.over_time[a.over_time["period"] == "2022"].set_index(
        ["group_by", "group", "metric"]
    )["value"]
    ref = one.group_metrics.set_index(["group_by", "group", "metric"])["value"]
    pd.testing.assert_series_equal(
        ot.sort_index(), ref.sort_index(), check_names=False, atol=1e-12, rtol=0
    )
    # capacity applies per period: 200 selected in each of the four periods
    sel = a.group_metrics.query("group == 'all' and metric == 'selected'")[
        "value"
    ].item()
    assert sel == pytest.approx(800)


def test_drift_is_found_and_stability_is_not_called_drift():
    drifting = audit(
        periods_df(1, drift=True),
        score="score",
        label="y",
        groups="g",
        threshold=0.3,
        period="period",
        n_boot=200,
        mitigation=False,
    )
    d = drifting.drift.set_index("metric")
    assert d.loc["base_rate", "drifting"] and d.loc["oe_ratio", "drifting"]
    assert d.loc["base_rate", "periods"] == 4
    stable = audit(
        periods_df(2, drift=False),
        score="score",
        label="y",
        groups="g",
        threshold=0.3,
        period="period",
        n_boot=200,
        mitigation=False,
    )
    assert not stable.drift["drifting"].any()
