"""Unit costs: what a place costs and what an escalation or a year in a service costs.

Loaded from YAML (see the packaged ``costs.yaml`` for the layout and the documented
defaults); every problem is reported at once with its YAML path.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from earlysignal.errors import ConfigError, config_error_from_pydantic
from earlysignal.impact._effect import split_triangular

__all__ = ["CostItem", "UnitCosts", "default_costs_path", "load_costs"]

SOCIAL_CARE_SERVICES = ("early_help", "child_in_need", "child_protection",
                        "looked_after")


class CostItem(BaseModel):
    """One unit cost with its range and source."""

    model_config = ConfigDict(extra="forbid")
    value: float
    low: float | None = None
    high: float | None = None
    source: str
    year: int | str
    approximate: bool = False

    @model_validator(mode="after")
    def _check(self) -> CostItem:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if self.value < 0:
            raise ValueError(f"value must be >= 0, got {self.value:g}")
        if not lo <= self.value <= hi:
            raise ValueError(f"value {self.value:g} must lie within low {lo:g} and "
                             f"high {hi:g}")
        return self

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        lo = self.value if self.low is None else self.low
        hi = self.value if self.high is None else self.high
        if lo == hi:
            return np.full(n, self.value)
        return split_triangular(self.value, lo, hi, n, rng)


class _Intervention(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cost_per_place: CostItem


class UnitCosts(BaseModel):
    """Unit costs used by the impact estimates.

    Examples
    --------
    >>> c = load_costs(None)
    >>> c.per_escalation, c.intervention.cost_per_place.value
    (3620.0, 3000.0)
    """

    model_config = ConfigDict(extra="forbid")
    currency: str = "GBP"
    price_year: str | int = "mixed"
    intervention: _Intervention
    escalation: dict[str, CostItem]
    service_year: dict[str, CostItem] = {}
    source_file: str = ""

    @model_validator(mode="after")
    def _check(self) -> UnitCosts:
        if not self.escalation:
            raise ValueError("escalation needs at least one cost item")
        unknown = sorted(set(self.service_year) - set(SOCIAL_CARE_SERVICES))
        if unknown:
            raise ValueError(f"service_year has unknown service(s) {unknown}; use "
                             f"{list(SOCIAL_CARE_SERVICES)}")
        return self

    @property
    def per_escalation(self) -> float:
        """Central cost of one escalation (sum of the escalation items)."""
        return float(sum(i.value for i in self.escalation.values()))

    def draw_per_escalation(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.sum([i.draw(n, rng) for i in self.escalation.values()], axis=0)

    def service_year_values(self) -> dict[str, float]:
        out = {k: v.value for k, v in self.service_year.items()}
        out["youth_justice"] = self.per_escalation  # charged per entry, not per year
        return out

    def table(self) -> list[dict[str, Any]]:
        """Every figure, for the assumptions table of the report."""
        rows = [("intervention.cost_per_place", self.intervention.cost_per_place)]
        rows += [(f"escalation.{k}", v) for k, v in self.escalation.items()]
        rows += [(f"service_year.{k}", v) for k, v in self.service_year.items()]
        return [{"item": name, "value": i.value, "low": i.low, "high": i.high,
                 "source": i.source, "year": str(i.year),
                 "approximate": i.approximate} for name, i in rows]


def default_costs_path() -> Path:
    """The packaged ``costs.yaml`` with the documented default figures."""
    return Path(str(resources.files("earlysignal.impact").joinpath("costs.yaml")))


def load_costs(source: str | Path | Mapping[str, Any] | UnitCosts | None
               ) -> UnitCosts:
    """Read unit costs from a YAML file or mapping (``None``: the defaults).

    Examples
    --------
    >>> load_costs({"intervention": {"cost_per_place": {"value": 10, "source": "x",
    ...     "year": 2024}}, "escalation": {"fte": {"value": -1, "source": "y",
    ...     "year": 2024}}})
    Traceback (most recent call last):
    ...
    earlysignal.errors.ConfigError: costs has 1 problem:
      - escalation.fte: value must be >= 0, got -1
    """
    if isinstance(source, UnitCosts):
        return source
    name = "costs"
    if source is None or isinstance(source, str | Path):
        path = default_costs_path() if source is None else Path(source)
        name = "costs.yaml (packaged defaults)" if source is None else str(path)
        if not path.is_file():
            raise ConfigError(name, ["file not found (hint: pass a costs YAML "
                                     "such as the packaged costs.yaml)"])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise ConfigError(name, [f"not valid YAML: {e}"]) from e
    else:
        data = dict(source)
    if not isinstance(data, dict):
        raise ConfigError(name, ["(top level): expected a mapping with "
                                 "intervention, escalation and service_year"])
    try:
        costs = UnitCosts.model_validate(data)
    except ValidationError as e:
        raise config_error_from_pydantic(name, e) from e
    return costs.model_copy(update={"source_file": name})
