"""Temporal-integrity check: a feature matrix must not change when everything known
on or after each row's as-of date is removed from the data.

For a random sample of rows, the tables are cut at the row's as-of date with the
same rules as the time-travel check (events, episodes, periods and
characteristics known on or after the date are dropped; ends and ``valid_to`` on or
after it are blanked) and the features are recomputed from what is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import LeakageError
from earlysignal.features._compile import needed_tables
from earlysignal.features._compute import Specs, as_specs, compute_features
from earlysignal.features._engine import Engine, as_engine
from earlysignal.features._labels import known_on
from earlysignal.features._metadata import feature_metadata


@dataclass(frozen=True)
class IntegrityReport:
    """What the check looked at: rows, as-of dates and feature columns."""

    rows_checked: int
    as_of_dates: int
    features_checked: int


def known_before(tables: Mapping[str, pd.DataFrame], cut: pd.Timestamp
                 ) -> dict[str, pd.DataFrame]:
    """The tables as they stood before ``cut``: what was known by then.

    A row's known day is the later of its own date and ``recorded_at``. Episodes
    ending on or after ``cut`` become open; characteristics valid on or after
    ``cut`` lose their ``valid_to``; periods must have ended before ``cut``.

    Examples
    --------
    >>> ep = pd.DataFrame({"person_id": ["a", "a"], "start_date":
    ...     pd.to_datetime(["2024-01-01", "2024-02-01"]), "end_date":
    ...     pd.to_datetime(["2024-03-10", None]), "source": "social_care",
    ...     "episode_type": "cin", "recorded_at": pd.to_datetime([None, "2024-03-02"])})
    >>> out = known_before({"episodes": ep}, pd.Timestamp("2024-03-01"))["episodes"]
    >>> len(out), out["end_date"].isna().all()
    (1, np.True_)
    """
    cut = pd.Timestamp(cut)
    out: dict[str, pd.DataFrame] = {}
    for name, df in tables.items():
        if name == "events":
            df = df[known_on(df, "event_date") < cut]
        elif name == "episodes":
            df = df[known_on(df, "start_date") < cut].copy()
            df.loc[pd.to_datetime(df["end_date"]) >= cut, "end_date"] = pd.NaT
        elif name == "periods":
            df = df[known_on(df, "period_end") < cut]
        elif name == "characteristics":
            df = df[known_on(df, "valid_from") < cut].copy()
            if "valid_to" in df.columns:
                df.loc[pd.to_datetime(df["valid_to"]) >= cut, "valid_to"] = pd.NaT
        out[name] = df
    return out


def check_temporal_integrity(
    tables: Mapping[str, pd.DataFrame],
    cohort: pd.DataFrame,
    specs: Specs,
    frame: pd.DataFrame,
    *,
    engine: str | Engine = "duckdb",
    sample: int = 200,
    seed: int = 0,
) -> IntegrityReport:
    """Check that sampled rows of ``frame`` only used data known before their date.

    One recompute per sampled as-of date, on the sampled people only.

    Parameters
    ----------
    tables, cohort, specs
        What ``frame`` was computed from (see :func:`compute_features`).
    frame : DataFrame
        The feature matrix: ``person_id``, ``as_of`` and feature columns.
    sample : int
        How many rows to check.

    Raises
    ------
    LeakageError
        Naming the features that differ and the first rows where they do.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> tables = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a"], "event_date": ["2024-01-10"], "source": "school",
    ...     "event_type": "x", "recorded_at": ["2024-03-05"]})})
    >>> cohort = pd.DataFrame({"person_id": ["a"], "as_of": [pd.Timestamp("2024-03-01")]})
    >>> specs = [{"name": "x", "from": "events", "windows": ["90d"]}]
    >>> fs = compute_features(tables, cohort, specs)
    >>> check_temporal_integrity(tables, cohort, specs, fs.frame).rows_checked
    1
    >>> leaky = fs.frame.assign(x__count__90d=1.0)
    >>> check_temporal_integrity(tables, cohort, specs, leaky)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    earlysignal.errors.LeakageError: 1 feature changes when data known on or after ...
    """
    spec_list = as_specs(specs)
    columns = [m.column for m in feature_metadata(spec_list) if m.column in frame]
    rows = frame[["person_id", "as_of"]].copy()
    rows["as_of"] = pd.to_datetime(rows["as_of"]).dt.normalize()
    picked = rows.sample(n=min(sample, len(rows)), random_state=seed)
    if picked.empty:
        return IntegrityReport(0, 0, len(columns))
    eng = as_engine(engine)
    diffs: dict[str, list[str]] = {}
    try:
        persons = sorted(picked["person_id"].astype(str).unique())
        sub = _tables_for(tables, spec_list, persons, eng)
        for as_of, group in picked.groupby("as_of", sort=True):
            cut_tables = known_before(sub, pd.Timestamp(str(as_of)))
            keys = group.reset_index(drop=True)
            again = compute_features(cut_tables, keys, spec_list, engine=eng).frame
            before = frame.loc[group.index, columns].reset_index(drop=True)
            _compare(before, again, columns, keys, diffs)
    finally:
        if not isinstance(engine, Engine):
            eng.close()
    if diffs:
        raise LeakageError(_message(diffs, len(picked)))
    return IntegrityReport(len(picked), picked["as_of"].nunique(), len(columns))


def _tables_for(tables: Mapping[str, pd.DataFrame], specs: Sequence[Any],
                persons: list[str], eng: Engine) -> dict[str, pd.DataFrame]:
    from earlysignal.data import coerce_table, empty_table

    frames = getattr(tables, "frames", None)
    paths = getattr(tables, "paths", {}) or {}
    out = {}
    for name in needed_tables(specs):
        if name in paths and (frames is None or name not in frames):
            with eng.slot() as prefix:
                t = eng.register(f"{prefix}check_{name}", paths[name])
                pid = t.person_id.cast("string")
                df = eng.execute(t.filter(pid.isin(persons)), feature=f"({name} rows)")
            out[name] = coerce_table(name, df)
        elif name in tables:
            df = tables[name]
            out[name] = coerce_table(name, df[df["person_id"].astype(str).isin(persons)])
        else:
            out[name] = empty_table(name)
    return out


def _compare(before: pd.DataFrame, again: pd.DataFrame, columns: list[str],
             keys: pd.DataFrame, diffs: dict[str, list[str]]) -> None:
    for col in columns:
        a, b = before[col], again[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            same = np.isclose(a.astype(float), b.astype(float), rtol=1e-9, atol=1e-9,
                              equal_nan=True)
        else:
            same = ((a.isna() & b.isna()) | (a.astype(str) == b.astype(str))
                    ).to_numpy()
        for i in np.flatnonzero(~same):
            diffs.setdefault(col, []).append(
                f"person {keys['person_id'][i]} at {keys['as_of'][i].date()}: "
                f"matrix {_fmt(a[i])}, from data known before the date {_fmt(b[i])}")


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "NULL"
    return f"{v:g}" if isinstance(v, float | np.floating) else repr(v)


def _message(diffs: dict[str, list[str]], n_rows: int) -> str:
    n = len(diffs)
    lines = [f"{n} feature{'s' if n != 1 else ''} change{'s' if n == 1 else ''} "
             f"when data known on or after the as-of date is removed "
             f"({n_rows} rows checked):"]
    for col, rows in list(diffs.items())[:10]:
        many = len(rows) != 1
        lines.append(f"  - {col}: {len(rows)} row{'s' if many else ''} "
                     f"differ{'' if many else 's'}, e.g. {rows[0]}")
    lines.append("Fix: the feature used information recorded on or after its as-of "
                 "date; check the spec's table, recorded_at and the compiled filter.")
    return "\n".join(lines)
