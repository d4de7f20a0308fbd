"""The vectorised (multinomial over cells) bootstrap agrees with a naive row loop."""

from __future__ import annotations

import numpy as np
import pytest

from earlysignal.fairness._audit import Settings, compute
from earlysignal.fairness._inputs import normalise

from ._sim import make_scores

CHECK = [
    "base_rate",
    "selection_rate",
    "tpr",
    "fpr",
    "precision",
    "roc_auc",
    "brier",
    "ece",
    "mean_score",
]


def naive_intervals(df, threshold, n_boot, seed):
    rng = np.random.default_rng(seed)
    out = {}
    for g, part in df.groupby("ethnicity"):
        s, y = part["score"].to_numpy(), part["y"].to_numpy()
        reps = {m: [] for m in CHECK}
        for _ in range(n_boot):
            i = rng.integers(0, len(s), len(s))
            ss, yy = s[i], y[i]
            sel = ss >= threshold
            pos = yy == 1
            reps["base_rate"].append(yy.mean())
            reps["selection_rate"].append(sel.mean())
            reps["tpr"].append((sel & pos).sum() / pos.sum())
            reps["fpr"].append((sel & ~pos).sum() / (~pos).sum())
            reps["precision"].append((sel & pos).sum() / sel.sum())
            reps["brier"].append(np.mean((ss - yy) ** 2))
            reps["mean_score"].append(ss.mean())
            # Mann-Whitney with ties counted one half
            diff = ss[pos][:, None] - ss[~pos][None, :]
            reps["roc_auc"].append(((diff > 0) + 0.5 * (diff == 0)).mean())
            bins = np.minimum((ss * 10).astype(int), 9)
            ece = sum(
                abs(ss[bins == b].sum() - yy[bins == b].sum()) for b in range(10)
            ) / len(ss)
            reps["ece"].append(ece)
        for m, r in reps.items():
            out[(g, m)] = np.percentile(r, [2.5, 97.5])
    return out


@pytest.mark.parametrize(("rounded", "max_bins"), [(2, 2048), (None, 64)])
def test_intervals_match_naive_row_bootstrap(rounded, max_bins):
    df = make_scores(1500, 5, rounded=rounded)
    inp = normalise(df, score="score", label="y", groups=["ethnicity"])
    st = Settings(
        threshold=0.25,
        n_boot=1500,
        seed=1,
        mitigation=False,
        min_cell=0,
        max_bins=max_bins,
    )
    gm = compute(inp, st).group_metrics.set_index(["group_by", "group", "metric"])
    naive = naive_intervals(df, 0.25, 1500, 2)
    for (g, m), (lo, hi) in naive.items():
        row = gm.loc[("ethnicity", g, m)]
        width = hi - lo
        # Both are Monte Carlo estimates of the same percentiles; allow a fifth of the width.
        tol = 0.2 * width + 1e-9
        assert row["lower"] == pytest.approx(lo, abs=tol), (g, m, "lower")
        assert row["upper"] == pytest.approx(hi, abs=tol), (g, m, "upper")


def test_seeded_and_reproducible():
    df = make_scores(800, 2)
    a = compute(
        normalise(df, score="score", label="y", groups="sex"),
        Settings(top=80, n_boot=100, seed=3, mitigation=False),
    )
    b = compute(
        normalise(df, score="score", label="y", groups="sex"),
        Settings(top=80, n_boot=100, seed=3, mitigation=False),
    )
    c = compute(
        normalise(df, score="score", label="y", groups="sex"),
        Settings(top=80, n_boot=100, seed=4, mitigation=False),
    )
    assert a.group_metrics.equals(b.group_metrics)
    assert not a.group_metrics["lower"].equals(c.group_metrics["lower"])


def test_group_size_is_fixed_in_every_resample():
    df = make_scores(800, 2)
    res = compute(
        normalise(df, score="score", label="y", groups="sex"),
        Settings(top=80, n_boot=100, mitigation=False),
    )
    size = res.group_metrics.query("metric == 'size'")
    assert (size["lower"] == size["value"]).all() and (
        size["upper"] == size["value"]
    ).all()
