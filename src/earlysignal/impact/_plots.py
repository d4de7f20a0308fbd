"""Capacity-curve and demand-projection plots as self-contained SVG text."""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_COLOURS = ["#1b6ca8", "#d1495b", "#edae49", "#66a182", "#8d6a9f", "#2e4057",
            "#00798c", "#9c6644", "#777777"]


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "earlysignal", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def curve_svg(curve: pd.DataFrame, currency: str = "GBP") -> str:
    """Escalations averted, net effect and marginal value against places per round."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 3)
    for i, (name, part) in enumerate(curve.groupby("strategy", sort=False)):
        c = _COLOURS[i % len(_COLOURS)]
        label = str(part["label"].iloc[0])
        x = part["places"].to_numpy()
        axes[0].plot(x, part["averted"], color=c, label=label)
        axes[1].plot(x, part["net"] / 1000, color=c)
        if name == "model":
            axes[0].fill_between(x, part["averted_lower"], part["averted_upper"],
                                 color=c, alpha=0.15, lw=0)
            axes[1].fill_between(x, part["net_lower"] / 1000,
                                 part["net_upper"] / 1000, color=c, alpha=0.15, lw=0)
            axes[2].plot(x, part["marginal_averted_per_place"], color=c,
                         marker=".", label=label)
    axes[0].set_title("Escalations averted per round")
    axes[1].set_title(f"Net effect per round ({currency} thousand)")
    axes[1].axhline(0, color="black", lw=0.8)
    axes[2].set_title("Averted per extra place (model)")
    for ax in axes:
        ax.set_xlabel("places per round")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, frameon=False)
    return _svg(fig)


def projection_svg(projections: pd.DataFrame) -> str:
    """Yearly youth-justice entries and social-care caseloads by scenario."""
    panels = [("youth_justice", "entries", "First-time entrants to youth justice"),
              ("child_in_need", "caseload", "Children in need (mean caseload)"),
              ("looked_after", "caseload", "Looked after (mean caseload)")]
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    axes = fig.subplots(1, 3)
    scen = list(dict.fromkeys(projections["scenario"]))
    width = 0.8 / max(len(scen), 1)
    for ax, (service, measure, title) in zip(axes, panels, strict=True):
        part = projections[(projections["service"] == service)
                           & (projections["measure"] == measure)]
        for i, s in enumerate(scen):
            p = part[part["scenario"] == s].sort_values("year")
            x = p["year"].to_numpy() + (i - (len(scen) - 1) / 2) * width
            err = np.vstack([p["estimate"] - p["lower"], p["upper"] - p["estimate"]])
            ax.bar(x, p["estimate"], width=width, color=_COLOURS[i % len(_COLOURS)],
                   yerr=np.clip(err, 0, None), capsize=2, label=s,
                   error_kw={"lw": 0.8})
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("year after the data")
        ax.set_xticks(sorted(part["year"].unique()))
        ax.grid(alpha=0.3, axis="y")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8,
               frameon=False)
    return _svg(fig)
