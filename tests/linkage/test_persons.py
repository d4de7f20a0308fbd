"""From clusters to people: keyed pseudonyms, confidence, identifiers left behind."""

from __future__ import annotations

import pandas as pd
import pytest

from earlysignal.data import Pseudonymiser
from earlysignal.linkage import (
    LinkageConfig,
    apply_linkage,
    cluster_confidence,
    crosswalk,
)

KEY = "a test key that is long enough"


def test_confidence_is_the_weakest_link_or_the_strongest_outside_candidate():
    clusters = pd.DataFrame({"unique_id": list("abcdef"),
                             "cluster_id": ["a", "a", "a", "d", "d", "f"]})
    pairs = pd.DataFrame({
        "unique_id_l": ["a", "b", "a", "d", "c", "f"],
        "unique_id_r": ["b", "c", "c", "e", "f", "e"],
        "match_probability": [0.99, 0.97, 0.10, 0.999, 0.20, 0.05]})
    conf = cluster_confidence(clusters, pairs)
    # a: c's best inside link is 0.97; strongest outside 0.20 -> min(0.97, 0.80)
    assert conf["a"] == pytest.approx(0.8)
    # d: held at 0.999; outside candidate f at 0.05 -> 0.95
    assert conf["d"] == pytest.approx(0.95)
    # f alone: 1 - max(0.20, 0.05)
    assert conf["f"] == pytest.approx(0.8)


def test_person_id_is_the_projects_pseudonym_of_the_clusters_first_record():
    clusters = pd.DataFrame({"unique_id": ["S2", "PN1", "S9"],
                             "cluster_id": [7, 7, 8]})
    pairs = pd.DataFrame({"unique_id_l": ["S2"], "unique_id_r": ["PN1"],
                          "match_probability": [0.99]})
    p = Pseudonymiser(KEY)
    cw = crosswalk(clusters, pairs, p).set_index("unique_id")
    # "PN1" < "S2": the cluster is named by PN1, as the pseudonym rule gives it
    assert cw.loc["S2", "person_id"] == cw.loc["PN1", "person_id"] == p.one("PN1")
    assert cw.loc["S9", "person_id"] == p.one("S9")
    assert cw.loc["S9", "records"] == 1


def test_identifiers_end_at_linkage():
    people = pd.DataFrame({
        "person_id": ["S1", "PN7", "S2"], "first_name": ["Ann", "ANN", "Bo"],
        "surname": ["Lee", "LEE", "Cox"], "postcode": ["QX1 1AB"] * 3,
        "sex": ["F", "F", "M"], "school": ["SCH01", "SCH01", "SCH02"],
        "date_of_birth": pd.to_datetime(["2010-03-07", "2010-07-03", "2011-05-20"])})
    events = pd.DataFrame({"person_id": ["PN7", "S2"], "event_type": ["a", "b"]})
    links = pd.DataFrame({"unique_id": ["S1", "PN7", "S2"],
                          "person_id": ["p_1", "p_1", "p_2"],
                          "linkage_confidence": [0.9, 0.9, 1.0],
                          "records": [2, 2, 1]})
    out = apply_linkage({"people": people, "events": events}, links,
                        LinkageConfig(keep=["school"]))
    got = out["people"].set_index("person_id")
    assert list(got.columns) == ["date_of_birth", "linkage_confidence", "records",
                                 "school"]
    assert str(got.loc["p_2", "date_of_birth"].date()) == "2011-05-01"
    assert out["events"]["person_id"].tolist() == ["p_1", "p_2"]
    assert out["events"]["linkage_confidence"].tolist() == [0.9, 1.0]
    year = apply_linkage({"people": people}, links,
                         LinkageConfig(keep_date_of_birth="year"))["people"]
    assert sorted(str(d.date()) for d in year["date_of_birth"]) == [
        "2010-01-01", "2011-01-01"]
