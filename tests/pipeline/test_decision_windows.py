"""A decision-point cohort (one as-of date per person: the weekly panel meeting that
discussed them, over two years) is
evaluated as a scheduled one is: a handful of quarterly test windows, each one fold
and one capacity round in the model's metrics, the fairness audit and the impact
estimate, and reports with one box per window rather than per day."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.model import Capacity, validate_folds
from earlysignal.model._test_windows import window_bounds
from earlysignal.pipeline import config_from_dict, run_pipeline
from earlysignal.report import DataScienceReport, read_run

CAPACITY = "5%"
FEATURES = [
    {"name": "police_contacts", "from": "events",
     "where": {"source": "police", "event_type": "police_contact"},
     "aggregate": ["count"], "windows": ["1y", "all"]},
    {"name": "suspensions", "from": "events",
     "where": {"source": "school", "event_type": "suspension"},
     "aggregate": ["count"], "windows": ["1y"]},
    {"name": "referrals", "from": "events",
     "where": {"source": "social_care", "event_type": "referral"},
     "aggregate": ["count"], "windows": ["all"]},
    {"name": "age", "from": "people", "aggregate": ["age"]},
    {"name": "sex", "from": "characteristics", "attribute": "sex",
     "protected": True},
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("decisions")
    data = base / "data"
    write_cohort(SynthConfig(people=1500, seed=11, start="2019-09-01"), data)
    # the synthetic truth is known at quarter starts only, not at decision days
    (data / "truth.parquet").unlink()
    people = pd.read_parquet(data / "people.parquet")
    # each person is discussed once, at one of a weekly panel's meetings
    mondays = pd.date_range("2021-09-06", "2023-08-28", freq="W-MON")
    when = np.random.default_rng(4).choice(mondays, len(people))
    decisions = pd.DataFrame({"person_id": people["person_id"],
                              "as_of": pd.DatetimeIndex(when).strftime("%Y-%m-%d")})
    decisions.to_csv(base / "decisions.csv", index=False)
    raw = {
        "name": "decisions",
        "data": {"folder": str(data)},
        "cohort": {"as_of": {"table": "decisions.csv"}, "age": {"min": 8, "max": 17}},
        # common outcomes over six months, so that a quarter holds escalations
        "label": {"name": "suspension_or_police", "horizon": "6m",
                  "outcome": [{"table": "events", "source": "police"},
                              {"table": "events", "source": "school",
                               "type": "suspension"}],
                  "followup": {"extract_date": "2024-08-31"}},
        "features": FEATURES,
        "model": {"capacity": CAPACITY, "test_every": "1 quarter",
                  "test_from": "2022-10-01", "baselines": ["base_rate"],
                  "params": {"n_estimators": 40, "min_child_samples": 20}},
        # min_cell 1: the windows of this small cohort would otherwise be withheld
        # from the per-fold figures, which this test reads
        "fairness": {"groups": ["sex"], "n_boot": 20, "min_cell": 1},
        "impact": {"enabled": True, "capacity": CAPACITY},
        "tracking": {"enabled": False},
    }
    cfg = config_from_dict(raw, source="decisions.yaml", base_dir=base)
    log: list[str] = []
    run_pipeline(cfg, out=base / "run", log=log.append,
                 stages=("features", "model", "fairness", "impact"))
    return base / "run", log


def _windows(run_dir: Path) -> pd.DataFrame:
    scores = pd.read_parquet(run_dir / "scores.parquet")
    return scores.groupby("window", sort=True).agg(
        n=("label", "size"), positives=("label", "sum"), days=("as_of", "nunique"),
        first=("as_of", "min"), last=("as_of", "max"))


def test_a_handful_of_quarterly_folds_not_one_per_day(run):
    run_dir, log = run
    m = json.loads((run_dir / "metrics.json").read_text())
    per = _windows(run_dir)
    assert list(per.index) == ["2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3"]
    assert [f["window"] for f in m["folds"]] == list(per.index)
    # each quarter holds up to 13 meeting days, all inside its calendar span
    assert per["days"].tolist() == [13, 13, 13, 9]
    spans = window_bounds(pd.concat([per["first"], per["last"]]), "1 quarter")
    assert set(spans["window"]) == set(per.index)
    assert m["settings"]["test_every"] == "1 quarter"
    assert "model: 4 folds; windows of 1 quarter, as set" in log


def test_each_window_trains_only_on_labels_closed_before_it_starts(run):
    run_dir, _ = run
    m = json.loads((run_dir / "metrics.json").read_text())
    matrix = pd.read_parquet(run_dir / "features" / "features.parquet")
    for f in m["folds"]:
        start = pd.Timestamp(f["test_start"])
        assert start == pd.Period(f["window"].replace("-", ""), "Q").start_time
        # the last training date's 6-month label closes by the window's first day
        assert pd.Timestamp(f["train_end"]) + pd.DateOffset(months=6) <= start
    from earlysignal.model import Fold

    folds = [Fold(f["index"], pd.Timestamp(f["test_start"]), pd.Timestamp(f["test_end"]),
                  pd.Timestamp(f["train_start"]), pd.Timestamp(f["train_end"]),
                  pd.Timestamp(f["train_label_end"]), f["horizon"],
                  tuple(d for d in pd.to_datetime(matrix["as_of"]).unique()
                        if d <= pd.Timestamp(f["train_end"])), f["window"])
             for f in m["folds"]]
    validate_folds(folds, matrix["as_of"], horizon="6m")


def test_capacity_is_per_window_in_metrics_fairness_and_impact(run):
    run_dir, _ = run
    per = _windows(run_dir)
    cap = Capacity.parse(CAPACITY)
    k = {w: cap.k(int(n)) for w, n in per["n"].items()}
    m = json.loads((run_dir / "metrics.json").read_text())
    # per day, the share would select at least one person on each of ~50 days
    scores = pd.read_parquet(run_dir / "scores.parquet")
    per_day = sum(cap.k(int(n)) for n in scores.groupby("as_of").size())
    assert m["pooled"]["model"]["k"] == sum(k.values()) < per_day
    for f in m["folds"]:
        row = next(r for r in m["per_fold"] if r["fold"] == f["index"]
                   and r["model"] == "model" and r["metric"] == "k")
        assert row["value"] == k[f["window"]]
    fair = json.loads((run_dir / "fairness.json").read_text())
    points = fair["summary"]["operating_points"]
    assert set(points) == set(per.index)
    for w, point in points.items():
        assert (point["n"], point["capacity"]) == (per.at[w, "n"], k[w])
    impact = json.loads((run_dir / "impact.json").read_text())
    assert impact["settings"]["rounds"] == len(per)
    assert impact["settings"]["round_labels"] == list(per.index)
    assert impact["settings"]["places_per_round"] == pytest.approx(
        np.mean(list(k.values())))


def test_science_report_has_one_box_per_window(run):
    run_dir, _ = run
    html = DataScienceReport(read_run(run_dir)).html()
    per = _windows(run_dir)
    boxes = re.findall(r'<rect class="test-window"[^>]*><title>([^<]*)</title>', html)
    # one box per window, not one per meeting day
    assert len(boxes) == len(per) == 4 and per["days"].sum() == 48
    first = per.index[0]
    assert boxes[0] == f"test window {first}: as-of 1 Oct 2022 to 31 Dec 2022"
    heads = re.findall(r'<th scope="col">Test window</th>', html)
    assert len(heads) == 4  # the folds table and three per-fold metric tables
    assert 'id="test-windows">Test windows: windows of 1 quarter, as set.' in html


def test_training_and_test_base_rates_in_words(run):
    run_dir, _ = run
    m = json.loads((run_dir / "metrics.json").read_text())
    shift = m["shift"]
    scores = pd.read_parquet(run_dir / "scores.parquet")
    assert shift["test_base_rate"] == pytest.approx(scores["label"].mean())
    assert f"{100 * scores['label'].mean():.1f}% of test rows escalated" in \
        shift["text"]
    ratio = shift["test_base_rate"] / shift["train_base_rate"]
    assert shift["ratio"] == pytest.approx(ratio)
    assert f"({ratio:.1f} times)" in shift["text"]
    html = DataScienceReport(read_run(run_dir)).html()
    assert shift["text"].split(":")[0] in html
