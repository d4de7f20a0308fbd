"""The result of an impact estimate: DataFrames, a plain summary, JSON and HTML."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.impact._plots import curve_svg, projection_svg
from earlysignal.present import environment, money, pct, trace_footer

__all__ = ["ImpactResult"]


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return ""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return ""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def _symbol(currency: str) -> str:
    """How an amount in ``currency`` is prefixed on the page."""
    return "£" if currency == "GBP" else f"{currency} "


def _records(df: pd.DataFrame | None) -> list[dict[str, Any]]:
    if df is None:
        return []
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    return json.loads(out.to_json(orient="records", double_precision=6))


@dataclass
class ImpactResult:
    """What targeting at capacity would achieve, and how demand would move.

    Attributes
    ----------
    strategies : DataFrame
        One row per strategy, per selection round (as-of date): places, escalations
        among the selected (observed labels; ``p_true`` sum when known), reach,
        precision, escalations averted, cost averted, intervention cost and net
        effect, each with a 95% Monte Carlo interval (``_lower``, ``_upper``).
    by_group : DataFrame
        Who each strategy reaches, per group attribute and group.
    capacity_curve : DataFrame
        The estimates as capacity runs from 0 to 20% of each round's cohort.
    projections : DataFrame
        Yearly demand per service under each scenario (empty without tables).
    settings : dict
        Every assumption and input, as shown on the report.
    backtest : DataFrame, optional
        Projection against what happened, when one was run.
    """

    strategies: pd.DataFrame
    by_group: pd.DataFrame
    capacity_curve: pd.DataFrame
    projections: pd.DataFrame
    settings: dict[str, Any]
    backtest: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    #: what ties the page to a run (see earlysignal.present.trace_footer)
    trace: dict[str, str] | None = None

    @cached_property
    def _summary(self) -> dict[str, Any]:
        return _summarise(self)

    def summary(self) -> dict[str, Any]:
        """Plain data behind the report: headline sentences and figures."""
        return self._summary

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "settings": self.settings,
                "strategies": _records(self.strategies),
                "by_group": _records(self.by_group),
                "capacity_curve": _records(self.capacity_curve),
                "projections": _records(self.projections),
                "backtest": _records(self.backtest), "notes": self.notes}

    def json(self) -> str:
        """The whole result as JSON text (what ``impact.json`` holds)."""
        return json.dumps(self.to_dict(), indent=2, default=str)

    def html(self) -> str:
        """A self-contained HTML report for commissioners."""
        symbol = _symbol(self.settings.get("currency", "GBP"))
        env = environment("earlysignal.impact", extra={
            "num": _fmt, "money": lambda v: money(v, symbol)})
        template = env.get_template("impact.html.j2")
        curve = (curve_svg(self.capacity_curve, self.settings.get("currency", "GBP"))
                 if len(self.capacity_curve) else "")
        proj = projection_svg(self.projections) if len(self.projections) else ""
        return template.render(
            s=self.summary(), settings=self.settings,
            strategies=self.strategies.to_dict("records"),
            by_group=self.by_group.to_dict("records"),
            curve_rows=_curve_rows(self.capacity_curve),
            projections=_projection_rows(self.projections),
            backtest=(self.backtest.to_dict("records")
                      if self.backtest is not None else []),
            curve_svg=curve, projection_svg=proj, notes=self.notes,
            footer=trace_footer(self.trace))

    def write_html(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``impact.json`` and ``impact.html`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "impact.json").write_text(self.json(), encoding="utf-8")
        return {"json": out / "impact.json",
                "html": self.write_html(out / "impact.html")}

    def _repr_html_(self) -> str:
        return self.html()


def _curve_rows(curve: pd.DataFrame) -> list[dict[str, Any]]:
    if curve.empty:
        return []
    part = curve[(curve["strategy"] == "model") if "model" in set(curve["strategy"])
                 else curve["strategy"] == curve["strategy"].iloc[0]]
    return [{str(k): v for k, v in r.items()}
            for r in part[part["percent"] % 2 == 0].to_dict("records")]


def _projection_rows(proj: pd.DataFrame) -> list[dict[str, Any]]:
    if proj.empty:
        return []
    keep = proj[proj["measure"].isin(["caseload", "entries", "events"])
                & ~proj["service"].isin(["on_roll", "left", "universal"])]
    return [{str(k): v for k, v in r.items()} for r in
            keep.sort_values(["service", "measure", "year"]).to_dict("records")]


def _break_even_percent(curve: pd.DataFrame, break_even: float
                        ) -> tuple[float | None, float]:
    """First capacity (percent) where an extra place averts less than break-even,
    and the first capacity with a marginal value at all."""
    part = curve[curve["strategy"] == "model"].dropna(
        subset=["marginal_averted_per_place"])
    if part.empty:
        return None, 0.0
    below = part[part["marginal_averted_per_place"] < break_even]
    first = float(part["percent"].iloc[0])
    return (float(below["percent"].iloc[0]) if len(below) else None), first


def _summarise(r: ImpactResult) -> dict[str, Any]:
    st = r.settings
    t = r.strategies.set_index("strategy")
    lines = []
    k = st["places_per_round"]
    pos = st["escalations_per_round"]
    lines.append(
        f"Each selection round (as-of date) scored {st['people_per_round']:,.0f} young "
        f"people on average, of whom {pos:.1f} went on to a first youth-justice "
        f"outcome within the horizon. With {k:,.0f} places per round:")
    for name, row in t.iterrows():
        lines.append(
            f"{row['label']}: reaches {row['escalations_selected']:.1f} of them "
            f"({pct(row['reach'], 0)}); {row['averted']:.1f} escalations averted "
            f"(95% interval {row['averted_lower']:.1f}-{row['averted_upper']:.1f}), "
            f"net {money(row['net'], _symbol(st['currency']))} per round.")
        del name
    effect_text = ("assumed, not measured" if st["effect"]["source"] == "assumed"
                   else "as evaluated")
    headline = {}
    if "model" in t.index:
        headline = {key: float(t[key].to_numpy(dtype=float)[t.index.get_loc("model")]) for key in (
            "places", "escalations_selected", "reach", "averted", "averted_lower",
            "averted_upper", "cost_averted", "intervention_cost", "net", "net_lower",
            "net_upper")}
    break_even = st["break_even_averted_per_place"]
    stop, first = _break_even_percent(r.capacity_curve, break_even)
    if stop is not None and stop <= first:
        lines.append(
            "At these unit costs no capacity pays for itself in youth-justice costs "
            "alone: even the first places on the model's list avert fewer than "
            f"{break_even:.3f} escalations each, the break-even rate (cost per place / "
            "cost per escalation). Any case for funding rests on other benefits.")
    elif stop is not None:
        lines.append(
            f"Extra places stop paying for themselves in averted youth-justice costs "
            f"at about {stop:g}% of the cohort: beyond it, each extra place on the "
            f"model's list averts fewer than {break_even:.3f} escalations, the "
            "break-even rate (cost per place / cost per escalation).")
    else:
        lines.append(
            "Up to 20% of the cohort, every extra place on the model's list averts at "
            f"least the break-even {break_even:.3f} escalations (cost per place / cost "
            "per escalation).")
    proj = r.projections
    if len(proj):
        yj = proj[(proj["service"] == "youth_justice") & (proj["measure"] == "entries")
                  & (proj["year"] == 1)].set_index("scenario")
        if "baseline" in yj.index:
            b = yj.loc["baseline"]
            text = (f"Next year: about {b['estimate']:.0f} first-time entrants to youth "
                    f"justice among the young people now on roll (95% interval "
                    f"{b['lower']:.0f}-{b['upper']:.0f}) with no programme")
            if "model" in yj.index:
                model_yj = float(yj["estimate"].to_numpy(dtype=float)[
                    yj.index.get_loc("model")])
                text += f"; {model_yj:.0f} with the model's list"
            lines.append(text + ".")
    return {"lines": lines, "headline_model": headline, "effect_text": effect_text,
            "effect_source": st["effect"]["source"],
            "break_even_averted_per_place": break_even,
            "capacity_stops_paying_percent": stop,
            "n_strategies": int(len(t)),
            "best_reach": (str(t["reach"].drop(index=[i for i in ("oracle",)
                                                     if i in t.index]).idxmax())
                           if len(t) else None),
            "max_interval_width": float(np.nanmax(
                t["averted_upper"] - t["averted_lower"])) if len(t) else 0.0}
