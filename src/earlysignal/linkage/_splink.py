"""Train, predict and cluster with Splink, on DuckDB or Spark.

Training uses no labels: the probability that two random records match comes
from the deterministic rules (their pair count, divided by the recall assumed for
them), the u probabilities from random pairs, and the m probabilities from
expectation maximisation over blocked pairs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from earlysignal.errors import EarlysignalError
from earlysignal.linkage._config import LinkageConfig
from earlysignal.linkage._settings import blocking_rules, splink_settings

__all__ = ["LinkageError", "SplinkRun", "run_splink"]


class LinkageError(EarlysignalError):
    """Splink could not link the records as configured."""


@dataclass
class SplinkRun:
    """What one Splink run produced, as plain DataFrames.

    ``clusters``: unique_id, cluster_id. ``pairs``: unique_id_l, unique_id_r,
    match_weight, match_probability and the comparison level (gamma_*) of every
    compared pair at or above ``floor``. ``parameters``: comparison, level, m, u,
    match_weight per level. ``prior``: the estimated probability that two random
    records match. ``seconds``: time per step.
    """

    clusters: pd.DataFrame
    pairs: pd.DataFrame
    parameters: pd.DataFrame
    prior: float
    threshold: float
    engine: str
    seconds: dict[str, float] = field(default_factory=dict)


def _database(engine: str, session: Any = None) -> Any:
    if engine == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    try:
        from splink.backends.spark import SparkAPI
    except ImportError as e:
        raise LinkageError("linkage on Spark needs pyspark: pip install "
                           "earlysignal[spark]") from e
    if session is None:
        from earlysignal.features._engine import spark_session

        session = spark_session()
    _add_similarity_jar(session)
    # persist, not checkpoint: a local session has no checkpoint directory
    return SparkAPI(spark_session=session, register_udfs_automatically=False,
                    break_lineage_method="persist")


def _add_similarity_jar(session: Any) -> None:
    """Register Splink's string-similarity functions (Jaro-Winkler ...) with a
    running session: its jar is added to the session, then each function."""
    from splink.backends.spark import similarity_jar_location
    from splink.internals.spark.jar_location import get_scala_udfs

    session.sql(f"ADD JAR '{similarity_jar_location()}'")
    for name, cls, kind in get_scala_udfs():
        session.udf.registerJavaFunction(name, cls, kind)


def _train(linker: Any, config: LinkageConfig) -> None:
    linker.training.estimate_probability_two_random_records_match(
        blocking_rules(config.deterministic), recall=config.deterministic_recall)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=config.u_max_pairs, seed=config.seed)
    for rule in blocking_rules(config.training):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, fix_probability_two_random_records_match=True)


def _parameters(linker: Any) -> tuple[pd.DataFrame, float]:
    model = linker.misc.save_model_to_json()
    rows = []
    for comp in model["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            rows.append({"comparison": comp["output_column_name"],
                         "level": level.get("label_for_charts", level["sql_condition"]),
                         "m": level.get("m_probability"),
                         "u": level.get("u_probability")})
    out = pd.DataFrame(rows, columns=["comparison", "level", "m", "u"])
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        out["match_weight"] = np.log2(out["m"].astype(float) / out["u"].astype(float))
    return out, float(model["probability_two_random_records_match"])


def run_splink(records: pd.DataFrame, config: LinkageConfig, *,
               floor: float = 0.01, session: Any = None) -> SplinkRun:
    """Link prepared identity records (see :func:`prepare_records`) into clusters.

    Parameters
    ----------
    records : DataFrame
        One row per record, ``unique_id`` plus the prepared identity columns.
    config : LinkageConfig
    floor : float
        Pairs below this match probability are not kept (they never join a
        cluster; the strongest of them still lowers a cluster's confidence).
    session : SparkSession, optional
        With ``engine: spark``: the session to use (default: the process's own).

    Raises
    ------
    LinkageError
        When Splink fails: the message names the step and carries Splink's.
    """
    from splink import Linker

    seconds: dict[str, float] = {}
    step = "registering the records"
    try:
        t = time.perf_counter()
        db = _database(config.engine, session)
        table = db.register(records)
        linker = Linker(table, splink_settings(config), log_level=logging.ERROR)
        step = "training the model"
        _train(linker, config)
        seconds["train"] = time.perf_counter() - t
        t = time.perf_counter()
        step = "predicting pairwise match probabilities"
        predictions = linker.inference.predict(threshold_match_probability=floor)
        pairs = predictions.as_pandas_dataframe()
        seconds["predict"] = time.perf_counter() - t
        t = time.perf_counter()
        step = "clustering"
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=config.threshold)
        clusters = clustered.as_pandas_dataframe()[["unique_id", "cluster_id"]]
        seconds["cluster"] = time.perf_counter() - t
        parameters, prior = _parameters(linker)
    except EarlysignalError:
        raise
    except Exception as e:  # Splink raises many kinds; the user needs the step
        raise LinkageError(f"linkage stopped while {step} on {config.engine}: "
                           f"{type(e).__name__}: {e}") from e
    keep = ["unique_id_l", "unique_id_r", "match_weight", "match_probability",
            *[c for c in pairs.columns if c.startswith("gamma_")]]
    return SplinkRun(clusters, pairs[keep], parameters, prior, config.threshold,
                     config.engine, seconds)
