"""Person-level bootstrap: resample people, not rows.

A scheduled cohort holds each person at many as-of dates (8 on the demo's quarterly
schedule), and a person's rows share their history, characteristics and often their
label, so rows are not independent: resampling rows gives intervals that are too
narrow and tests that flag differences that are not there. Every interval and p-value
in earlysignal resamples **people** (stratified by a per-person stratum, usually the
audited group), carrying all their rows. One row per person is the special case in
which this is the ordinary row bootstrap.

Resamples come in blocks of per-person multiplicities (how many times each person was
drawn). A statistic that is a sum over rows is then a matrix product of a block with
the person-by-key sums of the rows (:func:`person_sums`), never a DataFrame per
resample: 1,000 resamples of 200,000 people are a few (1,000 x 200,000) products.

This module sits beside :mod:`earlysignal.errors` and imports nothing of ours, so that
every room (model, fairness, impact, monitor) uses the same resampling.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

__all__ = [
    "BLOCK_ENTRIES",
    "People",
    "people",
    "person_draws",
    "person_sums",
    "weighted_auc",
    "percentile_interval",
]

# Entries per block of draws: 20M float64 is 160 MB, a bound that keeps the peak
# memory of a 1M-row audit small while each block is still one fast product.
BLOCK_ENTRIES = 20_000_000


@dataclass(frozen=True)
class People:
    """Who each row belongs to, and each person's stratum.

    Attributes
    ----------
    codes : ndarray of int
        Person code (0 .. n-1) of each row.
    n : int
        Number of distinct people.
    strata : ndarray of int
        Stratum code of each person (all zero when unstratified).
    """

    codes: np.ndarray
    n: int
    strata: np.ndarray

    @property
    def rows(self) -> int:
        """Number of rows."""
        return len(self.codes)


def people(ids: Any, strata: Any | None = None) -> People:
    """Index the rows of a table by person, optionally with a stratum per row.

    Parameters
    ----------
    ids : array-like
        One person identifier per row (people recur at many as-of dates).
    strata : array-like, optional
        One stratum value per row, e.g. the audited group. A person whose rows fall
        in several strata (a characteristic that changed over time) is placed in the
        stratum of their first row, so that each person is drawn from one stratum.

    Examples
    --------
    >>> p = people(["a", "b", "a", "c"], strata=["x", "y", "x", "y"])
    >>> p.codes.tolist(), p.n, p.strata.tolist()
    ([0, 1, 0, 2], 3, [0, 1, 1])
    """
    codes, uniques = pd.factorize(pd.Series(ids), sort=False)
    if (codes < 0).any():
        raise ValueError("person ids must not be missing")
    n = len(uniques)
    if strata is None:
        return People(codes.astype(np.int64), n, np.zeros(n, dtype=np.int64))
    s_codes, _ = pd.factorize(pd.Series(strata), sort=True, use_na_sentinel=False)
    first = np.full(n, -1, dtype=np.int64)
    # reversed assignment leaves each person's first row's stratum in place
    first[codes[::-1]] = s_codes[::-1]
    return People(codes.astype(np.int64), n, first)


def person_draws(
    who: People, n_boot: int, rng: np.random.Generator, block: int | None = None
) -> Iterator[np.ndarray]:
    """Yield blocks of bootstrap multiplicities per person, shape (b, n_people).

    Within each stratum of ``n_s`` people, ``n_s`` people are drawn with replacement,
    so every resample keeps each stratum's number of people.

    Parameters
    ----------
    who : People
    n_boot : int
        Total number of resamples, over all blocks.
    rng : numpy Generator
    block : int, optional
        Resamples per block (default: as many as fit in about 160 MB).

    Examples
    --------
    >>> who = people(["a", "b", "a", "c"])
    >>> blocks = list(person_draws(who, 5, np.random.default_rng(0)))
    >>> [b.shape for b in blocks], [float(s) for s in blocks[0].sum(axis=1)]
    ([(5, 3)], [3.0, 3.0, 3.0, 3.0, 3.0])
    """
    if block is None:
        block = max(1, min(n_boot, BLOCK_ENTRIES // max(who.n, 1)))
    members = _stratum_members(who.strata)
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        out = np.zeros((b, who.n))
        for idx in members:
            n_s = len(idx)
            pick = rng.integers(0, n_s, size=(b, n_s))
            flat = (np.arange(b)[:, None] * n_s + pick).ravel()
            out[:, idx] = np.bincount(flat, minlength=b * n_s).reshape(b, n_s)
        done += b
        yield out


def _stratum_members(strata: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(strata, kind="stable")
    bounds = np.flatnonzero(np.diff(strata[order])) + 1
    return [g for g in np.split(order, bounds) if len(g)]


def person_sums(
    who: People,
    keys: np.ndarray,
    n_keys: int,
    values: np.ndarray | None = None,
) -> sparse.csr_matrix:
    """Per-person sums of ``values`` (default 1) of their rows, by key.

    A block of draws ``D`` (b x people) times this matrix (people x keys) gives each
    resample's sums by key: ``D @ person_sums(...)``.

    Examples
    --------
    >>> who = people(["a", "b", "a"])
    >>> m = person_sums(who, np.array([0, 1, 1]), 2)
    >>> m.toarray().tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    >>> (np.array([[2.0, 0.0]]) @ m).tolist()   # person a drawn twice
    [[2.0, 2.0]]
    """
    vals = np.ones(who.rows) if values is None else np.asarray(values, dtype=float)
    return sparse.csr_matrix(
        (vals, (who.codes, np.asarray(keys, dtype=np.int64))), shape=(who.n, n_keys)
    )


def weighted_auc(
    scores: np.ndarray, labels: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """ROC AUC of each row of ``weights`` (resample multiplicities of the rows).

    Ties count one half, as in the Mann-Whitney statistic. ``weights`` has shape
    (b, n_rows); with all weights 1 this is the ordinary AUC.

    Examples
    --------
    >>> s = np.array([0.1, 0.4, 0.35, 0.8]); y = np.array([0, 0, 1, 1])
    >>> weighted_auc(s, y, np.ones((1, 4))).tolist()
    [0.75]
    >>> weighted_auc(s, y, np.array([[1.0, 0.0, 1.0, 1.0]])).tolist()
    [1.0]
    """
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], labels[order].astype(float)
    w = np.atleast_2d(weights)[:, order]
    starts = np.flatnonzero(np.r_[True, np.diff(s) != 0])
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * (1 - y), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    u = (pos * (below + 0.5 * neg)).sum(axis=1)
    total = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, u / np.where(total > 0, total, 1), np.nan)


def percentile_interval(
    replicates: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over replicates (axis 0), ignoring undefined ones.

    Examples
    --------
    >>> lo, hi = percentile_interval(np.arange(101.0)[:, None])
    >>> round(float(lo[0]), 6), round(float(hi[0]), 6)
    (2.5, 97.5)
    """
    tail = (1 - level) / 2 * 100
    if replicates.shape[0] == 0:
        empty = np.full(replicates.shape[1:], np.nan)
        return empty, empty.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(replicates, [tail, 100 - tail], axis=0)
    return lo, hi
