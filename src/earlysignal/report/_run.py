"""Reading a run folder into plain objects for the reports.

The report room renders what the pipeline wrote; it trains and computes nothing.
Every file but ``run.json`` is optional: a report that needs a missing file says
which one and how to make it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from earlysignal.errors import EarlysignalError

__all__ = ["ReportError", "RunFolder", "read_run"]

PLOT_NAMES = (
    "folds", "reliability", "drift_auc", "drift_precision", "capacity_precision",
    "capacity_recall",
)


class ReportError(EarlysignalError):
    """A report cannot be made from the run folder as it is."""


def _missing(run: Path, name: str, needed_for: str, fix: str) -> ReportError:
    return ReportError(
        f"{run / name}: not found, but the {needed_for} needs it. Fix: {fix}"
    )


@dataclass
class RunFolder:
    """The files of one pipeline run, read lazily.

    Build it with :func:`read_run`. Attributes are plain dicts, DataFrames or
    ``None`` when the file is absent.
    """

    path: Path
    run: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)

    def _json(self, name: str) -> Any:
        p = self.path / name
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None

    def _parquet(self, name: str) -> pd.DataFrame | None:
        p = self.path / name
        return pd.read_parquet(p) if p.exists() else None

    def _svg(self, name: str) -> str:
        p = self.path / name
        return p.read_text(encoding="utf-8") if p.exists() else ""

    @property
    def name(self) -> str:
        return str(self.run.get("name") or self.path.name)

    @cached_property
    def metrics(self) -> dict[str, Any] | None:
        return self._json("metrics.json")

    @cached_property
    def fairness(self) -> dict[str, Any] | None:
        return self._json("fairness.json")

    @cached_property
    def bands(self) -> list[dict[str, Any]] | None:
        data = self._json("bands.json")
        return None if data is None else list(data.get("bands", []))

    @cached_property
    def band_check(self) -> dict[str, Any]:
        """What ``bands.json`` says beside the bands: the caseload's band shares
        against the claimed ones, and who is outside the model's population."""
        data = self._json("bands.json") or {}
        return {"rule": data.get("rule", ""), "shares": data.get("shares"),
                "population": data.get("population")}

    @cached_property
    def scores(self) -> pd.DataFrame | None:
        return self._parquet("scores.parquet")

    @cached_property
    def caseload(self) -> pd.DataFrame | None:
        return self._parquet("caseload.parquet")

    @cached_property
    def reasons(self) -> pd.DataFrame | None:
        return self._parquet("explain/reasons.parquet")

    @cached_property
    def evidence(self) -> pd.DataFrame | None:
        return self._parquet("explain/evidence.parquet")

    @cached_property
    def changes(self) -> pd.DataFrame | None:
        return self._parquet("explain/changes.parquet")

    @cached_property
    def global_importance(self) -> pd.DataFrame | None:
        return self._parquet("explain/global_importance.parquet")

    @cached_property
    def family_importance(self) -> pd.DataFrame | None:
        return self._parquet("explain/family_importance.parquet")

    @cached_property
    def plots(self) -> dict[str, str]:
        """Model-stage plots (matplotlib SVG text), by name; absent ones left out."""
        out = {n: self._svg(f"plots/{n}.svg") for n in PLOT_NAMES}
        out["beeswarm"] = self._svg("explain/beeswarm.svg")
        out["importance"] = self._svg("explain/importance.svg")
        return {k: v for k, v in out.items() if v}

    @cached_property
    def data_dir(self) -> Path | None:
        """The canonical tables' folder: run.json's data.folder (the tables the run
        used, pseudonymised when asked), else RUN/data."""
        folder = (self.run.get("data") or {}).get("folder")
        if folder:
            for cand in (Path(folder), self.path / folder):
                if (cand / "people.parquet").exists():
                    return cand
        own = self.path / "data"
        return own if (own / "people.parquet").exists() else None

    @cached_property
    def tables(self) -> Mapping[str, pd.DataFrame] | None:
        """The canonical tables (read lazily), or None when the run kept none."""
        if self.data_dir is None:
            return None
        from earlysignal.data import CanonicalTables

        return CanonicalTables.read_dir(self.data_dir)

    @property
    def tracking(self) -> dict[str, Any]:
        return dict(self.run.get("tracking") or {})

    @property
    def model_version(self) -> str:
        """Where the model lives (MLflow model URI) or, failing that, the package
        version and run name."""
        uri = self.tracking.get("model_uri")
        if uri:
            return str(uri)
        version = (self.run.get("versions") or {}).get("earlysignal", "?")
        return f"earlysignal {version}, run '{self.name}'"

    @property
    def run_label(self) -> str:
        run_id = self.tracking.get("run_id")
        return f"{self.name} (MLflow run {run_id})" if run_id else self.name

    def outcome_words(self) -> tuple[str, str]:
        """(outcome, horizon) in words, from bands.json or the config."""
        if self.bands:
            b = self.bands[0]
            return str(b.get("outcome", "the outcome")), str(b.get("horizon", ""))
        label = self.config.get("label") or {}
        return "the outcome", _horizon_words(str(label.get("horizon", "")))

    def need(self, what: str, needed_for: str) -> Any:
        """The attribute ``what``, or a ReportError naming its file and the fix."""
        value = getattr(self, what)
        if value is None:
            name, fix = _SOURCES[what]
            raise _missing(self.path, name, needed_for, fix)
        return value


_PIPELINE_FIX = "run the pipeline to the end (`earlysignal run CONFIG`)"
_SOURCES = {
    "metrics": ("metrics.json", _PIPELINE_FIX + " so that the model stage writes it"),
    "fairness": ("fairness.json", _PIPELINE_FIX + " with a fairness section"),
    "bands": ("bands.json", _PIPELINE_FIX + " so that the bands are cut"),
    "caseload": ("caseload.parquet", _PIPELINE_FIX + " so that the final model "
                 "scores everyone at the latest as-of date"),
    "reasons": ("explain/reasons.parquet", _PIPELINE_FIX + " with the explain stage"),
    "scores": ("scores.parquet", _PIPELINE_FIX),
    "tables": ("data/", "run with the data kept in the run folder, or set "
               "data.folder in run.json"),
}


def _horizon_words(h: str) -> str:
    """``12m`` -> ``12 months``; anything else as it is.

    Examples
    --------
    >>> _horizon_words("12m"), _horizon_words("1y"), _horizon_words("90d")
    ('12 months', '1 year', '90 days')
    """
    units = {"m": "month", "y": "year", "d": "day", "w": "week"}
    h = h.strip()
    if len(h) >= 2 and h[:-1].isdigit() and h[-1] in units:
        n = int(h[:-1])
        return f"{n} {units[h[-1]]}{'s' if n != 1 else ''}"
    return h


def read_run(run_dir: str | Path) -> RunFolder:
    """Open a run folder written by ``earlysignal run``.

    Parameters
    ----------
    run_dir : path
        The folder holding ``run.json`` (and ``metrics.json``, ``fairness.json``,
        ``bands.json``, ``caseload.parquet``, ``explain/``, ``data/`` ...).

    Returns
    -------
    RunFolder

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "run.json").write_text('{"name": "demo"}')
    >>> read_run(d).name, read_run(d).bands is None
    ('demo', True)
    """
    path = Path(run_dir)
    manifest = path / "run.json"
    if not manifest.exists():
        raise ReportError(
            f"{manifest}: not found; '{path}' is not a run folder. Fix: pass the "
            "folder that `earlysignal run CONFIG` wrote (reports/NAME by default)"
        )
    try:
        run = json.loads(manifest.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ReportError(
            f"{manifest}: not valid JSON ({e.msg} at line {e.lineno}). Fix: re-run "
            "the pipeline to rewrite it"
        ) from e
    cfg_path = path / "config.yaml"
    config = (yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}
              if cfg_path.exists() else {})
    return RunFolder(path=path, run=run, config=config)
