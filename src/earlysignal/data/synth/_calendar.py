"""The study calendar of the synthetic cohort: months, school days and terms.

Everything is held as ``datetime64[D]`` arrays. Months are indexed 0..M-1 from the
first month of the span. The school calendar is a fixed, simplified English one:
autumn term 1 Sep-31 Dec (teaching 4 Sep-19 Dec, half term 24-31 Oct), spring term
1 Jan-31 Mar (teaching from 6 Jan, half term 14-20 Feb), summer term 1 Apr-31 Jul
(teaching 15 Apr-21 Jul, half term 26 May-1 Jun); weekdays only. That gives about
190 school days (380 sessions) a year, as in English schools.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

DAY = np.timedelta64(1, "D")

# (first teaching day, last teaching day) as (month, day), and half terms.
_TEACHING = (((9, 4), (12, 19)), ((1, 6), (3, 31)), ((4, 15), (7, 21)))
_HALF_TERMS = (((10, 24), (10, 31)), ((2, 14), (2, 20)), ((5, 26), (6, 1)))
# term periods: (start month, end month) inclusive; the census term a month is in.
_TERM_MONTHS = ((9, 12), (1, 3), (4, 7))


def month_number(d: np.datetime64) -> int:
    """Months since 1970-01 of a date (as numpy counts them)."""
    return int(np.asarray(d, dtype="datetime64[D]").astype("datetime64[M]").astype(np.int64))


@dataclass(frozen=True)
class Calendar:
    """Months, school days and census terms between ``start`` and ``end``.

    ``start`` is the first of a month and ``end`` the last day of a month.
    """

    start: np.datetime64
    end: np.datetime64

    @cached_property
    def first_month(self) -> int:
        return month_number(self.start)

    @cached_property
    def n_months(self) -> int:
        return month_number(self.end) - self.first_month + 1

    @cached_property
    def month_starts(self) -> np.ndarray:
        """First day of each month, plus the first day after the span (M+1 values)."""
        months = np.arange(self.first_month, self.first_month + self.n_months + 1)
        return months.astype("datetime64[M]").astype("datetime64[D]")

    @cached_property
    def month_days(self) -> np.ndarray:
        return np.diff(self.month_starts).astype(np.int64)

    @cached_property
    def calendar_month(self) -> np.ndarray:
        """Calendar month (1..12) of each study month."""
        return (np.arange(self.first_month, self.first_month + self.n_months) % 12) + 1

    @cached_property
    def calendar_year(self) -> np.ndarray:
        return (np.arange(self.first_month, self.first_month + self.n_months) // 12) + 1970

    @cached_property
    def school_year(self) -> np.ndarray:
        """Start year of the school year (September to August) of each month."""
        return self.calendar_year - (self.calendar_month < 9)

    @cached_property
    def school_days(self) -> np.ndarray:
        """Every school day in the span, sorted."""
        days = np.arange(self.start, self.end + DAY, dtype="datetime64[D]")
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        md = _month_day(days)
        teach = np.zeros(len(days), dtype=bool)
        for (a, b) in _TEACHING:
            teach |= (md >= a[0] * 100 + a[1]) & (md <= b[0] * 100 + b[1])
        for (a, b) in _HALF_TERMS:
            teach &= ~((md >= a[0] * 100 + a[1]) & (md <= b[0] * 100 + b[1]))
        return days[teach & (weekday < 5)]

    @cached_property
    def school_day_month(self) -> np.ndarray:
        """Study-month index of each school day."""
        return _months_of(self.school_days) - self.first_month

    @cached_property
    def school_day_offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """(index of the first school day of each month, number of school days)."""
        counts = np.bincount(self.school_day_month, minlength=self.n_months)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        return first.astype(np.int64), counts.astype(np.int64)

    @cached_property
    def month_term(self) -> np.ndarray:
        """Index of the census term each month belongs to (-1 in August)."""
        key = self.school_year * 3 + _term_of_month(self.calendar_month)
        key = np.where(self.calendar_month == 8, -1, key)
        valid = key[key >= 0]
        uniq = np.unique(valid)
        out = np.full(self.n_months, -1, dtype=np.int64)
        out[key >= 0] = np.searchsorted(uniq, valid)
        return out

    @cached_property
    def terms(self) -> tuple[np.ndarray, np.ndarray]:
        """(first month index, last month index) of each census term."""
        t = self.month_term
        ids = np.unique(t[t >= 0])
        first = np.array([np.flatnonzero(t == i)[0] for i in ids], dtype=np.int64)
        last = np.array([np.flatnonzero(t == i)[-1] for i in ids], dtype=np.int64)
        return first, last


def _month_day(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]")
    mon = months.astype(np.int64) % 12 + 1
    dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return mon * 100 + dom


def _months_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype(np.int64)


def _term_of_month(cal_month: np.ndarray) -> np.ndarray:
    out = np.zeros_like(cal_month)
    for k, (a, b) in enumerate(_TERM_MONTHS):
        out[(cal_month >= a) & (cal_month <= b)] = k
    # within a school year: autumn (0), spring (1), summer (2)
    return out
