"""Group metrics equal fairlearn's MetricFrame and a hand computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import (
    brier_score_loss,
    confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
)

from earlysignal.fairness import audit

from ._sim import make_scores


def npv(y_true, y_pred):
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    return tn / (tn + fn)


def wide(a) -> pd.DataFrame:
    gm = a.group_metrics
    return gm.set_index(["group_by", "group", "metric"])["value"].unstack("metric")


def hand_ece(s: np.ndarray, y: np.ndarray) -> float:
    total = 0.0
    for k in range(10):
        lo, hi = k / 10, (k + 1) / 10
        inside = (s >= lo) & ((s < hi) if k < 9 else (s <= hi))
        if inside.any():
            total += inside.sum() / len(s) * abs(s[inside].mean() - y[inside].mean())
    return total


@pytest.mark.parametrize("rounded", [3, None])
def test_threshold_metrics_equal_metricframe_and_hand(rounded):
    df = make_scores(4000, 3, rounded=rounded)
    a = audit(
        df,
        score="score",
        label="y",
        groups=["ethnicity"],
        threshold=0.3,
        n_boot=0,
        mitigation=False,
        min_cell=0,
    )
    ours = wide(a).loc["ethnicity"]
    pred = (df["score"] >= 0.3).astype(int)
    mf = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "tpr": recall_score,
            "fpr": false_positive_rate,
            "fnr": false_negative_rate,
            "precision": precision_score,
            "npv": npv,
        },
        y_true=df["y"],
        y_pred=pred,
        sensitive_features=df["ethnicity"],
    )
    for metric in mf.by_group.columns:
        np.testing.assert_allclose(
            ours[metric], mf.by_group[metric].astype(float), rtol=0, atol=1e-12
        )
    soft = MetricFrame(
        metrics={"roc_auc": roc_auc_score, "brier": brier_score_loss},
        y_true=df["y"],
        y_pred=df["score"],
        sensitive_features=df["ethnicity"],
    )
    for metric in soft.by_group.columns:
        np.testing.assert_allclose(
            ours[metric], soft.by_group[metric].astype(float), rtol=0, atol=1e-12
        )
    for group, g in df.groupby("ethnicity"):
        s, y = g["score"].to_numpy(), g["y"].to_numpy()
        row = ours.loc[group]
        assert row["size"] == len(g)
        assert row["base_rate"] == pytest.approx(y.mean(), abs=1e-12)
        assert row["mean_score"] == pytest.approx(s.mean(), abs=1e-12)
        assert row["calibration_gap"] == pytest.approx(s.mean() - y.mean(), abs=1e-12)
        assert row["oe_ratio"] == pytest.approx(y.mean() / s.mean(), abs=1e-12)
        assert row["ece"] == pytest.approx(hand_ece(s, y), abs=1e-12)
        sel = s >= 0.3
        assert row["tp"] == (sel & (y == 1)).sum()
        assert row["selected"] == sel.sum()


def test_hand_computed_tiny_case():
    df = pd.DataFrame(
        {
            "s": [0.9, 0.8, 0.4, 0.2, 0.7, 0.6, 0.3, 0.1],
            "y": [1, 0, 1, 0, 1, 1, 0, 0],
            "g": ["a"] * 4 + ["b"] * 4,
        }
    )
    a = audit(
        df,
        score="s",
        label="y",
        groups="g",
        threshold=0.5,
        n_boot=0,
        mitigation=False,
        min_cell=0,
    )
    w = wide(a).loc["g"]
    # group a: selected {0.9 (y1), 0.8 (y0)}: TP 1, FP 1, FN 1, TN 1
    assert w.loc["a", "tpr"] == 0.5 and w.loc["a", "fpr"] == 0.5
    assert w.loc["a", "precision"] == 0.5 and w.loc["a", "npv"] == 0.5
    # positives 0.9, 0.4 vs negatives 0.8, 0.2: pairs won 0.9>0.8, 0.9>0.2, 0.4>0.2
    assert w.loc["a", "roc_auc"] == 0.75
    assert w.loc["a", "brier"] == pytest.approx(
        (0.01 + 0.64 + 0.36 + 0.04) / 4, abs=1e-12
    )
    # group b: selected 0.7, 0.6 both positive; perfect ranking
    assert w.loc["b", "tpr"] == 1.0 and w.loc["b", "fpr"] == 0.0
    assert w.loc["b", "roc_auc"] == 1.0
    # ECE of b: bins 0.7, 0.6, 0.3, 0.1 each alone: |0.7-1|+|0.6-1|+0.3+0.1 over 4
    assert w.loc["b", "ece"] == pytest.approx((0.3 + 0.4 + 0.3 + 0.1) / 4, abs=1e-12)


def test_tied_scores_auc_counts_half():
    df = pd.DataFrame({"s": [0.5, 0.5, 0.5, 0.5] * 5, "y": [1, 0, 1, 0] * 5, "g": "x"})
    a = audit(
        df,
        score="s",
        label="y",
        groups="g",
        threshold=0.6,
        n_boot=0,
        mitigation=False,
        min_cell=0,
    )
    assert wide(a).loc[("g", "x"), "roc_auc"] == 0.5


def test_intersections_equal_metricframe_on_two_columns(scores_df):
    a = audit(
        scores_df,
        score="score",
        label="y",
        groups=["sex"],
        threshold=0.25,
        intersections=[["sex", "ethnicity"]],
        n_boot=0,
        mitigation=False,
        min_cell=0,
    )
    ours = wide(a).loc["sex & ethnicity"]
    pred = (scores_df["score"] >= 0.25).astype(int)
    mf = MetricFrame(
        metrics=recall_score,
        y_true=scores_df["y"],
        y_pred=pred,
        sensitive_features=scores_df[["sex", "ethnicity"]],
    )
    for (sex, eth), value in mf.by_group.items():
        assert ours.loc[f"{sex} & {eth}", "tpr"] == pytest.approx(value, abs=1e-12)


def test_scores_outside_unit_interval_have_no_calibration():
    df = make_scores(500, 1)
    df["score"] = df["score"] * 100
    a = audit(
        df, score="score", label="y", groups="sex", top=50, n_boot=0, mitigation=False
    )
    w = wide(a)
    assert w["ece"].isna().all() and w["brier"].isna().all()
    assert w["roc_auc"].notna().all()
    assert any("not probabilities" in n for n in a.notes)
