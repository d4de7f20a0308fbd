#!/usr/bin/env python3
"""Set up and run earlysignal with nothing but Python 3.11+ and pip.

    python3 dev.py demo    # the demo pipeline, end to end, on synthetic data
    python3 dev.py test    # lint, type check and the whole test suite

Each command creates ``.venv`` on first use and refreshes it whenever
``pyproject.toml`` changes, so nothing else needs installing by hand.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed-from"
EXTRAS = "dev,spark"


def _run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT)
    if result.returncode:
        sys.exit(result.returncode)


def _say(line: str) -> None:
    print(line, flush=True)


def _requirements() -> tuple[int, int]:
    """The project's direct requirements: core, and those of the extras installed."""
    import tomllib  # Python 3.11+, checked before this is called

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    return (len(project.get("dependencies", [])),
            sum(len(extras.get(e, [])) for e in EXTRAS.split(",")))


def ensure_venv() -> None:
    """Create or refresh .venv so that it matches pyproject.toml."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py itself runs on any Python 3
        sys.exit(f"earlysignal needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    start = time.monotonic()
    if not (BIN / "python").exists():
        _say(f"creating a virtual environment in {VENV}")
        venv.create(VENV, with_pip=True)
    elif STAMP.exists():
        _say(f"pyproject.toml changed since {VENV} was set up: refreshing it")
    py = BIN / "python"
    # uv installs the stack in a fraction of pip's time; pip remains the fallback.
    _say("installing uv (a faster installer) into it with pip")
    has_uv = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "uv>=0.4"], cwd=ROOT
    ).returncode == 0
    if not has_uv:
        _say("uv could not be installed; pip installs the project instead (slower)")
    core, extra = _requirements()
    target = f".[{EXTRAS}]"
    _say(f"installing earlysignal, its {core} direct dependencies and {extra} more "
         f"for the {EXTRAS.replace(',', ' and ')} extras, with everything they need, "
         f"using {'uv' if has_uv else 'pip'}")
    if has_uv:
        _run(BIN / "uv", "pip", "install", "--python", py, "-q", "-e", target)
    else:
        _run(py, "-m", "pip", "install", "-q", "-e", target)
    STAMP.write_text(wanted)
    _say(f"{VENV} is ready ({time.monotonic() - start:.0f} s)")


def demo(args: list[str]) -> None:
    _run(BIN / "earlysignal", "run", "pipelines/demo.yaml", *args)


def test(args: list[str]) -> None:
    _run(BIN / "ruff", "check", "src", "tests", "benchmarks", "dev.py")
    _run(BIN / "mypy", "src/earlysignal")
    # Locally, tests needing Java or Chromium are skipped when those are missing;
    # CI installs both (.ci/run), and there a missing one fails the run instead.
    skip = []
    if not os.environ.get("CI"):
        if not shutil.which("java"):
            skip.append("spark")
        if not Path("/usr/bin/chromium").exists():
            skip.append("browser")
    for mark in skip:
        print(f"skipping the {mark} tests: see README, 'Two commands'", flush=True)
    marks = ["-m", " and ".join(f"not {m}" for m in skip)] if skip else []
    paths = [] if args else ["tests", "src/earlysignal", "notebooks", "--nbmake"]
    _run(BIN / "python", "-m", "pytest", *marks, *paths, *args)


def docs(args: list[str]) -> None:
    """Regenerate the configuration reference in README.md from the config models."""
    code = ("from pathlib import Path; from earlysignal.pipeline._reference import "
            "update_readme as u; p = Path('README.md'); p.write_text(u(p.read_text()))")
    _run(BIN / "python", "-c", code)


COMMANDS = {"demo": demo, "test": test, "docs": docs}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    ensure_venv()
    COMMANDS[sys.argv[1]](sys.argv[2:])
