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

__all__ = ["as_of_groups", "caseload", "fairness_groups", "open_run", "person_row",
           "person_tables"]

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
    ``person_id`` as text and ``team`` ("" when the run has no team column).

    Raises
    ------
    ServeError
        When the run has no caseload or no bands (it cannot be served).
    """
    cl = run.caseload
    if cl is None or not run.bands:
        raise ServeError(f"{run.path}: caseload.parquet or bands.json is missing, so "
                         "there is nothing to serve. Fix: run the pipeline to the "
                         "end (`earlysignal run CONFIG`)")
    return _with_team(cl)


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
    """The caseload row of one person, or None."""
    mine = cl[cl["person_id"] == person_id]
    return None if mine.empty else {str(k): v for k, v in mine.iloc[0].items()}


class _PersonIndex:
    """Each person's rows of every canonical table, found once per run: a
    person's page then reads a few rows instead of scanning every table (the
    periods of 20,000 people are over a million rows)."""

    def __init__(self, tables: Any) -> None:
        self.tables = {n: tables[n] for n in _TABLES}
        self.rows = {n: t.groupby(t["person_id"].astype(str), sort=False).indices
                     for n, t in self.tables.items()}
        self.sources = data_sources(tables)

    def of(self, person_id: str) -> dict[str, pd.DataFrame]:
        none = np.zeros(0, dtype=np.int64)
        return {n: t.iloc[self.rows[n].get(person_id, none)]
                for n, t in self.tables.items()}


_INDEX: dict[int, _PersonIndex] = {}


def person_tables(run: RunFolder, person_id: str
                  ) -> tuple[dict[str, pd.DataFrame], list[str]] | None:
    """The person's rows of the run's tables and every source in the data (what
    the practitioner summary needs), or None when the run kept no data folder.

    Examples
    --------
    >>> class R:
    ...     tables = {n: pd.DataFrame({"person_id": ["a", "b", "a"],
    ...                                "source": ["school", "police", "school"]})
    ...               for n in _TABLES}
    >>> mine, sources = person_tables(R(), "a")
    >>> len(mine["events"]), len(person_tables(R(), "zz")[0]["events"]), sources
    (2, 0, ['school', 'attendance', 'police'])
    """
    if run.tables is None:
        return None
    with _LOCK:
        index = _INDEX.get(id(run))
        if index is None or index.tables["people"] is not run.tables["people"]:
            index = _INDEX[id(run)] = _PersonIndex(run.tables)
            if len(_INDEX) > 8:
                _INDEX.pop(next(iter(_INDEX)))
    return index.of(str(person_id)), index.sources
