"""Input normalisation: turn a user's table of scores into clean arrays, or say why not.

Everything after this module can assume finite float scores, 0/1 integer labels and
string group values (missing values become the group ``"(missing)"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from earlysignal.errors import DataError, EarlysignalError
from earlysignal.fairness._operating_point import Capacity

MISSING = "(missing)"
PERSON_ID = "person_id"
"""The identifier column used by default when a table has it."""
INTERSECTION_SEP = " & "


@dataclass(frozen=True)
class AuditInput:
    """Validated columns of one audit; arrays share one row order."""

    score: np.ndarray
    label: np.ndarray
    groups: dict[str, np.ndarray]  # group_by name -> str values, one per row
    columns: tuple[str, ...]  # the single characteristic columns, in order
    period: np.ndarray | None
    source: str
    person: np.ndarray | None = None  # person identifier per row, when known
    person_column: str | None = None


def _bad_rows(mask: np.ndarray) -> list[int]:
    return [int(i) + 1 for i in np.flatnonzero(mask)[:5]]


def _check_columns(df: pd.DataFrame, wanted: Sequence[str], source: str) -> None:
    found = ", ".join(map(str, df.columns))
    for col in wanted:
        if col not in df.columns:
            raise DataError(
                f"no column '{col}' (columns found: {found})",
                file=source,
                column=col,
                fix="pass the name of a column that is in the file",
            )


def _scores(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    raw = df[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) & raw.notna().to_numpy()
    if bad.any():
        shown = ", ".join(repr(v) for v in raw[bad].head(3))
        raise DataError(
            f"scores must be numbers, found non-numeric values ({shown})",
            file=source,
            column=col,
            rows=_bad_rows(bad),
            fix="give the column of numeric risk scores",
        )
    missing = ~np.isfinite(values)
    if missing.any():
        raise DataError(
            f"{int(missing.sum())} scores are missing",
            file=source,
            column=col,
            rows=_bad_rows(missing),
            fix="drop or score those rows before the audit",
        )
    return values


_TRUE = {"1", "1.0", "true", "yes"}
_FALSE = {"0", "0.0", "false", "no"}


def _labels(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    raw = df[col]
    text = raw.astype("string").str.strip().str.lower()
    ones = text.isin(_TRUE).fillna(False).to_numpy(dtype=bool)
    zeros = text.isin(_FALSE).fillna(False).to_numpy(dtype=bool)
    bad = ~(ones | zeros)
    if bad.any():
        shown = ", ".join(sorted({repr(v) for v in raw[bad].head(20)})[:3])
        raise DataError(
            f"labels must be 0 or 1, found {shown}",
            file=source,
            column=col,
            rows=_bad_rows(bad),
            fix="recode the outcome as 1 (happened) and 0 (did not); drop unknowns",
        )
    return ones.astype(np.int8)


def _group_values(series: pd.Series) -> np.ndarray:
    text = series.astype("string").fillna(MISSING).str.strip()
    return text.to_numpy(dtype=object).astype(str)


def intersection_name(columns: Sequence[str]) -> str:
    """Name of an intersection, e.g. ``"sex & ethnicity"``."""
    return INTERSECTION_SEP.join(columns)


def normalise(
    df: pd.DataFrame,
    *,
    score: str,
    label: str,
    groups: Sequence[str] | str,
    intersections: Sequence[Sequence[str]] = (),
    period: str | None = None,
    source: str = "the scores table",
    id: str | None = None,
) -> AuditInput:
    """Check and convert the columns an audit needs (see :func:`audit`).

    ``id`` names the person identifier; without it, ``person_id`` is used when the
    table has that column, and otherwise each row counts as a different person.
    """
    if not isinstance(df, pd.DataFrame):
        raise EarlysignalError(
            f"audit expects a pandas DataFrame, got {type(df).__name__}; "
            "use audit_file for a CSV or Parquet file"
        )
    cols = [groups] if isinstance(groups, str) else list(groups)
    if not cols:
        raise DataError(
            "no group column given",
            file=source,
            fix="pass groups=['sex', ...] naming at least one characteristic column",
        )
    inter = [list(c) for c in intersections]
    wanted = [score, label, *cols, *(c for i in inter for c in i)]
    _check_columns(
        df, wanted + ([period] if period else []) + ([id] if id else []), source
    )
    if len(df) == 0:
        raise DataError("the table has no rows", file=source, fix="give scored rows")
    values = {
        c: _group_values(df[c])
        for c in dict.fromkeys(cols + [c for i in inter for c in i])
    }
    grouped: dict[str, np.ndarray] = {c: values[c] for c in cols}
    for combo in inter:
        if len(combo) < 2:
            raise DataError(
                f"an intersection needs two or more columns, got {combo}",
                file=source,
                fix='pass intersections=[["sex", "ethnicity"]]',
            )
        parts = [values[c] for c in combo]
        joined = parts[0].astype(object)
        for p in parts[1:]:
            joined = joined + INTERSECTION_SEP + p
        grouped[intersection_name(combo)] = joined.astype(str)
    per = _group_values(df[period]) if period else None
    person, person_column = _person(df, id, source)
    return AuditInput(
        score=_scores(df, score, source),
        label=_labels(df, label, source),
        groups=grouped,
        columns=tuple(dict.fromkeys(cols + [c for i in inter for c in i])),
        period=per,
        source=source,
        person=person,
        person_column=person_column,
    )


def _person(
    df: pd.DataFrame, id: str | None, source: str
) -> tuple[np.ndarray | None, str | None]:
    column = id if id is not None else (PERSON_ID if PERSON_ID in df.columns else None)
    if column is None:
        return None, None
    missing = df[column].isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{int(missing.sum())} person identifiers are missing",
            file=source,
            column=column,
            rows=_bad_rows(missing),
            fix="give every row the identifier of the person scored, or drop it",
        )
    return df[column].to_numpy(), column


_TOP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def check_operating_point(
    threshold: float | None, top: int | str | None, source: str
) -> None:
    """Exactly one of ``threshold`` and ``top`` must be given, and be sensible."""
    if (threshold is None) == (top is None):
        found = "neither" if threshold is None else "both"
        raise EarlysignalError(
            f"{source}: give exactly one operating point, threshold or top; "
            f"got {found}. "
            "Fix: threshold=0.3 selects scores >= 0.3; top=100 or top='5%' selects "
            "the highest-scoring people up to a capacity"
        )
    if top is not None:
        parse_top(top, 1, source)


def parse_top(top: int | str, n: int, source: str = "top") -> float:
    """Capacity as a number of people out of ``n`` (``"5%"`` -> 5% of n, rounded)."""
    return float(capacity_rule(top, source).k(np.array([float(n)]))[0])


def capacity_rule(top: int | str, source: str = "top") -> Capacity:
    """The capacity ``top`` as a rule on the number of rows in scope.

    Examples
    --------
    >>> capacity_rule("5%"), capacity_rule(100)
    (Capacity(count=None, share=0.05), Capacity(count=100.0, share=None))
    """
    if isinstance(top, bool):
        top = str(top)
    if isinstance(top, int | np.integer):
        if top < 1:
            raise EarlysignalError(f"{source}: top must be at least 1, got {top}")
        return Capacity(count=float(int(top)))
    text = str(top)
    m = _TOP.match(text)
    if m:
        pct = float(m.group(1))
        if not 0 < pct <= 100:
            raise EarlysignalError(
                f"{source}: top must be between 0% and 100%, got {text}"
            )
        # Round half up, but always select at least one person (Capacity.k).
        return Capacity(share=pct / 100)
    if text.strip().isdigit():
        return capacity_rule(int(text), source)
    raise EarlysignalError(
        f"{source}: top must be a number of people (100) or a percentage ('5%'), "
        f"got {top!r}"
    )
