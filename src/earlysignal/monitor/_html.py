"""The monitoring page: the check's tables through the shared presentation kit
(autoescaped Jinja, the toolkit's number formats), with an inline SVG chart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from earlysignal.present import environment

if TYPE_CHECKING:
    from earlysignal.monitor._result import MonitorResult

#: Drift rows shown besides every alert: the largest ratios to the null.
TOP_DRIFT = 15


def render(result: MonitorResult) -> str:
    """The page of a check."""
    env = environment("earlysignal.monitor")
    drift = result.drift
    shown = drift[(drift["kind"] == "feature")].sort_values("ratio", ascending=False)
    top = shown.head(TOP_DRIFT)
    return env.get_template("monitor.html.j2").render(
        r=result, alerts=result.alerts, notes=result.notes(),
        fresh=_rows(result.freshness), top=_rows(top),
        others=_rows(drift[drift["kind"] != "feature"]),
        groups=_rows(result.group_drift), expected=_rows(result.expected),
        realised=_rows(result.realised),
        fairness=_rows(result.fairness.get("group_metrics", pd.DataFrame())),
        flagged=_rows(result.fairness.get("flagged", pd.DataFrame())),
        demand=_rows(result.demand), chart=precision_chart(result),
        series=series_rows(result.fairness.get("series")),
        series_dates=_series_dates(result.fairness.get("series")),
        series_chart=recall_chart(result.fairness.get("series")),
        n_features=int((drift["kind"] == "feature").sum()) if len(drift) else 0)


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    if not isinstance(df, pd.DataFrame) or df.empty:
        return []
    return [{str(k): v for k, v in row.items()}
            for row in df.replace({np.nan: None}).to_dict("records")]


#: The per-date metrics in the order shown, and their names on the page.
SERIES_LABELS = {"selection_rate": "selection rate", "tpr": "recall at capacity (TPR)",
                 "precision": "precision"}


def _series_dates(series: pd.DataFrame | None) -> list[str]:
    if series is None or series.empty:
        return []
    return sorted(series["as_of"].unique())


def series_rows(series: pd.DataFrame | None) -> list[dict[str, Any]]:
    """One row per group and metric, its cells in date order."""
    if series is None or series.empty:
        return []
    dates = _series_dates(series)
    order = {m: i for i, m in enumerate(SERIES_LABELS)}
    rows = []
    for (group_by, group, metric), part in series.groupby(
            ["group_by", "group", "metric"], sort=False):
        by_date = {r["as_of"]: r for r in _rows(part)}
        first = next(iter(by_date.values()))
        rows.append({"group_by": group_by, "group": group, "metric": metric,
                     "label": SERIES_LABELS.get(str(metric), str(metric)),
                     "order": order.get(str(metric), len(order)),
                     "cells": [by_date.get(d) for d in dates],
                     "evaluation": first["evaluation"],
                     "evaluation_withheld": first["evaluation_withheld"]})
    return sorted(rows, key=lambda r: (r["group_by"] != "overall", r["group_by"],
                                       r["group"], r["order"]))


def recall_chart(series: pd.DataFrame | None, width: int = 200, height: int = 120
                 ) -> str:
    """Small multiples of recall at capacity by closed date, one panel per group
    with at least one cell shown: the realised figure and its interval (red where
    it lies wholly below), the evaluation-time figure dashed; group names are
    escaped."""
    if series is None or series.empty:
        return ""
    tpr = series[series["metric"] == "tpr"]
    dates = _series_dates(tpr)
    shown = tpr[~tpr["withheld"]]
    panels = [(k, p) for k, p in tpr.groupby(["group_by", "group"], sort=False)
              if k in set(zip(shown["group_by"], shown["group"], strict=True))]
    if not panels:
        return ""
    pad, cols = 28, 4
    rows = -(-len(panels) // cols)

    def x(i: int) -> float:
        # room for the axis labels on the left and half a date label on the right
        left, right = pad + 22, width - 26
        return (left + right) / 2 if len(dates) == 1 else \
            left + i * (right - left) / (len(dates) - 1)

    def y(v: float) -> float:
        return height - 22 - v * (height - 46)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 '
             f'{cols * width} {rows * height}" role="img">']
    for n, ((group_by, group), part) in enumerate(panels):
        parts.append(f'<g transform="translate({(n % cols) * width},'
                     f'{(n // cols) * height})">')
        title = ("everyone" if group_by == "overall" else
                 f"{str(group_by).removeprefix('group_')} = {group}")
        parts.append(_panel(part, dates, title, x, y, width))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _panel(part: pd.DataFrame, dates: list[str], title: str, x: Any, y: Any,
           width: int) -> str:
    from markupsafe import escape

    out = [f'<text x="{width / 2:.0f}" y="12" font-size="11" text-anchor="middle">'
           f"{escape(title)}</text>",
           f'<line x1="{x(0) - 10:.1f}" x2="{x(len(dates) - 1) + 10:.1f}" '
           f'y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#bbb"/>']
    for v in (0, 0.5, 1):
        out.append(f'<text x="{x(0) - 14:.1f}" y="{y(v) + 3:.1f}" font-size="9" '
                   f'text-anchor="end">{v:.0%}</text>')
    ev = part["evaluation"].iloc[0]
    if np.isfinite(ev) and not bool(part["evaluation_withheld"].iloc[0]):
        out.append(f'<line x1="{x(0) - 10:.1f}" x2="{x(len(dates) - 1) + 10:.1f}" '
                   f'y1="{y(ev):.1f}" y2="{y(ev):.1f}" stroke="#555" '
                   'stroke-dasharray="4 3"/>')
    for r in part.to_dict("records"):
        i = dates.index(r["as_of"])
        out.append(f'<text x="{x(i):.1f}" y="{y(0) + 14:.1f}" font-size="9" '
                   f'text-anchor="middle">{r["as_of"][:7]}</text>')
        if r["withheld"] or not np.isfinite(r["value"]):
            continue
        colour = "#c0392b" if r["below"] else "#1f5fa8"
        out.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(r["lower"]):.1f}" '
                   f'y2="{y(r["upper"]):.1f}" stroke="{colour}" stroke-opacity="0.45" '
                   'stroke-width="5"/>')
        out.append(f'<circle cx="{x(i):.1f}" cy="{y(r["value"]):.1f}" r="3.5" '
                   f'fill="{colour}"/>')
    return "".join(out)


def precision_chart(result: MonitorResult, width: int = 640, height: int = 220
                    ) -> str:
    """Expected (with interval) and realised precision at capacity by date, and the
    evaluation-time figure as a line; numbers only, so nothing needs escaping."""
    e = result.expected
    if e.empty:
        return ""
    r = result.realised
    dates = list(pd.to_datetime(e["as_of"]))
    vals = [*e["precision_at_k_upper"], *e["precision_at_k_lower"]]
    if not r.empty:
        vals += [v for v in r["precision_at_k"] if v is not None and np.isfinite(v)]
    ev = result.evaluation.get("precision_at_k")
    if ev is not None:
        vals.append(ev)
    top = max(0.05, float(np.nanmax(vals)) * 1.1)
    pad = 40

    def x(i: int) -> float:
        return pad + i * (width - 2 * pad) / max(1, len(dates) - 1)

    def y(v: float) -> float:
        return height - pad + (v / top) * (2 * pad - height)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} '
             f'{height}" role="img"><rect width="{width}" height="{height}" '
             'fill="white"/>']
    for i, row in enumerate(e.to_dict("records")):
        parts.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" '
                     f'y1="{y(row["precision_at_k_lower"]):.1f}" '
                     f'y2="{y(row["precision_at_k_upper"]):.1f}" stroke="#8fb3d9" '
                     'stroke-width="6"/>')
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(row["precision_at_k"]):.1f}" '
                     'r="4" fill="#1f5fa8"/>')
        parts.append(f'<text x="{x(i):.1f}" y="{height - 12}" font-size="10" '
                     f'text-anchor="middle">{dates[i].strftime("%Y-%m")}</text>')
    if not r.empty:
        index = {d: i for i, d in enumerate(dates)}
        for row in r.to_dict("records"):
            at = index.get(pd.Timestamp(row["as_of"]))
            v = row["precision_at_k"]
            if at is None or v is None or not np.isfinite(v):
                continue
            parts.append(f'<rect x="{x(at) - 4:.1f}" y="{y(v) - 4:.1f}" width="8" '
                         'height="8" fill="#c0392b"/>')
    if ev is not None:
        parts.append(f'<line x1="{pad}" x2="{width - pad}" y1="{y(ev):.1f}" '
                     f'y2="{y(ev):.1f}" stroke="#555" stroke-dasharray="4 3"/>')
    for v in np.linspace(0, top, 5):
        parts.append(f'<text x="{pad - 6}" y="{y(v) + 3:.1f}" font-size="10" '
                     f'text-anchor="end">{v:.0%}</text>')
    parts.append("</svg>")
    return "".join(parts)
