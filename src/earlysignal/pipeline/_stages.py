"""Stages of a pipeline run, each a plain function of the config and earlier results."""

from __future__ import annotations

from pathlib import Path

from earlysignal.features import FeatureMatrix, build_feature_matrix
from earlysignal.pipeline._config import PipelineConfig
from earlysignal.pipeline._data import LoadedData
from earlysignal.pipeline._progress import Progress


def features_stage(
    config: PipelineConfig, data: LoadedData, out: str | Path,
    progress: Progress | None = None, engine: str | None = None,
) -> FeatureMatrix:
    """Cohort, features and labels for the run, written to ``out/features.parquet``."""
    task = progress.task("features") if progress else None
    return build_feature_matrix(
        data.tables,
        cohort=config.cohort,
        label=config.label,
        features=config.features,
        out=out,
        engine=engine or config.engine,
        base_dir=config.base_dir,
        progress=task,
    )
