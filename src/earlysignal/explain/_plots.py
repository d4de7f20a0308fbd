"""Global plots as SVG strings: a SHAP beeswarm and a bar chart of families.

shap draws on pyplot's current figure; each plot is drawn, written to SVG in memory
and closed, so nothing is left open in a notebook or a long-running process.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import numpy as np

__all__ = ["bar_svg", "beeswarm_svg"]


def _svg_of_current_figure() -> str:
    import matplotlib.pyplot as plt

    fig = plt.gcf()
    buf = io.StringIO()
    # text as text, not glyph paths: smaller, searchable, and readable by screen
    # readers
    with plt.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    # drop the XML prologue and DOCTYPE so the SVG can sit inline in HTML
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    # the RDF metadata block names outside vocabularies; a report needs none of it
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)


def beeswarm_svg(values: np.ndarray, data: np.ndarray, names: Sequence[str],
                 base: float, *, max_display: int = 15) -> str:
    """SHAP beeswarm of log-odds contributions (one dot per person and feature)."""
    import matplotlib.pyplot as plt
    import shap

    plt.figure()
    expl = shap.Explanation(values=np.asarray(values, dtype=float),
                            base_values=np.full(len(values), base),
                            data=np.asarray(data, dtype=float),
                            feature_names=list(names))
    shap.plots.beeswarm(expl, max_display=max_display, show=False)
    plt.xlabel("contribution to the score (log-odds)")
    return _svg_of_current_figure()


def bar_svg(labels: Sequence[str], values: Sequence[float], *,
            xlabel: str = "mean absolute contribution (percentage points)") -> str:
    """Horizontal bars, largest on top."""
    import matplotlib.pyplot as plt

    order = np.argsort(np.asarray(values, dtype=float))
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(labels) + 1.0))
    ax.barh([labels[i] for i in order], [values[i] for i in order],
            color="#1f77b4")
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _svg_of_current_figure()
