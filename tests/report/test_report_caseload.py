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
    assert rows[0][3] == cl["top_reason"].iloc[0]
    assert [r[5] for r in rows] == list(cl["school"])


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
    assert s["teams"] == sorted(cl["team"].unique())
    assert s["linked"] == 0
