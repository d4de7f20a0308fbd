"""Numbers as people read them: counts, rates, percentages, probabilities, money.

Every page formats numbers through these functions so that a count never prints
as ``0.000``, an expected (fractional) number of people never passes for a count,
and a missing value prints as a blank cell rather than ``nan`` or ``None``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["count", "day", "expected", "fmt", "headcount", "is_missing", "iso", "money",
           "pct", "prob", "rate"]


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pandas' missing markers.

    Examples
    --------
    >>> is_missing(None), is_missing(float("nan")), is_missing(0), is_missing("x")
    (True, True, False, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value: Any) -> float | None:
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def fmt(value: Any, digits: int = 3) -> str:
    """A number for a table cell: whole numbers without decimals, others rounded;
    blank for missing values; text as it is.

    Examples
    --------
    >>> fmt(0.12345), fmt(1439.0), fmt(0), fmt(0.0), fmt(None), fmt(float("nan"))
    ('0.123', '1,439', '0', '0', '', '')
    >>> fmt("x"), fmt(float("inf"))
    ('x', '')
    """
    if is_missing(value):
        return ""
    if isinstance(value, str):
        return value
    x = _number(value)
    if x is None:
        return "" if isinstance(value, float) else str(value)
    if x.is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}f}"


def count(value: Any) -> str:
    """A count of people or records: a whole number with thousands separators.

    Examples
    --------
    >>> count(0), count(2269.0), count(12), count(None)
    ('0', '2,269', '12', '')
    """
    x = _number(value)
    return "" if x is None else f"{round(x):,}"


def expected(value: Any, digits: int = 0) -> str:
    """An expected (model-estimated, possibly fractional) number of people,
    labelled as such so that it never reads as a count.

    Examples
    --------
    >>> expected(2269.04), expected(216.44, 1), expected(None)
    ('about 2,269 (expected)', 'about 216.4 (expected)', '')
    """
    x = _number(value)
    return "" if x is None else f"about {x:,.{digits}f} (expected)"


def headcount(value: Any) -> str:
    """People: a count when whole, else an expected number labelled as such
    (randomised selections give expected, fractional numbers of people).

    Examples
    --------
    >>> headcount(2269.0), headcount(2269.0000000001), headcount(216.43)
    ('2,269', '2,269', 'about 216 (expected)')
    """
    x = _number(value)
    if x is None:
        return ""
    return count(x) if abs(x - round(x)) < 1e-6 else expected(x)


def rate(value: Any, digits: int = 3) -> str:
    """A rate or score between 0 and 1 (AUC, precision, a ratio).

    Examples
    --------
    >>> rate(0.70123), rate(0), rate(1), rate(None)
    ('0.701', '0.000', '1.000', '')
    """
    x = _number(value)
    return "" if x is None else f"{x:.{digits}f}"


def pct(value: Any, digits: int = 1) -> str:
    """A share as a percentage.

    Examples
    --------
    >>> pct(0.0503), pct(0), pct(None)
    ('5.0%', '0.0%', '')
    """
    x = _number(value)
    return "" if x is None else f"{100 * x:.{digits}f}%"


def prob(value: Any) -> str:
    """A probability in words a practitioner reads: "about 1 in 20" style.

    Examples
    --------
    >>> prob(0.05), prob(0.231), prob(0.004), prob(None)
    ('about 5 in 100', 'about 23 in 100', 'fewer than 1 in 100', '')
    """
    x = _number(value)
    if x is None:
        return ""
    per = 100 * x
    return "fewer than 1 in 100" if 0 < per < 0.5 else f"about {per:.0f} in 100"


def money(value: Any, symbol: str = "£") -> str:
    """An amount of money, whole units with thousands separators.

    Examples
    --------
    >>> money(12345.6), money(-50), money(None)
    ('£12,346', '-£50', '')
    """
    x = _number(value)
    if x is None:
        return ""
    sign = "-" if x < 0 else ""
    return f"{sign}{symbol}{abs(x):,.0f}"


def day(value: Any) -> str:
    """A date as ``1 Sep 2023``; blank when missing.

    Examples
    --------
    >>> day("2023-09-01"), day(None), day("")
    ('1 Sep 2023', '', '')
    """
    if is_missing(value) or value == "":
        return ""
    t = pd.Timestamp(value)
    return f"{t.day} {t:%b %Y}"


def iso(value: Any) -> str:
    """A date as ``2023-09-01``; blank when missing.

    Examples
    --------
    >>> iso(pd.Timestamp("2023-09-01 10:00")), iso(None)
    ('2023-09-01', '')
    """
    return "" if is_missing(value) or value == "" else f"{pd.Timestamp(value):%Y-%m-%d}"
