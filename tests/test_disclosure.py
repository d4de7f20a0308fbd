"""The one disclosure rule: distinct people, primary and secondary suppression."""

import numpy as np
import pandas as pd

from earlysignal.disclosure import DECISION_COLUMNS, decide, withhold


def _cohort(n_people: int, dates: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    person = np.tile(np.arange(n_people), dates)
    period = np.repeat([f"2022-0{d + 1}-01" for d in range(dates)], n_people)
    eth = np.where(np.arange(n_people) < 6, "Small", "Large")[person]
    label = (rng.random(n_people * dates) < 0.2).astype(int)
    return person, period, eth, label


def test_counts_people_not_rows():
    # 6 people at 4 dates: 24 rows, but fewer than 10 people stand behind the group
    person, _, eth, label = _cohort(60, 4)
    d = decide({"ethnicity": eth}, person=person, label=label, min_cell=10)
    small = d[(d["group"] == "Small") & (d["period"] == "")]
    assert small["kind"].tolist() == ["primary"]
    assert "fewer than 10 people in the group" in small["reason"].iloc[0]


def test_secondary_suppression_protects_a_withheld_period_from_the_total():
    person, period, eth, label = _cohort(200, 3)
    label[:] = 0
    label[period == "2022-01-01"] = np.arange(200) < 3  # 3 positives in one period
    label[period != "2022-01-01"] = np.arange(400) % 5 == 0
    d = decide({}, person=person, label=label, period=period, min_cell=10)
    hidden = d[d["group_by"] == "overall"]
    assert set(hidden["period"]) >= {"2022-01-01"}
    # pooled minus the other periods would give it away: one more is withheld
    assert len(hidden) >= 2
    assert "secondary" in set(hidden["kind"])


def test_withhold_blanks_the_rows_decided():
    person, period, eth, label = _cohort(60, 4)
    d = decide({"ethnicity": eth}, person=person, label=label, min_cell=10)
    table = pd.DataFrame({"attribute": ["ethnicity", "ethnicity"],
                          "group": ["Large", "Small"], "escalations": [40.0, 3.0]})
    out = withhold(table, d[d["period"] == ""], group_by="attribute", group="group",
                   values=["escalations"])
    assert out["withheld"].tolist() == [True, True]  # Small primary, Large secondary
    assert out["escalations"].isna().all()


def test_nothing_withheld_when_every_group_is_large():
    person, period, eth, label = _cohort(400, 2)
    eth = np.where(person % 2 == 0, "A", "B")
    d = decide({"ethnicity": eth}, person=person, label=label, period=period,
               min_cell=10)
    assert list(d.columns) == DECISION_COLUMNS
    assert d.empty


def test_people_counts_equal_a_naive_count_of_distinct_people():
    from earlysignal.disclosure import _people_counts

    rng = np.random.default_rng(9)
    n = 3000
    person = rng.integers(0, 400, n)
    group = rng.integers(0, 4, n)
    label = (rng.random(n) < 0.2).astype(int)
    w = rng.choice([0.0, 0.5, 1.0], n)
    got = _people_counts(group, person, 400, 4, label, w)
    f = pd.DataFrame({"g": group, "p": person, "y": label, "w": w})
    for g in range(4):
        sub = f[f["g"] == g]
        per = sub.groupby("p").agg(y=("y", "max"), ny=("y", lambda v: (1 - v).max()),
                                   w=("w", "max"), nw=("w", lambda v: (1 - v).max()))
        assert got[g]["size"] == sub["p"].nunique()
        assert got[g]["positives"] == per["y"].sum()
        assert got[g]["negatives"] == per["ny"].sum()
        assert got[g]["selected"] == per["w"].sum()
        assert got[g]["not_selected"] == per["nw"].sum()


def test_the_fairness_audit_withholds_by_people():
    from earlysignal.fairness import audit

    person, period, eth, label = _cohort(60, 4)
    df = pd.DataFrame({"person_id": person, "period": period, "ethnicity": eth,
                       "label": label, "score": np.random.default_rng(1).random(240)})
    r = audit(df, score="score", label="label", groups=["ethnicity"], top="20%",
              n_boot=20, mitigation=False)
    small = r.group_metrics[(r.group_metrics["group"] == "Small")]
    # 24 rows but 6 young people: withheld
    assert small["suppressed"].all() and small["value"].isna().all()
