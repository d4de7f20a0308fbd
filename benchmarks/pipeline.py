"""Time the demo pipeline stage by stage at 20,000 and 200,000 people.

Each stage runs in its own process (earlier stages are reused from the run folder's
cache), so the peak memory printed for a stage is that process's own peak
(``ru_maxrss``), including Python and library start-up and reading the cached inputs. Seconds are the stage's own
time as the run records it in ``run.json``.

    .venv/bin/python benchmarks/pipeline.py [--sizes 20000 200000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
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
raw["data"]["synth"]["people"] = int(sys.argv[2])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    args = parser.parse_args()
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
