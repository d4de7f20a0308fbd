"""The command line turns user mistakes into a message and exit code 1, never a
traceback; a clean run exits 0."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, write_cohort


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "earlysignal.cli", *args],
                          capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli") / "data"
    write_cohort(SynthConfig(people=60, seed=2), folder)
    return folder


@pytest.mark.parametrize("args, expected", [
    (["timeline", "NOBODY", "--data", "{data}"], "NOBODY"),
    (["score", "--model", "{tmp}/no-run", "--as-of", "2023-09-01", "--data",
      "{data}", "--out", "{tmp}/s.csv"], "no-run"),
    (["explain", "{tmp}", "--person", "P0000001"], "has no model.joblib"),
    (["report", "{tmp}/empty"], "empty"),
    (["validate", "{tmp}/missing.yaml"], "missing.yaml"),
    (["timeline", "P0000001", "--data", "{data}", "--as-of", "01/09/2023"],
     None),  # a usage error: exit 2
])
def test_user_errors_give_a_message_and_exit_1(tmp_path, data, args, expected):
    (tmp_path / "empty").mkdir()
    args = [a.format(data=data, tmp=tmp_path) for a in args]
    result = cli(*args, cwd=tmp_path)
    assert "Traceback" not in result.stderr
    if expected is None:
        assert result.returncode == 2
        assert "YYYY-MM-DD" in result.stderr
    else:
        assert result.returncode == 1, result.stderr
        assert "error:" in result.stderr and expected in result.stderr


def test_audit_of_a_tiny_file_withholds_every_group_instead_of_failing(tmp_path):
    rng = np.random.default_rng(0)
    pd.DataFrame({"score": rng.random(6), "label": [0, 1, 0, 0, 1, 0],
                  "sex": list("FMFMFM")}).to_csv(tmp_path / "s.csv", index=False)
    result = cli("audit", "s.csv", "--score", "score", "--label", "label",
                 "--group", "sex", "--threshold", "0.5", "--out", "a", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    tidy = pd.read_csv(tmp_path / "a" / "fairness.csv")
    groups = tidy[tidy["group_by"] == "sex"]
    assert len(groups) and groups["suppressed"].all()
    assert groups["value"].isna().all()


def test_synth_defaults_agree_with_the_demo_config():
    from earlysignal import cli
    from earlysignal.pipeline._yaml import read_yaml

    demo = read_yaml(Path(__file__).resolve().parents[2] / "pipelines" / "demo.yaml")
    assert str(demo["data"]["synth"]["options"]["start"]) == cli.DEMO_START
    assert str(demo["label"]["followup"]["extract_date"]) == cli.DEMO_END


def test_synth_writes_the_record_span_asked_for(tmp_path):
    res = cli("synth", "--people", "30", "--seed", "1", "--start", "2018-09-01",
              "--end", "2020-08-31", "--out", "a", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    events = pd.read_parquet(tmp_path / "a" / "events.parquet")
    assert events["event_date"].min() >= pd.Timestamp("2018-09-01")
    assert events["event_date"].max() <= pd.Timestamp("2020-08-31")
    res = cli("synth", "--people", "30", "--start", "2018-09-02", "--out", "b",
              cwd=tmp_path)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "start: must be the first of a month" in res.stderr
