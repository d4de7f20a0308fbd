"""Every shell and Python block in the README and in docs/ runs, as written.

A newcomer tries the README's examples first; they are run here in a fresh folder
(with the repository's pipelines and this virtual environment beside it), in the
order they appear, so that an example that stops working fails the suite.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```(bash|python)\n(.*?)^```", re.M | re.S)
# Blocks that set up or test the project itself: running them here would recurse.
SELF = ("dev.py",)


def blocks() -> list[tuple[str, str, str]]:
    """(where, language, code) of every runnable block, in reading order."""
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = []
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            line = text[: m.start()].count("\n") + 1
            code = m.group(2)
            if not any(s in code for s in SELF):
                found.append((f"{doc.relative_to(ROOT)}:{line}", m.group(1), code))
    return found


def test_the_readme_has_runnable_blocks():
    langs = [lang for _, lang, _ in blocks()]
    assert "bash" in langs and "python" in langs


@pytest.mark.slow
def test_every_block_runs_as_written(tmp_path):
    (tmp_path / "pipelines").symlink_to(ROOT / "pipelines")
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    for where, lang, code in blocks():
        cmd = (["bash", "-euo", "pipefail", "-c", code] if lang == "bash"
               else [sys.executable, "-c", code])
        done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=1500)
        assert done.returncode == 0, (
            f"{where} ({lang}) exited {done.returncode}\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}")
        assert "Traceback" not in done.stderr, f"{where}: {done.stderr[-3000:]}"
