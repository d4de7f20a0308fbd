"""Plots as self-contained SVG text, so reports can inline them and trackers log them.

Figures are built with matplotlib's object API (no pyplot state), and the SVG is made
reproducible: no date in the metadata and a fixed hash salt for element ids.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from earlysignal.present import model_label

_COLOURS = ["#1b6ca8", "#d1495b", "#edae49", "#66a182", "#8d6a9f", "#2e4057",
            "#00798c", "#9c6644"]


def figure(width: float = 7.0, height: float = 4.0) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def to_svg(fig: Figure) -> str:
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "earlysignal", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def colour(i: int) -> str:
    return _COLOURS[i % len(_COLOURS)]


def folds_svg_from(rows: Sequence[Mapping[str, Any]], horizon: str) -> str:
    """Gantt chart: one line per fold, training span, label horizon, test period."""
    fig = figure(7.5, 0.45 * max(len(rows), 2) + 1.3)
    ax = fig.add_subplot()
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        ax.plot(pd.to_datetime([r["train_start"], r["train_end"]]), [y, y], lw=8, color=colour(0),
                solid_capstyle="butt", label="training as-of dates" if i == 0 else None)
        ax.plot(pd.to_datetime([r["train_end"], r["train_label_end"]]), [y, y], lw=3, color=colour(2),
                label=f"last training label window ({horizon})" if i == 0 else None)
        ax.plot(pd.to_datetime([r["test_start"], r["test_end"]]), [y, y], lw=8, color=colour(1),
                marker="|", markersize=14, solid_capstyle="butt",
                label="test as-of date(s)" if i == 0 else None)
    ax.set_yticks(range(len(rows)), [f"fold {r['index']}" for r in reversed(rows)])
    ax.set_xlabel("as-of date")
    ax.set_title("Temporal folds: no training label window reaches the test date")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_ylim(-0.8, len(rows) + 0.6)
    return to_svg(fig)


def reliability_svg_from(tables: Mapping[str, pd.DataFrame],
                         names: Mapping[str, str] | None = None) -> str:
    """Reliability diagram: observed rate against mean score per bin, per model.

    ``names`` are the run's names of its baselines (see :func:`model_label`).
    """
    fig = figure(5.5, 5.0)
    ax = fig.add_subplot()
    top = max([float(t["mean_score"].max()) for t in tables.values() if len(t)]
              + [float(t["observed_rate"].max()) for t in tables.values() if len(t)]
              + [0.05])
    ax.plot([0, top], [0, top], color="grey", ls="--", lw=1, label="perfect calibration")
    for i, (name, t) in enumerate(tables.items()):
        ax.plot(t["mean_score"], t["observed_rate"], marker="o", color=colour(i),
                label=model_label(name, names))
    ax.set_xlabel("mean predicted probability (bin)")
    ax.set_ylabel("observed escalation rate")
    ax.set_title("Reliability (test rows, pooled over folds)")
    ax.legend(fontsize=8, frameon=False)
    return to_svg(fig)


def lines_svg_from(
    table: pd.DataFrame, *, x: str, y: str, hue: str, title: str, xlabel: str,
    ylabel: str, names: Mapping[str, str] | None = None,
) -> str:
    """One line per ``hue`` value; used for drift over folds and capacity curves.

    A ``hue`` value that names a model or baseline is shown in words, the run's own
    name for a baseline its config renamed (``names``).
    """
    fig = figure()
    ax = fig.add_subplot()
    for i, (name, part) in enumerate(table.groupby(hue, sort=False)):
        part = part.sort_values(x)
        ax.plot(part[x], part[y], marker="o" if len(part) < 30 else None,
                color=colour(i), label=model_label(str(name), names),
                ls="--" if name == "oracle" else "-")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if np.issubdtype(np.asarray(table[x]).dtype, np.datetime64):
        fig.autofmt_xdate()
    ax.legend(fontsize=8, frameon=False)
    return to_svg(fig)
