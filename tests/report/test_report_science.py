"""The data-scientist report: per-fold metrics, oracle gap, inlined stage plots."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from earlysignal.report._common import fmt

from ._html import Page


@pytest.fixture(scope="module")
def html(rendered) -> str:
    return rendered["data_science"].read_text()


def test_per_fold_auc_matches_metrics_json(html, run_dir) -> None:
    m = json.loads((run_dir / "metrics.json").read_text())
    page = Page(html)
    table = next(t for t in page.tables.values() if t and t[0][:2] == ["Fold",
                 "Test date"])
    head, rows = table[0], table[1:]
    model_col = head.index("the model")
    for r in rows:
        want = next(x["value"] for x in m["per_fold"] if x["fold"] == int(r[0])
                    and x["model"] == "model" and x["metric"] == "auc")
        assert r[model_col] == fmt(want)
    assert [r[1] for r in rows] == [f["test_start"] for f in m["folds"]]


def test_oracle_gap(html, run_dir) -> None:
    m = json.loads((run_dir / "metrics.json").read_text())
    rows = {r[0]: r for r in Page(html).tables["oracle"][1:]}
    g = m["oracle_gap"]["auc"]
    assert rows["AUC"][1:] == [fmt(g["model"]), fmt(g["oracle"]), fmt(g["gap"]), "",
                              f"{100 * g['relative_gap']:.1f}%"]


def test_stage_plots_are_inlined_safely(html) -> None:
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    assert "<!--" not in html and "<metadata>" not in html
    # the same matplotlib ids in several plots are made unique
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert 'clip-path="url(#s' in html and 'xlink:href="#s' in html
    assert html.count('aria-label="Precision against capacity') == 1


def test_folds_diagram_and_importance(html) -> None:
    page = Page(html)
    assert len(page.tables["folds"]) == 4
    assert page.tables["importance"][1][0] == "behaviour incidents in the last year"
    assert 'aria-label="3 temporal folds' in html


def test_alarms_warnings_and_intervals_are_shown_in_words(run_dir, tmp_path) -> None:
    from earlysignal.report import DataScienceReport, read_run

    shutil.copytree(run_dir, tmp_path / "run")
    path = tmp_path / "run" / "metrics.json"
    m = json.loads(path.read_text())
    alarm = ("leakage suspected: the model's precision at 5% (0.091) is above the "
             "oracle's (0.051) on the same 1,170 test rows")
    warning = "fold 2 (test 2023-03-01): training kept only 3 of up to 1000 rounds"
    m["alarms"], m["warnings"] = [alarm], [warning]
    m["compared_on"] = ("Pooled metrics and comparisons are on the 1,170 test rows "
                        "whose true risk is known; 30 test rows without a true risk "
                        "are left out")
    m["intervals"] = [{"model": "model", "metric": "auc", "value": 0.70,
                       "lower": 0.66, "upper": 0.73}]
    m["oracle_gap"]["auc"].update(gap_lower=-0.14, gap_upper=-0.061)
    path.write_text(json.dumps(m))
    page = Page(DataScienceReport(read_run(tmp_path / "run")).html())
    text = " ".join(" ".join(page.text).split())
    assert f"Alarm: the model scores above the oracle {alarm}" in text
    assert warning in text and "30 test rows without a true risk" in text
    pooled = {r[0]: r for r in page.tables["pooled"][1:]}
    assert pooled["the model"][1] == "0.7000.660 to 0.730"     # value, interval
    assert pooled["logistic regression"][1] == "0.660"        # no interval given
    assert {r[0]: r for r in page.tables["oracle"][1:]}["AUC"][4] == \
        "-0.140 to -0.061"


def test_a_withheld_fold_stays_in_the_table_and_says_so():
    from earlysignal.report._performance import fold_table

    metrics = {"folds": [{"index": 0, "test_start": "2022-09-01"},
                         {"index": 1, "test_start": "2022-12-01"}],
               "per_fold": [{"fold": 0, "model": "model", "metric": "auc",
                             "value": 0.71},
                            {"fold": 1, "model": "model", "metric": "auc",
                             "value": None}]}
    t = fold_table(metrics, "auc")
    assert [r["withheld"] for r in t["rows"]] == [False, True]
    assert [r["fold"] for r in t["rows"]] == [0, 1]


def _with_selection(run_dir, folder, choice: str, aucs: dict, folds: list[str],
                    leads: dict | None = None):
    from earlysignal.report import read_run

    shutil.copytree(run_dir, folder)
    path = folder / "metrics.json"
    m = json.loads(path.read_text())
    record = {"choice": choice, "by": "inner validation", "auc": aucs,
              "inner_dates": {"2022-09-01": "2022-09-01",
                              "2023-03-01": "2022-09-01"},
              "n_rows": 1234, "n_escalations": 56,
              "lead_over_lightgbm": leads or {}}
    m["settings"].update(select="auto", calibration="sigmoid", selection={
        "candidates": ["lightgbm", "logistic", "blend"],
        "choices": [{"fold": i, "choice": c, "by": "inner validation"}
                    for i, c in enumerate(folds)] + [{"fold": "final", **record}]})
    path.write_text(json.dumps(m))
    return read_run(folder)


def test_the_shipped_model_and_why_come_from_the_selection_record(run_dir,
                                                                  tmp_path) -> None:
    from earlysignal.report import DataScienceReport, EthicsReport

    run = _with_selection(run_dir, tmp_path / "a", "blend",
                          {"lightgbm": 0.7213, "logistic": 0.7011, "blend": 0.7254},
                          ["lightgbm", "blend", "blend"],
                          {"logistic": [-0.0202, -0.04, -0.001],
                           "blend": [0.0041, 0.001, 0.008]})
    text = " ".join(Page(DataScienceReport(run).html()).text)
    text = " ".join(text.split())
    assert ("The model shipped is the blend of the two (the mean of LightGBM's and "
            "the logistic regression's probabilities), chosen by inner temporal "
            "validation on the 2 latest training dates (2022-09-01 to 2023-03-01; "
            "1,234 rows, 56 escalations), each scored by candidates fitted only on "
            "outcomes known by then (AUC: the blend 0.725, LightGBM 0.721, the "
            "logistic regression 0.701)") in text
    assert ("because its lead has an interval above zero, resampling people: the "
            "logistic regression -0.020 (95% interval -0.040 to -0.001); the blend "
            "+0.004 (95% interval +0.001 to +0.008)") in text
    assert ("In the 3 test folds the same rule, run on each fold's own training "
            "dates, chose the blend in 2 and LightGBM in 1") in text

    other = _with_selection(run_dir, tmp_path / "b", "logistic",
                            {"lightgbm": 0.69, "logistic": 0.74, "blend": 0.72},
                            ["logistic"] * 3,
                            {"logistic": [0.05, 0.01, 0.09],
                             "blend": [0.03, -0.01, 0.07]})
    text = " ".join(" ".join(Page(DataScienceReport(other).html()).text).split())
    assert "The model shipped is the logistic regression" in text
    assert "(AUC: the logistic regression 0.740, the blend 0.720, LightGBM 0.690)" in text
    assert "the logistic regression +0.050 (95% interval +0.010 to +0.090)" in text
    assert ("In each of the 3 test folds the same rule, run on the fold's own "
            "training dates, chose the logistic regression too.") in text
    ethics = " ".join(" ".join(Page(EthicsReport(other).html()).text).split())
    assert ("A regularised logistic regression on 12 features built as of each "
            "date") in ethics
    assert "its scores are the regression's own probabilities" in ethics
    assert "Gradient-boosted trees" not in ethics
    assert "The model was chosen before the test period" in ethics


def test_lightgbm_kept_says_no_lead_was_clear(run_dir, tmp_path) -> None:
    from earlysignal.report import DataScienceReport

    run = _with_selection(run_dir, tmp_path / "c", "lightgbm",
                          {"lightgbm": 0.70, "logistic": 0.72, "blend": 0.71},
                          ["lightgbm"] * 3,
                          {"logistic": [0.02, -0.01, 0.05],
                           "blend": [0.01, -0.02, 0.04]})
    text = " ".join(" ".join(Page(DataScienceReport(run).html()).text).split())
    assert ("LightGBM, the configured model, is kept unless another candidate's "
            "lead over it has an interval above zero, resampling people; none had: "
            "the logistic regression +0.020 (95% interval -0.010 to +0.050)") in text
