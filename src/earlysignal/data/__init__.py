"""Canonical tables, source mappings, loading, validation, pseudonymisation and the
synthetic multi-agency cohort (:mod:`earlysignal.data.synth`)."""

from earlysignal.data._attendance import DFE_MARKS, marks_to_periods
from earlysignal.data._fingerprint import (
    fingerprint_file,
    fingerprint_frame,
    fingerprint_tables,
)
from earlysignal.data._load import load_mapping
from earlysignal.data._load_report import LoadReport, SourceReport
from earlysignal.data._mapping import AttendanceMarks, SourceMapping, TableSource
from earlysignal.data._pseudonym import KEY_ENV_VAR, Pseudonymiser, pseudonymise
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
from earlysignal.data._tables import CanonicalTables
from earlysignal.data._validate import validate_folder, validate_tables

__all__ = [
    "DFE_MARKS",
    "DTYPES",
    "KEY_ENV_VAR",
    "TABLES",
    "TABLE_NAMES",
    "AttendanceMarks",
    "CanonicalTables",
    "Column",
    "LoadReport",
    "Pseudonymiser",
    "SourceMapping",
    "SourceReport",
    "TableSource",
    "TableSpec",
    "coerce_table",
    "empty_table",
    "fingerprint_file",
    "fingerprint_frame",
    "fingerprint_tables",
    "load_mapping",
    "marks_to_periods",
    "pandera_schema",
    "pseudonymise",
    "validate_folder",
    "validate_tables",
]
