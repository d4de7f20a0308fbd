"""Group metrics from per-group cell counts, and their stratified bootstrap.

Rows are compressed, once, into cells: (group, score class, label, selection weight).
A score class is a calibration decile (10 equal-width bins on [0, 1]) crossed with a
fine score bin: each distinct score when there are at most ``max_bins`` of them,
otherwise a quantile bin. Each cell keeps its row count and the sums of score and
squared score, so that every metric is a function of sums over cells:

- counts (TP, FP, FN, TN, positives, selected) are sums of count x label x weight;
- mean score, Brier score and the 10-bin ECE are sums of scores within cells;
- ROC AUC is the Mann-Whitney statistic over score classes (pairs in the same class
  count one half, exactly as tied scores do).

The bootstrap resamples each group's cell counts from a multinomial with the group's
own size (stratified by group), which is the same as resampling rows within the group.
With at most ``max_bins`` distinct scores this is exact. With more, two things are
approximate: a resampled cell's score sums are its count times the cell's mean
(within-cell spread is not resampled), and AUC replicates treat rows sharing a fine
bin as tied. AUC point estimates are always exact (from ranks), and AUC replicates are
shifted by (exact - binned) so the interval is centred where the estimate is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS: tuple[str, ...] = (
    "size",
    "positives",
    "selected",
    "tp",
    "base_rate",
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "precision",
    "npv",
    "roc_auc",
    "mean_score",
    "calibration_gap",
    "oe_ratio",
    "ece",
    "brier",
)
"""Every group metric, in report order (see ``METRIC_LABELS`` for the meaning)."""

METRIC_LABELS: dict[str, str] = {
    "size": "people in the group",
    "positives": "people with the outcome",
    "selected": "people selected (expected count)",
    "tp": "outcomes caught: selected people with the outcome (TP)",
    "base_rate": "base rate: share with the outcome",
    "selection_rate": "selection rate",
    "tpr": "true positive rate (TPR, recall)",
    "fpr": "false positive rate (FPR)",
    "fnr": "false negative rate (FNR)",
    "precision": "precision (PPV)",
    "npv": "negative predictive value (NPV)",
    "roc_auc": "ROC AUC within the group",
    "mean_score": "mean score",
    "calibration_gap": "calibration gap: mean score minus observed rate",
    "oe_ratio": "observed / expected: observed rate over mean score",
    "ece": "expected calibration error (10 equal-width bins)",
    "brier": "Brier score",
}

PROBABILITY_ONLY = ("calibration_gap", "oe_ratio", "ece", "brier")
N_CAL_BINS = 10


@dataclass(frozen=True)
class Cells:
    """Compressed rows of one table; cells of a group are contiguous, in score order."""

    group: np.ndarray  # group code per cell
    count: np.ndarray  # rows per cell
    y: np.ndarray
    w: np.ndarray  # selection probability of the cell's rows
    mu: np.ndarray  # mean score in the cell
    mu2: np.ndarray  # mean squared score in the cell
    cal: np.ndarray  # calibration bin 0..9
    rclass: np.ndarray  # score class: rows in one class are ties for AUC
    probabilities: bool
    exact: bool  # every score class holds a single score value

    def group_slices(self, n_groups: int) -> list[slice]:
        bounds = np.searchsorted(self.group, np.arange(n_groups + 1))
        return [
            slice(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]


@dataclass(frozen=True)
class ScoreClasses:
    """Per-row score class and calibration bin, computed once for all tables."""

    rclass: np.ndarray
    cal: np.ndarray
    probabilities: bool
    exact: bool


def score_classes(scores: np.ndarray, max_bins: int = 512) -> ScoreClasses:
    """Assign each score a class for the cell compression."""
    probabilities = bool(scores.min() >= 0.0 and scores.max() <= 1.0)
    if probabilities:
        cal = np.minimum((scores * N_CAL_BINS).astype(np.int64), N_CAL_BINS - 1)
    else:
        cal = np.zeros(len(scores), dtype=np.int64)
    uniq = np.unique(scores)
    exact = len(uniq) <= max_bins
    if exact:
        fine = np.searchsorted(uniq, scores)
    else:
        edges = np.unique(np.quantile(scores, np.linspace(0, 1, max_bins + 1)[1:-1]))
        fine = np.searchsorted(edges, scores, side="right")
    return ScoreClasses(fine * N_CAL_BINS + cal, cal, probabilities, exact)


def build_cells(
    codes: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    classes: ScoreClasses,
    rows: np.ndarray | None = None,
) -> Cells:
    """Compress the rows (optionally the subset ``rows``) of one table into cells.

    ``codes`` has one group code per row of the table (per entry of ``rows``).
    """
    if rows is not None:
        scores, labels, weights = scores[rows], labels[rows], weights[rows]
        rclass, cal = classes.rclass[rows], classes.cal[rows]
    else:
        rclass, cal = classes.rclass, classes.cal
    wvals, widx = np.unique(weights, return_inverse=True)
    n_r = int(classes.rclass.max()) + 1
    n_w = len(wvals)
    key = ((codes.astype(np.int64) * n_r + rclass) * 2 + labels) * n_w + widx
    span = int(key.max()) + 1 if len(key) else 1
    if span <= 50_000_000:
        # Counting beats sorting a million keys; keys are dense enough here.
        dense = np.bincount(key, minlength=span)
        uniq = np.flatnonzero(dense)
        count = dense[uniq]
        inverse = np.searchsorted(uniq, key)
    else:
        uniq, inverse, count = np.unique(key, return_inverse=True, return_counts=True)
    s1 = np.bincount(inverse, weights=scores, minlength=len(uniq))
    s2 = np.bincount(inverse, weights=scores * scores, minlength=len(uniq))
    cal_cell = np.zeros(len(uniq), dtype=np.int64)
    cal_cell[inverse] = cal
    w_i = uniq % n_w
    rest = uniq // n_w
    y = rest % 2
    rest //= 2
    return Cells(
        group=rest // n_r,
        count=count.astype(float),
        y=y.astype(float),
        w=wvals[w_i].astype(float),
        mu=s1 / count,
        mu2=s2 / count,
        cal=cal_cell,
        rclass=rest % n_r,
        probabilities=classes.probabilities,
        exact=classes.exact,
    )


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(b > 0, out, np.nan)


def metrics_from_counts(m: np.ndarray, c: Cells, sl: slice) -> dict[str, np.ndarray]:
    """Every metric for one group from cell counts ``m`` of shape (..., cells)."""
    y, w, mu, mu2 = c.y[sl], c.w[sl], c.mu[sl], c.mu2[sl]
    sums = m @ np.stack([np.ones_like(y), y, w, w * y, mu, mu2, y * mu], axis=1)
    n, pos, sel, tp, s1, s2, ys = np.moveaxis(sums, -1, 0)
    neg = n - pos
    fp, fn = sel - tp, pos - tp
    tn = neg - fp
    out = {
        "size": n,
        "positives": pos,
        "selected": sel,
        "tp": tp,
        "base_rate": _div(pos, n),
        "selection_rate": _div(sel, n),
        "tpr": _div(tp, pos),
        "fpr": _div(fp, neg),
        "fnr": _div(fn, pos),
        "precision": _div(tp, sel),
        "npv": _div(tn, n - sel),
        "roc_auc": _auc(m, y, c.rclass[sl], pos, neg),
        "mean_score": _div(s1, n),
    }
    if c.probabilities:
        onehot = np.eye(N_CAL_BINS)[c.cal[sl]] * (mu - y)[:, None]
        out["calibration_gap"] = out["mean_score"] - out["base_rate"]
        out["oe_ratio"] = _div(pos, s1)
        out["ece"] = _div(np.abs(m @ onehot).sum(axis=-1), n)
        out["brier"] = _div(s2 - 2 * ys + pos, n)
    else:
        nan = np.full_like(n, np.nan)
        out.update({k: nan for k in PROBABILITY_ONLY})
    return out


def _auc(
    m: np.ndarray, y: np.ndarray, rclass: np.ndarray, pos: np.ndarray, neg: np.ndarray
) -> np.ndarray:
    if len(rclass) == 0:
        return np.full(m.shape[:-1], np.nan)
    starts = np.flatnonzero(np.r_[True, np.diff(rclass) != 0])
    p_r = np.add.reduceat(m * y, starts, axis=-1)
    n_r = np.add.reduceat(m * (1 - y), starts, axis=-1)
    below = np.cumsum(n_r, axis=-1) - n_r
    u = (p_r * (below + 0.5 * n_r)).sum(axis=-1)
    return _div(u, pos * neg)


def exact_auc(
    codes: np.ndarray, scores: np.ndarray, labels: np.ndarray, n_groups: int
) -> np.ndarray:
    """ROC AUC within each group from average ranks (Mann-Whitney U); ties 1/2."""
    order = np.lexsort((scores, codes))
    g, s, y = codes[order], scores[order], labels[order].astype(float)
    n = len(g)
    new_block = np.r_[True, (g[1:] != g[:-1]) | (s[1:] != s[:-1])]
    block = np.cumsum(new_block) - 1
    group_start = np.searchsorted(g, np.arange(n_groups))
    rank = np.arange(n) - group_start[g] + 1.0
    block_rank = np.bincount(block, weights=rank) / np.bincount(block)
    avg = block_rank[block]
    pos = np.bincount(g, weights=y, minlength=n_groups)
    size = np.bincount(g, minlength=n_groups).astype(float)
    neg = size - pos
    rsum = np.bincount(g, weights=avg * y, minlength=n_groups)
    return _div(rsum - pos * (pos + 1) / 2, pos * neg)


@dataclass(frozen=True)
class GroupEstimates:
    """Point estimates (groups x metrics), replicates (groups x B x metrics)."""

    point: np.ndarray
    replicates: np.ndarray


def estimate(
    cells: Cells,
    n_groups: int,
    auc: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
) -> GroupEstimates:
    """Point estimates and stratified multinomial bootstrap replicates per group."""
    n_m = len(METRICS)
    point = np.full((n_groups, n_m), np.nan)
    reps = np.full((n_groups, n_boot, n_m), np.nan)
    i_auc = METRICS.index("roc_auc")
    for g, sl in enumerate(cells.group_slices(n_groups)):
        counts = cells.count[sl]
        size = int(counts.sum())
        if size == 0:
            continue
        est = metrics_from_counts(counts, cells, sl)
        point[g] = [est[k] for k in METRICS]
        binned_auc = point[g, i_auc]
        point[g, i_auc] = auc[g]
        if n_boot:
            draws = rng.multinomial(size, counts / size, size=n_boot).astype(float)
            rep = metrics_from_counts(draws, cells, sl)
            reps[g] = np.stack([rep[k] for k in METRICS], axis=1)
            reps[g, :, i_auc] += auc[g] - binned_auc
    return GroupEstimates(point, reps)
