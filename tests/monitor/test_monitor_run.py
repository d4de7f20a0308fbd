"""`earlysignal monitor` on a small run of the demo pipeline with a later synthetic
extract of the same cohort: the files, the realised figures against a naive
computation, the MLflow metrics and the exit code when an alert fires."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from earlysignal.data import CanonicalTables
from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.features import read_feature_matrix
from earlysignal.model import model_inputs
from earlysignal.monitor import ALERT_EXIT, MonitorSettings
from earlysignal.monitor._api import realised_table
from earlysignal.pipeline import config_from_dict, monitor_run, run_pipeline
from earlysignal.pipeline._yaml import read_yaml

ROOT = Path(__file__).resolve().parents[2]
# a whole run and a check take about 40 s; the same checks run fast on frames in
# test_performance.py, test_drift.py and test_tracking.py
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("monitor")
    common = dict(people=800, seed=5, start="2018-09-01", population_end="2024-08-31")
    write_cohort(SynthConfig(end="2024-08-31", **common), base / "data")
    write_cohort(SynthConfig(end="2025-08-31", **common), base / "later")
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    raw["cohort"]["as_of"]["start"] = "2020-09-01"  # fewer dates, a faster run
    raw["model"].update(test_from="2023-03-01", select="lightgbm",
                        baselines=["base_rate"],
                        params={"n_estimators": 60, "num_leaves": 5,
                                "min_child_samples": 50, "learning_rate": 0.05})
    raw["fairness"] = {"n_boot": 50, "min_cell": 3}
    raw["tracking"] = {"uri": f"sqlite:///{base}/mlflow.db"}
    raw["monitor"] = {"null_draws": 100, "n_boot": 100, "draws": 200}
    cfg = config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")
    run_pipeline(cfg, data_dir=base / "data", out=base / "run",
                 stages=("features", "model", "fairness", "impact", "tracking"))
    result = monitor_run(base / "run", data=base / "later", out=base / "check")
    return base, result


def test_the_check_writes_its_page_and_figures(run):
    base, result = run
    doc = json.loads((base / "check" / "monitor.json").read_text())
    page = (base / "check" / "monitor.html").read_text()
    assert doc["current_date"] == "2025-06-01"
    assert doc["trained_to"] == "2024-08-31"
    # the run's open dates and the schedule continued: quarterly to 2025-06-01
    assert [e["as_of"][:10] for e in doc["expected"]] == [
        "2023-09-01", "2023-12-01", "2024-03-01", "2024-06-01", "2024-09-01",
        "2024-12-01", "2025-03-01", "2025-06-01"]
    # closed in the later extract: those whose 12 months end by its last record
    assert [r["as_of"][:10] for r in doc["realised"]] == [
        "2023-09-01", "2023-12-01", "2024-03-01", "2024-06-01"]
    assert "Monitoring the model in use" in page and "<script" not in page
    assert "P000" not in page  # no person identifier on the page
    assert doc["alerts"] == [a for a in result.alerts]
    assert len(doc["demand"]) > 0


def test_realised_figures_match_a_naive_computation(run):
    base, result = run
    frame, meta = read_feature_matrix(base / "check" / "features")
    model = joblib.load(base / "run" / "model.joblib")
    frame["score"] = model.predict_proba(frame[model_inputs(meta)])[:, 1]
    shown = result.realised[~result.realised["withheld"]]
    assert len(shown) >= 2
    for row in shown.to_dict("records"):
        part = frame[(frame["as_of"] == row["as_of"]) & frame["label"].notna()]
        k = int(np.floor(0.05 * len(part) + 0.5))  # a share rounds half up
        top = part.nlargest(k, "score")
        assert row["k"] == k
        assert row["precision_at_k"] == pytest.approx(top["label"].mean())
        assert row["observed_over_expected"] == pytest.approx(
            part["label"].sum() / part["score"].sum())
        assert row["precision_at_k_lower"] <= row["precision_at_k"] <= \
            row["precision_at_k_upper"]
    # with the default disclosure threshold, these small dates are withheld whole
    cur = frame[frame["as_of"] >= "2023-09-01"]
    strict = realised_table(cur, MonitorSettings(min_cell=10, n_boot=0, draws=50))
    few = [pd.Timestamp(d) for d, p in cur[cur["label"].notna()].groupby("as_of")
           if p["label"].sum() < 10]
    assert few and strict.set_index("as_of").loc[few, "withheld"].all()
    assert strict.set_index("as_of").loc[few, "precision_at_k"].isna().all()


def test_the_figures_are_logged_on_the_runs_mlflow_run(run):
    base, result = run
    from mlflow.tracking import MlflowClient

    info = json.loads((base / "run" / "run.json").read_text())["tracking"]
    client = MlflowClient(info["tracking_uri"])
    history = client.get_metric_history(info["run_id"], "monitor.expected.precision_at_k")
    logged = {m.step: m.value for m in history}
    for row in result.expected.to_dict("records"):
        step = int(pd.Timestamp(row["as_of"]).strftime("%Y%m%d"))
        assert logged[step] == pytest.approx(row["precision_at_k"])


def test_an_alert_exits_non_zero_and_names_the_source(run, tmp_path):
    from earlysignal.cli import app

    base, _ = run
    later = CanonicalTables.read_dir(base / "later")
    ev = later["events"]
    stopped = ev[~((ev["source"] == "school") & (ev["event_date"] >= "2024-10-01"))]
    CanonicalTables.from_frames({**{n: later[n] for n in later},
                                 "events": stopped}).write_dir(tmp_path / "stopped")
    done = CliRunner().invoke(app, ["monitor", str(base / "run"), "--data",
                                    str(tmp_path / "stopped"), "--out",
                                    str(tmp_path / "check"), "--no-track"])
    assert done.exit_code == ALERT_EXIT, done.output
    assert "ALERT (freshness): school events stopped" in done.output
    doc = json.loads((tmp_path / "check" / "monitor.json").read_text())
    assert {"freshness", "drift"} <= {a["kind"] for a in doc["alerts"]}


def test_fairness_per_closed_date_sits_beside_the_runs_audit(run):
    base, result = run
    doc = json.loads((base / "check" / "monitor.json").read_text())
    series = pd.DataFrame(doc["fairness"]["series"])
    assert sorted(series["as_of"].unique()) == [
        "2023-09-01", "2023-12-01", "2024-03-01", "2024-06-01"]
    then = pd.DataFrame(json.loads((base / "run" / "fairness.json").read_text())
                        ["group_metrics"]).set_index(["group_by", "group", "metric"])
    shown = series[series["evaluation"].notna()]
    assert len(shown) > 0 and not shown["evaluation_withheld"].any()
    for r in shown.to_dict("records"):
        assert r["evaluation"] == pytest.approx(
            then.loc[(r["group_by"], r["group"], r["metric"]), "value"])
    # a group the run's audit withheld or never saw has no figure beside it
    for r in series[series["evaluation"].isna()].to_dict("records"):
        key = (r["group_by"], r["group"], r["metric"])
        assert key not in then.index or bool(then.loc[key, "suppressed"])
    assert (series["withheld"] == series["value"].isna()).all()
    assert "Fairness at each closed date" in (base / "check" / "monitor.html"
                                             ).read_text()
