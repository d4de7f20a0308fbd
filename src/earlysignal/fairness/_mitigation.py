"""Mitigation options, compared with the unmitigated model and never applied.

Each policy is a selection probability per row, so every count is an expected value
and policies are compared at exactly the same capacity:

- ``unmitigated``: the audited operating point.
- ``equal TPR, same capacity``: group-specific thresholds chosen so that every group
  has the same true positive rate and the total selected equals the unmitigated
  capacity. Within a group the achievable (selected, caught) pairs are the upper
  concave hull of its ROC points in counts, mixing two adjacent thresholds at random
  where needed (as in Hardt et al. 2016), so an exact capacity is always reachable.
- ``equal selection rate, same capacity``: each group's top ``capacity x share``.
- ``ThresholdOptimizer (...)``: fairlearn's post-processing on the scores as given
  (``prefit=True``, ``predict_method="decision_function"``), expected selection from
  its randomised thresholds. Its thresholds are learnt from the outcomes, so it is
  fitted on earlier rows and judged on later ones (see the audit's notes); it
  chooses its own capacity, so it is compared with the unmitigated model at that
  same capacity on the same later rows.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from scipy.spatial import ConvexHull, QhullError
from sklearn.base import BaseEstimator, ClassifierMixin

from earlysignal.fairness._operating_point import at_capacity, selection_weights

MITIGATION_COLUMNS = [
    "method",
    "compared_with",
    "group_by",
    "group",
    "selected",
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "precision",
    "caught",
    "threshold",
    "suppressed",
]


class _FixedScores(ClassifierMixin, BaseEstimator):
    """An already-fitted 'model' whose decision function is the score column."""

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> _FixedScores:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=float)[:, 0]


def top_weights(scores: np.ndarray, k: float) -> np.ndarray:
    """Selection probabilities of the top ``k`` (fractional ties)."""
    return selection_weights(scores, at_capacity(scores, k))


def equal_selection_rate(
    scores: np.ndarray, codes: np.ndarray, capacity: float
) -> np.ndarray:
    """Each group's top ``capacity x group share``: equal selection rates."""
    p = np.zeros(len(scores))
    n = len(scores)
    for g in np.unique(codes):
        rows = np.flatnonzero(codes == g)
        p[rows] = top_weights(scores[rows], capacity * len(rows) / n)
    return p


def _upper_hull(n: np.ndarray, tp: np.ndarray) -> np.ndarray:
    """Indices of the upper concave hull of points sorted by n (first and last kept)."""
    if len(n) <= 2:
        return np.arange(len(n))
    try:
        hull = ConvexHull(np.c_[n, tp])
        v = list(hull.vertices)  # counter-clockwise
        end = v.index(len(n) - 1)
        chain = v[end:] + v[:end]
        chain = chain[: chain.index(0) + 1][::-1]
        return np.array(chain)
    except (QhullError, ValueError):
        keep: list[int] = []
        for i in range(len(n)):
            while len(keep) >= 2:
                a, b = keep[-2], keep[-1]
                cross = (n[b] - n[a]) * (tp[i] - tp[a]) - (tp[b] - tp[a]) * (
                    n[i] - n[a]
                )
                if cross >= 0:
                    keep.pop()
                else:
                    break
            keep.append(i)
        return np.array(keep)


class _GroupCurve:
    """A group's hull of (selected, caught), and selection at any point on it."""

    def __init__(self, scores: np.ndarray, labels: np.ndarray) -> None:
        self.order = np.argsort(-scores, kind="stable")
        s = scores[self.order]
        ends = np.r_[np.flatnonzero(s[1:] != s[:-1]) + 1, len(s)]
        cum_tp = np.cumsum(labels[self.order])
        n = np.r_[0, ends].astype(float)
        tp = np.r_[0, cum_tp[ends - 1]].astype(float)
        hull = _upper_hull(n, tp)
        self.n, self.tp = n[hull], tp[hull]
        self.pos = float(tp[-1])
        self.scores = s

    def count_for_tp(self, target: float) -> float:
        """Fewest expected selections that catch ``target`` on the hull."""
        rising = np.r_[True, np.diff(self.tp) > 0]
        return float(np.interp(target, self.tp[rising], self.n[rising]))

    def weights(self, count: float) -> tuple[np.ndarray, float]:
        """Selection probability per row (group's original order) at ``count``."""
        j = int(
            np.clip(
                np.searchsorted(self.n, count, side="right") - 1, 0, len(self.n) - 2
            )
        )
        a, b = self.n[j], self.n[j + 1]
        lam = 0.0 if b == a else (count - a) / (b - a)
        sorted_w = np.zeros(len(self.order))
        sorted_w[: int(a)] = 1.0
        sorted_w[int(a) : int(b)] = lam
        out = np.empty_like(sorted_w)
        out[self.order] = sorted_w
        chosen = sorted_w > 0
        threshold = float(self.scores[chosen].min()) if chosen.any() else np.nan
        return out, threshold


def equal_tpr(
    scores: np.ndarray, labels: np.ndarray, codes: np.ndarray, capacity: float
) -> tuple[np.ndarray, dict[int, float]]:
    """Equal TPR in every group with ``capacity`` selected in total (expected)."""
    groups = np.unique(codes)
    rows = {g: np.flatnonzero(codes == g) for g in groups}
    curves = {g: _GroupCurve(scores[rows[g]], labels[rows[g]]) for g in groups}

    def total(t: float) -> float:
        return sum(c.count_for_tp(t * c.pos) for c in curves.values())

    lo, hi = 0.0, 1.0
    if total(1.0) <= capacity:
        counts = {g: c.count_for_tp(c.pos) for g, c in curves.items()}
        spare = capacity - sum(counts.values())
        room = {g: len(rows[g]) - counts[g] for g in groups}
        room_total = sum(room.values())
        for g in groups:
            counts[g] += spare * room[g] / room_total if room_total else 0.0
    else:
        for _ in range(100):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if total(mid) < capacity else (lo, mid)
        counts = {g: c.count_for_tp(hi * c.pos) for g, c in curves.items()}
        # Bisection leaves a tiny gap; give it to the groups pro rata to stay exact.
        gap = capacity - sum(counts.values())
        for g in groups:
            counts[g] += gap * counts[g] / max(sum(counts.values()), 1e-12)
    p = np.zeros(len(scores))
    thresholds = {}
    for g in groups:
        w, thr = curves[g].weights(counts[g])
        p[rows[g]] = w
        thresholds[int(g)] = thr
    return p, thresholds


def threshold_optimizer(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    constraints: str,
    objective: str,
    fit: np.ndarray | None = None,
) -> np.ndarray:
    """Expected selection under fairlearn's ThresholdOptimizer on fixed scores.

    The thresholds are fitted on the rows ``fit`` (default all) and the expected
    selection is returned for every row, so that it can be judged on other rows.
    """
    from fairlearn.postprocessing import ThresholdOptimizer

    X = scores[:, None]
    rows = np.arange(len(scores)) if fit is None else fit
    opt = ThresholdOptimizer(
        estimator=_FixedScores(),
        constraints=constraints,
        objective=objective,
        prefit=True,
        predict_method="decision_function",
    )
    opt.fit(X[rows], labels[rows], sensitive_features=groups[rows])
    # The expected selection is the randomised predictor's probability of a 1.
    pmf = opt._pmf_predict(X, sensitive_features=groups)
    return np.asarray(pmf, dtype=float)[:, 1]


def policy_rows(
    method: str,
    compared_with: str,
    group_by: str,
    names: list[str],
    codes: np.ndarray,
    labels: np.ndarray,
    p: np.ndarray,
    thresholds: dict[int, float] | None,
    suppressed: np.ndarray,
) -> list[dict[str, object]]:
    """One row per group and one for everyone, for policy ``p``."""
    g_count = len(names)
    n = np.bincount(codes, minlength=g_count).astype(float)
    pos = np.bincount(codes, weights=labels.astype(float), minlength=g_count)
    sel = np.bincount(codes, weights=p, minlength=g_count)
    tp = np.bincount(codes, weights=p * labels, minlength=g_count)
    out = []
    rows = [(g, names[g], n[g], pos[g], sel[g], tp[g]) for g in range(g_count)]
    rows.append((-1, "all", n.sum(), pos.sum(), sel.sum(), tp.sum()))
    for g, name, n_g, pos_g, sel_g, tp_g in rows:
        hidden = bool(g >= 0 and suppressed[g])
        neg = n_g - pos_g
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = {
                "selected": sel_g,
                "selection_rate": sel_g / n_g,
                "tpr": tp_g / pos_g if pos_g else np.nan,
                "fpr": (sel_g - tp_g) / neg if neg else np.nan,
                "fnr": (pos_g - tp_g) / pos_g if pos_g else np.nan,
                "precision": tp_g / sel_g if sel_g else np.nan,
                "caught": tp_g,
                "threshold": (thresholds or {}).get(g, np.nan),
            }
        if hidden:
            vals = dict.fromkeys(vals, np.nan)
        out.append(
            {
                "method": method,
                "compared_with": compared_with,
                "group_by": group_by,
                "group": name,
                **vals,
                "suppressed": hidden,
            }
        )
    return out


def mitigation_svg(table: pd.DataFrame) -> str:
    """Grouped bars of TPR and FPR by group for each policy, as an SVG string."""
    from matplotlib.figure import Figure

    frames = [f for _, f in table.groupby("group_by", sort=False)]
    fig = Figure(figsize=(9, 3.2 * max(1, len(frames))))
    axes = fig.subplots(max(1, len(frames)), 2, squeeze=False)
    for row, frame in zip(axes, frames, strict=False):
        groups = [g for g in dict.fromkeys(frame["group"]) if g != "all"]
        methods = list(dict.fromkeys(frame["method"]))
        width = 0.8 / max(1, len(methods))
        for ax, metric in zip(row, ("tpr", "fpr"), strict=True):
            for j, m in enumerate(methods):
                sub = frame[frame["method"] == m].set_index("group")
                vals = [sub[metric].get(g, np.nan) for g in groups]
                caught = sub.loc["all", "caught"] if "all" in sub.index else np.nan
                ax.bar(
                    np.arange(len(groups)) + j * width,
                    vals,
                    width,
                    label=f"{m} (caught {caught:,.0f})",
                )
            ax.set_xticks(np.arange(len(groups)) + width * (len(methods) - 1) / 2)
            ax.set_xticklabels(groups, rotation=30, ha="right", fontsize=8)
            ax.set_title(f"{metric.upper()} by {frame['group_by'].iloc[0]}", fontsize=9)
            ax.set_ylim(0, 1)
        row[0].legend(fontsize=6, loc="upper left")
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.find("<svg") :]
