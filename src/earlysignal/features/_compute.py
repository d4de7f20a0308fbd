"""Compute a feature matrix for a cohort of (person, as-of date) rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import DataError
from earlysignal.features._compile import (
    Compiled,
    compile_features,
    needed_tables,
    window_bounds,
)
from earlysignal.features._engine import Engine, as_engine
from earlysignal.features._metadata import FeatureMeta, metadata_frame
from earlysignal.features._spec import FeatureSpec, parse_feature_specs

Specs = Sequence[FeatureSpec] | Sequence[Mapping[str, Any]] | Mapping[str, Any]


@dataclass(frozen=True)
class FeatureSet:
    """A feature matrix and the metadata of its columns.

    ``frame`` has ``person_id``, ``as_of`` and one column per feature, in the order
    of ``metadata``; rows are in the cohort's order. Numeric and indicator features
    are float64 (NaN where NULL); categorical ones are strings.
    """

    frame: pd.DataFrame
    metadata: tuple[FeatureMeta, ...]

    @property
    def columns(self) -> list[str]:
        """Feature column names (without ``person_id`` and ``as_of``)."""
        return [m.column for m in self.metadata]

    @cached_property
    def meta(self) -> dict[str, FeatureMeta]:
        """Metadata by column name."""
        return {m.column: m for m in self.metadata}

    def metadata_frame(self) -> pd.DataFrame:
        """The metadata as a table, one row per feature column."""
        return metadata_frame(self.metadata)


def as_specs(specs: Specs) -> list[FeatureSpec]:
    """Specs as :class:`FeatureSpec` objects, parsing dicts (as from YAML)."""
    if isinstance(specs, Mapping):
        return parse_feature_specs(specs)
    items = list(specs)
    if all(isinstance(s, FeatureSpec) for s in items):
        return items  # type: ignore[return-value]
    return parse_feature_specs(items)


def compute_features(
    tables: Mapping[str, pd.DataFrame],
    cohort: pd.DataFrame,
    specs: Specs,
    *,
    engine: str | Engine = "duckdb",
    batch_as_of: bool = False,
) -> FeatureSet:
    """Features for every (person_id, as_of) row of ``cohort``.

    Parameters
    ----------
    tables : CanonicalTables or mapping of DataFrames
        The canonical tables. Tables that live on disk (``tables.paths``) are read
        by the engine straight from Parquet.
    cohort : DataFrame
        ``person_id`` and ``as_of`` (a day; any time of day is dropped). Each pair
        must appear once.
    specs : list of FeatureSpec, or of dicts as in YAML
        What to compute; see :func:`parse_feature_specs`.
    engine : "duckdb", "spark" or Engine
        Where to run. A name makes a new engine for this call.
    batch_as_of : bool
        Run one query per as-of date instead of one for the whole cohort (less
        memory for very large cohorts; the result is the same).

    Returns
    -------
    FeatureSet
        Rows in the cohort's order; see the module
        :mod:`earlysignal.features._metadata` for the missing-data rules.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> tables = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a", "a", "b"], "source": "school",
    ...     "event_type": "suspension",
    ...     "event_date": ["2024-01-10", "2024-03-01", "2023-06-01"],
    ...     "recorded_at": [None, None, "2024-03-05"]})})
    >>> cohort = pd.DataFrame({"person_id": ["a", "b"],
    ...                        "as_of": pd.to_datetime(["2024-03-01"] * 2)})
    >>> fs = compute_features(tables, cohort, [{"name": "suspensions",
    ...     "from": "events", "aggregate": ["count", "days_since_last"],
    ...     "windows": ["90d", "all"]}])
    >>> fs.frame.iloc[:, 2:6]
       suspensions__count__90d  ...  suspensions__days_since_last__all
    0                      1.0  ...                               51.0
    1                      0.0  ...                                NaN
    <BLANKLINE>
    [2 rows x 4 columns]
    """
    spec_list = as_specs(specs)
    parts = list(iter_features(tables, cohort, spec_list, engine=engine,
                               by_as_of=batch_as_of))
    from earlysignal.features._metadata import feature_metadata

    metas = tuple(feature_metadata(spec_list))
    if parts:
        frame = pd.concat(parts, ignore_index=False).sort_index()
        frame = frame.reset_index(drop=True)
    else:
        frame = _empty(cohort, metas)
    return FeatureSet(frame, metas)


def iter_features(
    tables: Mapping[str, pd.DataFrame],
    cohort: pd.DataFrame,
    specs: Specs,
    *,
    engine: str | Engine = "duckdb",
    by_as_of: bool = True,
    rows_per_batch: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the feature matrix in batches, for writing one row group at a time.

    Batches are one as-of date each (``by_as_of``), further cut into at most
    ``rows_per_batch`` rows. Each batch has ``person_id``, ``as_of`` and the feature
    columns (as in :func:`compute_features`); its index is the rows' positions in
    ``cohort``. The query is compiled once and run per batch.

    Examples
    --------
    >>> cohort = pd.DataFrame({"person_id": ["a", "a"],
    ...     "as_of": pd.to_datetime(["2024-01-01", "2024-06-01"])})
    >>> people = pd.DataFrame({"person_id": ["a"], "date_of_birth": ["2010-01-01"]})
    >>> spec = [{"name": "age", "from": "people", "aggregate": ["age"]}]
    >>> [round(b["age__age__asof"].item(), 2) for b in
    ...  iter_features({"people": people}, cohort, spec)]
    [14.0, 14.41]
    """
    spec_list = as_specs(specs)
    eng = as_engine(engine)
    own = not isinstance(engine, Engine)
    keyed = _cohort_rows(cohort)
    try:
        with eng.slot() as prefix:
            bound = _register(eng, tables, spec_list, prefix)
            bound["bounds"] = eng.register(prefix + "bounds",
                                           window_bounds(keyed["t"], spec_list))
            cohort_name = prefix + "cohort"
            bound["cohort"] = eng.register(cohort_name, keyed.iloc[:0])
            key = (prefix, tuple(s.model_dump_json() for s in spec_list),
                   tuple((n, t.schema()) for n, t in sorted(bound.items())))
            compiled, sql = eng.compile_cached(key, lambda: _build(eng, spec_list,
                                                                   bound))
            for batch in _batches(keyed, by_as_of, rows_per_batch):
                eng.register(cohort_name, batch)
                yield _run(eng, compiled, sql, batch, cohort)
    finally:
        if own:
            eng.close()


def _build(eng: Engine, specs: Sequence[FeatureSpec], bound: dict[str, Any]
           ) -> tuple[Compiled, str]:
    compiled = compile_features(specs, bound)
    return compiled, eng.to_sql(compiled.expr)


def _cohort_rows(cohort: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("person_id", "as_of") if c not in cohort.columns]
    if missing:
        raise DataError(f"the cohort has no column {missing[0]!r}", file="cohort",
                        fix="pass a DataFrame with person_id and as_of")
    as_of = pd.to_datetime(cohort["as_of"])
    if as_of.isna().any():
        rows = list(np.flatnonzero(as_of.isna().to_numpy())[:5] + 1)
        raise DataError("as_of is empty", file="cohort", column="as_of", rows=rows,
                        fix="give every cohort row an as-of date")
    pid = cohort["person_id"].astype("str")
    dup = pd.DataFrame({"p": pid, "a": as_of.dt.normalize()}).duplicated()
    if dup.any():
        rows = list(np.flatnonzero(dup.to_numpy())[:5] + 1)
        raise DataError("the same (person_id, as_of) appears more than once",
                        file="cohort", rows=rows, fix="drop duplicate cohort rows")
    days = as_of.to_numpy().astype("datetime64[D]").astype("int64")
    return pd.DataFrame({"rid": np.arange(len(cohort), dtype="int64"),
                         "person_id": pid.to_numpy(), "t": days})


def _register(eng: Engine, tables: Mapping[str, pd.DataFrame],
              specs: Sequence[FeatureSpec], prefix: str) -> dict[str, Any]:
    paths = getattr(tables, "paths", {}) or {}
    frames = getattr(tables, "frames", None)
    bound = {}
    for name in needed_tables(specs):
        in_memory = frames is not None and name in frames
        if name in paths and not in_memory:
            bound[name] = eng.register(prefix + name, paths[name])
        else:
            bound[name] = eng.register(prefix + name, _frame(tables, name))
    return bound


def _frame(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    from earlysignal.data import coerce_table, empty_table

    if name in tables:
        return tables[name] if hasattr(tables, "paths") else coerce_table(
            name, tables[name])
    return empty_table(name)


def _batches(keyed: pd.DataFrame, by_as_of: bool, rows: int | None
             ) -> Iterator[pd.DataFrame]:
    groups = [g for _, g in keyed.groupby("t", sort=True)] if by_as_of else [keyed]
    for g in groups:
        step = rows or max(len(g), 1)
        for i in range(0, len(g), step):
            yield g.iloc[i:i + step]


def _run(eng: Engine, compiled: Compiled, sql: str, batch: pd.DataFrame,
         cohort: pd.DataFrame) -> pd.DataFrame:
    res = eng.execute_sql(sql, feature=compiled.names)
    res = res.set_index("rid").reindex(batch["rid"].to_numpy())
    out = cohort.iloc[batch["rid"].to_numpy()][["person_id", "as_of"]].copy()
    out.index = batch["rid"].to_numpy()
    cols = {}
    for m in compiled.metadata:
        s = res[m.column]
        cols[m.column] = (s.astype("str") if m.kind == "categorical"
                          else pd.to_numeric(s).astype("float64"))
    feats = pd.DataFrame(cols, index=out.index)
    return pd.concat([out, feats], axis=1)


def _empty(cohort: pd.DataFrame, metas: Sequence[FeatureMeta]) -> pd.DataFrame:
    out = cohort[["person_id", "as_of"]].iloc[:0].copy()
    for m in metas:
        out[m.column] = pd.Series([], dtype="str" if m.kind == "categorical"
                                  else "float64")
    return out
