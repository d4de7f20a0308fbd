"""Who the model learned from, and which scored rows lie outside that population.

A model is trained and tested only on rows with a label. When follow-up ends for a
kind of row (young people who leave school at 16 are not followed up), the model
still scores such rows, but nothing it learned, and no band's observed rate, was
measured on them: their score is an extrapolation.

The check starts with age, where this was found: a scored row whose age lies
outside the range of ages among the labelled rows is out of population. The
range is that of the labelled rows the evaluation used (dates with too few labels
left out), so "no young person of this age was followed up" is literally true.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PopulationRange", "outside_population", "population_ranges",
           "years_months"]


@dataclass(frozen=True)
class PopulationRange:
    """The range of one feature among the labelled rows the model learned from."""

    column: str
    what: str
    low: float
    high: float
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def population_ranges(matrix: pd.DataFrame, metadata: Mapping[str, Any],
                      labelled: Sequence[bool] | np.ndarray) -> list[PopulationRange]:
    """The age range of the labelled rows (one range per age feature).

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> m = pd.DataFrame({"age": [11.0, 12.5, 15.7, 16.2]})
    >>> population_ranges(m, {"age": M(aggregate="age")},
    ...                   [True, True, True, False])[0].high
    15.7
    """
    keep = np.asarray(labelled, dtype=bool)
    out = []
    for col, meta in metadata.items():
        if getattr(meta, "aggregate", None) != "age" or col not in matrix.columns:
            continue
        ages = pd.to_numeric(matrix[col], errors="coerce").to_numpy(dtype=float)[keep]
        ages = ages[~np.isnan(ages)]
        if len(ages):
            out.append(PopulationRange(col, "age", float(ages.min()),
                                       float(ages.max()), int(len(ages))))
    return out


def outside_population(frame: pd.DataFrame, ranges: Sequence[PopulationRange]
                       ) -> pd.Series:
    """Per row, why it is outside the population ("" when it is inside).

    Examples
    --------
    >>> r = [PopulationRange("age", "age", 10.0, 15.75, 900)]
    >>> outside_population(pd.DataFrame({"age": [14.0, 16.1]}), r).tolist()[1]
    'No young person older than 15 years 9 months was followed up to see the \
outcome; this young person is 16 years 1 month old, so the band is an extrapolation.'
    """
    notes = pd.Series("", index=frame.index, dtype=object)
    for r in ranges:
        if r.column not in frame.columns:
            continue
        v = pd.to_numeric(frame[r.column], errors="coerce")
        for side, mask, edge in (("older", v > r.high, r.high),
                                 ("younger", v < r.low, r.low)):
            at = mask.fillna(False).to_numpy() & (notes == "").to_numpy()
            notes[at] = np.array([
                f"No young person {side} than {years_months(edge)} was followed "
                f"up to see the outcome; this young person is "
                f"{years_months(x)} old, so the band is an extrapolation."
                for x in v[at]], dtype=object)
    return notes


def years_months(age: float) -> str:
    """An age in years in words, to the month below.

    Examples
    --------
    >>> years_months(15.75), years_months(16.0), years_months(10.09)
    ('15 years 9 months', '16 years', '10 years 1 month')
    """
    months = int(math.floor(age * 12 + 1e-9))
    y, m = divmod(months, 12)
    if m == 0:
        return f"{y} years"
    return f"{y} years {m} month{'s' if m != 1 else ''}"
