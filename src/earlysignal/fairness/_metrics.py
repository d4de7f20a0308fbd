"""Group metrics from per-group cell counts, and their person-level bootstrap.

Rows are compressed, once, into cells: (group, score class, capacity scope, label,
selection weight). A score class is a calibration bin (10 equal-width bins on [0, 1])
crossed with a fine score bin: each distinct score when there are at most ``max_bins``
of them, otherwise a quantile bin. The capacity scope is the period within which a
capacity is applied (one scope when there is no capacity per period). Each cell keeps
its row count and the sums of score and squared score, so that every metric is a
function of sums over cells:

- counts (TP, FP, FN, TN, positives, selected) are sums of count x label x weight;
- mean score, Brier score and the equal-width ECE are sums of scores within cells;
- ROC AUC is the Mann-Whitney statistic over score classes (pairs in the same class
  count one half, exactly as tied scores do).

The bootstrap resamples **people**, stratified by group, carrying all their rows
(:mod:`earlysignal.bootstrap`): a block of per-person multiplicities times the
people x cells matrix of per-person cell counts gives each resample's cell counts.
At a capacity, the top k is chosen again inside each resample: with a scope's cells in
score order, the cumulative resampled count from the top says where k falls, and the
class it falls in is selected in part (places left / rows in the class), the same tie
rule as the point estimate. With at most ``max_bins`` distinct scores this is exact.
With more, three things are approximate: a resampled cell's score sums are its count
times the cell's mean (within-cell spread is not resampled), AUC replicates treat rows
sharing a fine bin as tied, and at a capacity the boundary bin is treated as tied.
Replicates are shifted by (exact - binned) estimate so that intervals are centred
where the exact estimates are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from earlysignal.bootstrap import BLOCK_ENTRIES, People, person_draws, person_sums
from earlysignal.fairness._operating_point import Capacity

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
    "size": "rows in the group (a person counts once per as-of date)",
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
    "ece": (
        "expected calibration error over 10 equal-width score bins, each weighted "
        "by its share of the rows (the same definition as the model evaluation's)"
    ),
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
    scope: np.ndarray  # capacity scope (period) of the cell's rows
    row_cell: np.ndarray  # cell of each row of the table
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
    scope: np.ndarray | None = None,
) -> Cells:
    """Compress the rows (optionally the subset ``rows``) of one table into cells.

    ``codes`` and ``scope`` (capacity scope code, default one scope) have one entry
    per row of the table (per entry of ``rows``).
    """
    if rows is not None:
        scores, labels, weights = scores[rows], labels[rows], weights[rows]
        rclass, cal = classes.rclass[rows], classes.cal[rows]
    else:
        rclass, cal = classes.rclass, classes.cal
    if scope is None:
        scope = np.zeros(len(scores), dtype=np.int64)
    wvals, widx = np.unique(weights, return_inverse=True)
    n_r = int(classes.rclass.max()) + 1
    n_s = int(scope.max()) + 1 if len(scope) else 1
    n_w = len(wvals)
    # group-major, then score class, so that each group's cells are in score order
    key = ((codes.astype(np.int64) * n_r + rclass) * n_s + scope) * 2 + labels
    key = key * n_w + widx
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
    scope_cell = rest % n_s
    rest //= n_s
    return Cells(
        group=rest // n_r,
        count=count.astype(float),
        y=y.astype(float),
        w=wvals[w_i].astype(float),
        mu=s1 / count,
        mu2=s2 / count,
        cal=cal_cell,
        rclass=rest % n_r,
        scope=scope_cell,
        row_cell=inverse.astype(np.int64),
        probabilities=classes.probabilities,
        exact=classes.exact,
    )


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(b > 0, out, np.nan)


def metrics_from_counts(
    m: np.ndarray, c: Cells, sl: slice, w: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Every metric for one group from cell counts ``m`` of shape (..., cells).

    ``w`` is the selection probability of each cell's rows, shaped like ``m``, when it
    differs between resamples (a capacity re-chosen in each); default the cells' own.
    """
    y, mu, mu2 = c.y[sl], c.mu[sl], c.mu2[sl]
    sums = m @ np.stack([np.ones_like(y), y, mu, mu2, y * mu], axis=1)
    n, pos, s1, s2, ys = np.moveaxis(sums, -1, 0)
    if w is None:
        sel, tp = m @ c.w[sl], m @ (c.w[sl] * y)
    else:
        mw = m * w
        sel, tp = mw.sum(axis=-1), mw @ y
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
class _Classes:
    """Score classes of each capacity scope, highest first, for re-choosing the top k."""

    onehot: sparse.csr_matrix  # cells x classes
    scope: np.ndarray  # scope of each class
    starts: np.ndarray  # first class of each scope


def _classes(c: Cells) -> _Classes:
    # order classes by scope, then score class from the highest down
    n_r = int(c.rclass.max()) + 1 if len(c.rclass) else 1
    key = c.scope * n_r + (n_r - 1 - c.rclass)
    uniq, cls = np.unique(key, return_inverse=True)
    onehot = sparse.csr_matrix(
        (np.ones(len(cls)), (np.arange(len(cls)), cls)), shape=(len(cls), len(uniq))
    )
    scope = uniq // n_r
    starts = np.flatnonzero(np.r_[True, np.diff(scope) != 0])
    return _Classes(onehot, scope, starts)


def capacity_weights(m: np.ndarray, c: Cells, cap: Capacity) -> np.ndarray:
    """Selection probability of each cell when the top k of each scope is re-chosen.

    ``m`` holds cell counts, shape (b, cells). Within each scope the classes are
    taken from the highest score down until k rows are chosen; the class where the
    cumulative count crosses k is selected in part (places left / rows in the class),
    exactly the tie rule of :func:`earlysignal.fairness.at_capacity`.

    Examples
    --------
    >>> s = np.array([0.9, 0.5, 0.5, 0.5, 0.1])
    >>> cl = score_classes(s)
    >>> c = build_cells(np.zeros(5, dtype=int), s, np.zeros(5, dtype=int),
    ...                 np.zeros(5), cl)
    >>> capacity_weights(c.count[None, :], c, Capacity(count=2)).round(4).tolist()
    [[0.0, 0.3333, 1.0]]
    """
    plan = _classes(c)
    t = np.asarray(m @ plan.onehot)  # (b, classes)
    cum = np.cumsum(t, axis=1)
    before_scope = np.where(plan.starts > 0, cum[:, plan.starts - 1], 0.0)
    sizes = np.diff(np.r_[plan.starts, len(plan.scope)])
    seg = np.repeat(np.arange(len(plan.starts)), sizes)
    above = cum - t - before_scope[:, seg]
    ends = np.r_[plan.starts[1:], len(plan.scope)] - 1
    n_scope = cum[:, ends] - before_scope
    k = cap.k(n_scope)[:, seg]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(t > 0, np.clip((k - above) / t, 0.0, 1.0), 0.0)
    return np.asarray(plan.onehot @ frac.T).T


@dataclass(frozen=True)
class TableCells:
    """One table to estimate: its cells, number of groups, exact AUCs and rows."""

    cells: Cells
    n_groups: int
    auc: np.ndarray
    rows: np.ndarray  # row indices of the table in the input


@dataclass(frozen=True)
class GroupEstimates:
    """Point estimates (groups x metrics), replicates (groups x B x metrics)."""

    point: np.ndarray
    replicates: np.ndarray


def _stack(est: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([est[k] for k in METRICS], axis=-1)


def _points(t: TableCells, cap: Capacity | None) -> tuple[np.ndarray, np.ndarray]:
    """Exact point estimates, and the same from the binned cells the resamples use."""
    c = t.cells
    point = np.full((t.n_groups, len(METRICS)), np.nan)
    binned = point.copy()
    w = capacity_weights(c.count[None, :], c, cap)[0] if cap is not None else None
    for g, sl in enumerate(c.group_slices(t.n_groups)):
        if c.count[sl].sum() == 0:
            continue
        point[g] = _stack(metrics_from_counts(c.count[sl], c, sl))
        binned[g] = _stack(
            metrics_from_counts(c.count[sl], c, sl, None if w is None else w[sl])
        )
        point[g, METRICS.index("roc_auc")] = t.auc[g]
    return point, binned


def _block_sizes(who: People, n_boot: int) -> list[int]:
    step = max(1, min(n_boot, BLOCK_ENTRIES // max(who.n, 1))) if n_boot else 1
    return [min(step, n_boot - i) for i in range(0, n_boot, step)]


def _multinomial_cells(
    t: TableCells, b: int, rng: np.random.Generator
) -> np.ndarray:
    """``b`` resamples of a table's cell counts, each group keeping its size."""
    out = np.zeros((b, len(t.cells.count)))
    for sl in t.cells.group_slices(t.n_groups):
        counts = t.cells.count[sl]
        size = int(counts.sum())
        if size:
            out[:, sl] = rng.multinomial(size, counts / size, size=b)
    return out


def estimate(
    tables: list[TableCells],
    who: People,
    n_boot: int,
    rng: np.random.Generator,
    cap: Capacity | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[GroupEstimates]:
    """Point estimates and person-level bootstrap replicates of every table.

    All tables share the same draws of people (``who`` indexes every row of the
    input), so replicates of different tables, e.g. periods, are joint. With ``cap``
    the top k of each capacity scope is chosen again inside each resample.
    ``progress`` is called with (resamples done, ``n_boot``) after each block.
    """
    points = [_points(t, cap) for t in tables]
    reps = [np.full((t.n_groups, n_boot, len(METRICS)), np.nan) for t in tables]
    mats = [
        person_sums(
            People(who.codes[t.rows], who.n, who.strata),
            t.cells.row_cell,
            len(t.cells.count),
        )
        for t in tables
    ]
    one_row_each = who.n == len(who.codes)
    done = 0
    for b in _block_sizes(who, n_boot):
        if one_row_each:
            # People do not recur: resampling the people of a group is resampling
            # its rows, a multinomial over the group's cells (periods hold
            # different people, so their draws are independent anyway).
            counts = [_multinomial_cells(t, b, rng) for t in tables]
        else:
            block = next(person_draws(who, b, rng, block=b))
            counts = [np.asarray(block @ mat) for mat in mats]
        for t, m, rep in zip(tables, counts, reps, strict=True):
            w = capacity_weights(m, t.cells, cap) if cap is not None else None
            for g, sl in enumerate(t.cells.group_slices(t.n_groups)):
                ws = None if w is None else w[:, sl]
                rep[g, done : done + b] = _stack(
                    metrics_from_counts(m[:, sl], t.cells, sl, ws)
                )
        done += b
        if progress is not None:
            progress(done, n_boot)
    out = []
    for (point, binned), rep in zip(points, reps, strict=True):
        shift = point - binned
        rep += np.where(np.isfinite(shift), shift, 0.0)[:, None, :]
        out.append(GroupEstimates(point, rep))
    return out
