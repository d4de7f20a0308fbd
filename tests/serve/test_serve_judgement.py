"""Professional judgements: stored in the database, shown in the person's history
across runs, with a note when the band has changed since."""

from __future__ import annotations

import json

from report._html import Page


def test_a_judgement_is_stored_and_shown_in_the_history(service, client_for,
                                                        caseload):
    from earlysignal.serve.models import Judgement

    north = caseload[caseload["team"] == "North"]
    pid, band = north["person_id"].iloc[2], north["band"].iloc[2]
    c = client_for("prac_north")
    before = set(p.name for p in service["run"].rglob("*"))
    r = c.post(f"/person/{pid}/judgement/", {
        "agreement": "partly", "why": "School reports a settled term",
        "action": "Check in with the school lead", "action_by": "Head of year",
        "action_when": "2023-10-01"})
    assert r.status_code == 302
    j = Judgement.objects.filter(person_id=pid).first()
    assert (j.agreement, j.band, j.as_of, j.team, j.recorded_by.username) == (
        "partly", band, "2023-09-01", "North", "prac_north")
    assert (j.why, j.action, j.action_by, str(j.action_when)) == (
        "School reports a settled term", "Check in with the school lead",
        "Head of year", "2023-10-01")
    page = Page(c.get(f"/person/{pid}/").content.decode())
    row = page.tables["judgements"][1]
    assert row[1:] == ["prac_north", "fabricated, 1 Sep 2023", band,
                       "I partly agree", "School reports a settled term",
                       "Check in with the school lead (Head of year, by 1 Oct 2023)"]
    # nothing about the judgement reached the run folder's files
    assert set(p.name for p in service["run"].rglob("*")) == before
    text = "".join(p.read_text(errors="ignore") for p in service["run"].rglob("*")
                   if p.is_file() and p.suffix in (".json", ".yaml"))
    assert "settled term" not in text


def test_a_judgement_needs_an_answer_to_each_question(service, client_for, caseload):
    from earlysignal.serve.models import Judgement

    pid = caseload[caseload["team"] == "North"]["person_id"].iloc[3]
    before = Judgement.objects.filter(person_id=pid).count()
    r = client_for("prac_north").post(f"/person/{pid}/judgement/",
                                      {"agreement": "agree", "why": "",
                                       "action": ""})
    assert r.status_code == 400
    assert Judgement.objects.filter(person_id=pid).count() == before
    assert "why: This field is required" in r.content.decode()


def test_history_spans_runs_and_says_when_the_band_changed(service, client_for,
                                                           caseload, tmp_path):
    import pandas as pd

    from earlysignal.serve import _service

    north = caseload[caseload["team"] == "North"]
    pid, band = north["person_id"].iloc[4], north["band"].iloc[4]
    c = client_for("prac_north")
    c.post(f"/person/{pid}/judgement/", {"agreement": "disagree", "why": "w",
                                         "action": "nothing"})
    # a newer run in which this person's band is a different one
    import shutil

    newer = tmp_path / "newer"
    shutil.copytree(service["run"], newer)
    manifest = json.loads((newer / "run.json").read_text())
    (newer / "run.json").write_text(json.dumps({**manifest, "name": "newer"}))
    cl = pd.read_parquet(newer / "caseload.parquet")
    other = "Typical" if band != "Typical" else "Very high"
    cl.loc[cl["person_id"] == pid, "band"] = other
    cl.to_parquet(newer / "caseload.parquet", index=False)
    try:
        _service.publish(newer, by="manager_north")
        html = c.get(f"/person/{pid}/").content.decode()
        page = Page(html)
        assert 'id="served-run">newer<' in html
        row = page.tables["judgements"][1]
        assert row[2:5] == ["fabricated, 1 Sep 2023", f"{band} band now {other}",
                            "I disagree"]
        words = " ".join(page.text)
        assert f"newer (as of 1 Sep 2023): {other}" in words
        assert f"fabricated (as of 1 Sep 2023): {band}" in words
    finally:
        _service.publish(service["run"], by="test")
