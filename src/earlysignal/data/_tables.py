"""A set of canonical tables, held as DataFrames or as Parquet files on disk.

Large cohorts stay on disk: engines read the Parquet files directly, so a table
never has to be loaded into pandas just to compute features from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from earlysignal.data._schema import TABLE_NAMES, coerce_table, empty_table
from earlysignal.errors import DataError


@dataclass
class CanonicalTables(Mapping[str, pd.DataFrame]):
    """The canonical tables of one data set.

    Each table is either an in-memory DataFrame (``frames``) or a Parquet file
    (``paths``); ``tables["events"]`` always returns a DataFrame with the canonical
    dtypes, reading and caching the file on first use. A table that is absent is an
    empty table with the canonical columns.

    Examples
    --------
    >>> import pandas as pd
    >>> t = CanonicalTables.from_frames({"people": pd.DataFrame(
    ...     {"person_id": ["a"], "date_of_birth": ["2010-05-01"]})})
    >>> len(t["people"]), len(t["events"])
    (1, 0)
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    extras: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> CanonicalTables:
        """Wrap DataFrames (with canonical column names), fixing their dtypes."""
        unknown = sorted(set(frames) - set(TABLE_NAMES))
        if unknown:
            raise DataError(
                f"unknown canonical table(s) {unknown}",
                fix=f"name tables as one of {list(TABLE_NAMES)}",
            )
        return cls(frames={k: coerce_table(k, v) for k, v in frames.items()})

    @classmethod
    def read_dir(cls, folder: str | Path) -> CanonicalTables:
        """Point at a folder of ``{table}.parquet`` files, as ``earlysignal synth`` writes.

        Files are not read until a table is used. ``people.parquet`` is required;
        other Parquet files in the folder (such as ``truth.parquet``) are kept in
        ``extras``.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise DataError(
                "is not a folder of canonical tables",
                file=str(folder),
                fix="pass the folder that `earlysignal synth --out DIR` or a mapping wrote",
            )
        paths = {n: folder / f"{n}.parquet" for n in TABLE_NAMES}
        if not paths["people"].exists():
            raise DataError(
                "has no people.parquet",
                file=str(folder),
                fix="every data folder needs a people table (person_id, date_of_birth)",
            )
        extras = {
            p.stem: p for p in folder.glob("*.parquet") if p.stem not in TABLE_NAMES
        }
        return cls(paths={n: p for n, p in paths.items() if p.exists()}, extras=extras)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in TABLE_NAMES:
            raise KeyError(name)
        if name not in self.frames:
            path = self.paths.get(name)
            df = _read_parquet(path) if path else empty_table(name)
            self.frames[name] = coerce_table(name, df)
        return self.frames[name]

    def __iter__(self) -> Iterator[str]:
        return iter(TABLE_NAMES)

    def __len__(self) -> int:
        return len(TABLE_NAMES)

    @property
    def missing(self) -> list[str]:
        """Tables with no rows: not on disk and not given (or given empty)."""
        return [n for n in TABLE_NAMES if n not in self.paths
                and (n not in self.frames or self.frames[n].empty)]

    def write_dir(self, folder: str | Path) -> dict[str, Path]:
        """Write every table as ``{folder}/{table}.parquet``; returns the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = {}
        for name in TABLE_NAMES:
            out[name] = folder / f"{name}.parquet"
            self[name].to_parquet(out[name], index=False)
        return out


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise DataError(
            f"cannot be read as Parquet ({e})", file=str(path),
            fix="re-export the table as Parquet (earlysignal validate MAPPING --out "
                "DIR writes canonical tables), or remove the file") from None
