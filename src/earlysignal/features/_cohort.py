"""Cohorts: who is scored, at which as-of dates, and who was set aside and why.

As-of dates come from one of four forms in the config:

* a schedule ``{start, end, every}``: ``start``, ``start + every``, ... up to ``end``
  (calendar months, so a schedule from 31 August steps to the last day of February);
* a list of dates, the same for everyone;
* decision points ``{at_events: {source, event_type}}``: one as-of date per person
  per triggering event. A decision is taken when the event is *known*, so
  ``as_of`` is the day after ``max(event_date, recorded_at)``; features use rows
  known strictly before ``as_of``, so the triggering event itself counts in them.
  Events of one person on the same day give one as-of row (the day after the
  first of them became known);
* a table ``{table: decisions.csv}`` (CSV or Parquet) of ``person_id, as_of``,
  or of the file's own columns: ``{table: f.csv, columns: {person_id: [StudentId,
  Course], as_of: DecisionDate}}`` (a list of columns is joined into one key as a
  source mapping joins it).

Eligibility at ``t`` uses only what was known before ``t``: age in whole years at
``t`` (a birthday on ``t`` counts), being active in a source (a row known before
``t`` within a look-back), and, with ``exclude_escalated``, no outcome row known
before ``t``. Each candidate row set aside is counted under the first reason it
meets, in the order of :data:`REASONS`.

Given the data's last record date, as-of dates after it are set aside: features
there would read every day since the last record as "nothing recorded", and
open spells would keep people active for ever.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import (
    Discriminator,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from earlysignal.errors import ConfigError, DataError, EarlysignalWarning
from earlysignal.features._labels import (
    LabelSpec,
    RowSelector,
    SpecModel,
    as_list,
    known_at,
    lookup_dates,
    outcome_known_before,
    parse_window,
    select_rows,
)
from earlysignal.features._windows import Window

__all__ = [
    "REASONS",
    "ActiveRule",
    "AgeRange",
    "AtEvents",
    "CohortResult",
    "CohortSpec",
    "DecisionTable",
    "Schedule",
    "build_cohort",
]

_DATE: Final = "datetime64[us]"

#: Why a candidate ``(person_id, as_of)`` row was not scored, in the order checked.
REASONS: dict[str, str] = {
    "unknown_person": "unknown person in decision table",
    "duplicate": "repeated row in decision table",
    "after_last_record": "as-of date after the data's last record",
    "no_date_of_birth": "no date of birth",
    "too_young": "too young",
    "too_old": "too old",
    "not_active": "not active in source",
    "already_escalated": "already escalated",
}


# --------------------------------------------------------------------------- specs


class Schedule(SpecModel):
    """As-of dates ``start, start + every, ...`` up to and including ``end``."""

    start: dt.date
    end: dt.date
    every: str

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, v: Any) -> str:
        return parse_window(v)

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.end < self.start:
            raise ValueError(
                f"end {self.end} is before start {self.start} "
                "(hint: swap them, or give a later end)"
            )
        return self

    def dates(self) -> list[pd.Timestamp]:
        """The schedule's dates; each is ``start`` moved by k whole steps.

        Examples
        --------
        >>> s = Schedule(start="2020-08-31", end="2021-09-01", every="6 months")
        >>> [d.strftime("%Y-%m-%d") for d in s.dates()]
        ['2020-08-31', '2021-02-28', '2021-08-31']
        """
        step = Window.parse(self.every)
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        out: list[pd.Timestamp] = []
        k = 0
        while True:
            # Shifting start by k steps (not the last date by one) keeps month ends.
            when = start if k == 0 else Window(step.unit, step.n * k).shift(start)
            if when > end:
                return out
            out.append(when)
            k += 1


class AtEvents(SpecModel):
    """Decision points: the events that trigger a decision (a referral, say)."""

    source: list[str] | None = None
    event_type: list[str] | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    @field_validator("source", "event_type", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> list[str] | None:
        return as_list(v)


class AtEventsAsOf(SpecModel):
    at_events: AtEvents


class DecisionTable(SpecModel):
    """A CSV or Parquet file of decision points: one person and as-of date a row.

    ``columns`` names the file's own columns: ``person_id`` (one column, or a
    list joined into one key as a source mapping joins them) and ``as_of``
    (default: columns named ``person_id`` and ``as_of``).
    """

    table: str
    columns: dict[Literal["person_id", "as_of"], str | list[str]] = {}

    @field_validator("columns", mode="after")
    @classmethod
    def _one_date(cls, v: dict[str, str | list[str]]) -> dict[str, str | list[str]]:
        if isinstance(v.get("as_of"), list):
            raise ValueError("as_of names one date column (hint: as_of: DecisionDate)")
        return v

    def column(self, name: str) -> str | list[str]:
        return self.columns.get(name, name)  # type: ignore[call-overload,no-any-return]


def _as_of_form(v: Any) -> str | None:
    if isinstance(v, list | tuple):
        return "~dates"
    if isinstance(v, Schedule | AtEventsAsOf | DecisionTable):
        return {Schedule: "~schedule", AtEventsAsOf: "~at_events",
                DecisionTable: "~table"}[type(v)]
    if isinstance(v, dict):
        if "at_events" in v:
            return "~at_events"
        if "table" in v:
            return "~table"
        if {"start", "end", "every"} & set(v):
            return "~schedule"
    return None


AsOf = Annotated[
    Annotated[Schedule, Tag("~schedule")]
    | Annotated[list[dt.date], Tag("~dates")]
    | Annotated[AtEventsAsOf, Tag("~at_events")]
    | Annotated[DecisionTable, Tag("~table")],
    Discriminator(
        _as_of_form,
        custom_error_type="as_of_form",
        custom_error_message=(
            "not an as-of form (hint: write {start, end, every}, a list of dates, "
            "{at_events: {source, event_type}} or {table: FILE})"
        ),
    ),
]


class AgeRange(SpecModel):
    """Age in whole years at the as-of date, inclusive at both ends."""

    min: int | None = None
    max: int | None = None

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"min {self.min} is above max {self.max} (hint: swap them)"
            )
        return self


class ActiveRule(RowSelector):
    """Active in a source: a matching row known before ``t`` within ``within``.

    For episodes, a spell overlapping ``[t - within, t)`` (an ``end_date`` on
    ``t - within`` still counts: ``end_date`` is the last day of the spell); for
    events, an event dated in ``[t - within, t)``; for periods, a period that ended
    in ``[t - within, t)``. Periods have no source: use ``type`` to pick measures.
    """

    within: str = "all"

    @field_validator("within", mode="before")
    @classmethod
    def _within(cls, v: Any) -> str:
        return parse_window(v, allow_all=True)

    @field_validator("source", mode="after")
    @classmethod
    def _periods_have_no_source(
        cls, v: list[str] | None, info: ValidationInfo
    ) -> list[str] | None:
        if info.data.get("table") == "periods" and v is not None:
            raise ValueError(
                "periods have no source column "
                "(hint: drop source and use type: to pick a measure)"
            )
        return v


class CohortSpec(SpecModel):
    """Who is scored at which as-of dates.

    Examples
    --------
    >>> spec = CohortSpec.from_config({
    ...     "as_of": {"start": "2020-09-01", "end": "2021-09-01", "every": "6 months"},
    ...     "age": {"min": 10, "max": 17},
    ...     "active": {"table": "episodes", "source": "school", "type": "enrolment",
    ...                "within": "90d"}})
    >>> type(spec.as_of).__name__, spec.active.type
    ('Schedule', ['enrolment'])
    >>> CohortSpec.from_config({"as_of": {"every": "6x"}, "age": {"min": "ten"},
    ...                         "exclude_escalted": True},
    ...                        source="demo.yaml", path="cohort")
    Traceback (most recent call last):
    ...
    earlysignal.errors.ConfigError: demo.yaml has 5 problems:
      - cohort.as_of.start: Field required (hint: add this key)
      - cohort.as_of.end: Field required (hint: add this key)
      - cohort.as_of.every: '6x' is not a time span (expected a positive number and a unit, such as 90d, 6m, 1y, 1 term, or the word all) (hint: use 90d, 6 months, 1 term or 1y)
      - cohort.age.min: Input should be a valid integer, unable to parse string as an integer (hint: write a whole number)
      - cohort.exclude_escalted: unknown key (hint: remove it or check its spelling)
    """

    as_of: AsOf
    age: AgeRange | None = None
    active: ActiveRule | None = None
    exclude_escalated: bool = False

    @field_validator("as_of", mode="after")
    @classmethod
    def _some_dates(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise ValueError("no dates given (hint: list at least one date)")
        return v


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class CohortResult:
    """The scored rows and what happened to every candidate.

    ``frame``: ``person_id``, ``as_of`` (sorted, unique). ``set_aside``: the
    candidate rows not scored, with ``reason`` (a key of :data:`REASONS`).
    ``counts``: ``candidates``, one entry per reason, and ``scored``.
    ``last_record``: the data's last record date, when as-of dates were checked
    against it.
    """

    frame: pd.DataFrame
    set_aside: pd.DataFrame
    counts: dict[str, int]
    last_record: pd.Timestamp | None = None

    def counts_by_as_of(self) -> pd.DataFrame:
        """Rows scored and set aside (by reason) at each as-of date."""
        scored = self.frame.groupby("as_of").size().rename("scored")
        aside = self.set_aside.groupby(["as_of", "reason"]).size().unstack("reason")
        out = pd.concat([scored, aside], axis=1).fillna(0).astype("int64")
        cols = ["scored"] + [r for r in REASONS if r in out.columns]
        return out[cols].sort_index()

    def summary(self) -> list[str]:
        """The counts in plain words, for a report."""
        lines = [f"{self.counts['candidates']} candidate rows, "
                 f"{self.counts['scored']} scored"]
        lines += [f"{n} set aside: {self._reason_text(k)}"
                  for k, n in self.counts.items() if k in REASONS and n]
        return lines

    def _reason_text(self, key: str) -> str:
        if key == "after_last_record" and self.last_record is not None:
            return f"{REASONS[key]}, {self.last_record.date()}"
        return REASONS[key]


# --------------------------------------------------------------------------- build


def build_cohort(
    tables: Mapping[str, pd.DataFrame],
    spec: CohortSpec,
    *,
    outcome: LabelSpec | None = None,
    base_dir: str | Path | None = None,
    last_record: pd.Timestamp | None = None,
) -> CohortResult:
    """Candidate ``(person_id, as_of)`` rows, filtered to those eligible at ``as_of``.

    Parameters
    ----------
    tables : CanonicalTables or mapping of table name to DataFrame
    spec : CohortSpec
    outcome : LabelSpec, optional
        Needed when ``spec.exclude_escalated``: its outcome definition says who
        has already escalated.
    base_dir : path, optional
        Where a relative decision-table path is resolved (the config's folder).
    last_record : Timestamp, optional
        The data's last record date (``last_record_date``). Rows at as-of dates
        after it are set aside (``after_last_record``), with a warning naming
        those dates; if every date is after it, a ConfigError. The feature stage
        passes it; scoring a caseload today, past the extract, does not.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({"people": pd.DataFrame({
    ...     "person_id": ["a", "b"], "date_of_birth": ["2010-09-01", "2014-01-01"]})})
    >>> spec = CohortSpec(as_of=["2020-09-01", "2021-09-01"], age={"min": 10})
    >>> res = build_cohort(t, spec)
    >>> res.frame.astype({"as_of": str}).values.tolist()
    [['a', '2020-09-01'], ['a', '2021-09-01']]
    >>> res.counts["candidates"], res.counts["too_young"], res.counts["scored"]
    (4, 2, 2)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     late = build_cohort(t, spec, last_record=pd.Timestamp("2021-06-30"))
    >>> late.summary()
    ['4 candidate rows, 1 scored', "2 set aside: as-of date after the data's last record, 2021-06-30", '1 set aside: too young']
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    1 as-of date is after the data's last record (2021-06-30), so every row there
    is set aside (2 rows): 2021-09-01. Fix: end cohort.as_of on or before
    2021-06-30, or supply a newer extract
    """
    if spec.exclude_escalated and outcome is None:
        raise ConfigError("cohort", [
            "cohort.exclude_escalated: true needs an outcome definition "
            "(hint: pass the label spec as outcome=, or set exclude_escalated: false)"
        ])
    people = tables["people"].drop_duplicates("person_id").set_index("person_id")
    cand, reason = _candidates(tables, spec, people, base_dir)
    if last_record is not None:
        late = reason.isna() & (cand["as_of"] > pd.Timestamp(last_record))
        reason = reason.mask(late, "after_last_record")
        _say_after_last_record(cand, late, pd.Timestamp(last_record))
    todo = reason.isna()

    dob = lookup_dates(cand["person_id"], people["date_of_birth"])
    if spec.age is not None:
        reason = reason.mask(todo & dob.isna(), "no_date_of_birth")
        age = age_at(dob, cand["as_of"])
        if spec.age.min is not None:
            reason = reason.mask(reason.isna() & (age < spec.age.min), "too_young")
        if spec.age.max is not None:
            reason = reason.mask(reason.isna() & (age > spec.age.max), "too_old")
    if spec.active is not None:
        ok = is_active(tables, spec.active, cand)
        reason = reason.mask(reason.isna() & ~ok, "not_active")
    if spec.exclude_escalated and outcome is not None:
        done = outcome_known_before(tables, outcome, cand)
        reason = reason.mask(reason.isna() & done, "already_escalated")

    scored = reason.isna()
    frame = cand.loc[scored].reset_index(drop=True)
    aside = cand.loc[~scored].assign(reason=reason[~scored]).reset_index(drop=True)
    counts = {"candidates": len(cand)}
    counts |= {r: int((reason == r).sum()) for r in REASONS}
    counts["scored"] = len(frame)
    last = None if last_record is None else pd.Timestamp(last_record)
    return CohortResult(frame, aside, counts, last)


def _say_after_last_record(cand: pd.DataFrame, late: pd.Series,
                           last: pd.Timestamp) -> None:
    """Warn about as-of dates after the data's last record; refuse if all are."""
    if not late.any():
        return
    days = sorted({d.date().isoformat() for d in cand.loc[late, "as_of"]})
    shown = ", ".join(days[:4]) + (f" and {len(days) - 4} more" if len(days) > 4
                                   else "")
    fix = f"end cohort.as_of on or before {last.date()}, or supply a newer extract"
    if cand["as_of"].le(last).sum() == 0:
        raise ConfigError("cohort", [
            f"cohort.as_of: every as-of date ({shown}) is after the data's last "
            f"record ({last.date()}), so no row can be scored (hint: {fix})"])
    n, rows = len(days), int(cand["as_of"].gt(last).sum())
    warnings.warn(
        f"{n} as-of date{'s are' if n != 1 else ' is'} after the data's last record "
        f"({last.date()}), so every row there is set aside ({rows} "
        f"row{'s' if rows != 1 else ''}): {shown}. Fix: {fix}",
        EarlysignalWarning, stacklevel=3)


def age_at(date_of_birth: pd.Series, when: pd.Series) -> pd.Series:
    """Age in whole years on ``when``; the birthday itself counts (29 Feb: 28 Feb).

    Examples
    --------
    >>> dob = pd.to_datetime(pd.Series(["2010-09-01", "2008-02-29", "2008-02-29"]))
    >>> t = pd.to_datetime(pd.Series(["2020-09-01", "2021-02-28", "2021-02-27"]))
    >>> age_at(dob, t).tolist()
    [10, 13, 12]
    """
    dob = pd.to_datetime(date_of_birth)
    t = pd.to_datetime(when)
    born = dob.dt.month * 100 + dob.dt.day
    # In a non-leap year a 29 February birthday is taken on 28 February, as
    # DateOffset does for the max_age birthday in follow-up.
    leap = (t.dt.year % 4 == 0) & ((t.dt.year % 100 != 0) | (t.dt.year % 400 == 0))
    born = born.where(~((born == 229) & ~leap), 228)
    before_birthday = (t.dt.month * 100 + t.dt.day) < born
    return (t.dt.year - dob.dt.year - before_birthday.astype("int64")).astype("Int64")


def is_active(
    tables: Mapping[str, pd.DataFrame], rule: ActiveRule, frame: pd.DataFrame
) -> pd.Series:
    """Whether each ``(person_id, as_of)`` row is active under ``rule`` at ``as_of``.

    A row counts if known before ``as_of`` and its last day (event date, spell end,
    period end; an open spell has none) is on or after ``as_of - within``. Done as
    one as-of join: the latest last day among rows known before ``as_of``.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({"episodes": pd.DataFrame({
    ...     "person_id": ["a"], "start_date": ["2019-09-01"], "end_date": ["2020-06-03"],
    ...     "source": ["school"], "episode_type": ["enrolment"]})})
    >>> rule = ActiveRule(table="episodes", source="school", within="90d")
    >>> f = pd.DataFrame({"person_id": ["a", "a"],
    ...                   "as_of": pd.to_datetime(["2020-09-01", "2020-09-02"])})
    >>> is_active(t, rule, f).tolist()
    [True, False]
    """
    rows = select_rows(tables[rule.table], rule.table, rule.source, rule.type)
    last_day = {
        "events": "event_date", "episodes": "end_date", "periods": "period_end"
    }[rule.table]
    far = pd.Timestamp("2999-12-31")
    right = pd.DataFrame({
        "person_id": rows["person_id"].astype("str").to_numpy(),
        "known_at": known_at(rule.table, rows).to_numpy(),
        "last_day": rows[last_day].astype(_DATE).fillna(far).to_numpy(),
    }).dropna(subset=["known_at"]).sort_values("known_at")
    # an empty table gives an object column, which merge_asof will not match
    right["person_id"] = right["person_id"].astype("str")
    right["last_day"] = right.groupby("person_id")["last_day"].cummax()
    left = pd.DataFrame({
        "person_id": frame["person_id"].astype("str").to_numpy(),
        "as_of": pd.to_datetime(frame["as_of"]).astype(_DATE).to_numpy(),
        "row": np.arange(len(frame)),
    }).sort_values("as_of")
    merged = pd.merge_asof(
        left, right, left_on="as_of", right_on="known_at", by="person_id",
        direction="backward", allow_exact_matches=False,
    ).sort_values("row")
    window = Window.parse(rule.within)
    if window.is_all:
        ok = merged["last_day"].notna()
    else:
        since = window.shift(merged["as_of"], -1)  # type: ignore[arg-type]
        ok = merged["last_day"] >= since
    return pd.Series(ok.to_numpy(dtype=bool), index=frame.index, name="active")


# --------------------------------------------------------------------------- candidates


def _candidates(
    tables: Mapping[str, pd.DataFrame],
    spec: CohortSpec,
    people: pd.DataFrame,
    base_dir: str | Path | None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Candidate rows (sorted) and a reason already known for some (else NA)."""
    form = spec.as_of
    if isinstance(form, Schedule | list):
        dates = form.dates() if isinstance(form, Schedule) else form
        when = pd.DatetimeIndex(sorted({pd.Timestamp(d) for d in dates}))
        ids = people.index.astype("str")
        cand = pd.DataFrame({
            "person_id": np.tile(ids.to_numpy(), len(when)),
            "as_of": np.repeat(when.to_numpy(dtype=_DATE), len(ids)),
        })
    elif isinstance(form, AtEventsAsOf):
        cand = _decision_points(tables["events"], form.at_events)
    else:
        cand = _read_decisions(form, base_dir)
    cand = cand.astype({"person_id": "str", "as_of": _DATE})
    cand = cand.sort_values(["as_of", "person_id"], kind="stable")
    reason = pd.Series(pd.NA, index=cand.index, dtype="object")
    reason = reason.mask(cand.duplicated(["person_id", "as_of"]), "duplicate")
    reason = reason.mask(~cand["person_id"].isin(people.index), "unknown_person")
    cand = cand.reset_index(drop=True)
    return cand, reason.reset_index(drop=True)


def _decision_points(events: pd.DataFrame, rule: AtEvents) -> pd.DataFrame:
    """One as-of row per person and event day: the day after it became known."""
    rows = select_rows(events, "events", rule.source, None)
    if rule.event_type is not None:
        rows = rows.loc[rows["event_type"].isin(rule.event_type)]
    first_known = (
        pd.DataFrame({"person_id": rows["person_id"],
                      "day": rows["event_date"].dt.normalize(),
                      "known": known_at("events", rows).dt.normalize()})
        .groupby(["person_id", "day"], as_index=False)["known"].min()
    )
    out = pd.DataFrame({
        "person_id": first_known["person_id"],
        "as_of": first_known["known"] + pd.Timedelta(days=1),
    })
    if rule.start is not None:
        out = out.loc[out["as_of"] >= pd.Timestamp(rule.start)]
    if rule.end is not None:
        out = out.loc[out["as_of"] <= pd.Timestamp(rule.end)]
    # Two events on different days may become known on the same day.
    return out.drop_duplicates()


def _read_decisions(form: DecisionTable, base_dir: str | Path | None
                    ) -> pd.DataFrame:
    from earlysignal.data._derive import person_key

    path = Path(form.table)
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.exists():
        raise DataError(
            "decision table not found", file=str(path),
            fix="check cohort.as_of.table (a relative path is read from the "
                "config's folder)",
        )
    df = pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") \
        else pd.read_csv(path, dtype="str")
    pid, as_of = form.column("person_id"), form.column("as_of")
    ids = [pid] if isinstance(pid, str) else pid
    missing = [c for c in [*ids, str(as_of)] if c not in df.columns]
    if missing:
        raise DataError(
            f"has no column {', '.join(repr(c) for c in missing)} "
            f"(found {list(df.columns)})",
            file=str(path), column=str(missing[0]),
            fix="give the decision table the columns person_id and as_of, or name "
                "its own columns under cohort.as_of.columns (person_id: one column "
                "or a list, as_of: the decision date)",
        )
    person = person_key(df, ids) if len(ids) > 1 else df[ids[0]].astype("str").where(
        df[ids[0]].notna())
    raw = df[str(as_of)]
    when = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = (when.isna() & raw.notna()) | raw.isna() | person.isna()
    if bad.any():
        col = ", ".join(ids) if person.isna()[bad].all() else str(as_of)
        raise DataError(
            "has missing or unreadable values", file=str(path), column=col,
            rows=[int(i) + 1 for i in np.flatnonzero(bad.to_numpy())],
            fix="give every row a person_id and an as_of date written YYYY-MM-DD",
        )
    return pd.DataFrame({"person_id": person.astype("str"),
                         "as_of": when.dt.normalize()})
