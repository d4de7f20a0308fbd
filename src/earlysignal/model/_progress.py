"""Progress through an evaluation's folds, told to a caller's callback.

The callback is called with ``(step, done, total)``: the step in words ("fold 2/5:
logistic"), and the work done and in all. Work is counted in training rows fitted
(each fold's, then the final model's): later folds of an expanding window train on
more dates and take longer, so rows give a fairer estimate of the time left than a
count of folds. How the progress is shown is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from earlysignal.model._folds import Fold

#: A progress callback: step in words, work done, work in all.
ProgressCallback = Callable[[str, int, int], None]


class FoldSteps:
    """Tells ``progress`` which fold and which model is being fitted.

    Parameters
    ----------
    progress : callable or None
        Called with ``(step, done, total)``; None makes every call a no-op.
    folds : list of Fold
    as_of : Series
        The as-of date of each labelled row, to size each fold's training set.
    final : bool
        Whether a final model is trained on every row after the folds.

    Examples
    --------
    >>> from earlysignal.model._folds import temporal_folds
    >>> as_of = pd.Series(pd.to_datetime(["2020-09-01"] * 2 + ["2021-09-01"] * 3
    ...                                  + ["2022-09-01"] * 5))
    >>> folds = temporal_folds(as_of, horizon="12m")
    >>> seen = []
    >>> steps = FoldSteps(lambda *a: seen.append(a), folds, as_of, final=True)
    >>> for f in folds:
    ...     steps.fit(f, "model")
    ...     steps.fold_done(f)
    >>> steps.final()
    >>> seen  # doctest: +NORMALIZE_WHITESPACE
    [('fold 1/2 (test 2021-09-01): model', 0, 17),
     ('fold 1/2 (test 2021-09-01) done', 2, 17),
     ('fold 2/2 (test 2022-09-01): model', 2, 17),
     ('fold 2/2 (test 2022-09-01) done', 7, 17),
     ('final model on all 10 rows', 7, 17)]
    """

    def __init__(self, progress: ProgressCallback | None, folds: Sequence[Fold],
                 as_of: pd.Series, final: bool) -> None:
        self._progress = progress
        self._rows = len(as_of)
        sizes = {}
        for fold in folds:
            train, test = fold.split(as_of)
            if len(test):  # a fold with no test rows is skipped, not fitted
                sizes[fold.index] = len(train)
        self._position = {k: i + 1 for i, k in enumerate(sizes)}
        self._before = dict(zip(sizes, _running_sums(list(sizes.values())),
                                strict=True))
        self._sizes = sizes
        self._total = sum(sizes.values()) + (self._rows if final else 0)

    def fit(self, fold: Fold, name: str) -> None:
        """Model ``name`` is about to be fitted in ``fold``."""
        self._say(f"{self._fold(fold)}: {name}", self._before[fold.index])

    def fold_done(self, fold: Fold) -> None:
        """Every model of ``fold`` is fitted and has scored its test rows."""
        self._say(f"{self._fold(fold)} done",
                  self._before[fold.index] + self._sizes[fold.index])

    def final(self) -> None:
        """The final model is about to be trained on every labelled row."""
        self._say(f"final model on all {self._rows:,} rows",
                  sum(self._sizes.values()))

    def _fold(self, fold: Fold) -> str:
        # the test dates too: the warnings name folds by index from 0, and by date
        when = fold.test_start.date().isoformat()
        if fold.test_end != fold.test_start:
            when += f" to {fold.test_end.date().isoformat()}"
        return f"fold {self._position[fold.index]}/{len(self._sizes)} (test {when})"

    def _say(self, step: str, done: int) -> None:
        if self._progress is not None:
            self._progress(step, done, self._total)


def _running_sums(values: list[int]) -> list[int]:
    """The sum of the values before each one."""
    out, acc = [], 0
    for v in values:
        out.append(acc)
        acc += v
    return out
