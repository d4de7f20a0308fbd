"""The linkage stage: agencies' records in, canonical tables keyed by people out.

:func:`link_tables` prepares the identity records of the people table, runs
Splink, and returns the tables with one pseudonymised ``person_id`` per cluster
and its linkage confidence, the identifying columns left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from earlysignal.data._pseudonym import Pseudonymiser
from earlysignal.linkage._config import LinkageConfig
from earlysignal.linkage._persons import apply_linkage, crosswalk
from earlysignal.linkage._prepare import prepare_records
from earlysignal.linkage._splink import SplinkRun, run_splink

__all__ = ["LinkedTables", "link_tables"]


@dataclass
class LinkedTables:
    """The linked tables and what the linkage did.

    ``tables``: canonical tables keyed by linked people. ``links``: each record's
    person (unique_id = the agency's local id, person_id, linkage_confidence,
    records); it holds local ids, so it stays in memory and is never written to a
    run folder. ``run``: Splink's clusters, scored pairs and parameters.
    ``records``: the prepared identity records (names, dates of birth), for a
    clerical review page only.
    """

    tables: dict[str, pd.DataFrame]
    links: pd.DataFrame
    run: SplinkRun
    records: pd.DataFrame

    def facts(self) -> dict[str, Any]:
        """Counts and settings of the linkage, free of identifiers."""
        people = self.links.drop_duplicates("person_id")
        return {"records": int(len(self.links)), "people": int(len(people)),
                "linked_people": int((people["records"] > 1).sum()),
                "threshold": self.run.threshold, "engine": self.run.engine,
                "prior": self.run.prior,
                "low_confidence_people": int(
                    (people["linkage_confidence"] < self.run.threshold).sum()),
                "seconds": dict(self.run.seconds)}


def link_tables(frames: Mapping[str, pd.DataFrame], config: LinkageConfig,
                pseudo: Pseudonymiser, *, session: Any = None) -> LinkedTables:
    """Link the agencies' records of the people table and rekey every table.

    Parameters
    ----------
    frames : mapping of table name to DataFrame
        Canonical tables whose ``person_id`` is each agency's local id (distinct
        across agencies); ``people`` has one row per agency record with the
        identifying columns of ``config.columns``.
    config : LinkageConfig
    pseudo : Pseudonymiser
        Makes each person's id (the keyed pseudonym of the cluster's smallest
        local id).
    session : SparkSession, optional
        With ``engine: spark``.
    """
    records = prepare_records(frames["people"], config)
    run = run_splink(records, config, session=session)
    links = crosswalk(run.clusters, run.pairs, pseudo)
    return LinkedTables(apply_linkage(frames, links, config), links, run, records)
