"""Fixtures for the model tests (the simulation lives in model_simulation)."""

import pytest
from model_simulation import simulate


@pytest.fixture(scope="session")
def simulated():
    return simulate(1500, seed=0)
