"""What linkage does to the model: the same agencies' extracts keyed by the true
person and by Splink's linked people, run through the same pipeline, compared on
the same people and dates.

The synthetic cohort is split into its agencies' registers (``synth --agencies``).
Both runs key every record through the same code (``crosswalk`` and
``apply_linkage``); only the partition differs: the truth's, or Splink's clusters
at the configured threshold. Each run then builds its features, labels and
temporal model from ``pipelines/linked.yaml``.

Rows are compared on true person-dates: a true person is scored, in the linked
run, by the cluster holding most of their records, at the same as-of date; rows
where that cluster was not in the linked cohort are counted, not compared. Labels
are the true-id run's (the truth); the linked run's own labels (which a missed link
can lose) give the AUC it would report about itself. Precision and recall at
capacity flag the top ``capacity`` share of the compared rows at each as-of date.
Intervals resample true people (person-level bootstrap); a difference is a
verdict only when its interval excludes zero.

    python benchmarks/linkage_downstream.py                 # 3,000 people
    python benchmarks/linkage_downstream.py --people 6000 --boot 500
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from earlysignal.bootstrap import (
    people,
    percentile_interval,
    person_draws,
    weighted_auc,
)
from earlysignal.data import CanonicalTables, Pseudonymiser
from earlysignal.data.synth import SynthConfig, generate
from earlysignal.data.synth._agencies import AgenciesConfig, make_agencies
from earlysignal.linkage import apply_linkage, crosswalk, linkage_quality
from earlysignal.linkage._prepare import prepare_records
from earlysignal.linkage._splink import run_splink
from earlysignal.pipeline import load_config, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
KEY = "benchmark key, not a secret"


def _extracts(n: int, seed: int) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Every agency's tables stacked under local ids, and the truth."""
    cohort = generate(SynthConfig(people=n, seed=seed, start="2016-09-01",
                                  end="2024-08-31"))
    ex = make_agencies(cohort.tables, AgenciesConfig(seed=seed),
                       end=cohort.config.end)
    return ex.stacked(), ex.truth


def _run(frames: dict[str, pd.DataFrame], links: pd.DataFrame, config, folder: Path
         ) -> pd.DataFrame:
    """The pipeline's model scores of the tables keyed by ``links``."""
    tables = apply_linkage(frames, links, config.linkage)
    CanonicalTables.from_frames(tables).write_dir(folder / "data")
    run_pipeline(config, data_dir=folder / "data", out=folder / "run",
                 stages=("features", "model"))
    return pd.read_parquet(folder / "run" / "scores.parquet")


def _main_person(links: pd.DataFrame, truth: pd.DataFrame) -> pd.Series:
    """Each linked person id -> the true person it stands for, and each true
    person -> the linked id holding most of their records."""
    t = truth.set_index("record_id")["person_id"].astype(str)
    both = links.assign(true=links["unique_id"].map(t))
    counts = both.value_counts(["true", "person_id"]).rename("n").reset_index()
    best = counts.sort_values(["true", "n", "person_id"], ascending=[True, False,
                                                                      True])
    return best.drop_duplicates("true").set_index("true")["person_id"]


def _compare(true_scores: pd.DataFrame, linked_scores: pd.DataFrame,
             true_links: pd.DataFrame, linked_links: pd.DataFrame,
             truth: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """True person-dates with both runs' scores (true labels), and the number of
    scored true person-dates the linked run has no row for."""
    a = true_scores.dropna(subset=["label"]).copy()
    a["true"] = a["person_id"].map(
        _main_person(true_links, truth).reset_index().set_index("person_id")["true"])
    a["linked_id"] = a["true"].map(_main_person(linked_links, truth))
    b = linked_scores.rename(columns={"person_id": "linked_id", "score": "score_l",
                                      "label": "label_l"})
    rows = a.merge(b[["linked_id", "as_of", "score_l", "label_l"]],
                   on=["linked_id", "as_of"], how="left")
    missing = int(rows["score_l"].isna().sum())
    return rows.dropna(subset=["score_l"]).reset_index(drop=True), missing


def _flags(rows: pd.DataFrame, col: str, capacity: float) -> np.ndarray:
    """Top ``capacity`` share of rows by ``col`` at each as-of date."""
    rank = rows.groupby("as_of")[col].rank(method="first", ascending=False)
    size = rows.groupby("as_of")[col].transform("size")
    return (rank <= np.ceil(capacity * size)).to_numpy()


def _statistics(rows: pd.DataFrame, w: np.ndarray, capacity: float,
                group: str) -> dict[str, np.ndarray]:
    """Each statistic per resample (rows of ``w``), for both runs."""
    y = rows["label"].to_numpy().astype(float)
    out: dict[str, np.ndarray] = {}
    for tag, col in (("true ids", "score"), ("linked ids", "score_l")):
        s = rows[col].to_numpy()
        f = _flags(rows, col, capacity).astype(float)
        out[f"AUC ({tag})"] = weighted_auc(s, y, w)
        flagged = w @ f
        out[f"precision at capacity ({tag})"] = (w @ (f * y)) / flagged
        recall = {}
        for g in sorted(rows[group].dropna().unique()):
            m = (rows[group] == g).to_numpy().astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                # a resample may hold no positive of a small group
                recall[g] = (w @ (f * y * m)) / (w @ (y * m))
        r = np.vstack(list(recall.values()))
        out[f"recall at capacity, gap by {group} ({tag})"] = (
            np.nanmax(r, axis=0) - np.nanmin(r, axis=0))
    own = rows["label_l"].notna()
    out["AUC (linked ids, own labels)"] = weighted_auc(
        rows.loc[own, "score_l"].to_numpy(), rows.loc[own, "label_l"].to_numpy(),
        w[:, own.to_numpy()])
    return out


def compare_runs(rows: pd.DataFrame, capacity: float, group: str, n_boot: int,
                 seed: int) -> pd.DataFrame:
    """Each statistic on both runs with person-level 95% intervals, and the
    difference (linked minus true) with its interval and verdict."""
    point = _statistics(rows, np.ones((1, len(rows))), capacity, group)
    who = people(rows["true"].to_numpy())
    reps: dict[str, list[np.ndarray]] = {k: [] for k in point}
    for block in person_draws(who, n_boot, np.random.default_rng(seed)):
        for k, v in _statistics(rows, block[:, who.codes], capacity, group).items():
            reps[k].append(v)
    boot = {k: np.concatenate(v) for k, v in reps.items()}
    out = []
    for k in point:
        lo, hi = percentile_interval(boot[k][:, None])
        out.append({"statistic": k, "value": float(point[k][0]), "low": float(lo[0]),
                    "high": float(hi[0])})
    for name in ("AUC", "precision at capacity", f"recall at capacity, gap by {group}"):
        d = boot[f"{name} (linked ids)"] - boot[f"{name} (true ids)"]
        lo, hi = percentile_interval(d[:, None])
        value = float(point[f"{name} (linked ids)"][0] - point[f"{name} (true ids)"][0])
        verdict = ("linked lower" if hi[0] < 0 else "linked higher" if lo[0] > 0
                   else "no difference shown")
        out.append({"statistic": f"{name}: linked - true", "value": value,
                    "low": float(lo[0]), "high": float(hi[0]), "verdict": verdict})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--boot", type=int, default=300)
    parser.add_argument("--group", default="group_ethnicity")
    parser.add_argument("--json", type=Path, help="also write the table's rows "
                        "here (the form linkage.json's downstream entry takes)")
    args = parser.parse_args()

    os.environ.setdefault("EARLYSIGNAL_PSEUDONYM_KEY", KEY)
    config = load_config(ROOT / "pipelines" / "linked.yaml")
    assert config.linkage is not None
    t = time.perf_counter()
    frames, truth = _extracts(args.people, args.seed)
    pseudo = Pseudonymiser(KEY)
    splink = run_splink(prepare_records(frames["people"], config.linkage),
                        config.linkage)
    linked_links = crosswalk(splink.clusters, splink.pairs, pseudo)
    true_clusters = pd.DataFrame({"unique_id": truth["record_id"].astype(str),
                                  "cluster_id": truth["person_id"].astype(str)})
    true_links = crosswalk(true_clusters, splink.pairs.iloc[:0], pseudo)
    q = linkage_quality(splink.clusters, splink.pairs, truth,
                        threshold=config.linkage.threshold)
    print(f"{len(truth):,} records of {truth['person_id'].nunique():,} people; "
          f"linkage precision {q.overall['precision']:.3f}, recall "
          f"{q.overall['recall']:.3f} ({time.perf_counter() - t:.0f} s)")
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        a = _run(frames, true_links, config, Path(tmp) / "true")
        b = _run(frames, linked_links, config, Path(tmp) / "linked")
        print(f"two pipeline runs in {time.perf_counter() - t:.0f} s")
    rows, missing = _compare(a, b, true_links, linked_links, truth)
    print(f"{len(rows):,} scored true person-dates compared ({rows['true'].nunique():,}"
          f" people); {missing:,} had no row in the linked run")
    capacity = config.model.capacity
    if not capacity.endswith("%"):
        raise SystemExit(f"model.capacity is {capacity!r}; this benchmark needs a "
                         "share such as 5%")
    table = compare_runs(rows, float(capacity[:-1]) / 100, args.group, args.boot,
                         args.seed)
    with pd.option_context("display.width", 120):
        print(table.round(4).fillna("").to_string(index=False))
    if args.json:
        args.json.write_text(table.to_json(orient="records", indent=2))


if __name__ == "__main__":
    main()
