"""Declared feature specs: what to compute, from which table, over which windows.

A spec is a frozen, engine-free object. It is parsed from YAML (a list under
``features:``), checked as a whole, and only compiled to an Ibis expression when an
engine is at hand (:mod:`earlysignal.features._compile`).

Every problem in a list of specs is collected, each with its YAML path and a hint,
and raised once as a :class:`~earlysignal.errors.ConfigError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from earlysignal.errors import ConfigError
from earlysignal.features._windows import Window, WindowError

TableName = Literal["events", "episodes", "periods", "characteristics", "people"]

#: Aggregates each table supports, in the order they are documented.
AGGREGATES: dict[str, tuple[str, ...]] = {
    "events": (
        "count", "sum", "ever", "days_since_last", "days_since_first",
        "distinct_types", "rate_per_year",
    ),
    "episodes": ("open", "started", "days_in", "days_since_last_ended"),
    "periods": ("sum", "ratio", "persistent"),
    "characteristics": ("value", "number"),
    "people": ("age", "value"),
}

#: Aggregates taken at the as-of date itself; they ignore windows (label ``asof``).
AS_OF_AGGREGATES = frozenset({"open", "value", "age", "number"})

#: Aggregates a ``trend`` can be taken of, per table, in order of preference.
TRENDABLE = frozenset({
    "count", "sum", "distinct_types", "rate_per_year", "started", "days_in", "ratio",
})

#: Aggregates that are NULL when nothing was recorded; each gets a ``no_data`` column.
NULLABLE = frozenset({"days_since_last", "days_since_first", "days_since_last_ended",
                      "ratio", "persistent"})

#: Columns a ``where`` filter may name, per table.
WHERE_COLUMNS: dict[str, tuple[str, ...]] = {
    "events": ("source", "event_type"),
    "episodes": ("source", "episode_type"),
}

#: The category of a characteristic with no value known at the as-of date. A
#: category rather than NULL, so that "not recorded" is something a model can use
#: and every engine and file format reads it back the same way.
UNKNOWN_CATEGORY = "unknown"

#: Factor family given to a feature when its spec does not name one.
SOURCE_FAMILY = {
    "school": "education",
    "police": "police",
    "social_care": "social_care",
    "youth_justice": "youth_justice",
    "health": "health",
}
TABLE_FAMILY = {
    "events": "events",
    "episodes": "episodes",
    "periods": "attendance",
    "characteristics": "characteristics",
    "people": "demographics",
}
_SCHOOL_EVENT_FAMILY = "behaviour"

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_KEYS = (
    "name", "from", "where", "aggregate", "windows", "trend", "family", "label",
    "measure", "ratio", "threshold", "attribute", "column", "protected", "unit",
)


class Measures(BaseModel):
    """One or more period measures whose values are added up."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    measure: tuple[str, ...]


class Ratio(BaseModel):
    """A ratio of two sums of period measures (``1 - ratio`` when ``complement``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    numerator: Measures
    denominator: Measures
    complement: bool = False


class FeatureSpec(BaseModel):
    """One declared feature; see :func:`parse_feature_specs` for the YAML form.

    Examples
    --------
    >>> spec = FeatureSpec(name="suspensions", table="events",
    ...                    where={"event_type": ("suspension",)},
    ...                    aggregate=("count",), windows=(Window.parse("90d"),))
    >>> spec.columns()
    ['suspensions__count__90d']
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str
    table: TableName
    where: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    aggregate: tuple[str, ...]
    windows: tuple[Window, ...] = ()
    trend: bool = False
    family: str | None = None
    label: str | None = None
    measure: tuple[str, ...] = ()
    ratio: Ratio | None = None
    threshold: float = 0.10
    attribute: str | None = None
    column: str | None = None
    protected: bool = False
    unit: str | None = None

    @property
    def source(self) -> str | None:
        """The ``where`` source when it names exactly one, else None."""
        src = self.where.get("source", ())
        return src[0] if len(src) == 1 else None

    @property
    def trend_aggregate(self) -> str | None:
        """The aggregate a ``trend`` is taken of: the first trendable one listed."""
        if not self.trend:
            return None
        return next((a for a in self.aggregate if a in TRENDABLE), None)

    @property
    def windowed(self) -> tuple[Window, ...]:
        """Windows that windowed aggregates use."""
        return self.windows

    @property
    def trend_windows(self) -> tuple[Window, ...]:
        """Windows with a trend column (``all`` has no window before it)."""
        return tuple(w for w in self.windows if not w.is_all) if self.trend else ()

    def family_or_default(self) -> str:
        """The factor family: the spec's own, else one from its source or table."""
        if self.family:
            return self.family
        if self.table == "events" and self.source == "school":
            return _SCHOOL_EVENT_FAMILY
        if self.source in SOURCE_FAMILY:
            return SOURCE_FAMILY[self.source]
        return TABLE_FAMILY[self.table]

    def label_or_default(self) -> str:
        return self.label or self.name.replace("_", " ")

    def columns(self) -> list[str]:
        """Output column names, in the order the engine writes them."""
        from earlysignal.features._metadata import feature_metadata

        return [m.column for m in feature_metadata([self])]


def parse_feature_specs(
    data: Any, *, source: str = "features", path: str = "features"
) -> list[FeatureSpec]:
    """Check and parse a list of feature specs (as loaded from YAML).

    Parameters
    ----------
    data : list of dict, or dict with a ``features`` list
        The specs. Each has ``name`` and ``from`` (events, episodes, periods,
        characteristics or people) and, depending on the table:

        - events: ``where`` ({source, event_type}: a value or list), ``aggregate``
          (count, sum, ever, days_since_last, days_since_first, distinct_types,
          rate_per_year; default count), ``windows``;
        - episodes: ``where`` ({source, episode_type}), ``aggregate`` (open,
          started, days_in, days_since_last_ended; default started), ``windows``;
        - periods: ``measure`` (sum of one or more measures) or ``ratio``
          ({numerator: {measure}, denominator: {measure}, complement}),
          ``aggregate`` (sum, ratio, persistent; ``persistent`` is ratio >=
          ``threshold``, default 0.10), ``windows``;
        - characteristics: ``attribute``; ``aggregate: [value]`` (the default)
          takes the value as of the date as a category, ``[number]`` as a
          number (NULL when none is recorded or it is not a number);
        - people: ``aggregate: [age]``, or ``column`` with ``aggregate: [value]``.

        Optional everywhere: ``trend`` (window minus the window before it),
        ``family``, ``label`` (a plain-language noun phrase), ``unit``,
        ``protected`` (a characteristic used for fairness audits).
    source : str
        Where the specs came from (a file name), for messages.
    path : str
        The YAML path of the list, for messages.

    Raises
    ------
    ConfigError
        Listing every problem with its YAML path and a hint.

    Examples
    --------
    >>> specs = parse_feature_specs([{"name": "suspensions", "from": "events",
    ...     "where": {"event_type": "suspension"}, "windows": ["90d", "all"]}])
    >>> specs[0].columns()
    ['suspensions__count__90d', 'suspensions__count__all']
    >>> parse_feature_specs([{"name": "x", "from": "events", "aggregate": ["cnt"],
    ...                       "windows": ["90d"]}])
    Traceback (most recent call last):
    ...
    earlysignal.errors.ConfigError: features has 1 problem:
      - features[0].aggregate[0]: 'cnt' is not an aggregate for events (did you mean count?)
    """
    if isinstance(data, Mapping) and "features" in data:
        data = data["features"]
    problems: list[str] = []
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise ConfigError(source, [f"{path}: expected a list of feature specs, got "
                                   f"{type(data).__name__}"])
    specs: list[FeatureSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(data):
        here = f"{path}[{i}]"
        spec = _parse_one(raw, here, problems)
        if spec is None:
            continue
        if spec.name in seen:
            problems.append(f"{here}.name: '{spec.name}' is already used by "
                            f"{path}[{seen[spec.name]}] (hint: names must be unique)")
            continue
        seen[spec.name] = i
        specs.append(spec)
    if problems:
        raise ConfigError(source, problems)
    return specs


def load_feature_specs(file: str | Path) -> list[FeatureSpec]:
    """Read specs from a YAML file holding a list, or a mapping with ``features:``."""
    import yaml

    text = Path(file).read_text()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(str(file), [f"not valid YAML: {e}"]) from e
    return parse_feature_specs(data, source=str(file))


def _suggest(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]}?"
    return "choose from " + ", ".join(options)


def _strings(value: Any, here: str, problems: list[str]) -> tuple[str, ...] | None:
    vals = [value] if isinstance(value, str | int | float) else value
    if not isinstance(vals, list | tuple) or not vals or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in vals
    ):
        problems.append(f"{here}: expected a value or a list of values, got {value!r}")
        return None
    return tuple(str(v) for v in vals)


def _parse_one(raw: Any, here: str, problems: list[str]) -> FeatureSpec | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{here}: expected a mapping with name and from, got {raw!r}")
        return None
    n0 = len(problems)
    for key in raw:
        if key not in _KEYS:
            problems.append(f"{here}: unknown key '{key}' ({_suggest(key, _KEYS)})")
    name = raw.get("name")
    if not isinstance(name, str) or not _NAME.match(name) or "__" in name:
        problems.append(
            f"{here}.name: {name!r} is not a valid feature name (hint: lower case "
            "letters, digits and single underscores, starting with a letter)"
        )
    table = raw.get("from")
    if table not in AGGREGATES:
        hint = _suggest(table, list(AGGREGATES)) if table else "add from: events"
        problems.append(f"{here}.from: {table!r} is not a canonical table ({hint})")
        return None
    fields: dict[str, Any] = {"name": name, "table": table}
    fields["aggregate"] = _parse_aggregates(raw, table, here, problems)
    fields["windows"] = _parse_windows(raw, table, fields["aggregate"], here, problems)
    fields["where"] = _parse_where(raw, table, here, problems)
    _parse_table_fields(raw, table, fields, here, problems)
    for key, kind in (("trend", bool), ("protected", bool), ("family", str),
                      ("label", str), ("unit", str)):
        if key in raw:
            if not isinstance(raw[key], kind):
                problems.append(f"{here}.{key}: expected {kind.__name__}, "
                                f"got {raw[key]!r}")
            else:
                fields[key] = raw[key]
    if fields.get("trend") and len(problems) == n0:
        _check_trend(fields, here, problems)
    if len(problems) > n0:
        return None
    return FeatureSpec(**fields)


def _parse_aggregates(
    raw: Mapping[str, Any], table: str, here: str, problems: list[str]
) -> tuple[str, ...]:
    allowed = AGGREGATES[table]
    if "aggregate" not in raw:
        return (_default_aggregate(raw, table),)
    aggs = raw["aggregate"]
    aggs = [aggs] if isinstance(aggs, str) else aggs
    if not isinstance(aggs, list) or not aggs:
        problems.append(f"{here}.aggregate: expected a list such as [{allowed[0]}], "
                        f"got {raw['aggregate']!r}")
        return ()
    out: list[str] = []
    for j, a in enumerate(aggs):
        if a not in allowed:
            problems.append(f"{here}.aggregate[{j}]: '{a}' is not an aggregate for "
                            f"{table} ({_suggest(a, allowed)})")
        elif a in out:
            problems.append(f"{here}.aggregate[{j}]: '{a}' is listed twice")
        else:
            out.append(a)
    return tuple(out)


def _default_aggregate(raw: Mapping[str, Any], table: str) -> str:
    if table == "periods":
        return "ratio" if "ratio" in raw else "sum"
    if table == "people":
        return "value" if "column" in raw else "age"
    return {"events": "count", "episodes": "started", "characteristics": "value"}[table]


def _parse_windows(
    raw: Mapping[str, Any], table: str, aggs: tuple[str, ...], here: str,
    problems: list[str],
) -> tuple[Window, ...]:
    needs = any(a not in AS_OF_AGGREGATES for a in aggs)
    if "windows" not in raw:
        if needs:
            problems.append(f"{here}.windows: missing (hint: add windows: [90d, 365d],"
                            " or all for the whole history)")
        return ()
    if table in ("characteristics", "people"):
        problems.append(f"{here}.windows: {table} features are taken as of the date "
                        "and have no window (hint: remove windows)")
        return ()
    ws = raw["windows"]
    ws = [ws] if isinstance(ws, str | int) else ws
    if not isinstance(ws, list) or not ws:
        problems.append(f"{here}.windows: expected a list such as [90d, 365d], "
                        f"got {raw['windows']!r}")
        return ()
    out: list[Window] = []
    for j, w in enumerate(ws):
        try:
            win = Window.parse(w)
        except WindowError:
            problems.append(f"{here}.windows[{j}]: '{w}' is not a window (hint: use "
                            "a number and d, w, m or y, such as 90d, 6m, 1y, or all)")
            continue
        if win in out:
            problems.append(f"{here}.windows[{j}]: '{w}' is listed twice")
        else:
            out.append(win)
    return tuple(out)


def _parse_where(
    raw: Mapping[str, Any], table: str, here: str, problems: list[str]
) -> dict[str, tuple[str, ...]]:
    if "where" not in raw:
        return {}
    allowed = WHERE_COLUMNS.get(table)
    if not allowed:
        hint = ("use measure or ratio" if table == "periods" else
                "use attribute" if table == "characteristics" else "remove where")
        problems.append(f"{here}.where: {table} features take no where filter "
                        f"(hint: {hint})")
        return {}
    where = raw["where"]
    if not isinstance(where, Mapping) or not where:
        problems.append(f"{here}.where: expected a mapping such as "
                        f"{{{allowed[0]}: school}}, got {where!r}")
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for key, value in where.items():
        if key not in allowed:
            problems.append(f"{here}.where.{key}: {table} can be filtered on "
                            f"{' and '.join(allowed)} only ({_suggest(key, allowed)})")
            continue
        vals = _strings(value, f"{here}.where.{key}", problems)
        if vals is not None:
            out[key] = vals
    return out


def _parse_table_fields(
    raw: Mapping[str, Any], table: str, fields: dict[str, Any], here: str,
    problems: list[str],
) -> None:
    aggs = fields["aggregate"]
    own = {"periods": ("measure", "ratio", "threshold"), "characteristics":
           ("attribute",), "people": ("column",)}.get(table, ())
    for key in ("measure", "ratio", "threshold", "attribute", "column"):
        if key in raw and key not in own:
            problems.append(f"{here}.{key}: not used by {table} features "
                            f"(hint: remove {key})")
    if table == "periods":
        _parse_periods(raw, aggs, fields, here, problems)
    elif table == "characteristics":
        attr = raw.get("attribute")
        if not isinstance(attr, str) or not attr:
            problems.append(f"{here}.attribute: missing (hint: name the "
                            "characteristic, such as attribute: sen)")
        else:
            fields["attribute"] = attr
    elif table == "people":
        col = raw.get("column")
        if "value" in aggs and not isinstance(col, str):
            problems.append(f"{here}.column: missing (hint: the value aggregate "
                            "needs a people column, such as column: school)")
        elif col is not None:
            if col in ("person_id", "date_of_birth"):
                problems.append(f"{here}.column: '{col}' cannot be a value "
                                "(hint: use aggregate: [age] for date_of_birth)")
            fields["column"] = col


def _parse_periods(
    raw: Mapping[str, Any], aggs: tuple[str, ...], fields: dict[str, Any],
    here: str, problems: list[str],
) -> None:
    if "sum" in aggs:
        if "measure" not in raw:
            problems.append(f"{here}.measure: missing (hint: the sum aggregate "
                            "needs measure: unauthorised_absence)")
        else:
            m = _strings(raw["measure"], f"{here}.measure", problems)
            fields["measure"] = m or ()
    elif "measure" in raw:
        problems.append(f"{here}.measure: only used by the sum aggregate "
                        "(hint: add sum to aggregate, or remove measure)")
    if {"ratio", "persistent"} & set(aggs):
        _parse_ratio(raw, fields, here, problems)
        if "persistent" in aggs and fields.get("ratio") is not None and \
                fields["ratio"].complement:
            problems.append(f"{here}.aggregate: persistent needs a ratio without "
                            "complement (hint: put the absence measures in the "
                            "numerator)")
    elif "ratio" in raw:
        problems.append(f"{here}.ratio: only used by the ratio and persistent "
                        "aggregates (hint: add ratio to aggregate)")
    if "threshold" in raw:
        thr = raw["threshold"]
        if isinstance(thr, bool) or not isinstance(thr, int | float) or \
                not 0 < thr <= 1:
            problems.append(f"{here}.threshold: expected a proportion in (0, 1], "
                            f"got {thr!r}")
        else:
            fields["threshold"] = float(thr)


def _parse_ratio(
    raw: Mapping[str, Any], fields: dict[str, Any], here: str, problems: list[str]
) -> None:
    r = raw.get("ratio")
    if not isinstance(r, Mapping):
        problems.append(f"{here}.ratio: missing (hint: ratio: {{numerator: {{measure:"
                        " unauthorised_absence}, denominator: {measure: "
                        "sessions_possible}})")
        return
    parts: dict[str, Measures] = {}
    for key in r:
        if key not in ("numerator", "denominator", "complement"):
            problems.append(f"{here}.ratio.{key}: unknown key (hint: use "
                            "numerator, denominator and complement)")
    for part in ("numerator", "denominator"):
        p = r.get(part)
        if not isinstance(p, Mapping) or "measure" not in p:
            problems.append(f"{here}.ratio.{part}: expected {{measure: NAME}} or "
                            f"{{measure: [NAME, NAME]}}, got {p!r}")
            continue
        m = _strings(p["measure"], f"{here}.ratio.{part}.measure", problems)
        if m is not None:
            parts[part] = Measures(measure=m)
    comp = r.get("complement", False)
    if not isinstance(comp, bool):
        problems.append(f"{here}.ratio.complement: expected true or false, "
                        f"got {comp!r}")
        comp = False
    if len(parts) == 2:
        fields["ratio"] = Ratio(numerator=parts["numerator"],
                                denominator=parts["denominator"], complement=comp)


def _check_trend(fields: dict[str, Any], here: str, problems: list[str]) -> None:
    aggs = fields["aggregate"]
    if not any(a in TRENDABLE for a in aggs):
        problems.append(f"{here}.trend: none of {list(aggs)} has a trend (hint: a "
                        f"trend needs one of {', '.join(sorted(TRENDABLE))})")
    elif not any(not w.is_all for w in fields["windows"]):
        problems.append(f"{here}.trend: the window all has no window before it "
                        "(hint: add a window such as 365d)")
