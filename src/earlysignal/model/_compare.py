"""Paired person-level bootstrap of the headline metrics of several scores.

The model, the baselines and the oracle score the same test rows, so their metrics
are compared on the same resamples: each resample draws people (a person recurs at
many as-of dates and carries all their rows, see :mod:`earlysignal.bootstrap`), and
every score's AUC and precision at capacity are computed on the same resampled rows.
A difference is then judged by the percentile interval of its replicates, which
keeps the pairing (a hard resample is hard for every score).

Precision at capacity is recomputed inside each resample as the evaluation computes
it: per decision round (as-of date), ``k`` is taken from the round's resampled size
and the top ``k`` re-chosen by score, rows tied at the cut sharing the remaining
places (the expected value under random tie-breaking).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from earlysignal.bootstrap import (
    People,
    people,
    percentile_interval,
    person_draws,
    person_sums,
    weighted_auc,
)
from earlysignal.model._metrics import Capacity

__all__ = ["PairedReplicates", "paired_replicates"]

#: The metrics a verdict rests on.
COMPARED = ("auc", "precision_at_k")

# Entries of a block of row weights: 4M float64 is 32 MB, small enough to keep the
# peak memory low and large enough for each block to be a few fast array passes.
_BLOCK_ENTRIES = 4_000_000


@dataclass(frozen=True)
class PairedReplicates:
    """Point estimates and paired bootstrap replicates of each score's metrics.

    Attributes
    ----------
    models : list of str
    point : dict
        Metric -> array (models,): the metric on the rows as they are.
    draws : dict
        Metric -> array (n_boot, models): the metric on each resample of people.
    n_rows, n_people : int
    level : float
        Coverage of the intervals (0.95).
    """

    models: list[str]
    point: dict[str, np.ndarray]
    draws: dict[str, np.ndarray]
    n_rows: int
    n_people: int
    level: float = 0.95

    def difference(self, a: str, b: str, metric: str) -> tuple[float, float, float]:
        """``metric`` of ``a`` minus that of ``b``: (estimate, lower, upper).

        Examples
        --------
        >>> r = paired_replicates(np.array([0, 1, 0, 1]), {
        ...     "a": np.array([0.1, 0.9, 0.2, 0.8]), "b": np.array([0.9, 0.1, 0.2, 0.8])},
        ...     ["p", "q", "r", "s"], np.zeros(4), "50%", n_boot=20)
        >>> r.difference("a", "b", "auc")[0]
        0.75
        """
        i, j = self.models.index(a), self.models.index(b)
        est = float(self.point[metric][i] - self.point[metric][j])
        reps = self.draws[metric][:, i] - self.draws[metric][:, j]
        lo, hi = percentile_interval(reps[:, None], self.level)
        return est, float(lo[0]), float(hi[0])

    def table(self, reference: str) -> pd.DataFrame:
        """Tidy intervals: model, metric, value, lower, upper, and the difference.

        ``difference`` is the ``reference`` score's value minus this row's, with
        ``difference_lower`` and ``difference_upper`` its interval (zero for the
        reference itself, which is not compared with itself).
        """
        rows = []
        for metric in self.point:
            lo, hi = percentile_interval(self.draws[metric], self.level)
            for i, name in enumerate(self.models):
                d = (self.difference(reference, name, metric) if name != reference
                     else (np.nan, np.nan, np.nan))
                rows.append({"model": name, "metric": metric,
                             "value": float(self.point[metric][i]),
                             "lower": float(lo[i]), "upper": float(hi[i]),
                             "difference": d[0], "difference_lower": d[1],
                             "difference_upper": d[2]})
        return pd.DataFrame(rows)


def paired_replicates(
    y: np.ndarray,
    scores: Mapping[str, np.ndarray],
    person_ids: Sequence[object] | np.ndarray,
    rounds: np.ndarray,
    capacity: str | int | Capacity,
    *,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> PairedReplicates:
    """AUC and precision at capacity of every score, on the same resamples of people.

    Parameters
    ----------
    y : array of 0/1
    scores : mapping
        Name -> scores of the same rows (no missing values).
    person_ids : array-like
        The person of each row.
    rounds : array-like
        The decision round of each row (the as-of date): capacity applies per round.
    capacity : str, int or Capacity
    n_boot : int
        Resamples (0: point estimates only, intervals undefined).
    seed : int
    level : float

    Examples
    --------
    >>> r = paired_replicates(np.array([1, 0, 1, 0]), {"s": np.array([.9, .5, .5, .1])},
    ...                       ["a", "b", "c", "d"], np.zeros(4), 2, n_boot=10)
    >>> float(r.point["auc"][0]), float(r.point["precision_at_k"][0])
    (0.875, 0.75)
    """
    y = np.asarray(y, dtype=float)
    cap = Capacity.parse(capacity)
    names = list(scores)
    who = people(person_ids)
    codes, _ = pd.factorize(pd.Series(np.asarray(rounds)), sort=True)
    by_round = person_sums(who, codes, int(codes.max()) + 1 if len(codes) else 0)
    ranked = [_Ranked(np.asarray(scores[n], dtype=float), y, codes) for n in names]
    point = _metrics(ranked, y, who, by_round, np.ones((1, who.n)), cap)
    block = max(1, _BLOCK_ENTRIES // max(len(y), 1))
    parts = [_metrics(ranked, y, who, by_round, draw, cap)
             for draw in person_draws(who, n_boot, np.random.default_rng(seed),
                                      block=block)]
    draws = {m: (np.concatenate([p[m] for p in parts]) if parts
                 else np.empty((0, len(names)))) for m in COMPARED}
    return PairedReplicates(names, {m: point[m][0] for m in COMPARED}, draws,
                            n_rows=len(y), n_people=who.n, level=level)


class _Ranked:
    """One score's rows, highest first within each round; equal scores form a block."""

    def __init__(self, score: np.ndarray, y: np.ndarray, codes: np.ndarray) -> None:
        self.score = score
        order = np.lexsort((-score, codes))
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        self.rounds = []
        for idx in np.split(order, bounds):
            starts = np.flatnonzero(np.r_[True, np.diff(score[idx]) != 0])
            self.rounds.append((int(codes[idx[0]]), idx, starts, y[idx]))


def _metrics(ranked: Sequence[_Ranked], y: np.ndarray, who: People,
             by_round: sparse.csr_matrix, draw: np.ndarray, cap: Capacity
             ) -> dict[str, np.ndarray]:
    """Both metrics of every score for each row of ``draw`` (b, people)."""
    w = draw[:, who.codes]
    sizes = np.rint(np.asarray(draw @ by_round)).astype(np.int64)
    k = np.vectorize(cap.k, otypes=[np.int64])(sizes) if sizes.size else sizes
    auc = np.column_stack([weighted_auc(r.score, y, w) for r in ranked])
    prec = np.column_stack([_precision_at_capacity(r, draw, who.codes, k)
                            for r in ranked])
    return {"auc": auc, "precision_at_k": prec}


def _precision_at_capacity(r: _Ranked, draw: np.ndarray, codes: np.ndarray,
                           k: np.ndarray) -> np.ndarray:
    """Expected precision at capacity for each row of ``draw``; ``k`` is (b, rounds)."""
    b = len(draw)
    caught = np.zeros(b)
    for code, idx, starts, y in r.rounds:
        kr = k[:, code].astype(float)
        caught += _caught_in_round(draw, codes[idx], starts, y, kr)
    k_total = k.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k_total > 0, caught / np.where(k_total > 0, k_total, 1), np.nan)


def _caught_in_round(draw: np.ndarray, person: np.ndarray, starts: np.ndarray,
                     y: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Expected escalations among the top ``k`` of one round, per resample.

    Only the top of the list can be picked: the rows are read from the top in
    growing prefixes (whole tie blocks) until every resample's cut lies inside.
    """
    rows = np.arange(len(draw))
    n = len(person)
    m = min(n, int(2 * k.max()) + 64)
    while True:
        n_blocks = int(np.searchsorted(starts, m, side="left"))
        # the prefix ends on a block boundary: where the next block starts, or at
        # the end of the round when the last block began inside it (a block cut
        # short would share its places among the rows that happen to come first)
        m = int(starts[n_blocks]) if n_blocks < len(starts) else n
        w = draw[:, person[:m]]
        count = np.add.reduceat(w, starts[:n_blocks], axis=1)
        pos = np.add.reduceat(w * y[:m], starts[:n_blocks], axis=1)
        c_cum = np.cumsum(count, axis=1)
        if m >= n or (c_cum[:, -1] >= k).all():
            break
        m = min(n, 2 * m)
    p_cum = np.cumsum(pos, axis=1)
    # the tie block at the cut: the first whose cumulative count reaches k
    j = np.minimum((c_cum < k[:, None]).sum(axis=1), count.shape[1] - 1)
    c_before = np.where(j > 0, c_cum[rows, j - 1], 0.0)
    p_before = np.where(j > 0, p_cum[rows, j - 1], 0.0)
    c_cut, p_cut = count[rows, j], pos[rows, j]
    share = np.divide(p_cut, c_cut, out=np.zeros_like(p_cut), where=c_cut > 0)
    return np.where(k > 0, p_before + (k - c_before) * share, 0.0)
