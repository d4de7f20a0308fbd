"""Pipeline configs and stage wiring: one YAML file describes a whole run."""

from earlysignal.pipeline._config import (
    DataSection,
    PipelineConfig,
    SynthSource,
    config_from_dict,
    load_config,
)
from earlysignal.pipeline._data import LoadedData, load_data
from earlysignal.pipeline._progress import Progress
from earlysignal.pipeline._run import RunResult, library_versions, run_pipeline
from earlysignal.pipeline._stages import (
    fairness_stage,
    features_stage,
    group_columns,
    model_stage,
)

__all__ = [
    "DataSection",
    "LoadedData",
    "PipelineConfig",
    "Progress",
    "SynthSource",
    "config_from_dict",
    "fairness_stage",
    "features_stage",
    "group_columns",
    "library_versions",
    "model_stage",
    "RunResult",
    "run_pipeline",
    "load_config",
    "load_data",
]
