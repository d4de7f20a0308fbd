"""Speed and quality of linking agencies' records with Splink, against exact
deterministic matching on cleaned name and date of birth, measured side by side.

The synthetic cohort is split into its four agencies' registers (school, social
care, police, youth justice) with the recording errors of ``synth --agencies``;
both methods link the same records and are scored against the same truth. The
table gives wall time, the process's peak resident memory after each step, and
pairwise precision, recall and F1; then the ratios of Splink to the reference,
and Splink's time per million records against its documentation's order of "a
million records on a laptop in about a minute".

    python benchmarks/linkage.py                    # about 100,000 records
    python benchmarks/linkage.py --records 1000000  # a million (minutes here)
    python benchmarks/linkage.py --records 20000 --engine spark
"""

from __future__ import annotations

import argparse
import resource
import time

import pandas as pd

from earlysignal.data import Pseudonymiser
from earlysignal.data.synth import SynthConfig, generate
from earlysignal.data.synth._agencies import AgenciesConfig, make_agencies
from earlysignal.linkage import LinkageConfig, link_tables, pair_metrics
from earlysignal.linkage._prepare import prepare_records

#: Records per person across the four registers, measured on the synthetic cohort.
RECORDS_PER_PERSON = 1.30
PUBLISHED_S_PER_MILLION = 60.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process, every thread: on a shared machine wall time
    also counts the time spent waiting for a core."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _people(records: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    cohort = generate(SynthConfig(people=int(records / RECORDS_PER_PERSON),
                                  seed=seed))
    ex = make_agencies(cohort.tables, AgenciesConfig(seed=seed), end=cohort.config.end)
    return ex.stacked()["people"], ex.truth


def _deterministic(people: pd.DataFrame) -> pd.Series:
    """The reference: records with the same cleaned given name, family name and
    date of birth are one person; a record missing any of them stands alone."""
    rec = prepare_records(people, LinkageConfig())
    key = rec["first_name"] + "|" + rec["surname"] + "|" + rec["date_of_birth"]
    key = key.where(key.notna(), "alone:" + rec["unique_id"])
    return pd.Series(pd.factorize(key)[0], index=rec["unique_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=None,
                        help="match threshold (default: the linkage's own)")
    args = parser.parse_args()

    t = time.perf_counter()
    people, truth = _people(args.records, args.seed)
    made = time.perf_counter() - t
    person = truth.set_index("record_id")["person_id"]
    print(f"{len(people):,} records of {truth['person_id'].nunique():,} people in "
          f"four registers (made in {made:.1f} s)")

    rows = []
    t, c = time.perf_counter(), _cpu()
    det = _deterministic(people)
    seconds, cpu = time.perf_counter() - t, _cpu() - c
    m = pair_metrics(det.reset_index(drop=True),
                     person.reindex(det.index).reset_index(drop=True))
    rows.append({"method": "exact name + date of birth", "seconds": seconds,
                 "cpu_seconds": cpu, "peak_mb": _peak_mb(), **m})

    config = LinkageConfig(engine=args.engine) if args.threshold is None else \
        LinkageConfig(engine=args.engine, threshold=args.threshold)
    t, c = time.perf_counter(), _cpu()
    linked = link_tables({"people": people}, config, Pseudonymiser("benchmark key " * 2))
    seconds, cpu = time.perf_counter() - t, _cpu() - c
    c = linked.run.clusters
    m = pair_metrics(c["cluster_id"], c["unique_id"].map(person))
    rows.append({"method": f"Splink ({args.engine}, threshold {config.threshold})",
                 "seconds": seconds, "cpu_seconds": cpu, "peak_mb": _peak_mb(), **m})

    table = pd.DataFrame(rows).set_index("method")
    cols = ["seconds", "cpu_seconds", "peak_mb", "precision", "recall", "f1",
            "split_share", "merged_share"]
    print(table[cols].round({"seconds": 1, "cpu_seconds": 1, "peak_mb": 0,
                             "precision": 4, "recall": 4, "f1": 4,
                             "split_share": 4, "merged_share": 4}).to_string())
    ref, spl = table.iloc[0], table.iloc[1]
    print(f"Splink / reference: time x{spl['seconds'] / ref['seconds']:.0f}, "
          f"recall x{spl['recall'] / ref['recall']:.3f}, "
          f"precision x{spl['precision'] / ref['precision']:.3f}")
    per_million = spl["seconds"] / len(people) * 1_000_000
    print(f"Splink used {spl['cpu_seconds']:.1f} CPU seconds in {spl['seconds']:.1f} "
          "s of wall time")
    print("Splink steps (s): " + ", ".join(
        f"{k} {v:.1f}" for k, v in linked.run.seconds.items()))
    print(f"Splink at {per_million:,.0f} s per million records (linear scale-up "
          f"from {len(people):,}); its documentation's order is about "
          f"{PUBLISHED_S_PER_MILLION:.0f} s on a laptop: ratio "
          f"{per_million / PUBLISHED_S_PER_MILLION:.1f} on this machine")


if __name__ == "__main__":
    main()
