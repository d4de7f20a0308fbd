"""Temporal folds, the early-warning classifier, baselines, calibration and evaluation.

The model stage reads feature metadata (kind, protected, family, name, aggregate,
window, unit) but never parses column names, and it trains only on labels that were
fully observed before each test date.
"""

from earlysignal.model._bands import (
    DEFAULT_BANDS,
    SHARE_TOLERANCE,
    Band,
    assign_bands,
    bands_from_dicts,
    bands_to_dict,
    cut_bands,
    risk_bands,
    share_check,
)
from earlysignal.model._baselines import (
    AnySuspensionRule,
    BaseRate,
    BestSingleInput,
    ChecklistScore,
    LogisticBaseline,
    PersistentAbsenceRule,
    make_baselines,
)
from earlysignal.model._calibration import CalibratedModel, reliability_svg
from earlysignal.model._estimator import (
    EarlyWarningClassifier,
    FeatureMetaLike,
    ModelInputError,
    known_model_settings,
    model_inputs,
    monotone_directions,
    temporal_holdout,
)
from earlysignal.model._evaluate import Evaluation, evaluate
from earlysignal.model._folds import Fold, folds_svg, temporal_folds, validate_folds
from earlysignal.model._lookup import (
    LOOKUPS,
    FeatureLookup,
    MissingFeatureError,
    find_feature,
)
from earlysignal.model._metrics import (
    Capacity,
    calibration_table,
    capacity_curve,
    capacity_metrics,
    caught_at_k,
    classification_metrics,
    expected_calibration_error,
)
from earlysignal.model._population import (
    PopulationRange,
    outside_population,
    population_ranges,
    years_months,
)
from earlysignal.model._selection import BlendedModel

__all__ = [
    "DEFAULT_BANDS",
    "SHARE_TOLERANCE",
    "Band",
    "PopulationRange",
    "assign_bands",
    "bands_from_dicts",
    "bands_to_dict",
    "cut_bands",
    "outside_population",
    "population_ranges",
    "risk_bands",
    "share_check",
    "years_months",
    "LOOKUPS",
    "AnySuspensionRule",
    "BaseRate",
    "BestSingleInput",
    "BlendedModel",
    "CalibratedModel",
    "Capacity",
    "ChecklistScore",
    "EarlyWarningClassifier",
    "Evaluation",
    "FeatureLookup",
    "FeatureMetaLike",
    "Fold",
    "LogisticBaseline",
    "MissingFeatureError",
    "ModelInputError",
    "PersistentAbsenceRule",
    "calibration_table",
    "capacity_curve",
    "capacity_metrics",
    "caught_at_k",
    "classification_metrics",
    "evaluate",
    "expected_calibration_error",
    "find_feature",
    "folds_svg",
    "known_model_settings",
    "make_baselines",
    "model_inputs",
    "monotone_directions",
    "reliability_svg",
    "temporal_folds",
    "temporal_holdout",
    "validate_folds",
]
