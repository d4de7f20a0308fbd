"""Synthetic score tables for the fairness tests (no real people)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_scores(n: int, seed: int, *, rounded: int | None = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    eth = rng.choice(
        ["White", "Black", "Asian", "Mixed", "Other"],
        n,
        p=[0.6, 0.15, 0.12, 0.08, 0.05],
    )
    risk = rng.beta(2, 6, n) * np.where(eth == "Black", 1.3, 1.0)
    risk = np.clip(risk, 0, 1)
    score = np.round(risk, rounded) if rounded else risk
    y = (rng.uniform(size=n) < risk).astype(int)
    return pd.DataFrame({"score": score, "y": y, "sex": sex, "ethnicity": eth})


def people_at_dates(
    people: int, dates: int, seed: int, *, over_record: float = 1.0
) -> pd.DataFrame:
    """A scheduled cohort: each person scored at ``dates`` as-of dates.

    A person's risk, group and outcome are fixed, and their score varies a little
    from date to date, so their rows are far from independent. Group is independent
    of risk and score (a fair model) unless ``over_record`` > 1, which records group
    B's outcomes that many times as often as their risk implies.
    """
    rng = np.random.default_rng(seed)
    group = rng.choice(["A", "B", "C"], people, p=[0.5, 0.3, 0.2])
    risk = rng.beta(2, 6, people)
    rate = np.where(group == "B", np.minimum(1.0, over_record * risk), risk)
    outcome = (rng.uniform(size=people) < rate).astype(int)
    person = np.repeat(np.arange(people), dates)
    noise = rng.normal(0.0, 0.03, people * dates)
    return pd.DataFrame(
        {
            "person_id": person,
            "as_of": np.tile(np.arange(dates), people),
            "score": np.clip(risk[person] + noise, 0.0, 1.0).round(3),
            "y": outcome[person],
            "group": group[person],
        }
    )
