"""render_reports: every report of a run, links that resolve, missing inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import unquote

import pandas as pd

from earlysignal.report import person_file, render_person, render_reports

from ._html import Page


def test_outputs(rendered) -> None:
    people = [k for k in rendered if k.startswith("person:")]
    assert len(people) == 10
    assert {"index", "caseload", "ethics", "data_science"} <= set(rendered)
    assert all(Path(p).is_file() for p in rendered.values())


def test_every_link_resolves(rendered) -> None:
    for key, path in rendered.items():
        page = Page(Path(path).read_text())
        for href in page.links:
            if href.startswith("#"):
                assert href[1:] in page.ids, (key, href)
            else:
                assert not href.startswith(("http:", "https:", "//")), (key, href)
                assert (Path(path).parent / unquote(href)).is_file(), (key, href)


def test_pages_are_self_contained(rendered) -> None:
    for key, path in rendered.items():
        html = Path(path).read_text()
        for bad in ('src="http', "href=\"http", "url(http", "@import", "<link",
                    "<img src=\"http"):
            assert bad not in html, (key, bad)
        assert "Content-Security-Policy" in html
        assert '<meta name="viewport"' in html and "@media print" in html


def test_default_out_dir_and_extra_people(tmp_path: Path, run_dir: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    sc = pd.read_parquet(run / "caseload.parquet")
    extra = sc.sort_values("score")["person_id"].iloc[0]  # lowest risk
    paths = render_reports(run, max_people=1, people=[extra])
    assert paths["index"] == run / "reports" / "index.html"
    assert set(k for k in paths if k.startswith("person:")) == {
        f"person:{sc['person_id'].iloc[0]}", f"person:{extra}"}
    assert paths[f"person:{extra}"] == (run / "reports" / "people"
                                        / person_file(extra, "2023-09-01"))
    one = render_person(run, extra, out=tmp_path / "one.html")
    assert one.read_text() == paths[f"person:{extra}"].read_text()


def test_missing_inputs_are_listed_on_the_index(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"name": "bare"}))
    paths = render_reports(tmp_path, tmp_path / "out")
    assert set(paths) == {"ethics", "index"}
    v = Page(paths["index"].read_text()).visible
    assert "data-scientist report: metrics.json is missing" in v
    assert "caseload: caseload.parquet or bands.json is missing" in v


def test_each_page_is_told_to_the_progress_before_it_is_written(
        tmp_path: Path, run_dir: Path) -> None:
    from earlysignal.report import render_reports

    calls: list[tuple[str, int, int]] = []
    paths = render_reports(run_dir, tmp_path, max_people=3,
                           progress=lambda *a: calls.append(a))
    people = [k for k in paths if k.startswith("person:")]
    assert len(people) == 3
    total = 4 + len(people)
    assert calls == [
        ("ethics page", 0, total), ("data-scientist page", 1, total),
        *[(f"practitioner summary {i} of 3", 1 + i, total) for i in (1, 2, 3)],
        ("caseload", 5, total), ("index", 6, total)]
