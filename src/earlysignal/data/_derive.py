"""Columns a source mapping derives from the user's columns before validation.

Joins add columns from other files, ``where:`` keeps the rows meeting its
conditions, a list of columns makes one person key, and date rules make a date
from the first non-empty of several columns, from a number of days after an
anchor date, and move it by an offset. Every failure names the file, the
column, the lines and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.data._mapping import AnchorDates, DateRule, Join, TableSource
from earlysignal.data._readers import read_file
from earlysignal.data._validate import (
    LINE,
    SourceInfo,
    clean_text,
    map_values,
    parse_dates,
    where_text,
)
from earlysignal.errors import DataError

#: How the columns of a many-column person key are joined into one id.
KEY_SEPARATOR = "|"
#: The set-aside reason of rows that a ``where:`` rule leaves out.
FILTERED = "filtered by rule"

__all__ = ["FILTERED", "KEY_SEPARATOR", "apply_joins", "person_key", "rule_dates",
           "where_mask"]


def person_key(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One id from several columns, in the order given; missing if any part is.

    Examples
    --------
    >>> df = pd.DataFrame({"student": ["11391", "7", None],
    ...                    "course": ["AAA", " BBB ", "AAA"]})
    >>> person_key(df, ["student", "course"]).tolist()
    ['11391|AAA', '7|BBB', nan]
    """
    parts = [clean_text(df[c]) for c in columns]
    key = parts[0].astype("object")
    missing = parts[0].isna()
    for p in parts[1:]:
        key = key + KEY_SEPARATOR + p.astype("object")
        missing |= p.isna()
    return key.where(~missing)


def apply_joins(df: pd.DataFrame, lines: np.ndarray, src: TableSource,
                data_dir: Path, where: str) -> tuple[pd.DataFrame, np.ndarray,
                                                    dict[str, np.ndarray]]:
    """``df`` with the columns of every joined file, its rows' line numbers, and
    for each join the rows that found no match (``no match in FILE``)."""
    nomatch: dict[str, np.ndarray] = {}
    for join in src.join:
        df, lines, missed = _join_one(df, lines, join, data_dir, where)
        nomatch = {k: v[_origin_of(df)] for k, v in nomatch.items()}
        if join.unmatched == "set_aside":
            nomatch[f"no match in {join.file}"] = missed
        df = df.drop(columns="__es_origin")
    return df.reset_index(drop=True), lines, nomatch


def _origin_of(df: pd.DataFrame) -> np.ndarray:
    return df["__es_origin"].to_numpy(dtype="int64")


def _join_one(df: pd.DataFrame, lines: np.ndarray, join: Join, data_dir: Path,
              where: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    here = f"{where}.join"
    other = read_file(data_dir / join.file, label=join.file, delimiter=join.delimiter,
                      encoding=join.encoding or "utf-8-sig", where=here)
    keys = join.keys
    for side, frame, label in (("the source", df, where), (join.file, other.frame,
                                                              join.file)):
        absent = [k for k in keys if k not in frame.columns]
        if absent:
            raise DataError(
                f"has no key column {', '.join(repr(k) for k in absent)} for the "
                f"join (columns found: {', '.join(map(repr, frame.columns[:20]))})",
                file=label if side != "the source" else where, column=absent[0],
                fix=f"correct on: under {here}; a join needs the key in both files")
    right = other.frame.assign(**{k: clean_text(other.frame[k]) for k in keys})
    right = right.dropna(subset=keys)
    dup = right.duplicated(subset=keys, keep=False).to_numpy()
    if dup.any() and not join.many:
        shown = right.assign(**{LINE: np.arange(other.first, other.first +
                                                len(other.frame))[right.index]})
        raise DataError(
            f"holds {int(dup.sum())} rows whose key ({', '.join(keys)}) is not "
            f"unique: {where_text(shown, dup, other.unit)}; a lookup needs one row "
            "per key",
            file=join.file, column=", ".join(keys),
            fix=f"set many: true under {here} if each row should meet every "
            "matching row, or remove the repeated rows")
    clash = {c: f"{Path(join.file).stem}.{c}" for c in right.columns
             if c in df.columns and c not in keys}
    right = right.rename(columns=clash)
    left = df.assign(**{k: clean_text(df[k]) for k in keys},
                     __es_origin=np.arange(len(df)))
    out = left.merge(right.assign(__es_hit=True), on=keys, how="left", sort=False)
    missed = out["__es_hit"].isna().to_numpy()
    out = out.drop(columns="__es_hit")
    for k in keys:  # the keys as the source wrote them
        out[k] = df[k].to_numpy()[_origin_of(out)]
    return out, lines[_origin_of(out)], missed


def where_mask(df: pd.DataFrame, where: Mapping[str, Any], info: SourceInfo,
               here: str) -> np.ndarray:
    """True for rows meeting every condition of ``where:``.

    A condition is a value (equal to it), a list (one of them) or a mapping of
    ``equals``, ``not``, ``missing``, ``min``, ``max``, ``above``, ``below``; the
    comparisons take a number or another column and fail on an empty cell.

    Examples
    --------
    >>> df = pd.DataFrame({"result": ["Fail", "Pass", None], "sub": ["5", "9", ""],
    ...                    "due": ["6", "6", "6"]})
    >>> info = SourceInfo("events", "x.csv", "line")
    >>> where_mask(df, {"result": ["Fail", "Pass"], "sub": {"below": "due"}},
    ...            info, "where").tolist()
    [True, False, False]
    >>> where_mask(df, {"sub": {"missing": True}}, info, "where").tolist()
    [False, False, True]
    """
    keep = np.ones(len(df), dtype=bool)
    for col, cond in where.items():
        text = clean_text(df[col])
        ops = cond if isinstance(cond, Mapping) else {"equals": cond}
        for op, value in ops.items():
            keep &= _condition(df, text, col, op, value, info, here)
    return keep


def _condition(df: pd.DataFrame, text: pd.Series, col: str, op: str, value: Any,
               info: SourceInfo, here: str) -> np.ndarray:
    if op == "missing":
        return (text.isna() == bool(value)).to_numpy()
    if op in ("equals", "not"):
        wanted = [str(v).strip() for v in (value if isinstance(value, list)
                                           else [value])]
        hit = text.isin(wanted).to_numpy()
        return ~hit & text.notna().to_numpy() if op == "not" else hit
    this = _numbers(df, text, col, info, here)
    if isinstance(value, str) and value in df.columns:
        other = _numbers(df, clean_text(df[value]), value, info, here)
    else:
        other = pd.Series(float(value), index=df.index)
    compare = {"min": np.greater_equal, "max": np.less_equal,
               "above": np.greater, "below": np.less}[op]
    with np.errstate(invalid="ignore"):
        return np.asarray(compare(this.to_numpy(), other.to_numpy()), dtype=bool)


def _numbers(df: pd.DataFrame, text: pd.Series, col: str, info: SourceInfo,
             here: str) -> pd.Series:
    num = map_values(text, lambda u: pd.to_numeric(u, errors="coerce")).astype(
        "float64")
    bad = text.notna() & num.isna()
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} value(s) compared as numbers are not numbers: "
            f"{where_text(df.assign(_v=text), bad, info.unit_word, '_v')}",
            file=info.label, column=col,
            fix=f"correct these cells, or compare another column under {here}")
    return num


def rule_dates(df: pd.DataFrame, rule: DateRule, canonical: str, info: SourceInfo,
               here: str) -> pd.Series:
    """The dates a :class:`DateRule` makes for each row (NaT where none can be).

    Examples
    --------
    >>> df = pd.DataFrame({"day": ["60", "-3", ""], "pres": ["2013J", "2014J", "2013J"]})
    >>> rule = DateRule(days="day", offset="-1d", anchor=AnchorDates(
    ...     column="pres", dates={"2013J": "2013-10-01", "2014J": "2014-10-01"}))
    >>> info = SourceInfo("events", "x.csv", "line")
    >>> out = rule_dates(df, rule, "event_date", info, "columns.event_date")
    >>> out.dt.strftime("%Y-%m-%d").fillna("none").tolist()
    ['2013-11-29', '2014-09-27', 'none']
    """
    if rule.days:
        days = _first(df, [_numbers(df, clean_text(df[c]), c, info, here)
                           for c in rule.day_columns])
        assert rule.anchor is not None
        start = _anchor(df, rule.anchor, canonical, info, here)
        out = start + pd.to_timedelta(np.floor(days), unit="D")
    else:
        cols = [rule.column] if rule.column else list(rule.first_of or [])
        out = _first(df, [_dates(df, c, canonical, info) for c in cols])
    return (out + pd.Timedelta(days=rule.offset_days)).astype("datetime64[us]")


def _first(df: pd.DataFrame, series: list[pd.Series]) -> pd.Series:
    out = series[0]
    for s in series[1:]:
        out = out.fillna(s)
    return out


def _dates(df: pd.DataFrame, col: str, canonical: str, info: SourceInfo
           ) -> pd.Series:
    one = SourceInfo(info.table, info.label, info.unit_word, info.where,
                     user_columns={canonical: col}, dayfirst=info.dayfirst,
                     date_formats=info.date_formats)
    return parse_dates(df.assign(**{canonical: df[col]}), canonical, one)


def _anchor(df: pd.DataFrame, anchor: str | AnchorDates, canonical: str,
            info: SourceInfo, here: str) -> pd.Series:
    if isinstance(anchor, str):
        return _dates(df, anchor, canonical, info)
    text = clean_text(df[anchor.column])
    table = {str(k).strip(): pd.Timestamp(v) for k, v in anchor.dates.items()}
    out = map_values(text, table)
    unknown = text.notna() & out.isna()
    if unknown.any():
        codes = sorted(set(text[unknown]))
        raise DataError(
            f"{len(codes)} code(s) have no anchor date: {', '.join(map(repr, codes[:10]))}"
            f" ({where_text(df.assign(_v=text), unknown, info.unit_word, '_v')})",
            file=info.label, column=anchor.column,
            fix=f"add them under {here}.anchor.dates")
    return pd.to_datetime(out).astype("datetime64[us]")
