"""MLflow logging and loading of runs and models."""

from earlysignal.tracking._mlflow import (
    DEFAULT_URI,
    TrackedRun,
    TrackingError,
    load_scorer,
    log_monitor_metrics,
    log_run,
    open_run,
)

__all__ = ["DEFAULT_URI", "TrackedRun", "TrackingError", "load_scorer",
           "log_monitor_metrics", "log_run",
           "open_run"]
