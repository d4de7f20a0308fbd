"""Logging a finished run to MLflow from what the run folder holds."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import pandas as pd

from earlysignal.features import FeatureMeta
from earlysignal.model import model_inputs
from earlysignal.pipeline._config import PipelineConfig

#: Files and folders of the run folder logged as artefacts (never the raw data).
_ARTIFACTS = ("scores.parquet", "metrics.json", "fairness.json", "fairness.csv",
              "linkage",
              "bands.json", "caseload.parquet", "plots", "explain", "reports",
              "config.yaml")


def open_tracking(config: PipelineConfig) -> dict[str, str]:
    """Create the run's MLflow run before the reports, which name it on every page;
    :func:`track_stage` fills it."""
    from earlysignal.tracking import open_run

    run = open_run(name=config.name, tracking_uri=config.tracking.uri,
                   experiment=config.tracking.experiment)
    return _described(run)


def _described(run: Any) -> dict[str, str]:
    return {"run_id": run.run_id, "experiment_id": run.experiment_id,
            "tracking_uri": run.tracking_uri, "model_uri": run.model_uri,
            "ui_command": run.ui_command()}


def track_stage(
    config: PipelineConfig, run_dir: Path, info: Mapping[str, Any], model: Any,
    matrix: pd.DataFrame, metadata: Mapping[str, FeatureMeta],
    run_id: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, str]:
    """Log the run (config, fingerprints, versions, metrics, plots, model, scores).

    ``progress`` is told of each part as it is logged (see ``log_run``).

    Returns what ``run.json`` records under ``tracking``.
    """
    from dataclasses import asdict

    from earlysignal.tracking import log_run

    metrics = json.loads((run_dir / "metrics.json").read_text())
    per_fold = pd.DataFrame(metrics.get("per_fold", []),
                            columns=["fold", "model", "metric", "value"])
    pooled = pd.DataFrame(
        [{"model": m, "metric": k, "value": v}
         for m, row in metrics.get("pooled", {}).items() for k, v in row.items()
         if isinstance(v, int | float)],
        columns=["model", "metric", "value"])
    inputs = model_inputs(cast(Any, metadata), config.model.use_protected)
    params = {"versions": info.get("versions", {}),
              "fingerprints": info.get("data", {}).get("fingerprints", {}),
              "model": config.model.model_dump(mode="json"),
              "label": {"horizon": config.label.horizon, "name": config.label.name},
              "engine": config.engine, "n_features": len(inputs)}
    run = log_run(
        name=config.name, config=config.raw, params=params, metrics=per_fold,
        pooled=pooled,
        artifacts={name: run_dir / name for name in _ARTIFACTS
                   if (run_dir / name).exists()},
        texts={}, model=model, model_input=matrix[inputs].head(50),
        metadata=[asdict(metadata[c]) for c in inputs],
        bundle=scoring_bundle(config, run_dir),
        tracking_uri=config.tracking.uri, experiment=config.tracking.experiment,
        run_id=run_id, progress=progress,
    )
    return _described(run)


def scoring_bundle(config: PipelineConfig, run_dir: Path) -> dict[str, Any]:
    """What scoring new data needs besides the model: features, cohort, bands and
    the ages the model learned from."""
    bands_file = run_dir / "bands.json"
    bands = json.loads(bands_file.read_text()) if bands_file.exists() else {}
    return {
        "name": config.name,
        "features": config.raw.get("features", []),
        "cohort": config.raw.get("cohort", {}),
        "label": config.raw.get("label", {}),
        "use_protected": config.model.use_protected,
        "bands": bands.get("bands", []),
        "population": bands.get("population") or {},
    }
