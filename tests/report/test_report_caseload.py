"""The caseload view: sorted by risk, bands, change words, links to summaries."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from earlysignal.report import Caseload, change_words, read_run

from ._html import Page


def test_sorted_by_score_with_band_and_reason(run_dir: Path, rendered) -> None:
    page = Page(rendered["caseload"].read_text())
    rows = page.tables["caseload"][1:]
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    cl = cl.sort_values(["score", "person_id"], ascending=[False, True])
    assert [r[1] for r in rows] == list(cl["person_id"])
    assert [r[2] for r in rows] == list(cl["band"])
    assert [int(r[0]) for r in rows] == list(range(1, len(cl) + 1))
    assert [r[5] for r in rows] == list(cl["school"])


def test_top_reasons_name_the_two_leading_families(run_dir: Path, rendered) -> None:
    """The column names the first two families raising each score, from the
    explain stage's reasons at the caseload date; without reasons, the
    caseload's own top reason."""
    rows = Page(rendered["caseload"].read_text()).tables["caseload"][1:]
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    rs = pd.read_parquet(run_dir / "explain" / "reasons.parquet")
    rs = rs[rs["direction"] == "raises"].sort_values("rank")
    by_person = {r[1]: r[3] for r in rows}
    explained = list(dict.fromkeys(rs["person_id"]))
    for pid in explained:
        mine = rs[rs["person_id"] == pid]
        first, second = mine.iloc[0], mine.iloc[1]
        assert by_person[pid] == (f"{first['family_label']}: {first['text']}; then "
                                  f"{second['family_label'].lower()}")
    rest = cl[~cl["person_id"].isin(explained)]
    assert len(rest) > 0
    assert all(by_person[p] == t for p, t in zip(rest["person_id"],
                                                  rest["top_reason"], strict=True))


def test_band_counts_match(run_dir: Path, rendered) -> None:
    page = Page(rendered["caseload"].read_text())
    counts = {r[0]: int(r[1]) for r in page.tables["band-counts"][1:]}
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    assert counts == {b: int((cl["band"] == b).sum())
                      for b in ["Very high", "High", "Raised", "Typical"]}


def test_links_go_to_existing_summaries(rendered) -> None:
    page = Page(rendered["caseload"].read_text())
    base = rendered["caseload"].parent
    people = [h for h in page.links if h.startswith("people/")]
    assert len(people) == 10
    assert all((base / h).is_file() for h in people)
    # the top ten by risk are the ones with pages
    rows = page.tables["caseload"][1:11]
    assert {f"people/{r[1]}_2023-09-01.html" for r in rows} == set(people)


def test_no_score_shown(run_dir: Path, rendered) -> None:
    text = Page(rendered["caseload"].read_text()).visible
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    assert f"{cl['score'].iloc[0]:.3f}" not in text


def test_change_words() -> None:
    names = ["Very high", "High", "Raised", "Typical"]
    assert change_words("High", "Raised", 0.02, names) == ("up", "up from Raised")
    assert change_words("Raised", "High", -0.02, names) == ("down", "down from High")
    assert change_words("High", "High", 0.0004, names) == ("same", "about the same")
    assert change_words("High", "High", 0.01, names) == ("up", "higher, same band")
    assert change_words("High", None, None, names) == ("new", "first score")


def test_filters_are_progressive(rendered) -> None:
    html = rendered["caseload"].read_text()
    assert '<form id="filters" class="filters" hidden' in html
    assert "<noscript>" in html
    page = Page(html)
    assert all("fetch(" not in s and "http" not in s for s in page.scripts)


def test_summary_values(run_dir: Path) -> None:
    s = Caseload(read_run(run_dir)).summarize()
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    assert s["n"] == len(cl) and s["as_of"] == "2023-09-01"
    filters = {f["key"]: f["values"] for f in s["filters"]}
    assert filters == {"school": sorted(cl["school"].unique()),
                       "team": sorted(cl["team"].unique())}
    assert s["linked"] == 0
