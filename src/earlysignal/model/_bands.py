"""Risk bands: what a practitioner sees instead of a raw probability.

The rule. A band is a share of the people scored at one as-of date, ranked by
their score: "Very high" is the top 1% at that date, "High" the next 4%, and so
on. The same rule is used wherever a band is measured or shown:

- measured: in the temporal evaluation, the people of each test as-of date are
  ranked by the model trained before that date, and each band's observed outcome
  rate counts what happened to the people it held ("of 100 young people in this
  band, about 23 had the outcome within 12 months");
- shown: the final model's scores at the scoring date are ranked the same way, and
  the cut points (``lower`` and ``upper`` in ``bands.json``) are the scores at
  those shares on that date.

Why not fixed score thresholds: the fold models and the final model are fitted
on different rows, with calibration maps fitted on different slices, so one
person gets different probabilities from each. Thresholds cut on the fold
models' scores and applied to the final model's scores put 0.1% of a caseload
where the page promised 1%. A rank among the people scored on the day means the
same thing for every model of the same procedure, and the observed rates are
measured on exactly such ranks.

The check. :func:`share_check` compares the shares the bands claim with the
shares a caseload holds; with the rule above they differ only by rounding, or
when people outside the population the bands were measured on (see
:mod:`earlysignal.model._population`) are placed by score. A band whose share
differs from its claim by more than :data:`SHARE_TOLERANCE` of the claim (and by
more than one person) is reported in words with both sets of shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import EarlysignalError

#: Band names and the share of the cohort each covers, from the top.
DEFAULT_BANDS: tuple[tuple[str, float], ...] = (
    ("Very high", 0.01), ("High", 0.04), ("Raised", 0.15), ("Typical", 0.80),
)

#: A band's share may differ from its claim by this fraction of the claim.
SHARE_TOLERANCE = 0.2

RULE = ("Bands are shares of the people scored at each as-of date, ranked by "
        "score; observed rates are measured on the same ranks in the temporal "
        "evaluation (each date scored by a model trained before it).")


@dataclass(frozen=True)
class Band:
    """One risk band: score range, share of the cohort and observed outcome rate.

    ``lower`` and ``upper`` are the band's score cut points on the scores it was
    last cut on (the scoring date's, once :func:`cut_bands` has run).
    """

    name: str
    lower: float
    upper: float
    share_of_cohort: float
    n: int
    outcomes: int
    observed_per_100: float
    outcome: str
    horizon: str


def _check_shares(bands: Sequence[tuple[str, float]]) -> None:
    total = sum(share for _, share in bands)
    if not np.isclose(total, 1.0):
        raise EarlysignalError(
            f"band shares must add up to 1, got {total:.3f}. Fix: adjust the shares "
            "so that every person falls in exactly one band")


def cut_points(scores: Sequence[float] | np.ndarray,
               shares: Sequence[float]) -> list[float]:
    """The lowest score of each band (the last band's is 0) at these shares.

    Examples
    --------
    >>> cut_points(np.arange(100) / 100, [0.1, 0.9])
    [0.891, 0.0]
    """
    s = np.asarray(scores, dtype=float)
    s = s[~np.isnan(s)]
    out, top = [], 0.0
    for i, share in enumerate(shares):
        top += share
        last = i == len(shares) - 1
        out.append(0.0 if last or not len(s) else
                   round(float(np.quantile(s, 1.0 - top)), 12))
    return out


def _names_at(s: np.ndarray, names: Sequence[str], lowers: Sequence[float]
              ) -> np.ndarray:
    out = np.full(len(s), names[-1], dtype=object)
    for name, lower in zip(reversed(names[:-1]), reversed(lowers[:-1]), strict=True):
        out[s >= lower] = name
    return out


def risk_bands(
    scores: Sequence[float] | np.ndarray,
    labels: Sequence[float] | np.ndarray,
    *,
    dates: Sequence[Any] | np.ndarray | None = None,
    bands: Sequence[tuple[str, float]] = DEFAULT_BANDS,
    outcome: str = "the outcome",
    horizon: str = "12 months",
) -> list[Band]:
    """Rank evaluation scores into bands and record each band's observed outcome rate.

    Parameters
    ----------
    scores, labels : array-like
        Scores of the temporal test rows and their observed outcomes (0/1); rows
        with a missing label are ignored.
    dates : array-like, optional
        The as-of date of each row: people are ranked among those of their own
        date, as they will be when a caseload is banded. Without dates all rows
        are ranked together.
    bands : sequence of (name, share)
        From the highest band down; the shares must add up to 1.
    outcome, horizon : str
        Words for the band sentence.

    Returns
    -------
    list of Band
        ``lower``/``upper`` are the cut points on all the rows pooled, for
        reference; :func:`cut_bands` sets them for a scoring date.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = rng.random(10_000)
    >>> y = (rng.random(10_000) < s / 5).astype(int)
    >>> b = risk_bands(s, y, dates=np.repeat([1, 2], 5_000))
    >>> [x.name for x in b], [x.n for x in b]
    (['Very high', 'High', 'Raised', 'Typical'], [100, 400, 1500, 8000])
    >>> b[0].observed_per_100 > b[-1].observed_per_100
    True
    """
    _check_shares(bands)
    s = np.asarray(scores, dtype=float)
    y = np.asarray(pd.to_numeric(pd.Series(labels), errors="coerce"), dtype=float)
    d = np.zeros(len(s)) if dates is None else pd.factorize(
        pd.Series(np.asarray(dates)))[0]
    keep = ~np.isnan(s) & ~np.isnan(y)
    s, y, d = s[keep], y[keep], d[keep]
    if len(s) == 0:
        raise EarlysignalError("no labelled scores to cut risk bands on")
    names = [n for n, _ in bands]
    shares = [sh for _, sh in bands]
    given = np.empty(len(s), dtype=object)
    for g in np.unique(d):
        at = d == g
        given[at] = _names_at(s[at], names, cut_points(s[at], shares))
    pooled = cut_points(s, shares)
    out: list[Band] = []
    for i, (name, share) in enumerate(bands):
        inside = given == name
        n, hits = int(inside.sum()), int(y[inside].sum())
        out.append(Band(name, pooled[i], 1.0 if i == 0 else pooled[i - 1], share,
                        n, hits, round(100.0 * hits / n, 1) if n else float("nan"),
                        outcome, horizon))
    return out


def cut_bands(bands: Sequence[Band], scores: Sequence[float] | np.ndarray
              ) -> list[Band]:
    """The bands with their cut points set at the shares of ``scores``.

    ``scores`` are the scores of one as-of date, of the people the bands were
    measured on (see the module's rule); the observed rates are kept.

    Examples
    --------
    >>> b = [Band("High", 0.9, 1.0, 0.1, 10, 3, 30.0, "x", "12 months"),
    ...      Band("Low", 0.0, 0.9, 0.9, 90, 1, 1.1, "x", "12 months")]
    >>> [(x.lower, x.upper) for x in cut_bands(b, np.arange(100) / 1000)]
    [(0.0891, 1.0), (0.0, 0.0891)]
    """
    lowers = cut_points(scores, [b.share_of_cohort for b in bands])
    return [replace(b, lower=lowers[i], upper=1.0 if i == 0 else lowers[i - 1])
            for i, b in enumerate(bands)]


def assign_bands(scores: Sequence[float] | np.ndarray, bands: Sequence[Band]
                 ) -> np.ndarray:
    """The band name of each score (bands as returned by :func:`cut_bands`).

    Examples
    --------
    >>> b = [Band("High", 0.5, 1.0, 0.1, 10, 3, 30.0, "x", "12 months"),
    ...      Band("Low", 0.0, 0.5, 0.9, 90, 1, 1.1, "x", "12 months")]
    >>> assign_bands([0.7, 0.2, 0.5], b).tolist()
    ['High', 'Low', 'High']
    """
    return _names_at(np.asarray(scores, dtype=float), [b.name for b in bands],
                     [b.lower for b in bands])


def share_check(bands: Sequence[Band], assigned: Sequence[str] | np.ndarray,
                *, tolerance: float = SHARE_TOLERANCE) -> dict[str, Any]:
    """Claimed and observed band shares of a caseload, and a warning when they part.

    A band fails when its observed share differs from its claimed share by more
    than ``tolerance`` times the claim and by more than one person.

    Returns
    -------
    dict
        ``claimed`` and ``observed`` (name -> share), ``n``, ``tolerance``,
        ``ok`` and ``warning`` (a sentence, or None).

    Examples
    --------
    >>> b = [Band("High", 0.5, 1.0, 0.1, 10, 3, 30.0, "x", "12 months"),
    ...      Band("Low", 0.0, 0.5, 0.9, 90, 1, 1.1, "x", "12 months")]
    >>> share_check(b, ["High"] * 10 + ["Low"] * 90)["ok"]
    True
    >>> print(share_check(b, ["High"] * 30 + ["Low"] * 70)["warning"])
    The bands do not hold the shares they claim: High holds 30% of the 100 young \
people scored (claimed 10%), Low 70% (claimed 90%). Band shares may differ by at \
most 20% of the claimed share; read each band's observed rate with care.
    """
    names = np.asarray(assigned, dtype=object)
    n = len(names)
    claimed = {b.name: float(b.share_of_cohort) for b in bands}
    observed = {b.name: float((names == b.name).mean()) if n else 0.0 for b in bands}
    off = [b.name for b in bands
           if abs(observed[b.name] - claimed[b.name]) > max(
               tolerance * claimed[b.name], 1.0 / max(n, 1))]
    warning = None
    if off:
        parts = []
        for k, name in enumerate(off):
            lead = f"holds {_pct(observed[name])} of the {n:,} young people scored" \
                if k == 0 else _pct(observed[name])
            parts.append(f"{name} {lead} (claimed {_pct(claimed[name])})")
        warning = (f"The bands do not hold the shares they claim: {', '.join(parts)}."
                   f" Band shares may differ by at most {tolerance:.0%} of the "
                   "claimed share; read each band's observed rate with care.")
    return {"claimed": claimed, "observed": observed, "n": n,
            "tolerance": tolerance, "ok": not off, "warning": warning}


def _pct(x: float) -> str:
    whole = abs(100 * x - round(100 * x)) < 0.05
    return f"{x:.0%}" if whole else f"{x:.1%}"


def bands_to_dict(bands: Sequence[Band], **extra: Any
                  ) -> dict[str, Any]:
    """JSON-able form written to ``RUN/bands.json`` (``extra`` keys alongside)."""
    return {"rule": RULE, "bands": [asdict(b) for b in bands], **extra}


def bands_from_dicts(rows: Sequence[Mapping[str, Any]]) -> list[Band]:
    """Bands back from ``bands.json`` rows (unknown keys ignored)."""
    fields = set(Band.__dataclass_fields__)
    return [Band(**{k: v for k, v in r.items() if k in fields}) for r in rows]
