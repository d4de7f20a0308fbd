"""Timelines: one person's merged stream, ordered, cut at ``until``, known-by flags."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earlysignal.data import CanonicalTables
from earlysignal.errors import DataError
from earlysignal.features._timeline import TIMELINE_COLUMNS, timeline, timeline_text

T = pd.Timestamp


@pytest.fixture
def person() -> CanonicalTables:
    return CanonicalTables.from_frames({
        "people": pd.DataFrame({"person_id": ["a", "b"],
                                "date_of_birth": ["2009-05-01", "2009-06-01"]}),
        "events": pd.DataFrame({
            "person_id": ["a", "a", "a", "a", "b"],
            "event_date": ["2021-10-04", "2022-01-10", "2022-01-10", "2022-01-15",
                           "2021-01-01"],
            "source": ["school", "school", "police", "youth_justice", "school"],
            "event_type": ["suspension", "behaviour_incident", "police_contact",
                           "caution", "suspension"],
            "value": [3, 1, 1, 1, 2],
            "recorded_at": ["2021-11-20", None, "2022-02-01", None, None]}),
        "episodes": pd.DataFrame({
            "person_id": ["a", "a", "a"],
            "start_date": ["2019-09-01", "2021-11-01", "2022-01-15"],
            "end_date": [None, "2022-03-01", None],
            "source": ["school", "social_care", "social_care"],
            "episode_type": ["enrolment", "child_in_need", "looked_after"]}),
        "periods": pd.DataFrame({
            "person_id": ["a"] * 7,
            "period_start": ["2021-09-01"] * 3 + ["2022-01-04"] * 2
            + ["2022-01-05"] * 2,
            "period_end": ["2021-12-31"] * 3 + ["2022-01-04"] * 2 + ["2022-01-05"] * 2,
            "measure": ["sessions_possible", "authorised_absence",
                        "unauthorised_absence", "sessions_possible",
                        "unauthorised_absence", "sessions_possible",
                        "unauthorised_absence"],
            "value": [140, 8, 4, 2, 1, 2, 0],
            "recorded_at": [None, None, None, None, None, "2022-01-20", "2022-01-20"]}),
        "characteristics": pd.DataFrame({
            "person_id": ["a", "a", "a"], "attribute": ["fsm", "sen", "fsm"],
            "value": ["yes", "sen_support", "no"],
            "valid_from": ["2020-09-01", "2021-01-01", "2022-01-15"],
            "valid_to": [None, "2022-01-20", None]}),
    })


def test_full_timeline_is_ordered_by_date_then_source(person):
    tl = timeline(person, "a")
    assert list(tl.columns) == TIMELINE_COLUMNS
    assert tl[["date", "source"]].apply(tuple, axis=1).is_monotonic_increasing
    assert tl["known_by"].all()
    assert tl["description"].tolist() == [
        "On roll at school started (open)",
        "Free school meals: yes",
        "Special educational needs: SEN support",
        "Autumn term 2021 attendance: 12 of 140 sessions missed (8.6%), "
        "4 unauthorised",
        "Suspension (3 days)",
        "Child in need plan started (ended 01 Mar 2022)",
        "Spring term 2022 attendance (daily records to 05 Jan 2022): 1 of 4 sessions "
        "missed (25.0%), 1 unauthorised",
        "Police contact",
        "Behaviour incident",
        "Free school meals: no",
        "Looked after (in care) started (open)",
        "Youth caution",
    ]
    assert tl["kind"].tolist()[:4] == ["episode", "characteristic", "characteristic",
                                       "period"]
    autumn = tl.loc[tl["kind"] == "period"].iloc[0]
    assert autumn["value"] == pytest.approx(12 / 140)
    assert (autumn["date"], autumn["end_date"]) == (T("2021-09-01"), T("2021-12-31"))


def test_until_drops_rows_on_or_after_it_and_flags_late_records(person):
    tl = timeline(person, "a", until="2022-01-15")
    assert (tl["date"] < T("2022-01-15")).all()
    assert "Youth caution" not in tl["description"].tolist()
    assert not tl["description"].str.contains("Looked after").any()
    assert "Free school meals: no" not in tl["description"].tolist()
    flags = dict(zip(tl["description"], tl["known_by"], strict=True))
    assert flags["Suspension (3 days)"]
    assert not flags["Police contact"]          # recorded 1 Feb, after until
    assert flags["Behaviour incident"]
    # The daily attendance of 5 January was recorded on 20 January.
    assert not tl.loc[tl["kind"] == "period", "known_by"].iloc[1]
    assert (tl["known_by"] == (tl["known_at"] < T("2022-01-15"))).all()


def test_ends_on_or_after_until_are_not_shown(person):
    tl = timeline(person, "a", until="2022-01-20")
    cin = tl.loc[tl["type"] == "child_in_need"].iloc[0]
    assert pd.isna(cin["end_date"]) and cin["description"].endswith("(open)")
    sen = tl.loc[tl["type"] == "sen"].iloc[0]
    assert pd.isna(sen["end_date"])
    later = timeline(person, "a", until="2022-01-21")
    assert later.loc[later["type"] == "sen", "end_date"].iloc[0] == T("2022-01-20")


def test_period_rows_need_their_end_before_until(person):
    tl = timeline(person, "a", until="2021-12-31")
    assert not (tl["kind"] == "period").any()
    tl = timeline(person, "a", until="2022-01-05")
    daily = tl.loc[tl["kind"] == "period"].iloc[-1]
    assert daily["description"].startswith("Spring term 2022 attendance (daily "
                                           "records to 04 Jan 2022): 1 of 2 sessions")


def test_unknown_person_and_empty_timeline(person):
    with pytest.raises(DataError) as e:
        timeline(person, "zz")
    assert str(e.value).startswith("people, column 'person_id': person 'zz' is not "
                                   "in the people table")
    assert "Fix: check the identifier" in str(e.value)
    empty = timeline(person, "b", until="2020-01-01")
    assert list(empty.columns) == TIMELINE_COLUMNS and empty.empty


def test_timeline_text_marks_late_records(person):
    text = timeline_text(timeline(person, "a", until="2022-01-15"))
    lines = text.splitlines()
    assert lines[0].startswith("2019-09-01 ")
    assert any(ln.startswith("2022-01-10") and "Police contact  (recorded later)"
               in ln for ln in lines)


def test_other_measures_and_unknown_codes_still_read():
    t = CanonicalTables.from_frames({
        "people": pd.DataFrame({"person_id": ["a"], "date_of_birth": ["2010-01-01"]}),
        "events": pd.DataFrame({"person_id": ["a"], "event_date": ["2021-01-01"],
                                "source": ["health"], "event_type": ["a_and_e_visit"],
                                "value": [2.0]}),
        "periods": pd.DataFrame({"person_id": ["a"], "period_start": ["2021-01-01"],
                                 "period_end": ["2021-12-31"],
                                 "measure": ["reading_age"], "value": [11.5]}),
    })
    assert timeline(t, "a")["description"].tolist() == [
        "A and e visit (2)", "01 Jan 2021 to 31 Dec 2021: reading age 11.5",
    ]


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 400), st.one_of(st.none(),
                                                           st.integers(-3, 60)),
                            st.sampled_from(["school", "police", "social_care"])),
                  min_size=1, max_size=15),
    cut=st.integers(0, 420),
)
def test_property_only_rows_before_until_with_known_flags(rows, cut):
    base = T("2021-01-01")
    until = base + pd.Timedelta(days=cut)
    t = CanonicalTables.from_frames({
        "people": pd.DataFrame({"person_id": ["a"], "date_of_birth": ["2010-01-01"]}),
        "events": pd.DataFrame({
            "person_id": "a",
            "event_date": [base + pd.Timedelta(days=d) for d, _, _ in rows],
            "source": [s for _, _, s in rows], "event_type": "x",
            "recorded_at": [None if lag is None else
                            base + pd.Timedelta(days=d + lag) for d, lag, _ in rows]}),
    })
    tl = timeline(t, "a", until=until)
    want = sorted(
        (base + pd.Timedelta(days=d), s,
         max(d, d + (lag or 0)) < cut)
        for d, lag, s in rows if d < cut
    )
    got = list(zip(tl["date"], tl["source"], tl["known_by"], strict=True))
    assert sorted(got) == want
    assert [g[:2] for g in got] == sorted(g[:2] for g in got)


def test_a_persons_own_rows_give_the_timeline_of_the_whole_tables():
    """A caller that already holds one person's rows (a served page) gets the
    timeline the whole tables give, to the byte, at several cut-offs."""
    from earlysignal.data.synth import SynthConfig, generate

    tables = generate(SynthConfig(people=60, seed=3)).tables
    ids = list(tables["people"]["person_id"])[::8]
    kinds: set[str] = set()
    for pid in ids:
        own = {n: t[t["person_id"] == pid] for n, t in tables.items()}
        for until in (None, "2022-09-01", "2020-02-10"):
            whole = timeline(tables, pid, until=until)
            mine = timeline(own, pid, until=until)
            pd.testing.assert_frame_equal(mine, whole, check_exact=True)
            assert mine.to_csv() == whole.to_csv()
            kinds |= set(whole["kind"])
    assert kinds == {"event", "episode", "period", "characteristic"}
