"""Pages say when a caseload's band shares part from the claimed ones, mark the
young people outside the population the model learned from, and define points."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from earlysignal.model import Band, share_check
from earlysignal.report import Caseload, EthicsReport, PractitionerSummary, read_run

from ._html import Page

NOTE = ("No young person older than 15 years 8 months was followed up to see the "
        "outcome; this young person is 16 years 2 months old, so the band is an "
        "extrapolation.")


@pytest.fixture(scope="module")
def flagged_run(run_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The fabricated run, with its top person flagged as out of population."""
    run = tmp_path_factory.mktemp("population") / "run"
    shutil.copytree(run_dir, run)
    cl = pd.read_parquet(run / "caseload.parquet")
    cl = cl.sort_values(["score", "person_id"], ascending=[False, True],
                        ignore_index=True)
    top = str(cl["person_id"].iloc[0])
    cl["out_of_population"] = cl["person_id"] == top
    cl["population_note"] = cl["out_of_population"].map({True: NOTE, False: ""})
    cl.to_parquet(run / "caseload.parquet", index=False)
    doc = json.loads((run / "bands.json").read_text())
    bands = [Band(**b) for b in doc["bands"]]
    check = share_check(bands, cl["band"].to_numpy())
    doc.update(rule="Bands are shares of the people scored at each as-of date.",
               shares=check, population={
                   "rule": "flag", "scored": len(cl), "outside": 1, "excluded": 0,
                   "ranges": [], "by_band": {"Very high": 1},
                   "sentence": f"1 of the {len(cl)} young people scored at "
                               "2023-09-01 are outside the ages followed up."})
    (run / "bands.json").write_text(json.dumps(doc))
    return run, cl, top, check


def test_caseload_warns_with_both_sets_of_shares(flagged_run):
    run, cl, top, check = flagged_run
    assert not check["ok"]          # the fabricated caseload is not 1/4/15/80
    page = Page(Caseload(read_run(run)).html())
    text = page.visible
    assert check["warning"] in text
    table = page.tables["band-counts"]
    assert table[0][3:] == ["Share here", "Share it stands for"]
    for row in table[1:]:
        share = (cl["band"] == row[0]).mean()
        assert row[3] == f"{share:.1%}"
        assert row[4] == f"{check['claimed'][row[0]]:.0%}"


def test_caseload_marks_the_flagged_person_and_counts_them(flagged_run):
    run, _, top, _ = flagged_run
    page = Page(Caseload(read_run(run)).html())
    rows = {r[1]: r for r in page.tables["caseload"][1:]}
    assert rows[top][2].endswith("extrapolation")
    assert sum(r[2].endswith("extrapolation") for r in rows.values()) == 1
    assert "are outside the ages followed up" in page.visible


def test_practitioner_page_says_the_band_is_an_extrapolation(flagged_run):
    run, cl, top, _ = flagged_run
    folder = read_run(run)
    assert NOTE in Page(PractitionerSummary(folder, top).html()).visible
    other = str(cl["person_id"].iloc[1])
    visible = Page(PractitionerSummary(folder, other).html()).visible
    assert "extrapolation" not in visible
    outcome, horizon = folder.outcome_words()
    assert (f"A point is one percentage point of the model's estimated chance of "
            f"{outcome} within {horizon}") in visible


def test_ethics_report_counts_them(flagged_run):
    run, cl, _, check = flagged_run
    text = Page(EthicsReport(read_run(run)).html()).visible
    assert f"1 of the {len(cl)} young people scored at 2023-09-01" in text
    assert "By band: Very high 1." in text
    assert "reports.out_of_population: flag" in text
    assert check["warning"] in text
