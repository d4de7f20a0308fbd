"""Per-person reasons: choice of families, wording, evidence, caseload table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.explain import Reason, explain, format_reasons
from earlysignal.explain._text import render_phrases


def _naive_top(by_family: pd.Series, k: int, sign: int) -> list[str]:
    s = (by_family * sign)
    s = s[s >= 0.02].sort_values(ascending=False, kind="stable")
    return list(s.index[:k])


def test_reasons_are_the_top_families_each_way(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata, top=2)
    for pid in ["P0000", "P0007", "P0123", "P0399"]:
        for as_of in ["2022-09-01", "2023-09-01"]:
            reasons = ex.reasons(pid, as_of)
            fam = ex.by_family.loc[(pid, pd.Timestamp(as_of))]
            raises = [r.family for r in reasons if r.direction == "raises"]
            lowers = [r.family for r in reasons if r.direction == "lowers"]
            assert raises == _naive_top(fam, 2, 1)
            assert lowers == _naive_top(fam, 2, -1)
            for r in reasons:
                assert r.log_odds == pytest.approx(fam[r.family])
                assert np.sign(r.size) == (1 if r.direction == "raises" else -1)


def test_reason_sizes_are_probability_points(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata, top=4)
    r = ex.reasons("P0010", "2023-09-01")
    pbf = ex.probability_by_family.loc[("P0010", pd.Timestamp("2023-09-01"))]
    for reason in r:
        assert reason.size == pytest.approx(pbf[reason.family])


def test_reason_text_uses_the_strongest_feature_and_the_typical_value(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    c = ex.contributions
    # the person whose behaviour family is pushed up most by suspensions
    pid, t = c["suspensions__count__90d"].idxmax()
    reason = next(r for r in ex.reasons(pid, t) if r.family == "behaviour")
    value = toy.frame.set_index(["person_id", "as_of"]).loc[(pid, t),
                                                           "suspensions__count__90d"]
    same_date = toy.frame[toy.frame["as_of"] == t]["suspensions__count__90d"]
    typical = same_date.median()
    assert reason.text == (f"{int(value)} suspensions in the last 90 days "
                           f"(typical for everyone scored: {int(typical)})")
    assert reason.family_label == "Behaviour and exclusions"


def test_rendering_of_each_kind_of_value():
    from types import SimpleNamespace as M

    ratio = M(template="attendance rate of {value} in the last year",
              unit="proportion", kind="numeric", aggregate="ratio",
              label="attendance rate", window="1y")
    flag = M(template="has had permanent exclusions ever", unit="flag",
             kind="indicator", aggregate="ever", label="permanent exclusions",
             window="all")
    trend = M(template="attendance rate changed by {value} in the last 6 months",
              unit="proportion", kind="numeric", aggregate="trend",
              label="attendance rate", window="6m")
    cat = M(template="special educational needs status: {value}", unit="category",
            kind="categorical", aggregate="value", label="sen", window="asof")
    assert render_phrases(ratio, np.array([0.81, np.nan]), np.array([0.95, 0.95]),
                          np.array([0.9, 0.9]), "their year group") == [
        "attendance rate of 81% in the last year (typical for their year group: 95%)",
        "no attendance rate recorded in the last year"]
    assert render_phrases(flag, np.array([1.0, 0.0]), np.array([0.02, 0.02]),
                          np.array([1, 1]), "their year group") == [
        "has had permanent exclusions ever (true of 2% of their year group)",
        "has not had permanent exclusions ever (true of 2% of their year group)"]
    assert render_phrases(trend, np.array([-0.052]), np.array([0.001]),
                          np.array([0.9]), "g")[0] == (
        "attendance rate changed by -5 percentage points in the last 6 months "
        "(typical for g: 0 percentage points)")
    assert render_phrases(cat, np.array(["ehcp"], dtype=object),
                          np.array(["none"], dtype=object), np.array([1.0]),
                          "g") == ["special educational needs status: EHC plan "
                                   "(most common for g: none)"]


def test_typical_values_compare_the_same_year_group_and_date(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables)
    value, present, phrase = ex._typical
    assert phrase == "their year group"
    people = cohort.tables["people"].set_index("person_id")["date_of_birth"]
    frame = cohort.frame.reset_index(drop=True)
    dob = pd.to_datetime(frame["person_id"].map(people))
    born = dob.dt.year - (dob.dt.month < 9)
    school_year = frame["as_of"].dt.year - (frame["as_of"].dt.month < 9)
    group = school_year - born - 5
    col = "attendance_rate__ratio__1y"
    i = 17
    same = frame[(group == group[i]) & (frame["as_of"] == frame["as_of"][i])]
    assert value.at[i, col] == pytest.approx(same[col].median())
    assert present.at[i, col] == pytest.approx(same[col].notna().mean())


def test_evidence_rows_are_known_before_the_date(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables)
    scored = ex.scores.sort_values("probability").index[-10:]
    seen = 0
    for pid, t in scored:
        for r in ex.reasons(pid, t):
            for e in r.evidence:
                seen += 1
                assert set(e) >= {"date", "end_date", "source", "type", "value"}
                assert e["date"] is None or pd.Timestamp(e["date"]) < t
                assert e["end_date"] is None or pd.Timestamp(e["end_date"]) < t
    assert seen > 0


def test_evidence_is_the_rows_behind_the_feature(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables)
    events = cohort.tables["events"]
    incidents = events[events["event_type"] == "behaviour_incident"]
    c = ex.contributions["behaviour_incidents__count__all"]
    pid, t = c.idxmax()
    reason = next(r for r in ex.reasons(pid, t, top=10) if r.family == "behaviour")
    dates = {e["date"] for e in reason.evidence if e["type"] == "behaviour_incident"}
    mine = incidents[(incidents["person_id"] == pid) & (incidents["event_date"] < t)]
    expected = {f"{d:%Y-%m-%d}" for d in mine["event_date"]}
    assert dates and dates <= expected


def test_reasons_frame_matches_per_person_reasons(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables)
    rf = ex.reasons_frame()
    assert list(rf.columns) == ["person_id", "as_of", "direction", "rank", "family",
                                "family_label", "size", "log_odds", "text",
                                "actionable", "note"]
    for pid, t in ex.index[[0, 50, 333]]:
        mine = rf[(rf["person_id"] == pid) & (rf["as_of"] == t)]
        reasons = ex.reasons(pid, t)
        assert mine["family"].tolist() == [r.family for r in reasons]
        assert mine["text"].tolist() == [r.text for r in reasons]
        np.testing.assert_allclose(mine["size"], [r.size for r in reasons])
        assert mine.groupby("direction")["rank"].apply(list).to_dict() == {
            d: list(range(1, (mine["direction"] == d).sum() + 1))
            for d in mine["direction"].unique()}


def test_format_reasons_prints_both_directions_and_evidence():
    r1 = Reason("attendance", "Attendance", "raises", 0.052, 0.9,
                "28 unauthorised absence sessions in the last 90 days "
                "(typical for their year group: 3)",
                evidence=({"date": "2024-03-31", "end_date": None,
                           "source": "school", "type": "unauthorised_absence",
                           "value": 28.0, "table": "periods"},))
    r2 = Reason("police", "Police contact", "lowers", -0.011, -0.2,
                "no police contacts recorded ever",
                notes=("mostly reflects gaps in the records, not something that "
                       "happened",), actionable=False)
    text = format_reasons([r1, r2.to_dict()])
    assert text.splitlines() == [
        "Raises risk",
        "  +5.2 points  Attendance: 28 unauthorised absence sessions in the last 90 "
        "days (typical for their year group: 3)",
        "               2024-03-31  school: unauthorised absence (28)",
        "Lowers risk",
        "  -1.1 points  Police contact: no police contacts recorded ever",
        "               note: mostly reflects gaps in the records, not something "
        "that happened",
    ]
    assert format_reasons([]) == "No reasons: the score equals the base rate."


def _ages(cohort) -> pd.Series:
    people = cohort.tables["people"].set_index("person_id")["date_of_birth"]
    frame = cohort.frame.reset_index(drop=True)
    dob = pd.to_datetime(frame["person_id"].map(people))
    return (frame["as_of"] - dob).dt.days / 365.25


def test_typical_values_compare_the_same_age_band_and_date(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables,
                 peer_group="age band", age_bands=[10, 13, 15])
    value, present, phrase = ex._typical
    assert phrase == "people of their age"
    frame = cohort.frame.reset_index(drop=True)
    meta = {m.column: m for m in cohort.metadata}
    age_col = next((c for c, m in meta.items() if m.aggregate == "age"), None)
    age = frame[age_col] if age_col in frame else _ages(cohort)
    band = np.searchsorted([10, 13, 15], age.to_numpy(), side="right")
    col = "attendance_rate__ratio__1y"
    for i in (3, 17, 40):
        same = frame[(band == band[i]) & (frame["as_of"] == frame["as_of"][i])]
        # a band is wider than a year group, so the medians differ from it
        assert value.at[i, col] == pytest.approx(same[col].median())
        assert present.at[i, col] == pytest.approx(same[col].notna().mean())


def test_no_peer_group_compares_everyone_scored_at_the_date(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables,
                 peer_group="none")
    value, _, phrase = ex._typical
    assert phrase == "everyone scored"
    frame = cohort.frame.reset_index(drop=True)
    col = "attendance_rate__ratio__1y"
    i = 17
    same = frame[frame["as_of"] == frame["as_of"][i]]
    assert value.at[i, col] == pytest.approx(same[col].median())
    assert any("typical for everyone scored" in r.text
               for pid, t in ex.scores.index[:50] for r in ex.reasons(pid, t))
