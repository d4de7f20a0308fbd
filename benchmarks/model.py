"""Training time, peak memory and scoring speed of EarlyWarningClassifier.

Simulated numeric features (about 150), a rare binary outcome, seven as-of dates.
Peak memory is the resident-set high-water mark of a fresh child process per size,
so one size does not inherit another's.

The reference is one plain ``lightgbm.LGBMClassifier`` fit on all rows with the
rounds our model chose: our fit also trains on the earlier dates to choose those
rounds (early stopping on the latest ones) before refitting, so about 2x is the
expected ratio.

One LightGBM thread by default (``--threads`` to change), so that figures compare
across runs whatever the load; the pipeline itself takes the cores free at each fit
(``n_jobs="auto"``), which gives the same trees on any number of threads.

    python benchmarks/model.py                   # 200,000 and 1,000,000 rows
    python benchmarks/model.py --rows 200000     # one size
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time

import numpy as np
import pandas as pd


def _simulate(n_rows: int, n_features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype(np.float32)
    X[rng.uniform(size=X.shape) < 0.05] = np.nan      # some missing values
    beta = np.zeros(n_features)
    beta[:15] = rng.normal(scale=0.6, size=15)
    logit = -3.0 + np.nan_to_num(X) @ beta + 0.5 * np.nan_to_num(X[:, 0] * X[:, 1])
    y = (rng.uniform(size=n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    dates = pd.date_range("2020-09-01", periods=7, freq="6MS")
    as_of = dates[np.sort(rng.integers(0, 7, n_rows))]
    frame = pd.DataFrame(X, columns=[f"f{i:03d}" for i in range(n_features)])
    return frame, y, as_of


def _reference_fit(X: pd.DataFrame, y: np.ndarray, clf, n_jobs: int) -> float:
    import lightgbm as lgb

    params = {k: v for k, v in clf.model_.get_params().items()
              if k not in ("n_estimators",)}
    ref = lgb.LGBMClassifier(**{**params, "n_estimators": clf.best_iteration_,
                                "n_jobs": n_jobs})
    start = time.perf_counter()
    ref.fit(X.to_numpy(dtype=float), y)
    return time.perf_counter() - start


def _run(n_rows: int, n_features: int, n_jobs: int, queue: mp.Queue) -> None:
    from earlysignal.model import EarlyWarningClassifier

    X, y, as_of = _simulate(n_rows, n_features)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    clf = EarlyWarningClassifier(n_estimators=300, learning_rate=0.1, n_jobs=n_jobs)
    start = time.perf_counter()
    clf.fit(X, y, as_of=as_of)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    clf.predict_proba(X)
    score_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ref_s = _reference_fit(X, y, clf, n_jobs)
    queue.put({
        "rows": n_rows, "features": n_features, "threads": n_jobs,
        "rounds": clf.best_iteration_, "fit_s": round(fit_s, 1),
        "lightgbm_s": round(ref_s, 1), "ratio": round(fit_s / ref_s, 2),
        "score_rows_per_s": int(n_rows / score_s),
        "data_mb": round(X.memory_usage().sum() / 2**20),
        "peak_rss_mb": round(peak / 1024),
        "fit_extra_mb": round((peak - base) / 1024),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[200_000, 1_000_000])
    parser.add_argument("--features", type=int, default=150)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    results = []
    for n in args.rows:
        queue: mp.Queue = ctx.Queue()
        proc = ctx.Process(target=_run, args=(n, args.features, args.threads, queue))
        proc.start()
        results.append(queue.get())
        proc.join()
        print(pd.DataFrame(results[-1:]).to_string(index=False), flush=True)
    print()
    print("fit = early stopping on the latest as-of dates (up to 300 rounds, "
          "learning rate 0.1) + refit on all rows; lightgbm = one plain fit of the "
          "same rounds on all rows")
    print(pd.DataFrame(results).to_string(index=False))


if __name__ == "__main__":
    main()
