"""On synthetic data a model above the oracle is an alarm: in the run log, in
metrics.json, and in the exit code of ``earlysignal run``."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.pipeline._yaml import read_yaml

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "earlysignal.cli", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_run_exits_3_when_the_model_beats_the_oracle_unless_allowed(tmp_path):
    write_cohort(SynthConfig(people=500, seed=5, start="2016-09-01"), tmp_path / "data")
    # an oracle whose truth is reversed: any working model now ranks above it
    truth = pd.read_parquet(tmp_path / "data" / "truth.parquet")
    truth.assign(p_true=1 - truth["p_true"]).to_parquet(
        tmp_path / "data" / "truth.parquet")
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    raw["model"]["test_from"] = "2022-09-01"
    raw["fairness"] = {"n_boot": 20}
    for section in ("tracking", "impact", "reports"):
        raw[section] = {"enabled": False}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(raw))

    res = _cli("run", "run.yaml", "--data", "data", "--out", "out", cwd=tmp_path)
    assert res.returncode == 3, res.stderr
    text = " ".join(res.stderr.split())
    assert "Traceback" not in text
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    gap = metrics["oracle_gap"]["auc"]
    assert gap["gap_lower"] > 0
    assert metrics["alarms"][0].startswith("leakage suspected: the model's AUC")
    assert f"model: ALARM: leakage suspected: the model's AUC ({gap['model']:.3f}) " \
        f"is above the oracle's ({gap['oracle']:.3f})" in text
    assert "pass --allow-above-oracle" in text

    # train shares the check; the reused model stage still reports its alarm
    allowed = _cli("train", "run.yaml", "--data", "data", "--out", "out",
                   "--allow-above-oracle", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    log = " ".join(allowed.stderr.split())
    assert "model (reused)" in " ".join(allowed.stdout.split())
    assert "model: ALARM: leakage suspected" in log
