"""An intervention effect: a relative risk reduction with an uncertainty range.

Written as ``"0.2:0.1-0.3"`` (central 0.2, plausible range 0.1 to 0.3) or ``"0.2"``
(no uncertainty). The range is drawn from a *split triangular* distribution: half
of the probability lies on each side of the central value, each half a triangle
that peaks at the central value and falls to zero at its end of the range. So the
central value is both the most likely value and the median, every draw lies inside
the range, and the 95% interval is ``[low + 0.22 (central - low), high - 0.22 (high
- central)]`` (0.22 = sqrt(0.05)). Unlike a PERT or plain triangular distribution,
a lopsided range does not pull the middle of the interval away from the stated
central value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from earlysignal.errors import EarlysignalError

__all__ = ["Effect", "split_triangular"]

_NUM = r"\s*(\d+(?:\.\d+)?|\.\d+)\s*"


def split_triangular(central: float, low: float, high: float, n: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Draws with median and mode ``central`` and support ``[low, high]``.

    Examples
    --------
    >>> x = split_triangular(0.2, 0.1, 0.4, 10_000, np.random.default_rng(0))
    >>> bool(x.min() >= 0.1), bool(x.max() <= 0.4), round(float(np.median(x)), 2)
    (True, True, 0.2)
    """
    u = rng.random(n)
    left = u < 0.5
    # inverse CDF of each half-triangle: F(x) = 0.5 ((x - low) / (c - low))^2 on the left
    out = np.where(left, central - (central - low) * (1 - np.sqrt(2 * u)),
                   central + (high - central) * (1 - np.sqrt(2 * (1 - u))))
    return np.clip(out, low, high)


@dataclass(frozen=True)
class Effect:
    """Relative reduction in the risk of escalation for the people worked with.

    Parameters
    ----------
    central, low, high : float
        Central value and plausible range, each in [0, 1].
    source : {"assumed", "evaluated"}
        ``assumed`` unless the figure comes from an evaluation of this programme.

    Examples
    --------
    >>> e = Effect.parse("0.2:0.1-0.3")
    >>> e.central, e.low, e.high, e.label
    (0.2, 0.1, 0.3, '20% (range 10%-30%)')
    >>> Effect.parse("0.2:0.3-0.1")
    Traceback (most recent call last):
    ...
    earlysignal.errors.EarlysignalError: effect '0.2:0.3-0.1': the range is reversed (low 0.3 > high 0.1). Fix: write the range low-high, e.g. '0.2:0.1-0.3'
    """

    central: float
    low: float
    high: float
    source: Literal["assumed", "evaluated"] = "assumed"

    @classmethod
    def parse(cls, text: str | float | Effect,
              source: Literal["assumed", "evaluated"] = "assumed") -> Effect:
        """Read ``"central"`` or ``"central:low-high"`` (fractions or percentages)."""
        if isinstance(text, Effect):
            return text
        raw = str(text).strip()
        if source not in ("assumed", "evaluated"):
            raise EarlysignalError(
                f"effect_source must be 'assumed' or 'evaluated', got {source!r}. "
                "Fix: say 'evaluated' only if the effect was measured for this "
                "programme")
        pct = raw.endswith("%") or "%" in raw
        body = raw.replace("%", "")
        m = re.fullmatch(_NUM + r"(?::" + _NUM + r"-" + _NUM + r")?", body)
        if not m:
            raise EarlysignalError(
                f"effect {raw!r} is not 'central' or 'central:low-high'. Fix: give a "
                "relative risk reduction such as '0.2' or '0.2:0.1-0.3' (20%, range "
                "10% to 30%)")
        scale = 100.0 if pct else 1.0
        c = float(m[1]) / scale
        lo = float(m[2]) / scale if m[2] else c
        hi = float(m[3]) / scale if m[3] else c
        where = f"effect {raw!r}"
        if lo > hi:
            raise EarlysignalError(
                f"{where}: the range is reversed (low {lo:g} > high {hi:g}). Fix: "
                f"write the range low-high, e.g. '{c:g}:{hi:g}-{lo:g}'")
        for name, v in (("central", c), ("low", lo), ("high", hi)):
            if not 0 <= v <= 1:
                raise EarlysignalError(
                    f"{where}: {name} value {v:g} is outside 0-1. Fix: give the "
                    "relative risk reduction as a fraction (0.2) or percentage (20%)")
        if not lo <= c <= hi:
            raise EarlysignalError(
                f"{where}: the central value {c:g} is outside its range "
                f"{lo:g}-{hi:g}. Fix: choose a range that contains the central value")
        return cls(c, lo, hi, source)

    @property
    def label(self) -> str:
        def pc(x: float) -> str:
            return f"{x * 100:.{0 if math.isclose(x * 100, round(x * 100)) else 1}f}%"
        if self.low == self.high:
            return pc(self.central)
        return f"{pc(self.central)} (range {pc(self.low)}-{pc(self.high)})"

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` Monte Carlo draws (all equal to ``central`` without a range)."""
        if self.low == self.high:
            return np.full(n, self.central)
        return split_triangular(self.central, self.low, self.high, n, rng)

    def to_dict(self) -> dict[str, object]:
        return {"central": self.central, "low": self.low, "high": self.high,
                "source": self.source, "distribution": "split triangular "
                "(median and mode = central, support = range)"}
