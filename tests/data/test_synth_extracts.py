"""Later extracts of the same synthetic cohort: the same seed with a later end gives
the same people and records up to the earlier end, plus what happened since."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earlysignal.data.synth import SynthConfig, generate
from earlysignal.errors import ConfigError

_KEYS = {"people": ["person_id"],
         "events": ["person_id", "event_date", "source", "event_type", "value",
                    "recorded_at"],
         "episodes": ["person_id", "start_date", "source", "episode_type"],
         "periods": ["person_id", "period_start", "measure"],
         "characteristics": ["person_id", "attribute", "valid_from"]}


def _as_of(table: str, df: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """What an extract taken on ``end`` shows of a later extract's table (written
    out here in pandas, independently of the generator's own cut)."""
    if table == "people":
        return df
    if table == "events":
        return df[df["event_date"] <= end]
    if table == "episodes":
        out = df[df["start_date"] <= end].copy()
        out["end_date"] = out["end_date"].where(out["end_date"] <= end)
        return out
    if table == "periods":
        return df[df["period_end"] <= end]
    out = df[df["valid_from"] <= end].copy()
    out["valid_to"] = out["valid_to"].where(out["valid_to"] < end)
    return out


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.astype({c: "str" for c in a.columns if a[c].dtype == object})
    b = b.astype({c: "str" for c in b.columns if b[c].dtype == object})
    a = a.sort_values(keys, kind="stable").reset_index(drop=True)
    b = b.sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), extra=st.integers(1, 30), back=st.integers(0, 8),
       attendance=st.sampled_from(["termly", "daily"]))
def test_a_later_extract_holds_the_earlier_one(seed: int, extra: int, back: int,
                                               attendance: str) -> None:
    pop_end = "2021-08-31"
    # the earlier extract may end before population_end too
    early = (pd.Timestamp("2021-09-01") - pd.DateOffset(months=back)
             - pd.Timedelta(days=1))
    late = (pd.Timestamp("2021-09-01") + pd.DateOffset(months=extra)
            - pd.Timedelta(days=1))
    common = dict(people=40, seed=seed, start="2019-09-01", attendance=attendance,
                  population_end=pop_end, as_of_dates=["2020-09-01"])
    a = generate(SynthConfig(end=str(early.date()), **common))
    b = generate(SynthConfig(end=str(late.date()), **common))
    for table, keys in _KEYS.items():
        earlier = b.tables[table]
        if table == "people":
            earlier = earlier[earlier["person_id"].isin(a.tables["people"]["person_id"])]
        _same(a.tables[table], _as_of(table, earlier, early), keys)
    # the later extract has something the earlier did not: records since
    assert b.tables["events"]["event_date"].max() > early
    assert (b.tables["events"]["event_date"] <= late).all()


def test_new_year_groups_join_and_the_earlier_people_stay() -> None:
    common = dict(people=600, seed=3, start="2016-09-01",
                  population_end="2020-08-31", as_of_dates=["2019-09-01"])
    a = generate(SynthConfig(end="2020-08-31", **common))
    b = generate(SynthConfig(end="2022-08-31", **common))
    ids_a = set(a.tables["people"]["person_id"])
    ids_b = set(b.tables["people"]["person_id"])
    assert ids_a <= ids_b
    # two school years later: two new Year-4 year groups of the main groups' size
    # (600 people over the 11 birth years 2000-2010: 55 each), less those of them
    # who move into the area later (12% of a year group, over its school years)
    assert 0.8 * 110 <= len(ids_b - ids_a) <= 110
    new = b.tables["people"][~b.tables["people"]["person_id"].isin(ids_a)]
    births = new["date_of_birth"]
    # born September 2011 .. August 2013, entering Year 4 in 2020 and 2021
    assert births.min() >= pd.Timestamp("2011-09-01")
    assert births.max() <= pd.Timestamp("2013-08-01")


def test_an_extract_at_population_end_is_the_usual_cohort() -> None:
    a = generate(SynthConfig(people=300, seed=5))
    assert len(a.tables["people"]) == 300
    last = max(a.tables[t][c].max() for t, c in [("events", "event_date"),
                                                   ("periods", "period_end")])
    assert last <= pd.Timestamp("2024-08-31")
    # the truth's escalations are those the extract can see
    esc = a.truth["escalation_date"].dropna()
    assert (esc <= pd.Timestamp("2024-08-31")).all()
    assert np.isfinite(a.truth["p_true"]).all()


def test_an_end_too_far_past_population_end_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"end: a later extract may reach 3 years "
                                          r"past population_end \(2024-08-31\), to "
                                          r"2027-08-31; got 2028-08-31"):
        SynthConfig(end="2028-08-31", population_end="2024-08-31")
