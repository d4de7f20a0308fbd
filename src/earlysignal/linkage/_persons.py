"""From clusters of records to people: one keyed pseudonym and one confidence per
cluster, written onto every canonical table in place of the agencies' local ids.

A cluster's **linkage confidence** is the weaker of two things: the weakest link
holding it together (the lowest, over its records, of each record's best match
probability with another record of the cluster; 1 for a single record) and the
chance that no record outside it belongs to it (one minus the strongest match
probability with a record outside). A person held together by a 0.96 link, or
with a 0.4 candidate left outside, has confidence 0.96 or 0.6.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from earlysignal.data._pseudonym import Pseudonymiser
from earlysignal.linkage._config import LinkageConfig

__all__ = ["apply_linkage", "cluster_confidence", "crosswalk"]


def cluster_confidence(clusters: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Linkage confidence of each cluster (see the module docstring).

    Parameters
    ----------
    clusters : DataFrame
        unique_id, cluster_id.
    pairs : DataFrame
        unique_id_l, unique_id_r, match_probability of the scored pairs.

    Examples
    --------
    >>> clusters = pd.DataFrame({"unique_id": list("abcd"),
    ...                          "cluster_id": ["a", "a", "a", "d"]})
    >>> pairs = pd.DataFrame({"unique_id_l": ["a", "b", "a", "c"],
    ...                       "unique_id_r": ["b", "c", "c", "d"],
    ...                       "match_probability": [0.99, 0.96, 0.3, 0.4]})
    >>> cluster_confidence(clusters, pairs).round(2).to_dict()
    {'a': 0.6, 'd': 0.6}
    """
    of = clusters.set_index("unique_id")["cluster_id"]
    both = pd.concat([
        pairs.rename(columns={"unique_id_l": "a", "unique_id_r": "b"}),
        pairs.rename(columns={"unique_id_r": "a", "unique_id_l": "b"})])
    both = both.assign(ca=both["a"].map(of), cb=both["b"].map(of))
    inside = both[both["ca"] == both["cb"]]
    best_inside = inside.groupby("a")["match_probability"].max()
    weakest = best_inside.groupby(of.reindex(best_inside.index)).min()
    outside = both[both["ca"] != both["cb"]]
    strongest_out = outside.groupby("ca")["match_probability"].max()
    ids = pd.Index(of.unique())
    held = weakest.reindex(ids).fillna(1.0)
    apart = 1.0 - strongest_out.reindex(ids).fillna(0.0)
    return pd.Series(np.minimum(held, apart), index=ids, name="linkage_confidence")


def crosswalk(clusters: pd.DataFrame, pairs: pd.DataFrame,
              pseudo: Pseudonymiser) -> pd.DataFrame:
    """Each record's person: unique_id, person_id, linkage_confidence, records.

    The person id is the keyed pseudonym (:class:`Pseudonymiser`) of the cluster's
    smallest local id, so the same records under the same key give the same id.

    Examples
    --------
    >>> clusters = pd.DataFrame({"unique_id": ["S1", "PN9", "S2"],
    ...                          "cluster_id": ["x", "x", "y"]})
    >>> pairs = pd.DataFrame({"unique_id_l": ["S1"], "unique_id_r": ["PN9"],
    ...                       "match_probability": [0.98]})
    >>> p = Pseudonymiser("an example key, not a secret")
    >>> cw = crosswalk(clusters, pairs, p)
    >>> bool(cw["person_id"].iloc[0] == cw["person_id"].iloc[1] == p.one("PN9"))
    True
    >>> cw["linkage_confidence"].tolist(), cw["records"].tolist()
    ([0.98, 0.98, 1.0], [2, 2, 1])
    """
    first = clusters.groupby("cluster_id")["unique_id"].min()
    conf = cluster_confidence(clusters, pairs)
    size = clusters.groupby("cluster_id")["unique_id"].size()
    ids = pd.Series([pseudo.one(u) for u in first], index=first.index)
    c = clusters["cluster_id"]
    return pd.DataFrame({
        "unique_id": clusters["unique_id"].to_numpy(),
        "person_id": c.map(ids).to_numpy(),
        "linkage_confidence": c.map(conf).astype(float).to_numpy(),
        "records": c.map(size).astype(int).to_numpy()})


def _reduce_dob(dob: pd.Series, keep: str) -> pd.Series:
    d = pd.to_datetime(dob)
    out = d.dt.to_period("M" if keep == "month" else "Y").dt.to_timestamp()
    return pd.Series(out, index=dob.index).astype("datetime64[us]")


def apply_linkage(frames: Mapping[str, pd.DataFrame], links: pd.DataFrame,
                  config: LinkageConfig) -> dict[str, pd.DataFrame]:
    """Canonical tables keyed by linked people; identifiers left behind.

    ``people`` becomes one row per person: person_id, date_of_birth (reduced to
    ``config.keep_date_of_birth``; the value most of the person's records give),
    linkage_confidence, records and the ``config.keep`` columns. Every other
    table gets the person's id and linkage_confidence.

    Examples
    --------
    >>> people = pd.DataFrame({"person_id": ["S1", "PN9"], "first_name": ["Ann", "ANN"],
    ...     "date_of_birth": pd.to_datetime(["2010-03-07", "2010-07-03"])})
    >>> events = pd.DataFrame({"person_id": ["PN9"], "event_type": ["x"]})
    >>> links = pd.DataFrame({"unique_id": ["S1", "PN9"], "person_id": ["p_1", "p_1"],
    ...                       "linkage_confidence": [0.9, 0.9], "records": [2, 2]})
    >>> out = apply_linkage({"people": people, "events": events}, links,
    ...                     LinkageConfig())
    >>> out["people"].columns.tolist()
    ['person_id', 'date_of_birth', 'linkage_confidence', 'records']
    >>> str(out["people"]["date_of_birth"].iloc[0].date())
    '2010-03-01'
    >>> out["events"].astype(str).iloc[0].tolist()
    ['p_1', 'x', '0.9']
    """
    by_record = links.set_index("unique_id")
    out: dict[str, pd.DataFrame] = {}
    for name, df in frames.items():
        local = df["person_id"].astype("str")
        if name == "people":
            out[name] = _people(df, by_record, config)
            continue
        out[name] = df.assign(
            person_id=local.map(by_record["person_id"]).to_numpy(),
            linkage_confidence=local.map(by_record["linkage_confidence"]).to_numpy())
    return out


def _people(df: pd.DataFrame, by_record: pd.DataFrame,
            config: LinkageConfig) -> pd.DataFrame:
    local = df["person_id"].astype("str")
    rows = pd.DataFrame({"person_id": local.map(by_record["person_id"]).to_numpy()})
    dob_col = config.columns.date_of_birth
    if dob_col is not None and dob_col in df:
        rows["date_of_birth"] = _reduce_dob(df[dob_col], config.keep_date_of_birth) \
            .to_numpy()
    else:
        rows["date_of_birth"] = pd.Series(pd.NaT, index=rows.index,
                                          dtype="datetime64[us]")
    for col in config.keep:
        rows[col] = df[col].to_numpy()
    grouped = rows.groupby("person_id", sort=True)
    # the date most of a person's records give (ties: the earliest)
    counts = rows.dropna(subset=["date_of_birth"]).value_counts(
        ["person_id", "date_of_birth"]).rename("n").reset_index()
    best = counts.sort_values(["person_id", "n", "date_of_birth"],
                              ascending=[True, False, True]).drop_duplicates(
        "person_id").set_index("person_id")["date_of_birth"]
    ids = pd.Index(sorted(rows["person_id"].unique()))
    people = pd.DataFrame({"person_id": ids, "date_of_birth": best.reindex(ids)
                           .astype("datetime64[us]").to_numpy()})
    info = by_record.drop_duplicates("person_id").set_index("person_id")
    people["linkage_confidence"] = people["person_id"].map(
        info["linkage_confidence"]).to_numpy()
    people["records"] = people["person_id"].map(info["records"]).astype(int).to_numpy()
    for col in config.keep:
        people[col] = people["person_id"].map(grouped[col].first()).to_numpy()
    return people
