"""Pipeline configs: every problem listed at once with its YAML path; includes; the
README's reference stays in sync with the models."""

from pathlib import Path

import pytest

from earlysignal.errors import ConfigError
from earlysignal.pipeline import load_config
from earlysignal.pipeline._reference import END, START, update_readme

ROOT = Path(__file__).resolve().parents[2]


def test_demo_config_validates_with_the_shared_feature_library():
    cfg = load_config(ROOT / "pipelines" / "demo.yaml")
    assert cfg.name == "demo"
    assert cfg.data.synth is not None and cfg.data.synth.people == 20_000
    assert cfg.label.window.label == "12m"
    # the library holds 21 specs; the include put them all in place
    assert len(cfg.features) == 21
    assert {f.name for f in cfg.features} >= {"suspensions", "attendance_rate", "sex"}
    assert cfg.model.capacity == "5%"


def test_a_bad_config_lists_every_problem_with_its_path(tmp_path):
    (tmp_path / "bad.yaml").write_text(
        "name: x\n"
        "data: {synth: {people: -3}}\n"
        "cohort: {as_of: {start: 2020-09-01, end: 2021-09-01, every: 6x}}\n"
        "label: {horizon: 12q, outcome: [{table: events}]}\n"
        "features: [{name: a, from: events, aggregate: [cnt], windows: [90d]}]\n"
        "modle: {capacity: 5%}\n"
        "fairness: {min_cell: 0}\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "bad.yaml")
    text = str(err.value)
    assert "bad.yaml has 6 problems" in text
    assert "modle: unknown section (did you mean model?)" in text
    assert "data.synth.people: Input should be greater than 0" in text
    assert "cohort.as_of.every: '6x' is not a time span" in text
    assert "label.horizon: '12q' is not a time span" in text
    assert "features[0].aggregate[0]: 'cnt' is not an aggregate for events " \
           "(did you mean count?)" in text
    assert "fairness.min_cell: Input should be greater than or equal to 1" in text


def _demo_with_params(tmp_path, extra: str):
    """Load the demo config with ``extra`` put first in ``model.params``."""
    demo = (ROOT / "pipelines" / "demo.yaml").read_text()
    if not (tmp_path / "features").exists():
        (tmp_path / "features").symlink_to(ROOT / "pipelines" / "features")
    path = tmp_path / f"demo{len(list(tmp_path.glob('demo*.yaml')))}.yaml"
    path.write_text(demo.replace("params: {", "params: {" + extra + ", ", 1))
    return load_config(path)


def _problems(tmp_path, extra: str) -> str:
    with pytest.raises(ConfigError) as err:
        _demo_with_params(tmp_path, extra)
    return str(err.value)


def test_model_settings_are_checked_against_the_model_and_lightgbm(tmp_path):
    assert "model.params: unknown model setting(s) ['num_leafs']: not a setting of " \
        "the model nor a LightGBM parameter (did you mean num_leaves?)" in \
        _problems(tmp_path, "num_leafs: 4")
    text = _problems(tmp_path, "eta: 0.1, seed: 3, n_jobs: 2, lgb_params: {}")
    assert "'eta' is LightGBM's name for learning_rate: use learning_rate" in text
    assert "'seed' is set by model.seed" in text
    assert "'n_jobs' is fixed (one thread" in text
    assert "'lgb_params' is not needed: give LightGBM parameters directly" in text
    # LightGBM's own parameters, under any alias, pass through to the model
    model = _demo_with_params(tmp_path, "extra_trees: true, max_bin: 63").model
    assert model.model_params()["extra_trees"] is True
    assert model.model_params()["max_bin"] == 63
    assert model.model_params()["monotone"] == "auto"


def test_missing_sections_and_two_data_sources_are_named(tmp_path):
    (tmp_path / "c.yaml").write_text("name: x\ndata: {mapping: m.yaml, folder: d}\n")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.yaml")
    text = str(err.value)
    for key in ("cohort", "label", "features"):
        assert f"{key}: missing section" in text
    assert "give exactly one of synth, mapping or folder" in text


def test_includes_are_resolved_against_the_including_file(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "features.yaml").write_text(
        "- {name: s, from: events, where: {event_type: suspension}, windows: [1y]}\n")
    (tmp_path / "p.yaml").write_text(
        (ROOT / "pipelines" / "demo.yaml").read_text().replace(
            "include: features/library.yaml", "include: lib/features.yaml"))
    cfg = load_config(tmp_path / "p.yaml")
    assert [f.name for f in cfg.features] == ["s"]
    (tmp_path / "loop.yaml").write_text("features: [{include: loop.yaml}]\n")
    with pytest.raises(ConfigError, match="include loop: loop.yaml -> loop.yaml"):
        load_config(tmp_path / "loop.yaml")


def test_readme_reference_is_generated_from_the_models():
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme
    assert update_readme(readme) == readme, (
        "README's configuration reference is out of date: run `python3 dev.py docs`")
