"""Every page in the population's own words: a run about adults, with no school,
carries no children's-services word; sentences about bands follow their rates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earlysignal.report import render_reports

from ._adults import make_adult_run
from ._html import Page

CHILDREN_WORDS = ("young people", "young person", "year group", "school", "child")


@pytest.fixture(scope="module")
def adult_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    run = make_adult_run(tmp_path_factory.mktemp("adults"))
    return render_reports(run, tmp_path_factory.mktemp("adult_pages"), max_people=3)


def test_adult_pages_carry_no_childrens_services_word(adult_pages) -> None:
    assert {"index", "ethics", "data_science", "caseload"} <= set(adult_pages)
    assert sum(k.startswith("person:") for k in adult_pages) == 3
    found = {}
    for name, path in adult_pages.items():
        # everything but the style sheet (whose selectors say ":first-child")
        html = re.sub(r"<style>.*?</style>", "", path.read_text(encoding="utf-8"),
                      flags=re.S).lower()
        hits = [w for w in CHILDREN_WORDS if w in html]
        if hits:
            found[name] = {w: re.findall(rf".{{0,60}}{w}.{{0,40}}", html)[:2]
                           for w in hits}
    assert found == {}


def test_adult_pages_speak_of_adults(adult_pages) -> None:
    case = Page(adult_pages["caseload"].read_text())
    assert case.tables["caseload"][0][1] == "Adult"
    assert re.search(r"\d+ adults scored", case.visible)
    person = Page(next(p for k, p in adult_pages.items()
                       if k.startswith("person:")).read_text())
    assert "nothing should happen to this adult because of the band" in person.visible
    ethics = Page(adult_pages["ethics"].read_text()).visible
    assert ("from records that Adult social care, Housing, Police and Probation "
            "already hold") in ethics
    labels = dict(map(tuple, Page(adult_pages["ethics"].read_text())
                      .tables["labels"]))
    assert labels["follow-up cut short: their Housing tenancy ended"] == "25"
    assert labels["follow-up cut short: the data extract ends (31 Mar 2024)"] == "15"


def test_filters_come_from_the_columns_present(adult_pages, rendered) -> None:
    adult = Page(adult_pages["caseload"].read_text())
    assert "f-band" in adult.ids
    assert not {"f-school", "f-team"} & adult.ids
    assert len(adult.tables["caseload"][0]) == 5
    kids = Page(rendered["caseload"].read_text())
    assert {"f-band", "f-school", "f-team"} <= kids.ids


def test_most_is_said_only_where_most_did_not(adult_pages, rendered) -> None:
    adult = Page(adult_pages["caseload"].read_text()).visible
    assert ("In the Very high band most adults (about 93 in 100) went on to an "
            "emergency hospital admission in earlier years; in the other bands most "
            "did not.") in adult
    assert "every band, even the highest" not in adult
    top = Page(next(p for k, p in adult_pages.items()
                    if k.startswith("person:")).read_text())
    assert "Most adults in every band" not in top.visible
    kids = Page(rendered["caseload"].read_text()).visible
    assert ("Most young people in every band, even the highest, did not go on to "
            "a youth-justice outcome") in kids


def test_needs_show_the_ones_that_apply(run_dir: Path) -> None:
    """Each need's latest value known by the as-of date, listed only when it
    applies; against a direct reading of the characteristics table."""
    import pandas as pd

    from earlysignal.report import PractitionerSummary, read_run

    run = read_run(run_dir)
    chars = pd.read_parquet(run_dir / "data" / "characteristics.parquet")
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    words = {"sen": "Special educational needs", "fsm": "Free school meals"}
    values = {"sen_support": "SEN support", "ehcp": "EHC plan", "yes": "yes"}
    seen_apply = seen_none = 0
    for pid in cl["person_id"].head(40):
        s = PractitionerSummary(run, pid).summarize()
        t = pd.Timestamp(s["as_of"])
        mine = chars[(chars["person_id"] == pid) & chars["attribute"].isin(words)
                     & (chars["valid_from"] < t)]
        want = []
        for attr, g in mine.groupby("attribute"):
            last = g.sort_values("valid_from").iloc[-1]
            ended = pd.notna(last.get("valid_to")) and last["valid_to"] < t
            if not ended and last["value"] not in ("no", "none"):
                want.append((words[attr], values[last["value"]]))
        got = [(n["label"], n["value"]) for n in s["needs"]["apply"]]
        assert got == sorted(want)
        seen_apply += bool(want)
        seen_none += not want
    assert seen_apply and seen_none
    page = Page(PractitionerSummary(run, cl["person_id"].iloc[0]).html())
    assert "needs" in page.ids
    assert page.visible.count("Special educational needs: none") == 0
