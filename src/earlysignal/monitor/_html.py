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
        n_features=int((drift["kind"] == "feature").sum()) if len(drift) else 0)


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    if not isinstance(df, pd.DataFrame) or df.empty:
        return []
    return [{str(k): v for k, v in row.items()}
            for row in df.replace({np.nan: None}).to_dict("records")]


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
