"""Generate the synthetic cohort in memory (:func:`generate`) or on disk, chunk by
chunk with bounded memory (:func:`write_cohort`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from earlysignal.data._tables import CanonicalTables
from earlysignal.data.synth._chunk import (
    OUTPUTS,
    SCHEMAS,
    Context,
    generate_chunk,
    n_chunks,
)
from earlysignal.data.synth._config import SynthConfig


@dataclass(frozen=True)
class SynthCohort:
    """A generated cohort: the five canonical tables and the truth table.

    Attributes
    ----------
    tables : CanonicalTables
        people, events, episodes, periods, characteristics (canonical dtypes).
    truth : pandas.DataFrame
        person_id, as_of, horizon, p_true, escalation_date: one row per person and
        as-of date at which the person is scored (see the package docstring).
    config : SynthConfig
        The configuration it was generated from.
    """

    tables: CanonicalTables
    truth: pd.DataFrame
    config: SynthConfig


def iter_chunks(config: SynthConfig) -> Iterator[dict[str, pa.Table]]:
    """Yield each chunk's tables (Arrow) in order of chunk index."""
    ctx = Context(config)
    for chunk in range(n_chunks(config, ctx)):
        yield generate_chunk(config, ctx, chunk)


def generate(config: SynthConfig) -> SynthCohort:
    """Generate a synthetic multi-agency cohort in memory.

    Parameters
    ----------
    config : SynthConfig
        Size, seed and knobs; see :class:`SynthConfig`.

    Returns
    -------
    SynthCohort
        The canonical tables and the truth table. The same config always gives the
        same data, and the same data as :func:`write_cohort` writes.

    Examples
    --------
    >>> cohort = generate(SynthConfig(people=50, seed=1))
    >>> len(cohort.tables["people"])
    50
    >>> "enrolment" in set(cohort.tables["episodes"]["episode_type"])
    True
    >>> list(cohort.truth.columns)
    ['person_id', 'as_of', 'horizon', 'p_true', 'escalation_date']
    """
    parts: dict[str, list[pa.Table]] = {name: [] for name in OUTPUTS}
    for tables in iter_chunks(config):
        for name, table in tables.items():
            parts[name].append(table)
    frames = {name: _to_pandas(pa.concat_tables(parts[name])) for name in OUTPUTS}
    truth = frames.pop("truth")
    return SynthCohort(CanonicalTables.from_frames(frames), truth, config)


def write_cohort(config: SynthConfig, out_dir: str | Path) -> dict[str, Path]:
    """Generate a cohort chunk by chunk straight into Parquet files.

    Writes ``people``, ``events``, ``episodes``, ``periods``, ``characteristics`` and
    ``truth`` as ``{out_dir}/{name}.parquet``, one row group per chunk and table, so
    memory stays bounded by the chunk size (``config.chunk_people``) whatever the
    number of people. The files hold no timestamps or paths: the same config gives
    the same bytes.

    Parameters
    ----------
    config : SynthConfig
        Size, seed and knobs.
    out_dir : str or Path
        Folder to write into (created if needed; existing files are replaced).

    Returns
    -------
    dict of str to Path
        The path of each file written, by table name.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write_cohort(SynthConfig(people=20, seed=3), d)
    ...     sorted(paths)
    ['characteristics', 'episodes', 'events', 'people', 'periods', 'truth']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / f"{name}.parquet" for name in OUTPUTS}
    writers = {
        name: pq.ParquetWriter(paths[name], SCHEMAS[name], compression="zstd",
                               store_schema=False)
        for name in OUTPUTS
    }
    try:
        for tables in iter_chunks(config):
            for name, table in tables.items():
                if table.num_rows:
                    writers[name].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    return paths


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    df = table.to_pandas()
    for field in table.schema:
        if pa.types.is_string(field.type) or pa.types.is_dictionary(field.type):
            df[field.name] = df[field.name].astype("str")
        elif pa.types.is_timestamp(field.type):
            df[field.name] = df[field.name].astype("datetime64[us]")
    return df


