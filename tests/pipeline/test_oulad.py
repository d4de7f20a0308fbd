"""The OULAD case end to end: a real public extract read through a mapping, scored
on day 60 of each presentation for a final result of Fail.

The data is read where it lies: from $OULAD_DIR, else ../shared/data/oulad beside
the repository; the test is skipped with a message where neither holds it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from earlysignal.data import load_mapping
from earlysignal.pipeline import load_config, run_pipeline

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = [Path(p) for p in [os.environ.get("OULAD_DIR", "")] if p] + [
    REPO.parent / "shared" / "data" / "oulad"]
DATA = next((p for p in CANDIDATES if (p / "studentInfo.csv").is_file()), None)
START = {"2013J": pd.Timestamp("2013-10-01"), "2014J": pd.Timestamp("2014-10-01")}
KEY = ["id_student", "code_module", "code_presentation"]

pytestmark = pytest.mark.skipif(
    DATA is None, reason="OULAD subset not found: set OULAD_DIR, or place it in "
    "../shared/data/oulad beside the repository")


def person(df: pd.DataFrame) -> pd.Series:
    return df[KEY].astype(str).agg("|".join, axis=1)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("oulad")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OULAD_DIR", str(DATA))
        config = load_config(REPO / "pipelines" / "oulad.yaml")
        run_pipeline(config, out=out, stages=("features", "model", "fairness"))
        yield out


@pytest.fixture(scope="module")
def matrix(run: Path) -> pd.DataFrame:
    return pd.read_parquet(run / "features" / "features.parquet")


def test_load_report_accounts_for_every_row(run: Path) -> None:
    tables, report = load_mapping(REPO / "pipelines" / "oulad_mapping.yaml")
    assert report.totals_balance()
    info = pd.read_csv(DATA / "studentInfo.csv")
    assert len(tables["people"]) == len(info)
    by_name = {s.source: s for s in report.sources}
    fails = by_name["final result fail"]
    assert fails.used == int((info["final_result"] == "Fail").sum())
    assert fails.set_aside == {"filtered by rule": int(
        (info["final_result"] != "Fail").sum())}
    scores = by_name["scores"]
    assert scores.set_aside == {"missing value": int(pd.read_csv(
        DATA / "studentAssessment.csv")["score"].isna().sum())}


def test_labels_are_the_final_result(matrix: pd.DataFrame) -> None:
    info = pd.read_csv(DATA / "studentInfo.csv").assign(person_id=person)
    fail = info.set_index("person_id")["final_result"].eq("Fail")
    assert len(matrix) > 0.99 * len(info)
    pres = matrix["person_id"].str.split("|").str[2]
    assert (matrix["as_of"] == pres.map(START) + pd.Timedelta(days=60)).all()
    assert (matrix["label"].astype(int) == matrix["person_id"].map(fail).astype(
        int)).all()


def test_deadlines_missed_by_day_60_match_a_naive_count(matrix: pd.DataFrame
                                                        ) -> None:
    reg = pd.read_csv(DATA / "studentRegistration.csv")
    due = pd.read_csv(DATA / "assessments.csv")
    subs = pd.read_csv(DATA / "studentAssessment.csv")
    # a deadline on day d is missed (known on day d + 1, before day 60) when
    # nothing was submitted by it
    pairs = reg.merge(due, on=["code_module", "code_presentation"]).merge(
        subs, on=["id_assessment", "id_student"], how="left")
    never = pairs["date_submitted"].isna() & (pairs["assessment_type"] != "Exam")
    missed = pairs[(never | (pairs["date_submitted"] > pairs["date"]))
                   & (pairs["date"] + 1 < 60)]
    expected = missed.assign(person_id=person).groupby("person_id").size()
    got = matrix.set_index("person_id")["deadlines_missed__count__all"]
    assert (got == expected.reindex(got.index).fillna(0)).all()
    assert got.sum() > 1000


def test_numeric_characteristics_reach_the_model_as_numbers(
        run: Path, matrix: pd.DataFrame) -> None:
    info = pd.read_csv(DATA / "studentInfo.csv").assign(person_id=person)
    attempts = info.set_index("person_id")["num_of_prev_attempts"]
    col = matrix["previous_attempts__number__asof"]
    assert col.dtype == "float64"
    assert (col == matrix["person_id"].map(attempts)).all()
    meta = json.loads((run / "features" / "features.meta.json").read_text())
    kinds = {m["column"]: m["kind"] for m in meta["features"]}
    assert kinds["previous_attempts__number__asof"] == "numeric"


def test_baselines_and_readme_numbers(run: Path, matrix: pd.DataFrame) -> None:
    metrics = json.loads((run / "metrics.json").read_text())
    scores = pd.read_parquet(run / "scores.parquet")
    test = matrix[matrix["as_of"] == pd.Timestamp("2014-11-30")]
    flag = (test["deadlines_missed__count__all"] > 0).astype(float)
    naive = roc_auc_score(test["label"].astype(int), flag)
    assert metrics["pooled"]["any_suspension"]["auc"] == pytest.approx(naive)
    assert len(scores) and metrics["settings"]["n_test_rows"] == len(test)
    auc = {r["model"]: r for r in metrics["intervals"] if r["metric"] == "auc"}
    for name in ("any_suspension", "best_single_input"):
        assert auc[name]["difference_lower"] is not None
    readme = (REPO / "README.md").read_text()
    section = readme.split("## A real public case: OULAD", 1)[1].split("\n## ", 1)[0]
    for name, shown in (("model", "model"), ("any_suspension", "missed or late"),
                        ("best_single_input", "mean score")):
        r = auc[name]
        row = next(line for line in section.splitlines()
                   if line.startswith(f"| {shown}"))
        numbers = [float(x) for x in re.findall(r"\d\.\d{3}", row)]
        assert numbers[:3] == [round(r["value"], 3), round(r["lower"], 3),
                               round(r["upper"], 3)], row
    assert np.isclose(metrics["pooled"]["model"]["base_rate"],
                      test["label"].astype(int).mean())


def test_verdicts_name_the_rules_as_the_config_calls_them(run: Path) -> None:
    metrics = json.loads((run / "metrics.json").read_text())
    v = metrics["verdicts"]
    assert "a missed or late assessment by day 60 on" in v["any_suspension"]
    assert "suspension" not in v["any_suspension"]
    assert "the mean score so far on" in v["best_single_input"]
