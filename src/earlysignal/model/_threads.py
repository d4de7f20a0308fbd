"""How many threads the model's fits use.

LightGBM's thread count is chosen from the cores that are free when a fit starts:
with ``deterministic=True`` and row-wise histograms (both always set, see
``EarlyWarningClassifier``) a fit gives identical trees on any number of threads,
so the choice changes only the time a fit takes. On a shared machine a thread that
waits for a busy core at every boosting step slows the whole fit; on a quiet one a
second thread nearly halves it.

The linear fits (the logistic regression, the rules' one-input links) run on one
BLAS thread: they are many and small, OpenBLAS's threads spin-wait for each other
on every product (a one-input fit took 20 times as long with two threads on a busy
2-core machine), and a sum split over threads rounds differently, so one thread
also makes their digits the same on every machine. Those digits did depend on the
machine before: OpenBLAS takes a thread per core, and the regression's solver stops
at a tolerance, so rounding moved its metrics by up to 5e-6 on the demo (an AUC
of 0.758434 became 0.758430), below the three decimals the reports print.
"""

from __future__ import annotations

import math
import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["AUTO", "free_cores", "lightgbm_threads", "one_blas_thread", "own_load",
           "usable_cores"]

#: ``n_jobs="auto"``: as many LightGBM threads as there are free cores.
AUTO = "auto"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def own_load() -> float:
    """This process's own part of the load average: its CPU seconds over its age.

    A run that has been computing for a while counts about one; a notebook that
    sat idle counts about nothing. 0 where the process's age cannot be read.

    Examples
    --------
    >>> 0.0 <= own_load()
    True
    """
    try:
        with open("/proc/self/stat") as f:  # fields after the command's ")"
            start = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            age = float(f.read().split()[0]) - start / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) / age if age > 0 else 0.0


def free_cores(cores: int | None = None, load: float | None = None) -> int:
    """Cores not busy with other work: usable cores minus the others' load.

    Parameters
    ----------
    cores : int, optional
        Cores this process may use (default: :func:`usable_cores`).
    load : float, optional
        Other processes running or waiting, averaged over the last minute
        (default: the system's 1-minute load average less this process's own part,
        :func:`own_load`; where there is none, the machine counts as quiet). A
        share of a core counts as free when at least half of it is.

    Examples
    --------
    >>> free_cores(cores=2, load=0.3), free_cores(cores=2, load=1.4)
    (2, 1)
    >>> free_cores(cores=8, load=2.5), free_cores(cores=2, load=6.0)
    (6, 1)
    """
    cores = usable_cores() if cores is None else int(cores)
    if load is None:
        try:
            total = os.getloadavg()[0]
        except (AttributeError, OSError):
            total = 0.0
        load = max(total - min(own_load(), total), 0.0)
    return max(1, min(cores, math.floor(cores - load + 0.5)))


def lightgbm_threads(n_jobs: int | str | None) -> int:
    """LightGBM's ``num_threads`` for a setting: a count, or ``"auto"``/None.

    Examples
    --------
    >>> lightgbm_threads(3), 1 <= lightgbm_threads("auto") <= usable_cores()
    (3, True)
    """
    if n_jobs is None or n_jobs == AUTO:
        return free_cores()
    if isinstance(n_jobs, str) or int(n_jobs) < 1:
        from earlysignal.model._estimator import ModelInputError

        raise ModelInputError(
            f"n_jobs must be a number of threads (1 or more) or 'auto', got "
            f"{n_jobs!r}. Fix: use 'auto' to take the free cores")
    return int(n_jobs)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS (NumPy's and SciPy's OpenBLAS) on one thread.

    Examples
    --------
    >>> import numpy as np
    >>> with one_blas_thread():
    ...     float(np.ones(3) @ np.ones(3))
    3.0
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
