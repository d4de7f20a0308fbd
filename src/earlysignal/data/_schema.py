"""The five canonical tables: their columns, dtypes and checks, fixed in one place.

Everything downstream of loading sees only these tables. Column names are fixed;
extra columns are carried along untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

Kind = Literal["id", "text", "date", "number"]

#: pandas dtype for each kind of column. Dates are naive day-precision timestamps.
DTYPES: dict[str, str] = {
    "id": "str",
    "text": "str",
    "date": "datetime64[us]",
    "number": "float64",
}


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``required`` columns must be present in the input; ``nullable`` says whether a
    missing value is allowed in a row; ``default`` fills an absent optional column.
    """

    name: str
    kind: Kind
    required: bool = True
    nullable: bool = False
    default: object = None


@dataclass(frozen=True)
class TableSpec:
    """The columns of one canonical table and the date that says when a row happened."""

    name: str
    columns: tuple[Column, ...]
    happened: str | None  # the column giving when a row happened (or began)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, TableSpec] = {
    "people": TableSpec(
        "people",
        (
            Column("person_id", "id"),
            # may be empty (a mapping may leave it out): an adult's extract often
            # holds an age band, not a birth date; a cohort with an age rule sets
            # aside people without one
            Column("date_of_birth", "date", nullable=True),
        ),
        happened=None,
    ),
    "events": TableSpec(
        "events",
        (
            Column("person_id", "id"),
            Column("event_date", "date"),
            Column("source", "text"),
            Column("event_type", "text"),
            Column("value", "number", required=False, default=1.0),
            Column("recorded_at", "date", required=False, nullable=True),
        ),
        happened="event_date",
    ),
    "episodes": TableSpec(
        "episodes",
        (
            Column("person_id", "id"),
            Column("start_date", "date"),
            Column("end_date", "date", nullable=True),
            Column("source", "text"),
            Column("episode_type", "text"),
            Column("recorded_at", "date", required=False, nullable=True),
        ),
        happened="start_date",
    ),
    "periods": TableSpec(
        "periods",
        (
            Column("person_id", "id"),
            Column("period_start", "date"),
            Column("period_end", "date"),
            Column("measure", "text"),
            Column("value", "number"),
            Column("recorded_at", "date", required=False, nullable=True),
        ),
        happened="period_end",
    ),
    "characteristics": TableSpec(
        "characteristics",
        (
            Column("person_id", "id"),
            Column("attribute", "text"),
            Column("value", "text"),
            Column("valid_from", "date"),
            Column("valid_to", "date", required=False, nullable=True),
        ),
        happened="valid_from",
    ),
}

TABLE_NAMES: tuple[str, ...] = tuple(TABLES)


def empty_table(name: str) -> pd.DataFrame:
    """An empty canonical table with every column and the fixed dtypes.

    Examples
    --------
    >>> empty_table("events").dtypes["event_date"]
    dtype('<M8[us]')
    """
    spec = TABLES[name]
    return pd.DataFrame(
        {c.name: pd.Series([], dtype=DTYPES[c.kind]) for c in spec.columns}
    )


def coerce_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Give an already-clean table the canonical dtypes and add absent optional columns.

    This does not validate values (that is :func:`earlysignal.data.validate_table`);
    it only fixes dtypes of data already known to be well-formed, such as the
    synthetic cohort or Parquet written by earlysignal itself. Extra columns are kept.

    Examples
    --------
    >>> df = pd.DataFrame({"person_id": [1], "event_date": ["2024-01-02"],
    ...                    "source": ["school"], "event_type": ["suspension"]})
    >>> out = coerce_table("events", df)
    >>> out["value"].tolist(), str(out["person_id"].dtype)
    ([1.0], 'str')
    """
    spec = TABLES[name]
    out = df.copy()
    for col in spec.columns:
        if col.name not in out.columns:
            fill = col.default if col.default is not None else None
            out[col.name] = pd.Series([fill] * len(out), index=out.index)
        out[col.name] = _as_kind(out[col.name], col.kind)
    ordered = spec.names + [c for c in out.columns if c not in spec.names]
    return out[ordered]


def _as_kind(s: pd.Series, kind: Kind) -> pd.Series:
    if kind == "date":
        return pd.to_datetime(s).astype(cast(Any, DTYPES["date"]))
    if kind == "number":
        return pd.to_numeric(s).astype(np.float64)
    return s.astype(cast(Any, "str")).where(s.notna(), other=None)


def pandera_schema(name: str, *, file: str | None = None):  # type: ignore[no-untyped-def]
    """The pandera schema of a canonical table, for checking a coerced table.

    Extra columns are allowed and carried. Row-level rules that span columns
    (end before start, absence above sessions possible) live in the validator,
    which can name rows and a fix.

    Examples
    --------
    >>> schema = pandera_schema("people")
    >>> sorted(schema.columns)
    ['date_of_birth', 'person_id']
    """
    import pandera.pandas as pa

    spec = TABLES[name]
    cols = {
        c.name: pa.Column(DTYPES[c.kind], nullable=c.nullable, required=c.required)
        for c in spec.columns
    }
    return pa.DataFrameSchema(cols, strict=False, name=file or name)
