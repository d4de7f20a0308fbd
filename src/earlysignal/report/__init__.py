"""Reports for three audiences, rendered from a run folder as self-contained HTML."""

from earlysignal.report._practitioner import (
    PractitionerSummary,
    band_of,
    band_sentence,
)
from earlysignal.report._run import ReportError, RunFolder, read_run

__all__ = [
    "PractitionerSummary",
    "ReportError",
    "RunFolder",
    "band_of",
    "band_sentence",
    "read_run",
]
