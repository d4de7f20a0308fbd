"""Scores of a risk score: ranking, probability quality, and results at capacity.

At capacity a team can work with ``k`` people per as-of date. When several people
share the score at the boundary, who is picked is arbitrary, so precision and
recall at ``k`` are reported three ways: worst case (the tied people picked are
all non-escalations), best case, and expected under random tie-breaking.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from earlysignal.errors import EarlysignalError

__all__ = [
    "Capacity",
    "calibration_table",
    "capacity_curve",
    "capacity_metrics",
    "caught_at_k",
    "classification_metrics",
    "expected_calibration_error",
]

_EPS = 1e-15


@dataclass(frozen=True)
class Capacity:
    """How many people a team can work with per as-of date: a count or a share.

    Examples
    --------
    >>> Capacity.parse("5%").k(1000), Capacity.parse(40).k(1000), Capacity.parse("5%").label
    (50, 40, '5%')
    """

    count: int | None = None
    fraction: float | None = None

    @classmethod
    def parse(cls, value: str | int | float | Capacity) -> Capacity:
        if isinstance(value, Capacity):
            return value
        text = str(value).strip()
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*%", text)
        if m and 0 < float(m[1]) <= 100:
            return cls(fraction=float(m[1]) / 100)
        if re.fullmatch(r"\d+", text) and int(text) > 0:
            return cls(count=int(text))
        if isinstance(value, float) and 0 < value < 1:
            return cls(fraction=float(value))
        raise EarlysignalError(
            f"capacity {value!r} is neither a count nor a percentage. Fix: give a "
            "whole number of people such as 50, or a share of the cohort such as '5%'"
        )

    def k(self, n: int) -> int:
        """People worked with out of ``n`` (a share rounds half up, at least 1)."""
        if self.count is not None:
            return min(self.count, n)
        assert self.fraction is not None
        return min(n, max(1, math.floor(self.fraction * n + 0.5))) if n else 0

    @property
    def label(self) -> str:
        if self.count is not None:
            return str(self.count)
        assert self.fraction is not None
        return f"{self.fraction * 100:g}%"


def caught_at_k(
    y: ArrayLike, score: ArrayLike, k: int
) -> tuple[float, float, float]:
    """Escalations among the top ``k`` by score: (worst, best, expected).

    Everyone strictly above the boundary score is picked; the remaining places go
    to people tied at the boundary score, who are all non-escalations in the worst
    case, all escalations (as far as there are some) in the best case, and in
    proportion in expectation.

    Examples
    --------
    >>> caught_at_k([1, 0, 1, 0, 0], [0.9, 0.5, 0.5, 0.5, 0.1], 2)
    (1.0, 2.0, 1.3333333333333333)
    """
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    if k <= 0 or len(y) == 0:
        return 0.0, 0.0, 0.0
    k = min(k, len(y))
    boundary = np.sort(score)[::-1][k - 1]
    above = score > boundary
    tied = score == boundary
    pos_above = float(y[above].sum())
    slots = k - int(above.sum())
    n_tied = int(tied.sum())
    pos_tied = float(y[tied].sum())
    worst = pos_above + max(0.0, slots - (n_tied - pos_tied))
    best = pos_above + min(float(slots), pos_tied)
    expected = pos_above + slots * pos_tied / n_tied
    return worst, best, expected


def capacity_metrics(
    y: ArrayLike,
    score: ArrayLike,
    capacity: str | int | Capacity,
    groups: ArrayLike | None = None,
) -> dict[str, float]:
    """Precision, recall and escalations caught at capacity, summed over groups.

    ``groups`` (usually the as-of date) are treated as separate decision rounds: in
    each, ``k`` is taken from that group's size.

    Examples
    --------
    >>> m = capacity_metrics([1, 0, 1, 0, 0], [0.9, 0.5, 0.5, 0.5, 0.1], 2)
    >>> m["precision_at_k"], m["precision_at_k_worst"], m["recall_at_k_best"]
    (0.6666666666666666, 0.5, 1.0)
    """
    cap = Capacity.parse(capacity)
    y = np.asarray(y, dtype=float)
    score = np.asarray(score, dtype=float)
    keys = np.zeros(len(y)) if groups is None else np.asarray(groups)
    frame = pd.DataFrame({"y": y, "s": score, "g": keys})
    k_total, worst, best, expected = 0, 0.0, 0.0, 0.0
    for _, part in frame.groupby("g", sort=True):
        k = cap.k(len(part))
        w, b, e = caught_at_k(part["y"].to_numpy(), part["s"].to_numpy(), k)
        k_total += k
        worst, best, expected = worst + w, best + b, expected + e
    positives = float(y.sum())
    out: dict[str, float] = {"k": float(k_total)}
    for name, caught in (("", expected), ("_worst", worst), ("_best", best)):
        out[f"caught_at_k{name}"] = caught
        out[f"precision_at_k{name}"] = caught / k_total if k_total else math.nan
        out[f"recall_at_k{name}"] = caught / positives if positives else math.nan
    return out


def classification_metrics(
    y: ArrayLike, p: ArrayLike
) -> dict[str, float]:
    """ROC AUC, average precision, Brier score and log loss (NaN if one class).

    Examples
    --------
    >>> m = classification_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["auc"], round(m["brier"], 4)
    (0.75, 0.1581)
    """
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    out = {"n": float(len(y)), "n_positive": float(y.sum()),
           "base_rate": float(y.mean()) if len(y) else math.nan}
    both = len(np.unique(y)) == 2
    out["auc"] = float(roc_auc_score(y, p)) if both else math.nan
    out["average_precision"] = float(average_precision_score(y, p)) if both \
        else math.nan
    out["brier"] = float(brier_score_loss(y, p)) if len(y) else math.nan
    out["log_loss"] = float(log_loss(y, p, labels=[0, 1])) if len(y) else math.nan
    return out


def _bins(p: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    if strategy == "quantile":
        # rank-based so that equal scores share a bin and bins are near-equal in size
        ranks = pd.Series(p).rank(method="min").to_numpy() - 1
        return np.minimum((ranks * n_bins / len(p)).astype(int), n_bins - 1)
    if strategy == "uniform":
        return np.minimum((p * n_bins).astype(int), n_bins - 1)
    raise EarlysignalError(
        f"strategy must be 'quantile' or 'uniform', got {strategy!r}"
    )


def calibration_table(
    y: ArrayLike,
    p: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: str = "quantile",
) -> pd.DataFrame:
    """Mean score against observed rate per bin (deciles of score by default).

    Columns: bin, n, score_min, score_max, mean_score, observed_rate, gap
    (observed - mean score), weight (share of rows).

    Examples
    --------
    >>> calibration_table([0, 1, 0, 1], [0.2, 0.2, 0.6, 0.6], n_bins=2)[
    ...     ["bin", "n", "mean_score", "observed_rate", "gap"]]
       bin  n  mean_score  observed_rate  gap
    0    0  2         0.2            0.5  0.3
    1    1  2         0.6            0.5 -0.1
    """
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    columns = ["bin", "n", "score_min", "score_max", "mean_score", "observed_rate",
               "gap", "weight"]
    if len(y) == 0:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame({"bin": _bins(p, n_bins, strategy), "y": y, "p": p})
    table = frame.groupby("bin").agg(
        n=("y", "size"), score_min=("p", "min"), score_max=("p", "max"),
        mean_score=("p", "mean"), observed_rate=("y", "mean"),
    ).reset_index()
    table["gap"] = table["observed_rate"] - table["mean_score"]
    table["weight"] = table["n"] / len(y)
    return table[columns]


def expected_calibration_error(
    y: ArrayLike,
    p: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: str = "uniform",
) -> float:
    """Share-weighted mean of |observed rate - mean score| over bins of score.

    By default 10 equal-width bins on [0, 1], each weighted by its share of the
    rows: the definition the fairness audit uses, so that an ECE means the same in
    every report. ``strategy="quantile"`` bins by deciles of score instead.

    Examples
    --------
    >>> expected_calibration_error([0, 1, 0, 1], [0.2, 0.2, 0.6, 0.6], n_bins=2)
    0.2
    """
    table = calibration_table(y, p, n_bins=n_bins, strategy=strategy)
    if table.empty:
        return math.nan
    return round(float((table["weight"] * table["gap"].abs()).sum()), 15)


def capacity_curve(
    y: ArrayLike,
    score: ArrayLike,
    groups: ArrayLike | None = None,
    percents: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Expected precision and recall when working with 0-20% of each cohort.

    Examples
    --------
    >>> capacity_curve([1, 0, 0, 0], [0.9, 0.1, 0.2, 0.3], percents=[25, 50])[
    ...     ["percent", "k", "precision", "recall"]]
       percent    k  precision  recall
    0     25.0  1.0        1.0     1.0
    1     50.0  2.0        0.5     1.0
    """
    percents = list(percents) if percents is not None else [
        float(x) for x in np.arange(0.5, 20.01, 0.5)]
    rows = []
    for pct in percents:
        m = capacity_metrics(y, score, Capacity(fraction=pct / 100), groups)
        rows.append({"percent": float(pct), "k": m["k"], "caught": m["caught_at_k"],
                     "precision": m["precision_at_k"], "recall": m["recall_at_k"],
                     "precision_worst": m["precision_at_k_worst"],
                     "precision_best": m["precision_at_k_best"]})
    return pd.DataFrame(rows)
