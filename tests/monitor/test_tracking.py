"""A check's figures land on the run's MLflow run as series over scoring dates."""

from __future__ import annotations

import math

from earlysignal.tracking import log_monitor_metrics, open_run


def test_monitor_metrics_are_logged_by_date_and_missing_ones_skipped(tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    run = open_run(name="m", tracking_uri=uri)
    n = log_monitor_metrics(run.run_id, uri, [
        ("monitor.expected.precision_at_k", 0.21, 20250601),
        ("monitor.expected.precision_at_k", 0.19, 20250301),
        ("monitor.realised.auc", math.nan, 20240601),  # withheld: not logged
    ])
    assert n == 2
    history = MlflowClient(uri).get_metric_history(run.run_id,
                                                   "monitor.expected.precision_at_k")
    assert sorted((m.step, m.value) for m in history) == [(20250301, 0.19),
                                                          (20250601, 0.21)]
    assert MlflowClient(uri).get_metric_history(run.run_id, "monitor.realised.auc") == []
