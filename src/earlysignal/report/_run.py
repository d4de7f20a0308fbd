"""Reading a run folder into plain objects for the reports.

The report room renders what the pipeline wrote; it trains and computes nothing.
Every file but ``run.json`` is optional: a report that needs a missing file says
which one and how to make it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import ValidationError

from earlysignal.errors import EarlysignalError
from earlysignal.present import Population, iso

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
    def linkage(self) -> dict[str, Any] | None:
        """What the run's linkage did (absent when the run did not link)."""
        return self._json("linkage/linkage.json")

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
    def run_id(self) -> str | None:
        """The MLflow run id, or None when the run was not tracked."""
        rid = self.tracking.get("run_id")
        return str(rid) if rid else None

    @cached_property
    def model_version(self) -> str:
        """A short content hash of the model: run.json's ``model_version``, else
        the first 12 hex digits of the SHA-256 of ``model.joblib``; "no model
        file" when the run kept none."""
        recorded = self.run.get("model_version")
        if recorded:
            return str(recorded)
        model = self.path / "model.joblib"
        if not model.exists():
            return "no model file"
        digest = hashlib.sha256()
        with model.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()[:12]

    @cached_property
    def extract_date(self) -> str:
        """The data's extract date (YYYY-MM-DD): run.json's ``data.extract_date``,
        else the config's ``label.followup.extract_date``, else the latest as-of
        date in scores.parquet or caseload.parquet; "" when none is known."""
        recorded = (self.run.get("data") or {}).get("extract_date")
        followup = ((self.config.get("label") or {}).get("followup") or {})
        for value in (recorded, followup.get("extract_date")):
            if value:
                return iso(value)
        latest = [pd.to_datetime(f["as_of"]).max() for f in (self.scores,
                                                              self.caseload)
                  if f is not None and "as_of" in f and len(f)]
        return iso(max(latest)) if latest else ""

    @property
    def trace(self) -> dict[str, str]:
        """What ties a page to its model: run name, MLflow run id ("not tracked"
        when absent), model version and the data's extract date."""
        return {"name": self.name, "run_id": self.run_id or "not tracked",
                "tracked": "yes" if self.run_id else "",
                "model_version": self.model_version,
                "extract_date": self.extract_date or "not recorded"}

    @property
    def run_label(self) -> str:
        run_id = self.run_id
        return f"{self.name} (MLflow run {run_id})" if run_id else (
            f"{self.name} (not tracked)")

    @cached_property
    def population(self) -> Population:
        """The population's vocabulary, from the config's ``population`` section."""
        try:
            return Population.from_config(self.config)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in ("population", *first["loc"]))
            raise ReportError(
                f"{self.path / 'config.yaml'}: {where}: {first['msg']}. Fix: "
                "correct the population section (see the README's config "
                "reference)") from None

    def outcome_words(self) -> tuple[str, str]:
        """(outcome, horizon) in words: the population's name for the outcome,
        else bands.json's, else the label's description."""
        label = self.config.get("label") or {}
        named = self.population.outcome
        if self.bands:
            b = self.bands[0]
            return (named or str(b.get("outcome") or label.get("description")
                                 or "the outcome"), str(b.get("horizon", "")))
        return (named or str(label.get("description") or "the outcome"),
                _horizon_words(str(label.get("horizon", ""))))

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
