"""What changed between two scores of the same person: which families moved it.

Both scores share one base value, so the change in each family's contribution adds
up exactly to the change in the score, on the log-odds and on the shown
probability scale alike. A point is one percentage point of the shown risk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["change_frame"]


def change_frame(
    families: Sequence[str], labels: Sequence[str],
    log_odds_a: np.ndarray, log_odds_b: np.ndarray,
    prob_a: np.ndarray, prob_b: np.ndarray,
) -> pd.DataFrame:
    """One row per family, largest move first, with a sentence for each.

    Examples
    --------
    >>> df = change_frame(["attendance", "police"], ["Attendance", "Police contact"],
    ...     np.array([0.1, 0.0]), np.array([0.5, -0.1]),
    ...     np.array([0.01, 0.0]), np.array([0.05, -0.01]))
    >>> df["text"].tolist()
    ['Attendance raised the risk by 4.0 points', 'Police contact lowered the \
risk by 1.0 points']
    """
    change = np.asarray(prob_b) - np.asarray(prob_a)
    out = pd.DataFrame({
        "family": list(families), "family_label": list(labels),
        "before": np.asarray(prob_a), "after": np.asarray(prob_b),
        "change": change,
        "log_odds_before": np.asarray(log_odds_a),
        "log_odds_after": np.asarray(log_odds_b),
        "log_odds_change": np.asarray(log_odds_b) - np.asarray(log_odds_a),
    })
    out["text"] = [_sentence(lab, c) for lab, c in zip(labels, change, strict=True)]
    order = np.argsort(-np.abs(change), kind="stable")
    return out.iloc[order].reset_index(drop=True)


def _sentence(label: str, change: float) -> str:
    points = abs(change) * 100
    if points < 0.05:
        return f"{label} made no real difference"
    verb = "raised" if change > 0 else "lowered"
    return f"{label} {verb} the risk by {points:.1f} points"
