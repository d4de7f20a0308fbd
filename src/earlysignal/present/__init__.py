"""The shared presentation kit: one Jinja environment, number formats and the
population's vocabulary, used by every room that renders a page.

It sits on the ground floor beside :mod:`earlysignal.errors` and imports nothing
else of ours, so any room may use it.
"""

from earlysignal.present._jinja import FILTERS, environment
from earlysignal.present._numbers import (
    count,
    day,
    expected,
    fmt,
    headcount,
    is_missing,
    iso,
    money,
    pct,
    prob,
    rate,
)
from earlysignal.present._trace import trace_footer
from earlysignal.present._words import (
    CODE_LABELS,
    DEFAULT_SOURCES,
    Characteristics,
    Population,
    label,
    model_label,
    run_model_names,
)

__all__ = [
    "CODE_LABELS",
    "DEFAULT_SOURCES",
    "FILTERS",
    "Characteristics",
    "Population",
    "count",
    "day",
    "environment",
    "expected",
    "fmt",
    "headcount",
    "is_missing",
    "iso",
    "label",
    "model_label",
    "money",
    "pct",
    "prob",
    "rate",
    "run_model_names",
    "trace_footer",
]
