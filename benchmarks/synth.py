"""Benchmark the synthetic cohort generator: time and peak memory of write_cohort.

Each run is a fresh subprocess, so its peak resident memory (ru_maxrss) is its own.

    .venv/bin/python benchmarks/synth.py                      # 100k, 1M termly; 100k daily
    .venv/bin/python benchmarks/synth.py --sizes 100000 --daily-sizes ""
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from pathlib import Path
from earlysignal.data.synth import SynthConfig, write_cohort
people, mode, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
paths = write_cohort(SynthConfig(people=people, seed=1, attendance=mode), out)
seconds = time.perf_counter() - t0
import pyarrow.parquet as pq
rows = {k: pq.ParquetFile(p).metadata.num_rows for k, p in paths.items()}
size = sum(Path(p).stat().st_size for p in paths.values())
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows, "mb": size / 2**20}))
"""


def run(people: int, mode: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(people), mode, out],
                              capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000",
                    help="comma-separated numbers of people, termly attendance")
    ap.add_argument("--daily-sizes", default="100000",
                    help="comma-separated numbers of people, daily attendance")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    runs = [(n, "termly") for n in _sizes(args.sizes)]
    runs += [(n, "daily") for n in _sizes(args.daily_sizes)]
    header = (f"{'people':>10} {'attendance':>10} {'seconds':>8} {'people/s':>10} "
              f"{'peak MB':>8} {'events':>11} {'periods':>12} {'files MB':>9}")
    print(header)
    print("-" * len(header))
    results = []
    for people, mode in runs:
        r = run(people, mode)
        results.append({"people": people, "attendance": mode, **r})
        print(f"{people:>10,} {mode:>10} {r['seconds']:>8.1f} "
              f"{people / r['seconds']:>10,.0f} {r['peak_mb']:>8.0f} "
              f"{r['rows']['events']:>11,} {r['rows']['periods']:>12,} "
              f"{r['mb']:>9.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
