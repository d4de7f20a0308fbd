"""Benchmark of the feature engine on the synthetic cohort with daily attendance.

Contenders, each run in its own subprocess (peak memory is that process's
``ru_maxrss``):

- ``ours``: :func:`earlysignal.features.compute_features` on DuckDB, reading Parquet;
- ``pandas``: the naive reference in ``tests/features/reference.py`` (same features);
- ``featuretools``: deep feature synthesis with cutoff times and a training window
  per window (count and sum of events, periods and episodes by type), in its own
  virtual environment (featuretools needs pandas < 3);
- ``floor``: DuckDB scanning the same Parquet once (count and sum per person).

Usage::

    python benchmarks/features.py --people 20000 200000 [--out /tmp/es-bench]
        [--no-featuretools] [--pandas-max 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

AS_OF = ["2021-09-01", "2022-09-01", "2023-09-01"]
WINDOWS = ["30d", "90d", "365d"]
SPECS = [
    {"name": "behaviour", "from": "events",
     "where": {"source": "school", "event_type": "behaviour_incident"},
     "aggregate": ["count", "days_since_last"], "windows": WINDOWS},
    {"name": "suspensions", "from": "events",
     "where": {"event_type": ["suspension", "permanent_exclusion"]},
     "aggregate": ["count", "sum"], "windows": WINDOWS},
    {"name": "police_contacts", "from": "events", "where": {"source": "police"},
     "aggregate": ["count"], "windows": WINDOWS},
    {"name": "referrals", "from": "events", "where": {"source": "social_care"},
     "aggregate": ["count"], "windows": WINDOWS},
    {"name": "social_care", "from": "episodes",
     "where": {"episode_type": ["child_in_need", "child_protection", "looked_after"]},
     "aggregate": ["open", "started", "days_in"], "windows": WINDOWS},
    {"name": "on_roll", "from": "episodes", "where": {"episode_type": "enrolment"},
     "aggregate": ["days_in"], "windows": WINDOWS},
    {"name": "absence", "from": "periods",
     "ratio": {"numerator": {"measure": ["authorised_absence",
                                         "unauthorised_absence"]},
               "denominator": {"measure": "sessions_possible"}},
     "aggregate": ["ratio", "persistent"], "windows": WINDOWS},
    {"name": "unauthorised_absence", "from": "periods",
     "ratio": {"numerator": {"measure": "unauthorised_absence"},
               "denominator": {"measure": "sessions_possible"}},
     "aggregate": ["ratio"], "windows": WINDOWS},
]
INPUTS = ("events", "episodes", "periods")
FT_VENV = Path("/tmp/ft-venv")
HERE = Path(__file__).resolve()


def input_rows(data: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(data / f"{t}.parquet").metadata.num_rows for t in INPUTS)


def cohort_frame(data: Path):
    import pandas as pd

    people = pd.read_parquet(data / "people.parquet", columns=["person_id"])
    return pd.DataFrame({
        "person_id": list(people["person_id"]) * len(AS_OF),
        "as_of": pd.to_datetime([d for d in AS_OF for _ in range(len(people))]),
    })


# ---------------------------------------------------------------- contenders

def run_ours(data: Path) -> dict:
    from earlysignal.data import CanonicalTables
    from earlysignal.features._compute import compute_features

    cohort = cohort_frame(data)
    _warm_up()
    t0 = time.perf_counter()
    fs = compute_features(CanonicalTables.read_dir(data), cohort, SPECS)
    return {"seconds": time.perf_counter() - t0, "shape": list(fs.frame.shape)}


def _warm_up() -> None:
    """Import the engine's libraries before the clock starts, as for the others."""
    import ibis
    import pyarrow  # noqa: F401

    ibis.duckdb.connect().disconnect()


def run_pandas(data: Path) -> dict:
    import pandas as pd

    sys.path.insert(0, str(HERE.parents[1] / "tests" / "features"))
    from reference import reference_features

    from earlysignal.data import CanonicalTables
    from earlysignal.features._spec import parse_feature_specs

    cohort = cohort_frame(data)
    t0 = time.perf_counter()
    tables = CanonicalTables.read_dir(data)
    frames = {n: tables[n] for n in ("people", *INPUTS)}
    out = reference_features(frames, cohort, parse_feature_specs(SPECS))
    assert isinstance(out, pd.DataFrame)
    return {"seconds": time.perf_counter() - t0, "shape": list(out.shape)}


def run_floor(data: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    t0 = time.perf_counter()
    for t in INPUTS:
        value = "sum(value)" if t != "episodes" else "count(end_date)"
        # the path is our own benchmark folder, not user input
        con.sql(f"SELECT person_id, count(*), {value} FROM "
                f"read_parquet('{data / (t + '.parquet')}') GROUP BY 1").fetchall()
    return {"seconds": time.perf_counter() - t0}


def run_featuretools(data: Path) -> dict:
    import featuretools as ft
    import pandas as pd

    cohort = cohort_frame(data)
    t0 = time.perf_counter()
    people = pd.read_parquet(data / "people.parquet", columns=["person_id"])
    ev = pd.read_parquet(data / "events.parquet",
                         columns=["person_id", "event_date", "event_type", "value"])
    ep = pd.read_parquet(data / "episodes.parquet",
                         columns=["person_id", "start_date", "episode_type"])
    pe = pd.read_parquet(data / "periods.parquet",
                         columns=["person_id", "period_end", "measure", "value"])
    for df in (ev, ep, pe):
        df.insert(0, "row_id", range(len(df)))
    es = ft.EntitySet("cohort")
    es.add_dataframe(dataframe_name="people", dataframe=people, index="person_id")
    es.add_dataframe(dataframe_name="events", dataframe=ev, index="row_id",
                     time_index="event_date",
                     logical_types={"event_type": "Categorical"})
    es.add_dataframe(dataframe_name="episodes", dataframe=ep, index="row_id",
                     time_index="start_date",
                     logical_types={"episode_type": "Categorical"})
    es.add_dataframe(dataframe_name="periods", dataframe=pe, index="row_id",
                     time_index="period_end", logical_types={"measure": "Categorical"})
    for child in ("events", "episodes", "periods"):
        es.add_relationship("people", "person_id", child, "person_id")
    es["events"].ww.columns["event_type"].metadata["interesting_values"] = [
        "behaviour_incident", "suspension", "police_contact", "referral"]
    es["episodes"].ww.columns["episode_type"].metadata["interesting_values"] = [
        "child_in_need", "child_protection", "looked_after", "enrolment"]
    es["periods"].ww.columns["measure"].metadata["interesting_values"] = [
        "sessions_possible", "authorised_absence", "unauthorised_absence"]
    cutoff = cohort.rename(columns={"as_of": "time"})
    n_features = 0
    for w in WINDOWS:
        fm, defs = ft.dfs(entityset=es, target_dataframe_name="people",
                          agg_primitives=["count", "sum"], trans_primitives=[],
                          where_primitives=["count", "sum"], max_depth=1,
                          cutoff_time=cutoff, training_window=f"{int(w[:-1])} days",
                          cutoff_time_in_index=True, n_jobs=1)
        n_features += fm.shape[1]
    return {"seconds": time.perf_counter() - t0, "features": n_features}


CONTENDERS = {"ours": run_ours, "pandas": run_pandas, "floor": run_floor,
              "featuretools": run_featuretools}


# ---------------------------------------------------------------- driver

def ensure_data(out: Path, people: int) -> Path:
    data = out / f"p{people}"
    if not (data / "periods.parquet").exists():
        from earlysignal.data.synth import SynthConfig, write_cohort

        print(f"generating {people:,} people with daily attendance ...", flush=True)
        write_cohort(SynthConfig(people=people, seed=1, attendance="daily"), data)
    return data


def ensure_featuretools() -> Path | None:
    py = FT_VENV / "bin" / "python"
    if py.exists():
        return py
    print("creating a virtual environment for featuretools ...", flush=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(FT_VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "featuretools",
                        "pandas<3", "pyarrow"], check=True)
    except subprocess.CalledProcessError as e:
        print(f"featuretools could not be installed: {e}")
        return None
    return py


def measure(name: str, data: Path, python: str = sys.executable,
            timeout: float = 3600) -> dict:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    cmd = [python, str(HERE), "--contender", name, "--data", str(data)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--out", type=Path, default=Path("/tmp/es-bench"))
    ap.add_argument("--contender")
    ap.add_argument("--data", type=Path)
    ap.add_argument("--no-featuretools", action="store_true")
    ap.add_argument("--pandas-max", type=int, default=20_000)
    ap.add_argument("--timeout", type=float, default=3600)
    args = ap.parse_args()
    if args.contender:
        result = CONTENDERS[args.contender](args.data)
        result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    results = {}
    for n in args.people:
        data = ensure_data(args.out, n)
        rows = input_rows(data)
        runs = {"ours": measure("ours", data, timeout=args.timeout),
                "floor": measure("floor", data, timeout=args.timeout)}
        if n <= args.pandas_max:
            runs["pandas"] = measure("pandas", data, timeout=args.timeout)
        if n == min(args.people) and not args.no_featuretools:
            py = ensure_featuretools()
            runs["featuretools"] = (measure("featuretools", data, str(py),
                                            timeout=args.timeout) if py else
                                    {"error": "featuretools could not be installed"})
        for r in runs.values():
            if "seconds" in r:
                r["rows_per_s"] = rows / r["seconds"]
        results[n] = (rows, runs)
    report(results)


def report(results: dict) -> None:
    print(f"\n{'people':>8} {'contender':<13} {'wall s':>9} {'peak MB':>9} "
          f"{'input rows/s':>14}")
    for n, (rows, runs) in results.items():
        for name, r in runs.items():
            if "error" in r:
                print(f"{n:>8} {name:<13} {r['error']}")
            else:
                print(f"{n:>8} {name:<13} {r['seconds']:>9.2f} {r['max_rss_mb']:>9.0f} "
                      f"{r['rows_per_s']:>14,.0f}")
        print(f"{'':>8} input rows (events + episodes + periods): {rows:,}")
    sizes = sorted(results)
    big, small = sizes[-1], sizes[0]
    ours_big = results[big][1]["ours"]
    ft = results[small][1].get("featuretools", {})
    if "rows_per_s" in ft and "rows_per_s" in ours_big:
        print(f"ours ({big:,}) vs featuretools ({small:,}) rows/s: "
              f"{ours_big['rows_per_s'] / ft['rows_per_s']:.1f}x (target >= 30x)")
    for n in sizes:
        runs = results[n][1]
        if "rows_per_s" in runs.get("pandas", {}):
            print(f"ours vs pandas reference at {n:,}: "
                  f"{runs['pandas']['seconds'] / runs['ours']['seconds']:.1f}x faster")
        if "seconds" in runs["floor"] and "seconds" in runs["ours"]:
            print(f"ours vs floor at {n:,}: "
                  f"{runs['ours']['seconds'] / runs['floor']['seconds']:.1f}x the floor "
                  "(target within 10x)")
    if len(sizes) > 1 and "seconds" in ours_big:
        t_ratio = ours_big["seconds"] / results[small][1]["ours"]["seconds"]
        print(f"scaling {big:,}/{small:,}: time x{t_ratio:.1f} for people "
              f"x{big / small:.0f}")
        print(f"peak memory, ours at {big:,}: {ours_big['max_rss_mb'] / 1024:.2f} GB "
              "(target < 6 GB)")


if __name__ == "__main__":
    main()
