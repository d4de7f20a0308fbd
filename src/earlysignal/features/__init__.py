"""Cohorts, leakage-safe as-of features (DuckDB or Spark through Ibis), labels and
timelines."""

from earlysignal.features._cohort import CohortResult, CohortSpec, build_cohort
from earlysignal.features._compute import FeatureSet, compute_features, iter_features
from earlysignal.features._engine import Engine, spark_session
from earlysignal.features._integrity import (
    IntegrityReport,
    check_temporal_integrity,
    known_before,
)
from earlysignal.features._labels import LabelResult, LabelSpec, build_labels
from earlysignal.features._matrix import (
    FeatureMatrix,
    build_feature_matrix,
    meta_from_dict,
    read_feature_matrix,
)
from earlysignal.features._metadata import (
    FeatureMeta,
    feature_metadata,
    metadata_frame,
    rows_behind,
)
from earlysignal.features._spec import (
    FeatureSpec,
    load_feature_specs,
    parse_feature_specs,
)
from earlysignal.features._timeline import timeline, timeline_text
from earlysignal.features._windows import Window

__all__ = [
    "AGGREGATES",
    "IntegrityReport",
    "check_temporal_integrity",
    "known_before",
    "metadata_frame",
    "rows_behind",
    "spark_session",
    "CohortResult",
    "CohortSpec",
    "Engine",
    "FeatureMatrix",
    "FeatureMeta",
    "FeatureSet",
    "FeatureSpec",
    "LabelResult",
    "LabelSpec",
    "Window",
    "build_cohort",
    "build_feature_matrix",
    "build_labels",
    "compute_features",
    "feature_metadata",
    "iter_features",
    "load_feature_specs",
    "meta_from_dict",
    "parse_feature_specs",
    "read_feature_matrix",
    "timeline",
    "timeline_text",
]
