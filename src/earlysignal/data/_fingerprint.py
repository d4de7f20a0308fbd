"""Fingerprints of input tables: a run records them, and caches are keyed on them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from earlysignal.data._schema import TABLE_NAMES
from earlysignal.data._tables import CanonicalTables

_CHUNK = 1 << 20


def fingerprint_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (so large files stay out of memory).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> fingerprint_file(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def fingerprint_frame(df: pd.DataFrame) -> str:
    """SHA-256 over a DataFrame's column names, dtypes and row hashes (order-sensitive).

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1, 2]})
    >>> fingerprint_frame(a) == fingerprint_frame(a.copy())
    True
    >>> fingerprint_frame(a) == fingerprint_frame(a.iloc[::-1])
    False
    """
    digest = hashlib.sha256()
    digest.update(repr([(c, str(t)) for c, t in df.dtypes.items()]).encode())
    rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
    digest.update(rows.tobytes())
    return digest.hexdigest()


def fingerprint_tables(tables: CanonicalTables) -> dict[str, str]:
    """One fingerprint per canonical table: file bytes when on disk, else content.

    Examples
    --------
    >>> t = CanonicalTables.from_frames({"people": pd.DataFrame(
    ...     {"person_id": ["a"], "date_of_birth": ["2010-05-01"]})})
    >>> sorted(fingerprint_tables(t)) == sorted(TABLE_NAMES)
    True
    """
    out = {}
    for name in TABLE_NAMES:
        if name not in tables.frames and name in tables.paths:
            out[name] = fingerprint_file(tables.paths[name])
        else:
            out[name] = fingerprint_frame(tables[name])
    return out
