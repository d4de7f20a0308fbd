"""Disparities against a reference group, bootstrap p-values and Holm's procedure.

A disparity is flagged when two things hold: the ratio (group / reference) lies outside
the band (default 0.8 to 1.25), and parity is rejected after multiple-comparison
control. Parity is tested with a two-sided bootstrap p-value for the difference (a
normal approximation with the standard error over person-level resamples), and the
p-values of every test in the audit are adjusted together with Holm's step-down
procedure, which controls the family-wise error rate at ``alpha`` (default 0.05):
the chance that an audit of a fair model flags anything at all is at most about
``alpha``. Intervals shown are plain 95% percentile intervals; a Holm-adjusted
p-value below ``alpha`` is the same as a Holm-adjusted interval excluding parity.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from earlysignal.bootstrap import percentile_interval
from earlysignal.fairness._metrics import METRICS

DISPARITY_METRICS: tuple[str, ...] = METRICS[METRICS.index("base_rate") :]
"""Metrics compared with the reference group (rates, not counts)."""

FLAG_METRICS: tuple[str, ...] = (
    "base_rate",
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "precision",
    "npv",
    "roc_auc",
    "oe_ratio",
)
"""Metrics tested for parity. Mean score, ECE and Brier are descriptive only (ECE is
biased upwards in small groups, so a ratio of ECEs would flag small groups for being
small); the calibration gap is signed, so it is compared through ``oe_ratio``."""

NO_RATIO = ("calibration_gap",)


def bootstrap_p(diff: np.ndarray, diff_reps: np.ndarray) -> np.ndarray:
    """Two-sided p-value for 'difference = 0' from the bootstrap standard error.

    A normal approximation, z = difference / sd(replicates), rather than counting
    replicates beyond zero: counting cannot give p below 2 / (n_boot + 1), and after
    Holm over m tests nothing could ever be flagged unless n_boot > 40 m.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(diff_reps, axis=0, ddof=1)
        z = np.abs(diff) / se
    p = 2 * stats.norm.sf(z)
    ok = np.isfinite(diff) & np.isfinite(se) & (np.isfinite(diff_reps).sum(axis=0) > 1)
    p = np.where(ok & (se > 0), p, np.where(ok & (diff == 0), 1.0, np.nan))
    return p


def holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN stays NaN and does not count as a test).

    Examples
    --------
    >>> holm(np.array([0.01, 0.04, 0.03])).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adjusted, 1.0)
    return out


def disparity_frame(
    group_by: str,
    names: list[str],
    point: np.ndarray,
    reps: np.ndarray,
    ref: int,
    suppressed: np.ndarray,
) -> pd.DataFrame:
    """Differences and ratios of every group against group ``ref``, with intervals."""
    idx = [METRICS.index(m) for m in DISPARITY_METRICS]
    rows = []
    for g, name in enumerate(names):
        if g == ref:
            continue
        d_reps = reps[g][:, idx] - reps[ref][:, idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            r_reps = reps[g][:, idx] / reps[ref][:, idx]
            ratio = point[g, idx] / point[ref, idx]
        r_reps[~np.isfinite(r_reps)] = np.nan
        d_lo, d_hi = percentile_interval(d_reps)
        r_lo, r_hi = percentile_interval(r_reps)
        p = bootstrap_p(point[g, idx] - point[ref, idx], d_reps)
        hidden = bool(suppressed[g] or suppressed[ref])
        for j, metric in enumerate(DISPARITY_METRICS):
            no_ratio = metric in NO_RATIO
            rows.append(
                {
                    "group_by": group_by,
                    "group": name,
                    "reference": names[ref],
                    "metric": metric,
                    "value": point[g, idx[j]],
                    "reference_value": point[ref, idx[j]],
                    "difference": point[g, idx[j]] - point[ref, idx[j]],
                    "difference_lower": d_lo[j],
                    "difference_upper": d_hi[j],
                    "ratio": np.nan if no_ratio else ratio[j],
                    "ratio_lower": np.nan if no_ratio else r_lo[j],
                    "ratio_upper": np.nan if no_ratio else r_hi[j],
                    "p_value": p[j] if metric in FLAG_METRICS else np.nan,
                    "suppressed": hidden,
                }
            )
    return pd.DataFrame(rows, columns=DISPARITY_COLUMNS[:14])


DISPARITY_COLUMNS = [
    "group_by",
    "group",
    "reference",
    "metric",
    "value",
    "reference_value",
    "difference",
    "difference_lower",
    "difference_upper",
    "ratio",
    "ratio_lower",
    "ratio_upper",
    "p_value",
    "suppressed",
    "p_holm",
    "outside_band",
    "flagged",
]


def flag(df: pd.DataFrame, band: tuple[float, float], alpha: float) -> pd.DataFrame:
    """Add Holm-adjusted p-values over all unsuppressed tests, and the flags."""
    df = df.copy()
    p = df["p_value"].to_numpy(dtype=float).copy()
    p[df["suppressed"].to_numpy(dtype=bool)] = np.nan
    df["p_holm"] = holm(p)
    ratio = df["ratio"].to_numpy(dtype=float)
    df["outside_band"] = (ratio < band[0]) | (ratio > band[1])
    df["flagged"] = df["outside_band"] & (df["p_holm"] < alpha)
    hidden = df["suppressed"].to_numpy(dtype=bool)
    value_cols = [c for c in DISPARITY_COLUMNS[4:13]] + ["p_holm"]
    df.loc[hidden, value_cols] = np.nan
    df.loc[hidden, ["outside_band", "flagged"]] = False
    return df[DISPARITY_COLUMNS]
