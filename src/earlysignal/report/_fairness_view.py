"""The fairness audit (``fairness.json``, as :class:`FairnessAudit` writes it) as
tables and charts for the ethics-board report."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from earlysignal.present import Population, count, pct
from earlysignal.report._common import label
from earlysignal.report._svg import forest_plot, scatter_chart

__all__ = ["fairness_view"]

GROUP_METRICS = ("size", "base_rate", "selection_rate", "tpr", "fpr", "precision",
                 "roc_auc", "mean_score", "oe_ratio")
DISPARITY_METRICS = ("selection_rate", "tpr", "fpr", "precision", "oe_ratio")


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else v


def _group_tables(rows: list[dict[str, Any]], pop: Population) -> list[dict[str, Any]]:
    gm = pd.DataFrame(rows)
    out: list[dict[str, Any]] = []
    if gm.empty:
        return out
    for group_by, frame in gm.groupby("group_by", sort=False):
        table = []
        for group, g in frame.groupby("group", sort=False):
            by = {r["metric"]: r for r in g.to_dict("records")}
            cells = []
            for m in GROUP_METRICS:
                r = by.get(m, {})
                cells.append({"value": _none(r.get("value")),
                              "lower": None if m == "size" else _none(r.get("lower")),
                              "upper": None if m == "size" else _none(r.get("upper")),
                              "flagged": bool(r.get("flagged", False))})
            table.append({"group": str(group),
                          "suppressed": bool(g["suppressed"].any()),
                          "cells": cells})
        out.append({"group_by": str(group_by), "label": pop.characteristic(group_by),
                    "rows": table})
    return out


def _forest(disparities: list[dict[str, Any]], band: tuple[float, float],
            pop: Population) -> list[dict[str, Any]]:
    d = pd.DataFrame(disparities)
    out: list[dict[str, Any]] = []
    if d.empty:
        return out
    d = d[d["metric"].isin(DISPARITY_METRICS)]
    for group_by, frame in d.groupby("group_by", sort=False):
        rows = [{"label": f"{r['group']} vs {r['reference']}: {label(r['metric'])}",
                 "value": _none(r.get("ratio")), "lower": _none(r.get("ratio_lower")),
                 "upper": _none(r.get("ratio_upper")), "flagged": bool(r["flagged"]),
                 "suppressed": bool(r["suppressed"])}
                for r in frame.sort_values(["metric", "group"]).to_dict("records")]
        shown = [r for r in rows if not r["suppressed"] and r["value"] is not None]
        withheld = sorted({str(g) for g, sup in zip(frame.sort_values(
            ["metric", "group"])["group"], (r["suppressed"] for r in rows),
            strict=True) if sup})
        alt = (f"Ratios to the reference group by {pop.characteristic(group_by)}, "
               "with 95% "
               f"intervals; {sum(r['flagged'] for r in shown)} flagged; withheld "
               f"(small numbers): {', '.join(withheld) or 'none'}")
        out.append({"group_by": str(group_by), "label": pop.characteristic(group_by),
                    "withheld": withheld,
                    "svg": forest_plot(shown, alt=alt, band=band)})
    return out


def _tradeoffs(mitigation: list[dict[str, Any]], pop: Population
               ) -> list[dict[str, Any]]:
    """Per characteristic: outcomes caught against the largest TPR gap per option."""
    mt = pd.DataFrame(mitigation)
    out: list[dict[str, Any]] = []
    if mt.empty:
        return out
    for group_by, frame in mt.groupby("group_by", sort=False):
        points, rows = [], []
        for method, g in frame.groupby("method", sort=False):
            total = g[g["group"] == "all"]
            inner = g[(g["group"] != "all") & ~g["suppressed"].astype(bool)]
            gap = (float(inner["tpr"].max() - inner["tpr"].min())
                   if len(inner) > 1 else None)
            caught = float(total["caught"].iloc[0]) if len(total) else None
            selected = float(total["selected"].iloc[0]) if len(total) else None
            rows.append({"method": label(method), "caught": caught,
                         "selected": selected, "tpr_gap": gap})
            points.append({"label": label(method), "x": caught, "y": gap})
        name = pop.characteristic(group_by)
        alt = (f"Mitigation options by {name}: outcomes caught against "
               "the largest gap in true positive rate between groups")
        out.append({"group_by": str(group_by), "label": name,
                    "rows": rows,
                    "svg": scatter_chart(points, alt=alt, x_label="outcomes caught",
                                         y_label="largest gap in true positive rate")})
    return out


def _plain(text: str, pop: Population) -> str:
    """A sentence from the audit with its column names put in words."""
    return re.sub(r"\bgroup_\w+", lambda m: pop.characteristic(m.group(0)), text)


def _base_rates(rows: list[dict[str, Any]], group_by: str) -> tuple[float, float]:
    gm = pd.DataFrame(rows)
    if gm.empty:
        return float("nan"), float("nan")
    part = gm[(gm["group_by"] == group_by) & (gm["metric"] == "base_rate")
              & ~gm["suppressed"].astype(bool)]
    values = pd.to_numeric(part["value"], errors="coerce").dropna()
    return ((float(values.min()), float(values.max())) if len(values)
            else (float("nan"), float("nan")))


def _finite(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if x == x and abs(x) != float("inf") else None


def impossibility_words(item: Mapping[str, Any], rows: list[dict[str, Any]],
                        pop: Population) -> str:
    """Why not every kind of fairness can hold, for one characteristic, in words
    made from its numbers (a gap that could not be measured is said so).

    Examples
    --------
    >>> impossibility_words({"group_by": "group_sex", "base_rates_differ": True,
    ...     "max_calibration_gap": None, "max_error_rate_gap": float("nan"),
    ...     "closer_to": None}, [], Population())
    'Base rates differ between Sex groups. When base rates differ, no imperfect model can be both calibrated within every group and have equal error rates in every group; which to prefer is a choice for people to make. Neither gap could be measured here (too few people in the groups, or the scores are not probabilities).'
    """
    name = pop.characteristic(item.get("group_by", ""))
    if not item.get("base_rates_differ"):
        return (f"Base rates are similar across {name} groups, so calibration "
                "within groups and equal error rates can hold together.")
    lo, hi = _base_rates(rows, str(item.get("group_by")))
    span = (f" (from {pct(lo)} to {pct(hi)})" if lo == lo and hi == hi else "")
    text = (f"Base rates differ between {name} groups{span}. When base rates "
            "differ, no imperfect model can be both calibrated within every group "
            "and have equal error rates in every group; which to prefer is a "
            "choice for people to make.")
    cal, err = (_finite(item.get(k)) for k in ("max_calibration_gap",
                                              "max_error_rate_gap"))
    if cal is not None and err is not None:
        closer = "calibration within groups" if cal < err else "equal error rates"
        return (f"{text} This model is closer to {closer}: the largest "
                f"calibration gap (mean score minus observed rate) is "
                f"{cal:.3f}; the largest difference between groups in false "
                f"positive or false negative rate is {err:.3f}.")
    if cal is not None or err is not None:
        what = ("calibration gap" if cal is not None else
                "difference between groups in false positive or negative rate")
        value = cal if cal is not None else err
        return (f"{text} The largest {what} is {value:.3f}; the other could not be "
                "measured here (too few people, or the scores are not "
                "probabilities).")
    return (f"{text} Neither gap could be measured here (too few people in the "
            "groups, or the scores are not probabilities).")


def method_words(summary: Mapping[str, Any]) -> list[str]:
    """How the audit was made, in sentences for a board (no code names)."""
    st = summary.get("settings") or {}
    points = [p for p in (summary.get("operating_points") or {}).values()
              if isinstance(p, Mapping)]
    out = []
    caps = [float(p["capacity"]) for p in points if p.get("capacity") is not None]
    if caps:
        lo, hi = min(caps), max(caps)
        sel = (f"{count(lo)}" if lo == hi else f"{count(lo)} to {count(hi)}")
        out.append(f"At each of {len(points)} test dates the {sel} people with the "
                   "highest scores count as selected (the team's capacity).")
    if st.get("n_boot"):
        out.append(f"Intervals are 95% bootstrap intervals from {count(st['n_boot'])}"
                   " resamples of people.")
    band = st.get("band") or (0.8, 1.25)
    if summary.get("n_tests"):
        out.append(f"A disparity is flagged when a group's rate is outside "
                   f"{band[0]:g} to {band[1]:g} times the reference group's and the "
                   f"difference holds after allowing for all "
                   f"{count(summary['n_tests'])} comparisons made.")
    if st.get("min_cell"):
        out.append(f"Groups of fewer than {count(st['min_cell'])} people (or with "
                   "fewer than that behind any rate) are withheld, with any others "
                   "needed so that they cannot be worked out from the totals.")
    return out


def _drift(rows: list[dict[str, Any]], pop: Population) -> dict[str, Any]:
    """Drifting rows in a table; the stable ones in one sentence."""
    moving = [{**r, "group_by_label": pop.characteristic(r["group_by"]),
               "metric_label": label(r["metric"])} for r in rows if r.get("drifting")]
    stable = len(rows) - len(moving)
    periods = sorted({int(r["periods"]) for r in rows if r.get("periods")})
    when = (f" over {periods[0]} test dates" if len(periods) == 1 else "")
    if not rows:
        sentence = ""
    elif not moving:
        sentence = (f"None of the {count(len(rows))} group rates checked drifted"
                    f"{when}: each was stable.")
    else:
        sentence = (f"The other {count(stable)} group rates checked were stable"
                    f"{when}.") if stable else ""
    return {"rows": moving, "sentence": sentence, "checked": len(rows)}


def fairness_view(audit: Mapping[str, Any], pop: Population | None = None
                  ) -> dict[str, Any]:
    """Everything the report shows of an audit: plain rows plus SVG charts, in
    the population's words (characteristics by name, no column or class names)."""
    pop = pop or Population()
    s = audit.get("summary") or {}
    gm_rows = audit.get("group_metrics") or []
    settings = s.get("settings") or {}
    band = tuple(settings.get("band") or (0.8, 1.25))
    flags = [{**f, "group_by_label": pop.characteristic(f["group_by"]),
              "metric_label": label(f["metric"])} for f in s.get("flags") or []]
    mitigation = [r for r in audit.get("mitigation") or []]
    return {
        "rows": s.get("rows"),
        "characteristics": [pop.characteristic(g) for g in s.get("group_by") or []],
        "settings": settings,
        "method": method_words(s),
        "n_tests": s.get("n_tests"),
        "flags": flags,
        "suppressed": [{**r, "group_by_label": pop.characteristic(r["group_by"]),
                        "reason": _plain(str(r.get("reason", "")), pop)}
                       for r in audit.get("suppressed") or []],
        "impossibility": [impossibility_words(i, gm_rows, pop)
                          for i in s.get("impossibility") or []],
        "groups": _group_tables(gm_rows, pop),
        "metric_names": [label(m) for m in GROUP_METRICS],
        "forest": _forest(audit.get("disparities") or [], band, pop),  # type: ignore[arg-type]
        "tradeoffs": _tradeoffs(mitigation, pop),
        "drift": _drift(list(audit.get("drift") or []), pop),
        "drifting": list(s.get("drifting") or []),
    }

