"""The ``linkage:`` settings: which columns identify a person, how pairs are
blocked, how the model is trained without labels, and the match threshold.

Every rule names the prepared identity columns (see :data:`RULE_COLUMNS`), so the
same settings run on DuckDB and on Spark.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["IDENTITY_COLUMNS", "RULE_COLUMNS", "IdentityColumns", "LinkageConfig"]

#: What a record may hold to be linked by (the people table's column names).
IDENTITY_COLUMNS = ("first_name", "surname", "date_of_birth", "sex", "postcode")
#: Columns a blocking or deterministic rule may name: the identity columns
#: (cleaned) and what is derived from them.
RULE_COLUMNS = (*IDENTITY_COLUMNS, "birth_year", "postcode_district")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdentityColumns(_Strict):
    """The people table's column for each identifier (null: not recorded)."""

    first_name: str | None = Field("first_name", description="Given name.")
    surname: str | None = Field("surname", description="Family name.")
    date_of_birth: str | None = Field("date_of_birth", description="Full date of "
                                      "birth (the canonical column).")
    sex: str | None = Field("sex", description="Sex as recorded (first letter "
                            "compared).")
    postcode: str | None = Field("postcode", description="UK postcode.")

    def given(self) -> dict[str, str]:
        """Identifier -> people column, for the identifiers recorded."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


def _check_rules(rules: list[list[str]], what: str) -> list[list[str]]:
    for i, rule in enumerate(rules):
        if not rule:
            raise ValueError(f"{what}[{i}] is empty; name one or more columns")
        unknown = [c for c in rule if c not in RULE_COLUMNS]
        if unknown:
            raise ValueError(f"{what}[{i}]: unknown column(s) {unknown} (rules may "
                             f"name {', '.join(RULE_COLUMNS)})")
    return rules


class LinkageConfig(_Strict):
    """How agencies' records are linked into people (Splink).

    Examples
    --------
    >>> cfg = LinkageConfig(threshold=0.9)
    >>> cfg.engine, cfg.blocking[0]
    ('duckdb', ['date_of_birth'])
    >>> LinkageConfig(blocking=[["surnme"]])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for LinkageConfig
    blocking
      Value error, blocking[0]: unknown column(s) ['surnme'] (rules may name ...
    """

    columns: IdentityColumns = Field(
        IdentityColumns(), description="The people table's identifying columns.")
    threshold: float = Field(
        0.6, gt=0, lt=1, description="Records whose pairwise match probability "
        "reaches it are joined into one person (clusters are connected pairs).")
    blocking: list[list[str]] = Field(
        default_factory=lambda: [["date_of_birth"], ["surname", "birth_year"],
                                 ["first_name", "birth_year"],
                                 ["postcode", "birth_year"],
                                 ["first_name", "surname"]],
        description="Pairs compared: those agreeing exactly on every column of "
        "at least one rule.")
    deterministic: list[list[str]] = Field(
        default_factory=lambda: [["first_name", "surname", "date_of_birth"],
                                 ["surname", "date_of_birth", "postcode"]],
        description="Rules that almost surely mean the same person; their pair "
        "count estimates the probability that two random records match.")
    deterministic_recall: float = Field(
        0.7, gt=0, le=1, description="The share of true matches the deterministic "
        "rules are taken to find.")
    training: list[list[str]] = Field(
        default_factory=lambda: [["date_of_birth"], ["surname", "first_name"]],
        description="Blocking of each EM training session (a comparison is not "
        "trained in a session that blocks on it).")
    u_max_pairs: int = Field(1_000_000, gt=0, description="Random pairs sampled "
                             "to estimate the u probabilities.")
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Where Splink runs; spark needs the spark extra.")
    keep_date_of_birth: Literal["month", "year"] = Field(
        "month", description="Precision of the date of birth kept after linkage.")
    keep: list[str] = Field(
        default_factory=list, description="Further people columns carried past "
        "linkage (from a person's first record); every other column of the people "
        "table ends at linkage.")
    truth: str | None = Field(
        None, description="Synthetic data only: a CSV of record_id, person_id (the "
        "true person) and group columns (sex, ethnicity, age_band), to measure the "
        "linkage against.")
    seed: int = Field(0, description="Seed of the random pairs sampled for u.")

    @field_validator("blocking", "deterministic", "training")
    @classmethod
    def _rules(cls, rules: list[list[str]], info: object) -> list[list[str]]:
        return _check_rules(rules, getattr(info, "field_name", "rules"))

    @model_validator(mode="after")
    def _columns_recorded(self) -> LinkageConfig:
        have = set(self.columns.given())
        if "date_of_birth" in have:
            have.add("birth_year")
        if "postcode" in have:
            have.add("postcode_district")
        for what in ("blocking", "deterministic", "training"):
            for i, rule in enumerate(getattr(self, what)):
                absent = [c for c in rule if c not in have]
                if absent:
                    raise ValueError(f"{what}[{i}] names {absent}, which "
                                     "columns: does not record")
        return self
