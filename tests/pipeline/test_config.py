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
    assert "'n_jobs' is chosen from the cores free at each fit" in text
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


# ---------------------------------------------------------------- bad configs

BASE = """name: t
data: {synth: {people: 50}}
cohort: {as_of: {start: 2019-09-01, end: 2022-09-01, every: 6 months}}
label:
  horizon: 12m
  outcome: [{table: events, source: youth_justice}]
  followup: {extract_date: 2024-08-31}
features:
  - {name: suspensions, from: events, where: {event_type: suspension}, windows: [1y]}
  - {name: sex, from: characteristics, attribute: sex}
  - {name: age, from: people, aggregate: [age]}
fairness: {groups: [sex, age_band]}
"""


def _edit(**sections: str):
    """BASE with whole top-level sections replaced (or added)."""
    def make(tmp):
        lines, skip = [], False
        for line in BASE.splitlines():
            key = line.split(":")[0] if line and not line.startswith(" ") else None
            if key is not None:
                skip = key in sections
            if not skip:
                lines.append(line)
        return "\n".join(lines + [f"{k}: {v}" for k, v in sections.items()]) + "\n"
    return make


CONFIG_CASES = [
    ("capacity_text", _edit(model="{capacity: abc}"),
     ["model.capacity: 'abc' is neither a count nor a percentage",
      "a share such as 5%"]),
    ("capacity_zero", _edit(model="{capacity: '0'}"),
     ["model.capacity: '0' is neither a count nor a percentage"]),
    ("capacity_over_100", _edit(model="{capacity: 150%}"),
     ["model.capacity: '150%' is neither"]),
    ("impact_capacity", _edit(impact="{enabled: true, capacity: lots}"),
     ["impact.capacity: 'lots' is neither"]),
    ("fairness_group_without_feature", _edit(fairness="{groups: [religion, sex]}"),
     ["fairness.groups[0]: 'religion' is not a categorical feature",
      "use one of sex, age_band"]),
    ("age_band_without_age", lambda tmp: BASE.replace(
        "  - {name: age, from: people, aggregate: [age]}\n", ""),
     ["fairness.groups[1]: 'age_band' needs a feature with aggregate [age]"]),
    ("horizon_longer_than_schedule", lambda tmp: BASE.replace(
        "horizon: 12m", "horizon: 4y"),
     ["label.horizon: no temporal fold can train and test with a 4y horizon",
      "shorten label.horizon"]),
    ("horizon_after_test_from", _edit(model="{test_from: 2023-01-01}"),
     ["no test date on or after model.test_from 2023-01-01",
      "the as-of dates with labels run 2019-09-01 to 2022-09-01"]),
    ("horizon_past_extract", lambda tmp: BASE.replace(
        "extract_date: 2024-08-31", "extract_date: 2020-01-01"),
     ["no as-of date has its 12m follow-up end by the extract date 2020-01-01"]),
    ("empty_feature_list", _edit(features="[]"),
     ["features: the list is empty", "include features/library.yaml"]),
    ("synth_unknown_option", _edit(data="{synth: {people: 50, options: "
                                        "{prevalance: 0.1}}}"),
     ["unknown option(s) of the synthetic cohort: prevalance (did you mean "
      "prevalence?)"]),
    ("synth_bad_option_value", _edit(data="{synth: {people: 50, options: "
                                          "{prevalence: -1}}}"),
     ["data.synth: prevalence: must be a number >= 0, got -1"]),
    ("synth_unknown_source", _edit(data="{synth: {people: 50, options: "
                                        "{missing_sources: [mars]}}}"),
     ["missing_sources: unknown source(s) ['mars']"]),
    ("output_is_a_file", lambda tmp: BASE + f"output: {tmp / 'taken.txt'}\n",
     ["is an existing file, not a folder"]),
    ("folder_settings_with_synth", _edit(data="{synth: {people: 50}, "
                                              "earliest_date: 1900-01-01}"),
     ["earliest_date apply to folder: only"]),
    ("max_set_aside_above_one", _edit(data="{folder: x, max_set_aside: 5}"),
     ["data.max_set_aside", "less than or equal to 1"]),
]


@pytest.mark.parametrize("name, make, fragments", CONFIG_CASES,
                         ids=[c[0] for c in CONFIG_CASES])
def test_config_mistakes_are_named_before_any_stage(tmp_path, name, make, fragments):
    (tmp_path / "taken.txt").write_text("x")
    (tmp_path / "c.yaml").write_text(make(tmp_path))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.yaml")
    text = str(err.value)
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    # messages speak of the config, not of the classes that read it
    for internal in ("SynthConfig", "Section", "Spec(", "__init__", "Traceback"):
        assert internal not in text


def test_several_mistakes_are_reported_together(tmp_path):
    text = BASE.replace("horizon: 12m", "horizon: 5y").replace(
        "groups: [sex, age_band]", "groups: [religion]") + "model: {capacity: x}\n"
    (tmp_path / "c.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.yaml")
    assert "has 3 problems" in str(err.value)
    assert [p.split(":")[0] for p in err.value.problems] == [
        "model.capacity", "fairness.groups[0]", "label.horizon"]


def test_the_base_config_is_valid(tmp_path):
    (tmp_path / "c.yaml").write_text(BASE)
    cfg = load_config(tmp_path / "c.yaml")
    assert [f.name for f in cfg.features] == ["suspensions", "sex", "age"]


@pytest.mark.parametrize("target, fragment", [
    ("/etc/hostname", "is outside the config's folder"),
    ("../outside.yaml", "is outside the config's folder"),
    ("notes.txt", "holds no YAML list or mapping"),
])
def test_includes_stay_in_the_config_tree_and_never_echo(tmp_path, target, fragment):
    (tmp_path / "outside.yaml").write_text("- {name: secret_feature, from: events}\n")
    sub = tmp_path / "cfg"
    sub.mkdir()
    (sub / "notes.txt").write_text("password hunter2 do not share\n")
    (sub / "c.yaml").write_text(BASE.replace(
        "features:\n", f"features:\n  - include: {target}\n"))
    with pytest.raises(ConfigError) as err:
        load_config(sub / "c.yaml")
    assert fragment in str(err.value)
    assert "hunter2" not in str(err.value) and "secret_feature" not in str(err.value)


def test_an_allowed_folder_may_be_included(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "f.yaml").write_text(
        "- {name: police, from: events, where: {source: police}, windows: [1y]}\n")
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "c.yaml").write_text(BASE.replace(
        "features:\n", "features:\n  - include: ../lib/f.yaml\n"))
    cfg = load_config(tmp_path / "cfg" / "c.yaml", include_roots=(tmp_path / "lib",))
    assert cfg.features[0].name == "police"


@pytest.mark.parametrize("where", ["config", "included"])
def test_non_utf8_config_names_the_line(tmp_path, where):
    latin = "# Zo\xe9's pipeline\n".encode("cp1252")
    if where == "config":
        (tmp_path / "c.yaml").write_bytes(latin + BASE.encode())
    else:
        (tmp_path / "lib.yaml").write_bytes(
            latin + b"- {name: p, from: events, windows: [1y]}\n")
        (tmp_path / "c.yaml").write_text(BASE.replace(
            "features:\n", "features:\n  - include: lib.yaml\n"))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.yaml")
    assert "line 1: byte 0xe9 is not UTF-8 text" in str(err.value)
    assert ("lib.yaml" if where == "included" else "c.yaml") in str(err.value)


def test_includes_of_a_config_reached_through_a_linked_folder_stay_inside(tmp_path):
    from earlysignal.pipeline._yaml import read_yaml

    real = tmp_path / "real"
    (real / "features").mkdir(parents=True)
    (real / "features" / "lib.yaml").write_text("- {name: a}\n")
    (real / "c.yaml").write_text("features:\n  - include: features/lib.yaml\n")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "pipelines").symlink_to(real)
    got = read_yaml(tmp_path / "work" / "pipelines" / "c.yaml")
    assert got == {"features": [{"name": "a"}]}
