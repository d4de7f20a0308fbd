"""How a stage's outputs are written and reused: atomic moves, a manifest that names
its key and every file's hash, and no reuse of a mix of two runs' outputs."""

import os
import subprocess
import sys

import pytest

from earlysignal.pipeline import _cache
from earlysignal.pipeline._cache import (
    atomic_write_text,
    file_hash,
    manifest_path,
    run_stage,
    stage_key,
    valid_manifest,
)


def _writer(**files):
    def compute(tmp):
        for rel, text in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_text(text)
        return sorted(files)

    return compute


class Killed(BaseException):
    """Stands in for the process dying at a checkpoint."""


def _die_at(monkeypatch, point):
    def checkpoint(name):
        if name == point:
            raise Killed(name)

    monkeypatch.setattr(_cache, "checkpoint", checkpoint)


def test_a_finished_stage_is_reused_only_for_its_key_and_its_exact_files(tmp_path):
    value, m = run_stage(tmp_path, "s", "k1", _writer(**{"a.txt": "A",
                                                         "sub/b.txt": "B"}))
    assert value == ["a.txt", "sub/b.txt"]
    assert (tmp_path / "sub" / "b.txt").read_text() == "B"
    assert m.files == {"a.txt": file_hash(tmp_path / "a.txt"),
                       "sub/b.txt": file_hash(tmp_path / "sub" / "b.txt")}
    assert valid_manifest(tmp_path, "s", "k1") == m
    assert valid_manifest(tmp_path, "s", "k2") is None
    # nothing but the outputs and the manifest is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [".stages", "a.txt", "sub"]

    (tmp_path / "sub" / "b.txt").write_text("b")   # changed after the stage ran
    assert valid_manifest(tmp_path, "s", "k1") is None
    (tmp_path / "sub" / "b.txt").write_text("B")
    assert valid_manifest(tmp_path, "s", "k1") == m
    (tmp_path / "a.txt").unlink()
    assert valid_manifest(tmp_path, "s", "k1") is None


@pytest.mark.parametrize("text", ["", '{"stage": "s", "key": "k1", "fi', "[]",
                                  '{"stage": "t", "key": "k1", "files": {}}'])
def test_a_truncated_or_foreign_manifest_means_recompute(tmp_path, text):
    run_stage(tmp_path, "s", "k1", _writer(**{"a.txt": "A"}))
    manifest_path(tmp_path, "s").write_text(text)
    assert valid_manifest(tmp_path, "s", "k1") is None


def test_a_stage_that_fails_while_computing_leaves_the_run_folder_as_it_was(
        tmp_path, monkeypatch):
    first = run_stage(tmp_path, "s", "k1", _writer(**{"a.txt": "A1", "b.txt": "B1"}))[1]
    _die_at(monkeypatch, "s:computed")
    with pytest.raises(Killed):
        run_stage(tmp_path, "s", "k2", _writer(**{"a.txt": "A2", "b.txt": "B2"}))
    assert (tmp_path / "a.txt").read_text() == "A1"
    assert valid_manifest(tmp_path, "s", "k1") == first
    assert valid_manifest(tmp_path, "s", "k2") is None


def test_a_mix_of_two_runs_files_is_never_read_as_complete(tmp_path, monkeypatch):
    """Killed after the first file is moved: neither key may reuse the folder."""
    old = manifest_path(tmp_path, "s")
    run_stage(tmp_path, "s", "k1", _writer(**{"a.txt": "A1", "b.txt": "B1"}))
    old_text = old.read_text()
    _die_at(monkeypatch, "s:moving")
    with pytest.raises(Killed):
        run_stage(tmp_path, "s", "k2", _writer(**{"a.txt": "A2", "b.txt": "B2"}))
    assert [(tmp_path / n).read_text() for n in ("a.txt", "b.txt")] == ["A2", "B1"]
    assert valid_manifest(tmp_path, "s", "k1") is None
    assert valid_manifest(tmp_path, "s", "k2") is None
    # even with the old manifest put back, the moved file's hash betrays the mix
    atomic_write_text(old, old_text)
    assert valid_manifest(tmp_path, "s", "k1") is None


def test_a_downstream_key_changes_with_its_upstream_outputs(tmp_path):
    _, one = run_stage(tmp_path / "x", "up", "k", _writer(**{"f.txt": "features 1"}))
    _, two = run_stage(tmp_path / "y", "up", "k", _writer(**{"f.txt": "features 2"}))
    _, same = run_stage(tmp_path / "z", "up", "k", _writer(**{"f.txt": "features 1"}))
    # same key, different bytes: the model computed from one is not the other's
    assert one.key == two.key and one.digest != two.digest
    assert one.digest == same.digest
    assert stage_key(one.digest, {"model": 1}) != stage_key(two.digest, {"model": 1})


def test_temporary_folders_of_dead_runs_are_removed_and_live_ones_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    gone = tmp_path / f".tmp-{int(dead.stdout)}-s-abc"
    live = tmp_path / f".tmp-{os.getppid()}-s-def"
    for folder in (gone, live):
        folder.mkdir()
        (folder / "half.parquet").write_bytes(b"PAR1")
    half_json = tmp_path / f".tmp-{int(dead.stdout)}-run.json-xyz"
    half_json.write_text('{"na')
    run_stage(tmp_path, "t", "k", _writer(**{"a.txt": "A"}))
    assert not gone.exists() and not half_json.exists()
    assert live.exists()  # another run, still writing


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "run.json"
    atomic_write_text(path, "old")

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_reports_are_rendered_aside_and_swapped_in_whole(tmp_path):
    import pytest

    from earlysignal.pipeline._run import _swapped_in

    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "index.html").write_text("old index")
    (folder / "fairness.html").write_text("audit")

    def broken(tmp):
        (tmp / "index.html").write_text("half")
        raise RuntimeError("killed while rendering")

    with pytest.raises(RuntimeError):
        _swapped_in(folder, broken)
    # nothing half-written reached the folder
    assert (folder / "index.html").read_text() == "old index"

    def render(tmp):
        (tmp / "index.html").write_text("new index")
        return {"index": tmp / "index.html"}

    paths = _swapped_in(folder, render)
    assert paths == {"index": folder / "index.html"}
    assert (folder / "index.html").read_text() == "new index"
    assert (folder / "fairness.html").read_text() == "audit"  # carried over
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]
