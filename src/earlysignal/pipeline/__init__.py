"""Pipeline configs and stage wiring: one YAML file describes a whole run."""

from earlysignal.pipeline._config import (
    DataSection,
    PipelineConfig,
    SynthSource,
    config_from_dict,
    load_config,
)
from earlysignal.pipeline._data import LoadedData, load_data
from earlysignal.pipeline._inspect import explain_run_person, run_tables
from earlysignal.pipeline._monitor import monitor_run
from earlysignal.pipeline._progress import Progress
from earlysignal.pipeline._run import STAGES, RunResult, library_versions, run_pipeline
from earlysignal.pipeline._score import check_feature_set, score_people
from earlysignal.pipeline._stages import (
    fairness_stage,
    features_stage,
    group_columns,
    model_stage,
)

__all__ = [
    "STAGES",
    "DataSection",
    "LoadedData",
    "PipelineConfig",
    "Progress",
    "SynthSource",
    "config_from_dict",
    "fairness_stage",
    "explain_run_person",
    "features_stage",
    "run_tables",
    "group_columns",
    "library_versions",
    "model_stage",
    "RunResult",
    "run_pipeline",
    "check_feature_set",
    "score_people",
    "load_config",
    "load_data",
    "monitor_run",
]
