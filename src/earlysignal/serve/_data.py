"""The run's files as the service reads them: one cached :class:`RunFolder` per
published run, the caseload with each person's team, and the groups the ethics
aggregates are broken down by. The service computes nothing the run did not."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.report import RunFolder, read_run
from earlysignal.report._practitioner import data_sources
from earlysignal.serve._settings import ServeError

__all__ = ["PersonRun", "as_of_groups", "caseload", "fairness_groups", "open_run",
           "person", "person_row", "person_run", "person_tables"]

_TABLES = ("people", "events", "episodes", "periods", "characteristics")

_LOCK = threading.Lock()


@lru_cache(maxsize=8)
def _open(path: str, stamp: float) -> RunFolder:
    return read_run(path)


def open_run(path: str | Path) -> RunFolder:
    """The run folder at ``path``, read once per process (again when its
    ``run.json`` changes)."""
    p = Path(path)
    manifest = p / "run.json"
    if not manifest.exists():
        raise ServeError(f"{manifest}: not found; the published run's folder has "
                         "moved or been removed. Fix: publish it again with "
                         "`earlysignal serve RUN`")
    with _LOCK:  # reading the Parquet files once, not once per thread
        return _open(str(p.resolve()), manifest.stat().st_mtime)


def caseload(run: RunFolder) -> pd.DataFrame:
    """The run's caseload (everyone scored at the latest as-of date) with
    ``person_id`` as text and ``team`` ("" when the run has no team column);
    built once per run and shared, so callers must not change it.

    Raises
    ------
    ServeError
        When the run has no caseload or no bands (it cannot be served).
    """
    return _index(run).caseload


def _with_team(cl: pd.DataFrame) -> pd.DataFrame:
    """The caseload with text person ids and teams.

    Examples
    --------
    >>> out = _with_team(pd.DataFrame({"person_id": [1, 2], "team": ["N", None]}))
    >>> out[["person_id", "team"]].values.tolist()
    [['1', 'N'], ['2', '']]
    """
    out = cl.copy()
    out["person_id"] = out["person_id"].astype(str)
    out["team"] = (out["team"].astype("string").fillna("").astype(str)
                   if "team" in out.columns else "")
    return out


def fairness_groups(run: RunFolder) -> list[str]:
    """The characteristics the run's fairness audit compares (its config's
    ``fairness.groups``), else the population's protected characteristics."""
    groups = (run.config.get("fairness") or {}).get("groups")
    if groups:
        return [str(g) for g in groups]
    return list(run.population.characteristics.protected)


def as_of_groups(characteristics: pd.DataFrame, people: Iterable[str],
                 attributes: Sequence[str], as_of: pd.Timestamp
                 ) -> pd.DataFrame:
    """Each person's value of each attribute valid at ``as_of`` ("not recorded"
    when none), one row per person.

    Examples
    --------
    >>> ch = pd.DataFrame({"person_id": ["a", "a", "b"], "attribute": ["sex"] * 3,
    ...     "value": ["F", "M", "M"],
    ...     "valid_from": pd.to_datetime(["2020-01-01", "2024-01-01", "2020-01-01"]),
    ...     "valid_to": pd.NaT})
    >>> as_of_groups(ch, ["a", "b", "c"], ["sex"], pd.Timestamp("2023-01-01")
    ...              ).values.tolist()
    [['a', 'F'], ['b', 'M'], ['c', 'not recorded']]
    """
    out = pd.DataFrame({"person_id": [str(p) for p in people]})
    ch = characteristics.assign(person_id=characteristics["person_id"].astype(str))
    start = pd.to_datetime(ch["valid_from"])
    end = pd.to_datetime(ch["valid_to"]) if "valid_to" in ch else pd.NaT
    known = start <= as_of
    if "recorded_at" in ch:
        known &= pd.to_datetime(ch["recorded_at"]).fillna(start) <= as_of
    ch = ch[known & (pd.isna(end) | (end > as_of))].assign(_from=start)
    for attr in attributes:
        mine = ch[ch["attribute"] == attr].sort_values("_from", kind="stable")
        latest = mine.drop_duplicates("person_id", keep="last").set_index(
            "person_id")["value"].astype(str)
        out[attr] = out["person_id"].map(latest).fillna("not recorded")
    return out


def person_row(cl: pd.DataFrame, person_id: str) -> dict[str, object] | None:
    """The caseload row of one person, or None.

    Examples
    --------
    >>> person_row(pd.DataFrame({"person_id": ["a", "b"], "band": ["High", "Low"]}),
    ...            "b")
    {'person_id': 'b', 'band': 'Low'}
    """
    mine = cl[cl["person_id"] == person_id]
    return None if mine.empty else {str(k): v for k, v in mine.iloc[0].items()}


def person(run: RunFolder, person_id: str) -> dict[str, object] | None:
    """The caseload row of one person (as :func:`person_row` finds it in
    :func:`caseload`), through the run's index instead of a scan."""
    index = _index(run)
    at = index.caseload_rows.get(str(person_id))
    if at is None:
        return None
    return {str(k): v for k, v in index.caseload.iloc[int(at[0])].items()}


class _ByPerson:
    """A frame's rows grouped by person once: its rows sorted stably by the
    person's id as text, and where each person's block starts and ends. A
    person's rows are then a slice, in the frame's own order, with its own
    index labels: the same rows as ``df[df["person_id"].astype(str) == p]``."""

    def __init__(self, df: pd.DataFrame) -> None:
        codes, ids = pd.factorize(df["person_id"].astype(str), use_na_sentinel=False)
        order = np.argsort(codes, kind="stable")  # integers: fast, and stable
        self.sorted = df.iloc[order]
        counts = np.bincount(codes, minlength=len(ids))
        ends = np.cumsum(counts)
        starts = ends - counts
        self.blocks = dict(zip([str(i) for i in ids],
                               zip(starts.tolist(), ends.tolist(), strict=True),
                               strict=True))

    def of(self, person_id: str) -> pd.DataFrame:
        a, b = self.blocks.get(person_id, (0, 0))
        return self.sorted.iloc[a:b]


class PersonRun:
    """The run as one person's page reads it: that person's rows of the files
    kept per person (caseload, scores, reasons, evidence, changes), the run's
    own of everything else. A summary built on it reads a few rows where it
    would scan every person's."""

    def __init__(self, run: RunFolder, rows: dict[str, pd.DataFrame | None]) -> None:
        self.__dict__.update(rows)
        self.__dict__["_run"] = run

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_run"], name)


#: The run's files that hold rows per person, which a person's page filters.
_PER_PERSON = ("caseload", "scores", "reasons", "evidence", "changes")


class _RunIndex:
    """What a run's pages look up, found once per run: the caseload with
    teams, each person's caseload row, and each person's rows of the canonical
    tables and of the run's per-person files (the periods of 20,000 people are
    over a million rows; a page reads a person's few)."""

    def __init__(self, run: RunFolder) -> None:
        cl = run.caseload
        if cl is None or not run.bands:
            raise ServeError(f"{run.path}: caseload.parquet or bands.json is missing, "
                             "so there is nothing to serve. Fix: run the pipeline "
                             "to the end (`earlysignal run CONFIG`)")
        self.run = run
        self.caseload = _with_team(cl)
        self.caseload_rows = self.caseload.groupby("person_id", sort=False).indices
        self._lock = threading.Lock()
        self._people: dict[str, _ByPerson | None] | None = None
        self._tables: dict[str, _ByPerson] | None = None
        self.sources: list[str] = []

    def files(self) -> dict[str, _ByPerson | None]:
        with self._lock:
            if self._people is None:
                frames = {n: getattr(self.run, n) for n in _PER_PERSON}
                self._people = {n: None if f is None else _ByPerson(f)
                                for n, f in frames.items()}
            return self._people

    def tables(self) -> dict[str, _ByPerson] | None:
        if self.run.tables is None:
            return None
        with self._lock:
            if self._tables is None:
                tables = self.run.tables
                self.sources = data_sources(tables)
                self._tables = {n: _ByPerson(tables[n]) for n in _TABLES}
            return self._tables


_INDEX: dict[int, _RunIndex] = {}


def _index(run: RunFolder) -> _RunIndex:
    with _LOCK:
        index = _INDEX.get(id(run))
        if index is None or index.run is not run:  # not a reused id
            index = _INDEX[id(run)] = _RunIndex(run)
            if len(_INDEX) > 8:
                _INDEX.pop(next(iter(_INDEX)))
        return index


def person_run(run: RunFolder, person_id: str) -> PersonRun:
    """The run as the person's page reads it (see :class:`PersonRun`)."""
    pid = str(person_id)
    return PersonRun(run, {n: None if by is None else by.of(pid)
                           for n, by in _index(run).files().items()})


def person_tables(run: RunFolder, person_id: str
                  ) -> tuple[dict[str, pd.DataFrame], list[str]] | None:
    """The person's rows of the run's tables and every source in the data (what
    the practitioner summary needs), or None when the run kept no data folder.

    Examples
    --------
    >>> class R:
    ...     caseload = pd.DataFrame({"person_id": ["a", "b"]})
    ...     bands = [{"name": "High"}]
    ...     tables = {n: pd.DataFrame({"person_id": ["a", "b", "a"],
    ...                                "source": ["school", "police", "school"]})
    ...               for n in _TABLES}
    >>> r = R()
    >>> mine, sources = person_tables(r, "a")
    >>> mine["events"].index.tolist(), len(person_tables(r, "zz")[0]["events"])
    ([0, 2], 0)
    >>> sources
    ['school', 'attendance', 'police']
    """
    index = _index(run)
    tables = index.tables()
    if tables is None:
        return None
    pid = str(person_id)
    return {n: by.of(pid) for n, by in tables.items()}, index.sources
