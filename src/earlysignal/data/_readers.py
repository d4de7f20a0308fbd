"""Reading a source (CSV, Parquet or a SQL query) into a DataFrame of the user's columns.

CSV files are read as text so that nothing is guessed before validation: dates,
numbers and codes are interpreted later, column by column, where a failure can
name the lines concerned. A CSV line number is what a text editor shows
(the header is line 1, the first data row line 2); a Parquet or query row
number counts data rows from 1.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from earlysignal.errors import DataError

#: Cell texts read as missing values in CSV files.
NA_VALUES = ["", "NULL", "null", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "None"]


@dataclass
class RawTable:
    """A source as read: the user's columns (all text for CSV) and where it came from.

    ``first`` is the number of the first data row as the user counts it, in
    ``unit`` ("line" for text files, "row" otherwise).
    """

    frame: pd.DataFrame
    label: str
    unit: str
    first: int

    @property
    def is_text(self) -> bool:
        return self.unit == "line"


def read_file(
    path: Path,
    *,
    label: str,
    delimiter: str | None = None,
    encoding: str = "utf-8-sig",
    where: str = "this source",
) -> RawTable:
    """Read a CSV (as text) or Parquet file, raising DataError for unusable files."""
    if not path.is_file():
        raise DataError(
            f"file not found (looked for {path.resolve()})",
            file=label,
            fix=f"correct file: under {where}; paths are relative to the mapping "
            "file's folder",
        )
    if path.stat().st_size == 0:
        raise _empty(label, where)
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(path, label, where)
    return _read_csv(path, label=label, delimiter=delimiter, encoding=encoding,
                     where=where)


def _empty(label: str, where: str) -> DataError:
    return DataError(
        "is empty (no data rows)",
        file=label,
        fix=f"check that the export finished; remove it from {where} if there is "
        "nothing to load",
    )


def _read_parquet(path: Path, label: str, where: str) -> RawTable:
    try:
        df = pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several unrelated types for a bad file
        raise DataError(
            f"cannot be read as Parquet: {e}",
            file=label,
            fix="check the file is Parquet; CSV files must end in .csv",
        ) from e
    if df.empty:
        raise _empty(label, where)
    return RawTable(df.reset_index(drop=True), label, "row", 1)


def _read_csv(
    path: Path, *, label: str, delimiter: str | None, encoding: str, where: str
) -> RawTable:
    sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        df = pd.read_csv(
            path,
            sep=sep,
            dtype="str",
            encoding=encoding,
            skip_blank_lines=False,  # keeps line numbers true; blank lines are counted
            keep_default_na=False,
            na_values=NA_VALUES,
        )
    except UnicodeDecodeError as e:
        raise _encoding_error(path, label, encoding, where) from e
    except pd.errors.EmptyDataError as e:
        raise _empty(label, where) from e
    except pd.errors.ParserError as e:
        raise DataError(
            f"cannot be read as a table: {str(e).strip()}",
            file=label,
            fix=f"check the delimiter (set delimiter: under {where}) and that "
            "quoted text has closing quotes",
        ) from e
    df.columns = [str(c).lstrip("\ufeff").strip() for c in df.columns]
    _check_delimiter(df, label, sep, where)
    _check_last_line(path, df, label, sep, encoding)
    if df.empty:
        raise _empty(label, where)
    return RawTable(df, label, "line", 2)


def _check_delimiter(df: pd.DataFrame, label: str, sep: str, where: str) -> None:
    if df.shape[1] != 1:
        return
    header = str(df.columns[0])
    for cand, shown in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'"), (",", "','")):
        if cand != sep and cand in header:
            raise DataError(
                f"was read as a single column named {header[:60]!r}; the columns "
                f"look separated by {shown}, not {sep!r}",
                file=label,
                fix=f"set delimiter: {shown} under {where}",
            )


def _check_last_line(path: Path, df: pd.DataFrame, label: str, sep: str,
                     encoding: str) -> None:
    """A last line with fewer fields than the header is an export cut short; pandas
    would fill the missing cells with empty values and the row would look merely
    incomplete."""
    if df.empty or df.shape[1] < 2:
        return
    raw = path.read_bytes()
    data = raw.rstrip(b"\r\n\t ")
    last = data.rsplit(b"\n", 1)[-1].decode(encoding, errors="replace").rstrip("\r")
    fields = next(csv.reader([last], delimiter=sep), [])
    if len(fields) >= df.shape[1] or data.count(b"\n") == 0:
        return
    ends = "ends with" if raw.endswith(b"\n") else "has no"
    number = data.count(b"\n") + 1
    raise DataError(
        f"line {number}, the last, has {len(fields)} of the "
        f"{df.shape[1]} fields of the header and {ends} line break: the file looks "
        "cut short",
        file=label,
        fix="export the file again and check it finished writing, or remove the "
        "incomplete last line",
    )


def _encoding_error(path: Path, label: str, encoding: str, where: str) -> DataError:
    data = path.read_bytes()
    try:
        data.decode(encoding)
    except UnicodeDecodeError as e:
        start = e.start
    else:  # pragma: no cover - pandas failed but a whole-file decode did not
        start = 0
    line = data.count(b"\n", 0, start) + 1
    return DataError(
        f"is not {encoding} text: byte 0x{data[start]:02x} at line {line} "
        f"(byte offset {start}) cannot be decoded",
        file=label,
        fix=f"set encoding: cp1252 under {where} if the file came from Excel or "
        "an older Windows system (or save it again as CSV UTF-8)",
    )


def read_query(
    query: str, connection: str, *, base_dir: Path, label: str
) -> RawTable:
    """Run ``query`` on a DuckDB file or any SQLAlchemy URL; wrap every failure."""
    shown = _safe_url(connection)
    place = f"{label} on {shown}"
    try:
        if connection.startswith("duckdb://") or connection.endswith(
            (".duckdb", ".ddb")
        ):
            df = _duckdb_query(query, connection, base_dir)
        else:
            df = _sqlalchemy_query(query, connection, base_dir)
    except DataError:
        raise
    except Exception as e:  # drivers raise their own types; all are the user's query
        cause = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise DataError(
            f"the query failed: {cause}",
            file=place,
            fix="run the query in your database client to check table and column "
            "names, and check connection:",
        ) from e
    if df.empty:
        raise DataError(
            "returned no rows",
            file=place,
            fix="check the query's WHERE clause and that the database holds data",
        )
    return RawTable(df.reset_index(drop=True), place, "row", 1)


def _local_path(text: str, base_dir: Path) -> Path:
    p = Path(text).expanduser()
    return p if p.is_absolute() else base_dir / p


def _duckdb_query(query: str, connection: str, base_dir: Path) -> pd.DataFrame:
    import duckdb

    target = connection.removeprefix("duckdb:///").removeprefix("duckdb://")
    path = _local_path(target, base_dir)
    if not path.is_file():
        raise DataError(
            f"database file not found (looked for {path.resolve()})",
            file=connection,
            fix="correct connection:; a relative path is read from the mapping "
            "file's folder",
        )
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).df()


def _sqlalchemy_query(query: str, connection: str, base_dir: Path) -> pd.DataFrame:
    import sqlalchemy as sa

    url = connection
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/"):
        rest = url[len(prefix):]
        if rest and rest != ":memory:":
            path = _local_path(rest, base_dir)
            if not path.is_file():
                raise DataError(
                    f"database file not found (looked for {path.resolve()})",
                    file=_safe_url(connection),
                    fix="correct connection:; a relative path is read from the "
                    "mapping file's folder",
                )
            url = prefix + str(path.resolve())
    engine = sa.create_engine(url)
    try:
        with engine.connect() as con:
            return pd.read_sql_query(sa.text(query), con)
    finally:
        engine.dispose()


def _safe_url(connection: str) -> str:
    """The connection with any password hidden, for messages and reports."""
    if "://" not in connection or "@" not in connection:
        return connection
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(connection).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL: hide everything before the host
        return connection.split("://")[0] + "://***@" + connection.rsplit("@", 1)[-1]
