"""Reports for three audiences, rendered from a run folder as self-contained HTML.

Practitioners get a one-page summary per young person and a caseload list; the
ethics board gets a model card laid out on the UK Algorithmic Transparency
Recording Standard with the full fairness audit; data scientists get the
evaluation detail. Every report is a small object: :meth:`summarize` returns plain
data, a Jinja template (autoescaped) renders it, and ``.html()``,
``.write_html()`` and ``_repr_html_`` show it anywhere. Pages use inline CSS and
SVG only; no request leaves them.
"""

from earlysignal.report._base import Report
from earlysignal.report._caseload import Caseload, change_words
from earlysignal.report._ethics import CARD_FIELDS, EthicsReport, data_sources_table
from earlysignal.report._practitioner import (
    PractitionerSummary,
    band_of,
    band_sentence,
    data_sources,
)
from earlysignal.report._render import person_file, render_person, render_reports
from earlysignal.report._run import ReportError, RunFolder, read_run
from earlysignal.report._science import DataScienceReport

__all__ = [
    "CARD_FIELDS",
    "Caseload",
    "DataScienceReport",
    "EthicsReport",
    "PractitionerSummary",
    "Report",
    "ReportError",
    "RunFolder",
    "band_of",
    "band_sentence",
    "change_words",
    "data_sources",
    "data_sources_table",
    "person_file",
    "read_run",
    "render_person",
    "render_reports",
]
