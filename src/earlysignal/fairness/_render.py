"""HTML rendering of an audit summary, through the presentation kit's Jinja
environment (autoescaped, the kit's number formats)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from earlysignal.fairness._metrics import METRICS
from earlysignal.present import environment, trace_footer

#: The metrics shown in the page's tables: every group metric but the raw counts
#: behind the rates and the signed calibration gap (the O/E ratio says it better).
HEADLINE_METRICS = tuple(m for m in METRICS if m not in (
    "positives", "selected", "tp", "calibration_gap"))


def _none(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


def _metric_rows(metrics: pd.DataFrame) -> list[tuple[str, list[dict[str, Any]]]]:
    out = []
    for group_by, frame in metrics.groupby("group_by", sort=False):
        rows = []
        for group, g in frame.groupby("group", sort=False):
            by = g.set_index("metric")
            row: dict[str, Any] = {
                "group": group,
                "suppressed": bool(by["suppressed"].any()),
            }
            row["flags"] = {m: bool(by.at[m, "flagged"]) for m in HEADLINE_METRICS}
            for m in HEADLINE_METRICS:
                lower = None if m == "size" else _none(by.at[m, "lower"])
                row[m] = {
                    "value": by.at[m, "value"],
                    "lower": lower,
                    "upper": by.at[m, "upper"],
                }
            rows.append(row)
        out.append((str(group_by), rows))
    return out


def strip_svg_comments(svg: str) -> str:
    return re.sub(r"<!--.*?-->", "", svg, flags=re.S)


def render(
    summary: dict[str, Any],
    metrics: pd.DataFrame,
    disparities: pd.DataFrame,
    mitigation: pd.DataFrame,
    drift: pd.DataFrame,
    svg: str,
    trace: Mapping[str, str] | None = None,
) -> str:
    """The self-contained HTML page (inline CSS and SVG, no scripts)."""
    from earlysignal.fairness._disparity import FLAG_METRICS

    tables = {
        "metrics": _metric_rows(metrics),
        "disparities": disparities[disparities["metric"].isin(FLAG_METRICS)].to_dict(
            "records"
        ),
        "mitigation": mitigation.to_dict("records"),
        "drift": drift.to_dict("records"),
    }
    template = environment("earlysignal.fairness").get_template("fairness.html.j2")
    return template.render(
        s=summary,
        tables=tables,
        metric_names=HEADLINE_METRICS,
        svg=strip_svg_comments(svg) if svg else "",
        footer=trace_footer(trace),
    )
