"""Performance at capacity: expected from calibrated scores before outcomes arrive
(confidence-based performance estimation), and realised once a horizon has closed.

Expected. If the scores are calibrated, a person with score ``p`` has the outcome
with probability ``p``. The outcomes of a cohort can then be simulated, each person
independently, and every figure the team cares about computed on each simulated
cohort: precision and recall among the top ``k`` the team can work with, and the
AUC. The mean over simulations is the expected figure and its 2.5th and 97.5th
percentiles the interval, which holds the chance in who has the outcome but
assumes the calibration still holds. That is the assumption NannyML's CBPE makes;
it is checked here wherever outcomes have since arrived (the realised figures sit
beside the expected ones for the same rows).

Realised. On rows whose horizon has closed, the same figures on the outcomes that
happened, with intervals that resample people (:mod:`earlysignal.bootstrap`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from earlysignal.bootstrap import (
    people,
    percentile_interval,
    person_draws,
    weighted_auc,
)
from earlysignal.model import Capacity


def selection(score: np.ndarray, k: int) -> np.ndarray:
    """Each row's place among the top ``k`` (1 above the boundary, a share of the
    remaining places when tied on it, 0 below).

    Examples
    --------
    >>> selection(np.array([0.9, 0.5, 0.5, 0.1]), 2).tolist()
    [1.0, 0.5, 0.5, 0.0]
    """
    score = np.asarray(score, dtype=float)
    k = min(k, len(score))
    if k <= 0:
        return np.zeros(len(score))
    boundary = np.sort(score)[::-1][k - 1]
    above = score > boundary
    tied = score == boundary
    out = above.astype(float)
    out[tied] = (k - above.sum()) / tied.sum()
    return out


def expected_performance(score: np.ndarray, capacity: str | int, *, draws: int = 1000,
                         seed: int = 0) -> dict[str, float]:
    """Expected precision and recall at capacity and AUC, with 95% intervals.

    Parameters
    ----------
    score : array
        Calibrated probabilities of the people scored at one date.
    capacity : str or int
        ``"5%"`` or a number of people.
    draws : int
        Simulated cohorts.
    seed : int

    Returns
    -------
    dict
        n, k, expected_positives, and for each of precision_at_k, recall_at_k, auc:
        the expected value, ``_lower`` and ``_upper``.

    Examples
    --------
    >>> s = np.r_[np.full(10, 0.9), np.full(90, 0.1)]
    >>> e = expected_performance(s, 10, draws=2000)
    >>> round(e["precision_at_k"], 1), round(e["expected_positives"], 1)
    (0.9, 18.0)
    """
    p = np.clip(np.asarray(score, dtype=float), 0.0, 1.0)
    n = len(p)
    k = Capacity.parse(capacity).k(n)
    sel = selection(p, k)
    rng = np.random.default_rng(seed)
    ranks = rankdata(p)
    out: dict[str, float] = {"n": float(n), "k": float(k),
                             "expected_positives": float(p.sum())}
    prec, rec, auc = [], [], []
    block = max(1, 5_000_000 // max(n, 1))
    for start in range(0, draws, block):
        y = rng.random((min(block, draws - start), n)) < p
        tp = y @ sel
        pos = y.sum(axis=1)
        prec.append(tp / max(k, 1))
        rec.append(np.where(pos > 0, tp / np.maximum(pos, 1), np.nan))
        u = y @ ranks - pos * (pos + 1) / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            auc.append(np.where((pos > 0) & (pos < n), u / (pos * (n - pos)), np.nan))
    for name, vals in (("precision_at_k", prec), ("recall_at_k", rec), ("auc", auc)):
        v = np.concatenate(vals)
        lo, hi = percentile_interval(v[:, None])
        out[name] = float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
        out[f"{name}_lower"], out[f"{name}_upper"] = float(lo[0]), float(hi[0])
    # precision is exact in expectation: the mean of the selected scores
    out["precision_at_k"] = float(sel @ p / max(k, 1))
    return out


def realised_performance(frame: pd.DataFrame, capacity: str | int, *,
                         n_boot: int = 500, seed: int = 0) -> dict[str, float]:
    """Precision and recall at capacity, AUC and calibration on realised outcomes.

    ``frame`` holds one as-of date's rows: ``person_id``, ``score``, ``label``
    (0/1). Intervals resample people.

    Returns
    -------
    dict
        n, k, positives, precision_at_k, recall_at_k, auc, observed_rate,
        mean_score, observed_over_expected; each figure with ``_lower``/``_upper``.

    Examples
    --------
    >>> f = pd.DataFrame({"person_id": list("abcdef"),
    ...                   "score": [0.9, 0.8, 0.3, 0.2, 0.1, 0.05],
    ...                   "label": [1, 0, 1, 0, 0, 0]})
    >>> r = realised_performance(f, 2, n_boot=50)
    >>> r["precision_at_k"], r["recall_at_k"], r["auc"]
    (0.5, 0.5, 0.875)
    """
    s = frame["score"].to_numpy(float)
    y = frame["label"].to_numpy(float)
    n = len(s)
    k = Capacity.parse(capacity).k(n)
    sel = selection(s, k)
    one = np.ones((1, n))
    point = _figures(s, y, sel, one)
    who = people(frame["person_id"].to_numpy())
    reps = [
        _figures(s, y, sel, d[:, who.codes])
        for d in person_draws(who, n_boot, np.random.default_rng(seed))
    ]
    out: dict[str, float] = {"n": float(n), "k": float(k), "positives": float(y.sum())}
    for name, value in point.items():
        out[name] = float(value[0])
        both = np.concatenate([r[name] for r in reps]) if reps else np.zeros(0)
        lo, hi = percentile_interval(both[:, None])
        out[f"{name}_lower"], out[f"{name}_upper"] = float(lo[0]), float(hi[0])
    return out


def _figures(s: np.ndarray, y: np.ndarray, sel: np.ndarray, w: np.ndarray
             ) -> dict[str, np.ndarray]:
    """Figures under row weights ``w`` (resamples x rows); the selection is the one
    the team made, held fixed."""
    with np.errstate(invalid="ignore", divide="ignore"):
        tp = w @ (sel * y)
        chosen = w @ sel
        pos = w @ y
        total = w.sum(axis=1)
        return {"precision_at_k": tp / chosen, "recall_at_k": tp / pos,
                "auc": weighted_auc(s, y, w), "observed_rate": pos / total,
                "mean_score": (w @ s) / total,
                "observed_over_expected": pos / (w @ s)}
