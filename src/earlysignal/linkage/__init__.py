"""Probabilistic record linkage of agencies' extracts with Splink.

The agencies' registers share no person id; Splink compares their names, dates of
birth, sex and postcodes, trains its model without labels, scores pairs, and
clusters them into people. Each person gets one keyed pseudonym and a linkage
confidence on every canonical table; the identifiers end here. Quality is
measured against synthetic truth, overall and by group, and Splink's own
diagnostics are exported for data without truth.
"""

from earlysignal.linkage._config import IdentityColumns, LinkageConfig
from earlysignal.linkage._link import LinkedTables, link_tables
from earlysignal.linkage._persons import apply_linkage, cluster_confidence, crosswalk
from earlysignal.linkage._prepare import prepare_records
from earlysignal.linkage._quality import (
    LinkageQuality,
    clusters_at,
    linkage_quality,
    pair_metrics,
)
from earlysignal.linkage._splink import LinkageError, SplinkRun, run_splink

__all__ = [
    "IdentityColumns",
    "LinkageConfig",
    "LinkageError",
    "LinkageQuality",
    "LinkedTables",
    "SplinkRun",
    "apply_linkage",
    "cluster_confidence",
    "clusters_at",
    "crosswalk",
    "link_tables",
    "linkage_quality",
    "pair_metrics",
    "prepare_records",
    "run_splink",
]
