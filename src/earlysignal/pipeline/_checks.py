"""Checks between the data and the config that stop a run in the user's terms.

A model cannot learn an outcome that never happens, and an estimator deep inside a
library would only say "y has only one class". These checks run as soon as the data
is loaded (the outcome rows) and as soon as the labels exist (the escalations), and
name the config entry, the table and what the data does hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import DataError
from earlysignal.features._labels import TYPE_COLUMN, LabelSpec, select_rows


def check_outcome_rows(label: LabelSpec, tables: Mapping[str, pd.DataFrame]) -> None:
    """Raise when no row of the data matches any ``label.outcome`` rule.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> from earlysignal.features import LabelSpec
    >>> t = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a"], "event_date": ["2021-03-01"], "source": ["police"],
    ...     "event_type": ["stop"]})})
    >>> spec = LabelSpec(horizon="12m", outcome=[{"table": "events",
    ...                                           "source": "youth_justice"}])
    >>> check_outcome_rows(spec, t)
    Traceback (most recent call last):
    ...
    earlysignal.errors.DataError: events, column 'source': no row matches label.outcome (the escalation to predict): label.outcome[0] (events with source youth_justice) matches 0 of 1 rows; the events table holds source police, event_type stop. Fix: correct label.outcome in the config to values the data holds, or load the table that records the outcome
    """
    counts = []
    for rule in label.outcome:
        table = tables[rule.table]
        counts.append(len(select_rows(table, rule.table, rule.source, rule.type)))
    if any(counts):
        return
    parts = []
    for i, (rule, n) in enumerate(zip(label.outcome, counts, strict=True)):
        table = tables[rule.table]
        what = _rule_text(rule)
        held = ("is empty (no rows were loaded)" if table.empty
                else f"holds {_held(table, rule.table)}")
        parts.append(f"label.outcome[{i}] ({what}) matches {n} of {len(table):,} "
                     f"rows; the {rule.table} table {held}")
    first = label.outcome[0]
    raise DataError(
        "no row matches label.outcome (the escalation to predict): "
        + "; ".join(parts),
        file=first.table,
        column="source" if first.source else TYPE_COLUMN[first.table]
        if first.type else None,
        fix="correct label.outcome in the config to values the data holds, or load "
        "the table that records the outcome",
    )


def check_escalations(label: LabelSpec, counts: Mapping[str, Any]) -> None:
    """Raise when the labelled rows hold no escalation, or nothing but escalations.

    Examples
    --------
    >>> from earlysignal.features import LabelSpec
    >>> spec = LabelSpec(horizon="12m", outcome=[{"table": "events"}])
    >>> check_escalations(spec, {"rows": 40, "positives": 0, "negatives": 40,
    ...                          "censored_excluded": 5})
    Traceback (most recent call last):
    ...
    earlysignal.errors.DataError: label.outcome: none of the 40 labelled rows escalated within the 12m horizon (0 escalations, 40 without, 5 set aside because follow-up ended early), so there is nothing to learn from. Fix: check label.outcome and label.horizon against the data, widen cohort.as_of, or use a longer horizon
    """
    pos, neg = int(counts.get("positives", 0)), int(counts.get("negatives", 0))
    if pos and neg:
        return
    rows = int(counts.get("rows", pos + neg))
    censored = int(counts.get("censored_excluded", 0))
    why = (f"({pos:,} escalations, {neg:,} without, {censored:,} set aside because "
           "follow-up ended early)")
    if not pos:
        problem = (f"none of the {rows:,} labelled rows escalated within the "
                   f"{label.window.label} horizon {why}, so there is nothing to "
                   "learn from")
    else:
        problem = (f"every one of the {rows:,} labelled rows escalated within the "
                   f"{label.window.label} horizon {why}, so there is nothing to "
                   "tell apart")
    raise DataError(problem, file="label.outcome",
                    fix="check label.outcome and label.horizon against the data, "
                    "widen cohort.as_of, or use a longer horizon")


def check_finite_features(matrix: pd.DataFrame, columns: list[str]) -> None:
    """Raise when a feature column holds infinite values, naming the feature.

    Examples
    --------
    >>> m = pd.DataFrame({"as_of": pd.to_datetime(["2021-09-01"] * 2),
    ...                   "x__value__asof": [1.0, np.inf]})
    >>> check_finite_features(m, ["x__value__asof"])
    Traceback (most recent call last):
    ...
    earlysignal.errors.DataError: feature matrix, column 'x__value__asof': 1 value(s) are infinite (first in row 2 at as-of date 2021-09-01), which no model can use. Fix: correct the source column the feature is computed from (an overflowed or divided-by-zero number), or drop the feature from the config
    """
    for col in columns:
        values = pd.to_numeric(matrix[col], errors="coerce").to_numpy(dtype="float64")
        bad = np.isinf(values)
        if bad.any():
            # the as-of date and row, never a person id (messages are shared)
            row = int(np.flatnonzero(bad)[0]) + 1
            when = (f" at as-of date {pd.Timestamp(matrix['as_of'].iloc[row - 1]):%Y-%m-%d}"
                    if "as_of" in matrix else "")
            raise DataError(
                f"{int(bad.sum())} value(s) are infinite (first in row {row}{when}), "
                "which no model can use",
                file="feature matrix", column=col,
                fix="correct the source column the feature is computed from (an "
                "overflowed or divided-by-zero number), or drop the feature from the "
                "config")


def _rule_text(rule: Any) -> str:
    parts = [rule.table]
    if rule.source:
        parts.append(f"with source {', '.join(rule.source)}")
    if rule.type:
        parts.append(f"{'and' if rule.source else 'with'} "
                     f"{TYPE_COLUMN[rule.table]} {', '.join(rule.type)}")
    return " ".join(parts)


def _held(table: pd.DataFrame, name: str, limit: int = 8) -> str:
    out = []
    for col in ("source", TYPE_COLUMN[name]):
        values = sorted(map(str, table[col].dropna().unique()))
        more = f" and {len(values) - limit} more" if len(values) > limit else ""
        out.append(f"{col} {', '.join(values[:limit])}{more}")
    return ", ".join(out)
