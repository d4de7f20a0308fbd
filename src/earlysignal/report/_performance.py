"""Model performance from ``metrics.json``: tables and charts shared by the
ethics-board and data-scientist reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from markupsafe import Markup

from earlysignal.present import model_label, run_model_names
from earlysignal.report._common import label
from earlysignal.report._svg import folds_chart, line_chart

__all__ = [
    "calibration_chart", "drift_chart", "fold_table", "folds_svg", "model_name",
    "pooled_table", "window_heading",
]

POOLED_METRICS = ("auc", "average_precision", "precision_at_k", "recall_at_k",
                  "caught_at_k", "brier", "ece")


def model_name(code: str, names: Mapping[str, str] | None = None) -> str:
    """Readable name of a model or baseline column (``names``: the run's own,
    from ``settings.baseline_labels``, for a baseline the config renamed).

    Examples
    --------
    >>> model_name("model"), model_name("base_rate"), model_name("checklist")
    ('the model', 'base rate', 'points checklist')
    >>> model_name("any_suspension", {"any_suspension": "a missed deadline"})
    'a missed deadline'
    """
    return model_label(code, names)


def run_names(metrics: Mapping[str, Any]) -> dict[str, str]:
    """The run's names of its baselines, where the config gave one (``label``)."""
    return run_model_names((metrics.get("settings") or {}).get("baseline_inputs"))


def _order(models: list[str]) -> list[str]:
    first = [m for m in ("model",) if m in models]
    last = [m for m in ("oracle",) if m in models]
    return first + [m for m in models if m not in first + last] + last


def pooled_table(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per model: the pooled test metrics, the model first.

    ``interval`` maps a metric to the (lower, upper) person-level interval of the
    evaluation, where it has one (AUC and precision at capacity).
    """
    pooled = metrics.get("pooled") or {}
    intervals: dict[str, dict[str, tuple[Any, Any]]] = {}
    for r in metrics.get("intervals") or []:
        if r.get("lower") is not None and r.get("upper") is not None:
            intervals.setdefault(r["model"], {})[r["metric"]] = (r["lower"], r["upper"])
    names = run_names(metrics)
    return [{"model": m, "name": model_name(m, names),
             **{k: (pooled[m] or {}).get(k) for k in POOLED_METRICS},
             "interval": intervals.get(m, {})}
            for m in _order(list(pooled))]


def fold_table(metrics: Mapping[str, Any], metric: str) -> dict[str, Any]:
    """``metric`` per fold (rows) and model (columns), from ``per_fold``."""
    pf = pd.DataFrame(metrics.get("per_fold") or [])
    if pf.empty or metric not in set(pf["metric"]):
        return {"metric": metric, "models": [], "rows": []}
    part = pf[pf["metric"] == metric].assign(
        value=lambda f: pd.to_numeric(f["value"], errors="coerce"))
    # dropna=False: a fold withheld by the disclosure rule stays, marked as such
    wide = part.pivot_table(index="fold", columns="model", values="value",
                            aggfunc="first", dropna=False)
    models = _order([str(c) for c in wide.columns])
    folds = {int(f["index"]): f for f in metrics.get("folds") or []}
    rows = [{"fold": int(i), "test_start": folds.get(int(i), {}).get("test_start", ""),
             "window": _window(folds.get(int(i), {})),
             "values": [wide.at[i, m] for m in models],
             "withheld": bool(wide.loc[i].isna().all())} for i in wide.index]
    return {"metric": metric, "models": [model_name(m, run_names(metrics))
                                         for m in models],
            "codes": models, "rows": rows}


def _window(fold: Mapping[str, Any]) -> str:
    """The fold's test window: its label, else its test date (older runs)."""
    return str(fold.get("window") or fold.get("test_start", ""))


def window_heading(metrics: Mapping[str, Any]) -> str:
    """"Test date" when every window is one date, else "Test window".

    Examples
    --------
    >>> window_heading({"folds": [{"test_start": "2022-07-01", "test_end": "2022-09-30"}]})
    'Test window'
    """
    folds = metrics.get("folds") or []
    one_day = all(f.get("test_start") == f.get("test_end", f.get("test_start"))
                  for f in folds)
    return "Test date" if one_day else "Test window"


def _date_axis(dates: list[pd.Timestamp]) -> tuple[dict[pd.Timestamp, float],
                                                    list[tuple[float, str]]]:
    uniq = sorted(set(dates))
    t0 = uniq[0]
    pos = {d: (d - t0).days / 365.25 for d in uniq}
    return pos, [(pos[d], f"{d:%b %Y}") for d in uniq]


def drift_chart(metrics: Mapping[str, Any], metric: str = "auc") -> Markup:
    """``metric`` at each test date, one line per model (the over-time view)."""
    dr = pd.DataFrame(metrics.get("drift") or [])
    if dr.empty or metric not in dr.columns:
        return Markup("")
    dr["t"] = pd.to_datetime(dr["test_start"]).dt.normalize()
    pos, ticks = _date_axis(list(dr["t"]))
    series = {}
    for m in _order(list(dict.fromkeys(dr["model"]))):
        part = dr[dr["model"] == m].sort_values("t")
        series[model_name(m)] = [(pos[t], None if pd.isna(v) else float(v))
                                 for t, v in zip(part["t"], part[metric], strict=True)]
    name = label(metric)
    alt = (f"{name} of each model at each test date; "
           + "; ".join(f"{k}: " + ", ".join(f"{v:.3f}" for _, v in pts if v is not None)
                       for k, pts in series.items()))
    return line_chart(series, alt=alt, x_label="test as-of date", y_label=name,
                      x_ticks=ticks)


def calibration_chart(metrics: Mapping[str, Any]) -> Markup:
    """Mean score against the observed rate per score bin (reliability diagram)."""
    cal = pd.DataFrame(metrics.get("calibration") or [])
    if cal.empty:
        return Markup("")
    series = {}
    models = _order(list(dict.fromkeys(cal["model"])))
    # the model, the strongest simple baseline and the oracle: more is unreadable
    models = [m for m in models if m in ("model", "logistic", "oracle")] or models
    for m in models:
        part = cal[cal["model"] == m].sort_values("mean_score")
        series[model_name(m)] = [(float(x), float(y)) for x, y in
                                 zip(part["mean_score"], part["observed_rate"],
                                     strict=True)]
    top = max(max(x, y) for pts in series.values() for x, y in pts)
    alt = ("Reliability diagram: observed outcome rate against mean score in each "
           "score bin; points on the dashed diagonal are perfectly calibrated")
    return line_chart(series, alt=alt, x_label="mean score in the bin",
                      y_label="observed rate", y_range=(0.0, top * 1.05),
                      diagonal=True)


def folds_svg(metrics: Mapping[str, Any]) -> Markup:
    folds = list(metrics.get("folds") or [])
    alt = (f"{len(folds)} temporal folds: each trains on earlier as-of dates whose "
           "labels were fully observed before its test "
           + ("date" if window_heading(metrics) == "Test date" else "window"))
    return folds_chart(folds, alt=alt)
