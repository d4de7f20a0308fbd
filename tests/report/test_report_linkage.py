"""The ethics report's linkage section: present with the run's own numbers when
the run linked records, absent when it did not."""

from __future__ import annotations

import json
from pathlib import Path

from earlysignal.report import EthicsReport, read_run

from ._html import Page

DOC = {
    "facts": {"records": 1304, "people": 1000, "linked_people": 281,
              "threshold": 0.8, "engine": "duckdb", "prior": 0.001,
              "low_confidence_people": 17, "seconds": {"train": 1.0}},
    "quality": {
        "threshold": 0.8, "min_cell": 10,
        "overall": {"precision": 0.9975, "recall": 0.9574, "f1": 0.977,
                    "split_share": 0.0471, "merged_share": 0.0011},
        "by_group": [
            {"group_by": "ethnicity", "group": "White", "people": 700,
             "records": 900, "precision": 0.998, "recall": 0.9673, "f1": 0.98,
             "split_share": 0.0367, "merged_share": 0.001, "withheld": False},
            {"group_by": "ethnicity", "group": "Black", "people": 290,
             "records": 390, "precision": 0.9972, "recall": 0.9124, "f1": 0.95,
             "split_share": 0.0949, "merged_share": 0.0009, "withheld": False},
            {"group_by": "ethnicity", "group": "Other", "people": None,
             "records": None, "precision": None, "recall": None, "f1": None,
             "split_share": None, "merged_share": None, "withheld": True}],
        "gaps": [{"group_by": "ethnicity", "best": "White", "best_recall": 0.9673,
                  "worst": "Black", "worst_recall": 0.9124, "gap": 0.0549}],
    },
    "downstream": [
        {"statistic": "AUC (true ids)", "value": 0.812, "low": 0.79, "high": 0.83},
        {"statistic": "AUC (linked ids)", "value": 0.805, "low": 0.78, "high": 0.82},
        {"statistic": "AUC: linked - true", "value": -0.007, "low": -0.015,
         "high": 0.002},
        {"statistic": "precision at capacity (true ids)", "value": 0.2, "low": 0.1,
         "high": 0.3},
        {"statistic": "precision at capacity (linked ids)", "value": 0.15,
         "low": 0.05, "high": 0.25},
        {"statistic": "precision at capacity: linked - true", "value": -0.05,
         "low": -0.09, "high": -0.01}],
}


def _page(tmp_path: Path, doc: dict | None) -> Page:
    (tmp_path / "run.json").write_text(json.dumps({"name": "linked"}))
    if doc is not None:
        (tmp_path / "linkage").mkdir()
        (tmp_path / "linkage" / "linkage.json").write_text(json.dumps(doc))
    return Page(EthicsReport(read_run(tmp_path)).html())


def test_linkage_section_states_the_runs_numbers(tmp_path: Path) -> None:
    v = _page(tmp_path, DOC).visible
    assert ("Linkage joined 1,304 records from the agencies into 1,000 young "
            "people, 281 of them from two or more records; 17 are held") in v
    assert ("at a match threshold of 0.8: 99.8% of the record pairs joined were "
            "the same young person (precision) and 95.7% of the pairs") in v
    assert "4.7% of young people with several records were split" in v
    assert "0.1% were merged" in v
    assert ("recall ran from 91.2% (Black) to 96.7% (White), a gap of 5.5 "
            "percentage points") in v
    # the AUC interval spans zero; the precision interval does not
    assert ("AUC was 0.805 with linked ids and 0.812 with true ids on the same "
            "young people and dates: a difference of -0.007 (95% interval -0.015 "
            "to 0.002), no difference shown at this size.") in v
    assert ("a difference of -0.050 (95% interval -0.090 to -0.010), lower with "
            "linked ids.") in v


def test_groups_are_shown_or_withheld_as_the_disclosure_rule_decided(
        tmp_path: Path) -> None:
    page = _page(tmp_path, DOC)
    rows = {r[1]: r for r in page.tables["linkage-groups"][1:]}
    assert rows["Black"][2:] == ["290", "99.7%", "91.2%", "9.5%", "0.1%"]
    assert rows["Other"][2] == "withheld" and "Other" not in " ".join(
        s for s in page.visible.split(".") if "recall ran" in s)


def test_sentences_follow_the_numbers(tmp_path: Path) -> None:
    doc = json.loads(json.dumps(DOC))
    doc["quality"]["overall"]["recall"] = 0.9812
    doc["downstream"][2].update(value=-0.02, low=-0.03, high=-0.011)
    v = _page(tmp_path, doc).visible
    assert "98.1% of the pairs that belong together were joined" in v
    assert "(95% interval -0.030 to -0.011), lower with linked ids." in v


def test_no_linkage_section_when_the_run_did_not_link(tmp_path: Path) -> None:
    page = _page(tmp_path, None)
    assert "Linkage joined" not in page.visible
    assert "linkage-groups" not in page.tables


def test_without_truth_the_error_rates_are_said_to_be_unknown(
        tmp_path: Path) -> None:
    v = _page(tmp_path, {"facts": DOC["facts"], "quality": None}).visible
    assert "Linkage joined 1,304 records" in v
    assert "no truth to measure the linkage against" in v
    assert "precision)" not in v
