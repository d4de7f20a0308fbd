"""The data scientist's report: folds, per-fold metrics, calibration, precision and
recall against capacity, feature importance and the gap to the oracle."""

from __future__ import annotations

from typing import Any, ClassVar

from earlysignal.report._base import Report
from earlysignal.report._common import inline_svg, label
from earlysignal.report._performance import (
    calibration_chart,
    drift_chart,
    fold_table,
    folds_svg,
    model_name,
    pooled_table,
    window_heading,
)
from earlysignal.report._run import RunFolder
from earlysignal.report._shipped import shipped_model

__all__ = ["DataScienceReport"]

FOLD_METRICS = ("auc", "average_precision", "precision_at_k")
_PLOT_ALT = {
    "capacity_precision": "Precision against capacity (the share of the cohort "
                          "selected), the model and the baselines",
    "capacity_recall": "Recall against capacity (the share of the cohort "
                       "selected), the model and the baselines",
    "importance": "Feature importance: mean absolute SHAP contribution",
    "beeswarm": "SHAP contributions of the leading features, one dot per scored row",
}


def _setting(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(model_name(str(v)) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k} {_setting(v)}" for k, v in value.items()) or "none"
    return str(value)


def run_rows(settings: dict[str, Any], tracking: dict[str, Any]
             ) -> list[dict[str, str]]:
    """The run's settings and tracking as readable (setting, value) rows.

    Examples
    --------
    >>> run_rows({"max_train_span": None, "baselines": ["base_rate", "logistic"],
    ...           "holdout_gap": False}, {})
    [{'setting': 'Max train span', 'value': 'not set'}, {'setting': 'Baselines', 'value': 'base rate, logistic regression'}, {'setting': 'Holdout gap', 'value': 'no'}]
    """
    rows = [{"setting": label(k), "value": _setting(v)} for k, v in settings.items()]
    names = {"run_id": "MLflow run", "experiment_id": "MLflow experiment",
             "tracking_uri": "Tracking store", "model_uri": "Model in MLflow",
             "ui_command": "Open the tracking UI"}
    rows += [{"setting": names.get(k, label(k)), "value": str(v)}
             for k, v in tracking.items() if v]
    return rows


class DataScienceReport(Report):
    """Evaluation detail for the people who build and maintain the model.

    Parameters
    ----------
    run : RunFolder
        Needs ``metrics.json``; uses ``plots/`` and ``explain/`` when present.
    """

    template: ClassVar[str] = "science.html.j2"

    def __init__(self, run: RunFolder) -> None:
        self.run = run

    def __repr__(self) -> str:
        return f"DataScienceReport(run={self.run.name!r})"

    def summarize(self) -> dict[str, Any]:
        m = self.run.need("metrics", "data-scientist report")
        gi = self.run.global_importance
        score_col = next((c for c in ("mean_abs", "mean_abs_log_odds",
                                      "mean_abs_points") if gi is not None
                          and c in gi.columns), None)
        return {
            "name": self.run.name,
            "run": self.run.run_label,
            "model_version": self.run.model_version,
            "tracking": self.run.tracking,
            "settings": m.get("settings") or {},
            "shipped": shipped_model(m.get("settings") or {}),
            "n_features": m.get("n_features"),
            "folds": m.get("folds") or [],
            "windows": _windows(m),
            "shift": {"text": "", "flagged": False, **(m.get("shift") or {})},
            "pooled": pooled_table(m),
            "per_fold": [fold_table(m, k) for k in FOLD_METRICS],
            "verdicts": [{"baseline": model_name(k), "text": v}
                         for k, v in (m.get("verdicts") or {}).items()],
            "compared_on": m.get("compared_on") or "",
            "alarms": list(m.get("alarms") or []),
            "warnings": list(m.get("warnings") or []),
            "skipped": m.get("skipped") or {},
            "oracle_gap": [{"metric": label(k), **v}
                           for k, v in (m.get("oracle_gap") or {}).items()],
            "importance": ([] if gi is None or score_col is None else
                           [{"feature": str(r["feature"]),
                             "family": label(r.get("family", "")),
                             "value": r[score_col]}
                            for r in gi.sort_values(score_col, ascending=False)
                            .head(25).to_dict("records")]),
            "timings": self.run.run.get("timings_s") or {},
            "versions": self.run.run.get("versions") or {},
            "run_rows": run_rows(m.get("settings") or {}, self.run.tracking),
        }

    def context(self) -> dict[str, Any]:
        m = self.run.metrics or {}
        plots = self.run.plots
        stage = {k: inline_svg(plots[k], alt) for k, alt in _PLOT_ALT.items()
                 if k in plots}
        return {"s": self.summarize(), "charts": {
            "folds": folds_svg(m),
            "drift_auc": drift_chart(m, "auc"),
            "drift_ap": drift_chart(m, "average_precision"),
            "calibration": calibration_chart(m),
            **stage,
        }}


def _windows(metrics: dict[str, Any]) -> dict[str, Any]:
    """How the test dates were grouped, and what was merged or left out, in words."""
    settings = metrics.get("settings") or {}
    return {"heading": window_heading(metrics),
            "reason": settings.get("test_every_reason") or "",
            "notes": list(settings.get("window_notes") or [])}
