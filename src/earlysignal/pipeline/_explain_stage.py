"""The scoring-and-explaining step of a run: today's caseload, bands and reasons.

The final model (trained on every labelled row) scores everyone at the latest as-of
date, and at the date before it so that each person's change can be shown. Bands
are ranks among the people scored at a date, measured the same way on the temporal
evaluation's scores (see :mod:`earlysignal.model._bands`), so "Very high" means
what it meant for people scored in earlier years. People outside the population
the model learned from (see :mod:`earlysignal.model._population`) are flagged or
left out, as ``reports.out_of_population`` says, and never move a band's cut
points. Everything is written under the run folder for the reports to render.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from earlysignal.explain import explain
from earlysignal.features import FeatureMeta
from earlysignal.model import (
    Band,
    assign_bands,
    bands_to_dict,
    cut_bands,
    model_inputs,
    outside_population,
    population_ranges,
    risk_bands,
    share_check,
    years_months,
)
from earlysignal.model._population import PopulationRange
from earlysignal.pipeline._config import PipelineConfig

_KEYS = ["person_id", "as_of"]
_PLOT_NAMES = {"families": "importance"}


def explain_stage(
    config: PipelineConfig,
    matrix: pd.DataFrame,
    metadata: Mapping[str, FeatureMeta],
    model: Any,
    tables: Mapping[str, pd.DataFrame],
    run_dir: Path,
    *,
    max_people: int = 200,
    out_dir: Path | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> dict[str, Any]:
    """Score and explain the latest as-of date; write caseload, bands and reasons.

    Writes ``bands.json``, ``caseload.parquet`` and, under ``explain/``,
    ``reasons.parquet``, ``evidence.parquet`` and ``changes.parquet`` (for the
    ``max_people`` highest-risk people), ``global_importance.parquet``,
    ``family_importance.parquet`` and the plots as SVG. They go into ``out_dir`` when
    given (the run's scores are still read from ``run_dir``). ``progress`` is
    called with ``(step, done, total)`` as the rows are explained and then per
    person whose evidence and changes are gathered.
    """
    dest = out_dir if out_dir is not None else run_dir
    out = dest / "explain"
    out.mkdir(parents=True, exist_ok=True)
    dates = sorted(matrix["as_of"].unique())
    latest, previous = dates[-1], (dates[-2] if len(dates) > 1 else None)
    rows = matrix.loc[matrix["as_of"].isin([d for d in (latest, previous) if d])]
    rows = rows.reset_index(drop=True)
    ranges = population_ranges(matrix, metadata, _labelled(matrix, run_dir))
    notes = outside_population(rows, ranges)
    now = (rows["as_of"] == latest).to_numpy()
    outside = (notes != "").to_numpy()
    population = _population_summary(config, ranges, outside[now], latest)
    if config.reports.out_of_population == "exclude":
        keep = ~(outside & now)
        rows, notes, outside = (rows[keep].reset_index(drop=True),
                                notes[keep].reset_index(drop=True), outside[keep])
    inputs = model_inputs(cast(Any, metadata), config.model.use_protected)
    scores = model.predict_proba(rows[inputs])[:, 1]

    measured = _bands(config, run_dir)
    band = np.empty(len(rows), dtype=object)
    by_date: dict[Any, list[Band]] = {}
    for d in (latest, previous):
        at = (rows["as_of"] == d).to_numpy()
        if d is None or not at.any():
            continue
        # cut points from the people the bands were measured on; flagged people
        # are placed by their score against them
        by_date[d] = cut_bands(measured, scores[at & ~outside])
        band[at] = assign_bands(scores[at], by_date[d])
    now = (rows["as_of"] == latest).to_numpy()
    check = share_check(by_date[latest], band[now])
    if population["outside"]:
        population["by_band"] = {b.name: int(((band == b.name) & outside & now).sum())
                                 for b in measured}
    (dest / "bands.json").write_text(json.dumps(bands_to_dict(
        by_date[latest], as_of=str(pd.Timestamp(latest).date()), shares=check,
        population=population), indent=2))
    scored = rows[_KEYS].assign(score=scores, band=band,
                                out_of_population=outside, population_note=notes)

    tell = progress or (lambda *_: None)
    tell(f"contributions of {len(rows):,} rows", 0, None)
    peers = config.population
    ex = explain(model, rows[_KEYS + inputs], metadata, tables=tables,
                 peer_group=peers.peer_group, age_bands=peers.age_bands)
    reasons = ex.reasons_frame()
    reasons.to_parquet(out / "reasons.parquet", index=False)
    caseload = _caseload(scored, reasons, tables, latest, previous)
    caseload.to_parquet(dest / "caseload.parquet", index=False)

    top = caseload.head(max_people)
    # each person twice: the evidence behind their reasons, then what changed
    steps = _PersonSteps(tell, len(top))
    _evidence(ex, top, latest, steps).to_parquet(out / "evidence.parquet",
                                                 index=False)
    _changes(ex, top, latest, previous, steps).to_parquet(out / "changes.parquet",
                                                           index=False)
    gi = ex.global_importance
    gi.assign(mean_abs=gi["mean_abs_log_odds"]).to_parquet(
        out / "global_importance.parquet")
    fam = ex.family_importance.reset_index()
    total = fam["mean_abs_points"].sum()
    fam = fam.assign(mean_abs=fam["mean_abs_log_odds"],
                     share=fam["mean_abs_points"] / total if total else 0.0)
    fam.to_parquet(out / "family_importance.parquet", index=False)
    for name, svg in ex.plots.items():
        (out / f"{_PLOT_NAMES.get(name, name)}.svg").write_text(svg)
    warnings = [w for w in (check["warning"], population.get("sentence")) if w]
    return {"latest": str(pd.Timestamp(latest).date()), "scored": int(len(caseload)),
            "explained_people": int(len(top)), "band_shares": check,
            "out_of_population": population, "warnings": warnings}


def _bands(config: PipelineConfig, run_dir: Path) -> list[Any]:
    ev = pd.read_parquet(run_dir / "scores.parquet",
                         columns=["as_of", "score", "label"])
    label = config.label
    outcome = label.description or label.name.replace("_", " ")
    w = label.window
    horizon = f"{w.n} {w.unit}" if not w.is_all else "the follow-up"
    return risk_bands(ev["score"].to_numpy(), ev["label"].to_numpy(
        dtype=float, na_value=float("nan")), dates=ev["as_of"].to_numpy(),
        outcome=outcome, horizon=horizon)


def _labelled(matrix: pd.DataFrame, run_dir: Path) -> np.ndarray:
    """Rows the evaluation learned from: labelled, at dates it did not leave out."""
    metrics = run_dir / "metrics.json"
    settings = json.loads(metrics.read_text()).get("settings", {}) \
        if metrics.exists() else {}
    left_out = pd.to_datetime(pd.Series(settings.get("dates_left_out") or [],
                                        dtype=object))
    dates = pd.to_datetime(matrix["as_of"]).dt.normalize()
    return (matrix["label"].notna() & ~dates.isin(left_out)).to_numpy()


def _population_summary(config: PipelineConfig, ranges: list[PopulationRange],
                        outside: np.ndarray, latest: Any) -> dict[str, Any]:
    """What bands.json records about people outside the model's population."""
    rule = config.reports.out_of_population
    n, k = int(len(outside)), int(outside.sum())
    out: dict[str, Any] = {"rule": rule, "ranges": [r.to_dict() for r in ranges],
                           "scored": n, "outside": k,
                           "excluded": k if rule == "exclude" else 0,
                           "by_band": {}, "sentence": None}
    if not k:
        return out
    ages = next((r for r in ranges if r.what == "age"), None)
    span = (f" ({years_months(ages.low)} to {years_months(ages.high)})"
            if ages is not None else "")
    who = (f"{k:,} of the {n:,} young people scored at "
           f"{pd.Timestamp(latest).date()} are outside the ages of the young "
           f"people followed up to see the outcome{span}")
    out["sentence"] = (
        f"{who}; they were left out of the caseload." if rule == "exclude" else
        f"{who}; their band is an extrapolation and is marked as such.")
    return out


def _caseload(scored: pd.DataFrame, reasons: pd.DataFrame,
              tables: Mapping[str, pd.DataFrame], latest: Any, previous: Any
              ) -> pd.DataFrame:
    now = scored.loc[scored["as_of"] == latest]
    before = scored.loc[scored["as_of"] == previous, ["person_id", "as_of", "score",
                                                       "band"]]
    before = before.rename(columns={"as_of": "previous_as_of",
                                    "score": "previous_score",
                                    "band": "previous_band"})
    out = now.merge(before, on="person_id", how="left")
    out["change"] = out["score"] - out["previous_score"]
    first = reasons.loc[(reasons["direction"] == "raises") & (reasons["rank"] == 1)
                        & (reasons["as_of"] == latest)]
    first = first[["person_id", "text", "family_label"]].rename(
        columns={"text": "top_reason", "family_label": "top_family"})
    out = out.merge(first, on="person_id", how="left")
    people = tables["people"]
    extras = [c for c in ("school", "team") if c in people.columns]
    out = out.merge(people[["person_id", *extras]], on="person_id", how="left")
    return out.sort_values("score", ascending=False, kind="stable").reset_index(
        drop=True)


class _PersonSteps:
    """Counts people done, twice over, for the stage's progress."""

    def __init__(self, tell: Callable[[str, int, int | None], None],
                 people: int) -> None:
        self.tell, self.people, self.done = tell, people, 0

    def __call__(self, what: str, i: int) -> None:
        self.done += 1
        self.tell(f"{what}: {i:,} of {self.people:,} people", self.done,
                  2 * self.people)


def _evidence(ex: Any, top: pd.DataFrame, latest: Any,
              steps: _PersonSteps | None = None) -> pd.DataFrame:
    parts = []
    for i, pid in enumerate(top["person_id"], 1):
        if steps is not None:
            steps("evidence", i)
        for r in ex.reasons(pid, latest):
            for e in r.evidence:
                parts.append({"person_id": pid, "as_of": latest, "family": r.family,
                              "direction": r.direction, **e})
    cols = ["person_id", "as_of", "family", "direction", "date", "end_date",
            "source", "type", "value"]
    frame = pd.DataFrame(parts)
    for c in cols:
        if c not in frame.columns:
            frame[c] = pd.Series(dtype="object")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame[cols]


def _changes(ex: Any, top: pd.DataFrame, latest: Any, previous: Any,
             steps: _PersonSteps | None = None) -> pd.DataFrame:
    parts = []
    for i, pid in enumerate(top["person_id"], 1):
        if steps is not None:
            steps("changes", i)
        if previous is None or pd.isna(top["previous_score"].iloc[i - 1]):
            continue
        ch = ex.what_changed(pid, previous, latest)
        parts.append(ch.assign(person_id=pid, as_of=latest,
                               previous_as_of=previous))
    if not parts:
        return pd.DataFrame(columns=["person_id", "as_of", "previous_as_of", "family",
                                     "family_label", "before", "after", "change",
                                     "sentence"])
    out = pd.concat(parts, ignore_index=True).rename(columns={"text": "sentence"})
    front = ["person_id", "as_of", "previous_as_of"]
    return out[front + [c for c in out.columns if c not in front]]
