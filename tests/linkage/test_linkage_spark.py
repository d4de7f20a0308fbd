"""The same linkage settings on Spark give the same people as on DuckDB."""

from __future__ import annotations

import pandas as pd
import pytest

from earlysignal.data import Pseudonymiser
from earlysignal.linkage import LinkageConfig, link_tables

KEY = "a test key that is long enough"


@pytest.mark.spark
@pytest.mark.slow  # Spark starts slowly; test_link.py checks the same linkage on DuckDB
def test_spark_and_duckdb_link_the_same_clusters(spark_engine, agency_tables):
    frames, _ = agency_tables(100, seed=3)
    pseudo = Pseudonymiser(KEY)
    config = LinkageConfig(u_max_pairs=100_000)
    duck = link_tables(frames, config, pseudo)
    # the fixture started (or skipped) the process's one local session, which
    # engine: spark uses
    spark = link_tables(frames, config.model_copy(update={"engine": "spark"}), pseudo)
    a = duck.links.set_index("unique_id")
    b = spark.links.set_index("unique_id").reindex(a.index)
    # one pseudonym per cluster, named by its smallest local id: equal ids mean
    # equal clusters
    assert (a["person_id"] == b["person_id"]).all()
    assert a["records"].equals(b["records"])
    # the same model, up to the random pairs each engine samples for u
    pd.testing.assert_series_equal(a["linkage_confidence"], b["linkage_confidence"],
                                   atol=0.01)
    assert spark.run.prior == pytest.approx(duck.run.prior, rel=1e-6)
