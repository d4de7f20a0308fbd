"""Labels: escalation in (t, t + horizon], follow-up ends and censoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earlysignal.data import CanonicalTables
from earlysignal.errors import ConfigError, DataError, EarlysignalWarning
from earlysignal.features._labels import (
    LabelSpec,
    build_labels,
    latest_date,
    outcome_known_before,
    outcome_rows,
)

T = pd.Timestamp
AS_OF = T("2021-09-01")  # t + 12m = 2022-09-01


def tables(last: str | None = "2024-08-31", **frames: pd.DataFrame) -> CanonicalTables:
    """Canonical tables; ``last`` adds an attendance period recorded that day, so
    that the data reach the extract date the specs here give."""
    if last is not None and "periods" not in frames:
        frames["periods"] = pd.DataFrame({
            "person_id": ["someone_else"], "period_start": [T(last)],
            "period_end": [T(last)], "measure": ["sessions_possible"],
            "value": [1.0]})
    return CanonicalTables.from_frames(frames)


def people(*ids: str, dob: str = "2008-01-01") -> pd.DataFrame:
    return pd.DataFrame({"person_id": list(ids), "date_of_birth": dob})


def events(*rows: tuple) -> pd.DataFrame:
    cols = ["person_id", "event_date", "source", "event_type", "recorded_at"]
    return pd.DataFrame([r + (None,) * (5 - len(r)) for r in rows], columns=cols)


def episodes(*rows: tuple) -> pd.DataFrame:
    cols = ["person_id", "start_date", "end_date", "source", "episode_type"]
    return pd.DataFrame(list(rows), columns=cols)


def cohort(*ids: str, as_of: pd.Timestamp = AS_OF) -> pd.DataFrame:
    return pd.DataFrame({"person_id": list(ids), "as_of": [as_of] * len(ids)})


def spec(**kw: object) -> LabelSpec:
    base: dict[str, object] = {
        "name": "youth_justice_fte", "horizon": "12m",
        "outcome": [{"table": "events", "source": "youth_justice"},
                    {"table": "episodes", "source": "social_care",
                     "type": ["child_protection", "looked_after"]}],
        "followup": {"extract_date": "2024-08-31"},
    }
    return LabelSpec.from_config(base | kw)


def by_person(res, col: str) -> dict:
    return dict(zip(res.frame["person_id"], res.frame[col], strict=True))


# --------------------------------------------------------------------------- config


def test_config_errors_name_paths_and_hints():
    with pytest.raises(ConfigError) as e:
        LabelSpec.from_config({
            "horizon": "all", "censoring": "drop",
            "outcome": [{"table": "periods"}, {"table": "events", "soruce": "x"}],
            "followup": {"max_age": 0, "extract_date": "last summer"},
        }, source="demo.yaml", path="label")
    msg = str(e.value)
    assert msg.startswith("demo.yaml has 6 problems:")
    assert "label.horizon: 'all' has no end here (hint: use a length such as 12m)" \
        in msg
    assert "label.censoring: Input should be 'exclude' or 'negative'" in msg
    assert "label.outcome[0].table: Input should be 'events' or 'episodes'" in msg
    assert "label.outcome[1].soruce: unknown key (hint: remove it or check its " \
        "spelling)" in msg
    assert "label.followup.max_age: 0 is not an age" in msg
    assert "label.followup.extract_date: " in msg and "YYYY-MM-DD" in msg


def test_outcome_rows_match_events_and_episode_starts():
    t = tables(
        events=events(("a", "2021-01-01", "youth_justice", "caution", "2021-02-01"),
                      ("a", "2021-01-02", "police", "police_contact")),
        episodes=episodes(
            ("b", "2021-03-01", None, "social_care", "looked_after"),
            ("b", "2021-04-01", None, "social_care", "child_in_need")),
    )
    rows = outcome_rows(t, spec())
    assert rows.astype({"date": str, "known_at": str}).values.tolist() == [
        ["a", "2021-01-01", "2021-02-01"], ["b", "2021-03-01", "2021-03-01"],
    ]


def test_outcome_known_before_uses_known_dates():
    t = tables(events=events(("a", "2021-01-01", "youth_justice", "caution",
                              "2021-02-01")))
    f = pd.DataFrame({"person_id": ["a", "a", "b"],
                      "as_of": [T("2021-02-01"), T("2021-02-02"), T("2021-02-02")]})
    assert outcome_known_before(t, spec(), f).tolist() == [False, True, False]


# --------------------------------------------------------------------------- windows


def test_escalation_window_is_open_at_t_and_closed_at_t_plus_h():
    t = tables(
        people=people(*"abcdef"),
        events=events(
            ("a", "2021-09-01", "youth_justice", "caution"),        # on t: no
            ("b", "2022-09-01", "youth_justice", "caution"),        # on t + h: yes
            ("c", "2022-09-02", "youth_justice", "caution"),        # after: no
            ("d", "2021-09-02", "police", "police_contact"),        # not an outcome
            ("e", "2022-05-01", "youth_justice", "court_disposal"),
            ("e", "2021-12-01", "youth_justice", "caution"),        # first wins
        ),
        episodes=episodes(("f", "2022-01-10", None, "social_care", "looked_after")),
    )
    res = build_labels(t, cohort(*"abcdef"), spec())
    assert by_person(res, "label") == {"a": 0, "b": 1, "c": 0, "d": 0, "e": 1,
                                       "f": 1}
    dates = {k: (None if pd.isna(v) else f"{v:%Y-%m-%d}")
             for k, v in by_person(res, "label_date").items()}
    assert dates == {"a": None, "b": "2022-09-01", "c": None, "d": None,
                     "e": "2021-12-01", "f": "2022-01-10"}
    assert not res.frame["censored"].any()
    assert str(res.frame["label"].dtype) == "Int8"
    assert res.counts["positives"] == 3 and res.counts["negatives"] == 3


def test_labels_use_happened_dates_and_ignore_rows_recorded_after_extract():
    t = tables(
        people=people("a", "b"),
        events=events(
            # happened in the window, recorded long after: still an escalation
            ("a", "2022-03-01", "youth_justice", "caution", "2023-06-01"),
            # happened in the window but only recorded after the extract date
            ("b", "2022-03-01", "youth_justice", "caution", "2024-09-15"),
        ),
    )
    res = build_labels(t, cohort("a", "b"), spec())
    assert by_person(res, "label") == {"a": 1, "b": 0}


def test_frame_keeps_cohort_order_and_index():
    t = tables(people=people("a", "b"),
               events=events(("b", "2022-01-01", "youth_justice", "caution")))
    f = pd.DataFrame({"person_id": ["b", "a", "b"],
                      "as_of": [AS_OF, AS_OF, T("2022-01-01")]}, index=[10, 11, 12])
    res = build_labels(t, f, spec())
    assert res.frame.index.tolist() == [10, 11, 12]
    assert res.frame["label"].tolist() == [1, 0, 0]
    assert list(res.frame.columns) == ["person_id", "as_of", "label", "label_date",
                                       "label_known_at", "followup_end", "censored",
                                       "censor_reason", "escalated_before"]


def test_label_known_at_is_when_the_escalation_was_first_recorded():
    t = tables(people=people("a", "b"),
               events=events(("a", "2022-01-10", "youth_justice", "caution",
                              T("2022-03-01")),
                             ("a", "2022-01-10", "youth_justice", "caution",
                              T("2022-02-01")),
                             ("b", "2022-02-01", "youth_justice", "caution")))
    res = build_labels(t, cohort("a", "b"), spec())
    known = dict(zip(res.frame["person_id"], res.frame["label_known_at"],
                     strict=True))
    assert known == {"a": T("2022-02-01"), "b": T("2022-02-01")}


# --------------------------------------------------------------------------- censoring


def test_extract_date_censors_and_both_rules():
    t = tables(
        people=people("early", "late", "none"),
        events=events(("early", "2022-03-01", "youth_justice", "caution"),
                      ("late", "2022-07-15", "youth_justice", "caution")),
    )
    fu = {"extract_date": "2022-06-30"}
    excl = build_labels(t, cohort("early", "late", "none"), spec(followup=fu))
    # "early" escalated before follow-up ended, but keeping censored positives while
    # dropping censored negatives would bias the labels: every censored row goes.
    assert by_person(excl, "label") == {"early": pd.NA, "late": pd.NA, "none": pd.NA}
    assert by_person(excl, "censored") == {"early": True, "late": True, "none": True}
    assert by_person(excl, "label_date")["early"] == T("2022-03-01")
    assert set(excl.frame["followup_end"]) == {T("2022-06-30")}
    assert excl.counts == {
        "rows": 3, "positives": 0, "negatives": 0, "censored_excluded": 3,
        "censored_excluded_with_escalation": 1, "censored_negative": 0,
        "first_outcome_on_or_before_as_of": 0,
        "censored_left_area": 0, "censored_aged_out": 0, "censored_extract_ends": 3,
        # the cohort date precedes every record here, which the labels warn about
        "rows_before_first_record": 3}
    assert excl.training_frame().empty

    neg = build_labels(t, cohort("early", "late", "none"),
                       spec(followup=fu, censoring="negative"))
    assert by_person(neg, "label") == {"early": 1, "late": 0, "none": 0}
    assert by_person(neg, "censor_reason")["late"] == "extract_ends"
    assert neg.counts["censored_negative"] == 2
    assert neg.counts["censored_excluded"] == 0
    assert len(neg.training_frame()) == 3


def test_leaving_the_area_ends_follow_up_on_the_last_day_on_roll():
    enrol = [
        ("gone", "2019-09-01", "2022-01-31"),
        ("gone_esc", "2019-09-01", "2022-01-31"),
        ("gone_late", "2019-09-01", "2022-01-31"),
        ("back", "2019-09-01", "2022-01-31"), ("back", "2022-03-01", "2023-07-31"),
        ("open", "2019-09-01", None), ("open", "2018-09-01", "2019-07-31"),
        ("at_extract", "2019-09-01", "2024-08-31"),
    ]
    t = tables(
        people=people("gone", "gone_esc", "gone_late", "back", "open", "at_extract",
                      "never"),
        episodes=episodes(*[(p, s, e, "school", "enrolment") for p, s, e in enrol]),
        events=events(("gone_esc", "2022-01-31", "youth_justice", "caution"),
                      ("gone_late", "2022-02-01", "youth_justice", "caution")),
    )
    ids = ["gone", "gone_esc", "gone_late", "back", "open", "never"]
    s = spec(followup={"extract_date": "2024-08-31",
                       "leaves": {"source": "school", "type": "enrolment"}})
    res = build_labels(t, cohort(*ids), s)
    assert by_person(res, "label") == {"gone": pd.NA, "gone_esc": pd.NA,
                                       "gone_late": pd.NA, "back": 0, "open": 0,
                                       "never": 0}
    assert by_person(res, "label_date")["gone_esc"] == T("2022-01-31")
    assert by_person(res, "censor_reason")["gone"] == "left_area"
    assert by_person(res, "followup_end")["gone"] == T("2022-01-31")
    assert by_person(res, "followup_end")["back"] == T("2023-07-31")
    assert res.counts["censored_left_area"] == 3
    assert res.counts["censored_excluded_with_escalation"] == 1
    # Leaving on the extract day is the extract ending, not a move away.
    late = build_labels(t, cohort("at_extract", as_of=T("2024-01-01")), s)
    assert late.frame["censor_reason"].tolist() == ["extract_ends"]


def test_ageing_out_ends_follow_up_the_day_before_the_birthday():
    t = tables(
        people=pd.DataFrame({"person_id": ["a", "b", "c"],
                             "date_of_birth": ["2004-03-15"] * 3}),
        events=events(("a", "2022-03-14", "youth_justice", "caution"),
                      ("b", "2022-03-15", "youth_justice", "caution")),
    )
    res = build_labels(t, cohort("a", "b", "c"),
                       spec(followup={"extract_date": "2024-08-31", "max_age": 18}))
    assert by_person(res, "label") == {"a": pd.NA, "b": pd.NA, "c": pd.NA}
    assert by_person(res, "label_date")["a"] == T("2022-03-14")
    assert pd.isna(by_person(res, "label_date")["b"])  # on the birthday: an adult
    assert by_person(res, "followup_end")["c"] == T("2022-03-14")
    assert res.counts["censored_aged_out"] == 3
    assert by_person(res, "censor_reason")["a"] == "aged_out"


def test_default_extract_date_is_the_latest_date_in_the_data():
    t = tables(
        last=None,
        people=people("a"),
        events=events(("a", "2022-01-01", "police", "x", "2022-06-30")),
        episodes=episodes(("a", "2021-01-01", "2022-05-01", "school", "enrolment")),
    )
    assert latest_date(t) == T("2022-06-30")
    res = build_labels(t, cohort("a"), LabelSpec(
        horizon="12m", outcome=[{"table": "events", "source": "youth_justice"}]))
    assert res.extract_date == T("2022-06-30")
    assert res.frame["censor_reason"].tolist() == ["extract_ends"]
    with pytest.raises(DataError, match="set label.followup.extract_date"):
        latest_date(tables(last=None, people=people("a")))


# --------------------------------------------------------------------------- property


@st.composite
def _case(draw: st.DrawFn):
    n = draw(st.integers(1, 5))
    ids = [f"p{i}" for i in range(n)]
    day = st.integers(0, 1400).map(lambda d: T("2020-01-01") + pd.Timedelta(days=d))
    ev = draw(st.lists(st.tuples(
        st.sampled_from(ids), day, st.sampled_from(["youth_justice", "police"]),
        st.integers(0, 200)), max_size=12))
    ep = draw(st.lists(st.tuples(st.sampled_from(ids), day,
                                 st.one_of(st.none(), st.integers(0, 600))),
                       max_size=6))
    dob = {p: T("2003-06-01") + pd.Timedelta(days=draw(st.integers(0, 2000)))
           for p in ids}
    rows = draw(st.lists(st.tuples(st.sampled_from(ids), day), min_size=1,
                         max_size=8, unique=True))
    censoring = draw(st.sampled_from(["exclude", "negative"]))
    return ids, ev, ep, dob, rows, censoring


def _naive(ev, ep, dob, pid, t, extract, horizon_end):
    """Follow-up and label by looping, straight from the definitions."""
    ends = {"extract_ends": extract,
            "aged_out": dob[pid] + pd.DateOffset(years=18) - pd.Timedelta(days=1)}
    spells = [(s, e) for p, s, e in ep if p == pid]
    if spells and all(e is not None for _, e in spells):
        ends["left_area"] = max(s + pd.Timedelta(days=e) for s, e in spells)
    fu = min(ends.values())
    seen = [d for p, d, src, lag in ev if p == pid and src == "youth_justice"
            and d + pd.Timedelta(days=lag) <= extract and t < d <= min(horizon_end,
                                                                       fu)]
    return (min(seen) if seen else None), fu


@settings(max_examples=60, deadline=None)
@given(case=_case())
def test_labels_match_a_naive_loop(case):
    ids, ev, ep, dob, rows, censoring = case
    extract = T("2023-08-31")
    t = tables(
        last=str(extract.date()),
        people=pd.DataFrame({"person_id": ids, "date_of_birth": [dob[p] for p in ids]}),
        events=events(*[(p, d, s, "x", d + pd.Timedelta(days=lag))
                        for p, d, s, lag in ev]) if ev else events(),
        episodes=episodes(*[(p, s, None if e is None else s + pd.Timedelta(days=e),
                             "school", "enrolment") for p, s, e in ep])
        if ep else episodes(),
    )
    s = LabelSpec.from_config({
        "horizon": "12m", "censoring": censoring,
        "outcome": [{"table": "events", "source": "youth_justice"}],
        "followup": {"extract_date": extract.date(), "max_age": 18,
                     "leaves": {"source": "school", "type": "enrolment"}}})
    f = pd.DataFrame(rows, columns=["person_id", "as_of"])
    res = build_labels(t, f, s).frame
    for r in res.itertuples():
        horizon_end = r.as_of + pd.DateOffset(months=12)
        first, fu = _naive(ev, ep, dob, r.person_id, r.as_of, extract, horizon_end)
        assert r.followup_end == fu
        assert r.censored == (fu < horizon_end)
        if r.censored and censoring == "exclude":
            assert r.label is pd.NA
        elif first is not None:
            assert (r.label, r.label_date) == (1, first)
        elif r.censored:
            assert r.label == 0
        else:
            assert (r.label, r.censored) == (0, False)
            assert pd.isna(r.label_date)
        if not r.censored and r.label == 1:
            assert r.as_of < r.label_date <= horizon_end


def test_labels_on_many_rows_agree_with_searchsorted_reference():
    rng = np.random.default_rng(3)
    n = 2000
    ids = np.array([f"p{i}" for i in range(n)])
    dates = T("2019-09-01") + pd.to_timedelta(rng.integers(0, 1800, 3 * n), unit="D")
    t = tables(
        people=pd.DataFrame({"person_id": ids, "date_of_birth": "2000-01-01"}),
        events=pd.DataFrame({"person_id": rng.choice(ids, 3 * n), "event_date": dates,
                             "source": "youth_justice", "event_type": "caution"}),
    )
    f = pd.DataFrame({"person_id": np.repeat(ids, 3),
                      "as_of": np.tile(pd.to_datetime(
                          ["2020-09-01", "2021-09-01", "2022-09-01"]), n)})
    res = build_labels(t, f, spec(followup={"extract_date": "2024-08-31"}))
    ev = t["events"].sort_values("event_date")
    per = {p: g["event_date"].to_numpy() for p, g in ev.groupby("person_id")}
    want = []
    for p, a in zip(f["person_id"], f["as_of"], strict=True):
        d = per.get(p, np.array([], dtype="datetime64[us]"))
        i = np.searchsorted(d, np.datetime64(a), side="right")
        want.append(int(i < len(d) and d[i] <= np.datetime64(a + pd.DateOffset(
            months=12))))
    assert res.frame["label"].tolist() == want


def test_a_cohort_that_starts_before_the_outcome_records_is_warned_about():
    import warnings as w

    from earlysignal.data import CanonicalTables
    from earlysignal.errors import EarlysignalWarning
    from earlysignal.features import LabelSpec, build_labels

    t = CanonicalTables.from_frames({
        "people": pd.DataFrame({"person_id": ["a", "b"],
                                "date_of_birth": ["2008-01-01"] * 2}),
        "events": pd.DataFrame({"person_id": ["a", "b"],
                                "event_date": ["2020-03-05", "2021-06-01"],
                                "source": ["school", "youth_justice"],
                                "event_type": ["suspension", "caution"]})})
    spec = LabelSpec(horizon="12m", outcome=[{"table": "events",
                                              "source": "youth_justice"}])
    cohort = pd.DataFrame({"person_id": ["a", "b", "a", "b"], "as_of": pd.to_datetime(
        ["2019-09-01", "2019-09-01", "2020-09-01", "2020-09-01"])})
    with pytest.warns(EarlysignalWarning, match=r"2 cohort rows at as-of dates "
                      r"before the first record of the outcome table \(2020-03-05\): "
                      r"2019-09-01\. .*Fix: start the cohort on or after 2020-03-05"):
        res = build_labels(t, cohort, spec)
    assert res.counts["rows_before_first_record"] == 2
    with w.catch_warnings():
        w.simplefilter("error")
        later = build_labels(t, cohort.iloc[2:], spec)
    assert later.counts["rows_before_first_record"] == 0


# --------------------------------------------------------------------------- first


def _first_world() -> CanonicalTables:
    d = T
    return tables(
        people=people("late", "late_quiet", "on_t", "fresh", "none"),
        events=events(
            # first outcome before t, recorded after it: the cohort keeps them
            ("late", d("2021-06-01"), "youth_justice", "caution", d("2021-10-01")),
            ("late", d("2022-01-15"), "youth_justice", "caution"),      # a repeat
            ("late_quiet", d("2021-06-01"), "youth_justice", "caution",
             d("2021-09-01")),
            ("on_t", AS_OF, "youth_justice", "caution"),                # on t
            ("on_t", d("2022-02-01"), "youth_justice", "caution"),      # a repeat
            ("fresh", d("2022-01-01"), "youth_justice", "caution"),
            ("fresh", d("2022-03-01"), "youth_justice", "caution"),
        ),
    )


def test_a_first_label_sets_aside_people_whose_first_outcome_came_by_t():
    ids = ["late", "late_quiet", "on_t", "fresh", "none"]
    res = build_labels(_first_world(), cohort(*ids), spec(), first=True)
    assert by_person(res, "label") == {"late": pd.NA, "late_quiet": pd.NA,
                                       "on_t": pd.NA, "fresh": 1, "none": 0}
    assert by_person(res, "escalated_before") == {
        "late": True, "late_quiet": True, "on_t": True, "fresh": False,
        "none": False}
    # a repeat outcome is never the escalation of a first label
    assert res.frame["label_date"].isna().tolist() == [True, True, True, False,
                                                       True]
    c = res.counts
    assert (c["positives"], c["negatives"], c["first_outcome_on_or_before_as_of"],
            c["censored_excluded"]) == (1, 1, 3, 0)
    assert len(res.training_frame()) == 2
    # Without `first` the label is any escalation in the window: repeats count.
    anyone = build_labels(_first_world(), cohort(*ids), spec())
    assert by_person(anyone, "label") == {"late": 1, "late_quiet": 0, "on_t": 1,
                                          "fresh": 1, "none": 0}
    assert anyone.counts["first_outcome_on_or_before_as_of"] == 0


def test_rows_set_aside_for_an_earlier_outcome_are_not_counted_as_censored():
    ids = ["late", "fresh", "none"]
    fu = {"extract_date": "2022-06-30"}       # every row is censored
    for censoring in ("exclude", "negative"):
        res = build_labels(_first_world(), cohort(*ids),
                           spec(followup=fu, censoring=censoring), first=True)
        c = res.counts
        assert c["first_outcome_on_or_before_as_of"] == 1
        assert c["censored_extract_ends"] == 2
        assert c["rows"] == (c["positives"] + c["negatives"] + c["censored_excluded"]
                             + c["first_outcome_on_or_before_as_of"])
        assert by_person(res, "label")["late"] is pd.NA


def test_label_known_at_is_the_earliest_recorded_outcome_in_the_window():
    # The first outcome to happen was recorded last; a later one was known sooner.
    t = tables(people=people("a"),
               events=events(("a", "2021-09-10", "youth_justice", "caution",
                              T("2022-04-01")),
                             ("a", "2021-10-20", "youth_justice", "caution",
                              T("2021-10-30")),
                             # outside the window: recorded early, does not count
                             ("a", "2022-09-20", "youth_justice", "caution",
                              T("2022-09-20"))))
    res = build_labels(t, cohort("a"), spec())
    assert res.frame["label_date"].tolist() == [T("2021-09-10")]
    assert res.frame["label_known_at"].tolist() == [T("2021-10-30")]


def _labels_frame(ev, ids, rows, extract, first):
    t = tables(last=str(extract.date()),
               people=pd.DataFrame({"person_id": ids, "date_of_birth": "2006-01-01"}),
               events=events(*[(p, d, s, "x", d + pd.Timedelta(days=lag))
                               for p, d, s, lag in ev]) if ev else events())
    s = LabelSpec.from_config({
        "horizon": "12m", "outcome": [{"table": "events", "source": "youth_justice"}],
        "followup": {"extract_date": extract.date()}})
    return build_labels(t, pd.DataFrame(rows, columns=["person_id", "as_of"]), s,
                        first=first)


@st.composite
def _close_outcomes(draw: st.DrawFn):
    """Outcomes close together with long, uneven recording lags (one happening
    later is often recorded sooner), rows at as-of dates among them, and a date
    on which a model is trained."""
    ids = ["p0", "p1"]
    day = st.integers(0, 700).map(lambda d: T("2020-01-01") + pd.Timedelta(days=d))
    ev = draw(st.lists(st.tuples(st.sampled_from(ids), day,
                                 st.just("youth_justice"), st.integers(0, 300)),
                       max_size=10))
    rows = draw(st.lists(st.tuples(st.sampled_from(ids), day), min_size=1,
                         max_size=6, unique=True))
    # on or just after the day an outcome was recorded: where the rule bites
    _, d, _, lag = draw(st.sampled_from(ev)) if ev else (None, T("2021-06-01"),
                                                          None, 0)
    when = d + pd.Timedelta(days=lag + draw(st.integers(0, 1)))
    return ids, ev, rows, when, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(case=_close_outcomes())
def test_a_positive_known_before_a_date_stays_positive_in_training_then(case):
    """What a model trained at ``when`` may see: a row is positive iff some outcome
    in its window was recorded before ``when`` (the rule of ``_labels_known_by``)."""
    from earlysignal.model._evaluate import _labels_known_by

    ids, ev, rows, when, first = case
    extract = T("2022-12-31")
    frame = _labels_frame(ev, ids, rows, extract, first).training_frame()
    y = frame["label"].astype(int).to_numpy()
    got = _labels_known_by(frame, y, np.arange(len(frame)), when, "label_known_at")
    for r, seen in zip(frame.itertuples(), got, strict=True):
        end = min(r.as_of + pd.DateOffset(months=12), r.followup_end)
        known = [d + pd.Timedelta(days=lag) for p, d, s, lag in ev
                 if p == r.person_id and r.as_of < d <= end
                 and d + pd.Timedelta(days=lag) <= extract]
        assert seen == int(r.label == 1 and any(k < when for k in known))


@settings(max_examples=40, deadline=None)
@given(case=_case())
def test_a_first_label_is_never_a_repeat_outcome(case):
    ids, ev, _, _, rows, _ = case
    extract = T("2023-08-31")
    res = _labels_frame(ev, ids, rows, extract, first=True)
    outcomes = [(p, d) for p, d, s, lag in ev if s == "youth_justice"
                and d + pd.Timedelta(days=lag) <= extract]
    for r in res.frame.itertuples():
        dates = [d for p, d in outcomes if p == r.person_id]
        first = min(dates) if dates else None
        before = first is not None and first <= r.as_of
        assert r.escalated_before == before
        if before:
            assert r.label is pd.NA and pd.isna(r.label_date)
        elif pd.notna(r.label) and r.label == 1:
            assert r.label_date == first
    c = res.counts
    assert c["first_outcome_on_or_before_as_of"] == int(
        res.frame["escalated_before"].sum())
    assert c["rows"] == (c["positives"] + c["negatives"] + c["censored_excluded"]
                         + c["first_outcome_on_or_before_as_of"])


# --------------------------------------------------------------------------- extract


def test_an_extract_date_after_the_last_record_censors_the_rows_at_stake():
    t = tables(last=None,
               people=people("a", "b", "c", "d"),
               events=events(("a", "2022-01-10", "youth_justice", "caution"),
                             ("d", "2022-06-30", "police", "x", "2022-07-15")))
    f = pd.DataFrame({"person_id": ["a", "b", "c", "b", "d"], "as_of": [
        T("2021-09-01"), T("2021-09-01"), T("2021-06-01"), T("2022-06-01"),
        T("2021-07-01")]})
    # Windows end 2022-09-01 (a: positive, b: runs past the data), 2022-06-01
    # (c: observed), 2023-06-01 (b) and 2022-07-01 (d: observed). With the stated
    # extract, b's first row would have read as an observed negative.
    with pytest.warns(EarlysignalWarning) as w:
        late = build_labels(t, f, spec(followup={"extract_date": "2023-01-31"}))
    msg = str(w[0].message)
    assert "label.followup.extract_date: 2023-01-31 is after the data's last record "\
        "(2022-07-15), so follow-up is taken to end on 2022-07-15: 3 cohort rows "\
        "whose 12m windows run past it are set aside as censored rather than read "\
        "as negatives" in msg
    assert "set it to the date the extract was taken, on or before 2022-07-15, or "\
        "leave it out so that the data's last record date is used" in msg
    same = build_labels(t, f, spec(followup={"extract_date": "2022-07-15"}))
    default = build_labels(t, f, spec(followup={}))
    assert default.extract_date == T("2022-07-15")
    pd.testing.assert_frame_equal(same.frame, default.frame)
    # the late extract date changes nothing: b's first row is censored, not 0
    pd.testing.assert_frame_equal(late.frame, default.frame)
    assert late.frame["censored"].tolist() == [True, True, False, True, False]
    assert same.counts["censored_extract_ends"] == 3   # a, and b twice


def test_a_planned_spell_end_is_not_a_record_and_does_not_extend_follow_up():
    t = tables(last=None, people=people("a"),
               events=events(("a", "2022-01-01", "police", "x", "2022-06-30")),
               episodes=episodes(("a", "2021-09-01", "2023-07-31", "school",
                                  "enrolment")))
    assert latest_date(t) == T("2022-06-30")
    res = build_labels(t, cohort("a"), LabelSpec(
        horizon="12m", outcome=[{"table": "events", "source": "youth_justice"}]))
    assert res.extract_date == T("2022-06-30")
    assert res.frame["label"].tolist() == [pd.NA]
