"""Canonical tables, source mappings, loading, validation, pseudonymisation and the
synthetic multi-agency cohort."""

from earlysignal.data._tables import CanonicalTables
from earlysignal.data._schema import (
    DTYPES,
    TABLE_NAMES,
    TABLES,
    Column,
    TableSpec,
    coerce_table,
    empty_table,
    pandera_schema,
)

__all__ = [
    "DTYPES",
    "CanonicalTables",
    "TABLES",
    "TABLE_NAMES",
    "Column",
    "TableSpec",
    "coerce_table",
    "empty_table",
    "pandera_schema",
]
