"""Time the demo pipeline stage by stage at 20,000 and 200,000 people.

Each stage runs in its own process (earlier stages are reused from the run folder's
cache), so the peak memory printed for a stage is that process's own peak
(``ru_maxrss``), including Python and library start-up and reading the cached inputs. Seconds are the stage's own
time as the run records it in ``run.json``.

    .venv/bin/python benchmarks/pipeline.py [--sizes 20000 200000] [--keep]

Side by side with another version of the code (a checkout of an earlier commit,
e.g. ``git worktree add /tmp/base main``), on the same machine in the same run:

    .venv/bin/python benchmarks/pipeline.py --sizes 3000 --against /tmp/base \
        --stages model tracking --repeat 3

The stages before the first timed one are computed once; each repetition then runs
each timed stage afresh, in its own process, for this version and the other one
back to back (which goes first alternates), so that a change in the machine's load
falls on both alike. Medians of the
repetitions are printed with their ratio (other / this). The timed stages'
metrics.json of the two versions are compared; any difference is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("features", "model", "fairness", "explain", "impact", "reports", "tracking")

_DRIVER = """
import json, resource, sys
from earlysignal.pipeline import config_from_dict, run_pipeline
from earlysignal.pipeline._yaml import read_yaml
raw = read_yaml(sys.argv[1])
if "synth" in raw["data"]:
    raw["data"]["synth"]["people"] = int(sys.argv[2])
if raw.get("tracking", {}).get("enabled", True):
    raw["tracking"] = {"uri": "sqlite:///" + sys.argv[4] + "/mlflow.db"}
cfg = config_from_dict(raw, source=sys.argv[1], base_dir=sys.argv[5])
stages = tuple(sys.argv[6].split(","))
res = run_pipeline(cfg, out=sys.argv[3], stages=stages)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"timings": res.timings, "peak_mb": peak}))
"""


def run_step(people: int, run_dir: Path, work: Path, stages: tuple[str, ...]
             ) -> tuple[dict[str, float], float]:
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(ROOT / "pipelines" / "demo.yaml"),
         str(people), str(run_dir), str(work), str(ROOT / "pipelines"),
         ",".join(stages)],
        capture_output=True, text=True, cwd=work)
    if proc.returncode:
        sys.exit(f"stage {stages[-1]} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["timings"], out["peak_mb"]


def bench(people: int, keep: bool) -> list[tuple[str, float, float]]:
    work = Path(tempfile.mkdtemp(prefix=f"es-bench-{people}-"))
    run_dir = work / "run"
    rows = []
    try:
        for i, step in enumerate(STEPS):
            timings, peak = run_step(people, run_dir, work, STEPS[: i + 1])
            if i == 0:
                rows.append(("data (synthetic cohort)", timings["data"], peak))
            rows.append((step, timings[step], peak))
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return rows


_TRACK = """
import json, sys, time
import joblib
from earlysignal.features import read_feature_matrix
from earlysignal.pipeline import config_from_dict
from earlysignal.pipeline._track_stage import open_tracking, track_stage
from earlysignal.pipeline._yaml import read_yaml
raw = read_yaml(sys.argv[1])
if "synth" in raw["data"]:
    raw["data"]["synth"]["people"] = int(sys.argv[2])
if raw.get("tracking", {}).get("enabled", True):
    raw["tracking"] = {"uri": "sqlite:///" + sys.argv[4] + "/mlflow.db"}
cfg = config_from_dict(raw, source=sys.argv[1], base_dir=sys.argv[5])
run = __import__("pathlib").Path(sys.argv[3])
info = json.loads((run / "run.json").read_text())
matrix, metadata = read_feature_matrix(run / "features")
start = time.perf_counter()
opened = open_tracking(cfg)
mid = time.perf_counter()
track_stage(cfg, run, info, joblib.load(run / "model.joblib"), matrix, metadata,
            run_id=opened["run_id"])
end = time.perf_counter()
print(json.dumps({"timings": {"tracking (open run)": mid - start,
                              "tracking": end - mid}, "peak_mb": 0}))
"""

#: Files a stage writes, removed from a prepared run folder so that it runs again.
_OUTPUTS = {"model": ("scores.parquet", "metrics.json", "model.joblib", "plots"),
            "fairness": ("fairness.json", "fairness.csv"),
            "explain": ("explain", "caseload.parquet", "bands.json"),
            "impact": ("impact.json",), "reports": ("reports",)}


def _run(root: Path, code: str, people: int, run_dir: Path, work: Path,
         stages: tuple[str, ...], config: Path = ROOT / "pipelines" / "demo.yaml"
         ) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(config), str(people), str(run_dir),
         str(work), str(config.parent), ",".join(stages)],
        capture_output=True, text=True, cwd=work, env=env)
    if proc.returncode:
        sys.exit(f"{root}: stages {stages} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["timings"]


def _fresh_copy(prepared: Path, dest: Path, stage: str) -> None:
    shutil.copytree(prepared, dest)
    for later in STEPS[STEPS.index(stage):]:
        (dest / ".stages" / f"{later}.json").unlink(missing_ok=True)
        for name in _OUTPUTS.get(later, ()):
            path = dest / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _leaves(doc: object, path: str = "") -> dict[str, object]:
    if isinstance(doc, dict):
        return {k: v for key, sub in doc.items()
                for k, v in _leaves(sub, f"{path}/{key}").items()}
    if isinstance(doc, list):
        return {k: v for i, sub in enumerate(doc)
                for k, v in _leaves(sub, f"{path}[{i}]").items()}
    return {path: doc}


def _compare(a: object, b: object) -> str:
    """Identical, or how far apart the numbers are and whether any printed figure
    (three decimals) or text differs."""
    la, lb = _leaves(a), _leaves(b)
    if la == lb:
        return "identical"
    if la.keys() != lb.keys():
        return f"DIFFERENT fields: {sorted(la.keys() ^ lb.keys())[:5]}"
    numbers = [(k, float(v), float(lb[k])) for k, v in la.items()
               if isinstance(v, int | float) and isinstance(lb[k], int | float)
               and not isinstance(v, bool) and v != lb[k]]
    texts = [k for k, v in la.items() if v != lb[k] and not (
        isinstance(v, int | float) and isinstance(lb[k], int | float))]
    printed = [k for k, x, y in numbers if f"{x:.3f}" != f"{y:.3f}"]
    worst = max((abs(x - y) / max(abs(x), abs(y)) for _, x, y in numbers), default=0)
    return (f"{len(numbers)} numbers differ, by at most {worst:.1e} relative; "
            f"{len(printed)} differ at three decimals {printed[:5]}; "
            f"{len(texts)} texts differ {texts[:5]}")


def side_by_side(people: int, against: Path, stages: list[str], repeat: int,
                 config: Path) -> None:
    """Time ``stages`` for this code and ``against``, alternating, ``repeat`` times."""
    work = Path(tempfile.mkdtemp(prefix=f"es-side-{people}-"))
    try:
        prepared = work / "prepared"
        upto = [s for s in STEPS if s != "tracking"]
        last = len(upto) if "tracking" in stages else max(
            upto.index(s) for s in stages) + 1
        _run(ROOT, _DRIVER, people, prepared, work, tuple(upto[:last]), config)
        roots = {"this": ROOT, "other": against}
        times: dict[str, dict[str, list[float]]] = {k: {} for k in roots}
        metrics: dict[str, str] = {}
        for i in range(repeat):
            # stage by stage, the two versions back to back, the first one
            # alternating: a change in the machine's load falls on both alike
            order = list(roots.items())[:: 1 if i % 2 == 0 else -1]
            for stage in stages:
                for who, root in order:
                    run = work / f"{who}-{stage}-{i}"
                    if stage == "tracking":
                        shutil.copytree(prepared, run)
                        got = _run(root, _TRACK, people, run, work, (), config)
                    else:
                        _fresh_copy(prepared, run, stage)
                        got = {stage: _run(root, _DRIVER, people, run, work,
                                           tuple(upto[:upto.index(stage) + 1]),
                                           config)[stage]}
                    for name, secs in got.items():
                        times[who].setdefault(name, []).append(secs)
                    if stage == "model" and i == 0:
                        metrics[who] = (run / "metrics.json").read_text()
                    shutil.rmtree(run, ignore_errors=True)
                    print(f"  rep {i + 1}, {who}: {got}", flush=True)
        print(f"\n{config.name}, {people:,} people (when synthetic), medians of "
              f"{repeat} (seconds); other = {against}")
        print(f"{'stage':<22}{'other':>10}{'this':>10}{'other/this':>12}   spread")
        for name in times["this"]:
            a, b = times["other"][name], times["this"][name]
            ma, mb = statistics.median(a), statistics.median(b)
            spread = (f"other {min(a):.1f}-{max(a):.1f}, this "
                      f"{min(b):.1f}-{max(b):.1f}")
            print(f"{name:<22}{ma:>10.1f}{mb:>10.1f}{ma / mb:>11.2f}x   {spread}")
        if metrics:
            print("\nmodel stage metrics.json, other against this: "
                  + _compare(json.loads(metrics["other"]), json.loads(metrics["this"])))
            if metrics["this"] != metrics["other"]:
                for who, text in metrics.items():
                    (Path.cwd() / f"metrics-{who}-{people}.json").write_text(text)
        print(f"load average now: {os.getloadavg()[0]:.2f} on "
              f"{os.cpu_count()} cores (a shared machine: expect noise)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    parser.add_argument("--against", type=Path,
                        help="another checkout of the code, timed side by side")
    parser.add_argument("--stages", nargs="+", default=["model", "tracking"],
                        choices=[s for s in STEPS if s != "features"],
                        help="stages timed side by side (with --against)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--config", type=Path, default=ROOT / "pipelines" / "demo.yaml",
                        help="pipeline config timed side by side (e.g. "
                        "pipelines/oulad.yaml with OULAD_DIR set)")
    args = parser.parse_args()
    if args.against is not None:
        for n in args.sizes:
            side_by_side(n, args.against.resolve(), args.stages, args.repeat,
                         args.config.resolve())
        return
    results = {n: bench(n, args.keep) for n in args.sizes}
    print(f"{'stage':<26}" + "".join(f"{f'{n:,} people':>26}" for n in args.sizes))
    print(f"{'':<26}" + "".join(f"{'seconds':>12}{'peak MB':>14}"
                                for _ in args.sizes))
    for i, (stage, _, _) in enumerate(results[args.sizes[0]]):
        line = f"{stage:<26}"
        for n in args.sizes:
            _, secs, peak = results[n][i]
            line += f"{secs:>12.1f}{peak:>14,.0f}"
        print(line)
    totals = {n: sum(r[1] for r in results[n]) for n in args.sizes}
    print(f"{'total':<26}" + "".join(f"{totals[n]:>12.1f}{'':>14}" for n in args.sizes))
    if len(args.sizes) > 1:
        a, b = args.sizes[0], args.sizes[-1]
        print(f"\ntime ratio {b:,}/{a:,} people: {totals[b] / totals[a]:.1f}x for "
              f"{b / a:.0f}x the people")


if __name__ == "__main__":
    main()
