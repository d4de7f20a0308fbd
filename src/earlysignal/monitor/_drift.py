"""Drift of the current cohort from the training cohort: features, factor families,
scores and bands, overall and within each audited group.

The measure is the population stability index (PSI) over bins of the training
values (deciles for numbers, the ten most common values for categories, missing
values in a bin of their own). A PSI's size under no drift depends on the number
of people, the number of bins and how lumpy a feature is, so no single threshold
(the customary 0.1 or 0.25) means the same for every feature. The thresholds here
are calibrated instead, against a null of no drift built by resampling people:

1. the reference is the training cohort at the as-of dates of the same time of
   year as the current date (seasonal features compared like with like);
2. a null draw takes one reference date, draws as many people as the current
   cohort holds from the people scored on it (with replacement; one row each), and
   compares them with the reference without that date, so that the null holds the
   date-to-date variation of a cohort that did not drift, not only sampling noise;
3. each item's PSI is divided by its mean under the null, and the alert threshold
   is the ``1 - alpha`` quantile over null draws of the largest such ratio over all
   items checked together (features, families, score and bands): a max-statistic
   correction, so that ``alpha`` bounds the chance of any false alert across many
   correlated features, not of each one.

An item alerts when its ratio passes the threshold and its PSI is also at least
``min_psi``, a shift large enough to matter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DriftSettings:
    """Calibration of the drift alerts.

    Attributes
    ----------
    n_null : int
        Null draws (resamples of people at reference dates).
    alpha : float
        Family-wise chance of a false alert over every item checked together.
    min_psi : float
        Smallest PSI that may alert (0.1 is customarily a moderate shift).
    bins : int
        Quantile bins of numeric features.
    seed : int
    """

    n_null: int = 200
    alpha: float = 0.05
    min_psi: float = 0.1
    bins: int = 10
    seed: int = 0


@dataclass(frozen=True)
class Item:
    """One thing whose distribution is compared: a column, or a family of them."""

    name: str
    kind: str  # "feature", "family", "score" or "band"
    family: str = ""


def codes(ref: pd.Series, cur: pd.Series, categorical: bool, bins: int
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """Bin codes of the reference and current values, and the number of bins.

    Examples
    --------
    >>> r, c, k = codes(pd.Series([1.0, 2, 3, 4, None]), pd.Series([9.0]), False, 2)
    >>> r.tolist(), c.tolist(), k
    ([0, 0, 1, 1, 2], [1], 3)
    """
    if categorical:
        r, c = ref.astype("string"), cur.astype("string")
        top = r.value_counts().index[:bins].tolist()
        lookup = {v: i for i, v in enumerate(top)}
        k = len(top) + 2  # the top values, "other", missing

        def code(s: pd.Series) -> np.ndarray:
            out = s.map(lookup).astype("Float64").fillna(len(top)).to_numpy(float)
            return np.where(s.isna().to_numpy(), k - 1, out).astype(np.int64)
        return code(r), code(c), k
    rv = pd.to_numeric(ref, errors="coerce").to_numpy(float)
    cv = pd.to_numeric(cur, errors="coerce").to_numpy(float)
    finite = rv[np.isfinite(rv)]
    qs = np.linspace(0, 1, bins + 1)[1:-1]
    edges = np.unique(np.quantile(finite, qs)) if len(finite) else np.zeros(0)
    k = len(edges) + 2

    def num(v: np.ndarray) -> np.ndarray:
        # bins (.., e1], (e1, e2], .., (e_last, ..): a lumpy count keeps its zeros
        # apart from the rest even when most quantiles are zero
        return np.where(np.isfinite(v), np.searchsorted(edges, v, side="left"), k - 1)
    return num(rv).astype(np.int64), num(cv).astype(np.int64), k


def psi(counts_a: np.ndarray, counts_b: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """PSI between histograms (last axis: bins), smoothed by half a row per bin.

    Examples
    --------
    >>> a = np.array([[50.0, 50.0]]); b = np.array([[50.0, 50.0]])
    >>> psi(a, b, np.ones((1, 2), bool)).round(6).tolist()
    [0.0]
    >>> float(psi(np.array([[90.0, 10.0]]), b, np.ones((1, 2), bool))[0]) > 0.5
    True
    """
    k = valid.sum(axis=-1, keepdims=True)
    pa = (counts_a + 0.5) / (counts_a.sum(-1, keepdims=True) + 0.5 * k)
    pb = (counts_b + 0.5) / (counts_b.sum(-1, keepdims=True) + 0.5 * k)
    return np.where(valid, (pa - pb) * np.log(pa / pb), 0.0).sum(axis=-1)


@dataclass
class _Binned:
    """Bin codes of every column, for the reference and current rows."""

    ref: np.ndarray  # (rows, columns) flat codes: column * kmax + bin
    cur: np.ndarray
    valid: np.ndarray  # (columns, kmax)
    kmax: int


def _bin_all(ref: pd.DataFrame, cur: pd.DataFrame, columns: Sequence[str],
             categorical: set[str], bins: int) -> _Binned:
    parts = [codes(ref[c], cur[c], c in categorical, bins) for c in columns]
    kmax = max(k for _, _, k in parts)
    off = np.arange(len(columns)) * kmax
    r = np.stack([p[0] for p in parts], axis=1) + off
    c = np.stack([p[1] for p in parts], axis=1) + off
    valid = np.arange(kmax)[None, :] < np.array([k for _, _, k in parts])[:, None]
    return _Binned(r, c, valid, kmax)


def _hist(flat: np.ndarray, n_cols: int, kmax: int,
          weights: np.ndarray | None = None) -> np.ndarray:
    if weights is not None:
        w = np.repeat(weights, flat.shape[1])
        return np.bincount(flat.ravel(), w, minlength=n_cols * kmax).reshape(n_cols,
                                                                                kmax)
    return np.bincount(flat.ravel(), minlength=n_cols * kmax).reshape(n_cols, kmax)


def psi_with_null(ref: pd.DataFrame, cur: pd.DataFrame, columns: Sequence[str],
                  categorical: set[str], settings: DriftSettings,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Observed PSI of each column, and its null draws (n_null x columns).

    ``ref`` needs an ``as_of`` column: null draws are people of one reference date
    compared with the reference without that date (see the module docstring).
    """
    b = _bin_all(ref, cur, columns, categorical, settings.bins)
    n_cols = len(columns)
    full = _hist(b.ref, n_cols, b.kmax)
    observed = psi(_hist(b.cur, n_cols, b.kmax), full, b.valid)
    dates = ref["as_of"].to_numpy()
    uniq = np.unique(dates)
    by_date = {d: np.flatnonzero(dates == d) for d in uniq}
    hist_d = {d: _hist(b.ref[i], n_cols, b.kmax) for d, i in by_date.items()}
    n = len(cur)
    null = np.empty((settings.n_null, n_cols))
    for i in range(settings.n_null):
        d = uniq[rng.integers(len(uniq))]
        rows = by_date[d]
        draw = np.bincount(rng.integers(0, len(rows), n), minlength=len(rows))
        sample = _hist(b.ref[rows], n_cols, b.kmax, draw.astype(float))
        rest = full - hist_d[d] if len(uniq) > 1 else full
        null[i] = psi(sample, rest, b.valid)
    return observed, null


def calibrate(observed: np.ndarray, null: np.ndarray, alpha: float
              ) -> tuple[np.ndarray, np.ndarray, float]:
    """Ratios to the null mean, their null draws' maximum's quantile.

    Returns the observed ratios, each item's null mean, and the threshold ``c``
    that the largest null ratio passes in a share ``alpha`` of draws.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> null = rng.chisquare(3, size=(2000, 5))
    >>> _, _, c = calibrate(np.zeros(5), null, 0.05)
    >>> bool(2.5 < c < 4.0)   # about the 99th percentile of chi2(3)/3
    True
    """
    mean = null.mean(axis=0)
    safe = np.where(mean > 0, mean, np.nan)
    ratios = null / safe
    c = float(np.nanquantile(np.nanmax(ratios, axis=1), 1 - alpha))
    return observed / safe, mean, c


def drift_table(ref: pd.DataFrame, cur: pd.DataFrame, items: Sequence[Item],
                families: Mapping[str, Sequence[str]], categorical: set[str],
                settings: DriftSettings, rng: np.random.Generator) -> pd.DataFrame:
    """PSI, its null mean, ratio and alert of each column item and family.

    Families are the mean PSI ratio of their features; they are calibrated in the
    same max-statistic with the columns.
    """
    columns = [it.name for it in items]
    observed, null = psi_with_null(ref, cur, columns, categorical, settings, rng)
    fam_names = [f for f in families if families[f]]
    idx = {c: i for i, c in enumerate(columns)}
    mean = null.mean(axis=0)
    safe = np.where(mean > 0, mean, np.nan)
    fam_obs = np.array([np.nanmean(observed[[idx[c] for c in families[f]]]
                                   / safe[[idx[c] for c in families[f]]])
                        for f in fam_names]) if fam_names else np.zeros(0)
    fam_null = np.stack([np.nanmean(null[:, [idx[c] for c in families[f]]]
                                    / safe[[idx[c] for c in families[f]]], axis=1)
                         for f in fam_names], axis=1) if fam_names else np.zeros(
        (len(null), 0))
    fam_psi = np.array([np.nanmean(observed[[idx[c] for c in families[f]]])
                        for f in fam_names])
    # a family's ratio is its features' mean ratio over that mean's own null mean
    ratios, _, c = calibrate(np.r_[observed, fam_obs], np.c_[null, fam_null],
                             settings.alpha)
    rows = [{"item": it.name, "kind": it.kind, "family": it.family} for it in items]
    rows += [{"item": f, "kind": "family", "family": f} for f in fam_names]
    out = pd.DataFrame(rows)
    out["psi"] = np.r_[observed, fam_psi]
    out["null_mean"] = np.r_[mean, np.full(len(fam_names), np.nan)]
    out["ratio"] = ratios
    out["threshold_ratio"] = c
    out["alert"] = (out["ratio"] > c) & (out["psi"] >= settings.min_psi)
    return out
