"""Query engines: DuckDB in-process (the default) and Spark (local or a cluster).

Both run the same Ibis expressions; an engine only registers tables and executes.
Spark is imported and started on first use, so a DuckDB-only run never starts Java.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.errors import EarlysignalError, EngineError

ENGINES = ("duckdb", "spark")

_SPARK_CONF = {
    # Small local jobs: few shuffle partitions, no UI, UTC so that dates read from
    # naive timestamps never shift by a time-zone offset.
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.ansi.enabled": "false",
    "spark.driver.memory": "2g",
    "spark.sql.legacy.parquet.nanosAsLong": "false",
}


class Engine:
    """A query engine that runs feature expressions.

    Parameters
    ----------
    name : {"duckdb", "spark"}
        DuckDB runs in-process (a fresh in-memory database per engine). Spark gets
        a local session (``local[2]``) unless ``session`` is given.
    session : optional
        An existing ``pyspark.sql.SparkSession`` or an Ibis backend to use.
    threads : int, optional
        DuckDB threads (defaults to DuckDB's choice).

    Examples
    --------
    >>> eng = Engine("duckdb")
    >>> t = eng.register("demo", pd.DataFrame({"x": [1, 2]}))
    >>> eng.execute(t.x.sum().name("s").as_table(), feature="demo")["s"].tolist()
    [3]
    """

    def __init__(self, name: str = "duckdb", *, session: Any = None,
                 threads: int | None = None) -> None:
        if name not in ENGINES:
            raise EarlysignalError(
                f"unknown engine '{name}' (expected one of {', '.join(ENGINES)})"
            )
        self.name = name
        self._session = session
        self._threads = threads
        self._con: Any = None
        self._busy: set[int] = set()
        self._compiled: dict[Hashable, Any] = {}

    def __repr__(self) -> str:
        return f"Engine({self.name!r})"

    @property
    def con(self) -> Any:
        """The Ibis backend, connected on first use."""
        if self._con is None:
            self._con = self._connect()
        return self._con

    def _connect(self) -> Any:
        import ibis

        if self.name == "duckdb":
            if self._session is not None:
                return self._session
            con = ibis.duckdb.connect()
            if self._threads:
                con.raw_sql(f"SET threads = {int(self._threads)}")
            return con
        return ibis.pyspark.connect(self._session or spark_session())

    def register(self, name: str, data: pd.DataFrame | str | Path) -> Any:
        """Make ``data`` (a DataFrame or a Parquet path) the table ``name``.

        A Parquet file is read by the engine itself, never through pandas. A table
        of the same name is replaced.
        """
        import ibis

        con = self.con
        if self.name == "duckdb":
            self._forget(name)
        if isinstance(data, str | Path):
            return con.read_parquet(str(data), table_name=name)
        if self.name == "duckdb":
            # A registered Arrow table is scanned in place by DuckDB, no copy.
            import pyarrow as pa

            con.con.register(name, pa.Table.from_pandas(data, preserve_index=False))
            return con.table(name)
        # pandas 3 strings are Arrow-backed, which Spark's Arrow path cannot take
        # (it falls back to a slow row-by-row copy); plain objects go through Arrow.
        text = {c: object for c in data.columns
                if pd.api.types.is_string_dtype(data[c])}
        return con.create_view(name, ibis.memtable(data.astype(text)), overwrite=True)

    @contextmanager
    def slot(self) -> Iterator[str]:
        """A table-name prefix no other unfinished computation on this engine uses.

        Prefixes are reused, so a compiled query can be cached per prefix.
        """
        n = next(i for i in range(len(self._busy) + 1) if i not in self._busy)
        self._busy.add(n)
        try:
            yield f"es{n}_"
        finally:
            self._busy.discard(n)

    def compile_cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """``build()`` once per ``key`` (the specs and the registered schemas)."""
        if key not in self._compiled:
            self._compiled[key] = build()
        return self._compiled[key]

    def to_sql(self, expr: Any) -> str:
        """The SQL this engine runs for ``expr``."""
        return _sql(expr, self.name)

    def execute_sql(self, sql: str, *, feature: str) -> pd.DataFrame:
        """Run SQL generated by :meth:`to_sql`; failures become :class:`EngineError`."""
        try:
            if self.name == "duckdb":
                return self.con.con.sql(sql).to_arrow_table().to_pandas()
            return self.con._session.sql(sql).toPandas()
        except Exception as e:
            raise EngineError(feature, self.name, sql, e) from e

    def _forget(self, name: str) -> None:
        # A name may hold a registered Arrow table or a view over Parquet; DuckDB
        # will not replace one kind with the other.
        self.con.con.unregister(name)
        self.con.drop_view(name, force=True)

    def execute(self, expr: Any, *, feature: str) -> pd.DataFrame:
        """Run ``expr`` and return a DataFrame; failures become :class:`EngineError`."""
        try:
            if self.name == "duckdb":
                return self.con.to_pyarrow(expr).to_pandas()
            return self.con.execute(expr)
        except Exception as e:
            raise EngineError(feature, self.name, _sql(expr, self.name), e) from e

    def close(self) -> None:
        """Disconnect (a Spark session made by the engine stays for reuse)."""
        if self._con is not None and self.name == "duckdb":
            self._con.disconnect()
        self._con = None
        self._compiled.clear()


def _sql(expr: Any, engine: str) -> str:
    import ibis

    try:
        return str(ibis.to_sql(expr, dialect="pyspark" if engine == "spark" else engine))
    except Exception as e:  # the SQL is only for the message
        return f"<SQL could not be generated: {e}>"


def as_engine(engine: str | Engine) -> Engine:
    """An :class:`Engine` from a name, or the engine itself."""
    return engine if isinstance(engine, Engine) else Engine(engine)


_SPARK: Any = None


def spark_session() -> Any:
    """The process's local Spark session, started on first use.

    Raises
    ------
    EarlysignalError
        When pyspark is not installed, saying which extra to install.
    """
    global _SPARK
    if _SPARK is not None:
        return _SPARK
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise SparkMissingError(
            "the spark engine needs pyspark: pip install earlysignal[spark]"
        ) from e
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    builder = SparkSession.builder.master("local[2]").appName("earlysignal")
    for k, v in _SPARK_CONF.items():
        builder = builder.config(k, v)
    _SPARK = builder.getOrCreate()
    _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


class SparkMissingError(EarlysignalError, ImportError):
    """pyspark (the ``spark`` extra) is not installed."""
