"""Run a whole pipeline and write the run folder other tools can rely on.

The run folder (``RUN``) holds:

- ``config.yaml``: the resolved config (includes expanded);
- ``run.json``: versions, input fingerprints, whether and how person ids were
  pseudonymised (``privacy``), timings per stage, tracking ids;
- ``features/``: the feature matrix and its metadata;
- ``scores.parquet``, ``metrics.json``, ``fairness.json`` and ``reports/`` as the
  later stages produce them;
- ``.stages/``: per stage, the key it was computed for and the hash of each file
  it wrote.

A stage whose inputs and config are unchanged is reused unless ``force`` is set.
Stages write into a temporary folder and move their files into place when they
succeed, so a run that is killed never leaves a result that reads as complete.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import yaml

from earlysignal.data import fingerprint_tables
from earlysignal.features import FeatureMatrix, read_feature_matrix
from earlysignal.model import Evaluation
from earlysignal.model._test_windows import evaluation_warnings
from earlysignal.pipeline._cache import (
    Manifest,
    atomic_write_text,
    remove_abandoned,
    run_stage,
    stage_key,
    valid_manifest,
)
from earlysignal.pipeline._checks import (
    check_escalations,
    check_finite_features,
    check_outcome_rows,
)
from earlysignal.pipeline._config import PipelineConfig
from earlysignal.pipeline._data import LoadedData, load_data
from earlysignal.pipeline._explain_stage import explain_stage
from earlysignal.pipeline._progress import Progress
from earlysignal.pipeline._stages import (
    fairness_stage,
    features_stage,
    model_notes,
    model_stage,
    page_trace,
)
from earlysignal.pipeline._track_stage import open_tracking, track_stage

_LIBRARIES = ("earlysignal", "pandas", "numpy", "duckdb", "ibis-framework",
              "lightgbm", "scikit-learn", "shap", "fairlearn", "mlflow", "pyarrow")


@dataclass
class RunResult:
    """What a run produced: the run folder, per-stage timings and stage results."""

    run_dir: Path
    timings: dict[str, float] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    data: LoadedData | None = None
    matrix: FeatureMatrix | None = None
    evaluation: Evaluation | None = None
    audit: Any = None
    explained: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def library_versions() -> dict[str, str]:
    """Versions of the libraries a run depends on (``missing`` when absent).

    Examples
    --------
    >>> "pandas" in library_versions()
    True
    """
    out = {"python": platform.python_version()}
    for lib in _LIBRARIES:
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "missing"
    return out


#: Every stage of a full run, in order; ``train`` runs a prefix and tracking.
STAGES = ("features", "model", "fairness", "explain", "impact", "reports",
          "tracking")


def run_pipeline(
    config: PipelineConfig,
    *,
    data_dir: str | Path | None = None,
    out: str | Path | None = None,
    force: bool = False,
    stages: tuple[str, ...] = STAGES,
    progress: Progress | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> RunResult:
    """Run the stages of ``config`` and write the run folder.

    Parameters
    ----------
    config : PipelineConfig
    data_dir : path, optional
        A folder of canonical Parquet tables that replaces the config's data section.
    out : path, optional
        The run folder (default: the config's ``output``, else ``reports/NAME``).
    force : bool
        Recompute every stage even when an earlier result could be reused.
    stages : tuple of str
        Which of :data:`STAGES` to run (the data step always runs).
    """
    run_dir = Path(out) if out is not None else config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    remove_abandoned(run_dir)
    result = RunResult(run_dir)
    _write_config(config, run_dir)

    with _timed(result, "data", progress):
        data = result.data = load_data(config, data_dir=data_dir, work_dir=run_dir)
        fingerprints = fingerprint_tables(data.tables)
    log(f"data: {data.origin}")
    if data.load_report is not None:
        log(f"data: {data.load_report.headline()}; rejects.csv beside "
            f"{data.details.get('load_report', 'the load report')}")
    check_outcome_rows(config.label, data.tables)
    if data.tables.missing:
        log(f"data: no rows in {', '.join(data.tables.missing)}; features from "
            "them read as 'nothing recorded'")
    result.info = {
        "name": config.name,
        "data": {"origin": data.origin, "fingerprints": fingerprints,
                 "absent_tables": data.tables.missing, **data.details},
        "privacy": data.privacy,
        "versions": library_versions(),
        "timings_s": result.timings,
        "reused": result.reused,
    }

    feat_dir = run_dir / "features"
    feat_key = stage_key(config.raw.get("cohort"), config.raw.get("label"),
                         [f.model_dump(mode="json") for f in config.features],
                         fingerprints, library_versions()["earlysignal"])
    feat = _cached(result, "features", feat_key, force,
                   lambda tmp: features_stage(config, data, tmp / "features",
                                              progress), progress)
    if result.matrix is not None:  # built in the temporary folder, now moved
        result.matrix = replace(result.matrix, path=feat_dir / "features.parquet")
    matrix, metadata = read_feature_matrix(feat_dir)
    feat_doc = json.loads((feat_dir / "features.meta.json").read_text())
    result.info["features"] = {"rows": len(matrix), "features": len(metadata),
                               "cohort": feat_doc["cohort"],
                               "labels": feat_doc["labels"]}
    log(f"features: {len(matrix):,} rows x {len(metadata)} features")
    if "model" in stages:
        check_escalations(config.label, feat_doc["labels"])
        check_finite_features(matrix, [m.column for m in metadata.values()
                                       if m.kind != "categorical"])

    # each later key starts from the digest of the outputs it reads, so that one
    # config's scores are never paired with another config's features
    upstream = feat.digest
    if "model" in stages:
        # the validated sections, so that a changed default is a changed key
        model_key = stage_key(upstream, config.model.model_dump(mode="json"),
                              config.fairness.model_dump(mode="json"))
        upstream = _cached(result, "model", model_key, force,
                           lambda tmp: model_stage(config, matrix, metadata,
                                                   data.truth, tmp, progress),
                           progress).digest
        log("model: scores.parquet, metrics.json, model.joblib")
        summary = json.loads((run_dir / "metrics.json").read_text())
        log(f"model: {len(summary['folds'])} folds; "
            f"{summary['settings'].get('test_every_reason', '')}")
        for note in evaluation_warnings(summary):
            log(f"model: warning: {note}")
        notes = model_notes(run_dir)
        result.info["alarms"] = notes["alarms"]
        for line in notes["warnings"]:
            log(f"model: warning: {line}")
        for line in notes["alarms"]:
            log(f"model: ALARM: {line}")
    tracked = "tracking" in stages and config.tracking.enabled
    if tracked:
        # opened before any page is written, so that every page names the run;
        # shown, since a new store takes seconds to set up
        with progress.stage("mlflow") if progress else nullcontext() as step:
            if step is not None:
                step("opening the MLflow run", 0, None)
            result.info["tracking"] = open_tracking(config)
    _write_info(result)
    trace = page_trace(run_dir) if (run_dir / "model.joblib").exists() else None
    if "fairness" in stages:
        result.audit = _fresh(result, "fairness", stage_key(
            upstream, config.fairness.model_dump(mode="json")),
            lambda tmp: _moved_html(fairness_stage(
                config, run_dir / "scores.parquet", tmp, trace, progress), tmp,
                "fairness.html"), progress)
        log("fairness: fairness.json")
    if "explain" in stages:
        result.explained = _fresh(result, "explain", stage_key(
            upstream, config.model.model_dump(mode="json")),
            lambda tmp: explain_stage(config, matrix, metadata,
                                      joblib.load(run_dir / "model.joblib"),
                                      data.tables, run_dir, out_dir=tmp,
                                      progress=_task(progress, "explain")),
            progress)
        log(f"explain: caseload of {result.explained['scored']:,} at "
            f"{result.explained['latest']}")
        result.info["bands"] = {
            "shares": result.explained["band_shares"],
            "out_of_population": result.explained["out_of_population"],
            "warnings": result.explained["warnings"]}
        for warning in result.explained["warnings"]:
            log(f"explain: warning: {warning}")
    if "impact" in stages and config.impact.enabled:
        from earlysignal.impact import impact_for_run

        imp = config.impact
        costs = str(config.resolve(imp.costs)) if imp.costs else None
        _fresh(result, "impact", stage_key(upstream, imp.model_dump(mode="json"),
                                           config.fairness.min_cell),
               lambda tmp: _moved_html(impact_for_run(
                   run_dir, capacity=imp.capacity, effect=imp.effect, costs=costs,
                   out_dir=tmp, tables=data.tables, effect_source=imp.effect_source,
                   fair_group=imp.fair_group, min_cell=config.fairness.min_cell,
                   trace=trace, progress=_task(progress, "impact")), tmp,
                   "impact.html"), progress)
        log("impact: impact.json")
    if "reports" in stages and config.reports.enabled:
        with _timed(result, "reports", progress):
            from earlysignal.report import render_reports

            # run.json first, so the reports can name the run and its versions
            _write_info(result)
            result.reports = _swapped_in(run_dir / "reports", lambda tmp: render_reports(
                run_dir, tmp, max_people=config.reports.max_people,
                card=config.model_card or None, progress=_task(progress, "reports")))
        log(f"reports: {len(result.reports)} pages in {run_dir / 'reports'}")
    if tracked:
        with _timed(result, "tracking", progress):
            model = joblib.load(run_dir / "model.joblib")
            result.info["tracking"] = track_stage(
                config, run_dir, result.info, model, matrix, metadata,
                run_id=result.info["tracking"]["run_id"],
                progress=_task(progress, "tracking"))
        log(f"tracking: MLflow run {result.info['tracking']['run_id']}")
    _write_info(result)
    return result


def _task(progress: Progress | None, stage: str) -> Any:
    """The open stage's progress callback, or None without a display."""
    return progress.task(stage) if progress is not None else None


def _cached(result: RunResult, stage: str, key: str, force: bool,
            compute: Callable[[Path], Any], progress: Progress | None = None
            ) -> Manifest:
    """Reuse ``stage``'s outputs when they were computed for ``key``, else compute."""
    with _timed(result, stage, progress):
        found = None if force else valid_manifest(result.run_dir, stage, key)
        if found is not None:
            result.reused.append(stage)
            return found
        value, manifest = run_stage(result.run_dir, stage, key, compute)
        setattr(result, {"features": "matrix", "model": "evaluation"}[stage], value)
        return manifest


def _fresh(result: RunResult, stage: str, key: str,
           compute: Callable[[Path], Any], progress: Progress | None = None) -> Any:
    """Compute a stage that is never reused, writing its outputs atomically."""
    with _timed(result, stage, progress):
        return run_stage(result.run_dir, stage, key, compute)[0]


def _swapped_in(folder: Path, render: Callable[[Path], dict[str, Path]]
                ) -> dict[str, Path]:
    """Render a folder of pages aside and swap it in whole, so that a run killed
    while rendering never leaves a mix of old and half-written pages. Pages that
    earlier stages put there (fairness, impact) are carried over unchanged."""
    tmp, old = folder.with_name(".reports.tmp"), folder.with_name(".reports.old")
    for stale in (tmp, old):
        shutil.rmtree(stale, ignore_errors=True)
    tmp.mkdir()
    for page in folder.glob("*.html") if folder.is_dir() else ():
        if page.name in ("fairness.html", "impact.html"):
            shutil.copy2(page, tmp / page.name)
    paths = render(tmp)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return {k: folder / p.relative_to(tmp) for k, p in paths.items()}


def _moved_html(value: Any, tmp: Path, name: str) -> Any:
    """Put a stage's HTML page with the other reports."""
    (tmp / "reports").mkdir(exist_ok=True)
    (tmp / name).replace(tmp / "reports" / name)
    return value


@contextmanager
def _timed(result: RunResult, stage: str, progress: Progress | None = None
           ) -> Iterator[None]:
    start = time.perf_counter()
    with progress.stage(stage) if progress else nullcontext() as task:
        yield
        if task is not None and stage in result.reused:
            task.note = "reused (inputs unchanged)"
    result.timings[stage] = round(time.perf_counter() - start, 3)


def _write_config(config: PipelineConfig, run_dir: Path) -> None:
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(
        config.raw, sort_keys=False, default_flow_style=None))


def _write_info(result: RunResult) -> None:
    atomic_write_text(result.run_dir / "run.json",
                      json.dumps(result.info, indent=2, default=str))
