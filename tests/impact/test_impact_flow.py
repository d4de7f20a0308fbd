"""The demand-flow model: states from the tables, transition counting, scenarios, and
the projection checked against what the synthetic generator actually produced.

Back-test design: fit on the synthetic cohort as it would have been known on
2021-09-01, project 2021/22, 2022/23 and 2023/24 for everyone on roll at that date,
and compare with the generated records for the same people.

Tolerances, and why. Measured over seeds 11-16 of the generator (30,000 people),
the projection runs high: 3-year youth-justice entries by +11% to +19% (yearly -10%
to +27%), children-in-need caseload by up to +17%, child protection by up to +50%
on one seed (+26% and +27% on two others), and 67% to 100% of the yearly service
cells fall inside the 95% predictive interval. The generator's missing pre-2019
history and the Markov model's blindness to how long a spell has lasted both push
the same way. The checks are therefore what every one of those seeds meets:
* 3-year totals of the large series (youth-justice entries and caseload, children in
  need) within 25%; the small services (early help, child protection, looked after:
  100-400 counts) within 60%.
* People on roll within 3% each year: ageing out in August and moving away are
  deterministic enough that the model must get them right.
* At least 60% of the 30 yearly service cells inside the 95% predictive interval.
* The mean relative error of the service cells under 1/1.5 of a naive "same as last
  year" projection's (measured: 1/1.8 to 1/3.4).
The same checks fail for a naive "same as last year" projection, for a model with
the youth-justice moves halved, and for a model without school-age strata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, generate
from earlysignal.impact import SERVICES, STATE_NAMES, DemandModel, Effect, compare
from earlysignal.impact._flow import LEFT, N_SC, _reduce_into_yj, state_panel

LARGE = [("youth_justice", "entries"), ("youth_justice", "caseload"),
         ("child_in_need", "caseload"), ("child_in_need", "entries")]
SMALL = [(s, m) for s in ("early_help", "child_protection", "looked_after")
         for m in ("caseload", "entries")]


@pytest.fixture(scope="module")
def cohort():  # type: ignore[no-untyped-def]
    # the least favourable of seeds 11-16 (see the tolerances above)
    return generate(SynthConfig(people=30_000, seed=11))


@pytest.fixture(scope="module")
def backtest(cohort):  # type: ignore[no-untyped-def]
    dm = DemandModel(cohort.tables, origin="2021-09-01")
    proj = dm.project(3, draws=100, seed=0, reach={"halved": 1.0},
                      effect=Effect.parse("0.5"))
    return dm, proj, dm.observed(3)


def _failures(projected: pd.DataFrame, observed: pd.DataFrame,
              scenario: str = "baseline") -> list[str]:
    cmp = compare(projected[projected["scenario"] == scenario].assign(
        scenario="baseline"), observed)
    totals = cmp.groupby(["service", "measure"])[["estimate", "observed"]].sum()
    rel = totals["estimate"] / totals["observed"] - 1
    out = [f"{k} total off by {rel[k]:+.0%}" for k in LARGE if abs(rel[k]) > 0.25]
    out += [f"{k} total off by {rel[k]:+.0%}" for k in SMALL if abs(rel[k]) > 0.60]
    roll = cmp[cmp["service"] == "on_roll"]
    out += [f"on roll year {y} off by {e:+.1%}" for y, e in
            zip(roll["year"], roll["relative_error"], strict=True) if abs(e) > 0.03]
    cells = cmp[cmp["service"].isin(SERVICES)]
    if cells["lower"].notna().all() and cells["in_interval"].mean() < 0.60:
        out.append(f"coverage {cells['in_interval'].mean():.0%}")
    return out


def test_projection_matches_what_the_generator_produced(backtest) -> None:  # type: ignore[no-untyped-def]
    dm, proj, observed = backtest
    assert _failures(proj, observed) == []
    cmp = compare(proj, observed)
    yj = cmp[(cmp["service"] == "youth_justice") & (cmp["measure"] == "entries")]
    # first-time entrants, year by year, not only in total: within 30% each year
    assert len(yj) == 3 and (yj["observed"] > 100).all()
    assert ((yj["estimate"] / yj["observed"] - 1).abs() < 0.30).all(), yj


def test_naive_projection_does_worse(backtest) -> None:  # type: ignore[no-untyped-def]
    dm, proj, observed = backtest
    naive = dm.no_change(3).assign(scenario="baseline", lower=np.nan, upper=np.nan,
                                   factor=1.0)
    fails = _failures(naive, observed)
    assert any("youth_justice', 'caseload'" in f for f in fails)
    assert any("on roll" in f for f in fails)
    err = lambda c: c[c["service"].isin(SERVICES)]["relative_error"].abs().mean()  # noqa: E731
    # over seeds 11-16 the naive mean error was 1.8 to 3.4 times the model's
    assert err(compare(naive, observed)) > 1.5 * err(compare(proj, observed))


def test_wrong_transition_matrices_fail(backtest, cohort) -> None:  # type: ignore[no-untyped-def]
    _, proj, observed = backtest
    halved = _failures(proj, observed, scenario="halved")
    assert any("youth_justice', 'entries'" in f for f in halved)
    flat = DemandModel(cohort.tables, origin="2021-09-01", age_strata=False)
    fails = _failures(flat.project(3, draws=0), observed)
    assert any("on roll" in f for f in fails)


def test_state_panel_levels_left_and_youth_justice() -> None:
    people = pd.DataFrame({"person_id": ["a", "b"], "date_of_birth": pd.to_datetime(
        ["2008-01-01", "2009-06-01"])})
    episodes = pd.DataFrame({
        "person_id": ["a", "a", "a", "b", "b"],
        "start_date": pd.to_datetime(["2015-09-01", "2020-01-10", "2020-02-20",
                                      "2020-03-01", "2020-02-01"]),
        "end_date": pd.to_datetime(["2020-04-30", "2020-03-15", None, None,
                                    "2020-02-15"]),
        "source": ["school", "social_care", "social_care", "school", "social_care"],
        "episode_type": ["enrolment", "child_protection", "early_help", "enrolment",
                         "early_help"]})
    events = pd.DataFrame({"person_id": ["a", "b"], "event_date": pd.to_datetime(
        ["2020-02-15", "2020-04-01"]), "source": "youth_justice",
        "event_type": ["caution", "court_disposal"]})
    p = state_panel({"people": people, "episodes": episodes, "events": events},
                    "2020-01-01", "2020-06-01")
    names = [[STATE_NAMES[s] if s >= 0 else "absent" for s in row] for row in p.state]
    assert names[0] == ["universal", "child_protection",
                        "child_protection+youth_justice",
                        "early_help+youth_justice", "left", "left"]
    # b joins on 1 March; the early-help spell ended before; caution dated the 1st
    assert names[1] == ["absent", "absent", "universal", "universal+youth_justice",
                        "universal+youth_justice", "universal+youth_justice"]
    assert p.academic_age()[:, 0].tolist() == [11, 10]


def test_transition_counts_and_known_at_origin() -> None:
    people = pd.DataFrame({"person_id": ["a"], "date_of_birth": pd.to_datetime(
        ["2008-01-01"])})
    episodes = pd.DataFrame({
        "person_id": ["a", "a"], "start_date": pd.to_datetime(["2015-09-01",
                                                               "2020-02-10"]),
        "end_date": pd.to_datetime([None, "2020-05-10"]),
        "source": ["school", "social_care"],
        "episode_type": ["enrolment", "child_in_need"],
        # the plan was recorded only in April, after the origin
        "recorded_at": pd.to_datetime(["2015-09-01", "2020-04-02"])})
    events = pd.DataFrame({"person_id": ["a"], "event_date": pd.to_datetime(
        ["2020-01-05"]), "source": "youth_justice", "event_type": ["caution"],
        "recorded_at": pd.to_datetime(["2020-01-06"])})
    tables = {"people": people, "episodes": episodes, "events": events}
    dm = DemandModel(tables, origin="2020-04-01", fit_start="2020-01-01")
    C = dm.counts.sum(axis=(0, 1))
    yj = N_SC  # universal + youth justice
    # Jan universal -> Feb yj -> Mar yj -> Apr yj: the plan is not yet known
    assert C[0, yj] == 1 and C[yj, yj] == 2 and C.sum() - C[LEFT, LEFT] == 3
    full = DemandModel(tables, origin="2020-05-01", fit_start="2020-01-01")
    Cf = full.counts.sum(axis=(0, 1))
    assert Cf[yj, yj + 2] == 1  # the child-in-need plan is known by May


def test_reducing_moves_into_youth_justice_keeps_rows_stochastic() -> None:
    rng = np.random.default_rng(0)
    P = rng.random((3, 2, LEFT + 1, LEFT + 1))
    P /= P.sum(-1, keepdims=True)
    R = _reduce_into_yj(P, 0.7)
    assert np.allclose(R.sum(-1), 1)
    assert np.allclose(R[..., :N_SC, N_SC:LEFT], 0.7 * P[..., :N_SC, N_SC:LEFT])
    assert np.allclose(R[..., N_SC:, :], P[..., N_SC:, :])  # already in: unchanged
    assert np.allclose(R[..., :N_SC, LEFT], P[..., :N_SC, LEFT])


def test_scenario_lowers_entries_by_effect_times_reach(backtest) -> None:  # type: ignore[no-untyped-def]
    dm, _, _ = backtest
    proj = dm.project(1, draws=0, reach={"half": 0.5}, effect=Effect.parse("0.4"))
    yj = proj[(proj["service"] == "youth_justice") & (proj["measure"] == "entries")]
    base, half = yj["estimate"].tolist()
    # one year: moves into youth justice x 0.8, a little less as fewer leave for it
    assert half / base == pytest.approx(0.8, abs=0.01)
    assert yj["change_vs_baseline"].iloc[1] == pytest.approx(half - base)


def test_the_projection_tells_its_progress_and_gives_the_same_numbers() -> None:
    tables = generate(SynthConfig(people=1_500, seed=4)).tables
    dm = DemandModel(tables, origin="2021-09-01")
    options = dict(draws=40, seed=1, reach={"model": 0.5},
                   effect=Effect.parse("0.2:0.1-0.3"))
    calls: list[tuple[str, int, int]] = []
    told = dm.project(2, **options, progress=lambda *a: calls.append(a))
    # per scenario: its central run, then a line every 20 draws; 82 runs in all
    assert calls == [("baseline: central run", 1, 82),
                     ("baseline: draw 20 of 40", 21, 82),
                     ("baseline: draw 40 of 40", 41, 82),
                     ("model: central run", 42, 82),
                     ("model: draw 20 of 40", 62, 82),
                     ("model: draw 40 of 40", 82, 82)]
    pd.testing.assert_frame_equal(told, dm.project(2, **options))
