"""Fixtures shared by every test package: DuckDB by default; Spark started once
per test session, and only when a test marked ``spark`` asks for it, so a
DuckDB-only run never starts Java; one headless Chromium for the browser tests of
the reports and of the review service (two would each hold an event loop)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from earlysignal.features._engine import Engine


def _spark_or_skip() -> Engine:
    reason = None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        reason = "no Java runtime (install a JDK 17 to run the Spark tests)"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            reason = "pyspark is not installed (pip install earlysignal[spark])"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"Spark tests must run in CI: {reason}")
        pytest.skip(reason)
    from earlysignal.features._engine import spark_session

    return Engine("spark", session=spark_session())


@pytest.fixture(scope="session")
def spark_engine() -> Engine:
    """One local Spark session for the whole test run (start-up takes ~10 s)."""
    return _spark_or_skip()


@pytest.fixture(scope="session")
def duckdb_engine() -> Engine:
    return Engine("duckdb")


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn; tests using it run on DuckDB and on Spark."""
    return request.getfixturevalue(f"{request.param}_engine")


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (skipped when absent)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium "
                    "(CI installs it in .ci/run)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (dev extra)")
    from earlysignal.report.screenshots import launch

    with sync_api.sync_playwright() as p:
        b = launch(p, CHROMIUM)
        yield b
        b.close()
