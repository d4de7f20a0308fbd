"""The command line turns user mistakes into a message and exit code 1, never a
traceback; a clean run exits 0."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.errors import EarlysignalError


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


# ---------------------------------------------------------------- bad inputs

PUPILS_MAP = ("tables:\n  people: {file: pupils.csv, columns: {person_id: UPN, "
              "date_of_birth: DOB}}\n")
CONFIG = """name: t
data: {folder: data}
cohort: {as_of: {start: 2019-09-01, end: 2022-09-01, every: 6 months}}
label: {horizon: 12m, outcome: [{table: events, source: youth_justice}]}
features: [{name: sex, from: characteristics, attribute: sex}]
fairness: {groups: [sex]}
tracking: {enabled: false}
"""


def _files(tmp, files):
    for name, content in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)


CLI_CASES = [
    ("mapping_not_utf8", {"m.yaml": b"# caf\xe9\n" + PUPILS_MAP.encode()},
     ["validate", "m.yaml"], 1, ["m.yaml has 1 problem", "is not UTF-8 text",
                                 "byte 0xe9 at line 1"]),
    ("config_not_utf8", {"c.yaml": b"# caf\xe9\n" + CONFIG.encode()},
     ["run", "c.yaml"], 1, ["c.yaml has 1 problem", "byte 0xe9 is not UTF-8 text"]),
    ("output_is_a_file", {"c.yaml": CONFIG + "output: taken\n", "taken": "x"},
     ["run", "c.yaml"], 1, ["output: 'taken' is an existing file, not a folder"]),
    ("run_out_is_a_file", {"c.yaml": CONFIG, "taken": "x"},
     ["run", "c.yaml", "--out", "taken"], 2, ["'taken' is an existing file"]),
    ("validate_out_is_a_file", {"m.yaml": PUPILS_MAP, "taken": "x"},
     ["validate", "m.yaml", "--out", "taken"], 2, ["'taken' is an existing file"]),
    ("include_outside", {"cfg/c.yaml": CONFIG.replace(
        "features: [", "features: [{include: ../../secret.yaml}, "),
        "../secret.yaml": "- {name: hunter2, from: events}\n"},
     ["run", "cfg/c.yaml"], 1, ["is outside the config's folder",
                                "--allow-include-from"]),
    ("several_config_mistakes", {"c.yaml": CONFIG.replace("12m", "6y").replace(
        "groups: [sex]", "groups: [religion]") + "model: {capacity: lots}\n"},
     ["run", "c.yaml"], 1, ["c.yaml has 3 problems", "model.capacity: 'lots'",
                            "fairness.groups[0]: 'religion'",
                            "label.horizon: no temporal fold"]),
    ("adults_set_aside_by_default", {"m.yaml": PUPILS_MAP, "pupils.csv":
                                     "UPN,DOB\n" + "".join(
                                         f"A{i},01/0{i}/197{i}\n" for i in range(1, 9))
                                     + "B1,01/01/2005\n"},
     ["validate", "m.yaml"], 1, ["pupils.csv: 8 of 9 lines (89%) would be set aside",
                                 "'date before 1990-01-01'",
                                 "set earliest_date: in the mapping"]),
    ("us_dates", {"m.yaml": PUPILS_MAP, "pupils.csv":
                  "UPN,DOB\nA1,02/28/2014\nB2,03/15/2013\n"},
     ["validate", "m.yaml"], 1, ["written month-first",
                                 "set date_format: '%m/%d/%Y'"]),
    ("folder_missing_column", {"c.yaml": CONFIG}, ["run", "c.yaml"], 1,
     ["events.parquet, column 'event_date': has no column 'event_date'"]),
]


@pytest.mark.parametrize("name, files, args, code, fragments", CLI_CASES,
                         ids=[c[0] for c in CLI_CASES])
def test_bad_inputs_on_the_command_line(tmp_path, data, name, files, args, code,
                                        fragments):
    work = tmp_path / "w"
    work.mkdir()
    _files(work, files)
    if name == "folder_missing_column":
        shutil.copytree(data, work / "data")
        events = pd.read_parquet(work / "data" / "events.parquet")
        events.drop(columns=["event_date"]).to_parquet(work / "data" /
                                                       "events.parquet")
    result = cli(*args, cwd=work)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    text = " ".join(result.stderr.split())  # rich wraps long lines
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} not in:\n{result.stderr}"
    assert "hunter2" not in result.stderr
    if args[0] == "run" and name != "folder_missing_column":
        assert not (work / "reports").exists()  # the config stopped it first


def test_validate_writes_the_load_report_and_rejects(tmp_path):
    _files(tmp_path, {"m.yaml": "max_set_aside: 0.5\n" + PUPILS_MAP,
                      "pupils.csv": "UPN,DOB\nA1,01/01/2010\nA1,02/02/2011\n,"
                      "01/01/2010\nB2,03/03/2012\n"})
    result = cli("validate", "m.yaml", "--out", "canon", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rejects = pd.read_csv(tmp_path / "canon" / "rejects.csv")
    assert rejects[["line", "reason"]].values.tolist() == [
        [4, "missing person_id"], [3, "duplicate person_id with different details"]]
    people = pd.read_parquet(tmp_path / "canon" / "people.parquet")
    assert people["person_id"].tolist() == ["A1", "B2"]
    report = json.loads((tmp_path / "canon" / "load_report.json").read_text())
    src = report["sources"][0]
    assert (src["read"], src["used"], sum(src["set_aside"].values())) == (4, 2, 2)


def test_a_folder_run_uses_the_same_validation_and_writes_rejects(tmp_path, data):
    from earlysignal.pipeline import load_data
    from earlysignal.pipeline._config import config_from_dict

    folder = tmp_path / "data"
    shutil.copytree(data, folder)
    people = pd.read_parquet(folder / "people.parquet")
    twice = people.head(1).assign(date_of_birth=pd.Timestamp("2000-01-01"))
    pd.concat([people, twice]).to_parquet(folder / "people.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    events.loc[0, "person_id"] = None
    events.to_parquet(folder / "events.parquet")
    raw = yaml.safe_load(CONFIG)
    raw["data"] = {"folder": str(folder)}
    loaded = load_data(config_from_dict(raw, base_dir=tmp_path), work_dir=tmp_path / "r")
    report = loaded.load_report
    aside = {s.source: s.set_aside for s in report.sources if s.set_aside}
    assert aside["people.parquet"] == {"duplicate person_id with different details": 1}
    assert aside["events.parquet"]["missing person_id"] == 1
    assert report.totals_balance()
    used = loaded.tables["people"]
    assert used["person_id"].is_unique and len(used) == len(people)
    assert used.loc[used["person_id"] == people["person_id"].iloc[0],
                    "date_of_birth"].iloc[0] == people["date_of_birth"].iloc[0]
    rejects = pd.read_csv(tmp_path / "r" / "data-checked" / "rejects.csv")
    assert len(rejects) == sum(s.set_aside_total for s in report.sources)
    assert loaded.tables["events"]["person_id"].notna().all()


def test_score_at_a_date_with_no_one_eligible_says_so(data):
    from earlysignal.data import CanonicalTables
    from earlysignal.pipeline._score import _features

    bundle = {"cohort": {"age": {"min": 10, "max": 16}}, "features": []}
    with pytest.raises(EarlysignalError) as err:
        _features(CanonicalTables.read_dir(data), bundle, pd.Timestamp("1995-01-01"))
    text = str(err.value)
    assert "no one is eligible to score at 1995-01-01" in text
    assert "60 candidate rows, 0 scored" in text and "too young" in text
    assert "pass an --as-of date" in text


def test_outcome_rules_that_match_nothing_name_what_the_data_holds(data):
    from earlysignal.data import CanonicalTables
    from earlysignal.features import LabelSpec
    from earlysignal.pipeline._checks import check_outcome_rows

    tables = CanonicalTables.read_dir(data)
    spec = LabelSpec(horizon="12m", outcome=[{"table": "events", "source": "yj"}])
    with pytest.raises(EarlysignalError) as err:
        check_outcome_rows(spec, tables)
    text = str(err.value)
    assert "label.outcome[0] (events with source yj) matches 0 of" in text
    assert "youth_justice" in text  # what the data does hold
    ok = LabelSpec(horizon="12m", outcome=[{"table": "events",
                                            "source": "youth_justice"}])
    check_outcome_rows(ok, tables)  # a rule that matches rows passes
    empty = CanonicalTables.from_frames({"people": tables["people"]})
    with pytest.raises(EarlysignalError, match="the events table is empty"):
        check_outcome_rows(ok, empty)


@pytest.mark.parametrize("counts, fragment", [
    ({"rows": 30, "positives": 0, "negatives": 30}, "none of the 30 labelled rows"),
    ({"rows": 30, "positives": 30, "negatives": 0}, "every one of the 30 labelled"),
])
def test_labels_of_one_kind_are_named(counts, fragment):
    from earlysignal.features import LabelSpec
    from earlysignal.pipeline._checks import check_escalations

    spec = LabelSpec(horizon="6m", outcome=[{"table": "events"}])
    with pytest.raises(EarlysignalError) as err:
        check_escalations(spec, counts)
    assert fragment in str(err.value) and "6m horizon" in str(err.value)
    check_escalations(spec, {"rows": 2, "positives": 1, "negatives": 1})


def test_infinite_features_are_named():
    from earlysignal.pipeline._checks import check_finite_features

    m = pd.DataFrame({"as_of": pd.to_datetime(["2021-09-01"] * 3),
                      "a": [1.0, 2.0, 3.0], "b": [0.0, -np.inf, np.inf]})
    check_finite_features(m, ["a"])
    with pytest.raises(EarlysignalError) as err:
        check_finite_features(m, ["a", "b"])
    assert "column 'b'" in str(err.value)
    assert "2 value(s) are infinite (first in row 2 at as-of date 2021-09-01)" in str(
        err.value)
