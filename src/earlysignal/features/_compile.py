"""Compile feature specs to one engine-independent Ibis expression.

How a feature is computed, for a cohort row (person, as-of date ``t``):

- Dates are whole days (integers since 1970-01-01 inside the query), so DuckDB and
  Spark compare them identically, whatever their time zone.
- A row is used only if it was known before ``t``: its *known day* is the later of
  its own date (events: ``event_date``; episodes: ``start_date``; periods:
  ``period_end``; characteristics: ``valid_from``) and ``recorded_at`` when given,
  and it must be ``< t``. Nothing dated on or after ``t`` reaches a feature.
- A window ``w`` is the half-open span ``[t - w, t)`` on the row's own date (months
  and years are calendar spans, as :meth:`Window.shift`); the window before it, used
  by trends, is ``[t - w - w, t - w)``. ``all`` has no lower bound.
- Events: a row counts in a window when its ``event_date`` is in it.
  ``rate_per_year`` is the count over the window length in years
  (:meth:`Window.approx_days` / 365.25); over ``all`` it is the count over the
  person's age in years at ``t`` (NULL when the date of birth is unknown).
- Episodes cover the days ``[start_date, end_date)``; an episode with no end, or an
  end on or after ``t``, is open at ``t`` and clipped at ``t``. ``started`` counts
  episodes starting in the window; ``days_in`` adds up, over matching episodes, the
  days each covers within the window (overlapping episodes are summed, not merged:
  give overlapping kinds their own specs); ``days_since_last_ended`` uses episodes
  that ended in the window (``end_date < t``).
- Periods count when ``period_end`` lies in the window (so a period ending on or
  after ``t`` never counts). ``ratio`` is sum(numerator) / sum(denominator),
  NULL when the denominator sums to 0; ``persistent`` is ``ratio >= threshold``.
- Characteristics: the value in force at ``t``: ``valid_from < t`` and ``valid_to``
  empty or ``>= t``; the latest ``valid_from`` wins (ties: the greatest value).
  ``value`` is that text as a category; ``number`` is it read as a number (NULL
  when none is in force or it is not a number).
- People: ``age`` is (t - date_of_birth) in days / 365.25, a float.

Every window of every spec on the same table is computed in one pass: the cohort is
joined once to that table's rows within the widest window, and each window is a
conditional aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.features._metadata import FeatureMeta, feature_metadata
from earlysignal.features._spec import UNKNOWN_CATEGORY, FeatureSpec
from earlysignal.features._windows import Window

_DATE_COLS = {"events": "event_date", "episodes": "start_date",
              "periods": "period_end", "characteristics": "valid_from"}
_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Compiled:
    """The compiled expression (``rid`` and one column per feature) and metadata."""

    expr: Any
    metadata: tuple[FeatureMeta, ...]
    names: str


def needed_tables(specs: Sequence[FeatureSpec]) -> list[str]:
    """Canonical tables the specs read (people when an age or rate needs it)."""
    names = {s.table for s in specs}
    if any(s.table == "events" and "rate_per_year" in s.aggregate and
           any(w.is_all for w in s.windows) for s in specs):
        names.add("people")
    order = ("people", "events", "episodes", "periods", "characteristics")
    return [n for n in order if n in names]


def windows_of(specs: Sequence[FeatureSpec]) -> tuple[list[Window], list[Window]]:
    """The finite windows used, and those that also need the window before them."""
    cur = sorted({w for s in specs for w in s.windows if not w.is_all})
    prev = sorted({w for s in specs for w in s.trend_windows})
    return cur, prev


def window_bounds(as_of_days: Iterable[int], specs: Sequence[FeatureSpec]
                  ) -> pd.DataFrame:
    """One row per as-of day ``t``: the first day of each window (``lo__90d``) and of
    the window before it (``lo2__90d``), as days since 1970-01-01."""
    days = np.unique(np.asarray(list(as_of_days), dtype="int64"))
    stamps = pd.to_datetime(days, unit="D")
    out = pd.DataFrame({"t": days})
    cur, prev = windows_of(specs)
    for w in cur:
        lo = [w.shift(s, -1) for s in stamps]
        out[f"lo__{w.label}"] = _to_days(lo)
        if w in prev:
            out[f"lo2__{w.label}"] = _to_days([w.shift(x, -1) for x in lo])
    return out


def _to_days(stamps: list[pd.Timestamp]) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(stamps).values.astype("datetime64[D]")
                      .astype("int64"))


# -- the "known before t" rule; kept in two small functions so the leakage tests
# -- can swap in a deliberately wrong rule and see the property check catch it.

def _known_day(tbl: Any, date_col: str) -> Any:
    """The day a row became known: the later of its date and ``recorded_at``."""
    import ibis

    d = _days(tbl[date_col])
    if "recorded_at" in tbl.columns:
        return ibis.greatest(d, _days(tbl["recorded_at"]).fill_null(d))
    return d


def _before(day: Any, t: Any) -> Any:
    """``day`` is strictly before the as-of day ``t``."""
    return day < t


def _days(col: Any) -> Any:
    return col.cast("date").epoch_days()


def _pid(tbl: Any) -> Any:
    col = tbl["person_id"]
    return col if col.type().is_string() else col.cast("string")


def compile_features(specs: Sequence[FeatureSpec], tables: Mapping[str, Any]
                     ) -> Compiled:
    """Compile ``specs`` against Ibis tables.

    ``tables`` holds ``cohort`` (rid, person_id, t), ``bounds`` (from
    :func:`window_bounds`) and each canonical table in :func:`needed_tables`.
    The result has ``rid`` and the feature columns in :func:`feature_metadata` order.
    """
    metas = feature_metadata(specs)
    base = tables["cohort"].join(tables["bounds"], "t")
    if "people" in needed_tables(specs):
        base = _with_people(base, tables["people"], specs)
    raw_tables = []
    builders = {"events": _events, "episodes": _episodes, "periods": _periods,
                "characteristics": _characteristics}
    for table, build in builders.items():
        group = [s for s in specs if s.table == table]
        if group:
            raw_tables.append(build(group, base, tables["bounds"], tables[table]))
    res = base
    for raw in raw_tables:
        res = res.left_join(raw, "rid")
    cols: dict[str, Any] = {}
    for spec in specs:
        cols.update(_finals(spec, res))
    expr = res.select("rid", **{m.column: cols[m.column] for m in metas})
    return Compiled(expr, tuple(metas), ", ".join(s.name for s in specs))


def _with_people(base: Any, people: Any, specs: Sequence[FeatureSpec]) -> Any:
    extra = sorted({s.column for s in specs if s.table == "people" and s.column})
    aggs = {"dob": _days(people["date_of_birth"]).min()}
    aggs.update({f"pcol__{c}": people[c].cast("string").max() for c in extra})
    p = people.mutate(pid=_pid(people)).group_by("pid").aggregate(**aggs)
    return base.left_join(p, base.person_id == p.pid).drop("pid")


def _match(tbl: Any, spec: FeatureSpec) -> Any:
    import ibis

    cond = ibis.literal(True)
    for col, values in spec.where.items():
        cond = cond & tbl[col].isin(list(values))
    return cond


def _any_match(tbl: Any, specs: Sequence[FeatureSpec]) -> Any | None:
    if any(not s.where for s in specs):
        return None
    cond = _match(tbl, specs[0])
    for s in specs[1:]:
        cond = cond | _match(tbl, s)
    return cond


def _widest(base: Any, specs: Sequence[FeatureSpec]) -> Any | None:
    import ibis

    cols = []
    for s in specs:
        for w in s.windows:
            if w.is_all:
                return None
            cols.append(f"lo2__{w.label}" if w in s.trend_windows else f"lo__{w.label}")
    if not cols:
        return None
    cols = sorted(set(cols))
    return base[cols[0]] if len(cols) == 1 else ibis.least(*[base[c] for c in cols])


def _window_keys(spec: FeatureSpec) -> list[tuple[str, Window, bool]]:
    keys = [(w.label, w, False) for w in spec.windows]
    keys += [(f"p{w.label}", w, True) for w in spec.trend_windows]
    return keys


def _in_window(j: Any, day: Any, w: Window, prev: bool) -> Any:
    import ibis

    if w.is_all:
        return ibis.literal(True)
    lo = j[f"lo__{w.label}"]
    if prev:
        return (day >= j[f"lo2__{w.label}"]) & (day < lo)
    return day >= lo


def _in_span(rows: Any, day: Any, bounds: Any, specs: Sequence[FeatureSpec]) -> Any:
    """Rows that can reach any cohort row: known before the latest as-of date and,
    when every window is finite, not before the earliest window start. Cuts the
    rows before the join; the exact per-row rules are applied after it."""
    keep = _before(rows.known, bounds.t.max())
    widest = _widest(bounds, specs)
    if widest is not None:
        keep = keep & (day >= widest.min())
    return rows.filter(keep)


def _join(base: Any, rows: Any, lo_min_ok: Any) -> Any:
    preds = [base.person_id == rows.pid, _before(rows.known, base.t)]
    j = base.join(rows, preds)
    if lo_min_ok is not None:
        j = j.filter(lo_min_ok(j))
    return j


def _events(specs: Sequence[FeatureSpec], base: Any, bounds: Any, ev: Any) -> Any:
    import ibis

    value = ev["value"].cast("float64") if "value" in ev.columns else ibis.literal(1.0)
    rows = ev.select(pid=_pid(ev), d=_days(ev.event_date),
                     known=_known_day(ev, "event_date"), v=value,
                     source=ev.source.cast("string"),
                     event_type=ev.event_type.cast("string"))
    pre = _any_match(rows, specs)
    if pre is not None:
        rows = rows.filter(pre)
    rows = _in_span(rows, rows.d, bounds, specs)
    widest = _widest(base, specs)
    j = _join(base, rows, None if widest is None else
              (lambda j: j.d >= _widest(j, specs)))
    aggs: dict[str, Any] = {}
    for s in specs:
        m = _match(j, s)
        for key, w, prev in _window_keys(s):
            c = m & _in_window(j, j.d, w, prev)
            aggs[f"{s.name}__n__{key}"] = j.d.count(where=c)
            if "sum" in s.aggregate:
                aggs[f"{s.name}__s__{key}"] = j.v.sum(where=c)
            if "distinct_types" in s.aggregate:
                aggs[f"{s.name}__dist__{key}"] = j.event_type.nunique(where=c)
            if not prev and "days_since_last" in s.aggregate:
                aggs[f"{s.name}__last__{key}"] = j.d.max(where=c)
            if not prev and "days_since_first" in s.aggregate:
                aggs[f"{s.name}__first__{key}"] = j.d.min(where=c)
    return j.group_by("rid").aggregate(**aggs)


def _episodes(specs: Sequence[FeatureSpec], base: Any, bounds: Any, ep: Any) -> Any:
    import ibis

    rows = ep.select(pid=_pid(ep), s=_days(ep.start_date), en=_days(ep.end_date),
                     known=_known_day(ep, "start_date"),
                     source=ep.source.cast("string"),
                     episode_type=ep.episode_type.cast("string"))
    pre = _any_match(rows, specs)
    if pre is not None:
        rows = rows.filter(pre)

    def reaches(j: Any) -> Any:
        lo = _widest(j, specs)
        return j.en.isnull() | (j.en >= lo) | (j.s >= lo)

    rows = rows.filter(_before(rows.known, bounds.t.max()))
    j = _join(base, rows, None if _widest(base, specs) is None else reaches)
    end_at_t = ibis.least(j.en.fill_null(j.t), j.t)
    aggs: dict[str, Any] = {}
    for s in specs:
        m = _match(j, s)
        if "open" in s.aggregate:
            aggs[f"{s.name}__open__asof"] = j.s.count(
                where=m & (j.en.isnull() | (j.en >= j.t)))
        for key, w, prev in _window_keys(s):
            if "started" in s.aggregate:
                aggs[f"{s.name}__st__{key}"] = j.s.count(
                    where=m & _in_window(j, j.s, w, prev))
            if "days_in" in s.aggregate:
                if w.is_all:
                    lo, hi = j.s, end_at_t
                elif prev:
                    lo = ibis.greatest(j.s, j[f"lo2__{w.label}"])
                    hi = ibis.least(end_at_t, j[f"lo__{w.label}"])
                else:
                    lo, hi = ibis.greatest(j.s, j[f"lo__{w.label}"]), end_at_t
                aggs[f"{s.name}__din__{key}"] = ibis.greatest(hi - lo, 0).sum(where=m)
            if not prev and "days_since_last_ended" in s.aggregate:
                ended = m & (j.en < j.t) & _in_window(j, j.en, w, False)
                aggs[f"{s.name}__lend__{key}"] = j.en.max(where=ended)
    return j.group_by("rid").aggregate(**aggs)


def _periods(specs: Sequence[FeatureSpec], base: Any, bounds: Any, pe: Any) -> Any:
    rows = pe.select(pid=_pid(pe), d=_days(pe.period_end),
                     known=_known_day(pe, "period_end"),
                     measure=pe.measure.cast("string"), v=pe["value"].cast("float64"))
    measures = sorted({m for s in specs for ms in _measure_sets(s).values()
                       for m in ms})
    rows = rows.filter(rows.measure.isin(measures))
    rows = _in_span(rows, rows.d, bounds, specs)
    widest = _widest(base, specs)
    j = _join(base, rows, None if widest is None else
              (lambda j: j.d >= _widest(j, specs)))
    aggs: dict[str, Any] = {}
    for s in specs:
        for key, w, prev in _window_keys(s):
            c = _in_window(j, j.d, w, prev)
            for role, ms in _measure_sets(s).items():
                aggs[f"{s.name}__{role}__{key}"] = j.v.sum(
                    where=c & j.measure.isin(list(ms)))
    return j.group_by("rid").aggregate(**aggs)


def _measure_sets(spec: FeatureSpec) -> dict[str, tuple[str, ...]]:
    out = {}
    if spec.measure:
        out["sum"] = spec.measure
    if spec.ratio is not None:
        out["num"] = spec.ratio.numerator.measure
        out["den"] = spec.ratio.denominator.measure
    return out


def _characteristics(specs: Sequence[FeatureSpec], base: Any, bounds: Any, ch: Any) -> Any:
    import ibis

    vt = _days(ch.valid_to) if "valid_to" in ch.columns else ibis.null("int64")
    rows = ch.select(pid=_pid(ch), attribute=ch.attribute.cast("string"),
                     value=ch["value"].cast("string"), vf=_days(ch.valid_from),
                     vt=vt, known=_known_day(ch, "valid_from"))
    rows = rows.filter(rows.attribute.isin(sorted({str(s.attribute) for s in specs})))
    rows = rows.filter(_before(rows.known, bounds.t.max()))
    j = _join(base, rows, None)
    j = j.filter(j.vt.isnull() | (j.vt >= j.t))
    rank = ibis.row_number().over(group_by=[j.rid, j.attribute],
                                  order_by=[j.vf.desc(), j.value.desc()])
    j = j.mutate(rank=rank).filter(lambda x: x["rank"] == 0)
    aggs = {f"{s.name}__val__asof": j.value.max(where=j.attribute == s.attribute)
            for s in specs}
    return j.group_by("rid").aggregate(**aggs)


def _finals(spec: FeatureSpec, r: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for agg in spec.aggregate:
        if agg in ("open", "value", "age", "number"):
            out[f"{spec.name}__{agg}__asof"] = _value(spec, agg, None, False, r)
            continue
        for w in spec.windows:
            out[f"{spec.name}__{agg}__{w.label}"] = _value(spec, agg, w, False, r)
    base = spec.trend_aggregate
    for w in spec.trend_windows:
        assert base is not None
        cur = _value(spec, base, w, False, r)
        out[f"{spec.name}__trend__{w.label}"] = cur - _value(spec, base, w, True, r)
    nullable = [a for a in spec.aggregate if a in (
        "days_since_last", "days_since_first", "days_since_last_ended", "ratio",
        "persistent")]
    if nullable:
        for w in spec.windows:
            v = _value(spec, nullable[0], w, False, r)
            out[f"{spec.name}__no_data__{w.label}"] = v.isnull().cast("float64")
    return out


def _float(x: Any) -> Any:
    """A double: Spark reads a literal such as 365.25 as a DECIMAL and rounds
    DECIMAL quotients to six places."""
    import ibis

    return (x if isinstance(x, ibis.Expr) else ibis.literal(x)).cast("float64")


def _value(spec: FeatureSpec, agg: str, w: Window | None, prev: bool, r: Any) -> Any:
    """The final value of one aggregate, from the raw per-row aggregates in ``r``."""
    import ibis

    key = "asof" if w is None else (f"p{w.label}" if prev else w.label)
    n = spec.name

    def raw(name: str, fill: Any = None) -> Any:
        col = r[f"{n}__{name}__{key}"]
        return col if fill is None else col.fill_null(fill)

    if agg == "count":
        v = raw("n", 0)
    elif agg == "sum" and spec.table == "periods":
        v = raw("sum", 0.0)
    elif agg == "sum":
        v = raw("s", 0.0)
    elif agg == "ever":
        v = raw("n", 0) > 0
    elif agg == "distinct_types":
        v = raw("dist", 0)
    elif agg == "rate_per_year":
        assert w is not None
        if w.is_all:
            years = _float(r.t - r.dob) / _DAYS_PER_YEAR
            v = ibis.ifelse(years > 0, _float(raw("n", 0)) / years,
                            ibis.null("float64"))
        else:
            v = _float(raw("n", 0)) / _float(w.approx_days() / _DAYS_PER_YEAR)
    elif agg in ("days_since_last", "days_since_first", "days_since_last_ended"):
        name = {"days_since_last": "last", "days_since_first": "first",
                "days_since_last_ended": "lend"}[agg]
        v = r.t - raw(name)
    elif agg == "open":
        v = raw("open", 0) > 0
    elif agg == "started":
        v = raw("st", 0)
    elif agg == "days_in":
        v = raw("din", 0)
    elif agg in ("ratio", "persistent"):
        assert spec.ratio is not None
        v = raw("num", 0.0) / raw("den").nullif(0.0)
        if spec.ratio.complement:
            v = _float(1.0) - v
        if agg == "persistent":
            v = ibis.ifelse(v.isnull(), ibis.null("float64"),
                            (v >= spec.threshold).cast("float64"))
    elif agg == "value" and spec.table == "people":
        return r[f"pcol__{spec.column}"].cast("string").fill_null(UNKNOWN_CATEGORY)
    elif agg == "value":
        return raw("val").cast("string").fill_null(UNKNOWN_CATEGORY)
    elif agg == "number":
        v = raw("val").cast("string").strip().try_cast("float64")
    elif agg == "age":
        v = _float(r.t - r.dob) / _DAYS_PER_YEAR
    else:  # pragma: no cover - the spec parser allows no other aggregate
        raise ValueError(agg)
    return v.cast("float64")
