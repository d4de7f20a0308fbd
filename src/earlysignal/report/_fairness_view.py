"""The fairness audit (``fairness.json``, as :class:`FairnessAudit` writes it) as
tables and charts for the ethics-board report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from earlysignal.report._common import label
from earlysignal.report._svg import forest_plot, scatter_chart

__all__ = ["fairness_view"]

GROUP_METRICS = ("size", "base_rate", "selection_rate", "tpr", "fpr", "precision",
                 "roc_auc", "mean_score", "oe_ratio")
DISPARITY_METRICS = ("selection_rate", "tpr", "fpr", "precision", "oe_ratio")


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else v


def _group_tables(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
        out.append({"group_by": str(group_by), "label": label(group_by),
                    "rows": table})
    return out


def _forest(disparities: list[dict[str, Any]], band: tuple[float, float]
            ) -> list[dict[str, Any]]:
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
        alt = (f"Ratios to the reference group by {label(group_by)}, with 95% "
               f"intervals; {sum(r['flagged'] for r in shown)} flagged; withheld "
               f"(small numbers): {', '.join(withheld) or 'none'}")
        out.append({"group_by": str(group_by), "label": label(group_by),
                    "withheld": withheld,
                    "svg": forest_plot(shown, alt=alt, band=band)})
    return out


def _tradeoffs(mitigation: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
            rows.append({"method": str(method), "caught": caught,
                         "selected": selected, "tpr_gap": gap})
            points.append({"label": str(method), "x": caught, "y": gap})
        alt = (f"Mitigation options by {label(group_by)}: outcomes caught against "
               "the largest gap in true positive rate between groups")
        out.append({"group_by": str(group_by), "label": label(group_by),
                    "rows": rows,
                    "svg": scatter_chart(points, alt=alt, x_label="outcomes caught",
                                         y_label="largest TPR gap")})
    return out


def fairness_view(audit: Mapping[str, Any]) -> dict[str, Any]:
    """Everything the report shows of an audit: plain rows plus SVG charts."""
    s = audit.get("summary") or {}
    settings = s.get("settings") or {}
    band = tuple(settings.get("band") or (0.8, 1.25))
    flags = [{**f, "group_by_label": label(f["group_by"]),
              "metric_label": label(f["metric"])} for f in s.get("flags") or []]
    mitigation = [r for r in audit.get("mitigation") or []]
    return {
        "rows": s.get("rows"),
        "characteristics": [label(g) for g in s.get("group_by") or []],
        "settings": settings,
        "notes": list(s.get("notes") or []),
        "n_tests": s.get("n_tests"),
        "flags": flags,
        "suppressed": [{**r, "group_by_label": label(r["group_by"])}
                       for r in audit.get("suppressed") or []],
        "impossibility": list(s.get("impossibility") or []),
        "groups": _group_tables(audit.get("group_metrics") or []),
        "metric_names": [label(m) for m in GROUP_METRICS],
        "forest": _forest(audit.get("disparities") or [], band),  # type: ignore[arg-type]
        "tradeoffs": _tradeoffs(mitigation),
        "mitigation": [{**r, "group_by_label": label(r["group_by"])}
                       for r in mitigation],
        "drift": [{**r, "group_by_label": label(r["group_by"]),
                   "metric_label": label(r["metric"])}
                  for r in audit.get("drift") or []],
        "drifting": list(s.get("drifting") or []),
    }

