"""A run in use, checked against a later extract: freshness and volume of each
source, drift with calibrated thresholds, expected performance before outcomes
arrive, realised performance and fairness as horizons close, and demand."""

from earlysignal.monitor._api import (
    MonitorInputs,
    MonitorSettings,
    feature_drift,
    group_drift,
    monitor,
    seasonal_reference,
)
from earlysignal.monitor._drift import DriftSettings, calibrate, drift_table, psi
from earlysignal.monitor._freshness import FreshnessSettings, freshness
from earlysignal.monitor._performance import (
    expected_performance,
    realised_performance,
    selection,
)
from earlysignal.monitor._result import ALERT_EXIT, MonitorResult

__all__ = [
    "ALERT_EXIT",
    "DriftSettings",
    "FreshnessSettings",
    "MonitorInputs",
    "MonitorResult",
    "MonitorSettings",
    "calibrate",
    "drift_table",
    "expected_performance",
    "feature_drift",
    "freshness",
    "group_drift",
    "monitor",
    "psi",
    "realised_performance",
    "seasonal_reference",
    "selection",
]
