"""From a mapping file to canonical tables and a load report.

For each source the loader reads the user's columns, renames them, adds
constants, translates codes, reads dates and numbers, sets aside rows that cannot
be used (each counted under its reason), links every row to a known person and,
when asked, replaces person ids with keyed pseudonyms. People are loaded first
so that every other row can be checked against them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from earlysignal.data._attendance import (
    aggregate_marks,
    classify_marks,
    unknown_marks_error,
)
from earlysignal.data._derive import (
    FILTERED,
    apply_joins,
    person_key,
    rule_dates,
    where_mask,
)
from earlysignal.data._load_report import LoadReport
from earlysignal.data._mapping import (
    AttendanceMarks,
    DateRule,
    SourceMapping,
    TableSource,
)
from earlysignal.data._pseudonym import KEY_ENV_VAR, Pseudonymiser
from earlysignal.data._readers import RawTable, read_file, read_query
from earlysignal.data._schema import TABLE_NAMES, TABLES
from earlysignal.data._tables import CanonicalTables
from earlysignal.data._validate import (
    DERIVED,
    LINE,
    SRC,
    UCOL,
    Accounting,
    Rules,
    SourceInfo,
    clean_text,
    coerce_source,
    guard_set_aside,
    isin,
    map_values,
    mark_internal,
    missing_column_error,
    parse_dates,
    row_checks,
    strip_internal,
    table_checks,
)
from earlysignal.errors import DataError

__all__ = ["load_mapping"]


def load_mapping(
    path: str | Path | SourceMapping, *, key: str | bytes | None = None
) -> tuple[CanonicalTables, LoadReport]:
    """Load every source named in a mapping into canonical tables, with a load report.

    Parameters
    ----------
    path : str, Path or SourceMapping
        The mapping YAML (see :class:`~earlysignal.data.SourceMapping` for the
        format) or an already-read mapping.
    key : str or bytes, optional
        The pseudonym key, when the mapping has ``pseudonymise: true``; by default
        it is read from ``key_file:`` or the environment variable
        ``EARLYSIGNAL_PSEUDONYM_KEY``.

    Returns
    -------
    (CanonicalTables, LoadReport)
        The report counts, for every source, rows read, used and set aside by
        reason; ``report.totals_balance()`` is always True.

    Raises
    ------
    ConfigError
        The mapping itself is wrong (every problem listed with its YAML path).
    DataError
        A file or query cannot be used as it is (named, with lines and the fix).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "pupils.csv").write_text("UPN,DOB\\nA1,05/01/2010\\nB2,02/03/2011\\n")
    >>> _ = (d / "exclusions.csv").write_text(
    ...     "UPN,Date,Type\\nA1,01/02/2021,FTE\\nC3,01/02/2021,FTE\\n")
    >>> _ = (d / "mapping.yaml").write_text('''
    ... tables:
    ...   people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}
    ...   events:
    ...     file: exclusions.csv
    ...     columns: {person_id: UPN, event_date: Date, event_type: Type}
    ...     values: {source: school}
    ...     codes: {event_type: {FTE: suspension}}
    ... ''')
    >>> tables, report = load_mapping(d / "mapping.yaml")
    >>> tables["events"][["person_id", "event_type"]].values.tolist()
    [['A1', 'suspension']]
    >>> report.sources[1].set_aside
    {'unknown person': 1}
    """
    mapping = path if isinstance(path, SourceMapping) else SourceMapping.from_yaml(path)
    notes: list[str] = []
    pseudo = _pseudonymiser(mapping, key, notes)
    rules = Rules.make(mapping.extract_date, mapping.earliest_date)
    if mapping.extract_date is not None:
        notes.insert(0, f"extract date {mapping.extract_date:%Y-%m-%d}")
    acc = Accounting()
    frames: dict[str, pd.DataFrame] = {}
    people_ids: pd.Series | None = None
    for table in TABLE_NAMES:
        sources = mapping.sources(table)
        if not sources:
            continue
        parts = []
        for i, src in enumerate(sources):
            where = f"tables.{table}[{i}]" if len(sources) > 1 else f"tables.{table}"
            if isinstance(src, AttendanceMarks):
                parts.append(_load_marks(src, mapping, acc, rules, people_ids,
                                         f"{where}.attendance_marks"))
            else:
                parts.append(_load_source(table, src, mapping, acc, where))
        df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        df = row_checks(table, df, acc, rules)
        df = table_checks(table, df, acc, people_ids)
        if table == "people":
            people_ids = df["person_id"]
        frames[table] = df
    report = acc.report(frames, notes)
    guard_set_aside(report, rules, mapping.max_set_aside,
                    f"the mapping ({mapping.origin})")
    if pseudo is not None:
        frames = _pseudonymise_all(frames, pseudo)
    return strip_internal(frames), report


def _pseudonymiser(mapping: SourceMapping, key: str | bytes | None,
                   notes: list[str]) -> Pseudonymiser | None:
    if not mapping.pseudonymise:
        return None
    key_file = None
    if mapping.key_file is not None:
        key_file = Path(mapping.key_file).expanduser()
        if not key_file.is_absolute():
            key_file = mapping.base_dir / key_file
    pseudo = Pseudonymiser.from_environment(key=key, key_file=key_file,
                                            origin=mapping.origin)
    origin = ("the key passed in" if key is not None
              else "key_file" if key_file is not None else f"${KEY_ENV_VAR}")
    notes.append(f"person_id pseudonymised (HMAC-SHA256, key from {origin})")
    return pseudo


def _pseudonymise_all(frames: dict[str, pd.DataFrame], pseudo: Pseudonymiser
                      ) -> dict[str, pd.DataFrame]:
    return {name: df.assign(person_id=pseudo(df["person_id"]))
            for name, df in frames.items()}


def _read(src: TableSource | AttendanceMarks, mapping: SourceMapping, where: str
          ) -> RawTable:
    if src.file:
        return read_file(mapping.data_dir / src.file, label=src.label,
                         delimiter=src.delimiter,
                         encoding=src.encoding or mapping.encoding, where=where)
    assert src.query is not None and src.connection is not None
    return read_query(src.query, src.connection, base_dir=mapping.data_dir,
                      label=src.label)


def _require_columns(raw: RawTable, wanted: dict[str, str], where: str) -> None:
    found = [str(c) for c in raw.frame.columns]
    for needed_for, user in wanted.items():
        if user not in raw.frame.columns:
            raise missing_column_error(raw.label, user, found, needed_for=needed_for,
                                       where=where)


def _load_source(table: str, src: TableSource, mapping: SourceMapping,
                 acc: Accounting, where: str) -> pd.DataFrame:
    raw = _read(src, mapping, where)
    df = raw.frame
    blank = df.isna().all(axis=1).to_numpy()
    # judged on every column of the source, so rows differing only in an
    # unmapped column (an incident id) are distinct
    dup = _duplicated(df) & ~blank
    lines = np.arange(raw.first, raw.first + len(df), dtype="int64")
    df, lines, nomatch = apply_joins(df, lines, src, mapping.data_dir, where)
    many = any(j.many for j in src.join)
    if src.join:
        origin = lines - raw.first
        blank, dup = blank[origin], dup[origin]
    wanted = src.read_columns()
    wanted.update({f"{table} {name}": u for name, u in src.unpivot.items()})
    wanted.update({f"extra column {name}": u for name, u in src.extras.items()})
    _require_columns(RawTable(df, raw.label, raw.unit, raw.first), wanted, where)
    df[LINE] = lines  # so that messages about derived columns name the lines
    info = SourceInfo(
        table, raw.label, raw.unit, where,
        user_columns={c: src.shown(c) for c in src.columns},
        dayfirst=mapping.dayfirst if src.dayfirst is None else src.dayfirst,
        date_formats={c.name: src.date_format_for(c.name)
                      for c in TABLES[table].columns if c.kind == "date"},
    )
    out = _columns(df, src, info, where)
    keep = (where_mask(df, src.where, info, f"{where}.where") if src.where
            else np.ones(len(df), dtype=bool))
    unit = "joined row" if many else raw.unit
    k = max(len(src.unpivot), 1)
    idx = acc.add(table, raw.label, "value" if src.unpivot else unit, len(df) * k,
                  example_unit=raw.unit if (src.unpivot or many) else "")
    out = _mark(out, idx, lines)
    if src.unpivot:
        out = _unpivot(out, df, src, table)
    # a wide source's blank line shows as missing values, one per measure
    steps = [] if src.unpivot else [(blank, "blank line")]
    steps += [(dup, "duplicate"), *[
        (m, r) for r, m in nomatch.items()], (~keep, FILTERED)]
    for mask, reason in steps:
        out = acc.drop(out, np.tile(mask, k)[out.index.to_numpy()]
                       if len(out) else np.zeros(0, bool), reason)
    out = out.reset_index(drop=True)
    for col, value in src.values.items():
        out[col] = value
    if table == "people" and "date_of_birth" not in out.columns:
        out["date_of_birth"] = pd.NaT  # a mapping may have no dates of birth
    for col, codes in src.codes.items():
        out = _apply_codes(out, col, codes, src, raw, acc, where)
    out = coerce_source(out, info)
    out[DERIVED] = False
    return out


def _mark(out: pd.DataFrame, idx: int, lines: np.ndarray) -> pd.DataFrame:
    out = out.reset_index(drop=True)
    out[LINE] = lines
    out[SRC] = idx
    return out


def _columns(df: pd.DataFrame, src: TableSource, info: SourceInfo, where: str
             ) -> pd.DataFrame:
    """The canonical columns of a source (before codes and types), one row per
    row of ``df``: plain columns as they are, a person key from several columns,
    and dates made by a date rule."""
    out = pd.DataFrame(index=df.index)
    for col, given in src.columns.items():
        if isinstance(given, DateRule):
            out[col] = rule_dates(df, given, col, info, f"{where}.columns.{col}")
        elif isinstance(given, list):
            out[col] = person_key(df, given)
        else:
            out[col] = df[given]
    for name, user in src.extras.items():
        out[name] = df[user]
    return out


def _duplicated(df: pd.DataFrame) -> np.ndarray:
    """Rows equal to an earlier row in every column; quick when a column (such as a
    record id) is already unique, as in most exports."""
    if len(df.columns) and df.iloc[:, 0].is_unique:
        return np.zeros(len(df), dtype=bool)
    return df.duplicated().to_numpy()


def _unpivot(out: pd.DataFrame, df: pd.DataFrame, src: TableSource, table: str
             ) -> pd.DataFrame:
    name_col = "measure" if table == "periods" else "attribute"
    blocks = []
    for name, user in src.unpivot.items():
        block = out.copy()
        block[name_col] = name
        block["value"] = df[user].to_numpy()
        block[UCOL] = user
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)


def _apply_codes(out: pd.DataFrame, col: str, codes: dict[str, str],
                 src: TableSource, raw: RawTable, acc: Accounting, where: str
                 ) -> pd.DataFrame:
    text = clean_text(out[col])
    mapped = map_values(text, {str(k).strip(): v for k, v in codes.items()})
    unmapped = text.notna() & mapped.isna()
    if unmapped.any():
        if src.unmapped_codes == "error":
            raise _unmapped_error(out.assign(_v=text), unmapped, col, src, raw, where)
        if src.unmapped_codes == "keep":
            mapped = mapped.where(~unmapped, text)
        else:
            keep = ~unmapped.to_numpy()
            out = acc.drop(out, ~keep, f"unmapped code in {col}")
            mapped = mapped[keep]
    out[col] = mapped.astype("str").where(mapped.notna())
    return out


def _unmapped_error(df: pd.DataFrame, unmapped: pd.Series, col: str,
                    src: TableSource, raw: RawTable, where: str) -> DataError:
    bad = df.loc[unmapped.to_numpy(dtype=bool)]
    groups = bad.groupby("_v", sort=False)[LINE]
    counts = groups.size().sort_values(ascending=False, kind="stable")
    firsts = groups.first().to_dict()
    unit = raw.unit
    parts = [f"{code!r} ({n} {unit}{'s' if n != 1 else ''}, first {unit} "
             f"{int(firsts[code])})" for code, n in counts.head(10).items()]
    more = f" and {len(counts) - 10} more" if len(counts) > 10 else ""
    user = UCOL if col == "value" and UCOL in df.columns else None
    column = (", ".join(dict.fromkeys(bad[user].astype(str))) if user
              else src.shown(col))
    return DataError(
        f"{len(counts)} code(s) have no mapping to a canonical {col}: "
        f"{', '.join(parts)}{more}",
        file=raw.label,
        column=column,
        fix=f"add them under codes: {col}: in {where}, or set unmapped_codes: "
        "set_aside (or keep)",
    )


def _load_marks(src: AttendanceMarks, mapping: SourceMapping, acc: Accounting,
                rules: Rules, people_ids: pd.Series | None, where: str
                ) -> pd.DataFrame:
    raw = _read(src, mapping, where)
    _require_columns(raw, dict(src.columns), where)
    df = raw.frame
    out = pd.DataFrame({c: df[u] for c, u in src.columns.items()}, index=df.index)
    idx = acc.add("periods", raw.label, "mark", len(df), example_unit=raw.unit)
    out = mark_internal(out, idx, raw.first)
    out = acc.drop(out, df.isna().all(axis=1).to_numpy(), "blank line")
    info = SourceInfo(
        "periods", raw.label, raw.unit, where, user_columns=dict(src.columns),
        dayfirst=mapping.dayfirst if src.dayfirst is None else src.dayfirst,
        date_formats={"date": src.date_format_for("date")},
    )
    out["person_id"] = clean_text(out["person_id"])
    out["mark"] = clean_text(out["mark"])
    if "session" in out.columns:
        out["session"] = clean_text(out["session"]).str.upper()
    out["date"] = parse_dates(out, "date", info)
    for col in ("person_id", "date", "mark"):
        out = acc.drop(out, out[col].isna(), f"missing {col}")
    out["category"] = classify_marks(out["mark"], src.codes)
    unknown = out["category"].isna()
    if unknown.any() and src.unmapped_codes == "error":
        raise unknown_marks_error(out, unknown, label=raw.label,
                                  column=src.columns["mark"], unit=raw.unit,
                                  line_col=LINE)
    out = acc.drop(out, unknown, "unmapped code in mark")
    out = acc.drop(out, out["date"] < rules.earliest_date,
                   f"date before {rules.earliest_date:%Y-%m-%d}")
    if rules.extract_date is not None:
        out = acc.drop(out, out["date"] > rules.extract_date, "date after extract date")
    out = _session_checks(out, acc)
    if people_ids is not None:
        out = acc.drop(out, ~isin(out["person_id"], people_ids), "unknown person")
    periods = aggregate_marks(out, src.period)
    periods[LINE] = np.nan
    periods[SRC] = idx
    periods[DERIVED] = True
    acc.fix_used(idx, len(out), len(periods))
    return periods


def _session_checks(out: pd.DataFrame, acc: Accounting) -> pd.DataFrame:
    """Duplicate and conflicting marks for the same session (or too many in a day)."""
    if "session" in out.columns:
        cols = ["person_id", "date", "session"]
        out = acc.drop(out, out.duplicated(subset=cols + ["mark"]), "duplicate")
        clash = out.duplicated(subset=cols, keep=False)
        return acc.drop(out, clash, "conflicting marks for one session")
    pid = pd.factorize(out["person_id"])[0]
    day, days = pd.factorize(out["date"])
    key = pid.astype("int64") * max(len(days), 1) + day
    _, where, size = np.unique(key, return_inverse=True, return_counts=True)
    return acc.drop(out, size[where] > 2, "more than two marks in a day")
