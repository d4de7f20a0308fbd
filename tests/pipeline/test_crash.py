"""A run killed with SIGKILL at any point, in a folder another config's run left,
is followed by a run whose outputs equal a clean run's.

Config A finishes in the folder; config B (another synthetic cohort, other
features, other model settings) is started in the same folder and killed at a stage
boundary or mid-stage; A is run again. Each stage must then reuse A's own outputs or
recompute them.
"""

import json
import os
import shutil
import signal
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from earlysignal.pipeline import load_config, run_pipeline

STAGES = ("features", "model", "fairness")
#: Named points a run may die at, in order: a stage's first file moved into the
#: run folder (the rest not), the feature matrix half-written, a stage's manifest
#: written (the boundary to the next stage), the model's scores written and the
#: rest not. A stage's ``computed`` point (all written, nothing moved) leaves the
#: run folder as ``features:batch`` and ``model:scores`` do, so it is not repeated.
POINTS = ("data:moving", "features:batch", "features:moving", "features:done",
          "model:scores", "model:moving", "model:done", "fairness:moving")
_FEATURES = [
    {"name": "age", "from": "people", "aggregate": ["age"], "family": "demographics"},
    {"name": "sex", "from": "characteristics", "attribute": "sex", "protected": True,
     "family": "characteristics"},
    {"name": "suspensions", "from": "events", "windows": ["1y", "all"],
     "where": {"source": "school", "event_type": "suspension"},
     "aggregate": ["count"], "family": "behaviour"},
]
_MORE = {"name": "incidents", "from": "events", "windows": ["90d", "1y"],
         "where": {"source": "school", "event_type": "behaviour_incident"},
         "aggregate": ["count"], "family": "behaviour"}
_RUN = f"""
import sys
from earlysignal.pipeline import load_config, run_pipeline
run_pipeline(load_config(sys.argv[1]), out=sys.argv[2], stages={STAGES!r})
"""


def _config(seed, trees, features):
    return {
        "name": "crash",
        "data": {"synth": {"people": 300, "seed": seed,
                           "options": {"start": "2016-09-01"}}},
        "cohort": {"as_of": {"start": "2019-09-01", "end": "2022-09-01",
                             "every": "6 months"},
                   "age": {"min": 10, "max": 16}},
        "label": {"horizon": "12m", "censoring": "exclude",
                  "outcome": [{"table": "events", "source": "youth_justice"}],
                  "followup": {"extract_date": "2024-08-31"}},
        "features": features,
        "model": {"baselines": "base_rate", "calibration": None,
                  "test_from": "2021-09-01",
                  "params": {"n_estimators": trees, "num_leaves": 4,
                             "min_child_samples": 20}},
        "fairness": {"groups": ["sex"], "n_boot": 20},
        "impact": {"enabled": False}, "reports": {"enabled": False},
        "tracking": {"enabled": False},
    }


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash")
    for name, raw in {"a": _config(5, 30, _FEATURES),
                      "b": _config(6, 45, [*_FEATURES, _MORE])}.items():
        (base / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    run_pipeline(load_config(base / "a.yaml"), out=base / "clean", stages=STAGES)
    return base


def clean_fingerprints(world):
    return json.loads((world / "clean" / "run.json").read_text())["data"][
        "fingerprints"]


def _outputs(run):
    fairness = json.loads((run / "fairness.json").read_text())
    del fairness["summary"]["source"]  # the path of the run folder
    return {
        "features": pd.read_parquet(run / "features" / "features.parquet"),
        "scores": pd.read_parquet(run / "scores.parquet"),
        "metrics": json.loads((run / "metrics.json").read_text()),
        "fairness": fairness,
    }


def _killed_run(base, config, run, point):
    env = {**os.environ, "_EARLYSIGNAL_KILL_AT": point,
           "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-c", _RUN, str(base / config), str(run)],
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_a_run_after_another_configs_killed_run_equals_a_clean_run(world, point,
                                                                   tmp_path):
    run = tmp_path / "run"
    shutil.copytree(world / "clean", run)  # the folder a finished run of A left
    killed = _killed_run(world, "b.yaml", run, point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    if point == "features:batch":  # died with a half-written matrix on disk
        half = list(run.glob(".tmp-*-features-*/features/features.parquet"))
        assert len(half) == 1
        with pytest.raises(Exception):  # noqa: B017 - any reader must fail
            pd.read_parquet(half[0])

    again = run_pipeline(load_config(world / "a.yaml"), out=run, stages=STAGES)
    clean, got = _outputs(world / "clean"), _outputs(run)
    pd.testing.assert_frame_equal(got["features"], clean["features"])
    pd.testing.assert_frame_equal(got["scores"], clean["scores"])
    assert got["metrics"] == clean["metrics"]
    assert got["fairness"] == clean["fairness"]
    # B's features reached the folder from features:moving on, so A recomputes them
    moved = POINTS.index(point) >= POINTS.index("features:moving")
    assert ("features" in again.reused) is not moved
    assert again.info["data"]["fingerprints"] == clean_fingerprints(world)
    assert not list(run.glob(".tmp-*"))  # the dead run's leftovers are gone
