"""The synthetic cohort: determinism, canonical schemas, internal consistency, base
rates, the oracle, and the signal, bias and missing-source knobs."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import roc_auc_score

from earlysignal.data import coerce_table, pandera_schema
from earlysignal.data.synth import SynthBias, SynthConfig, generate, write_cohort
from earlysignal.data.synth._model import escalation_probability
from earlysignal.errors import ConfigError

TABLES = ("people", "events", "episodes", "periods", "characteristics")
WARNING_TYPES = ("behaviour_incident", "suspension", "permanent_exclusion",
                 "police_contact", "missing_episode", "referral")


@pytest.fixture(scope="module")
def cohort():
    return generate(SynthConfig(people=5000, seed=11))


@pytest.fixture(scope="module")
def no_signal():
    return generate(SynthConfig(people=5000, seed=11, signal_strength=0.0))


def _labels(truth: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Realised labels from the recorded youth-justice events, independently of truth."""
    yj = events[events["source"] == "youth_justice"]
    first = yj.groupby("person_id")["event_date"].min()
    out = truth.copy()
    out["first_yj"] = out["person_id"].map(first)
    end = out["as_of"] + pd.DateOffset(months=12)
    out["y"] = ((out["first_yj"] > out["as_of"]) & (out["first_yj"] <= end)).astype(int)
    out["y_true"] = ((out["escalation_date"] > out["as_of"])
                     & (out["escalation_date"] <= end)).astype(int)
    return out


def _warning_count(truth: pd.DataFrame, events: pd.DataFrame, days: int = 365
                   ) -> np.ndarray:
    ev = events[events["event_type"].isin(WARNING_TYPES)][["person_id", "event_date"]]
    m = truth[["person_id", "as_of"]].reset_index().merge(ev, on="person_id")
    m = m[(m["event_date"] < m["as_of"])
          & (m["event_date"] >= m["as_of"] - pd.Timedelta(days=days))]
    counts = m.groupby("index").size()
    return truth.index.to_series().map(counts).fillna(0).to_numpy()


def _enrolment(tables) -> pd.DataFrame:
    ep = tables["episodes"]
    return ep[ep["episode_type"] == "enrolment"].set_index("person_id")


# --- determinism -------------------------------------------------------------------


def _bytes(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_writes_identical_bytes(tmp_path):
    cfg = SynthConfig(people=700, seed=3, chunk_people=300)
    write_cohort(cfg, tmp_path / "a")
    write_cohort(cfg, tmp_path / "b")
    a, b = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    assert sorted(a) == ["characteristics.parquet", "episodes.parquet",
                         "events.parquet", "people.parquet", "periods.parquet",
                         "truth.parquet"]
    assert a == b
    # one row group per chunk: 700 people in chunks of 300
    assert pq.ParquetFile(tmp_path / "a" / "people.parquet").num_row_groups == 3


def test_different_seed_gives_different_data(tmp_path):
    write_cohort(SynthConfig(people=300, seed=3), tmp_path / "a")
    write_cohort(SynthConfig(people=300, seed=4), tmp_path / "b")
    a, b = _bytes(tmp_path / "a"), _bytes(tmp_path / "b")
    assert all(a[name] != b[name] for name in a)


def test_written_files_hold_the_same_data_as_generate(tmp_path):
    cfg = SynthConfig(people=400, seed=8, chunk_people=150)
    paths = write_cohort(cfg, tmp_path)
    mem = generate(cfg)
    for name in TABLES:
        disk = coerce_table(name, pd.read_parquet(paths[name]))
        pd.testing.assert_frame_equal(disk, mem.tables[name])
    pd.testing.assert_frame_equal(pd.read_parquet(paths["truth"]), mem.truth,
                                  check_dtype=False)


def test_a_chunk_does_not_depend_on_later_chunks():
    small = generate(SynthConfig(people=200, seed=5, chunk_people=200))
    large = generate(SynthConfig(people=500, seed=5, chunk_people=200))
    for name in TABLES:
        part = large.tables[name]
        part = part[part["person_id"] <= "P0000200"].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, small.tables[name])


# --- schema and vocabulary -------------------------------------------------------------


def test_every_table_passes_the_canonical_schema(cohort):
    for name in TABLES:
        df = cohort.tables[name]
        assert len(df) > 0
        pandera_schema(name).validate(coerce_table(name, df))


def test_vocabulary(cohort):
    t = cohort.tables
    ev = t["events"]
    assert set(zip(ev["source"], ev["event_type"], strict=True)) == {
        ("school", "behaviour_incident"), ("school", "suspension"),
        ("school", "permanent_exclusion"), ("police", "police_contact"),
        ("police", "missing_episode"), ("social_care", "referral"),
        ("youth_justice", "caution"), ("youth_justice", "conditional_caution"),
        ("youth_justice", "court_disposal")}
    ep = t["episodes"]
    assert set(zip(ep["source"], ep["episode_type"], strict=True)) == {
        ("school", "enrolment"), ("social_care", "early_help"),
        ("social_care", "child_in_need"), ("social_care", "child_protection"),
        ("social_care", "looked_after")}
    assert set(t["periods"]["measure"]) == {"sessions_possible", "authorised_absence",
                                            "unauthorised_absence"}
    ch = t["characteristics"]
    values = ch.groupby("attribute")["value"].agg(set).to_dict()
    assert values == {"sex": {"F", "M"}, "fsm": {"yes", "no"},
                      "sen": {"none", "sen_support", "ehcp"},
                      "ethnicity": {"White", "Mixed", "Asian", "Black", "Other"}}
    people = t["people"]
    assert people["school"].str.fullmatch(r"SCH(0[1-9]|[1-3]\d|40)").all()
    assert set(people["team"]) == {"North", "South", "East", "West", "Central"}
    assert people["person_id"].is_unique
    assert (people["date_of_birth"].dt.day == 1).all()
    assert set(cohort.truth["horizon"]) == {"12m"}
    # suspensions carry days; everything else counts once
    sus = ev["event_type"] == "suspension"
    assert ev.loc[sus, "value"].between(1, 15).all()
    assert (ev.loc[~sus, "value"] == 1).all()


# --- internal consistency -----------------------------------------------------------


def test_absences_never_exceed_sessions_possible(cohort):
    wide = cohort.tables["periods"].pivot_table(
        index=["person_id", "period_start", "period_end"], columns="measure",
        values="value", aggfunc="sum", fill_value=0)
    assert (wide["sessions_possible"] > 0).all()
    absent = wide["authorised_absence"] + wide["unauthorised_absence"]
    assert (absent <= wide["sessions_possible"]).all()
    # termly periods lie inside one term
    idx = wide.index.to_frame()
    assert (idx["period_end"] >= idx["period_start"]).all()
    assert ((idx["period_end"] - idx["period_start"]).dt.days < 123).all()


def test_dates_are_ordered(cohort):
    t = cohort.tables
    ep = t["episodes"]
    assert (ep["end_date"].isna() | (ep["end_date"] >= ep["start_date"])).all()
    ch = t["characteristics"]
    assert (ch["valid_to"].isna() | (ch["valid_to"] >= ch["valid_from"])).all()
    for name, own in (("events", "event_date"), ("episodes", "start_date"),
                      ("periods", "period_end")):
        df = t[name]
        assert df["recorded_at"].notna().all()
        lag = (df["recorded_at"] - df[own]).dt.days
        assert (lag >= 0).all()
    # some records are entered weeks late
    lag = (t["events"]["recorded_at"] - t["events"]["event_date"]).dt.days
    assert 0.01 < (lag > 28).mean() < 0.2


def test_characteristic_spells_do_not_overlap(cohort):
    ch = cohort.tables["characteristics"].sort_values(
        ["person_id", "attribute", "valid_from"])
    nxt = ch.groupby(["person_id", "attribute"])["valid_from"].shift(-1)
    has_next = nxt.notna()
    assert (ch.loc[has_next, "valid_to"] < nxt[has_next]).all()
    assert ch.loc[~has_next, "valid_to"].isna().all()


def test_ages_in_range(cohort):
    t = cohort.tables
    dob = t["people"].set_index("person_id")["date_of_birth"]
    ev = t["events"]
    age = (ev["event_date"] - ev["person_id"].map(dob)).dt.days / 365.25
    assert age.between(7.9, 17.1).all()
    yj = ev["source"] == "youth_justice"
    assert (age[yj] >= 9.99).all()  # 10 years, give or take a leap day
    tr = cohort.truth
    age_t = (tr["as_of"] - tr["person_id"].map(dob)).dt.days / 365.25
    assert age_t.between(9.99, 17).all()


def test_no_data_before_joining_or_after_leaving(cohort):
    t = cohort.tables
    enr = _enrolment(t)
    assert enr.index.is_unique and set(enr.index) == set(t["people"]["person_id"])
    for name, first, last in (("events", "event_date", "event_date"),
                              ("episodes", "start_date", "end_date"),
                              ("periods", "period_start", "period_end")):
        df = t[name]
        start = df["person_id"].map(enr["start_date"])
        end = df["person_id"].map(enr["end_date"])
        assert (df[first] >= start).all(), name
        assert (end.isna() | df[last].isna() | (df[last] <= end)).all(), name
        assert (df[first] <= pd.Timestamp("2024-08-31")).all(), name
    ch = t["characteristics"]
    end = ch["person_id"].map(enr["end_date"])
    assert (end.isna() | (ch["valid_from"] <= end)).all()
    assert (ch["valid_to"].isna() | end.isna() | (ch["valid_to"] <= end)).all()
    leavers = enr["end_date"].notna() & (enr["end_date"] < pd.Timestamp("2024-08-31"))
    assert 0.2 < leavers.mean() < 0.8


def test_truth_rows_are_people_on_roll_and_not_yet_escalated(cohort):
    t, tr = cohort.tables, cohort.truth
    enr = _enrolment(t)
    start = tr["person_id"].map(enr["start_date"])
    end = tr["person_id"].map(enr["end_date"])
    assert (start < tr["as_of"]).all()
    assert (end.isna() | (end >= tr["as_of"])).all()
    assert (tr["escalation_date"].isna() | (tr["escalation_date"] > tr["as_of"])).all()
    assert tr["p_true"].between(0, 1).all()
    assert sorted(tr["as_of"].dt.strftime("%Y-%m-%d").unique()) == list(
        SynthConfig().as_of_dates)
    # the escalation date is the first recorded youth-justice outcome
    lab = _labels(tr, t["events"])
    esc = lab.dropna(subset=["escalation_date"])
    assert (esc["escalation_date"] == esc["first_yj"]).all()


# --- realism ---------------------------------------------------------------------------


def _rates(tables) -> dict[str, float]:
    ev, ep, pe = tables["events"], tables["episodes"], tables["periods"]
    enr = ep[ep["episode_type"] == "enrolment"]
    span_s, span_e = pd.Timestamp("2019-09-01"), pd.Timestamp("2024-08-31")
    s = enr["start_date"].clip(lower=span_s)
    e = enr["end_date"].fillna(span_e).clip(upper=span_e)
    pupil_years = ((e - s).dt.days.clip(lower=0) / 365.25).sum()
    counts = ev["event_type"].value_counts()
    out = {k: counts.get(k, 0) / pupil_years * 100 for k in
           ("suspension", "permanent_exclusion", "referral")}
    wide = pe.pivot_table(index=["person_id", "period_start"], columns="measure",
                          values="value", aggfunc="sum").reset_index()
    wide["year"] = wide["period_start"].dt.year - (wide["period_start"].dt.month < 9)
    yearly = wide.groupby(["person_id", "year"])[
        ["sessions_possible", "authorised_absence", "unauthorised_absence"]].sum()
    tot = yearly.sum()
    out["absence"] = (tot["authorised_absence"] + tot["unauthorised_absence"]) / tot[
        "sessions_possible"]
    out["unauthorised"] = tot["unauthorised_absence"] / tot["sessions_possible"]
    full = yearly[yearly["sessions_possible"] >= 300]
    out["persistent"] = ((full["authorised_absence"] + full["unauthorised_absence"])
                         / full["sessions_possible"] >= 0.1).mean()
    for label, types_ in (("cin", ("child_in_need", "child_protection", "looked_after")),
                          ("cp", ("child_protection",)), ("lac", ("looked_after",))):
        vals = []
        for year in (2021, 2022, 2023, 2024):
            d = pd.Timestamp(f"{year}-03-31")
            on = ((enr["start_date"] <= d)
                  & (enr["end_date"].isna() | (enr["end_date"] >= d))).sum()
            open_ = ep[ep["episode_type"].isin(types_) & (ep["start_date"] <= d)
                       & (ep["end_date"].isna() | (ep["end_date"] >= d))]
            vals.append(open_["person_id"].nunique() / on * 1e4)
        out[label] = float(np.mean(vals))
    return out


def test_base_rates_within_published_bands(cohort):
    r = _rates(cohort.tables)
    assert 0.055 < r["absence"] < 0.09
    assert 0.012 < r["unauthorised"] < 0.035
    assert 0.13 < r["persistent"] < 0.28
    assert 6 < r["suspension"] < 13
    assert 0.02 < r["permanent_exclusion"] < 0.35
    assert 3.5 < r["referral"] < 8
    assert 200 < r["cin"] < 480
    assert 20 < r["cp"] < 75
    assert 30 < r["lac"] < 140
    ch = cohort.tables["characteristics"]
    d = pd.Timestamp("2023-01-15")
    now = ch[(ch["valid_from"] < d) & (ch["valid_to"].isna() | (ch["valid_to"] >= d))]
    fsm = now[now["attribute"] == "fsm"]["value"].eq("yes").mean()
    sen = now[now["attribute"] == "sen"]["value"].value_counts(normalize=True)
    assert 0.19 < fsm < 0.29
    assert 0.10 < sen["sen_support"] < 0.16 and 0.025 < sen["ehcp"] < 0.065


def test_escalation_rate_oracle_auc_and_calibration(cohort):
    lab = _labels(cohort.truth, cohort.tables["events"])
    assert 0.008 < lab["y"].mean() < 0.03
    auc = roc_auc_score(lab["y"], lab["p_true"])
    assert 0.72 < auc < 0.88
    # p_true is the true probability: the realised rate matches it on average
    assert lab["y"].sum() == pytest.approx(lab["p_true"].sum(), rel=0.25)
    top = lab["p_true"] >= lab["p_true"].quantile(0.9)
    assert lab.loc[top, "y"].mean() == pytest.approx(lab.loc[top, "p_true"].mean(),
                                                     rel=0.35)


def test_warning_signs_are_neither_necessary_nor_sufficient(cohort):
    lab = _labels(cohort.truth, cohort.tables["events"])
    warned = _warning_count(lab, cohort.tables["events"]) > 0
    # some escalations come with no warning sign in the year before
    assert (~warned[lab["y"] == 1]).mean() > 0.1
    # most people with warning signs never escalate
    assert lab.loc[warned, "y"].mean() < 0.1


def test_signal_strength_zero_leaves_signals_uninformative(cohort, no_signal):
    aucs = {}
    for name, c in (("default", cohort), ("none", no_signal)):
        lab = _labels(c.truth, c.tables["events"])
        aucs[name] = roc_auc_score(lab["y_true"], _warning_count(lab, c.tables["events"]))
    assert aucs["default"] > 0.58
    assert 0.42 < aucs["none"] < 0.58
    assert aucs["default"] - aucs["none"] > 0.05
    # the truth itself does not depend on the signals
    pd.testing.assert_frame_equal(cohort.truth, no_signal.truth)


def test_bias_over_records_the_group_and_leaves_others_calibrated():
    bias = SynthBias("sex", "M", outcome_over_recording=2.5, signal_under_recording=0.5)
    biased = generate(SynthConfig(people=5000, seed=12, bias=bias))
    fair = generate(SynthConfig(people=5000, seed=12))
    pd.testing.assert_frame_equal(biased.truth, fair.truth)
    sex = biased.tables["characteristics"].query("attribute == 'sex'")

    def scored(c):
        lab = _labels(c.truth, c.tables["events"])
        # the score population is those with no recorded outcome yet
        lab = lab[lab["first_yj"].isna() | (lab["first_yj"] > lab["as_of"])]
        male = lab["person_id"].map(sex.set_index("person_id")["value"]) == "M"
        return lab, male

    lab, male = scored(biased)
    lab_fair, male_fair = scored(fair)
    ratio_m = lab.loc[male, "y"].mean() / lab.loc[male, "p_true"].mean()
    ratio_m_fair = (lab_fair.loc[male_fair, "y"].mean()
                    / lab_fair.loc[male_fair, "p_true"].mean())
    assert ratio_m / ratio_m_fair > 1.7
    # nobody outside the group gains or loses a recorded outcome
    pd.testing.assert_frame_equal(lab[~male].reset_index(drop=True),
                                  lab_fair[~male_fair].reset_index(drop=True))
    assert lab_fair["y"].sum() == pytest.approx(lab_fair["p_true"].sum(), rel=0.25)
    # the group's warning signs are recorded about half as often
    def behaviour(c, ids):
        ev = c.tables["events"]
        return (ev["event_type"].eq("behaviour_incident") & ev["person_id"].isin(ids)).sum()
    males = set(sex.loc[sex["value"] == "M", "person_id"])
    females = set(sex.loc[sex["value"] == "F", "person_id"])
    assert behaviour(biased, males) / behaviour(fair, males) == pytest.approx(0.5, abs=0.08)
    assert behaviour(biased, females) / behaviour(fair, females) == pytest.approx(1, abs=0.08)


def test_missing_sources_and_no_recording_lag():
    c = generate(SynthConfig(people=600, seed=2, recording_lag=0,
                             missing_sources=["police", "attendance"]))
    ev = c.tables["events"]
    assert "police" not in set(ev["source"])
    assert {"school", "social_care", "youth_justice"} <= set(ev["source"])
    assert len(c.tables["periods"]) == 0
    assert "enrolment" in set(c.tables["episodes"]["episode_type"])
    for name in ("events", "episodes", "periods"):
        assert c.tables[name]["recorded_at"].isna().all()


def test_daily_attendance():
    c = generate(SynthConfig(people=150, seed=4, attendance="daily"))
    pe = c.tables["periods"]
    assert (pe["period_start"] == pe["period_end"]).all()
    assert (pe["period_start"].dt.day_of_week < 5).all()
    assert not pe["period_start"].dt.month.eq(8).any()
    sp = pe[pe["measure"] == "sessions_possible"]
    assert (sp["value"] == 2).all()
    assert not sp.duplicated(["person_id", "period_start"]).any()
    absent = pe[pe["measure"] != "sessions_possible"]
    assert absent["value"].isin([1.0, 2.0]).all()
    key = ["person_id", "period_start"]
    per_day = absent.groupby(key)["value"].sum()
    assert (per_day <= 2).all()
    assert set(per_day.index) <= set(map(tuple, sp[key].to_numpy()))
    # about 190 school days a year
    days = sp.groupby(sp["period_start"].dt.year - (sp["period_start"].dt.month < 9))[
        "period_start"].nunique()
    assert days.between(180, 200).all()
    rate = absent["value"].sum() / sp["value"].sum()
    assert 0.04 < rate < 0.1


# --- exact escalation probability -----------------------------------------------------------


def test_escalation_probability_hand_computed():
    ch = types.SimpleNamespace(n_states=2, transition=np.eye(2),
                               levels=np.array([0.0, np.log(2.0)]))
    h, q = 0.1, 0.2
    base = np.full((2, 3), h)
    leave = np.full((2, 3), q)
    p = escalation_probability(np.array([0, 1]), base, leave, ch, beta=1.0)
    for i, hz in enumerate((h, 2 * h)):
        expected = sum(((1 - q) * np.exp(-hz)) ** k * (1 - np.exp(-hz)) for k in range(3))
        assert p[i] == pytest.approx(expected, rel=1e-12)


def test_escalation_probability_matches_simulation():
    rng = np.random.default_rng(0)
    trans = np.array([[0.8, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.3, 0.7]])
    ch = types.SimpleNamespace(n_states=3, transition=trans,
                               levels=np.array([-1.0, 0.0, 1.0]))
    base = np.array([[0.02, 0.05, 0.0, 0.1], [0.1, 0.1, 0.1, 0.1]])
    leave = np.array([[0.1, 0.0, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0]])
    p = escalation_probability(np.array([0, 2]), base, leave, ch, beta=1.0)
    n = 200_000
    for i, start in enumerate((0, 2)):
        state = np.full(n, start)
        alive = np.ones(n, dtype=bool)
        esc = np.zeros(n, dtype=bool)
        for k in range(4):
            cum = np.cumsum(trans[state], axis=1)
            state = (rng.random(n)[:, None] > cum).sum(axis=1)
            hz = base[i, k] * np.exp(ch.levels[state])
            hit = alive & (rng.random(n) < 1 - np.exp(-hz))
            esc |= hit
            alive &= ~hit & (rng.random(n) >= leave[i, k])
        assert esc.mean() == pytest.approx(p[i], abs=4 * np.sqrt(p[i] / n) + 1e-4)


# --- configuration errors -----------------------------------------------------------------


def test_config_errors_name_every_problem():
    with pytest.raises(ConfigError) as err:
        SynthConfig(people=10, attendance="weekly", missing_sources=["gp"],
                    as_of_dates=["2020-09-15"], horizon="12w",
                    bias={"attribute": "sex", "value": "X"})
    text = str(err.value)
    assert text.startswith("SynthConfig has 5 problems:")
    assert "attendance: must be 'termly' or 'daily', got 'weekly'" in text
    assert "missing_sources: unknown source(s) ['gp']" in text
    assert "as_of_dates: '2020-09-15' is not the first of a month" in text
    assert "horizon: must be whole months or years" in text
    assert "bias.value: sex takes ['F', 'M'], got 'X'" in text


def test_bias_from_dict_and_horizon_in_years():
    cfg = SynthConfig(people=10, horizon="1y", bias={"attribute": "fsm", "value": "yes",
                                                     "outcome_over_recording": 2})
    assert cfg.bias == SynthBias("fsm", "yes", 2)
    assert cfg.horizon_months == 12


def test_special_needs_change_at_term_starts_and_stay_at_least_a_term(cohort):
    c = cohort.tables["characteristics"]
    sen = c[c["attribute"] == "sen"].sort_values(["person_id", "valid_from"])
    later = sen[sen.duplicated("person_id", keep="first")]
    # a change of status starts on the first day of a term
    assert set(pd.to_datetime(later["valid_from"]).dt.strftime("%m-%d")) <= {
        "09-01", "01-01", "04-01"}
    # a status set at one review lasts until a later one (a spell that began on
    # arrival mid-term may be shorter)
    reviewed = later[later["valid_to"].notna()
                     & later.duplicated("person_id", keep="last")]
    lasted = pd.to_datetime(reviewed["valid_to"]) - pd.to_datetime(
        reviewed["valid_from"])
    assert len(reviewed) and (lasted >= pd.Timedelta(days=80)).all()
    # records change as real ones do: few children change status more than twice
    changes = later.groupby("person_id").size()
    assert (changes > 2).mean() < 0.02
