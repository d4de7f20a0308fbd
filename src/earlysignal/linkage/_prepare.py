"""Identity records cleaned for comparison: one row per agency record.

Names lose case, accents, spaces and punctuation; postcodes are upper case with
one space; dates of birth become ISO text with a day/month-swapped twin (so that a
transposed date can be recognised); familiar forms of a given name are listed.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

from earlysignal.errors import DataError
from earlysignal.linkage._config import LinkageConfig
from earlysignal.linkage._nicknames import name_forms

__all__ = ["prepare_records"]


def _name(s: pd.Series) -> pd.Series:
    def one(v: object) -> str | None:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        text = unicodedata.normalize("NFKD", str(v))
        text = "".join(c for c in text if c.isalpha()).lower()
        return text or None
    return s.map(one).astype("object")


def _postcode(s: pd.Series) -> pd.Series:
    text = s.astype("str").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    # the inward code is always the last three characters
    out = text.str[:-3] + " " + text.str[-3:]
    return out.where(s.notna() & (text.str.len() >= 5)).astype("object")


def _swapped(dob: pd.Series) -> pd.Series:
    ok = dob.notna() & (dob.dt.day <= 12)
    text = (dob.dt.year.astype("Int64").astype("str") + "-"
            + dob.dt.day.astype("Int64").astype("str").str.zfill(2) + "-"
            + dob.dt.month.astype("Int64").astype("str").str.zfill(2))
    return text.where(ok).astype("object")


def prepare_records(people: pd.DataFrame, config: LinkageConfig) -> pd.DataFrame:
    """The people table's identity columns, cleaned, keyed by ``unique_id``.

    Parameters
    ----------
    people : DataFrame
        One row per agency record: ``person_id`` (the agency's local id) and the
        identity columns named in ``config.columns``.
    config : LinkageConfig

    Raises
    ------
    DataError
        An identity column named in the config is not in the people table.

    Examples
    --------
    >>> people = pd.DataFrame({"person_id": ["S1"], "first_name": [" Billy-Jo "],
    ...     "surname": ["O'Neil"], "date_of_birth": pd.to_datetime(["2010-03-07"]),
    ...     "sex": ["M"], "postcode": ["qx15ab"]})
    >>> r = prepare_records(people, LinkageConfig()).iloc[0]
    >>> r["first_name"], r["surname"], r["date_of_birth"], r["dob_swapped"]
    ('billyjo', 'oneil', '2010-03-07', '2010-07-03')
    >>> r["full_name"], r["postcode"], r["postcode_district"], r["birth_year"]
    ('billyjo oneil', 'QX1 5AB', 'QX1', '2010')
    """
    cols = config.columns.given()
    absent = [c for c in cols.values() if c not in people.columns]
    if absent:
        raise DataError(
            f"the people table has no column {', '.join(map(repr, absent))}, which "
            "linkage: columns: names as an identifier",
            file="people", column=", ".join(absent),
            fix="carry the identifying columns into the people table with "
                "extra_columns: in the mapping, or set the identifier to null under "
                "linkage: columns:")
    out = pd.DataFrame({"unique_id": people["person_id"].astype("str").to_numpy()})
    for key in ("first_name", "surname"):
        if key in cols:
            out[key] = _name(people[cols[key]]).to_numpy()
    if "first_name" in cols:
        out["first_name_forms"] = out["first_name"].map(name_forms)
    if "first_name" in cols and "surname" in cols:
        # the whole name, for the term frequency of an exact match on both
        out["full_name"] = out["first_name"] + " " + out["surname"]
    if "date_of_birth" in cols:
        dob = pd.to_datetime(people[cols["date_of_birth"]], errors="coerce")
        out["date_of_birth"] = dob.dt.strftime("%Y-%m-%d").astype("object").to_numpy()
        out["dob_swapped"] = _swapped(dob).to_numpy()
        out["birth_year"] = dob.dt.year.astype("Int64").astype("str").where(
            dob.notna()).astype("object").to_numpy()
    if "sex" in cols:
        sex = people[cols["sex"]].astype("str").str.strip().str.upper().str[:1]
        out["sex"] = sex.where(people[cols["sex"]].notna()).astype("object").to_numpy()
    if "postcode" in cols:
        pc = _postcode(people[cols["postcode"]])
        out["postcode"] = pc.to_numpy()
        out["postcode_district"] = pc.str.split(" ").str[0].to_numpy()
    return out.replace({np.nan: None})
