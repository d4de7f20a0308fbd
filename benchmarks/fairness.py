"""Fairness audit speed: per-group cell counts vs fairlearn's MetricFrame.

1,000,000 synthetic scored rows in 6 groups. Times:
  - point estimates: ours (all 17 metrics, every group) vs MetricFrame (4 metrics);
  - 1,000 stratified bootstrap resamples: ours vs the naive loop that resamples rows
    within groups and rebuilds a MetricFrame each time;
  - 1,000 bootstrap resamples of PEOPLE (200,000 people at 5 dates each, stratified
    by group, each carrying all their rows), with and without a capacity re-chosen
    inside each resample: ours (draws of people times the people x cells matrix)
    vs the naive loop that draws people within groups, gathers their rows and
    rebuilds a MetricFrame.
  The naive loops are timed for a few resamples and extrapolated to 1,000.

Run: .venv/bin/python benchmarks/fairness.py [--rows 1000000] [--naive-resamples 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate
from sklearn.metrics import precision_score, recall_score

from earlysignal.fairness._audit import Settings, compute
from earlysignal.fairness._inputs import normalise

GROUPS = ["A", "B", "C", "D", "E", "F"]


def make(rows: int, seed: int = 0, dates: int = 1) -> pd.DataFrame:
    """``rows`` scored rows of ``rows / dates`` people, each at ``dates`` dates."""
    rng = np.random.default_rng(seed)
    n = rows // dates
    group = rng.choice(GROUPS, n, p=[0.4, 0.2, 0.15, 0.12, 0.08, 0.05])
    risk = rng.beta(2, 8, n)
    y = (rng.uniform(size=n) < risk).astype(int)
    person = np.repeat(np.arange(n), dates)
    score = np.clip(risk[person] + rng.normal(0, 0.02, n * dates), 0, 1)
    return pd.DataFrame(
        {
            "person_id": person,
            "as_of": np.tile(np.arange(dates), n),
            "score": score,
            "y": y[person],
            "group": group[person],
        }
    )


METRICS = {
    "selection_rate": selection_rate,
    "tpr": recall_score,
    "precision": precision_score,
    "fpr": false_positive_rate,
}


def metricframe(df: pd.DataFrame, pred: np.ndarray) -> pd.DataFrame:
    return MetricFrame(
        metrics=METRICS, y_true=df["y"], y_pred=pred, sensitive_features=df["group"]
    ).by_group


def ours(df: pd.DataFrame, n_boot: int, top: str | None = None) -> float:
    t = time.perf_counter()
    inp = normalise(df, score="score", label="y", groups=["group"])
    point = {"top": top} if top else {"threshold": 0.3}
    compute(inp, Settings(n_boot=n_boot, mitigation=False, **point))  # type: ignore[arg-type]
    return time.perf_counter() - t


def naive_people(df: pd.DataFrame, pred: np.ndarray, resamples: int) -> float:
    """Draw people within groups, gather all their rows, rebuild a MetricFrame."""
    rng = np.random.default_rng(0)
    first = df.drop_duplicates("person_id")
    by_group = [first["person_id"].to_numpy()[first["group"] == g] for g in GROUPS]
    rows_of = df.groupby("person_id").indices
    t = time.perf_counter()
    for _ in range(resamples):
        chosen = np.concatenate(
            [ids[rng.integers(0, len(ids), len(ids))] for ids in by_group]
        )
        idx = np.concatenate([rows_of[i] for i in chosen])
        metricframe(df.iloc[idx].reset_index(drop=True), pred[idx])
    return time.perf_counter() - t


def naive_bootstrap(df: pd.DataFrame, pred: np.ndarray, resamples: int) -> float:
    rng = np.random.default_rng(0)
    by_group = [np.flatnonzero(df["group"].to_numpy() == g) for g in GROUPS]
    t = time.perf_counter()
    for _ in range(resamples):
        idx = np.concatenate(
            [rows[rng.integers(0, len(rows), len(rows))] for rows in by_group]
        )
        metricframe(df.iloc[idx].reset_index(drop=True), pred[idx])
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-resamples", type=int, default=3)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--dates", type=int, default=5)
    args = parser.parse_args()
    df = make(args.rows)
    pred = (df["score"].to_numpy() >= 0.3).astype(int)

    ours(df.head(1000), 10)  # warm imports
    t_point = ours(df, 0)
    t = time.perf_counter()
    metricframe(df, pred)
    t_mf = time.perf_counter() - t
    t_boot = ours(df, args.boot)
    t_naive = naive_bootstrap(df, pred, args.naive_resamples)
    t_naive_full = t_naive / args.naive_resamples * args.boot

    print(f"{args.rows:,} rows x {len(GROUPS)} groups, threshold 0.3\n")
    print(f"{'task':<46}{'ours (s)':>10}{'fairlearn (s)':>15}{'ratio':>9}")
    print(
        f"{'point estimates (ours 17 metrics; MF 4)':<46}{t_point:>10.2f}{t_mf:>15.2f}{t_mf / t_point:>8.0f}x"
    )
    print(
        f"{f'bootstrap, {args.boot:,} resamples':<46}{t_boot:>10.2f}{t_naive_full:>14.0f}*{t_naive_full / t_boot:>8.0f}x"
    )
    people = make(args.rows, dates=args.dates)
    p_pred = (people["score"].to_numpy() >= 0.3).astype(int)
    t_people = ours(people, args.boot)
    t_people_top = ours(people, args.boot, top="5%")
    t_np = naive_people(people, p_pred, args.naive_resamples)
    t_np_full = t_np / args.naive_resamples * args.boot
    n_people = args.rows // args.dates
    for label, secs in (
        (f"people bootstrap ({n_people:,} people), threshold", t_people),
        (f"people bootstrap ({n_people:,}), top 5% re-chosen", t_people_top),
    ):
        print(
            f"{label:<46}{secs:>10.2f}{t_np_full:>14.0f}*{t_np_full / secs:>8.0f}x"
        )
    print(
        f"\n* naive loop (resample rows within groups, rebuild a MetricFrame) timed for "
        f"{args.naive_resamples} resamples ({t_naive:.1f} s) and extrapolated to {args.boot:,}."
    )
    print(
        f"  naive people loop (draw people within groups, gather their rows, rebuild a "
        f"MetricFrame) timed for {args.naive_resamples} resamples ({t_np:.1f} s) and "
        f"extrapolated to {args.boot:,}."
    )
    print(
        "  'ours' for the bootstrap includes the point estimates and all 17 metrics' intervals."
    )


if __name__ == "__main__":
    main()
