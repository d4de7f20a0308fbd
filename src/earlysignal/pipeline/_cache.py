"""Reuse a stage's earlier result when its inputs have not changed.

A stage's key is a hash of the config sections it reads and the fingerprints of its
inputs; the key is written next to the stage's outputs once they are complete, so
an interrupted stage is never mistaken for a finished one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def stage_key(*parts: Any) -> str:
    """A stable hash of JSON-able parts (config sections, fingerprints, versions).

    Examples
    --------
    >>> stage_key({"a": 1, "b": [2]}) == stage_key({"b": [2], "a": 1})
    True
    >>> stage_key({"a": 1}) == stage_key({"a": 2})
    False
    """
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def is_fresh(folder: Path, stage: str, key: str) -> bool:
    """Whether ``folder`` holds a complete result of ``stage`` for ``key``."""
    stamp = folder / f".{stage}.key"
    return stamp.exists() and stamp.read_text() == key


def mark_done(folder: Path, stage: str, key: str) -> None:
    """Record that ``stage``'s outputs in ``folder`` are complete for ``key``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f".{stage}.key").write_text(key)
