"""model.select and model.baseline_inputs: what the YAML accepts and refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from earlysignal.errors import ConfigError
from earlysignal.pipeline import load_config

ROOT = Path(__file__).resolve().parents[2]


def _demo(tmp_path, old: str, new: str):
    demo = (ROOT / "pipelines" / "demo.yaml").read_text()
    assert old in demo
    (tmp_path / "features").mkdir(exist_ok=True)
    (tmp_path / "features" / "library.yaml").write_text(
        (ROOT / "pipelines" / "features" / "library.yaml").read_text())
    path = tmp_path / "demo.yaml"
    path.write_text(demo.replace(old, new, 1))
    return load_config(path)


def test_the_demo_names_the_persistent_absence_flag_and_the_shipped_model():
    model = load_config(ROOT / "pipelines" / "demo.yaml").model
    assert model.baseline_inputs == {
        "persistent_absence": {"column": "persistent_absence__persistent__1y"}}
    assert model.select == "auto"


def test_select_takes_the_four_choices_and_defaults_to_auto(tmp_path):
    for choice in ("lightgbm", "logistic", "blend"):
        assert _demo(tmp_path, "select: auto", f"select: {choice}"
                     ).model.select == choice
    assert _demo(tmp_path, "  select: auto\n", "").model.select == "auto"
    with pytest.raises(ConfigError, match=r"model\.select.*'auto', 'lightgbm', "
                       r"'logistic' or 'blend'"):
        _demo(tmp_path, "select: auto", "select: xgboost")


def test_baseline_inputs_name_the_settings_each_baseline_accepts(tmp_path):
    with pytest.raises(ConfigError) as e:
        _demo(tmp_path, "{persistent_absence: {column:",
              "{checklist: {colums: {}}, absence: {}, persistent_absence: {column:")
    text = str(e.value)
    assert "model.baseline_inputs" in text
    assert "checklist: unknown setting 'colums' (accepted: columns, items, label)" in text
    assert "unknown baseline 'absence' (baselines: base_rate, persistent_absence" in text
