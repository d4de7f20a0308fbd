"""Daily attendance marks (DfE register codes) summed into ``periods`` rows.

Schools in England record a code for each pupil at each morning and afternoon
session (School Attendance (Pupil Registration) (England) Regulations 2024 and
the guidance *Working together to improve school attendance*, in force from
19 August 2024). Each code falls in one category; the three ``periods`` measures
count sessions by category:

======================  =====================================  ===============
category                codes                                  counts towards
======================  =====================================  ===============
present                 ``/`` (AM) ``\\`` (PM) ``L`` (late      possible
                        before the register closed)
approved_activity       ``K`` (LA-arranged provision) ``V``    possible
                        (visit) ``P`` (sport) ``W`` (work
                        experience) ``B`` (other approved
                        activity); ``J`` (interview, before
                        2024)
authorised_absence      ``C`` ``C1`` ``C2`` ``E`` ``I`` ``M``  possible,
                        ``J1`` ``S`` ``T`` ``R``; ``H`` ``F``  authorised
                        (holidays, before 2013)                absence
unauthorised_absence    ``G`` ``N`` ``O`` ``U``                possible,
                                                               unauthorised
                                                               absence
not_counted             ``X`` ``Z`` ``#`` ``D`` (registered    nothing
                        at another school) ``Q`` ``Y1``-``Y7``
                        (unable to attend: exceptional
                        circumstances); ``Y`` (before 2024)
======================  =====================================  ===============

So ``sessions_possible`` counts every session except the not-counted ones, and
``authorised_absence`` and ``unauthorised_absence`` count their categories.
Local codes (a ``-`` for "no mark yet", say) are added with ``codes=``; a code
with no category is an error naming its rows unless ``unmapped_codes="set_aside"``.

Periods: ``term`` follows the school census (autumn 1 Aug-31 Dec, spring 1 Jan to
Easter Sunday, summer Easter Monday-31 Jul), ``month`` calendar months, ``week``
Monday-Sunday, ``day`` single days. A period row is made for every pupil and
period with at least one mark, for all three measures (zero counts included).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from dateutil.easter import easter

from earlysignal.data._validate import map_values
from earlysignal.errors import DataError

__all__ = ["DFE_MARKS", "MEASURES", "marks_to_periods"]

Period = Literal["term", "month", "week", "day"]

_CATEGORY_CODES = {
    "present": ["/", "\\", "L"],
    "approved_activity": ["K", "V", "P", "W", "B", "J"],
    "authorised_absence": ["C", "C1", "C2", "E", "I", "M", "J1", "S", "T", "R", "H",
                           "F"],
    "unauthorised_absence": ["G", "N", "O", "U"],
    "not_counted": ["X", "Z", "#", "D", "Q", "Y", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6",
                    "Y7"],
}
#: DfE register code -> category.
DFE_MARKS: dict[str, str] = {
    code: cat for cat, codes in _CATEGORY_CODES.items() for code in codes
}
#: The measures made from marks, in output order.
MEASURES = ("sessions_possible", "authorised_absence", "unauthorised_absence")


def classify_marks(marks: pd.Series, codes: Mapping[str, str] | None = None
                   ) -> pd.Series:
    """The category of each mark (missing for a code with no category).

    Marks are compared without surrounding spaces and in upper case.
    """
    table = {**DFE_MARKS, **{str(k).strip().upper(): v for k, v in (codes or {}).items()}}
    text = marks.astype("str").str.strip().str.upper()
    return map_values(text, table)


def unknown_marks_error(df: pd.DataFrame, unknown: pd.Series, *, label: str,
                        column: str, unit: str, line_col: str | None = None,
                        value_col: str = "mark") -> DataError:
    """An error listing each unknown mark with its count and first rows."""
    bad = df.loc[unknown.to_numpy(dtype=bool)]
    lines = bad[line_col] if line_col else pd.Series(bad.index + 1, index=bad.index)
    parts = []
    for code, idx in bad.groupby(bad[value_col].astype("str"), sort=True).groups.items():
        first = ", ".join(str(int(x)) for x in lines.loc[idx][:3])
        n = len(idx)
        parts.append(f"{code!r} ({n} {unit}{'s' if n != 1 else ''}: {first}"
                     f"{' ...' if n > 3 else ''})")
    return DataError(
        f"{len(parts)} mark(s) are not DfE attendance codes: {'; '.join(parts[:10])}",
        file=label,
        column=column,
        fix="give each a category under codes: (present, approved_activity, "
        "authorised_absence, unauthorised_absence or not_counted), e.g. "
        "codes: {'-': not_counted}, or set unmapped_codes: set_aside",
    )


def period_bounds(dates: pd.Series, period: Period) -> tuple[pd.Series, pd.Series]:
    """The first and last day of the period holding each date."""
    d = pd.to_datetime(dates).dt.normalize().astype("datetime64[us]")
    if period == "day":
        return d, d
    # a register holds few distinct days: work them out once each
    codes, uniq = pd.factorize(d, use_na_sentinel=True)
    start, end = _bounds(pd.Series(uniq).astype("datetime64[us]"), period)
    pad = np.datetime64("NaT", "us")
    starts = np.append(start.to_numpy(dtype="datetime64[us]"), pad)[codes]
    ends = np.append(end.to_numpy(dtype="datetime64[us]"), pad)[codes]
    return (pd.Series(starts, index=d.index), pd.Series(ends, index=d.index))


def _bounds(d: pd.Series, period: str) -> tuple[pd.Series, pd.Series]:
    if period == "week":
        start = d - pd.to_timedelta(d.dt.day_of_week, unit="D")
        return start, start + pd.Timedelta(days=6)
    if period == "month":
        start = d.dt.to_period("M").dt.start_time
        return start, start + pd.offsets.MonthEnd(0)
    if period != "term":
        raise DataError(f"unknown period {period!r}",
                        fix="use one of term, month, week, day")
    year = d.dt.year
    easters = {y: pd.Timestamp(easter(int(y))) for y in year.dropna().unique()}
    sunday = year.map(easters)
    jan1 = pd.to_datetime(year.astype("str") + "-01-01")
    spring = d <= sunday
    autumn = d.dt.month >= 8
    starts: np.ndarray = np.where(autumn, jan1 + pd.DateOffset(months=7),
                     np.where(spring, jan1, sunday + pd.Timedelta(days=1)))
    ends: np.ndarray = np.where(autumn, jan1 + pd.DateOffset(months=11, days=30),
                   np.where(spring, sunday, jan1 + pd.DateOffset(months=6, days=30)))
    return (pd.Series(starts, index=d.index).astype("datetime64[us]"),
            pd.Series(ends, index=d.index).astype("datetime64[us]"))


def aggregate_marks(df: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Sum classified marks (person_id, date, category) into long periods rows."""
    start, end = period_bounds(df["date"], period)
    cat = df["category"]
    counts = pd.DataFrame({
        "person_id": df["person_id"].to_numpy(),
        "period_start": start.to_numpy(),
        "period_end": end.to_numpy(),
        "sessions_possible": (cat != "not_counted").to_numpy(dtype="float64"),
        "authorised_absence": (cat == "authorised_absence").to_numpy(dtype="float64"),
        "unauthorised_absence": (cat == "unauthorised_absence").to_numpy(
            dtype="float64"),
    })
    key = ["person_id", "period_start", "period_end"]
    wide = counts.groupby(key, sort=True).sum().reset_index()
    long = wide.melt(id_vars=key, value_vars=list(MEASURES), var_name="measure",
                     value_name="value")
    order = pd.Categorical(long["measure"], categories=list(MEASURES), ordered=True)
    long = long.assign(_o=order).sort_values(key + ["_o"], kind="stable")
    return long.drop(columns="_o").reset_index(drop=True)


def marks_to_periods(
    marks_df: pd.DataFrame,
    *,
    period: Period = "term",
    codes: Mapping[str, str] | None = None,
    unmapped_codes: Literal["error", "set_aside"] = "error",
) -> pd.DataFrame:
    """Sum daily register marks into ``periods`` rows (see the module docs for codes).

    Parameters
    ----------
    marks_df : DataFrame
        Columns ``person_id``, ``date`` (datetimes or ISO text) and ``mark``, one
        row per pupil session; other columns are ignored.
    period : {"term", "month", "week", "day"}
        The span each output row covers.
    codes : mapping of str to category, optional
        Extra or overriding codes, e.g. ``{"-": "not_counted"}``.
    unmapped_codes : {"error", "set_aside"}
        An unknown mark raises (naming the code and its rows, 1 = first row), or
        its row is left out.

    Returns
    -------
    DataFrame
        ``person_id, period_start, period_end, measure, value`` with measures
        sessions_possible, authorised_absence, unauthorised_absence.

    Examples
    --------
    >>> marks = pd.DataFrame({"person_id": ["a"] * 4,
    ...     "date": ["2024-01-08", "2024-01-08", "2024-01-09", "2024-01-09"],
    ...     "mark": ["/", "I", "O", "X"]})
    >>> out = marks_to_periods(marks, period="month")
    >>> out[["measure", "value"]].to_dict("list")
    {'measure': ['sessions_possible', 'authorised_absence', 'unauthorised_absence'], 'value': [3.0, 1.0, 1.0]}
    >>> str(out["period_end"][0].date())
    '2024-01-31'
    """
    missing = [c for c in ("person_id", "date", "mark") if c not in marks_df.columns]
    if missing:
        raise DataError(
            f"marks need the columns person_id, date and mark; missing {missing}",
            file="marks",
            fix="rename the columns (or use a mapping's attendance_marks: columns:)",
        )
    df = marks_df[["person_id", "date", "mark"]].reset_index(drop=True)
    df = df.assign(category=classify_marks(df["mark"], codes),
                   date=pd.to_datetime(df["date"]))
    unknown = df["category"].isna()
    if unknown.any():
        if unmapped_codes == "error":
            raise unknown_marks_error(df, unknown, label="marks", column="mark",
                                      unit="row")
        df = df.loc[~unknown]
    return aggregate_marks(df, period)
