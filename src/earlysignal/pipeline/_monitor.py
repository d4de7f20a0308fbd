"""`earlysignal monitor`: a run in use, checked against a later extract.

This module only wires: it reads the run folder (config, final model, feature
matrix, bands, evaluation and fairness figures, MLflow run), builds the features
and outcomes of the later extract at the scoring dates since the run, scores them
with the run's final model, and hands plain frames to :mod:`earlysignal.monitor`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import pandas as pd

from earlysignal.data import CanonicalTables
from earlysignal.errors import DataError
from earlysignal.features import (
    CohortSpec,
    LabelSpec,
    Window,
    build_feature_matrix,
    read_feature_matrix,
)
from earlysignal.model import assign_bands, bands_from_dicts, model_inputs
from earlysignal.monitor import MonitorInputs, MonitorResult, MonitorSettings, monitor
from earlysignal.monitor._freshness import source_rows
from earlysignal.pipeline._config import PipelineConfig, config_from_dict
from earlysignal.pipeline._score import _tables
from earlysignal.pipeline._stages import group_columns
from earlysignal.pipeline._yaml import read_yaml


def monitor_run(run_dir: str | Path, *, data: str | Path | None = None,
                out: str | Path | None = None, track: bool = True,
                log: Callable[[str], None] = lambda _: None) -> MonitorResult:
    """Check a run against a later extract and write ``monitor.html``/``.json``.

    Parameters
    ----------
    run_dir : path
        A run folder written by ``earlysignal run``.
    data : path, optional
        The later extract: a folder of canonical tables or a mapping YAML
        (default: the run config's ``monitor.data``).
    out : path, optional
        Where to write (default: ``monitor.out``, else ``RUN/monitor``).
    track : bool
        Log the figures as metrics on the run's MLflow run, when it has one.

    Returns
    -------
    MonitorResult
        ``.alerts`` is empty when nothing needs attention.
    """
    run = Path(run_dir)
    config = _config(run)
    section = config.monitor
    source = data if data is not None else section.data
    if source is None:
        raise DataError("no later extract to check the run against", file=str(run),
                        fix="pass --data with a folder of canonical tables or a "
                            "mapping YAML, or set monitor.data in the config")
    tables = _tables(Path(config.resolve(str(source)) if data is None else source))
    log(f"monitor: later extract {source}")
    target = Path(out) if out is not None else (
        config.resolve(section.out) if section.out else run / "monitor")
    inputs = _inputs(run, config, tables, target, log)
    settings = MonitorSettings.from_section(section, capacity=config.model.capacity,
                                            min_cell=config.fairness.min_cell)
    result = monitor(inputs, settings, log=log)
    result.write(target)
    log(f"monitor: {target / 'monitor.html'}")
    if track:
        _track(run, result, log)
    return result


def _config(run: Path) -> PipelineConfig:
    path = run / "config.yaml"
    if not path.is_file():
        raise DataError("is not a run folder (no config.yaml)", file=str(run),
                        fix="pass the folder `earlysignal run ... --out` wrote")
    return config_from_dict(read_yaml(path), source=str(path), base_dir=run)


def _inputs(run: Path, config: PipelineConfig, tables: CanonicalTables, out: Path,
            log: Callable[[str], None]) -> MonitorInputs:
    ref, metadata = read_feature_matrix(run / "features")
    model = joblib.load(run / "model.joblib")
    # the metadata as the model stage saw it: a plain mapping of column to meta
    meta_map: dict[str, Any] = dict(metadata)
    inputs = model_inputs(meta_map, use_protected=config.model.use_protected)
    trained_to = _trained_to(config, ref)
    extract_end = pd.Timestamp(source_rows(tables)["date"].max()).normalize()
    if extract_end <= trained_to:
        raise DataError(
            f"ends on {extract_end.date()}, no later than the run's data "
            f"({trained_to.date()})", file="--data",
            fix="pass an extract taken after the run's, of the same kind of records")
    dates = _dates(ref, trained_to, Window.parse(config.label.horizon).offset(),
                   extract_end)
    log(f"monitor: {len(dates)} scoring dates since the run "
        f"({dates[0].date()} to {dates[-1].date()}); extract ends {extract_end.date()}")
    cur = _matrix(config, tables, dates, extract_end, out / "features")
    groups = list(config.fairness.groups)
    bands = bands_from_dicts(_json(run / "bands.json").get("bands", []))
    frames = []
    for frame in (ref, cur):
        scored = frame.assign(score=model.predict_proba(frame[inputs])[:, 1])
        if bands:
            scored["band"] = assign_bands(scored["score"].to_numpy(), bands)
        gcols = group_columns(frame, metadata, groups, source=str(run))
        frames.append(pd.concat([scored, gcols], axis=1))
    return MonitorInputs(
        reference=frames[0], current=frames[1], metadata=metadata, features=inputs,
        tables=tables, trained_to=trained_to, extract_end=extract_end,
        horizon=config.label.horizon, groups=[f"group_{g}" for g in groups],
        evaluation=_json(run / "metrics.json"), fairness=_json(run / "fairness.json"),
        impact=_json(run / "impact.json"), run=str(run))


def _trained_to(config: PipelineConfig, ref: pd.DataFrame) -> pd.Timestamp:
    stated = config.label.followup.extract_date if config.label.followup else None
    if stated is not None:
        return pd.Timestamp(stated)
    return pd.Timestamp(ref["as_of"].max())


def _dates(ref: pd.DataFrame, trained_to: pd.Timestamp, horizon: pd.DateOffset,
           extract_end: pd.Timestamp) -> list[pd.Timestamp]:
    """The run's dates whose horizon had not closed by the end of its data, and the
    schedule continued at the run's own step up to the later extract's end."""
    all_dates = sorted(pd.to_datetime(ref["as_of"].unique()))
    open_ = [d for d in all_dates if d + horizon > trained_to]
    months = 3
    if len(all_dates) > 1:
        a, b = all_dates[-2], all_dates[-1]
        months = max(1, (b.year - a.year) * 12 + b.month - a.month)
    out = list(open_)
    nxt = all_dates[-1] + pd.DateOffset(months=months)
    while nxt <= extract_end:
        out.append(pd.Timestamp(nxt))
        nxt += pd.DateOffset(months=months)
    if not out:
        raise DataError(f"reaches no scoring date after the run's last "
                        f"({all_dates[-1].date()})", file="--data",
                        fix="pass an extract that ends after the next scoring date")
    return sorted(set(out))


def _matrix(config: PipelineConfig, tables: CanonicalTables,
            dates: list[pd.Timestamp], extract_end: pd.Timestamp, out: Path
            ) -> pd.DataFrame:
    raw_cohort = {**config.raw["cohort"],
                  "as_of": [str(d.date()) for d in dates]}
    cohort = CohortSpec.from_config(raw_cohort, source="config", path="cohort")
    raw_label = dict(config.raw["label"])
    raw_label["followup"] = {**(raw_label.get("followup") or {}),
                             "extract_date": str(extract_end.date())}
    label = LabelSpec.from_config(raw_label, source="config", path="label")
    built = build_feature_matrix(tables, cohort=cohort, label=label,
                                 features=config.features, out=out,
                                 engine=config.engine, base_dir=config.base_dir,
                                 integrity_sample=0)
    return built.frame


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _track(run: Path, result: MonitorResult, log: Callable[[str], None]) -> None:
    info = _json(run / "run.json").get("tracking") or {}
    if "run_id" not in info:
        log("monitor: the run has no MLflow run; figures are in monitor.json only")
        return
    from earlysignal.tracking import log_monitor_metrics

    n = log_monitor_metrics(info["run_id"], info["tracking_uri"], result.metrics())
    log(f"monitor: {n} metrics logged on MLflow run {info['run_id']}")


__all__ = ["monitor_run"]
