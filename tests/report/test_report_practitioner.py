"""The practitioner summary: band sentence, reasons linked to records, timeline,
sources, changes, caveats, and nothing but the pseudonymous id."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from earlysignal.report import PractitionerSummary, ReportError, read_run

from ._html import Page


@pytest.fixture(scope="module")
def top(run_dir: Path) -> PractitionerSummary:
    run = read_run(run_dir)
    pid = run.caseload.sort_values("score", ascending=False)["person_id"].iloc[0]
    return PractitionerSummary(run, pid)


@pytest.fixture(scope="module")
def page(top: PractitionerSummary) -> Page:
    return Page(top.html())


def test_band_sentence_numbers_come_from_bands_json(top, page, run_dir) -> None:
    bands = json.loads((run_dir / "bands.json").read_text())["bands"]
    s = top.summarize()
    cl = pd.read_parquet(run_dir / "caseload.parquet").set_index("person_id")
    band = next(b for b in bands if b["name"] == cl.at[top.person_id, "band"])
    assert s["band"]["name"] == band["name"]
    expected = (f"Of 100 young people in this band in earlier years, about "
                f"{round(band['observed_per_100'])} had {band['outcome']} within "
                f"{band['horizon']}.")
    assert s["band"]["sentence"] == expected
    assert expected in page.visible


def test_no_raw_probability_on_the_page(top, page, run_dir) -> None:
    cl = pd.read_parquet(run_dir / "caseload.parquet").set_index("person_id")
    score = float(cl.at[top.person_id, "score"])
    for text in (f"{score:.3f}", f"{score:.2f}", f"{100 * score:.1f}%"):
        assert text not in page.visible


def test_reasons_link_to_rows_of_the_record_table(top, page) -> None:
    s = top.summarize()
    assert [r["family_label"] for r in s["reasons"]["raises"]] == [
        "Behaviour and exclusions", "School attendance"]
    assert [r["family_label"] for r in s["reasons"]["lowers"]] == ["Police contact"]
    anchors = [e["anchor"] for r in s["reasons"]["raises"] for e in r["evidence"]]
    assert anchors and all(a in page.ids for a in anchors)
    records = {r["anchor"]: r for r in s["records"]}
    for r in s["reasons"]["raises"]:
        dates = [e["date"] for e in r["evidence"]]
        assert dates == sorted(dates, reverse=True)  # newest first
        for e in r["evidence"]:
            assert records[e["anchor"]]["date"] == e["date"]
            assert records[e["anchor"]]["evidence"] is True
    # the attendance evidence (a measure of a term) points at that term's row
    att = s["reasons"]["raises"][1]["evidence"][0]
    assert records[att["anchor"]]["kind"] == "period"
    # every in-page link resolves
    for href in page.links:
        if href.startswith("#"):
            assert href[1:] in page.ids, href


def test_timeline_marks_link_to_the_table_and_stop_at_as_of(top) -> None:
    s = top.summarize()
    svg = str(top.timeline_svg())
    assert svg.startswith('<svg class="chart timeline" role="img" aria-label=')
    assert "<title>" in svg
    linked = set(re.findall(r'href="#(rec-\d+)"', svg))
    assert linked and linked <= {r["anchor"] for r in s["records"]}
    as_of = s["as_of"]
    assert all(r["date"] < as_of for r in s["records"])
    assert all(r["end_date"] is None or r["end_date"] < as_of for r in s["records"])


def test_sources_held_and_not_held(top, page) -> None:
    rows = {r["source"]: r for r in top.summarize()["sources"]}
    assert list(rows)[:2] == ["school", "attendance"]
    assert set(rows) == {"school", "attendance", "social_care", "police",
                         "youth_justice"}
    for key, r in rows.items():
        mine = [x for x in top.summarize()["records"]
                if x["lane"] == key and x["kind"] != "characteristic"]
        assert r["held"] == bool(mine) and r["records"] == len(mine)
    assert not rows["youth_justice"]["held"]  # excluded once escalated
    assert "no records for this young person" in page.visible


def test_change_since_last_score(top, run_dir) -> None:
    s = top.summarize()
    cl = pd.read_parquet(run_dir / "caseload.parquet").set_index("person_id")
    prev = cl.loc[top.person_id]
    assert s["previous"]["as_of"] == f"{prev['previous_as_of']:%Y-%m-%d}"
    assert s["previous"]["band"] == prev["previous_band"]
    # the 'no real difference' family is left out
    assert s["changes"] == ["Behaviour and exclusions raised the risk by 2.0 points"]


def test_caveats_and_judgement_form_are_on_the_page(page) -> None:
    v = page.visible
    assert "a youth-justice outcome within 12 months after 1 Sep 2023" in v
    assert "It is not a decision" in v
    assert "does not replace, your professional judgement" in v
    assert "Your professional judgement" in v and "judgement" in page.ids
    assert "I agree with the band" in v and "I disagree" in v
    assert "Where to record it" in v


def test_identity_is_pseudonymous_only(top, page, run_dir) -> None:
    s = top.summarize()
    v = page.visible
    assert top.run.model_version in v and "2023-09-01" in v
    assert top.person_id in v
    people = pd.read_parquet(run_dir / "data" / "people.parquet")
    dob = people.set_index("person_id").at[top.person_id, "date_of_birth"]
    assert f"{dob:%Y-%m-%d}" not in v and f"{dob.day} {dob:%b %Y}" not in v
    # protected characteristics are not listed as records on the page
    assert not any(r["type"] in ("sex", "ethnicity") for r in s["records"])


def test_no_raw_column_names_or_codes(run_dir, rendered) -> None:
    for key, path in rendered.items():
        if not key.startswith("person:"):
            continue
        v = Page(path.read_text()).visible
        assert "__" not in v
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", v), re.findall(
            r"\b[a-z]+_[a-z_]+\b", v)


def test_unknown_date_lists_the_known_ones(top) -> None:
    page = PractitionerSummary(top.run, top.person_id, "2020-01-01")
    with pytest.raises(ReportError, match=r"has no score at 2020-01-01; scored at: "
                       r".*2023-09-01\. Fix: pass one of these as-of dates"):
        page.summarize()


def test_unknown_person(top) -> None:
    with pytest.raises(ReportError, match="person 'nobody' has no score"):
        PractitionerSummary(top.run, "nobody").summarize()


def test_earlier_date_uses_the_scores_and_assigns_the_band(top, run_dir) -> None:
    sc = pd.read_parquet(run_dir / "scores.parquet")
    mine = sc[sc["person_id"] == top.person_id].sort_values("as_of")
    t = mine["as_of"].iloc[-1]
    s = PractitionerSummary(top.run, top.person_id, t).summarize()
    bands = json.loads((run_dir / "bands.json").read_text())["bands"]
    score = float(mine["score"].iloc[-1])
    want = next(b["name"] for b in bands if score >= b["lower"])
    assert s["band"]["name"] == want and s["as_of"] == f"{t:%Y-%m-%d}"
    assert all(r["date"] < s["as_of"] for r in s["records"])


def test_repr_html_and_json(top) -> None:
    assert top._repr_html_() == top.html()
    data = json.loads(top.json())
    assert data["person_id"] == top.person_id


def _linked_copy(run_dir: Path, tmp_path: Path, confidence: dict[str, float]
                 ) -> Path:
    """The run folder as a linked run would leave it: each person's linkage
    confidence and record count, and the linkage's threshold in run.json."""
    import shutil

    out = tmp_path / "linked"
    shutil.copytree(run_dir, out)
    data = tmp_path / "linked_data"
    shutil.copytree(read_run(run_dir).data_dir, data)
    people = pd.read_parquet(data / "people.parquet")
    people["linkage_confidence"] = people["person_id"].map(confidence).fillna(1.0)
    people["records"] = 2
    people.to_parquet(data / "people.parquet")
    info = json.loads((out / "run.json").read_text())
    info["data"].update(folder=str(data), linkage={"threshold": 0.8, "records": 10})
    (out / "run.json").write_text(json.dumps(info))
    return out


def test_low_linkage_confidence_warns_of_a_missed_link(top, run_dir, tmp_path):
    cl = read_run(run_dir).caseload.sort_values("score", ascending=False)
    low, high = cl["person_id"].iloc[0], cl["person_id"].iloc[1]
    run = read_run(_linked_copy(run_dir, tmp_path, {low: 0.62, high: 0.93}))
    weak = Page(PractitionerSummary(run, low).html())
    text = weak.visible
    assert "with a confidence of 0.62, below the run's match threshold of 0.80" \
        in text
    assert "A missed link may hide part of their history in another agency" in text
    assert "joined from 2 agency records" in text
    # a confident link, and a run that did not link, say nothing of linkage
    assert "missed link" not in Page(PractitionerSummary(run, high).html()).visible
    assert "missed link" not in Page(top.html()).visible
