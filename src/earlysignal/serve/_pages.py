"""The data behind each page of the service, from the run's files and the
database; the views only check access, log and render."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import pandas as pd

from earlysignal.report import Caseload, PractitionerSummary, RunFolder
from earlysignal.serve import _data
from earlysignal.serve._aggregates import review_table

__all__ = ["CASELOADS_KEPT", "PERSON_LINK", "Selection", "caseload_summary",
           "ethics_summary", "history", "person_summary"]

_CACHE: dict[tuple[str, tuple[str, ...]], tuple[dict[str, Any], Selection]] = {}
_LOCK = threading.Lock()
#: Caseloads kept, one per run and set of teams.
CASELOADS_KEPT = 64
#: Where a caseload row links to: the person's page.
PERSON_LINK = "/person/{}/"


class TeamCaseload(Caseload):
    """The run's caseload limited to some teams (the report's own view of it)."""

    def __init__(self, run: RunFolder, teams: Iterable[str], link: str) -> None:
        self.teams = sorted(set(teams))
        cl = _data.caseload(run)
        mine = cl[cl["team"].isin(self.teams)]
        super().__init__(run, links={p: link.format(p) for p in mine["person_id"]})

    def frame(self) -> pd.DataFrame:
        cl = super().frame()
        team = _data.caseload(self.run).set_index("person_id")["team"]
        return cl[cl["person_id"].map(team).isin(self.teams)].reset_index(drop=True)


class Selection:
    """The caseload summary's rows as columns, found once per run and teams, so
    that a request's filter is a few array comparisons, not a pass over every
    row's dict; the rows chosen are the summary's own, in its order.

    Examples
    --------
    >>> rows = [{"person_id": "Ab1", "band": "High", "filters": {"school": "X"}},
    ...         {"person_id": "cd2", "band": "Low", "filters": {"school": "Y"}},
    ...         {"person_id": "ab3", "band": "High", "filters": {}}]
    >>> s = Selection({"rows": rows, "filters": [{"key": "school"}]})
    >>> [r["person_id"] for r in s.rows("High", {}, "")]
    ['Ab1', 'ab3']
    >>> [r["person_id"] for r in s.rows("", {"school": "X"}, "AB")]
    ['Ab1']
    """

    def __init__(self, summary: dict[str, Any]) -> None:
        self.all = summary["rows"]
        self.band = np.array([r["band"] for r in self.all], dtype=object)
        self.filters = {f["key"]: np.array([r["filters"].get(f["key"])
                                            for r in self.all], dtype=object)
                        for f in summary["filters"]}
        self.lower = [str(r["person_id"]).lower() for r in self.all]

    def rows(self, band: str, chosen: dict[str, str], q: str
             ) -> list[dict[str, Any]]:
        """The rows in ``band`` ("" any) with each chosen filter's value ("" any)
        whose pseudonym holds ``q`` (any case)."""
        keep = np.ones(len(self.all), dtype=bool)
        if band:
            keep &= self.band == band
        for key, value in chosen.items():
            if value:
                column = self.filters.get(key)
                keep &= (np.zeros(len(self.all), dtype=bool) if column is None
                         else column == value)
        if q:
            needle = q.lower()
            keep &= np.fromiter((needle in p for p in self.lower), dtype=bool,
                                count=len(self.lower))
        return [self.all[i] for i in np.flatnonzero(keep)]


def caseload_summary(run: RunFolder, teams: Iterable[str], link: str
                     ) -> tuple[dict[str, Any], Selection]:
    """The caseload report's summary for the given teams and its rows ready to
    select from (cached per run and teams)."""
    key = (str(run.path), tuple(sorted(set(teams))))
    with _LOCK:
        if key not in _CACHE:
            s = TeamCaseload(run, key[1], link).summarize()
            _CACHE[key] = (s, Selection(s))
            if len(_CACHE) > CASELOADS_KEPT:
                _CACHE.pop(next(iter(_CACHE)))
        return _CACHE[key]


_PEOPLE: OrderedDict[tuple[int, str], tuple[RunFolder, dict[str, Any]]] = OrderedDict()
#: Person pages kept (their summary, not the page: the page is rendered with who
#: is asking, and logged, on every request). A page recorded against is shown
#: again at once after the judgement is saved.
PEOPLE_KEPT = 4096


def person_summary(run: RunFolder, person_id: str) -> dict[str, Any]:
    """What the static practitioner page renders for this person (its context),
    from the person's own rows of the run's tables and files (found through the
    run's index, the same rows a scan finds); the latest few thousand are kept
    per process (a run folder is never changed once written)."""
    key = (id(run), person_id)
    with _LOCK:
        kept = _PEOPLE.get(key)
        if kept is not None and kept[0] is run:  # the same run, not a reused id
            _PEOPLE.move_to_end(key)
            return kept[1]
    mine = cast(RunFolder, _data.person_run(run, person_id))
    own = _data.person_tables(run, person_id)
    page = (PractitionerSummary(mine, person_id) if own is None else
            PractitionerSummary(mine, person_id, tables=own[0], sources=own[1]))
    ctx = {**page.context(), "trace": run.trace, "v": run.population}
    with _LOCK:
        _PEOPLE[key] = (run, ctx)
        while len(_PEOPLE) > PEOPLE_KEPT:
            _PEOPLE.popitem(last=False)
    return ctx


def history(person_id: str, runs: Iterable[Any], judgements: Iterable[Any],
            current_band: str) -> dict[str, Any]:
    """The person's band in every published run and their earlier judgements,
    each saying whether the band has changed since."""
    bands = []
    for r in runs:
        try:
            row = _data.person(_data.open_run(r.path), person_id)
        except Exception as e:  # a run folder moved away: say so, keep the rest
            bands.append({"run": r.name, "as_of": r.as_of, "band": "",
                          "note": f"run folder unavailable ({type(e).__name__})"})
            continue
        if row is not None:
            bands.append({"run": r.name, "as_of": r.as_of,
                          "band": str(row.get("band") or ""), "note": ""})
    earlier = [{"j": j, "changed": j.band != current_band} for j in judgements]
    return {"bands": bands, "judgements": earlier}


def ethics_summary(run: RunFolder, judged: pd.DataFrame, min_cell: int
                   ) -> dict[str, Any]:
    """Band shares, review rates and judgements by band, team and the audited
    characteristics, for everyone in the run's caseload."""
    cl = _data.caseload(run)
    names = [str(b["name"]) for b in run.bands or []]
    attrs = _data.fairness_groups(run)
    people = cl[["person_id", "band", "team"]].copy()
    people["band"] = people["band"].astype(str)
    tables = run.tables
    if tables is not None and attrs and len(cl):
        groups = _data.as_of_groups(tables["characteristics"], people["person_id"],
                                    attrs, pd.Timestamp(cl["as_of"].max()))
        people = people.merge(groups, on="person_id", how="left")
    else:
        attrs = []
    by = ["band", "team", *attrs]
    table = review_table(people, judged, by, min_cell=min_cell,
                         order={"band": names})
    return {"rows": table.to_dict("records"), "min_cell": min_cell,
            "group_by": by, "n": len(people),
            "reviewed": int(judged["person_id"].nunique()) if len(judged) else 0}
