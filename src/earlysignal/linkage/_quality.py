"""Linkage quality against the truth: pairwise precision and recall, F1, and the
share of people split or merged, at a threshold, along thresholds and by group.

A linkage's clusters imply pairs of records said to be the same person; the truth
implies the pairs that are. Pairwise precision is the share of implied pairs that
are true, recall the share of true pairs implied. A person is **split** when their
records fall in more than one cluster (counted among people with two or more
records, the only ones who can be split) and **merged** when a cluster holding
their records also holds someone else's (counted among all people).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from earlysignal.disclosure import decide, withhold

__all__ = ["LinkageQuality", "clusters_at", "linkage_quality", "pair_metrics"]


def _pairs(sizes: pd.Series | np.ndarray) -> float:
    n = np.asarray(sizes, dtype=float)
    return float((n * (n - 1) / 2).sum())


def pair_metrics(cluster: pd.Series, person: pd.Series) -> dict[str, float]:
    """Pairwise and person-level measures of one clustering against the truth.

    Parameters
    ----------
    cluster, person : Series
        The predicted cluster and the true person of each record (same index).

    Examples
    --------
    Records a1, a2, a3 are person A, b1 is person B; the linkage put a1, a2 and
    b1 together and left a3 alone: 3 pairs implied (a1-a2 true), 3 true pairs
    (a1-a2 found): precision 1/3, recall 1/3; A is split; A and B are merged.

    >>> cluster = pd.Series([1, 1, 2, 1])
    >>> person = pd.Series(["A", "A", "A", "B"])
    >>> m = pair_metrics(cluster, person)
    >>> m["precision"], m["recall"], m["split_share"], m["merged_share"]
    (0.3333333333333333, 0.3333333333333333, 1.0, 1.0)
    """
    both = pd.DataFrame({"c": cluster.to_numpy(), "p": person.to_numpy()})
    predicted = _pairs(both.groupby("c").size())
    true = _pairs(both.groupby("p").size())
    tp = _pairs(both.groupby(["c", "p"]).size())
    precision = tp / predicted if predicted else 1.0
    recall = tp / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    clusters_of = both.groupby("p")["c"].nunique()
    several = both.groupby("p").size() >= 2
    people_in = both.groupby("c")["p"].nunique()
    merged = both.assign(k=both["c"].map(people_in) > 1).groupby("p")["k"].any()
    return {"precision": precision, "recall": recall, "f1": f1,
            "pairs_predicted": predicted, "pairs_true": true, "pairs_found": tp,
            "split_share": float((clusters_of[several] > 1).mean())
            if several.any() else 0.0,
            "merged_share": float(merged.mean()) if len(merged) else 0.0,
            "people": float(len(clusters_of)), "records": float(len(both))}


def clusters_at(records: Sequence[str] | pd.Index, pairs: pd.DataFrame,
                threshold: float) -> pd.Series:
    """Connected components of the pairs at or above ``threshold`` (as Splink
    clusters), labelled by record.

    Examples
    --------
    >>> pairs = pd.DataFrame({"unique_id_l": ["a", "b"], "unique_id_r": ["b", "c"],
    ...                       "match_probability": [0.99, 0.5]})
    >>> clusters_at(["a", "b", "c", "d"], pairs, 0.9).tolist()
    [0, 0, 1, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    index = pd.Index(records)
    kept = pairs[pairs["match_probability"] >= threshold]
    a = index.get_indexer(pd.Index(kept["unique_id_l"]))
    b = index.get_indexer(pd.Index(kept["unique_id_r"]))
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(index), len(index)))
    _, labels = connected_components(graph, directed=False)
    return pd.Series(labels, index=index)


@dataclass
class LinkageQuality:
    """Linkage quality against the truth (see :func:`linkage_quality`).

    ``overall``: the measures at the threshold. ``curve``: the same measures at
    each threshold. ``by_group``: per group of each characteristic, with
    ``withheld`` rows blanked by the disclosure rule.
    """

    threshold: float
    overall: dict[str, float]
    curve: pd.DataFrame
    by_group: pd.DataFrame
    min_cell: int

    def gaps(self) -> pd.DataFrame:
        """Per characteristic: the groups with the highest and lowest recall
        (published groups only) and the gap between them."""
        rows = []
        shown = self.by_group[~self.by_group["withheld"]]
        for group_by, part in shown.groupby("group_by", sort=False):
            if len(part) < 2:
                continue
            ranked = part.sort_values("recall", kind="stable")
            best, worst = ranked.iloc[-1], ranked.iloc[0]
            rows.append({"group_by": group_by, "best": best["group"],
                         "best_recall": best["recall"], "worst": worst["group"],
                         "worst_recall": worst["recall"],
                         "gap": best["recall"] - worst["recall"]})
        return pd.DataFrame(rows, columns=["group_by", "best", "best_recall", "worst",
                                           "worst_recall", "gap"])

    def sentences(self) -> list[str]:
        """Plain statements of the measures, generated from them."""
        o = self.overall
        out = [f"At a match threshold of {self.threshold:g}, {o['precision']:.1%} of "
               f"the record pairs linked were the same person (precision) and "
               f"{o['recall']:.1%} of the true pairs were linked (recall); "
               f"{o['split_share']:.1%} of people with several records were split "
               f"and {o['merged_share']:.1%} of people were merged with someone "
               "else."]
        for g in self.gaps().to_dict("records"):
            out.append(f"By {g['group_by']}, recall ranged from "
                       f"{float(g['worst_recall']):.1%} ({g['worst']}) to "
                       f"{float(g['best_recall']):.1%} ({g['best']}), a gap of "
                       f"{float(g['gap']) * 100:.1f} percentage points.")
        return out

    def summarize(self) -> dict[str, object]:
        """Plain data for reports and tracking."""
        return {"threshold": self.threshold, "overall": dict(self.overall),
                "curve": self.curve.to_dict("records"),
                "by_group": self.by_group.to_dict("records"),
                "gaps": self.gaps().to_dict("records"),
                "sentences": self.sentences(), "min_cell": self.min_cell}


def _group_metrics(cluster: pd.Series, truth: pd.DataFrame, group_by: str
                   ) -> pd.DataFrame:
    """Per group: recall over the group's true pairs, precision over the implied
    pairs touching the group's records, split and merged shares of its people."""
    rows = []
    people_group = truth.groupby("person_id")[group_by].first()
    rec = pd.DataFrame({"c": cluster.to_numpy(), "p": truth["person_id"].to_numpy(),
                        "g": truth[group_by].astype(str).to_numpy()})
    for g, part in rec.groupby("g", sort=True):
        mine = (rec["g"] == g).to_numpy()
        m = pair_metrics(cluster[mine], rec.loc[mine, "p"])
        # precision: every implied pair with at least one of the group's records
        touched = rec[rec["c"].isin(part["c"])]
        implied = _pairs(touched.groupby("c").size()) - _pairs(
            touched[touched["g"] != g].groupby("c").size())
        found = _pairs(part.groupby(["c", "p"]).size())
        m["precision"] = found / implied if implied else 1.0
        p, r = m["precision"], m["recall"]
        m["f1"] = 2 * p * r / (p + r) if p + r else 0.0
        people_in = rec.groupby("c")["p"].nunique()
        merged = part.assign(k=part["c"].map(people_in) > 1).groupby("p")["k"].any()
        m["merged_share"] = float(merged.mean())
        rows.append({"group_by": group_by, "group": g,
                     "people": int((people_group.astype(str) == g).sum()), **{
                         k: m[k] for k in ("records", "precision", "recall", "f1",
                                           "split_share", "merged_share")}})
    return pd.DataFrame(rows)


def linkage_quality(clusters: pd.DataFrame, pairs: pd.DataFrame,
                    truth: pd.DataFrame, *, threshold: float,
                    groups: Sequence[str] = ("sex", "ethnicity", "age_band"),
                    thresholds: Sequence[float] | None = None,
                    min_cell: int = 10) -> LinkageQuality:
    """Measure a linkage against the truth, overall, along thresholds and by group.

    Parameters
    ----------
    clusters : DataFrame
        unique_id, cluster_id (the linkage at ``threshold``).
    pairs : DataFrame
        unique_id_l, unique_id_r, match_probability (for the threshold curve).
    truth : DataFrame
        record_id, person_id (the true person) and the ``groups`` columns.
    threshold : float
    groups : sequence of str
        Characteristics of the truth to break quality down by.
    thresholds : sequence of float, optional
        The curve's thresholds (default 0.5 to 0.999).
    min_cell : int
        Groups of fewer people are withheld (:func:`earlysignal.disclosure.decide`).
    """
    t = truth.set_index("record_id").reindex(clusters["unique_id"])
    t = t.reset_index(drop=True).assign(person_id=lambda d: d["person_id"].astype(str))
    cluster = clusters["cluster_id"].reset_index(drop=True)
    overall = pair_metrics(cluster, t["person_id"])
    grid = thresholds if thresholds is not None else (
        0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)
    ids = pd.Index(clusters["unique_id"])
    curve = pd.DataFrame([{"threshold": x, **pair_metrics(
        clusters_at(ids, pairs, x).reset_index(drop=True), t["person_id"])}
        for x in grid])
    present = [g for g in groups if g in t.columns]
    by = pd.concat([_group_metrics(cluster, t, g) for g in present],
                   ignore_index=True) if present else pd.DataFrame(
        columns=["group_by", "group", "people"])
    return LinkageQuality(threshold, overall, curve,
                          _disclose(by, t, present, min_cell), min_cell)


def _disclose(by: pd.DataFrame, t: pd.DataFrame, groups: list[str],
              min_cell: int) -> pd.DataFrame:
    """Withhold groups of fewer than ``min_cell`` people (and any group that could
    be worked out from the others), by the project's disclosure rule."""
    if by.empty:
        return by.assign(withheld=False)
    people = t.drop_duplicates("person_id")
    decisions = decide({g: people[g].astype(str).to_numpy() for g in groups},
                       person=people["person_id"].to_numpy(),
                       label=np.zeros(len(people), dtype=int), min_cell=min_cell,
                       rule=("size",))
    values = ["people", "records", "precision", "recall", "f1", "split_share",
              "merged_share"]
    return withhold(by, decisions, group_by="group_by", group="group", values=values)
