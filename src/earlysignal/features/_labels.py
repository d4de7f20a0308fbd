"""Labels: did a person escalate within a horizon after each as-of date?

A label looks *forward* from the as-of date ``t``, so it uses the dates on which
things **happened** (``event_date``, an episode's ``start_date``), not when they
were recorded: an escalation on day ``d`` with ``t < d <= t + horizon`` counts.
The only recording rule is that the row must be in the extract: an outcome whose
``recorded_at`` falls after the extract date is ignored, because a real extract
taken on that day would not hold it yet.

Follow-up ends at the earliest of the extract date, the day a person left the area
(their last spell on a roll ended with no later spell) and the day before their
``max_age`` birthday. An escalation seen inside ``(t, min(t + horizon,
followup_end)]`` is observed. A row whose follow-up ends before ``t + horizon`` is
*censored*, and ``censoring`` says what happens to it:

- ``exclude`` leaves out every censored row, **including those with an escalation
  seen before follow-up ended**. Keeping those positives while dropping the
  censored negatives would make exactly the people who leave early (Year 11
  leavers, movers) look far riskier than they are, and a model would learn that.
- ``negative`` counts censored rows as negatives unless an escalation was seen.

The extract date defaults to the data's last record date; one set later than it
is refused, since follow-up would seem to run on past the data. When the cohort
sets aside people already escalated, the label is a *first* escalation: a row
whose person's first outcome happened on or before ``t`` (recorded too late for
the cohort to see) is left out, never labelled on a later, repeat outcome.

This module also holds what cohorts and labels share: how a configured selection
of rows (table, source, type) is matched, and when a row became known.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from earlysignal.errors import ConfigError, DataError, EarlysignalWarning
from earlysignal.features._windows import Window, WindowError

__all__ = [
    "FollowUp",
    "LabelResult",
    "LeavesRule",
    "LabelSpec",
    "OutcomeRule",
    "RowSelector",
    "build_labels",
    "last_record_date",
    "latest_date",
    "outcome_known_before",
    "outcome_rows",
]

#: The column giving when a row happened (its own date), per canonical table.
OWN_DATE: dict[str, str] = {
    "events": "event_date",
    "episodes": "start_date",
    "periods": "period_end",
    "characteristics": "valid_from",
}
#: The column that a configured ``type`` matches, per canonical table.
TYPE_COLUMN: dict[str, str] = {
    "events": "event_type",
    "episodes": "episode_type",
    "periods": "measure",
}
_DATE: Final = "datetime64[us]"
_CENSOR_REASONS = ("extract_ends", "aged_out", "left_area")


# --------------------------------------------------------------------------- shared


def known_at(table: str, df: pd.DataFrame) -> pd.Series:
    """When each row became known: ``recorded_at`` if given, else its own date.

    A ``recorded_at`` earlier than the row's own date is taken as the own date,
    since nothing can be known before it happens.

    Examples
    --------
    >>> ev = pd.DataFrame({"event_date": pd.to_datetime(["2021-01-05", "2021-01-05"]),
    ...                    "recorded_at": pd.to_datetime(["2021-02-01", None])})
    >>> known_at("events", ev).dt.strftime("%Y-%m-%d").tolist()
    ['2021-02-01', '2021-01-05']
    """
    return known_on(df, OWN_DATE[table])


def known_on(df: pd.DataFrame, date_col: str) -> pd.Series:
    """The day each row became known, from its own date column ``date_col``.

    The one pandas statement of the "known, not happened" rule (the compiled
    queries state it in Ibis): ``recorded_at`` when given and later, else the
    row's own date, as a day.

    Examples
    --------
    >>> df = pd.DataFrame({"period_end": pd.to_datetime(["2021-03-31"]),
    ...                    "recorded_at": pd.to_datetime(["2021-04-09 14:30"])})
    >>> known_on(df, "period_end").dt.strftime("%Y-%m-%d").tolist()
    ['2021-04-09']
    """
    own = pd.to_datetime(df[date_col]).astype(_DATE).dt.normalize()
    if "recorded_at" not in df.columns:
        return own
    rec = pd.to_datetime(df["recorded_at"]).astype(_DATE).dt.normalize()
    return rec.where(rec > own, own)


def as_list(value: Any) -> list[str] | None:
    """A configured ``str | list[str] | None`` as a list (or None for "any")."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def select_rows(
    df: pd.DataFrame, table: str, source: Sequence[str] | None, type_: Sequence[str] | None
) -> pd.DataFrame:
    """Rows of a canonical table whose source and type are among those given."""
    mask = pd.Series(True, index=df.index)
    if source is not None:
        mask &= df["source"].isin(list(source))
    if type_ is not None:
        mask &= df[TYPE_COLUMN[table]].isin(list(type_))
    return df.loc[mask]


def lookup_dates(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """``dates`` (indexed by unique person_id) looked up for each key; NaT if absent."""
    # Series.map with an empty datetime Series fails on pandas 3; reindex does not.
    found = dates.astype(_DATE).reindex(keys.astype("str").to_numpy())
    return pd.Series(found.to_numpy(), index=keys.index, dtype=_DATE)


class SpecModel(BaseModel):
    """Base of the config models here: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def from_config(
        cls, data: Any, *, source: str = "config", path: str = ""
    ) -> Any:
        """Validate a parsed YAML mapping, raising one ConfigError with every problem.

        ``path`` is where the mapping sits in the YAML file (``"cohort"``), so that
        each problem is reported as ``cohort.age.min: ...``.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise config_error(exc, source=source, path=path) from None


_HINTS = {
    "missing": "add this key",
    "extra_forbidden": "remove it or check its spelling",
    "date_from_datetime_parsing": "write dates as YYYY-MM-DD",
    "date_parsing": "write dates as YYYY-MM-DD",
    "date_type": "write dates as YYYY-MM-DD",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "bool_parsing": "write true or false",
    "list_type": "write a list, such as [a, b]",
    "too_short": "give at least one entry",
}


def config_error(exc: ValidationError, *, source: str, path: str = "") -> ConfigError:
    """Turn a pydantic ValidationError into a ConfigError naming YAML paths and hints."""
    problems = []
    for err in exc.errors():
        where = _loc_text(path, err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        hint = _HINTS.get(str(err["type"]))
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        if hint and "hint:" not in msg:
            msg += f" (hint: {hint})"
        problems.append(f"{where}: {msg}" if where else msg)
    return ConfigError(source, problems)


def _loc_text(prefix: str, loc: Iterable[Any]) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith("~"):  # union tags are not YAML keys
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def parse_window(value: Any, *, allow_all: bool = False) -> str:
    """Validate a span written in a config; return its canonical label."""
    try:
        w = Window.parse(value)
    except WindowError as exc:
        raise ValueError(f"{exc} (hint: use 90d, 6 months, 1 term or 1y)") from None
    if w.is_all and not allow_all:
        raise ValueError("'all' has no end here (hint: use a length such as 12m)")
    return str(value).strip()


# --------------------------------------------------------------------------- specs


class RowSelector(SpecModel):
    """Rows of one canonical table, narrowed by ``source`` and ``type`` (absent: any).

    ``type`` matches ``event_type``, ``episode_type`` or (periods) ``measure``; a
    single value may be written without a list.
    """

    table: Literal["events", "episodes", "periods"]
    source: list[str] | None = None
    type: list[str] | None = None

    @field_validator("source", "type", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> list[str] | None:
        return as_list(v)


class OutcomeRule(RowSelector):
    """One kind of row that counts as the outcome (an escalation).

    ``table`` is ``events`` (the event's date) or ``episodes`` (the episode's start).
    """

    table: Literal["events", "episodes"]  # type: ignore[assignment]


class LeavesRule(RowSelector):
    """The spells (usually school enrolments) whose end means a person left the area."""

    table: Literal["episodes"] = "episodes"  # type: ignore[assignment]


class FollowUp(SpecModel):
    """When each person's follow-up ends; every part is optional."""

    extract_date: dt.date | None = None
    leaves: LeavesRule | None = None
    max_age: int | None = None

    @field_validator("max_age")
    @classmethod
    def _positive_age(cls, v: int | None) -> int | None:
        if v is not None and not 0 < v < 120:
            raise ValueError(f"{v} is not an age (hint: use a whole number such as 18)")
        return v


class LabelSpec(SpecModel):
    """What counts as escalation, over what horizon, and how censoring is treated.

    Examples
    --------
    >>> spec = LabelSpec.from_config({
    ...     "name": "youth_justice_fte", "horizon": "12m",
    ...     "outcome": [{"table": "events", "source": "youth_justice"}],
    ...     "followup": {"extract_date": "2024-08-31", "max_age": 18}})
    >>> spec.window.label, spec.censoring, spec.outcome[0].source
    ('12m', 'exclude', ['youth_justice'])
    >>> LabelSpec.from_config({"name": "x", "horizon": "12q", "outcome": []},
    ...                       source="demo.yaml", path="label")
    Traceback (most recent call last):
    ...
    earlysignal.errors.ConfigError: demo.yaml has 2 problems:
      - label.horizon: '12q' is not a time span (expected a positive number and a unit, such as 90d, 6m, 1y, 1 term, or the word all) (hint: use 90d, 6 months, 1 term or 1y)
      - label.outcome: List should have at least 1 item after validation, not 0 (hint: give at least one entry)
    """

    name: str = "escalation"
    description: str | None = None  # words for reports: "a youth-justice outcome"
    horizon: str
    outcome: list[OutcomeRule]
    censoring: Literal["exclude", "negative"] = "exclude"
    followup: FollowUp = FollowUp()

    @field_validator("horizon", mode="before")
    @classmethod
    def _horizon(cls, v: Any) -> str:
        return parse_window(v)

    @field_validator("outcome", mode="after")
    @classmethod
    def _some_outcome(cls, v: list[OutcomeRule]) -> list[OutcomeRule]:
        if not v:
            raise ValueError(
                "List should have at least 1 item after validation, not 0 "
                "(hint: give at least one entry)"
            )
        return v

    @property
    def window(self) -> Window:
        """The horizon as a :class:`Window`."""
        return Window.parse(self.horizon)


# --------------------------------------------------------------------------- outcome


def outcome_rows(
    tables: Mapping[str, pd.DataFrame], outcome: LabelSpec | Sequence[OutcomeRule]
) -> pd.DataFrame:
    """Every outcome row: ``person_id``, ``date`` (happened) and ``known_at``.

    This is the one place where the outcome definition is matched; cohorts (to set
    aside people already escalated) and labels both use it.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a", "a"], "event_date": ["2021-03-01", "2021-04-01"],
    ...     "source": ["youth_justice", "police"], "event_type": ["caution", "x"],
    ...     "recorded_at": ["2021-05-01", None]})})
    >>> out = outcome_rows(t, [OutcomeRule(table="events", source=["youth_justice"])])
    >>> out.astype({"date": str, "known_at": str}).values.tolist()
    [['a', '2021-03-01', '2021-05-01']]
    """
    rules = outcome.outcome if isinstance(outcome, LabelSpec) else list(outcome)
    parts = []
    for rule in rules:
        rows = select_rows(tables[rule.table], rule.table, rule.source, rule.type)
        parts.append(pd.DataFrame({
            "person_id": rows["person_id"].to_numpy(),
            "date": rows[OWN_DATE[rule.table]].astype(_DATE).to_numpy(),
            "known_at": known_at(rule.table, rows).to_numpy(),
        }))
    if not parts:
        return pd.DataFrame({"person_id": pd.Series([], dtype="str"),
                             "date": pd.Series([], dtype=_DATE),
                             "known_at": pd.Series([], dtype=_DATE)})
    out = pd.concat(parts, ignore_index=True)
    out["person_id"] = out["person_id"].astype("str")
    return out.astype({"date": _DATE, "known_at": _DATE})


def outcome_known_before(
    tables: Mapping[str, pd.DataFrame],
    outcome: LabelSpec | Sequence[OutcomeRule],
    frame: pd.DataFrame,
) -> pd.Series:
    """For each ``(person_id, as_of)`` row: was an outcome row known before ``as_of``?

    Only rows known before ``as_of`` (``known_at < as_of``) count, so the answer
    uses nothing that an as-of date could not see.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a"], "event_date": ["2021-03-01"],
    ...     "source": ["youth_justice"], "event_type": ["caution"],
    ...     "recorded_at": ["2021-05-01"]})})
    >>> rule = OutcomeRule(table="events", source=["youth_justice"])
    >>> f = pd.DataFrame({"person_id": ["a", "a", "b"],
    ...                   "as_of": pd.to_datetime(["2021-05-01", "2021-05-02", "2022-01-01"])})
    >>> outcome_known_before(t, [rule], f).tolist()
    [False, True, False]
    """
    rows = outcome_rows(tables, outcome)
    first = rows.groupby("person_id")["known_at"].min()
    when = lookup_dates(frame["person_id"], first)
    as_of = pd.to_datetime(frame["as_of"]).astype(_DATE)
    return (when < as_of).fillna(False).astype(bool).rename("outcome_known")


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelResult:
    """Labels for a cohort.

    ``frame`` has one row per cohort row: ``person_id``, ``as_of``, ``label``
    (Int8; ``NA`` for censored rows when ``censoring='exclude'``, and for rows
    set aside by ``first``), ``label_date`` (the escalation, NaT if none
    observed), ``label_known_at`` (the earliest day on which an escalation in the
    window was recorded: an extract taken before it showed no escalation there,
    so a model trained then could not have known the label), ``followup_end``
    (last day observed), ``censored`` (follow-up ended before ``as_of + horizon``,
    whether or not an escalation was seen), ``censor_reason`` (``left_area``,
    ``aged_out``, ``extract_ends`` or missing) and ``escalated_before`` (the
    person's first outcome happened on or before ``as_of``, whenever it was
    recorded). ``counts`` says how many rows ended where.
    """

    frame: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    extract_date: pd.Timestamp | None = None

    def training_frame(self) -> pd.DataFrame:
        """The rows with a label (censored rows dropped when they are excluded)."""
        return self.frame.loc[self.frame["label"].notna()].reset_index(drop=True)


def build_labels(
    tables: Mapping[str, pd.DataFrame],
    cohort_frame: pd.DataFrame,
    spec: LabelSpec,
    *,
    first: bool = False,
) -> LabelResult:
    """Label each ``(person_id, as_of)`` row: escalation in ``(as_of, as_of + horizon]``.

    Parameters
    ----------
    tables : CanonicalTables or mapping of table name to DataFrame
    cohort_frame : DataFrame
        ``person_id`` and ``as_of`` (as from :func:`build_cohort`).
    spec : LabelSpec
    first : bool
        The label is a *first* escalation (the cohort sets aside people already
        escalated). A row whose person's first outcome happened on or before
        ``as_of`` is then left out (label ``NA``), counted under
        ``first_outcome_on_or_before_as_of``: the cohort could not see that
        outcome (it was recorded on or after ``as_of``), but a later outcome
        would be a repeat, not a first. The label may use this hindsight.

    Returns
    -------
    LabelResult
        ``frame`` keeps the cohort's row order.

    Warns
    -----
    EarlysignalWarning
        When ``label.followup.extract_date`` is after the data's last record
        (:func:`last_record_date`): follow-up is taken to end at the last record,
        so rows whose window runs past it are set aside as censored (counted under
        ``censored_extract_ends``), never read as fully observed negatives.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({
    ...     "people": pd.DataFrame({"person_id": ["a", "b", "c"],
    ...                             "date_of_birth": ["2008-01-01"] * 3}),
    ...     "events": pd.DataFrame({"person_id": ["a", "b", "c"],
    ...         "event_date": ["2022-03-01", "2021-01-01", "2022-09-30"],
    ...         "source": ["youth_justice", "youth_justice", "school"],
    ...         "event_type": ["caution", "caution", "absence"]})})
    >>> spec = LabelSpec(horizon="12m", outcome=[{"table": "events",
    ...                  "source": "youth_justice"}])   # follow-up to 2022-09-30
    >>> cohort = pd.DataFrame({"person_id": ["a", "b", "c", "c"], "as_of":
    ...     pd.to_datetime(["2021-09-01", "2021-01-01", "2021-01-01", "2022-01-01"])})
    >>> res = build_labels(t, cohort, spec)  # b's event is on as_of itself: not counted
    >>> res.frame["label"].tolist(), res.frame["censored"].tolist()
    ([1, 0, 0, <NA>], [False, False, False, True])
    >>> res.counts["positives"], res.counts["censored_extract_ends"]
    (1, 1)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     late = build_labels(t, cohort, spec.model_copy(update={"followup":
    ...         FollowUp(extract_date="2023-01-31")}))
    >>> late.frame.equals(res.frame), "after the data's last record" in str(w[0].message)
    (True, True)
    """
    f = pd.DataFrame({
        "person_id": cohort_frame["person_id"].astype("str").to_numpy(),
        "as_of": pd.to_datetime(cohort_frame["as_of"]).astype(_DATE).to_numpy(),
    })
    last = last_record_date(tables)
    stated = extract = (
        pd.Timestamp(spec.followup.extract_date)
        if spec.followup.extract_date is not None
        else latest_date(tables)
    )
    if spec.followup.extract_date is not None and last is not None and extract > last:
        extract = last  # follow-up cannot run past the data (warned below)
    horizon_end = pd.Series(spec.window.shift(f["as_of"]))  # type: ignore[arg-type]
    ends = _followup_ends(tables, f["person_id"], spec.followup, extract)
    followup_end = ends.min(axis=1)
    reason = _first_min_column(ends)

    outcomes = outcome_rows(tables, spec)
    outcomes = outcomes.loc[outcomes["known_at"] <= extract]
    seen_until = horizon_end.where(horizon_end < followup_end, followup_end)
    label_date = _first_after(f, outcomes)
    seen = label_date <= seen_until
    before = _first_outcome_by(f, outcomes)
    if first:  # a later outcome is a repeat, never a first escalation
        seen &= ~before
    label_date = label_date.where(seen)
    label_known_at = _earliest_known_within(f, outcomes, seen_until, seen)

    censored = followup_end < horizon_end
    label = pd.Series(np.where(label_date.notna(), 1, 0), dtype="Int8")
    if spec.censoring == "exclude":
        label = label.mask(censored)
    if first:
        label = label.mask(before)
    out = pd.DataFrame({
        "person_id": f["person_id"],
        "as_of": f["as_of"],
        "label": label,
        "label_date": label_date.astype(_DATE),
        "label_known_at": label_known_at.astype(_DATE),
        "followup_end": followup_end.astype(_DATE),
        "censored": censored.astype(bool),
        "censor_reason": reason.where(censored).astype("str"),
        "escalated_before": before.astype(bool),
    })
    if stated > extract:
        _warn_extract(stated, extract, out, horizon_end, spec)
    out.index = cohort_frame.index
    counts = _label_counts(out, spec, first)
    counts["rows_before_first_record"] = _before_first_record(tables, spec, f)
    return LabelResult(out, counts, extract)


def _warn_extract(stated: pd.Timestamp, last: pd.Timestamp, out: pd.DataFrame,
                  horizon_end: pd.Series, spec: LabelSpec) -> None:
    """Say that follow-up was cut at the data's last record, and what that cost.

    An extract date after the last record would let follow-up run on past the
    data, so that rows whose window reaches beyond it read as observed negatives;
    they are set aside as censored instead, and counted here.
    """
    n = int((out["censored"] & (horizon_end > last)).sum())
    day = last.date()
    warnings.warn(
        f"label.followup.extract_date: {stated.date()} is after the data's last "
        f"record ({day}), so follow-up is taken to end on {day}: {n:,} cohort "
        f"row{'s' if n != 1 else ''} whose {spec.horizon} "
        f"window{'s run' if n != 1 else ' runs'} past it "
        f"{'are' if n != 1 else 'is'} set aside as censored rather than read as "
        "negatives. Fix: set it to the date the extract was taken, on or before "
        f"{day}, or leave it out so that the data's last record date is used",
        EarlysignalWarning, stacklevel=3)


def _before_first_record(tables: Mapping[str, pd.DataFrame], spec: LabelSpec,
                         f: pd.DataFrame) -> int:
    """Rows whose label window opens before the outcome table's first record.

    Escalations there cannot be seen, so those rows read as negatives that may
    not be; a cohort that starts before its data does is warned about.
    """
    firsts = [pd.to_datetime(tables[t][OWN_DATE[t]]).min()
              for t in {rule.table for rule in spec.outcome}
              if t in tables and len(tables[t])]
    if not firsts:
        return 0
    first = min(firsts)
    early = f["as_of"] < first
    if early.any():
        dates = sorted({d.date().isoformat() for d in f.loc[early, "as_of"]})
        warnings.warn(
            f"{int(early.sum())} cohort rows at as-of dates before the first record "
            f"of the outcome table ({first.date()}): {', '.join(dates[:4])}"
            f"{f' and {len(dates) - 4} more' if len(dates) > 4 else ''}. "
            "Escalations in their label windows cannot be seen, so they read as "
            "negatives. Fix: start the "
            f"cohort on or after {first.date()}, or supply the earlier records",
            EarlysignalWarning, stacklevel=3)
    return int(early.sum())


def latest_date(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp:
    """The data's last record date: the default extract date.

    Raises a DataError when no table holds a dated row (see
    :func:`last_record_date`).

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({"events": pd.DataFrame({
    ...     "person_id": ["a"], "event_date": ["2024-01-05"], "source": ["s"],
    ...     "event_type": ["x"], "recorded_at": ["2024-02-01"]})})
    >>> latest_date(t)
    Timestamp('2024-02-01 00:00:00')
    """
    last = last_record_date(tables)
    if last is None:
        raise DataError(
            "holds no dated rows, so there is no extract date to end follow-up",
            file="events/episodes/periods",
            fix="set label.followup.extract_date in the config",
        )
    return last


def last_record_date(tables: Mapping[str, pd.DataFrame]) -> pd.Timestamp | None:
    """The latest day on which any row became known (None if no row is dated).

    Each row counts on the day it became known (:func:`known_at`: its own date,
    or a later ``recorded_at``). An episode's ``end_date`` does not count: a
    planned end can lie after the extract was taken, and taking it as a record
    would stretch follow-up past the data.

    Examples
    --------
    >>> from earlysignal.data import CanonicalTables
    >>> t = CanonicalTables.from_frames({"episodes": pd.DataFrame({
    ...     "person_id": ["a"], "start_date": ["2024-01-05"],
    ...     "end_date": ["2025-07-31"], "source": ["school"],
    ...     "episode_type": ["enrolment"], "recorded_at": ["2024-01-20"]})})
    >>> last_record_date(t)
    Timestamp('2024-01-20 00:00:00')
    """
    found = [
        known_at(name, tables[name]).max()
        for name in OWN_DATE
        if name in tables and len(tables[name])
    ]
    found = [d for d in found if pd.notna(d)]
    return pd.Timestamp(max(found)) if found else None


def _followup_ends(
    tables: Mapping[str, pd.DataFrame],
    person_id: pd.Series,
    followup: FollowUp,
    extract: pd.Timestamp,
) -> pd.DataFrame:
    """One column per way follow-up can end (NaT when it does not apply)."""
    ends = pd.DataFrame(
        {"extract_ends": pd.Series(extract, index=person_id.index).astype(_DATE)}
    )
    if followup.max_age is not None:
        people = tables["people"].drop_duplicates("person_id").set_index("person_id")
        dob = lookup_dates(person_id, people["date_of_birth"])
        # The last day under max_age: on the birthday itself they are an adult.
        ends["aged_out"] = (
            dob + pd.DateOffset(years=followup.max_age) - pd.Timedelta(days=1)
        ).astype(_DATE)
    if followup.leaves is not None:
        rule = followup.leaves
        spells = select_rows(tables["episodes"], "episodes", rule.source, rule.type)
        by = spells.groupby("person_id")["end_date"]
        still_on_roll = spells["end_date"].isna().groupby(spells["person_id"]).any()
        left = by.max().where(~still_on_roll)
        ends["left_area"] = lookup_dates(person_id, left)
    return ends


def _first_min_column(ends: pd.DataFrame) -> pd.Series:
    """Name of the column holding each row's minimum; ties go to the first column
    (leaving on the extract day is the extract ending, not a move away)."""
    days = ends.to_numpy(dtype="datetime64[us]").astype("int64")
    days = np.where(ends.isna().to_numpy(), np.iinfo("int64").max, days)
    return pd.Series(np.asarray(ends.columns)[days.argmin(axis=1)], index=ends.index)


def _first_after(frame: pd.DataFrame, outcomes: pd.DataFrame) -> pd.Series:
    """The date of the first outcome strictly after each row's ``as_of`` (NaT if
    none)."""
    left = frame[["person_id", "as_of"]].reset_index().sort_values("as_of")
    right = (outcomes[["person_id", "date"]].dropna(subset=["date"])
             .drop_duplicates().sort_values("date"))
    # empty frames come out as object columns, which merge_asof will not match
    left["person_id"] = left["person_id"].astype("str")
    right["person_id"] = right["person_id"].astype("str")
    merged = pd.merge_asof(
        left, right, left_on="as_of", right_on="date", by="person_id",
        direction="forward", allow_exact_matches=False,
    )
    return merged.set_index("index")["date"].reindex(frame.index).astype(_DATE)


def _first_outcome_by(frame: pd.DataFrame, outcomes: pd.DataFrame) -> pd.Series:
    """Whether each row's person had their first outcome on or before ``as_of``
    (whenever it was recorded)."""
    first = outcomes.groupby("person_id")["date"].min()
    when = lookup_dates(frame["person_id"], first)
    return (when <= frame["as_of"]).fillna(False).astype(bool)


def _earliest_known_within(frame: pd.DataFrame, outcomes: pd.DataFrame,
                           until: pd.Series, rows: pd.Series) -> pd.Series:
    """For the ``rows`` flagged, the earliest ``known_at`` among outcomes dated in
    ``(as_of, until]`` (NaT elsewhere).

    This is when an extract first showed the row as positive: any outcome in the
    window will do, not only the first one to happen.
    """
    left = pd.DataFrame({"row": np.flatnonzero(rows.to_numpy()),
                         "person_id": frame["person_id"].to_numpy()[rows.to_numpy()],
                         "as_of": frame["as_of"].to_numpy()[rows.to_numpy()],
                         "until": until.to_numpy()[rows.to_numpy()]})
    right = outcomes[["person_id", "date", "known_at"]].astype({"person_id": "str"})
    both = left.merge(right, on="person_id")
    inside = both.loc[(both["date"] > both["as_of"]) & (both["date"] <= both["until"])]
    earliest = inside.groupby("row")["known_at"].min()
    out = pd.Series(pd.NaT, index=frame.index, dtype=_DATE)
    out.iloc[earliest.index.to_numpy()] = earliest.to_numpy()
    return out


def _label_counts(out: pd.DataFrame, spec: LabelSpec, first: bool
                  ) -> dict[str, int]:
    """How many rows ended where; each row is counted once.

    ``rows`` = ``positives`` + ``negatives`` + ``censored_excluded`` +
    ``first_outcome_on_or_before_as_of``. Rows set aside for an earlier first
    outcome are not counted again as censored.
    """
    aside = out["escalated_before"] if first else pd.Series(False, index=out.index)
    censored = out["censored"] & ~aside
    seen = out["label_date"].notna()
    exclude = spec.censoring == "exclude"
    counts = {
        "rows": len(out),
        "positives": int(out["label"].eq(1).sum()),
        "negatives": int(out["label"].eq(0).sum()),
        "censored_excluded": int(censored.sum()) if exclude else 0,
        "censored_excluded_with_escalation": int((censored & seen).sum())
        if exclude else 0,
        "censored_negative": int((censored & ~seen).sum()) if not exclude else 0,
        "first_outcome_on_or_before_as_of": int(aside.sum()),
    }
    for reason in ("left_area", "aged_out", "extract_ends"):
        counts[f"censored_{reason}"] = int(
            (censored & out["censor_reason"].eq(reason)).sum()
        )
    return counts
