"""Temporal folds: train only on labels that were fully observed before the test.

A row at as-of date ``t`` carries a label about ``(t, t + horizon]``. A model tested
from ``test_start`` may only learn from rows whose whole label window has closed by
then, ``t + horizon <= test_start``; anything later would let outcomes from the test
period leak into training.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.errors import EarlysignalError, LeakageError
from earlysignal.features._windows import Window
from earlysignal.model._test_windows import window_bounds

__all__ = ["Fold", "folds_svg", "temporal_folds", "validate_folds"]

DateLike = str | pd.Timestamp | np.datetime64


def _as_dates(values: Any) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(values)).normalize()


def _horizon(horizon: str | int | Window) -> Window:
    h = Window.parse(horizon)
    if h.is_all:
        raise EarlysignalError(
            "horizon 'all' has no end, so no training label is ever fully observed. "
            "Fix: give a finite horizon such as 12m"
        )
    return h


def _label_ends(dates: pd.DatetimeIndex, horizon: Window) -> pd.DatetimeIndex:
    """Where each as-of date's label window closes (calendar-aware)."""
    return pd.DatetimeIndex([horizon.shift(d, +1) for d in dates])


def _train_mask(
    dates: pd.DatetimeIndex, test_start: pd.Timestamp, horizon: Window
) -> np.ndarray:
    """As-of dates whose label window has closed by ``test_start``."""
    return np.asarray(_label_ends(dates, horizon) <= test_start)


@dataclass(frozen=True)
class Fold:
    """One temporal split.

    Training rows are those with an as-of date in ``train_dates`` (all between
    ``train_start`` and ``train_end``); their labels close by ``train_label_end``,
    which is never after ``test_start``. Test rows are those with an as-of date in
    ``[test_start, test_end]``, the test window named ``window`` ("2022-Q3", or the
    ISO date when the window is one date).
    """

    index: int
    test_start: pd.Timestamp
    test_end: pd.Timestamp
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    train_label_end: pd.Timestamp
    horizon: str
    train_dates: tuple[pd.Timestamp, ...] = field(repr=False)
    window: str = ""

    def split(
        self, frame: pd.DataFrame | pd.Series, *, as_of_col: str = "as_of"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positional indices of the training and test rows of ``frame``.

        Examples
        --------
        >>> as_of = pd.Series(pd.to_datetime(["2021-09-01", "2022-09-01", "2022-09-01"]))
        >>> fold = temporal_folds(as_of, horizon="12m")[0]
        >>> fold.split(as_of)
        (array([0]), array([1, 2]))
        """
        if isinstance(frame, pd.DataFrame):
            if as_of_col not in frame.columns:
                raise EarlysignalError(
                    f"the feature matrix has no column '{as_of_col}'. Fix: pass the "
                    "matrix with its as_of column, or name it with as_of_col="
                )
            values = frame[as_of_col]
        else:
            values = frame
        dates = _as_dates(values)
        train = np.isin(dates.values, pd.DatetimeIndex(self.train_dates).values)
        test = (dates >= self.test_start) & (dates <= self.test_end)
        return np.flatnonzero(train), np.flatnonzero(np.asarray(test))

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-able description (dates as ISO text)."""
        return {
            "index": self.index,
            "test_start": self.test_start.date().isoformat(),
            "test_end": self.test_end.date().isoformat(),
            "train_start": self.train_start.date().isoformat(),
            "train_end": self.train_end.date().isoformat(),
            "train_label_end": self.train_label_end.date().isoformat(),
            "horizon": self.horizon,
            "n_train_dates": len(self.train_dates),
            "window": self.window or _period_label(self.test_start, self.test_end),
        }


def _period_label(start: pd.Timestamp, end: pd.Timestamp) -> str:
    if start == end:
        return start.date().isoformat()
    return f"{start.date().isoformat()} to {end.date().isoformat()}"


def _windows(dates: pd.DatetimeIndex, test_every: str
             ) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    bounds = window_bounds(dates, test_every).drop_duplicates("window")
    return list(zip(bounds["start"], bounds["end"], bounds["window"], strict=True))


def _test_periods(
    dates: pd.DatetimeIndex, test_dates: Any
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    if test_dates is None:
        return [(d, d) for d in dates]
    periods = []
    for item in test_dates:
        if isinstance(item, tuple | list) and len(item) == 2:
            start, end = _as_dates(list(item))
        else:
            start = end = _as_dates([item])[0]
        if end < start:
            raise EarlysignalError(
                f"test period {start.date()} .. {end.date()} ends before it starts. "
                "Fix: give (start, end) with start <= end"
            )
        periods.append((start, end))
    return periods


def _span_limit(
    candidates: pd.DatetimeIndex, max_train_span: str | int | None
) -> pd.DatetimeIndex:
    if max_train_span is None or len(candidates) == 0:
        return candidates
    if isinstance(max_train_span, int | np.integer):
        if max_train_span < 1:
            raise EarlysignalError(
                f"max_train_span={max_train_span} keeps no training date. "
                "Fix: give a positive number of as-of dates, or a span such as 2y"
            )
        return candidates[-int(max_train_span):]
    span = _horizon(max_train_span)
    earliest = span.shift(candidates[-1], -1)
    return candidates[candidates >= earliest]


def temporal_folds(
    as_of: pd.Series | Sequence[DateLike] | pd.DatetimeIndex,
    *,
    horizon: str | int | Window = "12m",
    test_dates: Sequence[DateLike | tuple[DateLike, DateLike]] | None = None,
    min_train_dates: int = 1,
    max_train_span: str | int | None = None,
    test_every: str | None = None,
) -> list[Fold]:
    """Rolling-origin folds in which no training label overlaps the test period.

    Parameters
    ----------
    as_of : Series or sequence of dates
        The as-of date of every row (repeats allowed).
    horizon : str
        Label horizon, e.g. ``"12m"``. A row at ``t`` may train a fold that starts
        testing at ``s`` only if ``t + horizon <= s``.
    test_dates : sequence, optional
        Test dates, or ``(start, end)`` pairs for a test period (per-person decision
        points). Default: every distinct as-of date with at least ``min_train_dates``
        earlier dates whose horizon closes on or before it.
    min_train_dates : int
        Fewest distinct training as-of dates a fold needs; test dates with fewer are
        skipped.
    max_train_span : str or int, optional
        Keep only the most recent training dates: a span (``"2y"``, measured back from
        the last eligible training date) or a count of as-of dates.
    test_every : str, optional
        Group the test dates into calendar windows, one fold each: ``1 month``,
        ``1 quarter``, ``6 months``, ``1 year`` or ``each date`` (the default).
        A window trains on rows whose labels close by its first day; windows with
        too few training dates are skipped as dates are. Ignored when
        ``test_dates`` are given.

    Returns
    -------
    list of Fold

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(
    ...     ["2020-09-01", "2021-03-01", "2021-09-01", "2022-03-01"]))
    >>> for f in temporal_folds(dates, horizon="12m"):
    ...     print(f.test_start.date(), [str(d.date()) for d in f.train_dates])
    2021-09-01 ['2020-09-01']
    2022-03-01 ['2020-09-01', '2021-03-01']
    >>> [(f.window, str(f.test_start.date()), str(f.test_end.date()), len(f.train_dates))
    ...  for f in temporal_folds(dates, horizon="12m", test_every="1 year")]
    [('2022', '2022-01-01', '2022-12-31', 1)]
    """
    h = _horizon(horizon)
    dates = _as_dates(pd.Series(as_of).dropna()).unique().sort_values()
    if min_train_dates < 1:
        raise EarlysignalError(
            f"min_train_dates={min_train_dates}: a fold needs at least one training "
            "date. Fix: use min_train_dates >= 1"
        )
    if test_dates is None and test_every is not None:
        periods = _windows(dates, test_every)
    else:
        periods = [(s, e, _period_label(s, e))
                   for s, e in _test_periods(dates, test_dates)]
    folds: list[Fold] = []
    for start, end, window in periods:
        eligible = dates[_train_mask(dates, start, h)]
        eligible = _span_limit(eligible, max_train_span)
        if len(eligible) < min_train_dates:
            if test_dates is not None:
                raise EarlysignalError(
                    f"test date {start.date()} has {len(eligible)} training as-of "
                    f"date(s) whose {h.label} horizon closes by then; "
                    f"{min_train_dates} needed. Fix: choose a later test date or a "
                    "shorter horizon"
                )
            continue
        folds.append(Fold(
            index=len(folds),
            test_start=start,
            test_end=end,
            train_start=eligible[0],
            train_end=eligible[-1],
            train_label_end=h.shift(eligible[-1], +1),
            horizon=h.label,
            train_dates=tuple(eligible),
            window=window,
        ))
    return folds


def validate_folds(
    folds: Sequence[Fold],
    as_of: pd.Series | Sequence[DateLike],
    *,
    horizon: str | int | Window,
) -> None:
    """Raise :class:`LeakageError` if any training label reaches its fold's test start.

    Checks the rows themselves, not the fold's own description of them, so a fold
    built by any rule can be audited.

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(["2021-09-01", "2022-03-01"]))
    >>> bad = Fold(0, dates[1], dates[1], dates[0], dates[0], dates[1], "12m",
    ...            (dates[0],))
    >>> validate_folds([bad], dates, horizon="12m")
    Traceback (most recent call last):
    ...
    earlysignal.errors.LeakageError: fold 0 trains on as-of 2021-09-01 whose 12m label window closes 2022-09-01, after the test start 2022-03-01. Fix: build folds with temporal_folds(), which keeps t + horizon <= test start
    """
    h = _horizon(horizon)
    series = pd.Series(_as_dates(pd.Series(as_of)))
    for fold in folds:
        train_idx, test_idx = fold.split(series)
        if len(np.intersect1d(train_idx, test_idx)):
            raise LeakageError(f"fold {fold.index} uses the same rows to train and test")
        train_dates = _as_dates(series.iloc[train_idx]).unique().sort_values()
        ends = _label_ends(train_dates, h)
        late = np.flatnonzero(np.asarray(ends > fold.test_start))
        if len(late):
            t, end = train_dates[late[0]], ends[late[0]]
            raise LeakageError(
                f"fold {fold.index} trains on as-of {t.date()} whose {h.label} label "
                f"window closes {end.date()}, after the test start "
                f"{fold.test_start.date()}. Fix: build folds with temporal_folds(), "
                "which keeps t + horizon <= test start"
            )


def folds_svg(folds: Sequence[Fold]) -> str:
    """Gantt-like SVG of the folds: training dates, label horizon, test period.

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(["2020-09-01", "2021-09-01"]))
    >>> folds_svg(temporal_folds(dates, horizon="12m")).startswith("<?xml")
    True
    """
    from earlysignal.model._plots import folds_svg_from

    if not folds:
        raise EarlysignalError("there are no folds to draw. Fix: check the as-of dates")
    rows = [{
        "index": f.index, "train_start": f.train_start, "train_end": f.train_end,
        "train_label_end": f.train_label_end, "test_start": f.test_start,
        "test_end": f.test_end,
    } for f in folds]
    return folds_svg_from(rows, folds[0].horizon)
