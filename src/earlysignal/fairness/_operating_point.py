"""Operating points: who is selected, as a probability per row.

A threshold selects every row with ``score >= threshold``. A capacity ``k`` selects the
k highest scores; when several rows tie on the score at the k-th place, only some of
them fit, and which ones is arbitrary. Rather than pick by row order (which would make
group metrics depend on how the file happens to be sorted), each tied row is counted
as selected with probability (places left) / (rows tied): the expected value of every
count under random tie-breaking. Metrics are then expected values too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class OperatingPoint:
    """Where the line is drawn in one set of scores.

    ``boundary`` is the lowest score with any chance of selection: rows above it are
    selected, rows on it are selected with probability ``tie_fraction``.
    """

    kind: str  # "threshold" or "top"
    boundary: float
    tie_fraction: float
    capacity: float  # expected number selected
    tied: int  # rows sharing the boundary score (0 for a threshold)
    n: int

    def describe(self) -> str:
        if self.kind == "threshold":
            return (
                f"selected when score >= {self.boundary:g}: "
                f"{self.capacity:,.0f} of {self.n:,} people"
            )
        text = f"top {self.capacity:,.0f} of {self.n:,} people by score"
        if 0 < self.tie_fraction < 1:
            text += (
                f"; {self.tied} people tie at score {self.boundary:g} for the last "
                f"{self.tie_fraction * self.tied:.0f} places, so each is counted as "
                f"{self.tie_fraction:.4g} selected (the expected value under random "
                "tie-breaking)"
            )
        return text

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "description": self.describe()}


def at_threshold(scores: np.ndarray, threshold: float) -> OperatingPoint:
    """Select ``score >= threshold``.

    Examples
    --------
    >>> op = at_threshold(np.array([0.1, 0.5, 0.9]), 0.5)
    >>> op.capacity, op.describe()
    (2.0, 'selected when score >= 0.5: 2 of 3 people')
    """
    return OperatingPoint(
        kind="threshold",
        boundary=float(threshold),
        tie_fraction=1.0,
        capacity=float(np.sum(scores >= threshold)),
        tied=0,
        n=len(scores),
    )


def at_capacity(scores: np.ndarray, k: float) -> OperatingPoint:
    """Select the ``k`` highest scores, sharing the last places among tied rows.

    ``k`` may be fractional (used when matching another policy's expected capacity).

    Examples
    --------
    >>> op = at_capacity(np.array([0.9, 0.5, 0.5, 0.5, 0.1]), 2)
    >>> op.boundary, round(op.tie_fraction, 4), op.tied
    (0.5, 0.3333, 3)
    """
    n = len(scores)
    k = float(min(max(k, 0.0), n))
    if n == 0 or k == 0:
        top = float(np.max(scores)) if n else 0.0
        return OperatingPoint("top", np.nextafter(top, np.inf), 1.0, 0.0, 0, n)
    ordered = np.sort(scores)[::-1]
    idx = int(np.ceil(k)) - 1
    boundary = float(ordered[idx])
    above = int(np.sum(scores > boundary))
    tied = int(np.sum(scores == boundary))
    fraction = (k - above) / tied
    return OperatingPoint("top", boundary, float(fraction), k, tied, n)


def selection_weights(scores: np.ndarray, op: OperatingPoint) -> np.ndarray:
    """Probability that each row is selected at ``op``.

    Examples
    --------
    >>> s = np.array([0.9, 0.5, 0.5, 0.5, 0.1])
    >>> selection_weights(s, at_capacity(s, 2)).round(4).tolist()
    [1.0, 0.3333, 0.3333, 0.3333, 0.0]
    """
    w = (scores > op.boundary).astype(float)
    w[scores == op.boundary] = op.tie_fraction
    return w


@dataclass(frozen=True)
class Capacity:
    """A capacity as a rule on the number of rows ``n`` in scope: k = rule(n).

    Either a fixed number of rows (``count``; all of them when fewer are in scope)
    or a share of them (``share``, rounded half up, at least one), the same rule as
    ``top=100`` and ``top="5%"``. Re-applied inside each bootstrap resample, where
    the number of rows in a period varies.

    Examples
    --------
    >>> Capacity(share=0.05).k(np.array([30.0, 10.0])).tolist()
    [2.0, 1.0]
    >>> Capacity(count=100).k(np.array([30.0, 500.0])).tolist()
    [30.0, 100.0]
    """

    count: float | None = None
    share: float | None = None

    def k(self, n: np.ndarray) -> np.ndarray:
        n = np.asarray(n, dtype=float)
        if self.count is not None:
            return np.minimum(float(self.count), n)
        assert self.share is not None
        k = np.floor(self.share * n + 0.5)
        return np.minimum(np.maximum(k, np.minimum(1.0, n)), n)
