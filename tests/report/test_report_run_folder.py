"""Reading a run folder: lazy files, clear errors naming the file and the fix."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from earlysignal.report import ReportError, read_run


def test_missing_run_json_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"run\.json: not found; .* is not a run "
                       r"folder\. Fix: pass the folder that `earlysignal run"):
        read_run(tmp_path)


def test_broken_run_json_says_where(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ReportError, match=r"run\.json: not valid JSON .* line 1"):
        read_run(tmp_path)


def test_missing_file_error_names_file_report_and_fix(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"name": "x"}))
    run = read_run(tmp_path)
    with pytest.raises(ReportError) as e:
        run.need("bands", "caseload view")
    msg = str(e.value)
    assert "bands.json: not found, but the caseload view needs it" in msg
    assert "Fix: run the pipeline to the end" in msg


def test_files_are_read(run_dir: Path) -> None:
    run = read_run(run_dir)
    assert run.name == "fabricated"
    assert [b["name"] for b in run.bands] == ["Very high", "High", "Raised", "Typical"]
    assert run.outcome_words() == ("a youth-justice outcome", "12 months")
    digest = hashlib.sha256((run_dir / "model.joblib").read_bytes()).hexdigest()
    assert run.model_version == digest[:12]
    assert run.run_label == "fabricated (MLflow run abc123def)"
    assert set(run.plots) >= {"folds", "reliability", "capacity_recall", "beeswarm"}
    assert run.data_dir == run_dir / "data"


def test_data_folder_from_run_json(tmp_path: Path, run_dir: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps(
        {"name": "y", "data": {"folder": str(run_dir / "data")}}))
    run = read_run(tmp_path)
    assert run.data_dir == run_dir / "data"
    assert run.tables is not None and len(run.tables["people"]) == 400


def test_outcome_words_fall_back_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"name": "z"}))
    (tmp_path / "config.yaml").write_text("label: {horizon: 6m}\n")
    assert read_run(tmp_path).outcome_words() == ("the outcome", "6 months")
