"""Configuration of the synthetic cohort: :class:`SynthConfig` and :class:`SynthBias`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from earlysignal.errors import ConfigError

SOURCES = ("school", "attendance", "police", "social_care", "youth_justice")
VOCAB = {
    "sex": ("F", "M"),
    "ethnicity": ("White", "Mixed", "Asian", "Black", "Other"),
    "sen": ("none", "sen_support", "ehcp"),
    "fsm": ("yes", "no"),
}
#: How many years past ``population_end`` a later extract of the cohort may reach.
LATER_YEARS = 3
DEFAULT_AS_OF = (
    "2020-09-01", "2021-03-01", "2021-09-01", "2022-03-01", "2022-09-01",
    "2023-03-01", "2023-09-01",
)


@dataclass(frozen=True)
class SynthBias:
    """A recording bias against one group, defined by a characteristic's value.

    Parameters
    ----------
    attribute, value : str
        The group, e.g. ``("ethnicity", "Black")`` or ``("fsm", "yes")``; for
        attributes that change over time the value in force that month counts.
    outcome_over_recording : float
        ``> 1``: for the same true behaviour, the group's youth-justice outcomes are
        recorded this many times as often (extra recorded outcomes that are not
        escalations in the truth, so ``p_true`` is unchanged).
    signal_under_recording : float
        ``< 1``: the share of the group's warning-sign events (school, police and
        social-care events) that are recorded at all.

    Examples
    --------
    >>> SynthBias("ethnicity", "Black", outcome_over_recording=2.0).value
    'Black'
    """

    attribute: str
    value: str
    outcome_over_recording: float = 1.0
    signal_under_recording: float = 1.0


@dataclass(frozen=True)
class SynthConfig:
    """Knobs of the synthetic multi-agency cohort.

    Parameters
    ----------
    people : int
        Number of young people.
    seed : int
        Seed; the same config gives the same data, byte for byte.
    start, end : str
        Study span (first of a month .. last day of a month).
    attendance : {"termly", "daily"}
        Census-style termly counts, or one row per school day.
    prevalence : float
        Multiplies the escalation hazard.
    signal_strength : float
        How strongly the latent risk (and age) drives the observable signals and
        FSM/SEN status; 0 makes them independent of the risk.
    recording_lag : float
        Mean days between a record's own date and ``recorded_at``; 0 leaves
        ``recorded_at`` empty (recorded the same day).
    missing_sources : tuple of str
        Sources left out entirely: any of "school" (school events), "attendance"
        (periods), "police", "social_care", "youth_justice". Enrolment is always kept.
    bias : SynthBias or dict, optional
        A recording bias against one group.
    as_of_dates : tuple of str
        As-of dates of the truth table (first of a month, inside the span).
    horizon : str
        Escalation horizon in months or years ("12m", "6m", "1y").
    chunk_people : int
        People generated per chunk. Part of the random stream: the same seed with a
        different chunk size gives different (equally valid) data.

    Examples
    --------
    >>> SynthConfig(people=100, missing_sources=["police"]).missing_sources
    ('police',)
    >>> SynthConfig(people=0)
    Traceback (most recent call last):
    ...
    earlysignal.errors.ConfigError: SynthConfig has 1 problem:
      - people: must be a whole number >= 1, got 0
    """

    people: int = 5000
    seed: int = 0
    start: str = "2019-09-01"
    end: str = "2024-08-31"
    population_end: str | None = None
    attendance: Literal["termly", "daily"] = "termly"
    prevalence: float = 1.0
    signal_strength: float = 1.0
    recording_lag: float = 10.0
    missing_sources: Sequence[str] = ()
    bias: SynthBias | Mapping[str, Any] | None = None
    as_of_dates: Sequence[str] = DEFAULT_AS_OF
    horizon: str = "12m"
    chunk_people: int = 10_000

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "missing_sources", tuple(self.missing_sources))
        set_(self, "as_of_dates", tuple(str(d)[:10] for d in self.as_of_dates))
        set_(self, "start", str(self.start)[:10])
        set_(self, "end", str(self.end)[:10])
        set_(self, "population_end", str(self.population_end or self.end)[:10])
        if isinstance(self.bias, Mapping):
            set_(self, "bias", _bias_from_dict(self.bias))
        problems = _check(self)
        if problems:
            raise ConfigError("SynthConfig", problems)

    @property
    def bias_spec(self) -> SynthBias | None:
        """The bias as a :class:`SynthBias` (a mapping is converted on creation)."""
        return self.bias if isinstance(self.bias, SynthBias) else None

    @property
    def world_end(self) -> str:
        """The last day the generator simulates: :data:`LATER_YEARS` years past
        ``population_end``, whatever ``end`` is, so that every extract of the same
        cohort is cut from the same simulated history."""
        pe = np.datetime64(str(self.population_end), "M")
        return str((pe + 12 * LATER_YEARS + 1).astype("datetime64[D]") - 1)

    @property
    def horizon_months(self) -> int:
        """The horizon as a number of months."""
        m = re.fullmatch(r"\s*(\d+)\s*([my])\s*", self.horizon)
        assert m is not None  # checked in __post_init__
        return int(m.group(1)) * (12 if m.group(2) == "y" else 1)


def _bias_from_dict(d: Mapping[str, Any]) -> SynthBias | Mapping[str, Any]:
    try:
        return SynthBias(**d)
    except TypeError:
        return d  # reported by _check


def _date(text: str) -> np.datetime64 | None:
    try:
        return np.datetime64(text, "D")
    except ValueError:
        return None


def _check(c: SynthConfig) -> list[str]:
    p: list[str] = []
    if not isinstance(c.people, int) or c.people < 1:
        p.append(f"people: must be a whole number >= 1, got {c.people!r}")
    if not isinstance(c.seed, int) or c.seed < 0:
        p.append(f"seed: must be a whole number >= 0, got {c.seed!r}")
    if not isinstance(c.chunk_people, int) or c.chunk_people < 1:
        p.append(f"chunk_people: must be a whole number >= 1, got {c.chunk_people!r}")
    start, end = _date(c.start), _date(c.end)
    if start is None or start != start.astype("datetime64[M]").astype("datetime64[D]"):
        p.append(f"start: must be the first of a month (YYYY-MM-01), got {c.start!r}")
    if end is None or (end + 1).astype("datetime64[M]") == end.astype("datetime64[M]"):
        p.append(f"end: must be the last day of a month (YYYY-MM-DD), got {c.end!r}")
    if start is not None and end is not None and end <= start:
        p.append(f"end: must be after start ({c.start}), got {c.end}")
    p.extend(_check_population_end(c, start, end))
    if c.attendance not in ("termly", "daily"):
        p.append(f"attendance: must be 'termly' or 'daily', got {c.attendance!r}")
    for name in ("prevalence", "signal_strength", "recording_lag"):
        v = getattr(c, name)
        if not isinstance(v, int | float) or v < 0:
            p.append(f"{name}: must be a number >= 0, got {v!r}")
    bad = [s for s in c.missing_sources if s not in SOURCES]
    if bad:
        p.append(f"missing_sources: unknown source(s) {bad} (hint: use any of {list(SOURCES)})")
    p.extend(_check_bias(c.bias))
    for d in c.as_of_dates:
        t = _date(d)
        if t is None or t != t.astype("datetime64[M]").astype("datetime64[D]"):
            p.append(f"as_of_dates: {d!r} is not the first of a month (YYYY-MM-01)")
        elif start is not None and end is not None and not (start < t <= end):
            p.append(f"as_of_dates: {d} is outside the span ({c.start}, {c.end}]")
    if not re.fullmatch(r"\s*\d+\s*[my]\s*", str(c.horizon)) or str(c.horizon).strip()[0] == "0":
        p.append(f"horizon: must be whole months or years such as '12m' or '1y', got {c.horizon!r}")
    return p


def _check_population_end(c: SynthConfig, start: np.datetime64 | None,
                          end: np.datetime64 | None) -> list[str]:
    pe = _date(str(c.population_end))
    if pe is None or (pe + 1).astype("datetime64[M]") == pe.astype("datetime64[M]"):
        return [f"population_end: must be the last day of a month (YYYY-MM-DD), got "
                f"{c.population_end!r}"]
    if start is not None and pe <= start:
        return [f"population_end: must be after start ({c.start}), got "
                f"{c.population_end}"]
    if end is not None and end > np.datetime64(c.world_end):
        return [f"end: a later extract may reach {LATER_YEARS} years past "
                f"population_end ({c.population_end}), to {c.world_end}; got {c.end}"]
    return []


def _check_bias(b: object) -> list[str]:
    if b is None:
        return []
    if not isinstance(b, SynthBias):
        return [f"bias: expected attribute, value, outcome_over_recording, "
                f"signal_under_recording; got {b!r}"]
    p = []
    if b.attribute not in VOCAB:
        p.append(f"bias.attribute: must be one of {list(VOCAB)}, got {b.attribute!r}")
    elif b.value not in VOCAB[b.attribute]:
        p.append(f"bias.value: {b.attribute} takes {list(VOCAB[b.attribute])}, got {b.value!r}")
    if not b.outcome_over_recording >= 1:
        p.append(f"bias.outcome_over_recording: must be >= 1, got {b.outcome_over_recording}")
    if not 0 < b.signal_under_recording <= 1:
        p.append(f"bias.signal_under_recording: must be in (0, 1], got {b.signal_under_recording}")
    return p
