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
from earlysignal.pipeline._stages import features_stage

__all__ = [
    "DataSection",
    "LoadedData",
    "PipelineConfig",
    "Progress",
    "SynthSource",
    "config_from_dict",
    "features_stage",
    "load_config",
    "load_data",
]
