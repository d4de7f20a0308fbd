"""A naive pandas implementation of every feature aggregate, written for clarity.

It shares nothing with the engine but the specs and the column order: dates are
pandas timestamps, windows are cut with ``Window.shift``, and each as-of date is
handled on its own with plain filters and groupbys. Tests compare the engine with it
cell by cell; the benchmark times it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from earlysignal.features._metadata import feature_metadata
from earlysignal.features._spec import FeatureSpec
from earlysignal.features._windows import Window

DAYS_PER_YEAR = 365.25


def known_on(df: pd.DataFrame, date_col: str) -> pd.Series:
    """The day each row became known: its own date, or recorded_at if later."""
    known = pd.to_datetime(df[date_col])
    if "recorded_at" in df.columns:
        rec = pd.to_datetime(df["recorded_at"])
        later = rec.notna() & (rec > known)
        known = known.where(~later, rec)
    return known


def reference_features(
    tables: Mapping[str, pd.DataFrame], cohort: pd.DataFrame,
    specs: Sequence[FeatureSpec],
) -> pd.DataFrame:
    """The feature matrix, in the engine's column order and the cohort's row order."""
    columns = [m.column for m in feature_metadata(specs)]
    cohort = cohort.reset_index(drop=True)
    as_of = pd.to_datetime(cohort["as_of"]).dt.normalize()
    parts = []
    for t in sorted(as_of.unique()):
        rows = cohort[as_of == t]
        persons = rows["person_id"].astype(str).tolist()
        values: dict[str, pd.Series] = {}
        for spec in specs:
            values.update(_spec_at(tables, spec, pd.Timestamp(t), persons))
        block = pd.DataFrame({c: values[c].to_numpy() for c in columns},
                             index=rows.index)
        parts.append(pd.concat([rows[["person_id", "as_of"]], block], axis=1))
    if not parts:
        return pd.DataFrame(columns=["person_id", "as_of", *columns])
    return pd.concat(parts).sort_index()


def _matching(df: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    for col, values in spec.where.items():
        df = df[df[col].isin(values)]
    return df


def _window_start(t: pd.Timestamp, w: Window) -> pd.Timestamp | None:
    return None if w.is_all else w.shift(t, -1)


def _per_person(values: pd.Series, persons: list[str], fill: float) -> pd.Series:
    values = values.copy()
    values.index = values.index.astype(str)
    return values.reindex(persons).astype(float).fillna(fill)


def _spec_at(tables, spec: FeatureSpec, t: pd.Timestamp, persons: list[str]
             ) -> dict[str, pd.Series]:
    fn = {"events": _events, "episodes": _episodes, "periods": _periods,
          "characteristics": _characteristics, "people": _people}[spec.table]
    out = fn(tables, spec, t, persons)
    return {f"{spec.name}__{key}": v for key, v in out.items()}


def _trend_and_no_data(spec, out, value_of, persons) -> None:
    """Add trend (window minus the one before) and no-data indicator columns."""
    base = spec.trend_aggregate
    for w in spec.trend_windows:
        out[f"trend__{w.label}"] = (value_of(base, w, False)
                                    - value_of(base, w, True))
    nullable = [a for a in spec.aggregate if a in (
        "days_since_last", "days_since_first", "days_since_last_ended", "ratio",
        "persistent")]
    if nullable:
        for w in spec.windows:
            out[f"no_data__{w.label}"] = value_of(nullable[0], w, False).isna(
            ).astype(float)


# ---------------------------------------------------------------- events

def _events(tables, spec, t, persons):
    ev = tables["events"]
    ev = ev[known_on(ev, "event_date") < t]
    ev = _matching(ev, spec)
    dob = _dob(tables, persons)

    def in_window(w: Window, previous: bool) -> pd.DataFrame:
        if w.is_all:
            return ev
        lo = w.shift(t, -1)
        if previous:
            return ev[(ev["event_date"] >= w.shift(lo, -1)) & (ev["event_date"] < lo)]
        return ev[ev["event_date"] >= lo]

    def value_of(agg: str, w: Window, previous: bool) -> pd.Series:
        rows = in_window(w, previous)
        g = rows.groupby("person_id")
        count = _per_person(g.size(), persons, 0.0)
        if agg == "count":
            return count
        if agg == "sum":
            return _per_person(g["value"].sum(), persons, 0.0)
        if agg == "ever":
            return (count > 0).astype(float)
        if agg == "days_since_last":
            return _per_person((t - g["event_date"].max()).dt.days, persons, np.nan)
        if agg == "days_since_first":
            return _per_person((t - g["event_date"].min()).dt.days, persons, np.nan)
        if agg == "distinct_types":
            return _per_person(g["event_type"].nunique(), persons, 0.0)
        if agg == "rate_per_year":
            if w.is_all:
                years = (t - dob).dt.days / DAYS_PER_YEAR
                return (count / years).where(years > 0)
            return count / (w.approx_days() / DAYS_PER_YEAR)
        raise AssertionError(agg)

    out = {f"{a}__{w.label}": value_of(a, w, False)
           for a in spec.aggregate for w in spec.windows}
    _trend_and_no_data(spec, out, value_of, persons)
    return out


# ---------------------------------------------------------------- episodes

def _episodes(tables, spec, t, persons):
    ep = tables["episodes"]
    ep = ep[known_on(ep, "start_date") < t]
    ep = _matching(ep, spec).copy()
    # Known at t: an end on or after t has not happened yet, so the episode is open
    # and its days stop at t.
    ep["end_at_t"] = ep["end_date"].where(ep["end_date"].notna() & (ep["end_date"] < t),
                                          t)
    out = {}
    if "open" in spec.aggregate:
        is_open = ep["end_date"].isna() | (ep["end_date"] >= t)
        opened = ep[is_open].groupby("person_id").size()
        out["open__asof"] = (_per_person(opened, persons, 0.0) > 0).astype(float)

    def value_of(agg: str, w: Window, previous: bool) -> pd.Series:
        lo = t if w.is_all else w.shift(t, -1)
        hi = t
        if previous:
            lo, hi = w.shift(lo, -1), lo
        if agg == "started":
            rows = ep if w.is_all and not previous else ep[
                (ep["start_date"] >= lo) & (ep["start_date"] < hi)]
            return _per_person(rows.groupby("person_id").size(), persons, 0.0)
        if agg == "days_in":
            days = []
            for _, r in ep.iterrows():
                start = r["start_date"] if w.is_all else max(r["start_date"], lo)
                end = min(r["end_at_t"], hi)
                days.append(max((end - start).days, 0))
            per = pd.Series(days, index=ep.index, dtype=float).groupby(
                ep["person_id"]).sum()
            return _per_person(per, persons, 0.0)
        if agg == "days_since_last_ended":
            ended = ep[ep["end_date"].notna() & (ep["end_date"] < t)]
            if not w.is_all:
                ended = ended[ended["end_date"] >= lo]
            last = ended.groupby("person_id")["end_date"].max()
            return _per_person((t - last).dt.days, persons, np.nan)
        raise AssertionError(agg)

    for a in spec.aggregate:
        if a != "open":
            for w in spec.windows:
                out[f"{a}__{w.label}"] = value_of(a, w, False)
    _trend_and_no_data(spec, out, value_of, persons)
    return out


# ---------------------------------------------------------------- periods

def _periods(tables, spec, t, persons):
    pe = tables["periods"]
    pe = pe[known_on(pe, "period_end") < t]

    def total(measures, w: Window, previous: bool) -> pd.Series:
        rows = pe[pe["measure"].isin(measures)]
        if not w.is_all:
            lo = w.shift(t, -1)
            if previous:
                rows = rows[(rows["period_end"] >= w.shift(lo, -1))
                            & (rows["period_end"] < lo)]
            else:
                rows = rows[rows["period_end"] >= lo]
        return _per_person(rows.groupby("person_id")["value"].sum(), persons, 0.0)

    def value_of(agg: str, w: Window, previous: bool) -> pd.Series:
        if agg == "sum":
            return total(spec.measure, w, previous)
        num = total(spec.ratio.numerator.measure, w, previous)
        den = total(spec.ratio.denominator.measure, w, previous)
        ratio = (num / den).where(den != 0)
        if spec.ratio.complement:
            ratio = 1 - ratio
        if agg == "ratio":
            return ratio
        if agg == "persistent":
            return (ratio >= spec.threshold).astype(float).where(ratio.notna())
        raise AssertionError(agg)

    out = {f"{a}__{w.label}": value_of(a, w, False)
           for a in spec.aggregate for w in spec.windows}
    _trend_and_no_data(spec, out, value_of, persons)
    return out


# ---------------------------------------------------------------- as of the date

def _characteristics(tables, spec, t, persons):
    ch = tables["characteristics"]
    ch = ch[(ch["attribute"] == spec.attribute) & (known_on(ch, "valid_from") < t)]
    if "valid_to" in ch.columns:
        ch = ch[ch["valid_to"].isna() | (ch["valid_to"] >= t)]
    latest = ch.sort_values(["valid_from", "value"], ascending=False)
    latest = latest.drop_duplicates("person_id").set_index("person_id")["value"]
    latest.index = latest.index.astype(str)
    return {"value__asof": latest.reindex(persons).fillna("unknown").astype(object)}


def _dob(tables, persons) -> pd.Series:
    people = tables["people"]
    dob = people.groupby(people["person_id"].astype(str))["date_of_birth"].min()
    return pd.to_datetime(dob).reindex(persons)


def _people(tables, spec, t, persons):
    if "age" in spec.aggregate:
        days = (t - _dob(tables, persons)).dt.days
        return {"age__asof": days / DAYS_PER_YEAR}
    people = tables["people"]
    col = people.groupby(people["person_id"].astype(str))[spec.column].max()
    return {"value__asof": col.reindex(persons).fillna("unknown").astype(object)}


# ---------------------------------------------------------------- random tables
# Hypothesis strategies for the property tests: a few people, dates drawn often
# from the edges that matter (the as-of day, the first day of each window, the day
# before), late recording, open episodes, periods straddling the as-of date.

from hypothesis import strategies as st  # noqa: E402

from earlysignal.data import CanonicalTables  # noqa: E402
from earlysignal.features._spec import parse_feature_specs  # noqa: E402

BASE_DAY = pd.Timestamp("2023-01-01")
PEOPLE = ["p0", "p1", "p2"]
TEST_WINDOWS = [Window.parse(w) for w in ("30d", "3m", "1y")]

ALL_SPECS = parse_feature_specs([
    {"name": "school_events", "from": "events", "where": {"source": "school"},
     "aggregate": ["count", "sum", "ever", "days_since_last", "days_since_first",
                   "distinct_types", "rate_per_year"],
     "windows": ["30d", "3m", "all"], "trend": True},
    {"name": "typed", "from": "events", "where": {"event_type": ["a", "b"]},
     "aggregate": ["sum", "days_since_last"], "windows": ["1y"], "trend": True},
    {"name": "cin", "from": "episodes", "where": {"episode_type": "cin"},
     "aggregate": ["open", "started", "days_in", "days_since_last_ended"],
     "windows": ["30d", "1y", "all"], "trend": True},
    {"name": "any_episode", "from": "episodes", "aggregate": ["days_in", "open"],
     "windows": ["3m"], "trend": True},
    {"name": "absence", "from": "periods",
     "ratio": {"numerator": {"measure": ["auth", "unauth"]},
               "denominator": {"measure": "possible"}},
     "aggregate": ["ratio", "persistent"], "threshold": 0.2,
     "windows": ["30d", "3m", "all"], "trend": True},
    {"name": "attendance", "from": "periods",
     "ratio": {"numerator": {"measure": "auth"}, "denominator": {"measure": "possible"},
               "complement": True}, "windows": ["1y"]},
    {"name": "unauth", "from": "periods", "measure": "unauth",
     "aggregate": ["sum"], "windows": ["3m"], "trend": True},
    {"name": "sen", "from": "characteristics", "attribute": "sen"},
    {"name": "fsm", "from": "characteristics", "attribute": "fsm"},
    {"name": "age", "from": "people", "aggregate": ["age"]},
    {"name": "school", "from": "people", "column": "school"},
])


def edge_days(as_of_days: list[int]) -> list[int]:
    """Days on the boundaries: t, t - 1 and the first day of each window."""
    out = set()
    for d in as_of_days:
        t = BASE_DAY + pd.Timedelta(days=d)
        out.update({d, d - 1, d + 1})
        for w in TEST_WINDOWS:
            lo = w.shift(t, -1)
            for x in (lo, w.shift(lo, -1)):
                k = (x - BASE_DAY).days
                out.update({k, k - 1})
    return sorted(out)


def _day(draw, edges, lo=0, hi=800):
    d = draw(st.one_of(st.sampled_from(edges), st.integers(lo, hi)))
    return BASE_DAY + pd.Timedelta(days=int(d))


def _maybe_recorded(draw, edges, day):
    kind = draw(st.sampled_from(["none", "none", "lag", "edge", "early"]))
    if kind == "none":
        return None
    if kind == "lag":
        return day + pd.Timedelta(days=draw(st.integers(0, 60)))
    if kind == "early":
        return day - pd.Timedelta(days=draw(st.integers(1, 10)))
    return _day(draw, edges)


@st.composite
def canonical_tables(draw, as_of_days: list[int], max_rows: int = 8):
    """Random canonical tables whose dates cluster around the as-of days."""
    edges = edge_days(as_of_days)
    person = st.sampled_from(PEOPLE)
    people = pd.DataFrame({
        "person_id": PEOPLE,
        "date_of_birth": [draw(st.one_of(st.none(), st.sampled_from(
            ["2008-02-29", "2010-09-01", "2024-01-01"]))) for _ in PEOPLE],
        "school": [draw(st.sampled_from(["S1", "S2"])) for _ in PEOPLE],
    })
    events = []
    for _ in range(draw(st.integers(0, max_rows))):
        day = _day(draw, edges)
        events.append({
            "person_id": draw(person), "event_date": day,
            "source": draw(st.sampled_from(["school", "police"])),
            "event_type": draw(st.sampled_from(["a", "b", "c"])),
            "value": draw(st.sampled_from([1.0, 2.5, 0.0, 3.0])),
            "recorded_at": _maybe_recorded(draw, edges, day)})
    episodes = []
    for _ in range(draw(st.integers(0, max_rows))):
        start = _day(draw, edges)
        end_kind = draw(st.sampled_from(["open", "len", "edge"]))
        end = None if end_kind == "open" else (
            start + pd.Timedelta(days=draw(st.integers(0, 200))) if end_kind == "len"
            else max(start, _day(draw, edges)))
        episodes.append({
            "person_id": draw(person), "start_date": start, "end_date": end,
            "source": "social_care", "episode_type": draw(st.sampled_from(["cin", "cp"])),
            "recorded_at": _maybe_recorded(draw, edges, start)})
    periods = []
    for _ in range(draw(st.integers(0, max_rows))):
        end = _day(draw, edges)
        start = end - pd.Timedelta(days=draw(st.integers(0, 120)))
        rec = _maybe_recorded(draw, edges, end)
        who = draw(person)
        for measure in draw(st.lists(st.sampled_from(["possible", "auth", "unauth"]),
                                     min_size=1, max_size=3)):
            periods.append({
                "person_id": who, "period_start": start, "period_end": end,
                "measure": measure, "value": float(draw(st.integers(0, 20))),
                "recorded_at": rec})
    chars = []
    for _ in range(draw(st.integers(0, max_rows))):
        vf = _day(draw, edges)
        vt = draw(st.one_of(st.none(), st.integers(0, 300)))
        chars.append({
            "person_id": draw(person), "attribute": draw(st.sampled_from(["sen", "fsm"])),
            "value": draw(st.sampled_from(["x", "y", "z"])), "valid_from": vf,
            "valid_to": None if vt is None else vf + pd.Timedelta(days=vt)})
    cols = {
        "events": ["person_id", "event_date", "source", "event_type", "value",
                   "recorded_at"],
        "episodes": ["person_id", "start_date", "end_date", "source", "episode_type",
                     "recorded_at"],
        "periods": ["person_id", "period_start", "period_end", "measure", "value",
                    "recorded_at"],
        "characteristics": ["person_id", "attribute", "value", "valid_from",
                            "valid_to"],
    }
    frames = {"people": people}
    for name, rows in (("events", events), ("episodes", episodes),
                       ("periods", periods), ("characteristics", chars)):
        frames[name] = pd.DataFrame(rows, columns=cols[name])
    return CanonicalTables.from_frames(frames)


@st.composite
def tables_and_cohort(draw, max_rows: int = 8):
    """(tables, cohort): every person at one or two as-of dates."""
    as_of_days = draw(st.lists(st.integers(200, 800), min_size=1, max_size=2,
                               unique=True))
    tables = draw(canonical_tables(as_of_days, max_rows))
    cohort = pd.DataFrame(
        [(p, BASE_DAY + pd.Timedelta(days=d)) for d in as_of_days for p in PEOPLE],
        columns=["person_id", "as_of"])
    return tables, cohort


def assert_frames_match(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Cell-by-cell equality: floats to 1e-9, categories as text, NULL == NULL."""
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    got, want = got.reset_index(drop=True), want.reset_index(drop=True)
    assert (got["person_id"].astype(str) == want["person_id"].astype(str)).all()
    assert (pd.to_datetime(got["as_of"]) == pd.to_datetime(want["as_of"])).all()
    bad = []
    for col in got.columns[2:]:
        g, w = got[col], want[col]
        if pd.api.types.is_numeric_dtype(w) or w.isna().all():
            same = np.isclose(g.astype(float), w.astype(float), rtol=1e-9, atol=1e-9,
                              equal_nan=True)
        else:
            both_null = (g.isna() & w.isna()).to_numpy()
            same = both_null | (g.notna() & w.notna() & (g.astype(object).astype(str)
                                == w.astype(object).astype(str))).to_numpy()
        for i in np.flatnonzero(~same):
            bad.append(f"{col} row {i} ({got['person_id'][i]}, "
                       f"{pd.Timestamp(got['as_of'][i]).date()}): "
                       f"engine {g[i]!r} vs reference {w[i]!r}")
    assert not bad, "\n".join(bad[:20])
