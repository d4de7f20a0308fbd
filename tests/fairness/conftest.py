"""Fixtures for the fairness tests."""

from __future__ import annotations

import pandas as pd
import pytest

from ._sim import make_scores


@pytest.fixture(scope="module")
def scores_df() -> pd.DataFrame:
    return make_scores(3000, 11)
