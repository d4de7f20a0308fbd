"""Time spans written as text in configs: ``90d``, ``6m``, ``1y``, ``all``, ``1 term``.

One parser serves feature windows, label horizons, activity look-backs and cohort
schedules, so ``12m`` means the same thing everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from earlysignal.errors import EarlysignalError

_PATTERN = re.compile(
    r"^\s*(?P<n>\d+)\s*(?P<unit>d|day|days|w|week|weeks|m|month|months|y|year|years"
    r"|term|terms)\s*$",
    re.IGNORECASE,
)
_UNITS = {
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "m": "months", "month": "months", "months": "months",
    "y": "years", "year": "years", "years": "years",
    "term": "terms", "terms": "terms",
}


class WindowError(EarlysignalError, ValueError):
    """A time span that cannot be parsed."""


@dataclass(frozen=True, order=True)
class Window:
    """A look-back or look-ahead span.

    ``unit`` is ``days``, ``weeks``, ``months``, ``years``, ``terms`` (a third of a
    school year, taken as 4 months) or ``all`` (no limit; ``n`` is 0).

    Examples
    --------
    >>> Window.parse("90d").label, Window.parse("6 months").label, Window.parse("all").label
    ('90d', '6m', 'all')
    >>> Window.parse("12m").shift(pd.Timestamp("2024-02-29"), -1)
    Timestamp('2023-02-28 00:00:00')
    """

    unit: Literal["days", "weeks", "months", "years", "terms", "all"]
    n: int = 0

    @classmethod
    def parse(cls, text: str | int | Window) -> Window:
        """Parse ``90d``, ``6m``, ``1y``, ``2 weeks``, ``1 term`` or ``all``."""
        if isinstance(text, Window):
            return text
        if isinstance(text, int):
            return cls("days", text)
        s = str(text).strip().lower()
        if s == "all":
            return cls("all", 0)
        m = _PATTERN.match(s)
        if not m or int(m["n"]) <= 0:
            raise WindowError(
                f"'{text}' is not a time span (expected a positive number and a unit, "
                "such as 90d, 6m, 1y, 1 term, or the word all)"
            )
        return cls(_UNITS[m["unit"].lower()], int(m["n"]))  # type: ignore[arg-type]

    @property
    def is_all(self) -> bool:
        return self.unit == "all"

    @property
    def label(self) -> str:
        """Short stable text used in column names: ``90d``, ``6m``, ``1y``, ``all``."""
        if self.is_all:
            return "all"
        short = {"days": "d", "weeks": "w", "months": "m", "years": "y", "terms": "t"}
        return f"{self.n}{short[self.unit]}"

    def offset(self) -> pd.DateOffset:
        """The span as a pandas offset (calendar months and years)."""
        if self.is_all:
            raise WindowError("the window 'all' has no fixed length")
        if self.unit == "terms":
            return pd.DateOffset(months=4 * self.n)
        return pd.DateOffset(**{self.unit: self.n})  # type: ignore[arg-type]

    def shift(self, when: pd.Timestamp, direction: int = 1) -> pd.Timestamp:
        """``when`` moved forward (``direction=1``) or back (``-1``) by this span."""
        off = self.offset()
        return when + off if direction > 0 else when - off

    def approx_days(self) -> float:
        """Length in days (months as 30.4375 days); used for rates per year."""
        per = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25,
               "terms": 121.75}
        return float("inf") if self.is_all else per[self.unit] * self.n

    def months_or_days(self) -> tuple[str, int]:
        """The span as whole ``("days", n)`` or ``("months", n)`` for SQL intervals."""
        if self.is_all:
            raise WindowError("the window 'all' has no fixed length")
        if self.unit in ("days", "weeks"):
            return "days", self.n * (7 if self.unit == "weeks" else 1)
        return "months", self.n * {"months": 1, "years": 12, "terms": 4}[self.unit]
