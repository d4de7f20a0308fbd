"""The service reads a person's rows through a per-run index and filters the
caseload through precomputed columns: what it shows must be exactly what a scan
of the whole files shows."""

from __future__ import annotations

import itertools

import pandas as pd

from earlysignal.features import timeline
from earlysignal.report import PractitionerSummary, read_run
from earlysignal.report._common import plain
from earlysignal.serve import _data, _pages


def _people(caseload: pd.DataFrame, run) -> list[str]:
    """The 12 people with reasons, evidence and changes, the person whose events
    were appended at the end of the events table (rows far apart), and people
    spread over the rest of the caseload and its teams."""
    ids = list(caseload["person_id"])
    events = run.tables["events"]
    last = str(events["person_id"].iloc[-1])
    assert last in ids
    return list(dict.fromkeys([*ids[:12], last, *ids[12::19]]))


def test_a_persons_page_from_the_index_equals_the_page_from_whole_files(service,
                                                                       caseload):
    whole = read_run(service["run"])  # its own copy: every table read in full
    served = _data.open_run(service["run"])
    people = _people(caseload, whole)
    assert len(people) >= 20, people
    for pid in people:
        own, sources = _data.person_tables(served, pid)
        routed = PractitionerSummary(_data.person_run(served, pid), pid,
                                     tables=own, sources=sources)
        static = PractitionerSummary(whole, pid)
        assert routed.html() == static.html(), pid
        assert routed.json() == static.json(), pid


def test_the_persons_rows_are_the_rows_a_scan_finds(service, caseload):
    run = _data.open_run(service["run"])
    scored = 0
    for pid in _people(caseload, run):
        own, _ = _data.person_tables(run, pid)
        for name, table in run.tables.items():
            scan = table[table["person_id"].astype(str) == pid]
            pd.testing.assert_frame_equal(own[name], scan, check_exact=True)
        mine = _data.person_run(run, pid)
        for name in ("caseload", "scores", "reasons", "evidence", "changes"):
            df = getattr(run, name)
            pd.testing.assert_frame_equal(
                getattr(mine, name), df[df["person_id"].astype(str) == pid],
                check_exact=True)
        assert len(mine.caseload) == 1
        scored += len(mine.scores) >= 1
        # as Series, so that a missing value (NaN) equals itself
        pd.testing.assert_series_equal(
            pd.Series(_data.person(run, pid)),
            pd.Series(_data.person_row(_data.caseload(run), pid)))
    assert scored >= 10  # most have test-time scores too, so those rows are checked
    assert _data.person(run, "nobody") is None
    assert all(len(t) == 0 for t in _data.person_tables(run, "nobody")[0].values())


def test_the_timeline_of_a_persons_rows_is_the_timeline_of_the_whole_tables(
        service, caseload):
    run = _data.open_run(service["run"])
    as_of = pd.Timestamp(caseload["as_of"].max())
    for pid in _people(caseload, run):
        own, _ = _data.person_tables(run, pid)
        for until in (None, as_of, as_of - pd.DateOffset(years=2)):
            a = timeline(run.tables, pid, until=until)
            b = timeline(own, pid, until=until)
            pd.testing.assert_frame_equal(a, b, check_exact=True)
            assert a.to_csv() == b.to_csv()


def test_the_served_summary_is_the_static_summary(service, caseload):
    run = _data.open_run(service["run"])
    whole = read_run(service["run"])
    for pid in _people(caseload, whole)[:15]:
        ctx = _pages.person_summary(run, pid)
        static = PractitionerSummary(whole, pid)
        assert str(ctx["chart"]) == str(static.timeline_svg())
        assert plain(ctx["s"]) == plain(static.summarize())


def _naive(s: dict, band: str, chosen: dict[str, str], q: str) -> list[dict]:
    """The filter as a pass over every row (what the selection replaces)."""
    return [r for r in s["rows"]
            if (not band or r["band"] == band)
            and all(not v or r["filters"].get(k) == v for k, v in chosen.items())
            and (not q or q.lower() in r["person_id"].lower())]


def test_caseload_selection_equals_a_pass_over_every_row(service, caseload):
    run = _data.open_run(service["run"])
    s, select = _pages.caseload_summary(run, ["North", "South", "East"],
                                        "/person/{}/")
    bands = ["", *sorted({r["band"] for r in s["rows"]})]
    keys = [f["key"] for f in s["filters"]]
    assert keys, "the fabricated run has filters (school, team)"
    values = {k: ["", *sorted({str(r["filters"].get(k)) for r in s["rows"]})[:3]]
              for k in keys}
    queries = ["", s["rows"][5]["person_id"][:3].upper(), "zzz-nobody"]
    tried = 0
    for band, q, *chosen in itertools.product(bands, queries,
                                              *(values[k] for k in keys)):
        pick = dict(zip(keys, chosen, strict=True))
        got = select.rows(band, pick, q)
        assert got == _naive(s, band, pick, q), (band, pick, q)
        tried += bool(got)
    assert tried > 10  # many combinations select someone
    assert select.rows("", {}, "") == s["rows"]
