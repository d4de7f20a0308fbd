"""Small synthetic agencies' extracts, shared by the linkage tests."""

from __future__ import annotations

import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, generate
from earlysignal.data.synth._agencies import AgenciesConfig, make_agencies


def agency_frames(people: int, seed: int, config: AgenciesConfig | None = None
                  ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every agency's tables stacked (local ids), and the truth."""
    cohort = generate(SynthConfig(people=people, seed=seed))
    ex = make_agencies(cohort.tables, config or AgenciesConfig(seed=seed),
                       end=cohort.config.end)
    return ex.stacked(), ex.truth


@pytest.fixture(scope="session")
def agency_tables():
    """:func:`agency_frames`, for tests that need their own extracts."""
    return agency_frames


@pytest.fixture(scope="session")
def agencies() -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    return agency_frames(400, seed=11)
