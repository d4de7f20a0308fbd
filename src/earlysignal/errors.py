"""Every error earlysignal raises on purpose derives from :class:`EarlysignalError`.

A message says what was expected, what was found, where, and how to fix it, so a
user never has to read a traceback from inside a library to know what went wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ConfigError",
    "DataError",
    "EarlysignalError",
    "EarlysignalWarning",
    "EngineError",
    "LeakageError",
    "config_error_from_pydantic",
    "yaml_path",
]


class EarlysignalError(Exception):
    """Base class of every error that earlysignal raises for a user mistake."""


class EarlysignalWarning(UserWarning):
    """Something that runs but is probably not what the user meant."""


def _rows_text(rows: Sequence[int] | None, limit: int = 5) -> str:
    if not rows:
        return ""
    shown = ", ".join(str(r) for r in list(rows)[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"rows {shown}{more}"


class DataError(EarlysignalError):
    """Input data that cannot be used as it is.

    Parameters
    ----------
    problem : str
        What is wrong, in plain words.
    file : str, optional
        The file (or table or query) it was found in.
    column : str, optional
        The column concerned.
    rows : sequence of int, optional
        Row numbers as the user would count them (1 = first data row).
    fix : str, optional
        What the user can do about it.

    Examples
    --------
    >>> err = DataError("dates cannot be parsed", file="events.csv",
    ...                 column="event_date", rows=[3, 9], fix="use YYYY-MM-DD")
    >>> print(err)
    events.csv, column 'event_date', rows 3, 9: dates cannot be parsed. Fix: use YYYY-MM-DD
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.column = column
        self.rows = list(rows) if rows is not None else []
        self.fix = fix
        super().__init__(self._message())

    def _message(self) -> str:
        where = [p for p in (
            self.file,
            f"column '{self.column}'" if self.column else "",
            _rows_text(self.rows),
        ) if p]
        head = ", ".join(where)
        text = f"{head}: {self.problem}" if head else self.problem
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ConfigError(EarlysignalError):
    """A configuration (YAML) that does not validate; lists every problem at once.

    Examples
    --------
    >>> print(ConfigError("demo.yaml", ["features[0].windows: '9x' is not a window "
    ...                                  "(hint: use 90d, 6m or all)"]))
    demo.yaml has 1 problem:
      - features[0].windows: '9x' is not a window (hint: use 90d, 6m or all)
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        n = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {n} problem{'s' if n != 1 else ''}:\n{lines}")


class EngineError(EarlysignalError):
    """A query engine failed while computing a feature; carries the generated SQL."""

    def __init__(self, feature: str, engine: str, sql: str, cause: BaseException) -> None:
        self.feature = feature
        self.engine = engine
        self.sql = sql
        super().__init__(
            f"computing feature '{feature}' on {engine} failed: {cause}\n"
            f"generated SQL:\n{sql}"
        )


class LeakageError(EarlysignalError):
    """A feature matrix used information not known at its as-of date."""


def yaml_path(loc: Sequence[object], prefix: str = "") -> str:
    """Render a pydantic error location as a YAML path: ``features[2].windows[0]``.

    Examples
    --------
    >>> yaml_path(("features", 2, "windows", 0))
    'features[2].windows[0]'
    >>> yaml_path(("age", "min"), prefix="cohort")
    'cohort.age.min'
    """
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def config_error_from_pydantic(
    source: str, exc: object, prefix: str = ""
) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one ConfigError listing every problem.

    Each problem names its YAML path and what was found; the hint is pydantic's own
    message, which states what was expected.

    Examples
    --------
    >>> from pydantic import BaseModel, ValidationError
    >>> class Age(BaseModel):
    ...     min: int
    >>> try:
    ...     Age.model_validate({"min": "ten"})
    ... except ValidationError as e:
    ...     print(config_error_from_pydantic("demo.yaml", e, prefix="cohort.age"))
    demo.yaml has 1 problem:
      - cohort.age.min: Input should be a valid integer, unable to parse string as an integer (found 'ten')
    """
    problems = []
    for err in exc.errors():  # type: ignore[attr-defined]
        loc = [p for p in err["loc"] if not str(p).startswith("function-")]
        found = err.get("input")
        where = yaml_path(loc, prefix)
        msg = err["msg"].removeprefix("Value error, ")
        shown = "" if err["type"] == "missing" or isinstance(found, dict) else (
            f" (found {found!r})"
        )
        problems.append(f"{where}: {msg}{shown}")
    return ConfigError(source, problems)
