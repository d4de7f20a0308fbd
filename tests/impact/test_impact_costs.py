"""Unit costs: the documented defaults load, and bad files name the key at fault."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from earlysignal.errors import ConfigError
from earlysignal.impact import default_costs_path, load_costs


def _defaults() -> dict:
    return yaml.safe_load(default_costs_path().read_text(encoding="utf-8"))


def test_defaults_are_documented() -> None:
    costs = load_costs(None)
    rows = costs.table()
    assert {r["item"] for r in rows} >= {
        "intervention.cost_per_place", "escalation.first_time_entrant",
        "service_year.looked_after", "service_year.child_in_need"}
    for r in rows:
        assert r["source"].strip() and r["year"]
        assert r["low"] is None or r["low"] <= r["value"] <= r["high"]
    # figures not checked against a current edition must say so
    assert all(r["approximate"] for r in rows)
    assert costs.per_escalation == 3620


def _problem(data: dict, tmp_path: Path) -> str:
    path = tmp_path / "costs.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_costs(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_missing_source_names_the_key(tmp_path: Path) -> None:
    data = _defaults()
    del data["escalation"]["first_time_entrant"]["source"]
    assert "escalation.first_time_entrant.source: Field required" in _problem(
        data, tmp_path)


def test_negative_and_out_of_range_values(tmp_path: Path) -> None:
    data = _defaults()
    data["intervention"]["cost_per_place"]["value"] = -5
    data["service_year"]["looked_after"]["low"] = 60000
    text = _problem(data, tmp_path)
    assert "has 2 problems" in text
    assert "intervention.cost_per_place: Value error, value must be >= 0" in text or (
        "intervention.cost_per_place: value must be >= 0, got -5" in text)
    assert ("service_year.looked_after: value 50000 must lie within low 60000 and "
            "high 90000") in text


def test_unknown_keys_and_services(tmp_path: Path) -> None:
    data = _defaults()
    data["intervention"]["cost_per_seat"] = data["intervention"].pop("cost_per_place")
    text = _problem(data, tmp_path)
    assert "intervention.cost_per_place: Field required" in text
    assert "intervention.cost_per_seat: Extra inputs are not permitted" in text
    data = _defaults()
    data["service_year"]["foster_care"] = data["service_year"]["looked_after"]
    assert "service_year has unknown service(s) ['foster_care']" in _problem(
        data, tmp_path)


def test_not_a_number_and_missing_file(tmp_path: Path) -> None:
    data = _defaults()
    data["escalation"]["first_time_entrant"]["value"] = "lots"
    assert "escalation.first_time_entrant.value: Input should be a valid number" in (
        _problem(data, tmp_path))
    with pytest.raises(ConfigError, match="nope.yaml has 1 problem:\n  - file not "
                                          "found"):
        load_costs(tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("a: [1, 2", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_costs(tmp_path / "bad.yaml")
