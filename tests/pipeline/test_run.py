"""The whole pipeline on a small synthetic cohort: the run-folder contract, stage
reuse, scoring with the logged model, and the command line's exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.errors import DataError
from earlysignal.pipeline import config_from_dict, run_pipeline, score_people
from earlysignal.pipeline._yaml import read_yaml

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ("scores.parquet", "metrics.json", "fairness.json", "config.yaml",
            "run.json", "bands.json", "caseload.parquet", "model.joblib")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("pipeline")
    write_cohort(SynthConfig(people=1500, seed=5, start="2016-09-01"), base / "data")
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    raw["fairness"] = {"n_boot": 50}
    raw["tracking"] = {"uri": f"sqlite:///{base}/mlflow.db"}
    cfg = config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")
    result = run_pipeline(cfg, data_dir=base / "data", out=base / "run")
    return cfg, result, base


def test_run_folder_holds_every_file_of_the_contract(run):
    _, result, _ = run
    folder = result.run_dir
    for name in CONTRACT:
        assert (folder / name).exists(), name
    assert (folder / "reports" / "fairness.html").exists()
    scores = pd.read_parquet(folder / "scores.parquet")
    for col in ("person_id", "as_of", "fold", "score", "label", "p_true", "model",
                "group_sex", "group_ethnicity"):
        assert col in scores.columns
    assert scores["score"].between(0, 1).all()
    # the score column is the model's calibrated probability
    assert (scores["score"] == scores["model"]).all()


def test_run_json_records_fingerprints_versions_timings_and_tracking(run):
    _, result, _ = run
    info = json.loads((result.run_dir / "run.json").read_text())
    assert set(info["data"]["fingerprints"]) == {
        "people", "events", "episodes", "periods", "characteristics"}
    assert all(len(v) == 64 for v in info["data"]["fingerprints"].values())
    assert info["versions"]["lightgbm"] != "missing"
    assert {"data", "features", "model", "fairness", "explain", "tracking"} <= set(
        info["timings_s"])
    assert len(info["tracking"]["run_id"]) == 32
    labels = info["features"]["labels"]
    assert labels["rows"] == labels["positives"] + labels["negatives"] + \
        labels["censored_excluded"] + labels["first_outcome_on_or_before_as_of"]
    cohort = info["features"]["cohort"]
    assert cohort["candidates"] == sum(v for k, v in cohort.items()
                                       if k != "candidates")


def test_a_run_that_keeps_raw_ids_says_so_and_never_pseudonymous(run):
    _, result, base = run
    info = json.loads((result.run_dir / "run.json").read_text())
    assert info["privacy"] == {"pseudonymised": False, "route": "folder",
                               "ids_look_pseudonymised": False}
    pages = list((result.run_dir / "reports").rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        assert "pseudonymous" not in page.read_text().lower(), page
    ethics = (result.run_dir / "reports" / "ethics.html").read_text()
    assert "This run did not pseudonymise person identifiers" in ethics


def test_metrics_compare_the_model_with_baselines_and_the_oracle(run):
    _, result, _ = run
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    pooled = metrics["pooled"]
    assert {"model", "oracle", "base_rate", "checklist"} <= set(pooled)
    assert pooled["oracle"]["auc"] > 0.7
    gap = metrics["oracle_gap"]["auc"]
    assert gap["gap"] == pytest.approx(gap["model"] - gap["oracle"])
    assert set(metrics["verdicts"]) >= {"base_rate", "checklist"}


def test_caseload_is_sorted_and_banded_with_the_bands_of_the_evaluation(run):
    _, result, _ = run
    caseload = pd.read_parquet(result.run_dir / "caseload.parquet")
    bands = json.loads((result.run_dir / "bands.json").read_text())["bands"]
    assert caseload["score"].is_monotonic_decreasing
    assert caseload["as_of"].nunique() == 1
    for row in caseload.itertuples():
        band = next(b for b in bands if b["name"] == row.band)
        assert band["lower"] <= row.score
    assert [b["name"] for b in bands] == ["Very high", "High", "Raised", "Typical"]
    # practitioners see plain words, never a column name
    assert not caseload["top_reason"].dropna().str.contains("__").any()


def test_a_second_run_reuses_features_and_model(run):
    cfg, result, base = run
    again = run_pipeline(cfg, data_dir=base / "data", out=result.run_dir,
                         stages=("features", "model"))
    assert again.reused == ["features", "model"]


def test_logged_model_scores_new_data_and_refuses_a_mismatched_feature_set(run):
    _, result, base = run
    tracking = result.info["tracking"]
    scores = score_people(tracking["model_uri"], as_of="2024-03-01",
                          data=base / "data", out=base / "scored.csv",
                          tracking_uri=tracking["tracking_uri"])
    assert len(scores) > 100 and scores["score"].between(0, 1).all()
    assert set(scores["band"]) <= {"Very high", "High", "Raised", "Typical"}
    assert pd.read_csv(base / "scored.csv").shape[0] == len(scores)

    matrix = pd.read_parquet(result.run_dir / "features" / "features.parquet")
    matrix.drop(columns=["suspensions__count__90d"]).to_parquet(base / "bad.parquet")
    with pytest.raises(DataError) as err:
        score_people(tracking["model_uri"], as_of="2023-09-01",
                     data=base / "bad.parquet", tracking_uri=tracking["tracking_uri"])
    assert "bad.parquet, column 'suspensions__count__90d'" in str(err.value)
    assert "feature set does not match the model's" in str(err.value)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "earlysignal.cli", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_cli_exit_codes_user_error_1_usage_2(tmp_path):
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"name": "x"}))
    user = _cli("features", "bad.yaml", "--out", "o", cwd=tmp_path)
    assert user.returncode == 1
    assert "bad.yaml has 4 problems" in user.stderr
    assert "Traceback" not in user.stderr
    usage = _cli("features", "--no-such-flag", cwd=tmp_path)
    assert usage.returncode == 2


def test_pseudonymised_run_writes_no_raw_identifier(tmp_path, monkeypatch):
    write_cohort(SynthConfig(people=600, seed=3), tmp_path / "data")
    raw_ids = set(pd.read_parquet(tmp_path / "data" / "people.parquet")["person_id"])
    monkeypatch.setenv("EARLYSIGNAL_PSEUDONYM_KEY", "a test key that is long enough")
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    raw["data"] = {"folder": str(tmp_path / "data"), "pseudonymise": True}
    raw["fairness"] = {"n_boot": 20}
    raw["tracking"] = {"enabled": False}
    raw["impact"] = {"enabled": False}
    raw["reports"] = {"max_people": 5}
    cfg = config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")
    result = run_pipeline(cfg, out=tmp_path / "run")
    written = [p for p in result.run_dir.rglob("*") if p.is_file()]
    assert len(written) > 20
    for path in written:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            if "person_id" in frame.columns:
                ids = set(frame["person_id"].astype(str))
                assert not ids & raw_ids, path
                assert all(i.startswith("p_") for i in ids), path
        elif path.suffix in (".html", ".json", ".csv", ".yaml"):
            text = path.read_text(errors="ignore")
            assert not any(i in text for i in list(raw_ids)[:200]), path


def test_synthetic_data_takes_a_study_start_written_as_a_yaml_date(tmp_path):
    from earlysignal.pipeline._data import load_data

    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    assert raw["data"]["synth"]["options"]["start"].year == 2016   # a date, not text
    raw["data"]["synth"] = {"people": 300, "seed": 2,
                            "options": {"start": raw["data"]["synth"]["options"]["start"]}}
    cfg = config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")
    loaded = load_data(cfg, work_dir=tmp_path)
    first = pd.to_datetime(loaded.tables["events"]["event_date"]).min()
    assert pd.Timestamp("2016-09-01") <= first < pd.Timestamp("2017-01-01")
    # the same settings are recognised and the cohort is not generated again
    written = (tmp_path / "data" / "people.parquet").stat().st_mtime_ns
    load_data(cfg, work_dir=tmp_path)
    assert (tmp_path / "data" / "people.parquet").stat().st_mtime_ns == written


def test_cli_warns_in_words_when_the_cohort_starts_before_the_data(tmp_path):
    # the demo's cohort starts in 2018; a cohort generated from 2019 cannot label it
    write_cohort(SynthConfig(people=200, seed=1), tmp_path / "data")
    res = _cli("features", str(ROOT / "pipelines" / "demo.yaml"), "--data", "data",
               "--out", "o", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stderr.split())
    assert "warning: " in text and "before the first record of the outcome table" in text
    assert "Fix: start the cohort on or after 2019-09" in text
    assert "EarlysignalWarning" not in text and "warnings.warn" not in text
    meta = json.loads((tmp_path / "o" / "features.meta.json").read_text())
    assert meta["labels"]["rows_before_first_record"] > 0


def test_mlflow_plain_names_hold_the_pooled_metrics_and_folds_are_steps(run):
    import mlflow

    _, result, _ = run
    tracking = result.info["tracking"]
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    client = mlflow.tracking.MlflowClient(tracking["tracking_uri"])
    logged = client.get_run(tracking["run_id"]).data.metrics
    # the plain name is the pooled figure the reports quote, not the last fold's
    assert logged["model.auc"] == pytest.approx(metrics["pooled"]["model"]["auc"])
    history = client.get_metric_history(tracking["run_id"], "fold.model.auc")
    # folds withheld by the disclosure rule (None) are not logged at all
    per_fold = {r["fold"]: r["value"] for r in metrics["per_fold"]
                if r["model"] == "model" and r["metric"] == "auc"
                and r["value"] is not None}
    assert {m.step: m.value for m in history} == pytest.approx(per_fold)
    withheld = {r["fold"] for r in metrics["per_fold"] if r["value"] is None}
    assert not withheld & {m.step for m in history}


def test_printed_mlflow_ui_command_works_as_printed(run):
    _, result, _ = run
    cmd = result.info["tracking"]["ui_command"].replace(" ui ", " ui --help ", 1)
    done = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                          timeout=300, cwd="/")
    assert done.returncode == 0, done.stderr
    assert "--backend-store-uri" in done.stdout


def test_explain_error_says_which_dates_and_people_are_available(run):
    from earlysignal.pipeline._inspect import explain_run_person

    _, result, _ = run
    matrix = pd.read_parquet(result.run_dir / "features" / "features.parquet")
    latest = matrix["as_of"].max()
    with pytest.raises(DataError) as e:
        explain_run_person(result.run_dir, "NOBODY", None)
    text = str(e.value)
    first = sorted(matrix.loc[matrix["as_of"] == latest, "person_id"])[0]
    assert "NOBODY is not in this run's cohort" in text and first in text
    assert f"to {latest.date()}" in text
    # someone scored earlier but not at the latest date: their dates are listed
    gone = sorted(set(matrix["person_id"]) - set(
        matrix.loc[matrix["as_of"] == latest, "person_id"]))[0]
    with pytest.raises(DataError) as e:
        explain_run_person(result.run_dir, gone, None)
    first_date = matrix.loc[matrix["person_id"] == gone, "as_of"].min().date()
    assert f"{gone} was scored on {first_date}" in str(e.value)
    assert "--as-of" in str(e.value)


def test_no_output_publishes_a_group_the_disclosure_rule_withholds(run):
    _, result, _ = run
    folder = result.run_dir
    fairness = json.loads((folder / "fairness.json").read_text())
    withheld = {(r["period"], r["group_by"].removeprefix("group_"), r["group"])
                for r in fairness["suppressed"]}
    pooled = {(g, v) for p, g, v in withheld if p == ""}
    # the audit's own tables
    for r in fairness["group_metrics"]:
        if ("", r["group_by"].removeprefix("group_"), r["group"]) in withheld:
            assert r["value"] is None or r["value"] != r["value"], r
    csv = pd.read_csv(folder / "fairness.csv")
    for _, r in csv.iterrows():
        if (r["group_by"].removeprefix("group_"), r["group"]) in pooled:
            assert pd.isna(r["value"]) and pd.isna(r["lower"]), dict(r)
    # the impact estimate's reach by group, counted by the same rule
    impact = json.loads((folder / "impact.json").read_text())
    for r in impact["by_group"]:
        if r["withheld"]:
            assert r["cohort"] is None and r["escalations"] is None, r
        else:
            assert r["cohort"] is not None
    # a period's counts in metrics.json: never fewer than min_cell people with
    # the outcome in a published fold
    metrics = json.loads((folder / "metrics.json").read_text())
    for r in metrics["per_fold"]:
        if r["metric"] == "n_positive" and r["value"] is not None:
            assert r["value"] >= 10, r


def test_every_page_names_the_mlflow_run_it_belongs_to(run):
    _, result, _ = run
    run_id = result.info["tracking"]["run_id"]
    pages = sorted((result.run_dir / "reports").rglob("*.html"))
    assert len(pages) > 4
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert run_id in text, page.name
        assert "not tracked" not in text, page.name
