"""Write a stage's outputs so that an interrupted run is never read as a finished one.

A stage writes every output into a temporary folder inside the run folder (the same
filesystem, so a rename is atomic). On success each file is moved into place with
one atomic rename, and then a manifest, ``RUN/.stages/STAGE.json``, is written, also
by rename. The manifest holds the stage's key (a hash of the config sections and the
input fingerprints it was computed from) and the SHA-256 of every file it wrote.

A stage is reused only when its manifest's key equals the current key *and* every
file it lists still has the recorded hash. The old manifest is removed before the
first file is replaced, and a file half-replaced by a run that was killed no longer
matches its hash, so no mix of two runs' outputs can pass for a complete result. A
downstream stage's key includes its upstream manifest's digest (key and file hashes),
so that it is never paired with another run's inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from earlysignal.data import fingerprint_file

T = TypeVar("T")

#: Where a run folder keeps one manifest per stage.
MANIFESTS = ".stages"
_TMP = ".tmp-"


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


def file_hash(path: Path) -> str:
    """The SHA-256 of a file's bytes: the same fingerprint as the data's.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_text("abc")
    >>> file_hash(p)[:16]
    'ba7816bf8f01cfea'
    """
    return fingerprint_file(path)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "doc.json"
    >>> atomic_write_text(p, "{}")
    >>> p.read_text(), [q.name for q in p.parent.iterdir()]
    ('{}', ['doc.json'])
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_prefix(path.name), dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Manifest:
    """What a finished stage wrote (``files``: path in the run folder -> SHA-256)
    and the key it was computed for."""

    stage: str
    key: str
    files: dict[str, str]

    @property
    def digest(self) -> str:
        """One hash of the key and every output's hash: the stage's identity for
        the stages that read its outputs."""
        return stage_key(self.stage, self.key, self.files)


def manifest_path(run_dir: Path, stage: str) -> Path:
    """Where ``stage``'s manifest lives in ``run_dir``."""
    return run_dir / MANIFESTS / f"{stage}.json"


def valid_manifest(run_dir: Path, stage: str, key: str) -> Manifest | None:
    """``stage``'s manifest when it was written for ``key`` and every file it lists
    is still exactly what the stage wrote; else None (recompute).

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> _ = run_stage(run, "s", "k1", lambda tmp: (tmp / "a.txt").write_text("A"))
    >>> valid_manifest(run, "s", "k1").files == {"a.txt": file_hash(run / "a.txt")}
    True
    >>> valid_manifest(run, "s", "k2") is None
    True
    >>> _ = (run / "a.txt").write_text("B")
    >>> valid_manifest(run, "s", "k1") is None
    True
    """
    try:
        doc = json.loads(manifest_path(run_dir, stage).read_text())
        found = Manifest(doc["stage"], doc["key"], dict(doc["files"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # absent, or not a manifest this code wrote: recompute
    if found.stage != stage or found.key != key:
        return None
    for rel, digest in found.files.items():
        path = run_dir / rel
        if not path.is_file() or file_hash(path) != digest:
            return None
    return found


def run_stage(run_dir: Path, stage: str, key: str,
              compute: Callable[[Path], T]) -> tuple[T, Manifest]:
    """Run ``compute(tmp)``, which writes the stage's outputs under ``tmp``; move
    them into ``run_dir`` (same relative paths) and then write the manifest.

    An exception in ``compute`` leaves ``run_dir`` as it was.

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> value, m = run_stage(run, "s", "k", lambda t: (t / "a.txt").write_text("hi"))
    >>> (run / "a.txt").read_text(), sorted(m.files)
    ('hi', ['a.txt'])
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    remove_abandoned(run_dir)
    tmp = Path(tempfile.mkdtemp(prefix=_prefix(stage), dir=run_dir))
    try:
        value = compute(tmp)
        checkpoint(f"{stage}:computed")
        manifest = _publish(tmp, run_dir, stage, key)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    checkpoint(f"{stage}:done")
    return value, manifest


def _publish(tmp: Path, run_dir: Path, stage: str, key: str) -> Manifest:
    files = sorted(p for p in tmp.rglob("*") if p.is_file())
    manifest = Manifest(stage, key, {p.relative_to(tmp).as_posix(): file_hash(p)
                                     for p in files})
    # from here until the new manifest exists, the stage reads as not done
    manifest_path(run_dir, stage).unlink(missing_ok=True)
    for i, path in enumerate(files):
        target = run_dir / path.relative_to(tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        if i == 0:
            checkpoint(f"{stage}:moving")
    doc = {"stage": stage, "key": key, "files": manifest.files}
    atomic_write_text(manifest_path(run_dir, stage), json.dumps(doc, indent=2))
    return manifest


def _prefix(label: str) -> str:
    # the process id tells a later run whether the writer is still alive
    return f"{_TMP}{os.getpid()}-{label}-"


def remove_abandoned(run_dir: Path) -> None:
    """Remove the temporary files and folders left in ``run_dir`` by runs that
    were killed (their process no longer exists).

    Examples
    --------
    >>> import tempfile
    >>> run = Path(tempfile.mkdtemp())
    >>> (run / ".tmp-999999999-features-x").mkdir()
    >>> remove_abandoned(run)
    >>> list(run.iterdir())
    []
    """
    for path in run_dir.glob(f"{_TMP}*"):
        pid = path.name[len(_TMP):].split("-")[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier attempt of this same process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def checkpoint(point: str) -> None:
    """Stop the process dead at a named point when the environment asks for it.

    Only the crash-recovery tests set ``_EARLYSIGNAL_KILL_AT``; the kill is the
    same SIGKILL a machine's out-of-memory killer or ``kill -9`` would send.
    """
    if os.environ.get("_EARLYSIGNAL_KILL_AT") == point:
        with contextlib.suppress(AttributeError):  # no SIGKILL on Windows
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)
