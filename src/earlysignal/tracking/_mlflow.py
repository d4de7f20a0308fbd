"""Every run is an MLflow run: config, input fingerprints, versions, parameters,
per-fold metrics, plots, the model with its feature metadata, and the scores.

The store is local by default (``sqlite:///mlflow.db`` with artifacts in
``./mlruns`` in the working directory), so tracking needs no server and no network.
MLflow is imported lazily: ``import earlysignal`` never pays for it.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.errors import EarlysignalError

DEFAULT_URI = "sqlite:///mlflow.db"
SCORER = "scorer"
BOOSTER = "model"


class TrackingError(EarlysignalError):
    """A run or model that cannot be found or read in the tracking store."""


@dataclass(frozen=True)
class TrackedRun:
    """Where a run was logged: enough to find it again and open the UI on it."""

    run_id: str
    experiment_id: str
    tracking_uri: str

    @property
    def model_uri(self) -> str:
        """URI of the logged scorer, for ``earlysignal score --model``."""
        return f"runs:/{self.run_id}/{SCORER}"

    def ui_command(self) -> str:
        """The one-line command that opens the MLflow UI on this run's store.

        It names the Python that runs earlysignal, so it works as printed without
        activating a virtual environment.
        """
        return (f"{shlex.quote(sys.executable)} -m mlflow ui "
                f"--backend-store-uri {shlex.quote(self.tracking_uri)}")

    def ui_url(self, port: int = 5000) -> str:
        return (f"http://127.0.0.1:{port}/#/experiments/{self.experiment_id}/runs/"
                f"{self.run_id}")


def _mlflow() -> Any:
    # Progress bars for local artefact copies only clutter a command's output.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    try:
        import mlflow
    except ImportError as e:  # pragma: no cover - mlflow is a core dependency
        raise ImportError("tracking needs mlflow: pip install earlysignal") from e
    return mlflow


def _flat(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def _metric_name(text: str) -> str:
    # MLflow allows only these characters in metric names.
    return "".join(c if c.isalnum() or c in "_-./ " else "_" for c in text)


def log_run(
    *,
    name: str,
    config: Mapping[str, Any],
    params: Mapping[str, Any],
    metrics: pd.DataFrame,
    pooled: pd.DataFrame,
    artifacts: Mapping[str, Path],
    texts: Mapping[str, str],
    model: Any | None = None,
    model_input: pd.DataFrame | None = None,
    metadata: list[dict[str, Any]] | None = None,
    bundle: Mapping[str, Any] | None = None,
    tracking_uri: str | None = None,
    experiment: str | None = None,
    run_id: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrackedRun:
    """Log one pipeline run to MLflow and return where it went.

    Parameters
    ----------
    name : str
        Run name (the pipeline's name).
    config : mapping
        The resolved config, logged as ``config.yaml``.
    params : mapping
        Flat or nested parameters (versions, fingerprints, settings).
    metrics : DataFrame
        Tidy per-fold metrics: fold, model, metric, value (logged with the fold as
        the step).
    pooled : DataFrame
        Tidy pooled metrics: model, metric, value.
    artifacts : mapping of name -> path
        Files to log (scores, plots, reports).
    texts : mapping of name -> text
        Small text artefacts (SVG plots, JSON) to log under their names.
    model : fitted classifier, optional
        The final scorer, whichever model was shipped; logged with the sklearn
        flavour (``scorer``, with a signature, the feature metadata and the scoring
        bundle) and, when it holds one (LightGBM, alone, calibrated or in a blend),
        its LightGBM booster with the lightgbm flavour (``model``).
    model_input : DataFrame, optional
        A few rows of model input, used for the signature only.
    metadata : list of dict, optional
        The feature metadata, logged as ``feature_metadata.json`` beside the model.
    bundle : mapping, optional
        What scoring new data needs besides the model (feature specs, cohort rules,
        bands), logged as ``scoring.json`` beside it.
    progress : callable, optional
        Called with ``(step, done, total)`` before each part is logged: the
        parameters and metrics, each artefact, the model.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> run = log_run(name="doc", config={"name": "doc"}, params={"a": 1},
    ...     metrics=pd.DataFrame({"fold": [0], "model": ["m"], "metric": ["auc"],
    ...                           "value": [0.7]}),
    ...     pooled=pd.DataFrame({"model": ["m"], "metric": ["auc"], "value": [0.7]}),
    ...     artifacts={}, texts={}, tracking_uri=f"sqlite:///{d}/mlflow.db",
    ... )  # doctest: +SKIP
    >>> len(run.run_id)  # doctest: +SKIP
    32
    """
    mlflow = _mlflow()
    if run_id is None:
        run_id = open_run(name=name, tracking_uri=tracking_uri,
                          experiment=experiment).run_id
    mlflow.set_tracking_uri(absolute_uri(tracking_uri or DEFAULT_URI))
    parts = [n for n, p in artifacts.items() if Path(p).exists()]
    total = 1 + len(parts) + (model is not None)

    def tell(step: str, done: int) -> None:
        if progress is not None:
            progress(step, done, total)

    with mlflow.start_run(run_id=run_id) as active:
        tell("parameters and metrics", 0)
        flat: dict[str, Any] = {}
        _flat("", params, flat)
        mlflow.log_params({k[:250]: str(v)[:6000] for k, v in flat.items()})
        _log_metrics(mlflow, metrics, pooled)
        mlflow.log_text(json.dumps(config, indent=2, default=str), "config.json")
        for text_name, text in texts.items():
            mlflow.log_text(text, text_name)
        for i, art_name in enumerate(parts, 1):
            tell(f"artefact {art_name}", i)
            path = Path(artifacts[art_name])
            if path.is_dir():
                mlflow.log_artifacts(str(path), art_name)
            else:
                mlflow.log_artifact(str(path), art_name)
        if model is not None:
            tell("model", 1 + len(parts))
            _log_model(mlflow, model, model_input, metadata or [], bundle or {})
        info = active.info
    return TrackedRun(info.run_id, info.experiment_id,
                      absolute_uri(tracking_uri or DEFAULT_URI))


def _log_metrics(mlflow: Any, metrics: pd.DataFrame, pooled: pd.DataFrame) -> None:
    """Pooled metrics under their plain names, per-fold ones as steps of ``fold.``.

    ``model.auc`` is the figure the reports quote (all test rows pooled); the
    per-fold values are the history of ``fold.model.auc``, one step per fold. All
    go in one batch: one request instead of one per metric.
    """
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    batch = [
        Metric(_metric_name(f"{r['model']}.{r['metric']}"), float(r["value"]), now, 0)
        for r in pooled.to_dict("records")
        if _published(r["value"])
    ]
    batch += [
        Metric(_metric_name(f"fold.{r['model']}.{r['metric']}"), float(r["value"]),
               now, int(r["fold"]) if str(r["fold"]).isdigit() else 0)
        for r in metrics.to_dict("records")
        if _published(r["value"])
    ]
    run_id = mlflow.active_run().info.run_id
    client = mlflow.tracking.MlflowClient()
    for start in range(0, len(batch), 1000):  # the store's batch limit
        client.log_batch(run_id, metrics=batch[start:start + 1000])


def open_run(*, name: str, tracking_uri: str | None = None,
             experiment: str | None = None) -> TrackedRun:
    """Create the MLflow run now, to be filled by :func:`log_run` later.

    A pipeline opens its run before the reports are rendered, so that every page
    can name the run it belongs to.
    """
    mlflow = _mlflow()
    uri = absolute_uri(tracking_uri or DEFAULT_URI)
    client = mlflow.tracking.MlflowClient(uri)
    exp_name = experiment or f"earlysignal-{name}"
    exp = client.get_experiment_by_name(exp_name)
    exp_id = (exp.experiment_id if exp is not None else client.create_experiment(
        exp_name, artifact_location=_artifact_root(uri)))
    run = client.create_run(exp_id, run_name=name)
    return TrackedRun(run.info.run_id, exp_id, uri)


def _published(value: Any) -> bool:
    # None and NaN: undefined, or withheld by the disclosure rule
    return value is not None and not math.isnan(float(value))


def absolute_uri(uri: str) -> str:
    """A local SQLite store's URI with an absolute path, so that the URI recorded
    in ``run.json`` finds the store from any working directory.

    Examples
    --------
    >>> absolute_uri("sqlite:////tmp/x/mlflow.db")
    'sqlite:////tmp/x/mlflow.db'
    >>> absolute_uri("http://127.0.0.1:5000")
    'http://127.0.0.1:5000'
    """
    if uri.startswith("sqlite:///"):
        return "sqlite:///" + str(Path(uri.removeprefix("sqlite:///")).resolve())
    return uri


def _artifact_root(uri: str) -> str | None:
    # Keep artefacts beside a local SQLite store, not in whatever folder the
    # process happens to run from.
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///")).resolve()
        return (db.parent / "mlruns").as_uri()
    return None


def _log_model(mlflow: Any, model: Any, model_input: pd.DataFrame | None,
               metadata: list[dict[str, Any]], bundle: Mapping[str, Any]) -> None:
    from mlflow.models import infer_signature

    requirements = ["earlysignal", "lightgbm", "scikit-learn", "pandas"]
    signature = None
    if model_input is not None:
        sample = model_input.head(20)
        signature = infer_signature(sample, model.predict_proba(sample)[:, 1])
    mlflow.sklearn.log_model(model, name=SCORER, signature=signature,
                             pip_requirements=requirements,
                             skops_trusted_types=_trusted_types(model))
    booster = _booster(model)
    if booster is not None:
        mlflow.lightgbm.log_model(booster, name=BOOSTER, pip_requirements=requirements)
    mlflow.log_text(json.dumps(metadata, indent=2, default=str),
                    f"{SCORER}/feature_metadata.json")
    mlflow.log_text(json.dumps(bundle, indent=2, default=str),
                    f"{SCORER}/scoring.json")


def _trusted_types(model: Any) -> list[str]:
    # skops refuses to load types it does not know; the scorer's own types (our
    # estimators and LightGBM's) are the ones we wrote it with, so trust exactly them.
    import skops.io as sio

    return list(sio.get_untrusted_types(data=sio.dumps(model)))


def _booster(model: Any) -> Any:
    """The LightGBM booster inside the scorer: its own, its calibrated estimator's,
    or a blend's LightGBM part's; None for the logistic regression."""
    if hasattr(model, "booster_"):
        return model.booster_
    for attr in ("lightgbm_", "estimator_"):
        inner = getattr(model, attr, None)
        if inner is not None:
            return _booster(inner)
    return None


def load_scorer(model_uri: str, tracking_uri: str | None = None
                ) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """Load a logged scorer, its feature metadata and its scoring bundle.

    ``model_uri`` is ``runs:/RUN_ID/scorer`` (or ``runs:/RUN_ID``), or a run folder
    whose ``run.json`` names the MLflow run.
    """
    mlflow = _mlflow()
    uri, tracking_uri = _resolve(model_uri, tracking_uri)
    mlflow.set_tracking_uri(absolute_uri(tracking_uri))
    try:
        local = Path(mlflow.artifacts.download_artifacts(uri))
        model = mlflow.sklearn.load_model(str(local))
        metadata = json.loads((local / "feature_metadata.json").read_text())
        bundle_file = local / "scoring.json"
        bundle = json.loads(bundle_file.read_text()) if bundle_file.exists() else {}
    except Exception as e:  # MLflow raises many types for a missing run
        raise TrackingError(
            f"cannot load the model '{model_uri}' from {tracking_uri}: {e}. Fix: pass "
            "a run folder written by `earlysignal run`, or runs:/RUN_ID/scorer with "
            "--tracking-uri pointing at the store the run was logged to"
        ) from None
    return model, metadata, bundle


def _resolve(model_uri: str, tracking_uri: str | None) -> tuple[str, str]:
    path = Path(model_uri)
    if (path / "run.json").exists():
        info = json.loads((path / "run.json").read_text()).get("tracking") or {}
        if "run_id" not in info:
            raise TrackingError(
                f"{path}/run.json names no MLflow run. Fix: run the pipeline with "
                "tracking on, or pass runs:/RUN_ID/scorer")
        return (f"runs:/{info['run_id']}/{SCORER}",
                tracking_uri or info.get("tracking_uri", DEFAULT_URI))
    uri = model_uri.rstrip("/")
    if uri.startswith("runs:/") and uri.count("/") == 1:
        uri += f"/{SCORER}"
    return uri, tracking_uri or DEFAULT_URI


def log_monitor_metrics(run_id: str, tracking_uri: str,
                        metrics: list[tuple[str, float, int]]) -> int:
    """Add a monitoring check's figures to an existing run as metrics.

    Each is ``(name, value, step)``; the step is the as-of date as YYYYMMDD, so
    that MLflow draws each figure as a series over scoring dates. Missing values
    are not logged. Returns the number logged.
    """
    mlflow = _mlflow()
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    batch = [Metric(_metric_name(name), float(value), now, int(step))
             for name, value, step in metrics if _published(value)]
    client = mlflow.tracking.MlflowClient(absolute_uri(tracking_uri))
    for start in range(0, len(batch), 1000):  # the store's batch limit
        client.log_batch(run_id, metrics=batch[start:start + 1000])
    return len(batch)
