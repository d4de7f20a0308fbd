"""What each feature column means: its source, window, unit, family and wording.

Later stages (explanations, reports) read :class:`FeatureMeta`, never column names.

Missing-data semantics, the same on every engine:

- counts, sums, ``ever``, ``started``, ``days_in``, ``distinct_types`` and
  ``rate_per_year`` are 0 when nothing was recorded in the window;
- recency (``days_since_*``), ``ratio`` and ``persistent`` are NULL (NaN) when nothing
  was recorded (or the denominator is 0), and the spec gets one indicator column
  ``{name}__no_data__{window}`` per window: 1 when that is so, else 0;
- characteristics and people values are the category ``unknown`` when none is
  known at the date; a characteristic read as a ``number`` is NULL then;
  ``rate_per_year`` over ``all`` is NULL when the date of birth is unknown;
- a trend is NULL when either of its two windows is NULL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from earlysignal.features._labels import known_on
from earlysignal.features._spec import AS_OF_AGGREGATES, NULLABLE, FeatureSpec
from earlysignal.features._windows import Window

Kind = str  # "numeric" | "categorical" | "indicator"

_UNITS = {
    "count": "count", "sum": "value", "ever": "flag", "days_since_last": "days",
    "days_since_first": "days", "distinct_types": "count", "rate_per_year": "per year",
    "open": "flag", "started": "count", "days_in": "days",
    "days_since_last_ended": "days", "ratio": "proportion", "persistent": "flag",
    "value": "category", "age": "years", "no_data": "flag", "number": "value",
}
_INDICATORS = frozenset({"ever", "open", "persistent", "no_data"})


@dataclass(frozen=True)
class FeatureMeta:
    """Metadata of one feature column.

    ``window`` is the window label (``90d``, ``6m``, ``1y``, ``all``) or ``asof`` for
    values taken at the date itself. ``filter`` holds the row filter as
    ``(column, values)`` pairs, so :func:`rows_behind` can fetch the rows behind a
    value. ``base_aggregate`` is the aggregate a ``trend`` or ``no_data`` column
    belongs to.

    Examples
    --------
    >>> from earlysignal.features._spec import parse_feature_specs
    >>> spec = parse_feature_specs([{"name": "suspensions", "from": "events",
    ...     "where": {"source": "school", "event_type": "suspension"},
    ...     "aggregate": ["count"], "windows": ["90d"]}])[0]
    >>> meta = feature_metadata([spec])[0]
    >>> meta.column, meta.family, meta.unit
    ('suspensions__count__90d', 'behaviour', 'count')
    >>> meta.template
    '{value} suspensions in the last 90 days'
    """

    column: str
    name: str
    aggregate: str
    window: str
    table: str
    source: str | None
    family: str
    unit: str
    template: str
    kind: Kind
    is_missing_indicator: bool
    protected: bool
    filter: tuple[tuple[str, tuple[str, ...]], ...]
    label: str
    base_aggregate: str | None = None
    span: Window | None = None

    def filter_dict(self) -> dict[str, tuple[str, ...]]:
        """The row filter as a mapping ``column -> allowed values``."""
        return dict(self.filter)

    def rows_behind(
        self, tables: Mapping[str, pd.DataFrame], person_id: object,
        as_of: pd.Timestamp,
    ) -> pd.DataFrame:
        """Same as :func:`rows_behind` for this feature."""
        return rows_behind(self, tables, person_id, as_of)


def feature_metadata(specs: Sequence[FeatureSpec]) -> list[FeatureMeta]:
    """Metadata for every column the specs produce, in output column order.

    Per spec: each aggregate over each window (``asof`` aggregates once), then the
    trend columns, then the ``no_data`` indicators.
    """
    out: list[FeatureMeta] = []
    for spec in specs:
        for agg in spec.aggregate:
            if agg in AS_OF_AGGREGATES:
                out.append(_meta(spec, agg, None))
            else:
                out.extend(_meta(spec, agg, w) for w in spec.windows)
        base = spec.trend_aggregate
        out.extend(_meta(spec, "trend", w, base) for w in spec.trend_windows)
        nullable = [a for a in spec.aggregate if a in NULLABLE]
        if nullable:
            out.extend(_meta(spec, "no_data", w, nullable[0]) for w in spec.windows)
    return out


def metadata_frame(metas: Sequence[FeatureMeta]) -> pd.DataFrame:
    """The metadata as a table, one row per column (filters as text)."""
    rows = []
    for m in metas:
        row = asdict(m)
        row["filter"] = "; ".join(f"{k} in {list(v)}" for k, v in m.filter)
        row.pop("span")
        rows.append(row)
    return pd.DataFrame(rows)


def _filter_of(spec: FeatureSpec) -> tuple[tuple[str, tuple[str, ...]], ...]:
    pairs = list(spec.where.items())
    if spec.table == "periods":
        measures = list(spec.measure)
        if spec.ratio is not None:
            measures += list(spec.ratio.numerator.measure)
            measures += list(spec.ratio.denominator.measure)
        pairs.append(("measure", tuple(dict.fromkeys(measures))))
    if spec.attribute:
        pairs.append(("attribute", (spec.attribute,)))
    return tuple(pairs)


def _meta(
    spec: FeatureSpec, agg: str, window: Window | None, base: str | None = None
) -> FeatureMeta:
    wlabel = window.label if window is not None else "asof"
    unit_of = base if agg == "trend" else agg
    unit = _UNITS[unit_of or "count"]
    if unit_of == "number":
        unit = spec.unit or "value"
    if unit_of == "sum":
        unit = spec.unit or ("sessions" if spec.table == "periods" else "value")
    if agg in ("value",):
        kind = "categorical"
    elif agg in _INDICATORS:
        kind = "indicator"
    else:
        kind = "numeric"
    return FeatureMeta(
        column=f"{spec.name}__{agg}__{wlabel}",
        name=spec.name,
        aggregate=agg,
        window=wlabel,
        table=spec.table,
        source=spec.source,
        family=spec.family_or_default(),
        unit=unit,
        template=_template(spec, agg, window, base),
        kind=kind,
        is_missing_indicator=agg == "no_data",
        protected=spec.protected,
        filter=_filter_of(spec),
        label=spec.label_or_default(),
        base_aggregate=base,
        span=window,
    )


def window_phrase(window: Window | None) -> str:
    """``in the last 90 days``, ``in the last year``, ``ever`` (for ``all``)."""
    if window is None:
        return "on this date"
    if window.is_all:
        return "ever"
    names = {"days": "day", "weeks": "week", "months": "month", "years": "year",
             "terms": "term"}
    unit = names[window.unit]
    if window.n == 1:
        return f"in the last {unit}"
    return f"in the last {window.n} {unit}s"


def _template(
    spec: FeatureSpec, agg: str, window: Window | None, base: str | None
) -> str:
    label = spec.label_or_default()
    when = window_phrase(window)
    texts = {
        "count": f"{{value}} {label} {when}",
        "sum": f"{{value}} {spec.unit or 'in total'} of {label} {when}",
        "ever": f"has had {label} {when}",
        "days_since_last": f"{{value}} days since the last {label}",
        "days_since_first": f"{{value}} days since the first {label}",
        "distinct_types": f"{{value}} different kinds of {label} {when}",
        "rate_per_year": f"{{value}} {label} a year {when}",
        "open": f"{label} open on this date",
        "started": f"{{value}} {label} started {when}",
        "days_in": f"{{value}} days of {label} {when}",
        "days_since_last_ended": f"{{value}} days since {label} last ended",
        "ratio": f"{label} of {{value}} {when}",
        "persistent": f"{label} at or above {spec.threshold:.0%} {when}",
        "value": f"{label}: {{value}}",
        "number": f"{label}: {{value}}",
        "age": "aged {value}",
        "no_data": f"no {label} recorded {when}",
        "trend": f"{label} changed by {{value}} {when} compared with the "
                 f"{when.removeprefix('in the last ')} before",
    }
    text = texts[agg]
    if agg.startswith("days_since") and window is not None and not window.is_all:
        text += f" ({when})"
    return text


def _day(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


def rows_behind(
    meta: FeatureMeta, tables: Mapping[str, pd.DataFrame], person_id: object,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The rows of ``meta.table`` behind one person's value at ``as_of``.

    Rows known before ``as_of``, matching the feature's filter, within its window
    (both windows for a trend), sorted by date. For characteristics: the row in
    force at ``as_of``; for people: the person's row.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> from earlysignal.features._spec import parse_feature_specs
    >>> tables = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a", "a", "a"], "source": "school",
    ...     "event_type": ["suspension", "suspension", "referral"],
    ...     "event_date": ["2024-01-10", "2024-03-01", "2024-01-20"]})})
    >>> spec = parse_feature_specs([{"name": "suspensions", "from": "events",
    ...     "where": {"event_type": "suspension"}, "windows": ["90d"]}])[0]
    >>> meta = feature_metadata([spec])[0]
    >>> rows_behind(meta, tables, "a", pd.Timestamp("2024-03-01"))["event_date"]
    0   2024-01-10
    Name: event_date, dtype: datetime64[us]
    """
    t = pd.Timestamp(as_of).normalize()
    df = tables[meta.table]
    df = df[df["person_id"].astype(str) == str(person_id)]
    if meta.table == "people":
        return df.reset_index(drop=True)
    date_col = {"events": "event_date", "episodes": "start_date",
                "periods": "period_end", "characteristics": "valid_from"}[meta.table]
    df = df[known_on(df, date_col) < t]
    for col, values in meta.filter:
        df = df[df[col].astype(str).isin(values)]
    if meta.table == "characteristics":
        vt = _day(df["valid_to"]) if "valid_to" in df.columns else None
        if vt is not None:
            df = df[vt.isna() | (vt >= t)]
        return df.sort_values(date_col).tail(1).reset_index(drop=True)
    if meta.span is not None and not meta.span.is_all:
        lo = meta.span.shift(t, -1)
        if meta.aggregate == "trend":
            lo = meta.span.shift(lo, -1)
        if meta.table == "episodes":
            end = _day(df["end_date"])
            df = df[end.isna() | (end >= lo)]
        else:
            df = df[_day(df[date_col]) >= lo]
    return df.sort_values(date_col).reset_index(drop=True)
