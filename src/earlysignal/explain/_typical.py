"""What is typical: medians among comparable people at the same as-of date.

"Comparable" is the population's peer group: the school year group when dates of
birth are known (English year groups: born 1 September .. 31 August), or the age
band, falling back to whole years of age from an ``age`` feature, else everyone
scored at that date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Typical", "comparison_groups", "year_group"]


def year_group(date_of_birth: pd.Series, as_of: pd.Series) -> pd.Series:
    """English school year group at each as-of date (Year 7 = age 11 on 1 Sep).

    Examples
    --------
    >>> dob = pd.Series(pd.to_datetime(["2009-05-01", "2009-09-01"]))
    >>> year_group(dob, pd.Series(pd.to_datetime(["2021-11-01"] * 2))).tolist()
    [8.0, 7.0]
    """
    dob = pd.to_datetime(date_of_birth)
    t = pd.to_datetime(as_of)
    born = dob.dt.year - (dob.dt.month < 9).astype(float)
    school_year = t.dt.year - (t.dt.month < 9).astype(float)
    return (school_year - born - 5).astype(float)


def comparison_groups(
    frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None,
    metadata: Mapping[str, Any], peer: str = "year group",
    age_bands: Sequence[int] | None = None,
) -> tuple[np.ndarray | None, str]:
    """Group number of each row and how to name the group in a sentence.

    ``peer`` is the population's peer group: ``"year group"`` (the school year
    group from dates of birth, else whole years of age), ``"age band"`` (the
    bands whose lower edges ``age_bands`` gives, else whole years of age) or
    ``"none"`` (everyone scored at the date).

    Examples
    --------
    >>> f = pd.DataFrame({"age": [19.5, 24.9, 25.0, 70.0]})
    >>> meta = {"age": type("M", (), {"aggregate": "age"})()}
    >>> keys, words = comparison_groups(f, None, meta, "age band", [18, 25, 65])
    >>> keys.tolist(), words
    ([0.0, 0.0, 1.0, 2.0], 'people of their age')
    >>> comparison_groups(f, None, meta, "none")[1]
    'everyone scored'
    """
    if peer == "none":
        return None, "everyone scored"
    if peer == "year group":
        years = _year_groups(frame, tables)
        if years is not None:
            return years, "their year group"
    age = _ages(frame, tables, metadata)
    if age is None:
        return None, "everyone scored"
    if peer == "age band" and age_bands:
        return _bands(age, age_bands), "people of their age"
    return np.floor(age), "people of their age"


def _year_groups(frame: pd.DataFrame,
                 tables: Mapping[str, pd.DataFrame] | None) -> np.ndarray | None:
    births = _births(frame, tables)
    if births is None:
        return None
    keys = year_group(births, frame["as_of"].reset_index(drop=True))
    return keys.to_numpy(dtype=float)


def _births(frame: pd.DataFrame,
            tables: Mapping[str, pd.DataFrame] | None) -> pd.Series | None:
    """Each row's date of birth, from the people table (None when not known)."""
    if not {"person_id", "as_of"} <= set(frame.columns) or tables is None:
        return None
    people = tables.get("people") if hasattr(tables, "get") else None
    if people is None or "date_of_birth" not in people.columns:
        return None
    dob = pd.Series(pd.to_datetime(people["date_of_birth"]).to_numpy(),
                    index=people["person_id"].astype(str))
    dob = dob[~dob.index.duplicated()]
    return frame["person_id"].astype(str).map(dob).reset_index(drop=True)


def _ages(frame: pd.DataFrame, tables: Mapping[str, pd.DataFrame] | None,
          metadata: Mapping[str, Any]) -> np.ndarray | None:
    """Age in years at the as-of date: the age feature, else from dates of birth."""
    ages = [c for c, m in metadata.items()
            if getattr(m, "aggregate", None) == "age" and c in frame.columns]
    if ages:
        return pd.to_numeric(frame[ages[0]], errors="coerce").to_numpy(dtype=float)
    births = _births(frame, tables)
    if births is None:
        return None
    days = (pd.to_datetime(frame["as_of"]).reset_index(drop=True) - births).dt.days
    return (days / 365.25).to_numpy(dtype=float)


def _bands(age: np.ndarray, edges: Sequence[int]) -> np.ndarray:
    """Band number of each age (-1 below the first edge; NaN when unknown)."""
    band = np.searchsorted(np.asarray(edges, dtype=float), age, side="right") - 1.0
    return np.where(np.isnan(age), np.nan, band)


class Typical:
    """Typical values of each feature by (as-of date, group), with fallbacks.

    Numeric features: the median of recorded values and the share of people with a
    value; indicators: the share with the flag set; categorical: the most common
    value. A date or group absent from the reference falls back to the group over
    all dates, then to everyone.
    """

    def __init__(self, reference: pd.DataFrame, keys: np.ndarray | None,
                 columns: Sequence[str], kinds: Mapping[str, str],
                 phrase: str) -> None:
        self.phrase = phrase
        self.columns = list(columns)
        self.kinds = dict(kinds)
        ref = reference[self.columns].copy()
        ref["__key"] = keys if keys is not None else 0.0
        ref["__date"] = (pd.to_datetime(reference["as_of"]).to_numpy()
                         if "as_of" in reference.columns else pd.NaT)
        self._numeric = [c for c in self.columns if self.kinds[c] != "categorical"]
        self._categorical = [c for c in self.columns if self.kinds[c] == "categorical"]
        num = ref[self._numeric].apply(pd.to_numeric, errors="coerce")
        num = num.assign(__key=ref["__key"], __date=ref["__date"])
        self._levels = [self._stats(num, ref, by) for by in
                        (["__date", "__key"], ["__key"], None)]

    def _stats(self, num: pd.DataFrame, ref: pd.DataFrame,
               by: list[str] | None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        cols = self._numeric
        if by is None:
            med = num[cols].median().to_frame().T
            share = num[cols].notna().mean().to_frame().T
            mean = num[cols].mean().to_frame().T
            mode = ref[self._categorical].agg(_mode).to_frame().T if \
                self._categorical else pd.DataFrame(index=[0])
            return med, share, _merge(mean, mode)
        g = num.groupby(by, dropna=True)
        med = g[cols].median()
        share = num[cols].notna().groupby([num[b] for b in by]).mean()
        mean = g[cols].mean()
        if self._categorical:
            cat = ref[self._categorical].groupby([ref[b] for b in by]).agg(_mode)
            mean = mean.join(cat, how="outer")
        return med, share, mean

    def lookup(self, as_of: pd.Series | np.ndarray,
               keys: np.ndarray | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per query row: the typical value of every column, and the share recorded.

        For indicators the typical value is the share of people with the flag; for
        categorical columns, the most common value.
        """
        n = len(as_of)
        dates = pd.to_datetime(pd.Series(np.asarray(as_of))).to_numpy()
        k = np.asarray(keys, dtype=float) if keys is not None else np.zeros(n)
        value = pd.DataFrame(index=range(n), columns=self.columns, dtype=object)
        present = pd.DataFrame(np.nan, index=range(n), columns=self._numeric)
        queries = [pd.MultiIndex.from_arrays([dates, k]), pd.Index(k), None]
        for (med, share, mean), q in zip(self._levels, queries, strict=True):
            if q is None:
                med, share, mean = (x.iloc[np.zeros(n, dtype=int)] for x in
                                    (med, share, mean))
            else:
                med, share, mean = (x.reindex(q) for x in (med, share, mean))
            typ = pd.concat([med[[c for c in self._numeric
                                  if self.kinds[c] != "indicator"]],
                             mean[[c for c in self._numeric
                                   if self.kinds[c] == "indicator"]],
                             mean[self._categorical]], axis=1)
            typ = typ.reset_index(drop=True)[self.columns]
            value = value.where(value.notna(), typ.astype(object))
            present = present.where(present.notna(),
                                    share.reset_index(drop=True)[self._numeric])
        return value, present


def _mode(s: pd.Series) -> object:
    m = s.dropna().mode()
    return m.iat[0] if len(m) else np.nan


def _merge(mean: pd.DataFrame, mode: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([mean.reset_index(drop=True), mode.reset_index(drop=True)],
                     axis=1)
