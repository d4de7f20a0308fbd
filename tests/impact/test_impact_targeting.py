"""Targeting at capacity: hand-computed estimates, equal capacity, ties, fairness
variants, the capacity curve and the Monte Carlo intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earlysignal.errors import DataError
from earlysignal.impact import impact, selection_weights, strategy_weights
from earlysignal.model import caught_at_k

COSTS = {
    "intervention": {"cost_per_place": {"value": 100, "source": "test", "year": 2024}},
    "escalation": {"fte": {"value": 1000, "source": "test", "year": 2024}},
}


def tiny() -> pd.DataFrame:
    return pd.DataFrame({
        "person_id": list("abcdefghij"),
        "as_of": ["2023-03-01"] * 5 + ["2023-09-01"] * 5,
        "label": [1, 0, 1, 0, 0, 0, 1, 0, 0, 1],
        "model": [0.9, 0.8, 0.3, 0.2, 0.1, 0.7, 0.6, 0.5, 0.4, 0.05],
        "persistent_absence": [1, 1, 1, 0, 0, 0.5, 0.5, 0.1, 0.1, 0.1],
        "group_sex": ["F", "M", "F", "M", "F", "F", "M", "F", "M", "F"],
    })


def test_hand_computed_estimates() -> None:
    r = impact(tiny(), capacity=2, effect="0.5:0.4-0.6", costs=COSTS, draws=500)
    t = r.strategies.set_index("strategy")
    # model: top 2 in each round catch 1 escalation each
    m = t.loc["model"]
    assert m["places"] == 2 and m["escalations_selected"] == 1
    assert m["reach"] == 0.5  # 2 of the 4 escalations
    assert m["averted"] == pytest.approx(0.5)
    assert m["cost_averted"] == pytest.approx(500)
    assert m["intervention_cost"] == pytest.approx(200)
    assert m["net"] == pytest.approx(300)
    assert m["cost_per_averted"] == pytest.approx(400)
    # rule: three tied at the top of round 1 share 2 places (2/3 each, 2 escalations)
    pa = t.loc["persistent_absence"]
    assert pa["escalations_selected"] == pytest.approx((4 / 3 + 1) / 2)
    assert pa["averted"] == pytest.approx(7 / 12)
    assert pa["net"] == pytest.approx(7 / 12 * 1000 - 200)
    # random: 2 of 5 in each round, 2 escalations per round
    assert t.loc["random", "escalations_selected"] == pytest.approx(0.8)
    # intervals add a bootstrap of the ten people to the effect range 0.4-0.6
    assert m["averted_lower"] < 0.5 < m["averted_upper"]
    assert m["intervention_cost_lower"] == m["intervention_cost_upper"] == 200


def test_ties_match_model_metrics_expected_caught() -> None:
    s = tiny()
    for name in ("model", "persistent_absence"):
        for key, part in s.groupby("as_of"):
            w = strategy_weights(part.reset_index(drop=True), name, {key: 2})[0]
            _, _, expected = caught_at_k(part["label"], part[name], 2)
            assert (w * part["label"].to_numpy()).sum() == pytest.approx(expected)


def test_equal_capacity_and_group_counts() -> None:
    r = impact(tiny(), capacity=2, effect="0.2", costs=COSTS, draws=10,
               fair_group="sex", min_cell=1)  # ten people: no disclosure here
    assert set(r.strategies["strategy"]) == {
        "model", "persistent_absence", "random", "fair_selection_rate", "fair_tpr"}
    assert np.allclose(r.strategies["places"], 2)
    per = r.by_group.groupby("strategy")[["selected", "selected_share"]].sum()
    assert np.allclose(per["selected"], 2) and np.allclose(per["selected_share"], 1)
    fair = r.by_group[r.by_group["strategy"] == "fair_selection_rate"].set_index(
        "group")
    assert fair.loc["F", "selected"] == pytest.approx(1)  # 3 F, 2 M: one place each
    assert r.strategies.set_index("strategy").loc["fair_selection_rate", "label"] == (
        "Risk model, equal selection rate by sex")


def test_fair_selection_rate_is_proportional() -> None:
    rng = np.random.default_rng(3)
    n = 1000
    g = np.where(rng.random(n) < 0.2, "B", "A")
    s = pd.DataFrame({"person_id": range(n), "as_of": "2023-09-01",
                      "label": (rng.random(n) < 0.1).astype(int),
                      # group B scores higher, so plain top-k over-selects it
                      "model": rng.random(n) + (g == "B") * 0.5, "group_eth": g})
    # min_cell=0: the plain top-k selects none of group A, which the disclosure
    # rule would otherwise withhold
    r = impact(s, capacity=100, effect="0.2", costs=COSTS, draws=10, min_cell=0)
    bg = r.by_group.set_index(["strategy", "group"])
    assert bg.loc[("model", "B"), "selection_rate"] > 0.3
    rates = bg.loc["fair_selection_rate", "selection_rate"]
    assert abs(rates["A"] - rates["B"]) < 0.01
    reach = s.groupby("group_eth")["model"].sum()
    w = strategy_weights(s, "fair_tpr", {pd.Timestamp("2023-09-01"): 100},
                         fair_group="group_eth")[0]
    got = pd.Series(w * s["model"]).groupby(s["group_eth"]).sum() / reach
    assert abs(got["A"] - got["B"]) < 0.02  # equal expected reach


def test_intervals_contain_central_and_shrink() -> None:
    s = tiny()
    wide = impact(s, capacity=2, effect="0.2:0.05-0.5", draws=4000).strategies
    narrow = impact(s, capacity=2, effect="0.2:0.15-0.25", draws=4000).strategies
    for t in (wide, narrow):
        for key in ("averted", "cost_averted", "net"):
            assert (t[f"{key}_lower"] <= t[key] + 1e-9).all()
            assert (t[key] <= t[f"{key}_upper"] + 1e-9).all()
    w = wide["averted_upper"] - wide["averted_lower"]
    n = narrow["averted_upper"] - narrow["averted_lower"]
    assert (n < w).all()


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_capacity_curve_monotone_and_equal(data: st.DataObject) -> None:
    n = data.draw(st.integers(5, 60))
    ints = st.lists(st.integers(0, 3), min_size=n, max_size=n)
    s = pd.DataFrame({
        "person_id": range(n),
        "as_of": np.where(np.arange(n) % 2, "2023-09-01", "2023-03-01"),
        "label": data.draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
        "model": np.array(data.draw(ints), dtype=float) / 3,
        "checklist": data.draw(ints),
        "group_x": np.array(data.draw(ints)).astype(str),
    })
    curve = impact(s, capacity=1, effect="0.2:0.1-0.3", costs=COSTS, draws=50,
                   percents=[0, 5, 10, 20, 40, 60, 100]).capacity_curve
    for _, part in curve.groupby("strategy"):
        assert (np.diff(part["caught"]) >= -1e-9).all()
        assert (np.diff(part["averted_upper"]) >= -1e-9).all()
    places = curve.pivot(index="percent", columns="strategy", values="places")
    assert np.allclose(places.to_numpy(), places.to_numpy()[:, :1])


def test_selection_weights_sum_to_k() -> None:
    assert selection_weights(np.array([0.5, np.nan, 0.5]), 1).tolist() == [
        0.5, 0.0, 0.5]
    assert selection_weights(np.array([0.1, 0.2]), 5).tolist() == [1.0, 1.0]


def test_scores_errors_name_the_column() -> None:
    bad = tiny().drop(columns="label")
    with pytest.raises(DataError, match="scores, column 'label': is missing"):
        impact(bad, capacity=2, effect="0.2")
    bad = tiny().assign(label=[1, 0, 2, 0, 0, 0, 1, 0, 0, 1])
    with pytest.raises(DataError, match="column 'label', rows 3: labels must be 0"):
        impact(bad, capacity=2, effect="0.2")
    with pytest.raises(DataError, match="no group column 'group_ethnicity'"):
        impact(tiny(), capacity=2, effect="0.2", fair_group="ethnicity")


def _repeated_people(n_people: int = 300, rounds: int = 4, seed: int = 5):
    rng = np.random.default_rng(seed)
    risk = rng.beta(1, 6, n_people)
    ever = rng.random(n_people) < risk  # a person's label repeats across rounds
    return pd.DataFrame({
        "person_id": np.tile([f"p{i}" for i in range(n_people)], rounds),
        "as_of": np.repeat(pd.date_range("2022-01-01", periods=rounds, freq="QS"),
                           n_people),
        "label": np.tile(ever.astype(int), rounds),
        "model": np.tile(risk, rounds) + rng.normal(0, 0.05, n_people * rounds),
    })


def test_averted_interval_carries_person_level_sampling():
    s = _repeated_people()
    r = impact(s, capacity="20%", effect="0.5", draws=2000, percents=[0, 20])
    row = r.strategies.set_index("strategy").loc["model"]
    # A naive bootstrap of people (all their rounds with them), list held fixed.
    rounds = s["as_of"].nunique()
    from earlysignal.impact._targeting import capacity_plan, strategy_weights
    from earlysignal.model._metrics import Capacity
    w = strategy_weights(s, "model", capacity_plan(s, Capacity.parse("20%")))[0]
    caught = pd.Series(w * s["label"].to_numpy()).groupby(s["person_id"]).sum()
    rng = np.random.default_rng(11)
    reps = [caught.to_numpy()[rng.integers(0, len(caught), len(caught))].sum()
            for _ in range(2000)]
    naive = 0.5 * np.percentile(reps, [2.5, 97.5]) / rounds
    width = row["averted_upper"] - row["averted_lower"]
    assert width == pytest.approx(naive[1] - naive[0], rel=0.15)
    assert row["averted_lower"] < row["averted"] < row["averted_upper"]


def test_small_groups_are_withheld_by_people_not_rows():
    # 6 people of one group at 4 rounds: 24 rows, but only 6 young people
    s = _repeated_people(n_people=300)
    ids = s["person_id"].str[1:].astype(int)
    s["group_ethnicity"] = np.where(ids < 6, "Small", "Large")
    r = impact(s, capacity="20%", effect="0.5", draws=200, percents=[0, 20],
               min_cell=10)
    g = r.by_group.set_index(["strategy", "group"])
    small, large = g.loc[("model", "Small")], g.loc[("model", "Large")]
    assert small["withheld"] and np.isnan(small["escalations"])
    # Large = total - Small, so it is withheld too (secondary suppression)
    assert large["withheld"] and np.isnan(large["cohort"])
    html = r.html()
    assert "withheld (small numbers)" in html
