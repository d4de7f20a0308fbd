"""Test windows: the as-of dates that are tested, and given capacity, together.

A scheduled cohort scores everyone on a few dates (each quarter, say), and each
date is a decision round of its own: a team works with its top 5% that day. A
decision-point cohort scores each person once, on the day something happened to
them (a referral), so almost every day is a distinct as-of date holding a handful
of people. Tested one day at a time, such a cohort gives hundreds of folds of one
to twenty rows and a "capacity" that selects the only person screened that day.
A team's caseload is per month or quarter, not per day: the dates are grouped into
calendar windows (month, quarter, half year, year), each window is one fold and one
capacity round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from earlysignal.errors import EarlysignalError
from earlysignal.model._metrics import Capacity

if TYPE_CHECKING:
    from earlysignal.model._folds import Fold

__all__ = [
    "AUTO",
    "EACH_DATE",
    "SHIFT_FACTOR",
    "TEST_EVERY",
    "base_rate_shift",
    "choose_test_every",
    "evaluation_warnings",
    "merge_small_windows",
    "parse_test_every",
    "renumber_folds",
    "resolve_test_every",
    "rows_needed",
    "window_bounds",
]

EACH_DATE = "each date"
AUTO = "auto"
#: Window lengths, shortest first (the order in which ``auto`` tries them).
LADDER = ("1 month", "1 quarter", "6 months", "1 year")
TEST_EVERY = (*LADDER, EACH_DATE)
#: What ``auto`` wants in a typical (median) window.
MIN_WINDOW_ROWS = 200
MIN_WINDOW_POSITIVES = 10
#: Training and test base rates further apart than this (either way) are reported.
SHIFT_FACTOR = 1.5
_MONTHS = {"1 month": 1, "1 quarter": 3, "6 months": 6, "1 year": 12}


def parse_test_every(value: str | None) -> str:
    """``value`` checked against the window lengths (None means ``auto``).

    Examples
    --------
    >>> parse_test_every(" 1 Quarter"), parse_test_every(None)
    ('1 quarter', 'auto')
    >>> parse_test_every("weekly")
    Traceback (most recent call last):
    ...
    earlysignal.errors.EarlysignalError: test_every 'weekly' is not a window length. Fix: give one of 1 month, 1 quarter, 6 months, 1 year, each date or auto (model.test_every in the pipeline YAML)
    """
    if value is None:
        return AUTO
    text = " ".join(str(value).lower().split())
    if text in (*TEST_EVERY, AUTO):
        return text
    raise EarlysignalError(
        f"test_every {value!r} is not a window length. Fix: give one of "
        f"{', '.join(TEST_EVERY)} or {AUTO} (model.test_every in the pipeline YAML)")


def _start(d: pd.Timestamp, months: int) -> pd.Timestamp:
    return pd.Timestamp(year=d.year, month=(d.month - 1) // months * months + 1, day=1)


def _label(start: pd.Timestamp, every: str) -> str:
    if every == "1 month":
        return f"{start:%Y-%m}"
    if every == "1 quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if every == "6 months":
        return f"{start.year}-H{(start.month - 1) // 6 + 1}"
    return f"{start.year}"


def window_bounds(dates: Any, every: str) -> pd.DataFrame:
    """The calendar window of each distinct date: date, window, start, end.

    Months, quarters, half years (January and July) and years are calendar ones;
    ``each date`` makes every date a window labelled by its ISO date.

    Examples
    --------
    >>> window_bounds(["2022-09-14", "2022-11-02", "2023-01-05"], "1 quarter")[
    ...     ["window", "start", "end"]].astype(str).values.tolist()
    [['2022-Q3', '2022-07-01', '2022-09-30'], ['2022-Q4', '2022-10-01', '2022-12-31'], ['2023-Q1', '2023-01-01', '2023-03-31']]
    >>> window_bounds(["2022-09-01"], "each date")["window"].tolist()
    ['2022-09-01']
    """
    every = parse_test_every(every)
    uniq = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates))).normalize().unique()
    uniq = uniq.dropna().sort_values()
    if every == EACH_DATE:
        return pd.DataFrame({"date": uniq, "window": [f"{d.date()}" for d in uniq],
                             "start": uniq, "end": uniq})
    if every == AUTO:
        raise EarlysignalError("window_bounds needs a window length, not 'auto'. "
                               "Fix: call choose_test_every() first")
    months = _MONTHS[every]
    starts = pd.DatetimeIndex([_start(d, months) for d in uniq])
    ends = pd.DatetimeIndex([s + pd.DateOffset(months=months) - pd.Timedelta(days=1)
                             for s in starts])
    return pd.DataFrame({"date": uniq, "window": [_label(s, every) for s in starts],
                         "start": starts, "end": ends})


def choose_test_every(as_of: Any, y: Any, *, min_rows: int = MIN_WINDOW_ROWS,
                      min_positives: int = MIN_WINDOW_POSITIVES) -> tuple[str, str]:
    """The window length ``auto`` picks from the cohort's shape, and why in words.

    A schedule (no calendar month holds two distinct as-of dates) keeps one window
    per date: each date already is a decision round. Otherwise (decision points:
    a person scored on the day of their referral, say) the dates are grouped into
    the shortest of month, quarter, half year and year whose median window holds
    at least ``min_rows`` labelled rows and ``min_positives`` escalations; a year
    when none does.

    Examples
    --------
    >>> quarterly = pd.to_datetime(["2022-03-01", "2022-06-01"] * 50)
    >>> choose_test_every(quarterly, [0, 1] * 50)[0]
    'each date'
    >>> daily = pd.Series(pd.date_range("2022-01-01", periods=730, freq="D").repeat(3))
    >>> choose_test_every(daily, np.arange(2190) % 10 == 0)[0]
    '1 quarter'
    """
    dates = pd.DatetimeIndex(pd.to_datetime(pd.Series(as_of))).normalize()
    y = np.asarray(y, dtype=float)
    uniq = dates.unique()
    if uniq.to_period("M").nunique() == len(uniq):
        return EACH_DATE, (f"{len(uniq)} as-of dates, at most one in any month (a "
                           "schedule): each date is a window")
    n_months = uniq.to_period("M").nunique()
    for every in LADDER:
        bounds = window_bounds(uniq, every).set_index("date")["window"]
        per = pd.DataFrame({"w": bounds.reindex(dates).to_numpy(), "y": y}).groupby(
            "w")["y"].agg(["size", "sum"])
        rows, pos = float(per["size"].median()), float(per["sum"].median())
        if (rows >= min_rows and pos >= min_positives) or every == LADDER[-1]:
            enough = rows >= min_rows and pos >= min_positives
            return every, (
                f"{len(uniq)} distinct as-of dates in {n_months} months (decision "
                f"points): windows of {every}, whose median holds {rows:g} rows and "
                f"{pos:g} escalations"
                + ("" if enough else f", fewer than the {min_rows} rows and "
                   f"{min_positives} escalations wanted: a longer extract would "
                   "give firmer per-window results"))
    raise AssertionError("unreachable: the ladder ends with a year")


def resolve_test_every(test_every: str | None, as_of: Any, y: Any
                       ) -> tuple[str, str]:
    """The window length to use, and why: as given, or chosen for ``auto``.

    Examples
    --------
    >>> resolve_test_every("1 year", ["2022-01-01"], [1])
    ('1 year', 'windows of 1 year, as set')
    """
    every = parse_test_every(test_every)
    if every == AUTO:
        return choose_test_every(as_of, y)
    return every, f"windows of {every}, as set"


def renumber_folds(folds: Sequence[Fold], pieces: Sequence[pd.DataFrame],
                   notes: Sequence[str]) -> tuple[list[Fold], pd.DataFrame]:
    """The folds that were scored (``pieces``, one frame per fold with a ``fold``
    column), numbered 0, 1, ... with their scores; an error when none was.

    Examples
    --------
    >>> from earlysignal.model._folds import temporal_folds
    >>> folds = temporal_folds(pd.Series(pd.to_datetime(
    ...     ["2020-01-01", "2021-01-01", "2022-01-01"])), horizon="12m")
    >>> kept, scores = renumber_folds(folds, [pd.DataFrame({"fold": [1]})], [])
    >>> [f.window for f in kept], scores["fold"].tolist()
    (['2022-01-01'], [0])
    """
    if not pieces:
        why = "; ".join(notes) or "no test window held any row"
        raise EarlysignalError(
            f"no test window could be evaluated: {why}. Fix: use longer windows "
            "(model.test_every: 1 year), an earlier first as-of date "
            "(cohort.as_of), an earlier model.test_from or a shorter label.horizon")
    scored = [int(p["fold"].iloc[0]) for p in pieces]
    new = {old: i for i, old in enumerate(scored)}
    by_index = {f.index: f for f in folds}
    kept = [replace(by_index[old], index=i) for old, i in new.items()]
    scores = pd.concat(pieces, ignore_index=True)
    return kept, scores.assign(fold=scores["fold"].map(new))


def rows_needed(capacity: str | int | Capacity) -> int:
    """Fewest rows in which a capacity is a choice: more rows than a count, and
    enough that a share selects one whole person.

    Examples
    --------
    >>> rows_needed("5%"), rows_needed(50)
    (20, 51)
    """
    cap = Capacity.parse(capacity)
    if cap.count is not None:
        return cap.count + 1
    assert cap.fraction is not None
    return max(1, math.ceil(1 / cap.fraction - 1e-9))


def _problem(y: np.ndarray, cap: Capacity) -> str | None:
    n, pos = len(y), int(y.sum())
    if pos == 0:
        return f"{n} rows and no escalation"
    if pos == n:
        return f"{n} rows, all escalations"
    if n < rows_needed(cap):
        return (f"{n} rows, fewer than the {rows_needed(cap)} in which a capacity of "
                f"{cap.label} selects anyone by choice")
    return None


def _join(first: str, last: str) -> str:
    a, b = first.split(" to ")[0], last.split(" to ")[-1]
    return a if a == b else f"{a} to {b}"


def merge_small_windows(folds: Sequence[Fold], as_of: Any, y: Any,
                        capacity: str | int | Capacity) -> tuple[list[Fold], list[str]]:
    """Folds whose test window is too small to evaluate, merged with the next one.

    A window is too small with no escalation (or nothing else), or with fewer rows
    than capacity needs (:func:`rows_needed`). It joins the next window (the merged
    fold keeps the first one's training rows, so no label of the later window
    reaches them); a small last window is left out. Returns the folds, numbered
    afresh, and a sentence for each merge and omission.

    Examples
    --------
    >>> from earlysignal.model._folds import temporal_folds
    >>> as_of = pd.Series(pd.to_datetime(["2020-01-15"] * 40 + ["2021-02-10"] * 30
    ...                                  + ["2021-03-05"] * 30 + ["2021-04-20"] * 5))
    >>> y = np.r_[np.arange(40) % 4 == 0, np.zeros(30), np.arange(30) % 5 == 0,
    ...           np.ones(5)]
    >>> folds = temporal_folds(as_of, horizon="12m", test_every="1 month")
    >>> kept, notes = merge_small_windows(folds, as_of, y, "5%")
    >>> [f.window for f in kept]
    ['2021-02 to 2021-03']
    >>> notes[1]
    'window 2021-04 was not evaluated: 5 rows, all escalations (the last window)'
    """
    cap = Capacity.parse(capacity)
    dates = pd.Series(pd.DatetimeIndex(pd.to_datetime(pd.Series(as_of))).normalize())
    y = np.asarray(y, dtype=float)
    out: list[Fold] = []
    notes: list[str] = []
    pending: Fold | None = None
    problem: str | None = None
    for fold in folds:
        if pending is not None:
            notes.append(f"window {pending.window} ({problem}) was merged with "
                         f"{fold.window}")
            fold = replace(pending, test_end=fold.test_end,
                           window=_join(pending.window, fold.window))
        _, test = fold.split(dates)
        problem = _problem(y[test], cap)
        pending = fold if problem is not None else None
        if problem is None:
            out.append(replace(fold, index=len(out)))
    if pending is not None:
        notes.append(f"window {pending.window} was not evaluated: {problem} (the "
                     "last window)")
    return out, notes


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def base_rate_shift(rows: Sequence[dict[str, Any]], factor: float = SHIFT_FACTOR
                    ) -> dict[str, Any]:
    """Training against test escalation rates, per fold and pooled, in words.

    ``rows`` hold, per fold, ``window``, ``n_train``, ``positives_train`` (labels
    as the fold's training saw them), ``n_test`` and ``positives_test``. A fold is
    flagged when its test rate is more than ``factor`` times its training rate or
    less than its training rate divided by ``factor``.

    Examples
    --------
    >>> s = base_rate_shift([
    ...     {"window": "2022-Q1", "n_train": 1000, "positives_train": 20,
    ...      "n_test": 200, "positives_test": 4},
    ...     {"window": "2022-Q2", "n_train": 1200, "positives_train": 24,
    ...      "n_test": 200, "positives_test": 12}])
    >>> s["flagged"], s["windows_flagged"]
    (True, ['2022-Q2'])
    >>> print(s["text"])
    In 1 of 2 test windows the escalation rate differs from that of the rows the fold trained on by more than 1.5 times either way: 2022-Q2 6.0% against 2.0% (3.0 times). Over all test windows 4.0% of test rows escalated against 2.0% of training rows (2.0 times).
    """
    per = []
    for r in rows:
        train = r["positives_train"] / r["n_train"] if r["n_train"] else math.nan
        test = r["positives_test"] / r["n_test"] if r["n_test"] else math.nan
        ratio = test / train if train > 0 else math.inf if test > 0 else math.nan
        per.append({**r, "train_base_rate": train, "test_base_rate": test,
                    "ratio": ratio, "flagged": bool(ratio > factor
                                                    or ratio < 1 / factor)})
    n_tr = sum(r["n_train"] for r in rows)
    n_te = sum(r["n_test"] for r in rows)
    train = sum(r["positives_train"] for r in rows) / n_tr if n_tr else math.nan
    test = sum(r["positives_test"] for r in rows) / n_te if n_te else math.nan
    ratio = test / train if train > 0 else math.nan
    flagged = [p for p in per if p["flagged"]]
    pooled_out = bool(ratio > factor or ratio < 1 / factor)
    if flagged:
        shown = "; ".join(f"{p['window']} {_pct(p['test_base_rate'])} against "
                          f"{_pct(p['train_base_rate'])} ({p['ratio']:.1f} times)"
                          for p in flagged[:5])
        more = f"; and {len(flagged) - 5} more" if len(flagged) > 5 else ""
        lead = (f"In {len(flagged)} of {len(per)} test windows the escalation rate "
                "differs from that of the rows the fold trained on by more than "
                f"{factor:g} times either way: {shown}{more}.")
    else:
        lead = (f"In every one of the {len(per)} test windows the escalation rate "
                f"is within {factor:g} times that of the rows the fold trained on.")
    pooled = (f" Over all test windows {_pct(test)} of test rows escalated against "
              f"{_pct(train)} of training rows ({ratio:.1f} times)."
              if not math.isnan(ratio) else "")
    return {"factor": factor, "train_base_rate": train, "test_base_rate": test,
            "ratio": ratio, "flagged": bool(flagged) or pooled_out,
            "windows_flagged": [p["window"] for p in flagged],
            "per_window": [{k: p[k] for k in ("window", "train_base_rate",
                                              "test_base_rate", "ratio", "flagged")}
                           for p in per],
            "text": lead + pooled}


def evaluation_warnings(summary: dict[str, Any]) -> list[str]:
    """The sentences of an evaluation summary (``metrics.json``) a run log shows.

    Examples
    --------
    >>> evaluation_warnings({"settings": {"window_notes": ["window 2021-04 ..."]},
    ...                      "shift": {"flagged": False, "text": "within"}})
    ['window 2021-04 ...']
    """
    notes = list((summary.get("settings") or {}).get("window_notes") or [])
    shift = summary.get("shift") or {}
    if shift.get("flagged"):
        notes.append(str(shift["text"]))
    return notes
