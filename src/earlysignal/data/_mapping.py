"""Source mappings: how a user's own exports become the five canonical tables.

A mapping is a YAML file next to the exports. It says, for each canonical table,
which file (CSV or Parquet) or SQL query holds it, which of the user's columns is
which canonical column, how local codes translate, and how dates are written.
File paths are relative to the mapping file's folder.

A full example::

    extract_date: 2024-08-31     # optional; rows dated after it are set aside
    earliest_date: 1990-01-01    # optional (this is the default); earlier rows set aside
    max_set_aside: 0.01          # the load stops when a date rule (earliest_date,
                                 # extract_date) would set aside more of a source
    dayfirst: true               # how to read 03/04/2021 when no date_format is given
    encoding: utf-8-sig          # default text encoding of CSV files (a BOM is fine)
    pseudonymise: true           # replace person ids with keyed pseudonyms on load
    key_file: ../secrets/pseudonym.key   # or the env var EARLYSIGNAL_PSEUDONYM_KEY
                                 # (the key itself is never written in a mapping)
    tables:
      people:
        file: pupils.csv
        columns: {person_id: UPN, date_of_birth: DOB}
        extra_columns: {school: SchoolCode, team: Locality}  # carried as they are
        date_format: "%d/%m/%Y"  # one format for every date column of this source,
                                 # or per column: {date_of_birth: "%d/%m/%Y"}
      events:                    # a table may have a list of sources
        - file: behaviour.csv
          delimiter: ";"         # default ","
          columns: {person_id: UPN, event_date: IncidentDate, event_type: Code,
                    value: Days}
          values: {source: school}           # a constant for an absent column
          codes:                             # local code -> canonical value
            event_type: {BEH: behaviour_incident, FTE: suspension,
                         PEX: permanent_exclusion}
          unmapped_codes: error  # error (default) | set_aside | keep
        - query: "SELECT child_id, contact_date, kind FROM contacts"
          connection: sqlite:///police.db    # any SQLAlchemy URL, or duckdb:///x.db
          name: police contacts              # label in the load report
          columns: {person_id: child_id, event_date: contact_date,
                    event_type: kind}
          values: {source: police}
      episodes:
        - file: cms_episodes.csv
          encoding: cp1252
          columns: {person_id: ChildID, start_date: Start, end_date: End,
                    episode_type: Type}
          values: {source: social_care}
          codes: {episode_type: {CIN: child_in_need, CP: child_protection,
                                 LAC: looked_after}}
      periods:
        - file: census_attendance.csv        # wide: one column per measure
          columns: {person_id: UPN, period_start: TermStart, period_end: TermEnd}
          measures: {sessions_possible: SessPoss, authorised_absence: AuthAbs,
                     unauthorised_absence: UnauthAbs}
        - attendance_marks:                  # daily DfE register marks
            file: marks.csv
            columns: {person_id: UPN, date: Date, mark: Mark, session: AMPM}
            period: term                     # term | month | week | day
            codes: {"-": not_counted}        # extra local marks, by category
      characteristics:
        - file: characteristics.csv          # long: attribute, value, valid_from
          columns: {person_id: UPN, attribute: Field, value: Value,
                    valid_from: From, valid_to: To}
        - file: pupils.csv                   # or wide: one column per attribute
          columns: {person_id: UPN, valid_from: AdmissionDate}
          attributes: {sex: Gender, ethnicity: EthnicGroup}

Keys are read as written, so local codes such as ``01``, ``Y`` or ``no`` stay
text; only ``true``/``false`` are booleans.

What real extracts often need (each key is checked like the others; an unknown
one is reported with the keys allowed there)::

    data_root: ${EXTRACT_DIR:-../extract}   # folder of the files: an environment
                                 # variable, with a default relative to this file
    x-student: &student [id_student, code_module]  # x- keys hold YAML anchors
    tables:
      people:
        file: students.csv
        columns: {person_id: *student}       # several columns make one key
                                             # ("7|AAA"), pseudonymised as one
                                             # (date_of_birth may be left out)
      events:
        - file: submissions.csv
          join: {file: assessments.csv, on: id_assessment}  # a lookup: adds its
                                             # columns; a row with no match is set
                                             # aside, or kept (unmatched: keep);
                                             # many: true meets every match
          where: {type: [TMA, CMA], submitted: {above: due}}  # rows kept: every
                                             # condition met; others are counted
                                             # as "filtered by rule". A condition
                                             # is a value, a list, or equals, not,
                                             # missing, min, max, above, below (a
                                             # number or another column)
          columns:
            person_id: *student
            event_date: {days: due, offset: 1d,  # days after an anchor date,
                         anchor: {column: presentation,  # from a date column or
                                  dates: {2013J: 2013-10-01}}}  # a date per code
            recorded_at: {first_of: [marked, entered], offset: -1d}  # the first
                                             # non-empty date, moved a day back
          values: {source: university, event_type: late_submission}

:meth:`SourceMapping.from_yaml` checks everything it can before any data is read
and raises one :class:`~earlysignal.errors.ConfigError` listing every problem
with its YAML path, for example
``tables.events[0].columns.event_dat: unknown canonical column (did you mean
event_date?)``.
"""

from __future__ import annotations

import codecs
import difflib
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from earlysignal.data._schema import TABLE_NAMES, TABLES
from earlysignal.errors import ConfigError

__all__ = ["AnchorDates", "AttendanceMarks", "DateRule", "Join", "SourceMapping",
           "TableSource"]

#: The categories a daily register mark can fall in (see ``marks_to_periods``).
MARK_CATEGORIES = (
    "present",
    "approved_activity",
    "authorised_absence",
    "unauthorised_absence",
    "not_counted",
)
MARK_COLUMNS = ("person_id", "date", "mark", "session")
FILE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")
_KEY_WORDS = {"key", "pseudonym_key", "pseudonymisation_key", "hmac_key", "secret"}


def _is_number(text: object) -> bool:
    try:
        float(str(text))
    except ValueError:
        return False
    return True


def suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean x?)`` for a close match among ``options``, else ``''``.

    Examples
    --------
    >>> suggest("event_dat", ["event_date", "source"])
    ' (did you mean event_date?)'
    """
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(str(word).lower(), list(lowered), n=1, cutoff=0.6)
    return f" (did you mean {lowered[close[0]]}?)" if close else ""


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class _Reading(_Base):
    """Where a source's rows come from and how its text is read."""

    file: str | None = None
    query: str | None = None
    connection: str | None = None
    name: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    dayfirst: bool | None = None
    date_format: str | dict[str, str] | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    unmapped_codes: Literal["error", "set_aside", "keep"] = "error"

    @property
    def label(self) -> str:
        """How the report and error messages name this source."""
        if self.name:
            return self.name
        if self.file:
            return self.file
        q = " ".join(str(self.query).split())
        return f"query '{q[:60]}{'...' if len(q) > 60 else ''}'"

    def date_format_for(self, column: str) -> str | None:
        if isinstance(self.date_format, dict):
            return self.date_format.get(column)
        return self.date_format


class AnchorDates(_Base):
    """A date looked up from a code: ``{column: code_presentation, dates: {2013J:
    2013-10-01}}``."""

    column: str
    dates: dict[str, date]


class DateRule(_Base):
    """How one canonical date is made from the user's columns.

    Exactly one of ``column`` (a date column), ``first_of`` (the first non-empty
    of several date columns) or ``days`` (a number of days, or the first
    non-empty of several, counted from ``anchor``: a date column or
    :class:`AnchorDates`); ``offset`` (``-1d``, ``2w``) then moves the date.
    """

    column: str | None = None
    first_of: list[str] | None = None
    days: str | list[str] | None = None
    anchor: str | AnchorDates | None = None
    offset: str | None = None

    @property
    def day_columns(self) -> list[str]:
        return [self.days] if isinstance(self.days, str) else list(self.days or [])

    @property
    def user_columns(self) -> list[str]:
        """Every user column the rule reads (anchor last)."""
        cols = [self.column] if self.column else list(self.first_of or [])
        cols += self.day_columns
        if self.anchor is not None:
            cols.append(self.anchor if isinstance(self.anchor, str)
                        else self.anchor.column)
        return cols

    @property
    def offset_days(self) -> int:
        if not self.offset:
            return 0
        m = _OFFSET.fullmatch(self.offset.replace(" ", ""))
        assert m is not None  # checked when the mapping was read
        return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


_OFFSET = re.compile(r"([+-]?\d+)([dw])")
#: Operators of a ``where:`` condition written as a mapping.
WHERE_OPERATORS = ("equals", "not", "missing", "min", "max", "above", "below")


class Join(_Base):
    """Columns of another file joined to each row on key columns (``on``).

    Without ``many`` each key must appear once in the joined file (a lookup);
    with ``many: true`` a row meets every matching row. A row with no match is set
    aside (``no match in FILE``), or kept with empty joined columns
    (``unmatched: keep``: rows without a submission, say).
    """

    file: str
    on: str | list[str]
    many: bool = False
    unmatched: Literal["set_aside", "keep"] = "set_aside"
    delimiter: str | None = None
    encoding: str | None = None

    @property
    def keys(self) -> list[str]:
        return [self.on] if isinstance(self.on, str) else list(self.on)


class TableSource(_Reading):
    """One file or query feeding a canonical table.

    ``columns`` maps canonical column -> the user's column (``person_id`` may be a
    list of columns joined into one key; a date may be a :class:`DateRule`);
    ``values`` gives a constant for a canonical column absent from the source;
    ``codes`` translates local codes per canonical column; ``measures`` (periods)
    and ``attributes`` (characteristics) turn one column per measure or attribute
    into rows; ``extra_columns`` carries further columns as they are (name -> user
    column); ``join`` adds columns from other files; ``where`` keeps only the rows
    meeting every condition.
    """

    columns: dict[str, str | list[str] | DateRule] = Field(  # type: ignore[assignment]
        default_factory=dict)
    join: list[Join] = Field(default_factory=list)
    where: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, str | float] = Field(default_factory=dict)
    codes: dict[str, dict[str, str]] = Field(default_factory=dict)
    measures: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)
    extra_columns: dict[str, str] | list[str] = Field(default_factory=dict)

    @property
    def extras(self) -> dict[str, str]:
        if isinstance(self.extra_columns, list):
            return {c: c for c in self.extra_columns}
        return dict(self.extra_columns)

    @property
    def unpivot(self) -> dict[str, str]:
        return dict(self.measures or self.attributes)

    @field_validator("join", mode="before")
    @classmethod
    def _one_join(cls, v: Any) -> Any:
        return [v] if isinstance(v, Mapping) else v

    def shown(self, canonical: str) -> str:
        """The user column(s) behind a canonical column, for messages."""
        given = self.columns.get(canonical, canonical)
        if isinstance(given, DateRule):
            return ", ".join(given.user_columns)
        return ", ".join(given) if isinstance(given, list) else given

    def read_columns(self) -> dict[str, str]:
        """Every user column this source reads, with what it is needed for."""
        out: dict[str, str] = {}
        for c, u in self.columns.items():
            names = (u.user_columns if isinstance(u, DateRule)
                     else u if isinstance(u, list) else [u])
            out.update({f"{c} ({n})" if len(names) > 1 else c: n for n in names})
        out.update({f"where: {c}": c for c in self.where})
        for c, cond in self.where.items():
            if isinstance(cond, Mapping):
                for op in ("min", "max", "above", "below"):
                    v = cond.get(op)
                    if isinstance(v, str) and not _is_number(v):
                        out[f"where: {c} {op}"] = v
        return out


class AttendanceMarks(_Reading):
    """Daily register marks (one row per pupil session) summed into ``periods``.

    ``columns`` maps ``person_id``, ``date``, ``mark`` and optionally ``session``
    (AM/PM); ``codes`` adds or overrides marks by category (one of
    ``present``, ``approved_activity``, ``authorised_absence``,
    ``unauthorised_absence``, ``not_counted``).
    """

    period: Literal["term", "month", "week", "day"] = "term"
    codes: dict[str, str] = Field(default_factory=dict)  # type: ignore[assignment]


Source = TableSource | AttendanceMarks


class SourceMapping(_Base):
    """A validated source mapping; build it with :meth:`from_yaml`.

    Examples
    --------
    >>> m = SourceMapping.from_dict({"tables": {"people": {
    ...     "file": "pupils.csv", "columns": {"person_id": "UPN",
    ...                                       "date_of_birth": "DOB"}}}})
    >>> m.sources("people")[0].columns["person_id"]
    'UPN'
    >>> SourceMapping.from_dict({"tables": {"people": {"file": "p.csv",
    ...     "columns": {"person_id": "UPN", "date_of_brith": "DOB"}}}})
    Traceback (most recent call last):
    ...
    earlysignal.errors.ConfigError: mapping has 1 problem:
      - tables.people.columns.date_of_brith: unknown canonical column of people (did you mean date_of_birth?)
    """

    extract_date: date | None = None
    earliest_date: date = date(1990, 1, 1)
    max_set_aside: float = Field(0.01, ge=0, le=1)
    dayfirst: bool = True
    encoding: str = "utf-8-sig"
    pseudonymise: bool = False
    key_file: str | None = None
    data_root: str | None = None
    tables: dict[str, list[Source]] = Field(default_factory=dict)
    _base_dir: Path = PrivateAttr(default=Path("."))
    _origin: str = PrivateAttr(default="mapping")

    @property
    def base_dir(self) -> Path:
        """The mapping file's folder (``key_file`` and ``data_root`` are read from it)."""
        return self._base_dir

    @property
    def data_dir(self) -> Path:
        """The folder that relative file paths are read from: ``data_root`` (with
        ``${VAR}`` and ``${VAR:-default}`` taken from the environment), else the
        mapping file's folder.

        Examples
        --------
        >>> import os
        >>> os.environ["EXTRACT_DIR"] = "/data/extract-2024"
        >>> m = SourceMapping.from_dict({"data_root": "${EXTRACT_DIR}", "tables": {
        ...     "people": {"file": "p.csv", "columns": {"person_id": "UPN"}}}})
        >>> str(m.data_dir)
        '/data/extract-2024'
        """
        if self.data_root is None:
            return self._base_dir
        root = Path(expand_env(self.data_root)).expanduser()
        return root if root.is_absolute() else self._base_dir / root

    @property
    def origin(self) -> str:
        """Where this mapping came from (the YAML file name), for messages."""
        return self._origin

    def sources(self, table: str) -> list[Source]:
        """The sources feeding ``table`` (empty if it is not mapped)."""
        return list(self.tables.get(table, []))

    @classmethod
    def from_yaml(cls, path: str | Path) -> SourceMapping:
        """Read and check a mapping file; raises one ConfigError listing all problems."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(str(path), [f"file not found (looked for {path.resolve()})"])
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            raise ConfigError(str(path), [_not_utf8(path, e)]) from None
        try:
            raw = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as e:
            raise ConfigError(str(path), [f"is not valid YAML: {e}"]) from e
        return cls.from_dict(raw, origin=str(path), base_dir=path.parent)

    @classmethod
    def from_dict(
        cls,
        raw: Any,
        *,
        origin: str = "mapping",
        base_dir: str | Path = ".",
    ) -> SourceMapping:
        """Check a mapping already read into Python objects (as from YAML)."""
        problems: list[str] = []
        mapping = _build(raw, problems)
        if problems or mapping is None:
            raise ConfigError(origin, problems or ["the mapping is empty"])
        mapping._base_dir = Path(base_dir)
        mapping._origin = origin
        return mapping


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str) -> str:
    """``${NAME}`` and ``${NAME:-default}`` replaced from the environment.

    Raises KeyError naming the first variable that is unset and has no default.
    """
    def one(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        if value:
            return value
        if m.group(2) is None:
            raise KeyError(m.group(1))
        return m.group(2)

    return _ENV.sub(one, text)


def _not_utf8(path: Path, e: UnicodeDecodeError) -> str:
    line = path.read_bytes().count(b"\n", 0, e.start) + 1
    return (f"is not UTF-8 text: byte 0x{e.object[e.start]:02x} at line {line} cannot "
            "be decoded (save the file as UTF-8; in Notepad choose 'Save as' with "
            "encoding UTF-8)")


# ---------------------------------------------------------------- YAML reading


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps mapping keys as written and reads only true/false as bools.

    Local codes are mapping keys (``01: x``, ``Y: yes``); YAML 1.1 would turn them
    into numbers and booleans and they would then never match the data.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
        else:
            key = loader.construct_object(key_node, deep=True)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# ---------------------------------------------------------------- checking


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    out = prefix
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _pydantic_problems(
    err: ValidationError, prefix: str, model: type[BaseModel]
) -> list[str]:
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        where = _path(prefix, loc)
        if e["type"] == "extra_forbidden":
            name = str(loc[-1])
            hint = suggest(name, list(model.model_fields))
            problems.append(f"{where}: unknown setting{hint} (settings here are "
                            f"{', '.join(model.model_fields)})")
        elif e["type"] == "literal_error":
            problems.append(f"{where}: {e['msg'].lower()}, got {e['input']!r}")
        else:
            problems.append(f"{where}: {e['msg']}")
    return problems


def _validate(model: type[_Base], raw: Any, prefix: str, problems: list[str]) -> Any:
    if not isinstance(raw, Mapping):
        problems.append(f"{prefix}: expected a mapping of settings, got {raw!r}")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        problems.extend(_pydantic_problems(e, prefix, model))
        return None


def _build(raw: Any, problems: list[str]) -> SourceMapping | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(f"the mapping must be a set of settings, got {type(raw).__name__}")
        return None
    for word in sorted(_KEY_WORDS & set(raw)):
        problems.append(
            f"{word}: a pseudonym key must never be written in the mapping (anyone "
            "who reads it could undo the pseudonyms); set the environment variable "
            "EARLYSIGNAL_PSEUDONYM_KEY or point key_file: at a file only you can read"
        )
    # keys starting x- hold YAML anchors (&name) for reuse, as in compose files
    top = {k: v for k, v in raw.items() if k not in _KEY_WORDS | {"tables"}
           and not str(k).startswith("x-")}
    header = _validate(SourceMapping, top, "", problems)
    if header is not None and header.data_root is not None:
        try:
            expand_env(header.data_root)
        except KeyError as e:
            problems.append(
                f"data_root: the environment variable {e.args[0]} is not set (set "
                f"it to the folder holding the extract, or write "
                f"${{{e.args[0]}:-FOLDER}} to give a default)")
    if header is not None:
        try:
            codecs.lookup(header.encoding)
        except LookupError:
            problems.append(f"encoding: unknown text encoding {header.encoding!r}")
    tables_raw = raw.get("tables")
    if not isinstance(tables_raw, Mapping) or not tables_raw:
        problems.append(
            "tables: missing; list the canonical tables to load, at least people "
            f"(tables are {', '.join(TABLE_NAMES)})"
        )
        return None
    tables: dict[str, list[Source]] = {}
    for name, entry in tables_raw.items():
        if name not in TABLES:
            problems.append(
                f"tables.{name}: unknown canonical table{suggest(name, TABLE_NAMES)}"
            )
            continue
        tables[name] = _build_table(str(name), entry, problems)
    if "people" not in tables_raw:
        problems.append(
            "tables.people: missing; every mapping needs the people table "
            "(person_id, date_of_birth) so that other rows can be linked to a person"
        )
    if header is None or problems:
        return None
    return SourceMapping.model_validate({**header.model_dump(), "tables": tables})


def _build_table(table: str, entry: Any, problems: list[str]) -> list[Source]:
    items = entry if isinstance(entry, list) else [entry]
    single = not isinstance(entry, list)
    out: list[Source] = []
    for i, item in enumerate(items):
        prefix = f"tables.{table}" if single else f"tables.{table}[{i}]"
        if isinstance(item, Mapping) and "attendance_marks" in item:
            marks = _build_marks(table, item, prefix, problems)
            if marks is not None:
                out.append(marks)
            continue
        item = _prepare_source(item, prefix, problems)
        src = _validate(TableSource, item, prefix, problems)
        if src is not None:
            problems.extend(_check_reading(src, prefix))
            problems.extend(_check_table_source(table, src, prefix))
            out.append(src)
    return out


def _build_marks(
    table: str, item: Mapping, prefix: str, problems: list[str]
) -> AttendanceMarks | None:
    if table != "periods":
        problems.append(
            f"{prefix}.attendance_marks: daily marks can only feed the periods table"
        )
        return None
    others = sorted(set(item) - {"attendance_marks"})
    if others:
        problems.append(
            f"{prefix}: put {', '.join(others)} inside attendance_marks: "
            "(nothing else belongs next to it)"
        )
    prefix = f"{prefix}.attendance_marks"
    marks = _validate(AttendanceMarks, item["attendance_marks"], prefix, problems)
    if marks is None:
        return None
    problems.extend(_check_reading(marks, prefix))
    for col in marks.columns:
        if col not in MARK_COLUMNS:
            problems.append(
                f"{prefix}.columns.{col}: unknown marks column{suggest(col, MARK_COLUMNS)}"
                f" (marks columns are {', '.join(MARK_COLUMNS)})"
            )
    for col in ("person_id", "date", "mark"):
        if col not in marks.columns:
            problems.append(f"{prefix}.columns: the marks column '{col}' is required")
    for code, category in marks.codes.items():
        if category not in MARK_CATEGORIES:
            problems.append(
                f"{prefix}.codes.{code}: unknown category {category!r}"
                f"{suggest(category, MARK_CATEGORIES)} (one of "
                f"{', '.join(MARK_CATEGORIES)})"
            )
    return marks


def _prepare_source(item: Any, prefix: str, problems: list[str]) -> Any:
    """Read date rules and joins in ``item`` with messages that name their own
    settings (a pydantic union would report every alternative)."""
    if not isinstance(item, Mapping):
        return item
    out = dict(item)
    cols = item.get("columns")
    if isinstance(cols, Mapping):
        fixed: dict[Any, Any] = {}
        for col, given in cols.items():
            here = f"{prefix}.columns.{col}"
            if isinstance(given, Mapping):
                rule = _validate(DateRule, given, here, problems)
                if rule is not None:
                    problems.extend(_check_date_rule(rule, here))
                fixed[col] = rule or DateRule(column="?")
            elif isinstance(given, list) and not all(
                    isinstance(g, str | int) for g in given):
                problems.append(f"{here}: expected column names, got {given!r}")
                fixed[col] = "?"
            else:
                fixed[col] = [str(g) for g in given] if isinstance(given, list) \
                    else given
        out["columns"] = fixed
    joins = item.get("join")
    if joins is not None:
        listed = joins if isinstance(joins, list) else [joins]
        ok = [_validate(Join, j, f"{prefix}.join" + (f"[{i}]" if isinstance(
            joins, list) else ""), problems) for i, j in enumerate(listed)]
        out["join"] = [j for j in ok if j is not None]
    if "where" in item:
        problems.extend(_check_where(item["where"], f"{prefix}.where"))
    return out


def _check_date_rule(rule: DateRule, here: str) -> list[str]:
    problems = []
    given = [k for k in ("column", "first_of", "days") if getattr(rule, k)]
    if len(given) != 1:
        problems.append(f"{here}: give exactly one of column:, first_of: or days: "
                        f"(found {', '.join(given) or 'none'})")
    if rule.days and rule.anchor is None:
        problems.append(f"{here}.anchor: days: counts from an anchor; give a date "
                        "column (anchor: StartDate) or a date per code (anchor: "
                        "{column: Presentation, dates: {2013J: 2013-10-01}})")
    if rule.anchor is not None and not rule.days:
        problems.append(f"{here}.anchor: only used with days:")
    if rule.offset is not None and not _OFFSET.fullmatch(rule.offset.replace(" ", "")):
        problems.append(f"{here}.offset: {rule.offset!r} is not a number of days or "
                        "weeks (write -1d, 1d or 2w)")
    return problems


def _check_where(where: Any, here: str) -> list[str]:
    if not isinstance(where, Mapping) or not where:
        return [f"{here}: expected conditions by column, such as {{Status: Closed}} "
                "or {Score: {min: 40}}"]
    problems = []
    for col, cond in where.items():
        if not isinstance(cond, Mapping):
            continue
        for op, v in cond.items():
            if op not in WHERE_OPERATORS:
                problems.append(
                    f"{here}.{col}.{op}: unknown condition{suggest(op, WHERE_OPERATORS)}"
                    f" (conditions are {', '.join(WHERE_OPERATORS)})")
            elif op == "missing" and not isinstance(v, bool):
                problems.append(f"{here}.{col}.missing: expected true or false, "
                                f"got {v!r}")
            elif op in ("min", "max", "above", "below") and (
                    isinstance(v, bool | list | dict) or v is None):
                problems.append(f"{here}.{col}.{op}: expected a number or a column "
                                f"name, got {v!r}")
    return problems


def _check_reading(src: _Reading, prefix: str) -> list[str]:
    problems = []
    if bool(src.file) == bool(src.query):
        problems.append(f"{prefix}: give exactly one of file: or query:")
    if src.query and not src.connection:
        problems.append(
            f"{prefix}.connection: needed with query: (a SQLAlchemy URL such as "
            "sqlite:///cases.db, or duckdb:///cases.duckdb)"
        )
    if src.connection and not src.query:
        problems.append(f"{prefix}.query: connection: is given but no query:")
    if src.file and Path(src.file).suffix.lower() not in FILE_SUFFIXES:
        fix = " (save the sheet as CSV UTF-8)" if src.file.lower().endswith(
            (".xls", ".xlsx")) else ""
        problems.append(
            f"{prefix}.file: {src.file!r} is not a CSV or Parquet file{fix}; "
            f"supported endings are {', '.join(FILE_SUFFIXES)}"
        )
    if src.delimiter is not None and len(src.delimiter) != 1:
        problems.append(
            f"{prefix}.delimiter: must be one character such as ',' ';' '|' or "
            f"'\\t', got {src.delimiter!r}"
        )
    if src.encoding is not None:
        try:
            codecs.lookup(src.encoding)
        except LookupError:
            problems.append(
                f"{prefix}.encoding: unknown text encoding {src.encoding!r}"
                f"{suggest(src.encoding, ['utf-8', 'utf-8-sig', 'cp1252', 'latin-1'])}"
            )
    formats = (
        src.date_format.values() if isinstance(src.date_format, dict)
        else [src.date_format] if src.date_format else []
    )
    for fmt in formats:
        if "%" not in fmt:
            problems.append(
                f"{prefix}.date_format: {fmt!r} has no % codes; write it like "
                "'%d/%m/%Y' (day/month/year) or '%Y-%m-%d'"
            )
    return problems


def _check_table_source(table: str, src: TableSource, prefix: str) -> list[str]:
    spec = TABLES[table]
    names = spec.names
    problems = []
    for key, section in (("columns", src.columns), ("values", src.values)):
        for col in section:
            if col not in names:
                problems.append(
                    f"{prefix}.{key}.{col}: unknown canonical column of {table}"
                    f"{suggest(col, names)}"
                )
    kinds = {c.name: c.kind for c in spec.columns}
    for col, given in src.columns.items():
        if isinstance(given, list) and col != "person_id":
            problems.append(
                f"{prefix}.columns.{col}: a list of columns makes one key and is "
                "for person_id only (for the first non-empty of several dates "
                "write {first_of: [A, B]})")
        if isinstance(given, DateRule) and kinds.get(col) != "date":
            problems.append(f"{prefix}.columns.{col}: column:/first_of:/days: "
                            "rules are for date columns only")
    for join in src.join:
        if Path(join.file).suffix.lower() not in FILE_SUFFIXES:
            problems.append(f"{prefix}.join: {join.file!r} is not a CSV or Parquet "
                            "file")
        if not join.keys:
            problems.append(f"{prefix}.join.on: name the key column(s)")
    if src.join and not src.file:
        problems.append(f"{prefix}.join: joins are for files; join in the query "
                        "instead")
    for col in set(src.columns) & set(src.values):
        problems.append(f"{prefix}.values.{col}: already mapped under columns:")
    unpivoted: set[str] = set()
    if src.measures:
        if table != "periods":
            problems.append(f"{prefix}.measures: only the periods table has measures")
        unpivoted = {"measure", "value"}
    if src.attributes:
        if table != "characteristics":
            problems.append(
                f"{prefix}.attributes: only the characteristics table has attributes"
            )
        unpivoted = {"attribute", "value"}
    if src.measures and src.attributes:
        problems.append(f"{prefix}: give measures: or attributes:, not both")
    for col in unpivoted & (set(src.columns) | set(src.values)):
        problems.append(
            f"{prefix}.columns.{col}: comes from measures:/attributes: here; "
            "remove it from columns:/values:"
        )
    mapped = set(src.columns) | set(src.values) | unpivoted
    for col in spec.required:
        if col not in mapped and (table, col) != ("people", "date_of_birth"):
            problems.append(
                f"{prefix}: nothing gives the required column '{col}' (add it under "
                "columns:, or a constant under values:)"
            )
    text_cols = [c.name for c in spec.columns if c.kind in ("text", "id")]
    for col in src.codes:
        if col not in names:
            problems.append(
                f"{prefix}.codes.{col}: unknown canonical column of {table}"
                f"{suggest(col, names)}"
            )
        elif col not in text_cols:
            problems.append(f"{prefix}.codes.{col}: codes apply to text columns only")
        elif col not in src.columns and col not in unpivoted:
            problems.append(
                f"{prefix}.codes.{col}: '{col}' is not read from the source "
                "(map it under columns: first)"
            )
    if isinstance(src.date_format, dict):
        dates = [c.name for c in spec.columns if c.kind == "date"]
        for col in src.date_format:
            if col not in dates:
                problems.append(
                    f"{prefix}.date_format.{col}: not a date column of {table}"
                    f"{suggest(col, dates)}"
                )
    for col in src.extras:
        if col in names:
            problems.append(
                f"{prefix}.extra_columns.{col}: is a canonical column; map it "
                "under columns: instead"
            )
    return problems
