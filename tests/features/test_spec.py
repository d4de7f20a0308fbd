"""Spec parsing: every problem reported with its YAML path and a hint; column names
and metadata."""

from __future__ import annotations

import pandas as pd
import pytest

from earlysignal.data import CanonicalTables
from earlysignal.errors import ConfigError
from earlysignal.features._metadata import feature_metadata, rows_behind
from earlysignal.features._spec import load_feature_specs, parse_feature_specs


def _problems(data) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_feature_specs(data, source="demo.yaml")
    return info.value.problems


def test_every_problem_is_collected_with_its_path_and_a_hint():
    problems = _problems([
        {"name": "ok", "from": "events", "windows": ["90d"]},
        {"name": "b", "from": "event", "windows": ["90d"]},
        {"name": "c", "from": "events", "aggregate": ["count", "cnt"],
         "windows": ["90d", "9x"]},
        {"name": "Bad Name", "from": "periods", "aggregate": ["ratio"],
         "windows": ["30d"]},
        {"name": "d", "from": "events", "where": {"type": "x"}, "windows": ["1y"],
         "windwos": 3},
    ])
    assert problems == [
        "features[1].from: 'event' is not a canonical table (did you mean events?)",
        "features[2].aggregate[1]: 'cnt' is not an aggregate for events "
        "(did you mean count?)",
        "features[2].windows[1]: '9x' is not a window (hint: use a number and d, w, "
        "m or y, such as 90d, 6m, 1y, or all)",
        "features[3].name: 'Bad Name' is not a valid feature name (hint: lower case "
        "letters, digits and single underscores, starting with a letter)",
        "features[3].ratio: missing (hint: ratio: {numerator: {measure: "
        "unauthorised_absence}, denominator: {measure: sessions_possible}})",
        "features[4]: unknown key 'windwos' (did you mean windows?)",
        "features[4].where.type: events can be filtered on source and event_type "
        "only (did you mean event_type?)",
    ]


def test_message_names_the_file_and_counts_problems():
    with pytest.raises(ConfigError) as info:
        parse_feature_specs([{"name": "x", "from": "events"}], source="demo.yaml")
    assert str(info.value) == (
        "demo.yaml has 1 problem:\n  - features[0].windows: missing (hint: add "
        "windows: [90d, 365d], or all for the whole history)")


@pytest.mark.parametrize("spec, problem", [
    ({"name": "a", "from": "characteristics", "attribute": "sen",
      "windows": ["90d"]},
     "features[0].windows: characteristics features are taken as of the date and "
     "have no window (hint: remove windows)"),
    ({"name": "a", "from": "characteristics"},
     "features[0].attribute: missing (hint: name the characteristic, such as "
     "attribute: sen)"),
    ({"name": "a", "from": "events", "aggregate": ["days_since_last"],
      "windows": ["all"], "trend": True},
     "features[0].trend: none of ['days_since_last'] has a trend (hint: a trend "
     "needs one of count, days_in, distinct_types, rate_per_year, ratio, started, "
     "sum)"),
    ({"name": "a", "from": "events", "windows": ["all"], "trend": True},
     "features[0].trend: the window all has no window before it (hint: add a "
     "window such as 365d)"),
    ({"name": "a", "from": "periods", "aggregate": ["sum"], "windows": ["90d"]},
     "features[0].measure: missing (hint: the sum aggregate needs measure: "
     "unauthorised_absence)"),
    ({"name": "a", "from": "periods", "aggregate": ["persistent"],
      "ratio": {"numerator": {"measure": "x"}, "denominator": {"measure": "y"},
                "complement": True}, "windows": ["90d"]},
     "features[0].aggregate: persistent needs a ratio without complement (hint: put "
     "the absence measures in the numerator)"),
    ({"name": "a", "from": "periods", "measure": "x", "threshold": 2,
      "windows": ["90d"]},
     "features[0].threshold: expected a proportion in (0, 1], got 2"),
    ({"name": "a", "from": "people", "aggregate": ["value"]},
     "features[0].column: missing (hint: the value aggregate needs a people "
     "column, such as column: school)"),
    ({"name": "a", "from": "episodes", "where": {"episode_type": []},
      "windows": ["90d"]},
     "features[0].where.episode_type: expected a value or a list of values, got []"),
    ({"name": "a", "from": "events", "attribute": "sen", "windows": ["90d"]},
     "features[0].attribute: not used by events features (hint: remove attribute)"),
])
def test_single_problems(spec, problem):
    assert _problems([spec]) == [problem]


def test_duplicate_names_are_refused():
    assert _problems([{"name": "a", "from": "people"},
                      {"name": "a", "from": "people"}]) == [
        "features[1].name: 'a' is already used by features[0] (hint: names must be "
        "unique)"]


def test_column_names_and_order():
    spec = parse_feature_specs([{
        "name": "suspensions", "from": "events",
        "where": {"source": "school", "event_type": ["suspension"]},
        "aggregate": ["count", "days_since_last"], "windows": ["90d", "6m", "all"],
        "trend": True}])[0]
    assert spec.columns() == [
        "suspensions__count__90d", "suspensions__count__6m", "suspensions__count__all",
        "suspensions__days_since_last__90d", "suspensions__days_since_last__6m",
        "suspensions__days_since_last__all",
        "suspensions__trend__90d", "suspensions__trend__6m",
        "suspensions__no_data__90d", "suspensions__no_data__6m",
        "suspensions__no_data__all",
    ]
    asof = parse_feature_specs([
        {"name": "care", "from": "episodes", "aggregate": ["open"]},
        {"name": "sex", "from": "characteristics", "attribute": "sex"},
        {"name": "age", "from": "people"}])
    assert [c for s in asof for c in s.columns()] == [
        "care__open__asof", "sex__value__asof", "age__age__asof"]


def test_metadata():
    specs = parse_feature_specs([
        {"name": "unauthorised_absence_rate", "from": "periods",
         "ratio": {"numerator": {"measure": "unauthorised_absence"},
                   "denominator": {"measure": "sessions_possible"}},
         "windows": ["90d"], "trend": True,
         "label": "unauthorised absence rate"},
        {"name": "ethnicity", "from": "characteristics", "attribute": "ethnicity",
         "protected": True},
        {"name": "police_contacts", "from": "events",
         "where": {"source": "police", "event_type": "police_contact"},
         "aggregate": ["days_since_last"], "windows": ["1y"]},
    ])
    metas = {m.column: m for m in feature_metadata(specs)}
    ratio = metas["unauthorised_absence_rate__ratio__90d"]
    assert (ratio.table, ratio.family, ratio.unit, ratio.kind, ratio.window) == (
        "periods", "attendance", "proportion", "numeric", "90d")
    assert ratio.template == "unauthorised absence rate of {value} in the last 90 days"
    assert ratio.filter_dict() == {"measure": ("unauthorised_absence",
                                               "sessions_possible")}
    trend = metas["unauthorised_absence_rate__trend__90d"]
    assert trend.base_aggregate == "ratio" and trend.unit == "proportion"
    assert trend.template == ("unauthorised absence rate changed by {value} in the "
                              "last 90 days compared with the 90 days before")
    nodata = metas["unauthorised_absence_rate__no_data__90d"]
    assert nodata.is_missing_indicator and nodata.kind == "indicator"
    eth = metas["ethnicity__value__asof"]
    assert eth.protected and eth.kind == "categorical" and eth.unit == "category"
    assert eth.family == "characteristics"
    police = metas["police_contacts__days_since_last__1y"]
    assert police.source == "police" and police.family == "police"
    assert police.template == ("{value} days since the last police contacts "
                               "(in the last year)")


def test_rows_behind_a_trend_covers_both_windows():
    tables = CanonicalTables.from_frames({"events": pd.DataFrame({
        "person_id": "a", "source": "school", "event_type": "x",
        "event_date": ["2023-11-01", "2024-02-01", "2023-06-01", "2024-03-01"]})})
    spec = parse_feature_specs([{"name": "x", "from": "events", "windows": ["90d"],
                                 "trend": True}])
    trend = [m for m in feature_metadata(spec) if m.aggregate == "trend"][0]
    rows = rows_behind(trend, tables, "a", pd.Timestamp("2024-03-01"))
    assert rows["event_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2023-11-01", "2024-02-01"]


def test_load_from_yaml(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("features:\n  - name: age\n    from: people\n"
                    "  - name: x\n    from: events\n    windows: 90d\n")
    specs = load_feature_specs(path)
    assert [s.name for s in specs] == ["age", "x"]
    path.write_text("features:\n  - name: x\n    from: events\n")
    with pytest.raises(ConfigError, match=f"{path} has 1 problem"):
        load_feature_specs(path)
