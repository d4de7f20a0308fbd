"""Effect parsing, its error messages, and the Monte Carlo draws it gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earlysignal.errors import EarlysignalError
from earlysignal.impact import Effect, split_triangular


def test_parse_central_and_range() -> None:
    e = Effect.parse("0.2:0.1-0.3")
    assert (e.central, e.low, e.high, e.source) == (0.2, 0.1, 0.3, "assumed")
    assert Effect.parse("20%:10%-30%") == Effect(0.2, 0.1, 0.3)
    assert Effect.parse("0.15") == Effect(0.15, 0.15, 0.15)
    assert Effect.parse("0.2:0.1-0.3", "evaluated").source == "evaluated"


@pytest.mark.parametrize(("text", "message"), [
    ("0.2:0.3-0.1", "effect '0.2:0.3-0.1': the range is reversed (low 0.3 > high 0.1)"),
    ("0.5:0.1-0.3", "the central value 0.5 is outside its range 0.1-0.3"),
    ("1.5", "central value 1.5 is outside 0-1"),
    ("0.2:0.1-1.3", "high value 1.3 is outside 0-1"),
    ("a lot", "effect 'a lot' is not 'central' or 'central:low-high'"),
    ("0.2:0.1", "is not 'central' or 'central:low-high'"),
])
def test_parse_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(EarlysignalError) as info:
        Effect.parse(text)
    assert message in str(info.value)
    assert "Fix:" in str(info.value)


def test_effect_source_must_be_known() -> None:
    with pytest.raises(EarlysignalError, match="effect_source must be 'assumed' or"):
        Effect.parse("0.2", "guessed")  # type: ignore[arg-type]


def test_split_triangular_median_mode_and_support() -> None:
    rng = np.random.default_rng(1)
    x = split_triangular(0.2, 0.05, 0.5, 200_000, rng)
    assert x.min() >= 0.05 and x.max() <= 0.5
    assert abs(np.median(x) - 0.2) < 0.003
    # half-triangle quantile: low + (c - low) * sqrt(0.05) at 2.5%
    assert abs(np.percentile(x, 2.5) - (0.05 + 0.15 * np.sqrt(0.05))) < 0.003
    assert abs(np.percentile(x, 97.5) - (0.5 - 0.3 * np.sqrt(0.05))) < 0.004


@settings(max_examples=40, deadline=None)
@given(c=st.floats(0.01, 0.9), lo_share=st.floats(0, 1), hi_share=st.floats(0, 1),
       shrink=st.floats(0.1, 0.9))
def test_interval_contains_central_and_shrinks(c: float, lo_share: float,
                                               hi_share: float, shrink: float) -> None:
    lo, hi = c * (1 - lo_share), c + (1 - c) * hi_share * 0.99
    wide = Effect(c, lo, hi).draw(4000, np.random.default_rng(0))
    narrow = Effect(c, c - (c - lo) * shrink, c + (hi - c) * shrink).draw(
        4000, np.random.default_rng(0))
    for x in (wide, narrow):
        q = np.percentile(x, [2.5, 97.5])
        assert q[0] <= c + 1e-12 and c - 1e-12 <= q[1]
    width = lambda x: np.ptp(np.percentile(x, [2.5, 97.5]))  # noqa: E731
    assert width(narrow) <= width(wide) * shrink + 1e-9
