"""Demand per service: the run's projection against what happened since, by quarter.

The run's impact stage projected caseloads and entries per service from its
origin (the first of the month after its data), for the people on roll then, with
no programme. The same model, fitted on the later extract as known at that origin
(so on exactly the records the run held), is projected quarter by quarter and set
beside what the later extract shows for the same people.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def demand_check(tables: Mapping[str, pd.DataFrame], impact: Mapping[str, Any],
                 extract_end: pd.Timestamp, *, min_cell: int = 10, draws: int = 200,
                 seed: int = 0) -> pd.DataFrame:
    """Projected and observed caseload and entries per service and whole quarter.

    Returns an empty frame when the run made no demand projection or no whole
    quarter has passed since its origin. Observed counts under ``min_cell`` are
    withheld (``observed`` blank, ``withheld`` true).

    Returns
    -------
    DataFrame
        quarter, start, service, measure, estimate, lower, upper, observed,
        in_interval, withheld.
    """
    origin = ((impact.get("settings") or {}).get("demand") or {}).get("origin")
    if not origin:
        return pd.DataFrame()
    start = pd.Timestamp(origin)
    quarters = _whole_quarters(start, extract_end)
    if quarters < 1:
        return pd.DataFrame()
    from earlysignal.impact._flow import SERVICES, DemandModel

    model = DemandModel(tables, origin=start)
    projected = model.project_quarters(quarters, draws=draws, seed=seed)
    observed = model.observed_quarters(quarters).rename(
        columns={"estimate": "observed"})
    out = projected.merge(observed, on=["quarter", "service", "measure"])
    out = out[out["service"].isin(SERVICES)].reset_index(drop=True)
    out.insert(1, "start", [start + pd.DateOffset(months=3 * (q - 1))
                            for q in out["quarter"]])
    out["in_interval"] = out["observed"].between(out["lower"], out["upper"])
    out["withheld"] = out["observed"] < min_cell
    out["observed"] = out["observed"].where(~out["withheld"], np.nan)
    out["in_interval"] = out["in_interval"].astype(object).where(~out["withheld"],
                                                                 None)
    return out


def _whole_quarters(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Quarters from ``start`` that end on or before ``end``.

    Examples
    --------
    >>> _whole_quarters(pd.Timestamp("2024-09-01"), pd.Timestamp("2025-08-31"))
    4
    """
    n = 0
    while start + pd.DateOffset(months=3 * (n + 1)) <= end + pd.Timedelta(days=1):
        n += 1
    return n
