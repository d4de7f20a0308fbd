"""Row-level validation of canonical tables, with every set-aside row accounted for.

Two kinds of problem are told apart:

* a mistake that spoils a whole column or file (dates that cannot be read, text
  in a number column, a required column missing) raises a
  :class:`~earlysignal.errors.DataError` naming the file, the column, the first
  offending lines and the fix;
* a row that cannot be used while the rest of the file can is *set aside* and
  counted in the :class:`~earlysignal.data.LoadReport` under its reason.

Rules, in the order they are applied (a row is counted under the first reason
that applies):

=====================================  ==========================================
rule                                   reason in the report
=====================================  ==========================================
every cell empty                       ``blank line``
every cell equal to an earlier row of  ``duplicate``
the same source (all its columns, so
rows differing in an unmapped id stay)
a code with no mapping (if chosen)     ``unmapped code in {column}``
a required value empty                 ``missing {column}``
a negative count or value              ``negative value``
date before ``earliest_date``          ``date before 1990-01-01``
own date or recorded_at after extract  ``date after extract date``
date of birth after extract (or today) ``date of birth in the future``
end_date / period_end / valid_to
before the start                       ``end before start``
a second row for a person_id           ``duplicate person_id with different
                                       details`` (people; the first row is kept)
person_id not in people                ``unknown person``
a characteristic repeated for one      ``duplicate person_id, attribute and
person, attribute and valid_from       valid_from``; when the values differ every
                                       row of the clash is set aside
authorised + unauthorised absence
above sessions possible in a period    ``absence more than sessions possible``
                                       (every measure of that period is set aside)
=====================================  ==========================================

An empty ``value`` in events means the default, 1. Times of day are dropped:
dates are days. End dates after the extract date are kept (a planned end).
Negative counts and absence above sessions possible are set aside rather than
raised: they are usually a few mistyped rows in an otherwise usable return. The
same row arriving from two sources is kept twice (agencies record separately).
Daily marks are checked mark by mark (see ``marks_to_periods``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from earlysignal.data._load_report import LoadReport, SourceReport
from earlysignal.data._schema import TABLE_NAMES, TABLES
from earlysignal.data._tables import CanonicalTables
from earlysignal.errors import DataError

__all__ = ["validate_folder", "validate_tables"]

LINE = "__es_line"
SRC = "__es_src"
DERIVED = "__es_derived"
UCOL = "__es_user_column"
INTERNAL = [LINE, SRC, DERIVED, UCOL]

ISO = "ISO8601"
_DAYFIRST = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d-%m-%y",
             "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]
_MONTHFIRST = ["%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%m/%d/%Y %H:%M",
               "%m/%d/%Y %H:%M:%S", "%b %d %Y", "%b %d, %Y", "%B %d, %Y"]
_WORDS = ["%d %b %Y", "%d-%b-%Y", "%d %B %Y", "%d-%b-%y", "%Y/%m/%d"]
_ABSENCE = ("authorised_absence", "unauthorised_absence")


@dataclass(frozen=True)
class Rules:
    """Whole-load rules: the extract date and the earliest plausible date."""

    extract_date: pd.Timestamp | None = None
    earliest_date: pd.Timestamp = pd.Timestamp("1990-01-01")

    @classmethod
    def make(cls, extract_date: object = None,
             earliest_date: object = "1990-01-01") -> Rules:
        ext = pd.Timestamp(extract_date) if extract_date is not None else None  # type: ignore[arg-type]
        return cls(ext, pd.Timestamp(earliest_date))  # type: ignore[arg-type]


@dataclass
class SourceInfo:
    """How to read and name one source in messages."""

    table: str
    label: str
    unit_word: str = "row"  # "line" for text files
    where: str = "this source"
    user_columns: dict[str, str] = field(default_factory=dict)
    dayfirst: bool = True
    date_formats: dict[str, str | None] = field(default_factory=dict)
    settable: bool = True  # whether the user can set date_format: for it

    def column(self, canonical: str) -> str:
        return self.user_columns.get(canonical, canonical)


# ---------------------------------------------------------------- fast helpers


def map_values(s: pd.Series,
               fn: Callable[[pd.Series], pd.Series] | Mapping | pd.Series
               ) -> pd.Series:
    """Apply ``fn`` (or a dict lookup) to each distinct value once and spread the
    result back: codes, dates and ids repeat a lot, and pandas' own ``map`` on
    text columns is many times slower than factorising."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    u = pd.Series(uniq)
    mapped = u.map(fn) if isinstance(fn, Mapping | pd.Series) else fn(u)
    mapped = mapped.reset_index(drop=True)
    # position -1 (a missing input) picks the appended missing value
    padded = mapped.reindex(pd.RangeIndex(len(mapped) + 1))
    out = padded.iloc[codes]
    out.index = s.index
    return out


def isin(s: pd.Series, values: pd.Series | list) -> np.ndarray:
    """``s.isin(values)`` as a bool array, through Arrow for text (much faster)."""
    vals = pd.Series(values)
    if isinstance(s.dtype, pd.StringDtype) and isinstance(vals.dtype, pd.StringDtype):
        try:
            import pyarrow as pa
            import pyarrow.compute as pc

            hit = pc.is_in(pa.array(s.array), value_set=pa.array(vals.array))
            return np.asarray(hit.fill_null(False), dtype=bool)
        except (ImportError, TypeError, pa.ArrowException):
            pass
    return s.isin(vals).to_numpy(dtype=bool)


# ---------------------------------------------------------------- accounting


class Accounting:
    """Counts rows read and set aside per source; ``used`` is counted at the end."""

    def __init__(self) -> None:
        self.entries: list[SourceReport] = []
        self._fixed_used: dict[int, int] = {}
        self._rejects: list[pd.DataFrame] = []

    def add(self, table: str, label: str, unit: str, read: int,
            example_unit: str = "") -> int:
        self.entries.append(SourceReport(table, label, unit, read,
                                         example_unit=example_unit))
        return len(self.entries) - 1

    def fix_used(self, src: int, used: int, produced: int) -> None:
        """For derived rows (daily marks): used and produced are known directly."""
        self._fixed_used[src] = used
        self.entries[src].produced = produced

    def drop(self, df: pd.DataFrame, mask: pd.Series | np.ndarray, reason: str
             ) -> pd.DataFrame:
        """Count the rows under ``mask`` as set aside for ``reason``; return the rest."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return df
        gone = df.loc[mask, [SRC, LINE]]
        self._rejects.append(gone.assign(reason=reason))
        for src, n in gone[SRC].value_counts(sort=False).items():
            entry = self.entries[int(src)]  # type: ignore[call-overload]
            entry.set_aside[reason] = entry.set_aside.get(reason, 0) + int(n)
        for src, lines in gone.dropna(subset=[LINE]).groupby(SRC, sort=False)[LINE]:
            ex = self.entries[int(src)].examples.setdefault(reason, [])  # type: ignore[arg-type, call-overload]
            ex.extend(int(x) for x in lines.iloc[: max(0, 5 - len(ex))].tolist())
        return df.loc[~mask]

    def report(self, frames: Mapping[str, pd.DataFrame], notes: list[str]
               ) -> LoadReport:
        used: dict[int, int] = {}
        for df in frames.values():
            rows = df[~df[DERIVED]] if DERIVED in df else df
            for src, n in rows[SRC].value_counts(sort=False).items():
                used[int(src)] = used.get(int(src), 0) + int(n)  # type: ignore[call-overload]
        for i, entry in enumerate(self.entries):
            entry.used = self._fixed_used.get(i, used.get(i, 0))
        return LoadReport(list(self.entries), list(notes), rejects=self.rejects())

    def rejects(self) -> pd.DataFrame:
        """Every set-aside row: table, source, unit, line (or row) and reason."""
        cols = ["table", "source", "unit", "line", "reason"]
        if not self._rejects:
            return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "line"
                                              else "str") for c in cols})
        gone = pd.concat(self._rejects, ignore_index=True)
        src = gone[SRC].astype("int64").to_numpy()
        entries = self.entries
        return pd.DataFrame({
            "table": [entries[i].table for i in src],
            "source": [entries[i].source for i in src],
            "unit": [entries[i].example_unit or entries[i].unit for i in src],
            "line": gone[LINE].astype("Int64").to_numpy(),
            "reason": gone["reason"].astype("str").to_numpy(),
        }, columns=cols)


# ---------------------------------------------------------------- messages


def where_text(df: pd.DataFrame, mask: pd.Series | np.ndarray, unit: str,
               value_col: str | None = None, limit: int = 5) -> str:
    """``lines 3 ('x'), 9 ('y') and 4 more`` for the rows under ``mask``."""
    bad = df.loc[np.asarray(mask, dtype=bool)]
    n = len(bad)
    shown = []
    for _, row in bad.head(limit).iterrows():
        line = row[LINE]
        text = "?" if pd.isna(line) else str(int(line))
        if value_col is not None:
            text += f" ({str(row[value_col])[:40]!r})"
        shown.append(text)
    more = f" and {n - limit} more" if n > limit else ""
    return f"{unit}{'s' if n != 1 else ''} {', '.join(shown)}{more}"


def missing_column_error(label: str, column: str, found: list[str], *,
                         needed_for: str, where: str) -> DataError:
    hint = ""
    close = _closest(column, found)
    if close:
        hint = f"did you mean '{close}'? "
    shown = ", ".join(repr(f) for f in found[:20])
    return DataError(
        f"has no column '{column}' (needed for {needed_for}); columns found: {shown}",
        file=label,
        column=column,
        fix=f"{hint}correct the column name under {where}",
    )


def _closest(word: str, found: list[str]) -> str | None:
    """The found column most like ``word``: same name in another case, a name
    containing it (``Date`` in ``IncidentDate``), or a close spelling."""
    low = word.lower()
    for f in found:
        if f.lower() == low:
            return f
    contains = [f for f in found if low in f.lower() or f.lower() in low]
    if contains:
        return min(contains, key=lambda f: abs(len(f) - len(word)))
    lowered = {f.lower(): f for f in found}
    close = difflib.get_close_matches(low, list(lowered), n=1, cutoff=0.5)
    return lowered[close[0]] if close else None


# ---------------------------------------------------------------- coercion


def coerce_source(df: pd.DataFrame, info: SourceInfo) -> pd.DataFrame:
    """Give each canonical column of one source its kind, raising on unusable columns."""
    spec = TABLES[info.table]
    out = df
    for col in spec.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind in ("id", "text"):
            out[col.name] = clean_text(s)
        elif col.kind == "number":
            out[col.name] = parse_numbers(out, col.name, info)
        else:
            out[col.name] = parse_dates(out, col.name, info)
    if info.table == "events" and "value" in out.columns:
        out["value"] = out["value"].fillna(1.0)
    return out


def clean_text(s: pd.Series) -> pd.Series:
    """Text with surrounding spaces removed; empty text is missing. Whole numbers
    (as Parquet or SQL ids often are) are written without a decimal point."""
    if pd.api.types.is_float_dtype(s) and s.dropna().mod(1).eq(0).all():
        s = s.astype("Int64")
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("object")
    text = s.astype("str").str.strip()
    return text.where(text != "")


#: Counts and values above this are taken as export errors (1e308, overflowed cells).
MAX_VALUE = 1e9


def parse_numbers(df: pd.DataFrame, col: str, info: SourceInfo) -> pd.Series:
    s = df[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return _check_finite(df, s.astype("float64"), col, info)
    text = clean_text(s)
    num = map_values(text, lambda u: pd.to_numeric(u, errors="coerce")).astype("float64")
    bad = text.notna() & num.isna()
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} value(s) are not numbers: "
            f"{where_text(df.assign(_v=text), bad, info.unit_word, '_v')}",
            file=info.label,
            column=_user_column(df, bad, col, info),
            fix="remove the text from these cells (use a dot for decimals and no "
            f"thousands separators), or map the right column under {info.where}",
        )
    return _check_finite(df, num, col, info)


def _check_finite(df: pd.DataFrame, num: pd.Series, col: str, info: SourceInfo
                  ) -> pd.Series:
    """Infinite or absurdly large numbers (inf, 1e308) are export errors: a count
    of sessions or days is never above a billion."""
    bad = num.notna() & ~(num.abs() <= MAX_VALUE)
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} value(s) are infinite or implausibly large (above "
            f"{MAX_VALUE:,.0f}): {where_text(df.assign(_v=num), bad, info.unit_word, '_v')}",
            file=info.label,
            column=_user_column(df, bad, col, info),
            fix="correct these cells in the source (an overflowed or mistyped "
            "number); counts and values must be ordinary finite numbers",
        )
    return num


def _user_column(df: pd.DataFrame, mask: pd.Series, col: str, info: SourceInfo) -> str:
    if UCOL in df.columns and col in ("value",):
        return ", ".join(dict.fromkeys(df.loc[mask, UCOL].astype(str)))
    return info.column(col)


def _try_format(values: pd.Index, fmt: str) -> pd.Series:
    ser = pd.Series(values, dtype="str")
    try:
        out = pd.to_datetime(ser, format=fmt, errors="coerce")
    except ValueError:  # mixed UTC offsets
        out = pd.to_datetime(ser, format=fmt, errors="coerce", utc=True)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return out


def _example(fmt: str) -> str:
    return "2020-12-31" if fmt == ISO else pd.Timestamp("2020-12-31").strftime(fmt)


def parse_dates(df: pd.DataFrame, col: str, info: SourceInfo) -> pd.Series:
    """Dates of one column as day-precision timestamps; raises naming bad lines."""
    s = df[col]
    if pd.api.types.is_datetime64_any_dtype(s):
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        return s.dt.normalize().astype("datetime64[us]")
    if pd.api.types.is_numeric_dtype(s) and s.notna().any():
        raise DataError(
            "holds numbers where dates are expected (spreadsheet serial dates?)",
            file=info.label,
            column=info.column(col),
            fix="export the column as dates written like 2020-12-31 or 31/12/2020",
        )
    if isinstance(s.dtype, pd.DatetimeTZDtype):  # pragma: no cover - handled above
        s = s.dt.tz_localize(None)
    text = clean_text(s) if len(s) else s.astype("str")
    codes, uniq_values = pd.factorize(text, use_na_sentinel=True)
    uniq = pd.Index(uniq_values)
    if len(uniq) == 0:
        return pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    fmt = info.date_formats.get(col)
    if fmt:
        parsed = _try_format(uniq, fmt)
    else:
        fmt, parsed = _best_format(uniq, info.dayfirst)
    failed = parsed.isna().to_numpy()
    if failed.any():
        bad = pd.Series((codes >= 0) & failed[codes], index=s.index)
        raise _date_error(df.assign(_v=text), bad, col, info, fmt,
                          set(uniq[failed]))
    if not info.date_formats.get(col):
        _check_swapped(df.assign(_v=text), parsed, fmt, col, info)
    padded = np.append(parsed.to_numpy(dtype="datetime64[us]"),
                       np.datetime64("NaT", "us"))
    out = pd.Series(padded[codes], index=s.index)
    return out.dt.normalize().astype("datetime64[us]")


def _check_swapped(df: pd.DataFrame, parsed: pd.Series, fmt: str, col: str,
                   info: SourceInfo) -> None:
    """Dates read with the default order where every date falls in one month while
    the days never pass 12: month-precision dates (always the 1st) written the
    other way round, which no single value can tell apart."""
    if fmt[:2] not in ("%d", "%m") or parsed.dt.day.nunique() < 6:
        return
    if parsed.dt.month.nunique() > 1 or parsed.dt.day.max() > 12:
        return
    other = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    month = parsed.iloc[0].strftime("%B")
    raise DataError(
        f"every date reads as falling in {month}, on days 1 to 12 only: these look "
        f"like month-precision dates (the 1st of each month) written the other way "
        f"round, which read as {fmt} would all be wrong",
        file=info.label,
        column=info.column(col),
        fix=(f"set date_format: '{other}' under {info.where} (or '{fmt}' if "
             f"{month} really is right)" if info.settable
             else f"write the column as dates; its text reads with '{other}'"),
    )


def _candidates(dayfirst: bool) -> list[str]:
    return [ISO] + (_DAYFIRST if dayfirst else _MONTHFIRST) + _WORDS


def _best_format(uniq: pd.Index, dayfirst: bool) -> tuple[str, pd.Series]:
    best: tuple[str, pd.Series] | None = None
    for fmt in _candidates(dayfirst):
        parsed = _try_format(uniq, fmt)
        if parsed.notna().all():
            return fmt, parsed
        if best is None or parsed.notna().sum() > best[1].notna().sum():
            best = (fmt, parsed)
    assert best is not None
    return best


_NUMERIC_DATE = re.compile(
    r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{2,4})"
    r"(?:[ T](\d{1,2}):(\d{2})(:\d{2})?(?:\.\d+)?\s*([AaPp][Mm])?)?$")


def date_order(values: pd.Index | list[str]) -> str | None:
    """How numeric dates are written, judged from the values themselves:
    ``day-first`` when a first number goes above 12, ``month-first`` when a second
    does, ``mixed`` when both happen, ``year-first``, or None when undecided.

    Examples
    --------
    >>> date_order(["02/28/2014", "03/01/2014"])
    'month-first'
    >>> date_order(["28/02/2014", "03/01/2014"])
    'day-first'
    >>> date_order(["03/01/2014"]) is None
    True
    """
    day = month = year = False
    for v in values:
        m = _NUMERIC_DATE.match(str(v).strip())
        if not m:
            continue
        first, second = m.group(1), int(m.group(3))
        if len(first) == 4:
            year = True
            continue
        day |= int(first) > 12
        month |= second > 12
    if day and month:
        return "mixed"
    return ("day-first" if day else "month-first" if month
            else "year-first" if year else None)


def infer_date_format(values: pd.Index | list[str]) -> str | None:
    """The one strptime format that reads every value, built from how they are
    written (separator, order, two- or four-digit year, time of day); None if the
    values do not share one numeric format.

    Examples
    --------
    >>> infer_date_format(["02/28/2014", "12/31/2013"])
    '%m/%d/%Y'
    >>> infer_date_format(["28.02.14 10:30 PM"])
    '%d.%m.%y %I:%M %p'
    """
    order = date_order(values)
    shapes = set()
    for v in values:
        m = _NUMERIC_DATE.match(str(v).strip())
        if not m:
            return None
        year = "%Y" if len(m.group(4)) == 4 else "%y"
        sep = m.group(2)
        if order == "year-first":
            head = f"%Y{sep}%m{sep}%d"
        elif order == "month-first":
            head = f"%m{sep}%d{sep}{year}"
        else:
            head = f"%d{sep}%m{sep}{year}"
        if m.group(5):
            hour = "%I" if m.group(8) else "%H"
            head += f" {hour}:%M" + (":%S" if m.group(7) else "") + (
                " %p" if m.group(8) else "")
        shapes.add(head)
    if len(shapes) != 1:
        return None
    fmt = shapes.pop()
    ok = _try_format(pd.Index([str(v).strip().replace("T", " ") for v in values]),
                     fmt).notna().all()
    return fmt if ok else None


def _date_error(df: pd.DataFrame, bad: pd.Series, col: str, info: SourceInfo,
                fmt: str, bad_values: set) -> DataError:
    where = where_text(df, bad, info.unit_word, "_v")
    values = pd.Index(df["_v"].dropna().unique())
    order = date_order(values)
    inferred = infer_date_format(values)
    vals = pd.Index(sorted(bad_values))
    other = inferred or infer_date_format(vals) or next(
        (f for f in [ISO, *_DAYFIRST, *_MONTHFIRST, *_WORDS]
         if f != fmt and _try_format(vals, f).notna().any()),
        None,
    )
    n = int(bad.sum())
    setting = f"set date_format: '{{}}' under {info.where}" if info.settable else (
        "write the column as dates (or as text like 2020-12-31); its values read "
        "with the format '{}'")
    if order == "mixed":
        problem = (f"{n} date(s) cannot be read: the column mixes day-first dates "
                   f"(a first number above 12) and month-first dates (a second "
                   f"number above 12), so no one order reads it: {where}")
        fix = "export the column in one date format, or correct these cells"
    elif order == "month-first" and inferred is not None:
        how = (_order_name("%d") if info.dayfirst and not info.date_formats.get(col)
               else _order_name(fmt))
        problem = (f"{n} date(s) cannot be read as {how}: {where}; the "
                   f"column is written month-first (US style, like "
                   f"{_example(inferred)}: a second number goes above 12)")
        fix = setting.format(inferred)
    elif order == "day-first" and fmt.startswith("%m") and inferred is not None:
        problem = (f"{n} date(s) cannot be read as month-first dates (dayfirst: "
                   f"false): {where}; the column is written day-first (UK style, "
                   f"like {_example(inferred)}: a first number goes above 12)")
        fix = (f"remove dayfirst: false, or {setting.format(inferred)}"
               if info.settable else setting.format(inferred))
    elif inferred is not None:
        problem = (f"{n} date(s) do not match the format {fmt} (like "
                   f"{_example(fmt)}): {where}; every value of the column reads "
                   f"as {inferred} (like {_example(inferred)})")
        fix = setting.format(inferred)
    elif other is not None and n == int(df["_v"].notna().sum()):
        problem = (f"no date matches the format {fmt} (like {_example(fmt)}): "
                   f"{where}; they look like {_example(other)} ({other})")
        fix = setting.format(other)
    elif other is not None:
        problem = (f"dates are written in more than one format: most are like "
                   f"{_example(fmt)} ({fmt}) but {where} are like {_example(other)} "
                   f"({other})")
        if order == "month-first":
            problem += ("; the column is month-first (a second number goes above "
                        "12), so its other dates would be misread day-first too")
        fix = "export the column in one date format, or correct these cells"
    else:
        problem = (f"{n} value(s) cannot be read as dates: {where}; expected dates "
                   f"like {_example(fmt)} ({fmt})")
        fix = (f"correct these cells, or set date_format: under {info.where} if the "
               "column is written another way") if info.settable else (
            "correct these cells, or write the column as dates")
    return DataError(problem, file=info.label, column=info.column(col), fix=fix)


def _order_name(fmt: str) -> str:
    if fmt.startswith("%d"):
        return "day-first dates (the default, UK style 31/12/2020)"
    if fmt.startswith("%m"):
        return "month-first dates"
    return f"dates like {_example(fmt)} ({fmt})"


# ---------------------------------------------------------------- row rules


def mark_internal(df: pd.DataFrame, src: int, first: int) -> pd.DataFrame:
    """Tag a source's rows with their source index and user-visible row numbers."""
    out = df.reset_index(drop=True)
    out[LINE] = np.arange(first, first + len(out), dtype="int64")
    out[SRC] = src
    return out


def row_checks(table: str, df: pd.DataFrame, acc: Accounting, rules: Rules
               ) -> pd.DataFrame:
    """Set aside rows that cannot be used on their own (missing, negative, dates)."""
    spec = TABLES[table]
    for col in spec.columns:
        if not col.nullable and col.name in df.columns:
            df = acc.drop(df, df[col.name].isna(), f"missing {col.name}")
    if "value" in df.columns and spec.column("value").kind == "number":
        df = acc.drop(df, df["value"] < 0, "negative value")
    early = f"date before {rules.earliest_date:%Y-%m-%d}"
    if table == "people":
        df = acc.drop(df, df["date_of_birth"] < rules.earliest_date, early)
        limit = rules.extract_date or pd.Timestamp(date.today())
        return acc.drop(df, df["date_of_birth"] > limit, "date of birth in the future")
    own = spec.happened
    assert own is not None
    df = acc.drop(df, df[own] < rules.earliest_date, early)
    if rules.extract_date is not None:
        late = df[own] > rules.extract_date
        if "recorded_at" in df.columns:
            late |= df["recorded_at"] > rules.extract_date
        df = acc.drop(df, late, "date after extract date")
    start, end = {"episodes": ("start_date", "end_date"),
                  "periods": ("period_start", "period_end"),
                  "characteristics": ("valid_from", "valid_to")}.get(table, (None, None))
    if start and end and end in df.columns:
        df = acc.drop(df, df[end] < df[start], "end before start")
    return df


def table_checks(table: str, df: pd.DataFrame, acc: Accounting,
                 people_ids: pd.Series | None) -> pd.DataFrame:
    """Set aside second rows for a person, rows of unknown people and impossible
    attendance."""
    if table == "people":
        return acc.drop(df, df.duplicated(subset=["person_id"]),
                        "duplicate person_id with different details")
    if people_ids is not None:
        df = acc.drop(df, ~isin(df["person_id"], people_ids), "unknown person")
    if table == "periods":
        df = acc.drop(df, _absence_too_high(df), "absence more than sessions possible")
    if table == "characteristics":
        df = _characteristic_clashes(df, acc)
    return df


def _characteristic_clashes(df: pd.DataFrame, acc: Accounting) -> pd.DataFrame:
    """One person, attribute and start date must give one value: a repeat with the
    same value is a duplicate (a person listed twice in a one-row-per-person
    export); different values leave nothing to say which is true, so every row of
    the clash is set aside."""
    key = ["person_id", "attribute", "valid_from"]
    df = acc.drop(df, df.duplicated(subset=[*key, "value"]).to_numpy(),
                  "duplicate person_id, attribute and valid_from")
    clash = df.duplicated(subset=key, keep=False).to_numpy()
    return acc.drop(df, clash, "different values for one person, attribute and "
                    "valid_from")


def _absence_too_high(df: pd.DataFrame) -> np.ndarray:
    if df.empty:
        return np.zeros(0, dtype=bool)
    key = [df["person_id"], df["period_start"], df["period_end"]]
    possible = df["value"].where(df["measure"] == "sessions_possible")
    absent = df["value"].where(df["measure"].isin(_ABSENCE))
    tot_possible = possible.groupby(key, dropna=False).transform("sum", min_count=1)
    tot_absent = absent.groupby(key, dropna=False).transform("sum")
    bad = tot_possible.notna() & (tot_absent > tot_possible)
    if DERIVED in df:
        bad &= ~df[DERIVED].astype(bool)
    return bad.to_numpy(dtype=bool)


def check_all(frames: dict[str, pd.DataFrame], acc: Accounting, rules: Rules
              ) -> dict[str, pd.DataFrame]:
    """Row rules then table rules for every table, people first."""
    out: dict[str, pd.DataFrame] = {}
    people_ids = None
    for name in TABLE_NAMES:
        if name not in frames:
            continue
        frame = frames[name]
        dup = frame.drop(columns=INTERNAL, errors="ignore").duplicated()
        df = acc.drop(frame, dup.to_numpy(), "duplicate")
        df = row_checks(name, df, acc, rules)
        df = table_checks(name, df, acc, people_ids)
        if name == "people":
            people_ids = df["person_id"]
        out[name] = df
    return out


def strip_internal(frames: Mapping[str, pd.DataFrame]) -> CanonicalTables:
    return CanonicalTables.from_frames({
        name: df.drop(columns=[c for c in INTERNAL if c in df.columns])
        .reset_index(drop=True)
        for name, df in frames.items()
    })


# ---------------------------------------------------------------- guard

#: The share of a source that rules driven by a date setting may set aside before
#: a load stops (a wrong default must not quietly remove most of a table).
MAX_SET_ASIDE = 0.01


def _guarded_rule(reason: str, rules: Rules, where: str) -> tuple[str, str] | None:
    """The setting behind a date rule and how to change it; None for other rules."""
    if reason.startswith("date before"):
        return ("earliest_date", f"set earliest_date: in {where} to a date before "
                f"the earliest real date (now {rules.earliest_date:%Y-%m-%d}; for "
                "adults born earlier, e.g. 1900-01-01)")
    if reason in ("date after extract date", "date of birth in the future"):
        now = (f"now {rules.extract_date:%Y-%m-%d}" if rules.extract_date is not None
               else "not set, so today")
        return ("extract_date", f"set extract_date: in {where} to the day the data "
                f"was extracted ({now})")
    return None


def guard_set_aside(report: LoadReport, rules: Rules, max_share: float,
                    where: str) -> None:
    """Stop when a date rule set aside more than ``max_share`` of any source.

    Raises a DataError naming the source, the count, the rule, the setting that
    drives it and ``max_set_aside``.
    """
    for s in report.sources:
        for reason, n in s.set_aside.items():
            rule = _guarded_rule(reason, rules, where)
            if rule is None or s.read == 0 or n / s.read <= max_share:
                continue
            key, fix = rule
            unit = s.example_unit or s.unit
            lines = ", ".join(map(str, s.examples.get(reason, [])))
            raise DataError(
                f"{n:,} of {s.read:,} {s.unit}s ({n / s.read:.0%}) would be set "
                f"aside by the rule '{reason}' (the {key} setting; first {unit}s "
                f"{lines}); a date rule may set aside at most {max_share:.0%} of a "
                f"source (max_set_aside) before the load stops",
                file=s.source,
                fix=f"{fix}; or, if these rows really should be left out, raise "
                f"max_set_aside: (now {max_share:g}) there",
            )


def _missing_canonical(label: str, table: str, column: str, found: list[str]
                       ) -> DataError:
    def bare(x: str) -> str:
        return re.sub(r"[^a-z0-9]", "", x.lower())

    same = next((f for f in found if bare(f) == bare(column)), None)
    hint = f"did you mean '{same}'? rename it to '{column}'; " if same else ""
    shown = ", ".join(repr(f) for f in found[:20])
    return DataError(
        f"has no column '{column}', which every {table} table needs (columns "
        f"found: {shown})",
        file=label,
        column=column,
        fix=f"{hint}write the table with the canonical columns "
        f"{', '.join(TABLES[table].required)} (names are fixed), or load the "
        "source through a mapping that says which column is which",
    )


# ---------------------------------------------------------------- public


def validate_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    file_names: Mapping[str, str] | None = None,
    extract_date: object = None,
    earliest_date: object = "1990-01-01",
    dayfirst: bool = True,
    max_set_aside: float = MAX_SET_ASIDE,
    settings: str = "the arguments of validate_tables",
) -> tuple[CanonicalTables, LoadReport]:
    """Validate frames that already have the canonical column names.

    Whole-column problems raise a :class:`~earlysignal.errors.DataError` naming
    the table (or ``file_names[table]``), column and rows (1 = first data row);
    rows that cannot be used are set aside and counted in the report.

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        Any of people, events, episodes, periods, characteristics; extra columns
        are carried. Dates may be datetimes or text.
    file_names : mapping of table name to str, optional
        How to name each table's source in messages and the report.
    extract_date : date-like, optional
        Rows dated after it are set aside.
    earliest_date : date-like
        Rows dated before it are set aside (default 1990-01-01).
    dayfirst : bool
        How to read text dates such as 03/04/2021 (default day-first, UK style).
    max_set_aside : float
        The largest share of a table that a date rule (``earliest_date``,
        ``extract_date``) may set aside; above it a DataError names the rule.
    settings : str
        Where the user sets these, for messages (such as a config section).

    Returns
    -------
    (CanonicalTables, LoadReport)

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person_id": ["a", "b"],
    ...                        "date_of_birth": ["2010-01-05", "2011-03-02"]})
    >>> events = pd.DataFrame({"person_id": ["a", "a", "z"],
    ...                        "event_date": ["2021-02-01"] * 3,
    ...                        "source": "school", "event_type": "suspension"})
    >>> tables, report = validate_tables({"people": people, "events": events})
    >>> len(tables["events"]), report.sources[1].set_aside
    (1, {'duplicate': 1, 'unknown person': 1})
    """
    unknown = sorted(set(tables) - set(TABLE_NAMES))
    if unknown:
        raise DataError(f"unknown canonical table(s) {unknown}",
                        fix=f"name tables as one of {list(TABLE_NAMES)}")
    names = dict(file_names or {})
    rules = Rules.make(extract_date, earliest_date)
    acc = Accounting()
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLE_NAMES:
        if name not in tables:
            continue
        df = tables[name]
        label = names.get(name, f"{name} table")
        found = [str(c) for c in df.columns]
        for col in TABLES[name].required:
            if col not in df.columns:
                raise _missing_canonical(label, name, col, found)
        info = SourceInfo(name, label, "row", f"the {name} table", dayfirst=dayfirst,
                          settable=False)
        src = acc.add(name, label, "row", len(df))
        frames[name] = coerce_source(mark_internal(df.copy(), src, 1), info)
    checked = check_all(frames, acc, rules)
    notes = [] if "people" in tables else [
        "no people table: rows were not checked against known people"]
    report = acc.report(checked, notes)
    guard_set_aside(report, rules, max_set_aside, settings)
    return strip_internal(checked), report


def validate_folder(
    folder: str | Path,
    *,
    extract_date: object = None,
    earliest_date: object = "1990-01-01",
    max_set_aside: float = MAX_SET_ASIDE,
    settings: str = "the arguments of validate_folder",
) -> tuple[CanonicalTables, LoadReport]:
    """Validate a folder of canonical Parquet tables as a mapping's sources are.

    Each ``{table}.parquet`` is read as it is and goes through
    :func:`validate_tables`: a missing column, unreadable dates or numbers raise a
    DataError naming the file; rows without an id, duplicates, rows dated after
    the extract and rows of unknown people are set aside and counted. Other
    Parquet files (such as ``truth.parquet``) are kept in ``extras``.

    Parameters
    ----------
    folder : path
        Holds ``people.parquet`` and any of the other canonical tables.
    extract_date, earliest_date, max_set_aside, settings
        As for :func:`validate_tables`.

    Returns
    -------
    (CanonicalTables, LoadReport)

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"person_id": ["a", "a", None],
    ...               "date_of_birth": ["2010-01-05", "2011-01-05", "2010-02-01"]}
    ...              ).to_parquet(d / "people.parquet")
    >>> tables, report = validate_folder(d, max_set_aside=1)
    >>> tables["people"]["person_id"].tolist(), report.sources[0].set_aside
    (['a'], {'missing person_id': 1, 'duplicate person_id with different details': 1})
    """
    found = CanonicalTables.read_dir(folder)
    frames = {name: _read_table(path) for name, path in found.paths.items()}
    tables, report = validate_tables(
        frames, file_names={n: p.name for n, p in found.paths.items()},
        extract_date=extract_date, earliest_date=earliest_date,
        max_set_aside=max_set_aside, settings=settings)
    tables.extras = dict(found.extras)
    return tables, report


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise DataError(
            f"cannot be read as Parquet ({str(e).splitlines()[0] if str(e) else e})",
            file=path.name,
            fix="write the table again as Parquet (earlysignal validate MAPPING "
            "--out DIR writes canonical tables), or remove the file") from None
