"""Fairness audits of risk scores: subgroup error rates with uncertainty, small-cell
suppression, disparities with multiple-comparison control and mitigation trade-offs.

Works on any file of scores (ours or a vendor's); imports nothing of earlysignal
except its errors and the shared person-level bootstrap.
"""

from earlysignal.disclosure import DEFAULT_RULE, STRICT_RULE
from earlysignal.fairness._api import audit, audit_file, read_scores
from earlysignal.fairness._disparity import FLAG_METRICS, bootstrap_p, holm
from earlysignal.fairness._metrics import METRIC_LABELS, METRICS
from earlysignal.fairness._operating_point import (
    OperatingPoint,
    at_capacity,
    at_threshold,
    selection_weights,
)
from earlysignal.fairness._result import FairnessAudit

__all__ = [
    "DEFAULT_RULE",
    "FLAG_METRICS",
    "METRICS",
    "METRIC_LABELS",
    "STRICT_RULE",
    "FairnessAudit",
    "OperatingPoint",
    "at_capacity",
    "at_threshold",
    "audit",
    "audit_file",
    "bootstrap_p",
    "holm",
    "read_scores",
    "selection_weights",
]
