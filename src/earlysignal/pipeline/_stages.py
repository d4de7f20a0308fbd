"""Stages of a pipeline run, each a plain function of the config and earlier results."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import joblib
import numpy as np
import pandas as pd

from earlysignal.errors import ConfigError
from earlysignal.features import FeatureMatrix, FeatureMeta, build_feature_matrix
from earlysignal.model import Evaluation, evaluate
from earlysignal.pipeline._cache import checkpoint
from earlysignal.pipeline._config import PipelineConfig
from earlysignal.pipeline._data import LoadedData
from earlysignal.pipeline._progress import Progress
from earlysignal.present import Population


def features_stage(
    config: PipelineConfig, data: LoadedData, out: str | Path,
    progress: Progress | None = None, engine: str | None = None,
) -> FeatureMatrix:
    """Cohort, features and labels for the run, written to ``out/features.parquet``."""
    task = progress.task("features") if progress else None

    def step(done: int, total: int) -> None:
        if task is not None:
            # the last chunk written, the matrix is checked against truncated data
            task(f"{done:,} of {total:,} rows" if done < total else
                 f"{total:,} rows; checking temporal integrity", done, total)
        checkpoint("features:batch")  # a test may stop the run mid-write here

    if task is not None:
        task("cohort and labels", 0, None)  # before the first chunk of rows

    return build_feature_matrix(
        data.tables,
        cohort=config.cohort,
        label=config.label,
        features=config.features,
        out=out,
        engine=engine or config.engine,
        base_dir=config.base_dir,
        progress=step,
    )


def group_columns(
    matrix: pd.DataFrame, metadata: Mapping[str, FeatureMeta], groups: Sequence[str],
    source: str = "config", age_bands: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The audit's group columns (``group_<name>``), each taken as of the as-of date.

    A group names a categorical feature (a characteristic such as ``sex``);
    ``age_band`` is derived from the age feature, in the population's
    ``age_bands`` when given. Missing values become ``unknown`` so that no row
    drops out of the audit silently.
    """
    by_name = {m.name: m for m in metadata.values() if m.kind == "categorical"}
    age = next((m for m in metadata.values() if m.aggregate == "age"), None)
    out = pd.DataFrame(index=matrix.index)
    problems = []
    for g in groups:
        if g == "age_band" and age is not None:
            out["group_age_band"] = _age_band(matrix[age.column], age_bands)
        elif g in by_name:
            col = matrix[by_name[g].column].astype("str")
            out[f"group_{g}"] = col.where(matrix[by_name[g].column].notna(), "unknown")
        else:
            known = sorted(by_name) + (["age_band"] if age is not None else [])
            problems.append(f"fairness.groups: '{g}' is not a categorical feature "
                            f"(hint: use one of {', '.join(known)}, or add a "
                            "characteristics feature with that attribute)")
    if problems:
        raise ConfigError(source, problems)
    return out


def _age_band(age: pd.Series, edges: Sequence[int] | None = None) -> pd.Series:
    """Age bands: the population's (lower edges), else the school-age default.

    Examples
    --------
    >>> ages = pd.Series([11.0, 13.5, 17.0, None, 30.0])
    >>> _age_band(ages).tolist()
    ['under 12', '12-13', '16+', 'unknown', '16+']
    >>> _age_band(ages, [12, 18, 25]).tolist()
    ['under 12', '12-17', '12-17', 'unknown', '25 and over']
    """
    if not edges:
        bins, labels = [-np.inf, 12, 14, 16, np.inf], ["under 12", "12-13",
                                                       "14-15", "16+"]
    else:
        bins = [-np.inf, *edges, np.inf]
        labels = [f"under {edges[0]}", *Population(age_bands=list(edges))
                  .age_band_labels()]
    bands = pd.cut(age, bins=bins, right=False, labels=labels)
    return bands.astype("str").where(age.notna(), "unknown")


def model_stage(
    config: PipelineConfig, matrix: pd.DataFrame, metadata: Mapping[str, FeatureMeta],
    truth: pd.DataFrame | None, out: Path, progress: Progress | None = None,
) -> Evaluation:
    """Temporal evaluation of the model against baselines; writes scores and metrics.

    Writes ``scores.parquet`` (person_id, as_of, fold, window, score, label, one
    column per baseline, p_true on synthetic data, and the audit's ``group_*``
    columns),
    ``metrics.json``, the final model (``model.joblib``, trained on every labelled
    row) and the plots as SVG under ``plots/``.
    """
    m = config.model
    ev = evaluate(
        matrix, metadata, horizon=config.label.horizon, capacity=m.capacity,
        baselines=m.baselines, calibration=m.calibration, truth=truth, seed=m.seed,
        search_budget_s=m.search_budget_s, use_protected=m.use_protected,
        max_train_span=m.max_train_span, min_train_dates=m.min_train_dates,
        test_from=m.test_from, holdout_gap=m.holdout_gap,
        model_params=m.model_params(), select=m.select,
        baseline_inputs=m.baseline_inputs, test_every=m.test_every,
        # a line per fold even in a log: folds are few and each takes a while
        progress=progress.task("model", every=0) if progress else None,
    )
    groups = group_columns(matrix, metadata, config.fairness.groups,
                           source=str(config.base_dir / "config"),
                           age_bands=config.population.age_bands)
    keyed = pd.concat([matrix[["person_id", "as_of"]], groups], axis=1)
    scores = ev.scores.merge(keyed, on=["person_id", "as_of"], how="left")
    scores.insert(int(cast(int, scores.columns.get_loc("model"))), "score",
                  scores["model"])
    scores.to_parquet(out / "scores.parquet", index=False)
    checkpoint("model:scores")  # a test may stop the run mid-stage here
    _withhold_small_folds(ev, config.fairness.min_cell)
    doc = {**ev.summary(), "per_fold": _records(ev.metrics),
           "calibration": _records(ev.calibration), "drift": _records(ev.drift)}
    (out / "metrics.json").write_text(json.dumps(doc, indent=2, default=_json))
    joblib.dump(ev.final_model, out / "model.joblib")
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    for name, svg in ev.plots.items():
        (plots / f"{name}.svg").write_text(svg)
    return ev


def _withhold_small_folds(ev: Evaluation, min_cell: int) -> None:
    """Blank every per-fold figure of a fold that the disclosure rule withholds.

    A fold is a period of test rows: its counts (rows, outcomes) and every rate
    computed from them leave the run through metrics.json, the plots and MLflow,
    so a fold that fewer than ``min_cell`` people stand behind is withheld whole,
    by the same rule (and the same secondary suppression) as the fairness audit.
    """
    from earlysignal.disclosure import decide

    s = ev.scores
    rows = s["p_true"].notna() if "p_true" in s else pd.Series(True, index=s.index)
    judged = s[rows]
    decisions = decide({}, person=judged["person_id"].to_numpy(),
                       label=judged["label"].to_numpy(),
                       period=judged["fold"].astype(str).to_numpy(),
                       min_cell=min_cell)
    hidden = set(decisions.loc[decisions["period"] != "", "period"])
    if not hidden:
        return
    ev.metrics = ev.metrics.assign(value=ev.metrics["value"].where(
        ~ev.metrics["fold"].astype(str).isin(hidden)))
    numbers = [c for c in ev.drift.columns if c not in ("fold", "test_start", "model")]
    gone = ev.drift["fold"].astype(str).isin(hidden)
    ev.drift.loc[gone, numbers] = np.nan
    ev.warnings.append(
        f"{len(hidden)} fold{'s' if len(hidden) != 1 else ''} "
        f"({', '.join(sorted(hidden, key=int))}) withheld from the per-fold figures: "
        f"fewer than {min_cell} people stand behind a count of "
        f"{'it' if len(hidden) == 1 else 'one of them'}, or it could be worked out "
        "from the pooled figures and the other folds.")


def model_notes(run_dir: Path) -> dict[str, list[str]]:
    """The model stage's alarms and warnings, in words, from ``metrics.json``.

    Read from the file so that a reused model stage reports them too.
    """
    path = run_dir / "metrics.json"
    doc = json.loads(path.read_text()) if path.exists() else {}
    return {"alarms": list(doc.get("alarms") or []),
            "warnings": list(doc.get("warnings") or [])}


def fairness_stage(config: PipelineConfig, scores_path: Path, out: Path,
                   trace: Mapping[str, str] | None = None,
                   progress: Progress | None = None) -> Any:
    """The fairness audit of the model's scores at the team's capacity, per test
    window too (a window is one capacity round)."""
    from earlysignal.fairness import audit_file

    f = config.fairness
    groups = [f"group_{g}" for g in f.groups]
    return audit_file(
        scores_path, score="score", label="label", groups=groups,
        top=config.model.capacity, out_dir=out, period="window",
        reference=f.reference, min_cell=f.min_cell, n_boot=f.n_boot, seed=f.seed,
        band=f.band, intersections=[[f"group_{g}" for g in i] for i in f.intersections],
        trace=trace,
        progress=progress.task("fairness") if progress else None,
    )


def page_trace(run_dir: Path) -> dict[str, str]:
    """What ties a page of this run to its model (run.json and model.joblib)."""
    from earlysignal.report import read_run

    return read_run(run_dir).trace


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records", date_format="iso"))


def _json(value: Any) -> Any:
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.integer | np.floating):
        return value.item()
    return str(value)
