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
