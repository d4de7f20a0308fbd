"""Render every report of a run into one folder."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.report._caseload import Caseload
from earlysignal.report._common import render
from earlysignal.report._ethics import EthicsReport
from earlysignal.report._practitioner import PractitionerSummary, data_sources
from earlysignal.report._run import RunFolder, read_run
from earlysignal.report._science import DataScienceReport

__all__ = ["person_file", "render_person", "render_reports"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def person_file(person_id: str, as_of: Any) -> str:
    """The file name of a practitioner page: pseudonymous id and as-of date.

    Examples
    --------
    >>> person_file("P0001234", "2023-09-01")
    'P0001234_2023-09-01.html'
    >>> person_file("a/b", pd.Timestamp("2023-09-01"))
    'a_b_2023-09-01.html'
    """
    return f"{_UNSAFE.sub('_', str(person_id))}_{pd.Timestamp(as_of):%Y-%m-%d}.html"


def _selected(run: RunFolder, max_people: int, people: Iterable[str]
              ) -> list[str]:
    chosen: list[str] = []
    if run.caseload is not None:
        cl = run.caseload.sort_values(["score", "person_id"],
                                      ascending=[False, True], kind="stable")
        chosen = [str(p) for p in cl["person_id"].head(max_people)]
    return list(dict.fromkeys([*chosen, *(str(p) for p in people)]))


def _subset(tables: Mapping[str, pd.DataFrame], ids: list[str]
            ) -> dict[str, pd.DataFrame]:
    keep = set(ids)
    return {name: tables[name][tables[name]["person_id"].astype(str).isin(keep)]
            for name in ("people", "events", "episodes", "periods",
                         "characteristics")}


def render_reports(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    max_people: int = 200,
    people: Iterable[str] = (),
    card: Mapping[str, Any] | None = None,
    reviews: Mapping[str, Any] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Path]:
    """Render every report of a run as self-contained HTML.

    Parameters
    ----------
    run_dir : path
        The run folder (``earlysignal run`` writes ``reports/NAME``).
    out_dir : path, optional
        Where to write; default ``RUN/reports``.
    max_people : int
        Practitioner summaries for this many of the caseload, highest risk first.
    people : iterable of str
        Pseudonymous ids that also get a summary (at their latest score).
    card : mapping, optional
        Model-card fields for the ethics report (see ``CARD_FIELDS``).
    reviews : mapping, optional
        Practitioners' judgements from the review service for the ethics
        report (``earlysignal.serve.review_feedback``).
    progress : callable, optional
        Called with ``(step, done, total)`` before each page; work is counted in
        pages.

    Returns
    -------
    dict of str to Path
        ``index``, ``ethics``, and when their inputs exist ``data_science``,
        ``caseload`` and ``person:{id}`` for each summary.

    Examples
    --------
    >>> import tempfile, json
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "run.json").write_text(json.dumps({"name": "empty"}))
    >>> sorted(render_reports(d, max_people=0))
    ['ethics', 'index']
    """
    run = read_run(run_dir)
    out = Path(out_dir) if out_dir is not None else run.path / "reports"
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    skipped: list[str] = []
    summaries = bool(run.bands and run.tables is not None
                     and (run.caseload is not None or run.scores is not None))
    ids = _selected(run, max_people, people) if summaries else []
    pages = _Pages(progress, 4 + len(ids))  # ethics, science, people, caseload, index
    pages("ethics page")
    paths["ethics"] = EthicsReport(run, card=card, reviews=reviews).write_html(
        out / "ethics.html")
    pages("data-scientist page")
    if run.metrics is not None:
        paths["data_science"] = DataScienceReport(run).write_html(
            out / "data_science.html")
    else:
        skipped.append("data-scientist report: metrics.json is missing")
    links: dict[str, str] = {}
    if summaries and run.tables is not None:
        sub = _subset(run.tables, ids)
        sources = data_sources(run.tables)
        for i, pid in enumerate(ids, 1):
            pages(f"practitioner summary {i:,} of {len(ids):,}")
            page = PractitionerSummary(run, pid, tables=sub, sources=sources)
            s = page.summarize()
            name = f"people/{person_file(pid, s['as_of'])}"
            paths[f"person:{pid}"] = page.write_html(out / name)
            links[pid] = name
    else:
        skipped.append("practitioner summaries: bands.json, the scores or the data "
                       "folder is missing")
    pages("caseload")
    if run.caseload is not None and run.bands:
        paths["caseload"] = Caseload(run, links=links).write_html(
            out / "caseload.html")
    else:
        skipped.append("caseload: caseload.parquet or bands.json is missing")
    pages("index")
    index = render("index.html.j2", name=run.name, run=run.run_label,
                   links={k: v.relative_to(out).as_posix() for k, v in paths.items()
                          if not k.startswith("person:")},
                   people=len(links), skipped=skipped,
                   fairness=(out / "fairness.html").exists(),
                   impact=(out / "impact.html").exists(),
                   trace=run.trace, v=run.population)
    paths["index"] = out / "index.html"
    paths["index"].write_text(index, encoding="utf-8")
    return paths


def render_person(run_dir: str | Path, person_id: str, as_of: Any = None,
                  out: str | Path | None = None) -> Path:
    """Render one practitioner summary; returns its path.

    Raises
    ------
    ReportError
        When the person has no score at ``as_of`` (the message lists the dates).
    """
    run = read_run(run_dir)
    page = PractitionerSummary(run, person_id, as_of)
    target = Path(out) if out is not None else (
        run.path / "reports" / "people" / person_file(person_id,
                                                      page.summarize()["as_of"]))
    return page.write_html(target)


class _Pages:
    """Tells ``progress`` which page is being written, counting pages."""

    def __init__(self, progress: Callable[[str, int, int], None] | None,
                 total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, step: str) -> None:
        if self.progress is not None:
            self.progress(step, self.done, self.total)
        self.done += 1
