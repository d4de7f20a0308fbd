"""Risk bands: what a practitioner sees instead of a raw probability.

Bands are cut at shares of the cohort (the top 1%, the next 4%, …) on the scores
that the temporal evaluation produced, and each band carries what happened to the
people in it in earlier years: "of 100 young people in this band, about 23 had the
outcome within 12 months". The cut points are scores, so a new score falls into a
band without re-ranking anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from earlysignal.errors import EarlysignalError

#: Band names and the share of the cohort each covers, from the top.
DEFAULT_BANDS: tuple[tuple[str, float], ...] = (
    ("Very high", 0.01), ("High", 0.04), ("Raised", 0.15), ("Typical", 0.80),
)


@dataclass(frozen=True)
class Band:
    """One risk band: score range, share of the cohort and observed outcome rate."""

    name: str
    lower: float
    upper: float
    share_of_cohort: float
    n: int
    outcomes: int
    observed_per_100: float
    outcome: str
    horizon: str


def risk_bands(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[float] | np.ndarray,
    *,
    bands: Sequence[tuple[str, float]] = DEFAULT_BANDS,
    outcome: str = "the outcome",
    horizon: str = "12 months",
) -> list[Band]:
    """Cut bands on evaluation scores and record each band's observed outcome rate.

    Parameters
    ----------
    scores, labels : array-like
        Scores of the temporal test rows and their observed outcomes (0/1); rows
        with a missing label are ignored.
    bands : sequence of (name, share)
        From the highest band down; the shares must add up to 1.
    outcome, horizon : str
        Words for the band sentence.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.random(10_000)
    >>> y = (rng.random(10_000) < s / 5).astype(int)
    >>> b = risk_bands(s, y)
    >>> [x.name for x in b], b[0].observed_per_100 > b[-1].observed_per_100
    (['Very high', 'High', 'Raised', 'Typical'], True)
    """
    total = sum(share for _, share in bands)
    if not np.isclose(total, 1.0):
        raise EarlysignalError(
            f"band shares must add up to 1, got {total:.3f}. Fix: adjust the shares "
            "so that every person falls in exactly one band")
    s = np.asarray(scores, dtype=float)
    y = np.asarray(pd.to_numeric(pd.Series(labels), errors="coerce"), dtype=float)
    keep = ~np.isnan(s) & ~np.isnan(y)
    s, y = s[keep], y[keep]
    if len(s) == 0:
        raise EarlysignalError("no labelled scores to cut risk bands on")
    out: list[Band] = []
    upper, top_share = 1.0, 0.0
    for i, (name, share) in enumerate(bands):
        top_share += share
        last = i == len(bands) - 1
        lower = 0.0 if last else float(np.quantile(s, 1.0 - top_share))
        inside = (s >= lower) & (s < upper) if i else (s >= lower)
        n, hits = int(inside.sum()), int(y[inside].sum())
        out.append(Band(name, lower, upper, share, n, hits,
                        round(100.0 * hits / n, 1) if n else float("nan"),
                        outcome, horizon))
        upper = lower
    return out


def assign_bands(scores: Sequence[float] | np.ndarray, bands: Sequence[Band]
                 ) -> np.ndarray:
    """The band name of each score (bands as returned by :func:`risk_bands`).

    Examples
    --------
    >>> b = [Band("High", 0.5, 1.0, 0.1, 10, 3, 30.0, "x", "12 months"),
    ...      Band("Low", 0.0, 0.5, 0.9, 90, 1, 1.1, "x", "12 months")]
    >>> assign_bands([0.7, 0.2, 0.5], b).tolist()
    ['High', 'Low', 'High']
    """
    s = np.asarray(scores, dtype=float)
    names = np.full(len(s), bands[-1].name, dtype=object)
    for band in reversed(bands[:-1]):
        names[s >= band.lower] = band.name
    return names


def bands_to_dict(bands: Sequence[Band]) -> dict[str, list[dict[str, object]]]:
    """JSON-able form written to ``RUN/bands.json``."""
    return {"bands": [asdict(b) for b in bands]}
