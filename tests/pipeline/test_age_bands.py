"""The audit's age bands follow the population's ``age_bands``."""

from __future__ import annotations

import pandas as pd

from earlysignal.features import FeatureMeta
from earlysignal.pipeline import group_columns


def _age_meta() -> dict[str, FeatureMeta]:
    m = FeatureMeta(column="age__age__asof", name="age", aggregate="age",
                    window="asof", table="people", source=None, family="demographics",
                    unit="years", template="aged {value}", kind="numeric",
                    is_missing_indicator=False, protected=True, filter=(), label="age")
    return {m.column: m}


def test_age_bands_come_from_the_population() -> None:
    matrix = pd.DataFrame({"age__age__asof": [17.9, 18.0, 24.99, 25.0, 64.0, 81.0,
                                               None]})
    got = group_columns(matrix, _age_meta(), ["age_band"], age_bands=[18, 25, 65])
    assert got["group_age_band"].tolist() == [
        "under 18", "18-24", "18-24", "25-64", "25-64", "65 and over", "unknown"]


def test_default_bands_are_the_school_ages() -> None:
    matrix = pd.DataFrame({"age__age__asof": [11.99, 12.0, 15.5, 40.0]})
    got = group_columns(matrix, _age_meta(), ["age_band"])
    assert got["group_age_band"].tolist() == ["under 12", "12-13", "14-15", "16+"]
