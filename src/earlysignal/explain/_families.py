"""Factor families: which features read together as one reason, and their names.

Every feature belongs to the family its metadata names (attendance, behaviour,
police, ...). Protected characteristics form a family of their own, whatever their
metadata says, so that they never hide inside an actionable reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.explain._contributions import ExplainError

__all__ = ["FAMILY_LABELS", "PROTECTED", "family_label", "feature_table",
           "family_matrix", "display_name", "window_phrase"]

PROTECTED = "protected"

FAMILY_LABELS = {
    "attendance": "Attendance",
    "behaviour": "Behaviour and exclusions",
    "exclusion": "Exclusions",
    "police": "Police contact",
    "social_care": "Social care",
    "youth_justice": "Youth justice",
    "multi_agency": "Contact across agencies",
    "characteristics": "Characteristics",
    "demographics": "Age",
    "school": "School",
    PROTECTED: "Protected characteristics",
}

_AGGREGATE_WORDS = {
    "count": "number", "sum": "total", "ever": "ever", "days_since_last":
    "days since the last", "days_since_first": "days since the first",
    "distinct_types": "kinds", "rate_per_year": "a year", "open": "open now",
    "started": "started", "days_in": "days in", "days_since_last_ended":
    "days since last ended", "ratio": "", "persistent": "persistent", "value": "",
    "age": "", "no_data": "none recorded", "trend": "change",
}


def family_label(family: str) -> str:
    """A readable name of a family key.

    Examples
    --------
    >>> family_label("social_care"), family_label("mental_health")
    ('Social care', 'Mental health')
    """
    if family in FAMILY_LABELS:
        return FAMILY_LABELS[family]
    return family.replace("_", " ").strip().capitalize() or "Other"


def window_phrase(meta: Any) -> str:
    """``in the last 90 days``, ``ever``, ``on this date`` from a feature's window.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> window_phrase(M(window="90d", span=None)), window_phrase(M(window="all"))
    ('in the last 90 days', 'ever')
    """
    span = getattr(meta, "span", None)
    if span is not None:
        if span.is_all:
            return "ever"
        names = {"days": "day", "weeks": "week", "months": "month", "years": "year",
                 "terms": "term"}
        unit = names.get(span.unit, str(span.unit))
        return f"in the last {unit}" if span.n == 1 else \
            f"in the last {span.n} {unit}s"
    label = str(getattr(meta, "window", "") or "")
    if label in ("", "asof"):
        return "on this date"
    if label == "all":
        return "ever"
    units = {"d": "day", "w": "week", "m": "month", "y": "year"}
    num, unit = label[:-1], units.get(label[-1:], "")
    if num.isdigit() and unit:
        return f"in the last {unit}" if num == "1" else f"in the last {num} {unit}s"
    return f"over {label}"


def display_name(meta: Any) -> str:
    """A short readable name of a feature, for plots and tables.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> display_name(M(label="police contacts", aggregate="count", window="90d"))
    'police contacts: number in the last 90 days'
    """
    label = str(getattr(meta, "label", None) or getattr(meta, "name", "feature"))
    label = label.replace("_", " ")
    word = _AGGREGATE_WORDS.get(str(getattr(meta, "aggregate", "") or ""), "")
    when = window_phrase(meta)
    parts = " ".join(p for p in (word, "" if when == "on this date" else when) if p)
    return f"{label}: {parts}" if parts else label


def as_mapping(metadata: Mapping[str, Any] | Iterable[Any]) -> dict[str, Any]:
    """Column -> metadata from a mapping or a sequence of FeatureMeta."""
    if isinstance(metadata, Mapping):
        return {str(k): v for k, v in metadata.items()}
    out = {}
    for m in metadata:
        if not hasattr(m, "column"):
            raise ExplainError(
                f"metadata items must be FeatureMeta objects with a 'column', got "
                f"{type(m).__name__}. Fix: pass FeatureMatrix.metadata or a mapping "
                "column -> FeatureMeta"
            )
        out[str(m.column)] = m
    return out


def feature_table(columns: Sequence[str], metadata: Mapping[str, Any]) -> pd.DataFrame:
    """One row per model input: family, readable name and honesty flags.

    ``actionable`` is False for protected characteristics and for data-missingness
    indicators (a practitioner can act on a behaviour, not on a gap in the records).
    """
    lacking = [c for c in columns if c not in metadata]
    if lacking:
        raise ExplainError(
            f"no metadata for {len(lacking)} model input(s), first: {lacking[:5]}. "
            "Fix: pass the metadata of the feature matrix the model was trained on"
        )
    rows = []
    for c in columns:
        m = metadata[c]
        protected = bool(getattr(m, "protected", False))
        missing = bool(getattr(m, "is_missing_indicator", False)) or \
            getattr(m, "aggregate", None) == "no_data"
        family = PROTECTED if protected else str(getattr(m, "family", "") or "other")
        rows.append({
            "column": c, "family": family, "family_label": family_label(family),
            "feature": display_name(m), "kind": str(getattr(m, "kind", "numeric")),
            "protected": protected, "missing_indicator": missing,
            "actionable": not (protected or missing),
        })
    return pd.DataFrame(rows).set_index("column")


def family_matrix(info: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """0/1 matrix (features x families) and the family keys, in first-seen order.

    ``contributions @ matrix`` sums contributions by family in one product.
    """
    families = list(dict.fromkeys(info["family"]))
    index = {f: i for i, f in enumerate(families)}
    G = np.zeros((len(info), len(families)))
    G[np.arange(len(info)), [index[f] for f in info["family"]]] = 1.0
    return G, families
