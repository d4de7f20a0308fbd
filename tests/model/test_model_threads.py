"""Thread counts: LightGBM's from the free cores, BLAS held to one thread."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info

from earlysignal.model import EarlyWarningClassifier
from earlysignal.model._estimator import ModelInputError
from earlysignal.model._threads import (
    free_cores,
    lightgbm_threads,
    one_blas_thread,
    usable_cores,
)


@pytest.mark.parametrize(("cores", "load", "free"), [
    (2, 0.0, 2), (2, 0.5, 2), (2, 0.6, 1), (2, 1.4, 1), (2, 9.0, 1),
    (16, 3.2, 13), (1, 0.0, 1)])
def test_free_cores_are_cores_less_the_load(cores: int, load: float, free: int
                                            ) -> None:
    assert free_cores(cores=cores, load=load) == free


def test_auto_takes_the_free_cores_of_this_machine(monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
    from earlysignal.model import _threads

    monkeypatch.setattr(_threads, "own_load", lambda: 0.0)
    monkeypatch.setattr("os.getloadavg", lambda: (usable_cores() + 5.0, 0.0, 0.0))
    assert lightgbm_threads("auto") == 1
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))
    assert lightgbm_threads("auto") == usable_cores()
    # this process's own work is not load that takes a core from it
    monkeypatch.setattr(_threads, "usable_cores", lambda: 2)
    monkeypatch.setattr("os.getloadavg", lambda: (1.0, 0.0, 0.0))
    monkeypatch.setattr(_threads, "own_load", lambda: 0.95)
    assert lightgbm_threads("auto") == 2
    monkeypatch.setattr(_threads, "own_load", lambda: 0.0)
    assert lightgbm_threads("auto") == 1
    assert lightgbm_threads(3) == 3
    with pytest.raises(ModelInputError, match="'auto'"):
        lightgbm_threads(0)


def test_own_load_is_the_cpu_time_of_this_process_over_its_age() -> None:
    import time

    from earlysignal.model._threads import own_load

    # CPU seconds over own_load is the process's age: it grows by the wall time
    # slept, whatever the machine's load
    cpu, share, start = time.process_time(), own_load(), time.monotonic()
    time.sleep(0.5)
    cpu2, share2, end = time.process_time(), own_load(), time.monotonic()
    assert 0.0 < share2 < share
    assert cpu2 / share2 - cpu / share == pytest.approx(end - start, abs=0.05)


def test_blas_runs_on_one_thread_inside_and_as_before_after() -> None:
    before = [i["num_threads"] for i in threadpool_info()
              if i["user_api"] == "blas"]
    with one_blas_thread():
        inside = [i["num_threads"] for i in threadpool_info()
                  if i["user_api"] == "blas"]
    after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    assert inside and set(inside) == {1}
    assert after == before


def test_scores_do_not_depend_on_the_thread_count() -> None:
    # deterministic, row-wise LightGBM: the trees are the same on 1 or 2 threads,
    # so choosing threads from the load changes no number a run prints
    rng = np.random.default_rng(3)
    n = 3000
    X = pd.DataFrame(rng.normal(size=(n, 12)), columns=[f"x{i}" for i in range(12)])
    X = X.mask(rng.uniform(size=X.shape) < 0.1)
    X["school"] = rng.choice(["a", "b", "c"], size=n)
    y = (X["x0"].fillna(0) + X["x1"].fillna(0) * (X["school"] == "a")
         + rng.normal(size=n) > 1.5).astype(int)
    as_of = np.repeat(pd.date_range("2020-01-01", periods=6, freq="QS"), n // 6)
    fits = [EarlyWarningClassifier(n_estimators=25, n_jobs=j, monotone="auto"
                                   ).fit(X, y, as_of=as_of) for j in (1, 2)]
    assert fits[0].best_iteration_ == fits[1].best_iteration_
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
