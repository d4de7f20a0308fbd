"""The demo pipeline's feature stage on local Spark gives the same matrix as DuckDB."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data import CanonicalTables
from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.features import build_feature_matrix
from earlysignal.pipeline import load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.spark
def test_demo_features_on_spark_match_duckdb(tmp_path, spark_engine, duckdb_engine):
    write_cohort(SynthConfig(people=300, seed=4), tmp_path / "data")
    tables = CanonicalTables.read_dir(tmp_path / "data")
    cfg = load_config(ROOT / "pipelines" / "demo.yaml")
    built = {
        name: build_feature_matrix(tables, cohort=cfg.cohort, label=cfg.label,
                                   features=cfg.features, out=tmp_path / name,
                                   engine=engine, integrity_sample=20).frame
        for name, engine in (("duckdb", duckdb_engine), ("spark", spark_engine))
    }
    key = ["person_id", "as_of"]
    a, b = (f.sort_values(key).reset_index(drop=True) for f in built.values())
    assert len(a) > 200 and list(a.columns) == list(b.columns)
    for col in a.columns:
        if pd.api.types.is_numeric_dtype(a[col]):
            assert np.allclose(a[col].astype(float), b[col].astype(float),
                               equal_nan=True), col
        else:
            pd.testing.assert_series_equal(a[col], b[col], obj=col)
