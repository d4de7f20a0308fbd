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
