"""Warnings, in words, about test folds whose numbers should not be trusted as they are.

A fold is degenerate when its model learned almost nothing (training kept only a
handful of boosting rounds), when its scores are too coarse to choose the people a
team can work with (fewer distinct scores than places), or when people tied at the
cut decide a visible part of the precision at capacity. Each warning names the fold
and its test dates, and quotes the numbers behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.model._folds import Fold
from earlysignal.model._metrics import Capacity, capacity_metrics

__all__ = ["fitted_rounds", "fold_warnings"]

#: Fewer boosting rounds than this (at learning rate 0.05, a score that has moved
#: only a few per cent of the way from the base rate) make a fold's model suspect.
FEW_ROUNDS = 10


def fitted_rounds(model: Any) -> tuple[int, int] | None:
    """Boosting rounds a fitted model kept, and the most it could have kept.

    Looks through a calibration wrapper (``estimator_``); None for an estimator
    without boosting rounds.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fitted_rounds(NS(estimator_=NS(best_iteration_=4, n_estimators=1000)))
    (4, 1000)
    >>> fitted_rounds(NS()) is None
    True
    """
    est = getattr(model, "estimator_", model)
    rounds = getattr(est, "best_iteration_", None)
    if rounds is None:
        return None
    return int(rounds), int(getattr(est, "n_estimators", rounds) or rounds)


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _when(fold: Fold) -> str:
    start = fold.test_start.date().isoformat()
    if fold.test_end == fold.test_start:
        return f"fold {fold.index} (test {start})"
    return f"fold {fold.index} (test {start} to {fold.test_end.date().isoformat()})"


def fold_warnings(
    scores: pd.DataFrame,
    folds: Sequence[Fold],
    rounds: Mapping[int, tuple[int, int] | None],
    capacity: str | int | Capacity,
    groups: np.ndarray,
    column: str = "model",
) -> list[str]:
    """Sentences about degenerate test folds of the ``column`` score.

    Parameters
    ----------
    scores : DataFrame
        fold, label and the score ``column``, one row per test row.
    folds : list of Fold
    rounds : mapping
        Fold index -> (rounds kept, most rounds allowed), see :func:`fitted_rounds`.
    capacity : str, int or Capacity
    groups : array
        The decision round of each row of ``scores`` (capacity applies per round).

    Examples
    --------
    >>> from earlysignal.model._folds import temporal_folds
    >>> dates = pd.to_datetime(["2021-09-01"] * 5 + ["2022-09-01"] * 5)
    >>> fold = temporal_folds(pd.Series(dates), horizon="12m")[0]
    >>> s = pd.DataFrame({"fold": 0, "label": [1, 0, 1, 0, 1],
    ...                   "model": [.5, .5, .5, .1, .1]})
    >>> for w in fold_warnings(s, [fold], {0: (3, 1000)}, 4, np.zeros(5)):
    ...     print(w)  # doctest: +NORMALIZE_WHITESPACE
    fold 0 (test 2022-09-01): training kept only 3 of up to 1000 boosting rounds
    (early stopping found no later improvement), so its model is close to a constant
    score; its metrics say little about the model.
    fold 0 (test 2022-09-01): the model gave 2 distinct scores to 5 rows, fewer than
    the 4 places at capacity 4: the score is too coarse to rank the people a team
    would work with.
    fold 0 (test 2022-09-01): 2 rows share the score at the cut for 1 remaining
    place, so precision at capacity 4 lies between 0.500 and 0.750 depending on who
    is picked (0.625 expected).
    """
    cap = Capacity.parse(capacity)
    out: list[str] = []
    for fold in folds:
        mask = (scores["fold"] == fold.index).to_numpy()
        if not mask.any():
            continue
        where = _when(fold)
        kept = rounds.get(fold.index)
        if kept is not None and kept[0] < FEW_ROUNDS:
            out.append(_rounds_sentence(where, *kept))
        y = scores["label"].to_numpy()[mask]
        s = scores[column].to_numpy(dtype=float)[mask]
        g = np.asarray(groups)[mask]
        out += _ranking_sentences(where, y, s, g, cap)
    return out


def _rounds_sentence(where: str, kept: int, most: int) -> str:
    why = ("(early stopping found no later improvement)" if kept < most
           else "(the most it was allowed)")
    return (f"{where}: training kept only {kept} of up to {most} boosting rounds "
            f"{why}, so its model is close to a constant score; its metrics say "
            "little about the model.")


def _ranking_sentences(where: str, y: np.ndarray, s: np.ndarray, g: np.ndarray,
                       cap: Capacity) -> list[str]:
    out = []
    if len(np.unique(y)) < 2:
        kind = "escalation" if y.sum() else "row without an escalation"
        out.append(f"{where}: no {kind} among its {len(y):,} test rows, so its AUC "
                   "is undefined.")
    k = [cap.k(int((g == r).sum())) for r in np.unique(g)]
    distinct = len(np.unique(s))
    if distinct < max(k):
        out.append(f"{where}: the model gave {_n(distinct, 'distinct score')} to "
                   f"{_n(len(s), 'row')}, fewer than the {max(k):,} places at capacity "
                   f"{cap.label}: the score is too coarse to rank the people a team "
                   "would work with.")
    m = capacity_metrics(y, s, cap, g)
    if m["precision_at_k_best"] - m["precision_at_k_worst"] > 1e-9:
        tied, slots = _tied_at_cut(s, g, cap)
        out.append(f"{where}: {tied:,} rows share the score at the cut for "
                   f"{_n(slots, 'remaining place')}, so precision at capacity {cap.label} lies "
                   f"between {m['precision_at_k_worst']:.3f} and "
                   f"{m['precision_at_k_best']:.3f} depending on who is picked "
                   f"({m['precision_at_k']:.3f} expected).")
    return out


def _tied_at_cut(s: np.ndarray, g: np.ndarray, cap: Capacity) -> tuple[int, int]:
    """Rows tied at each round's cut, and the places left for them, summed."""
    tied = slots = 0
    for r in np.unique(g):
        part = s[g == r]
        k = cap.k(len(part))
        if k == 0:
            continue
        boundary = np.sort(part)[::-1][k - 1]
        n_tied = int((part == boundary).sum())
        left = k - int((part > boundary).sum())
        if n_tied > left:
            tied, slots = tied + n_tied, slots + left
    return tied, slots
