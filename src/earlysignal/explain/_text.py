"""Plain-language phrases for feature values, from the feature's own template.

Rendering works on a whole column at once (one feature, many people), so that
reasons for a large caseload cost one pass per feature, not one per person.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.explain._families import window_phrase

__all__ = ["format_value", "render_phrases"]

_CATEGORY_TEXT = {"sen_support": "SEN support", "ehcp": "EHC plan", "none": "none",
                  "yes": "yes", "no": "no"}


def _number(v: float) -> str:
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.1f}"


def format_value(v: Any, unit: str, kind: str, *, signed: bool = False) -> str:
    """One value in words: percentages for proportions, whole days, and so on.

    Examples
    --------
    >>> format_value(0.873, "proportion", "numeric")
    '87%'
    >>> format_value(-0.05, "proportion", "numeric", signed=True)
    '-5 percentage points'
    >>> format_value(13.9, "years", "numeric"), format_value(2.0, "count", "numeric")
    ('13', '2')
    >>> format_value("sen_support", "category", "categorical")
    'SEN support'
    """
    if kind == "categorical":
        text = str(v)
        return _CATEGORY_TEXT.get(text, text.replace("_", " "))
    x = float(v)
    if unit == "proportion":
        if signed:
            points = round(x * 100)
            return f"{points:+d} percentage points" if points else \
                "0 percentage points"
        return f"{x:.0%}"
    if unit == "years":
        return str(int(math.floor(x)))
    if unit == "days":
        x = float(round(x))
    if signed and round(x, 1) == 0:
        return "0"
    text = _number(x)
    if signed and x > 0:
        text = "+" + text
    return text


def _present(meta: Any, value: Any) -> str:
    template = str(getattr(meta, "template", "") or "")
    unit = str(getattr(meta, "unit", "") or "")
    kind = str(getattr(meta, "kind", "numeric"))
    if kind == "indicator":
        if float(value) >= 0.5:
            return template
        return _negate(template)
    signed = getattr(meta, "aggregate", None) == "trend"
    return template.replace("{value}", format_value(value, unit, kind,
                                                     signed=signed))


def _negate(template: str) -> str:
    """The sentence for an indicator that is off."""
    if template.startswith("has had "):
        return "has not had " + template.removeprefix("has had ")
    if template.startswith("no "):
        return template.removeprefix("no ")
    return "no " + template


def _absent(meta: Any) -> str:
    label = str(getattr(meta, "label", None) or "this").replace("_", " ")
    if getattr(meta, "kind", "") == "categorical":
        return f"{label}: not recorded"
    if getattr(meta, "aggregate", None) == "age":
        return "age not recorded"
    when = window_phrase(meta)
    if getattr(meta, "aggregate", None) == "trend":
        return f"not enough {label} records to compare {when}"
    return f"no {label} recorded {when}".replace(" on this date", "")


def _typical_text(meta: Any, typical: Any, present: float, phrase: str) -> str:
    kind = str(getattr(meta, "kind", "numeric"))
    if typical is None or (isinstance(typical, float) and math.isnan(typical)):
        return ""
    if getattr(meta, "aggregate", None) == "age":
        # people are compared with their own year group: their age is its age
        return ""
    if kind == "indicator":
        return f" (true of {float(typical):.0%} of {phrase})"
    if kind != "categorical" and not (present >= 0.5):
        return f" (most of {phrase} have none recorded)"
    unit = str(getattr(meta, "unit", "") or "")
    signed = getattr(meta, "aggregate", None) == "trend"
    shown = format_value(typical, unit, kind, signed=signed)
    word = "most common" if kind == "categorical" else "typical"
    return f" ({word} for {phrase}: {shown})"


def render_phrases(meta: Any, values: np.ndarray, typical: np.ndarray,
                   present: np.ndarray, phrase: str) -> list[str]:
    """A phrase per person for one feature: value in words, then what is typical.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> m = M(template="{value} suspensions in the last 90 days", unit="count",
    ...       kind="numeric", aggregate="count", label="suspensions", window="90d")
    >>> render_phrases(m, np.array([3.0, np.nan]), np.array([0.0, 0.0]),
    ...                np.array([1.0, 1.0]), "their year group")
    ['3 suspensions in the last 90 days (typical for their year group: 0)', \
'no suspensions recorded in the last 90 days']
    """
    out = []
    for v, t, p in zip(values, typical, present, strict=True):
        if _missing(v):
            out.append(_absent(meta))
            continue
        out.append(_present(meta, v) + _typical_text(meta, t, float(p), phrase))
    return out


def _missing(v: Any) -> bool:
    return v is None or bool(pd.isna(v))


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
