"""Freshness and volume of each source in a later extract, against its history.

A source is one ``source`` value of the events or episodes table, or the periods
table (attendance). For each: the latest record date; the recording lag (own date
to ``recorded_at``) in the recent months against the training period; and the
rows per month of the recent months against the same calendar months of the
training years, so that the school holidays do not read as a slowdown.

The recent months end where a source's records are complete: months within the
source's usual recording lag (its 90th percentile in the training period) of the
extract's end are left out, as records of them are still arriving.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: (table, date column) of each table with sources.
_DATED = {"events": "event_date", "episodes": "start_date", "periods": "period_end"}


@dataclass(frozen=True)
class FreshnessSettings:
    """How recent months are judged.

    Attributes
    ----------
    window_months : int
        Complete months compared with the same months of earlier years.
    sds : float
        A source has slowed when its rows fall more than this many standard
        deviations (of the year-to-year spread, at least Poisson) below history.
    min_expected : float
        Sources expected to have fewer rows in the window are not judged.
    lag_factor : float
        The recent median lag may reach this multiple of the training 90th
        percentile before it is called late.
    """

    window_months: int = 6
    sds: float = 4.0
    min_expected: float = 20.0
    lag_factor: float = 2.0


def source_rows(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per record: ``source`` (a name), ``date`` and ``lag_days``.

    Examples
    --------
    >>> ev = pd.DataFrame({"person_id": ["a"], "event_date": [pd.Timestamp("2024-01-05")],
    ...                    "source": ["police"], "event_type": ["contact"],
    ...                    "recorded_at": [pd.Timestamp("2024-01-15")]})
    >>> source_rows({"events": ev})[["source", "lag_days"]].values.tolist()
    [['police events', 10.0]]
    """
    parts = []
    for table, col in _DATED.items():
        df = tables.get(table)
        if df is None or df.empty:
            continue
        name = (df["source"].astype(str) + f" {table}" if table != "periods"
                else pd.Series("attendance periods", index=df.index))
        rec = df["recorded_at"] if "recorded_at" in df else pd.Series(pd.NaT,
                                                                       index=df.index)
        date = pd.to_datetime(df[col])
        lag = (pd.to_datetime(rec) - date).dt.days.astype(float)
        parts.append(pd.DataFrame({"source": name.to_numpy(), "date": date.to_numpy(),
                                   "lag_days": lag.to_numpy()}))
    if not parts:
        return pd.DataFrame({"source": [], "date": pd.to_datetime([]), "lag_days": []})
    return pd.concat(parts, ignore_index=True)


def freshness(tables: Mapping[str, pd.DataFrame], *, trained_to: pd.Timestamp,
              extract_end: pd.Timestamp,
              settings: FreshnessSettings = FreshnessSettings()) -> pd.DataFrame:
    """Per source: latest record, lags and recent volume against history.

    Parameters
    ----------
    tables : mapping of DataFrames
        The later extract's canonical tables (history included).
    trained_to : Timestamp
        The end of the run's data: months up to it are the training period.
    extract_end : Timestamp
        The later extract's last day.
    settings : FreshnessSettings

    Returns
    -------
    DataFrame
        source, latest, days_since_latest, lag_median_train, lag_p90_train,
        lag_median_recent, window_start, window_end, rows_recent, rows_expected,
        rows_low (the lowest count history allows), status ("ok", "slowed",
        "stopped", "late" or "not judged"), reason (a sentence).
    """
    rows = source_rows(tables)
    out = [_one(str(name), g, trained_to, extract_end, settings)
           for name, g in rows.groupby("source", sort=True)]
    return pd.DataFrame(out)


def _one(name: str, g: pd.DataFrame, trained_to: pd.Timestamp,
         end: pd.Timestamp, st: FreshnessSettings) -> dict[str, object]:
    train = g[g["date"] <= trained_to]
    lag_t = train["lag_days"].dropna()
    p90 = float(lag_t.quantile(0.9)) if len(lag_t) else 0.0
    # the window's last month ends before records still arriving could be missing
    cutoff = (end - pd.Timedelta(days=round(p90))).normalize()
    last_month = cutoff.to_period("M")
    if cutoff < last_month.to_timestamp(how="end").normalize():
        last_month = last_month - 1  # a month counts only once complete
    first_month = last_month - (st.window_months - 1)
    months = g["date"].dt.to_period("M")
    recent = g[(months >= first_month) & (months <= last_month)]
    hist = _history(months[g["date"] <= trained_to], first_month, last_month)
    expected = float(np.mean(hist)) if hist else np.nan
    spread = float(np.std(hist, ddof=1)) if len(hist) > 1 else np.nan
    sd = float(np.sqrt(max(spread**2 if np.isfinite(spread) else 0.0, expected)))
    low = max(0.0, expected - st.sds * sd) if np.isfinite(expected) else np.nan
    lag_r = recent["lag_days"].dropna()
    latest = g["date"].max()
    row: dict[str, object] = {
        "source": name, "latest": latest, "days_since_latest": (end - latest).days,
        "lag_median_train": float(lag_t.median()) if len(lag_t) else np.nan,
        "lag_p90_train": p90 if len(lag_t) else np.nan,
        "lag_median_recent": float(lag_r.median()) if len(lag_r) else np.nan,
        "window_start": first_month.to_timestamp(),
        "window_end": (last_month + 1).to_timestamp() - pd.Timedelta(days=1),
        "rows_recent": len(recent), "rows_expected": expected, "rows_low": low,
        "years_of_history": len(hist)}
    row["status"], row["reason"] = _verdict(row, st)
    return row


def _history(months: pd.Series, first: pd.Period, last: pd.Period) -> list[int]:
    """Rows in the same calendar months of each earlier whole year of history."""
    counts = months.value_counts()
    out = []
    k = 1
    while True:
        lo, hi = first - 12 * k, last - 12 * k
        if counts.empty or hi < counts.index.min():
            break
        if lo >= counts.index.min():
            out.append(int(counts[(counts.index >= lo) & (counts.index <= hi)].sum()))
        k += 1
    return out


def _verdict(r: dict[str, object], st: FreshnessSettings) -> tuple[str, str]:
    src, n, exp, low = (str(r["source"]), int(r["rows_recent"]),  # type: ignore[call-overload]
                        float(r["rows_expected"]), float(r["rows_low"]))  # type: ignore[arg-type]
    span = (f"{pd.Timestamp(r['window_start']).strftime('%b %Y')} to "  # type: ignore[arg-type]
            f"{pd.Timestamp(r['window_end']).strftime('%b %Y')}")  # type: ignore[arg-type]
    if not np.isfinite(exp) or exp < st.min_expected:
        return "not judged", (f"{src}: too few rows in the same months of earlier "
                              f"years to judge {span}.")
    latest = pd.Timestamp(r["latest"]).date()  # type: ignore[arg-type]
    if n == 0:
        return "stopped", (f"{src} stopped: no records dated {span}, where earlier "
                           f"years had {exp:,.0f} on average; the latest is dated "
                           f"{latest}.")
    if n < low:
        return "slowed", (f"{src} slowed: {n:,} records dated {span}, against "
                          f"{exp:,.0f} on average in the same months of earlier "
                          f"years (the lowest history allows is {low:,.0f}).")
    lag_r, p90 = float(r["lag_median_recent"]), float(r["lag_p90_train"])  # type: ignore[arg-type]
    if np.isfinite(lag_r) and p90 > 0 and lag_r > st.lag_factor * p90:
        return "late", (f"{src} is recorded late: a median of {lag_r:.0f} days from "
                        f"a record's date to its entry in {span}, against a 90th "
                        f"percentile of {p90:.0f} days in the training period.")
    return "ok", (f"{src}: {n:,} records dated {span}, against {exp:,.0f} on average "
                  f"in the same months of earlier years; the latest is dated "
                  f"{latest}.")
