"""The result of a monitoring check: its tables, its alerts in words, and its
outputs (``monitor.json``, ``monitor.html``, MLflow metrics)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from earlysignal.monitor._api import MonitorSettings

#: Exit code of ``earlysignal monitor`` when an alert fires.
ALERT_EXIT = 4


@dataclass
class MonitorResult:
    """Tables of a check (see :func:`earlysignal.monitor.monitor`)."""

    run: str
    trained_to: pd.Timestamp
    extract_end: pd.Timestamp
    current_date: pd.Timestamp
    horizon: str
    settings: MonitorSettings
    freshness: pd.DataFrame
    drift: pd.DataFrame
    group_drift: pd.DataFrame
    expected: pd.DataFrame
    realised: pd.DataFrame
    fairness: dict[str, Any]
    demand: pd.DataFrame
    evaluation: dict[str, float] = field(default_factory=dict)
    reference_dates: list[str] = field(default_factory=list)

    @property
    def alerts(self) -> list[dict[str, str]]:
        """Everything that needs attention: kind, what, sentence."""
        return (_freshness_alerts(self.freshness)
                + _drift_alerts(self.drift, self.current_date, self.settings.min_psi)
                + _group_alerts(self.group_drift, self.current_date)
                + _realised_alerts(self.realised, self.evaluation)
                + _fairness_alerts(self.fairness.get("series")))

    @property
    def exit_code(self) -> int:
        """0 when nothing needs attention, :data:`ALERT_EXIT` otherwise."""
        return ALERT_EXIT if self.alerts else 0

    def notes(self) -> list[str]:
        """Sentences about what the check assumes and found beyond the alerts."""
        out = [
            "Expected figures assume the scores are still calibrated: a person with "
            "score p has the outcome with probability p. "
            + _calibration_sentence(self.realised),
            f"Drift is measured at {self.current_date.date()} against the run's "
            f"cohort at {_list(self.reference_dates)}; thresholds are calibrated on "
            "resampled people of those dates, so that an undrifted cohort alerts "
            f"on any item in about {self.settings.alpha:.0%} of checks or fewer.",
        ]
        out += _fairness_notes(self.fairness.get("series"))
        out += _demand_notes(self.demand)
        return out

    def summary(self) -> dict[str, Any]:
        """Plain data of the whole check (what ``monitor.json`` holds)."""
        return {
            "run": self.run, "trained_to": _day(self.trained_to),
            "extract_end": _day(self.extract_end),
            "current_date": _day(self.current_date), "horizon": self.horizon,
            "settings": {k: getattr(self.settings, k) for k in (
                "capacity", "min_cell", "alpha", "min_psi", "null_draws", "n_boot",
                "draws", "window_months", "seed")},
            "alerts": self.alerts, "notes": self.notes(),
            "evaluation": self.evaluation, "reference_dates": self.reference_dates,
            "freshness": _records(self.freshness), "drift": _records(self.drift),
            "group_drift": _records(self.group_drift),
            "expected": _records(self.expected), "realised": _records(self.realised),
            "fairness": {k: _records(v) if isinstance(v, pd.DataFrame) else v
                         for k, v in self.fairness.items()},
            "demand": _records(self.demand),
        }

    def json(self) -> str:
        """``monitor.json``: the summary, missing values as null."""
        return json.dumps(_clean(self.summary()), indent=2)

    def html(self) -> str:
        """A self-contained page (inline CSS, no scripts)."""
        from earlysignal.monitor._html import render

        return render(self)

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``monitor.json`` and ``monitor.html`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"json": out / "monitor.json", "html": out / "monitor.html"}
        paths["json"].write_text(self.json(), encoding="utf-8")
        paths["html"].write_text(self.html(), encoding="utf-8")
        return paths

    def _repr_html_(self) -> str:
        return self.html()

    def metrics(self) -> list[tuple[str, float, int]]:
        """(name, value, step) for MLflow; the step is the as-of date YYYYMMDD."""
        out: list[tuple[str, float, int]] = []
        for r in self.expected.to_dict("records"):
            step = int(pd.Timestamp(r["as_of"]).strftime("%Y%m%d"))
            for m in ("precision_at_k", "recall_at_k", "auc"):
                out.append((f"monitor.expected.{m}", r[m], step))
        for r in self.realised.to_dict("records"):
            step = int(pd.Timestamp(r["as_of"]).strftime("%Y%m%d"))
            for m in ("precision_at_k", "recall_at_k", "auc", "observed_over_expected"):
                out.append((f"monitor.realised.{m}", r[m], step))
        step = int(self.current_date.strftime("%Y%m%d"))
        alerts = self.alerts
        for kind in ("freshness", "drift", "group drift", "calibration",
                     "performance", "fairness"):
            out.append((f"monitor.alerts.{kind}",
                        float(sum(a["kind"] == kind for a in alerts)), step))
        if not self.drift.empty:
            out.append(("monitor.drift.max_psi", float(self.drift["psi"].max()), step))
            score = self.drift[self.drift["kind"] == "score"]
            if not score.empty:
                out.append(("monitor.drift.score_psi", float(score["psi"].iloc[0]),
                            step))
        return out


def _freshness_alerts(f: pd.DataFrame) -> list[dict[str, str]]:
    if f.empty:
        return []
    bad = f[f["status"].isin(["stopped", "slowed", "late"])]
    return [{"kind": "freshness", "what": str(r["source"]), "sentence": r["reason"]}
            for r in bad.to_dict("records")]


def _drift_alerts(d: pd.DataFrame, when: pd.Timestamp, min_psi: float
                  ) -> list[dict[str, str]]:
    if d.empty:
        return []
    out = []
    for r in d[d["alert"]].sort_values("ratio", ascending=False).to_dict("records"):
        what = {"feature": "feature", "family": "factor family", "score": "the score",
                "band": "the band shares"}[r["kind"]]
        name = r["item"] if r["kind"] in ("feature", "family") else ""
        typical = ("" if r["kind"] == "family" or not np.isfinite(r["null_mean"])
                   else f" against {r['null_mean']:.3f} typical of an undrifted "
                        "cohort of this size")
        out.append({"kind": "drift", "what": str(r["item"]), "sentence": (
            f"{what} {name}".strip() + f" drifted at {when.date()}: PSI "
            f"{r['psi']:.2f}{typical} ({r['ratio']:.1f} times its null mean; the "
            f"alert threshold is {r['threshold_ratio']:.1f} times, with a PSI of at "
            f"least {min_psi:g}).")})
    return out


def _group_alerts(g: pd.DataFrame, when: pd.Timestamp) -> list[dict[str, str]]:
    if g.empty:
        return []
    out = []
    for r in g[g["alert"] & ~g["withheld"]].to_dict("records"):
        name = f"{str(r['group_by']).removeprefix('group_')} = {r['group']}"
        out.append({"kind": "group drift", "what": name, "sentence": (
            f"Scores of the group {name} drifted at {when.date()}: PSI "
            f"{r['psi']:.2f} ({r['ratio']:.1f} times its null mean; threshold "
            f"{r['threshold_ratio']:.1f}); mean score {r['mean_score_then']:.3f} in "
            f"the run, {r['mean_score_now']:.3f} now.")})
    return out


def _realised_alerts(r: pd.DataFrame, evaluation: dict[str, float]
                     ) -> list[dict[str, str]]:
    if r.empty:
        return []
    out = []
    for row in r[~r["withheld"]].to_dict("records"):
        day = pd.Timestamp(row["as_of"]).date()
        lo, hi = row["observed_over_expected_lower"], row["observed_over_expected_upper"]
        if lo > 1 or hi < 1:
            out.append({"kind": "calibration", "what": str(day), "sentence": (
                f"Calibration no longer holds for the scores of {day}: "
                f"{row['observed_rate']:.2%} had the outcome against a mean score of "
                f"{row['mean_score']:.2%} (observed over expected "
                f"{row['observed_over_expected']:.2f}, 95% interval {lo:.2f} to "
                f"{hi:.2f}); expected figures for later dates rest on it.")})
        ev = evaluation.get("precision_at_k")
        if ev is not None and row["precision_at_k_upper"] < ev:
            out.append({"kind": "performance", "what": str(day), "sentence": (
                f"Precision at capacity for {day} was {row['precision_at_k']:.1%} "
                f"(95% interval {row['precision_at_k_lower']:.1%} to "
                f"{row['precision_at_k_upper']:.1%}), below the {ev:.1%} measured "
                "when the model was evaluated.")})
    return out


def _fairness_alerts(series: pd.DataFrame | None) -> list[dict[str, str]]:
    """Groups' recall at capacity at closed dates whose intervals lie wholly below
    their evaluation-time figures, when more of them do than chance explains.

    Each of the many group-date cells is compared at 95%, so about 2.5% lie below
    by chance even when nothing changed; one alert fires only when the count below
    is unlikely under that rate (binomial tail under 5%), and names every cell.
    """
    if series is None or series.empty:
        return []
    tpr = series[(series["metric"] == "tpr") & (series["group_by"] != "overall")]
    compared = tpr[~tpr["withheld"] & ~tpr["evaluation_withheld"]
                   & tpr["evaluation"].notna()]
    low = compared[compared["below"]]
    if low.empty or _chance(len(low), len(compared)) >= 0.05:
        return []
    cells = "; ".join(
        f"{str(r['group_by']).removeprefix('group_')} = {r['group']} at "
        f"{r['as_of']}: {r['value']:.1%} (95% interval {r['lower']:.1%} to "
        f"{r['upper']:.1%}) against {r['evaluation']:.1%}"
        for r in low.to_dict("records"))
    return [{"kind": "fairness", "what": f"{len(low)} group-date cells",
             "sentence": (
        f"Recall at capacity lies wholly below the group's evaluation-time figure "
        f"in {len(low)} of the {len(compared)} group-date cells compared, more than "
        f"the {0.025 * len(compared):.1f} expected by chance (probability "
        f"{_chance(len(low), len(compared)):.2g}): {cells}.")}]


def _chance(below: int, compared: int) -> float:
    """Probability of at least ``below`` of ``compared`` cells lying below by
    chance, each with probability 0.025.

    Examples
    --------
    >>> round(_chance(1, 10), 3), round(_chance(3, 10), 4)
    (0.224, 0.0016)
    """
    from scipy.stats import binom

    return float(binom.sf(below - 1, compared, 0.025))


def _fairness_notes(series: pd.DataFrame | None) -> list[str]:
    if series is None or series.empty:
        return []
    tpr = series[(series["metric"] == "tpr") & (series["group_by"] != "overall")]
    dates = tpr["as_of"].nunique()
    compared = tpr[~tpr["withheld"] & ~tpr["evaluation_withheld"]
                   & tpr["evaluation"].notna()]
    withheld = int(tpr["withheld"].sum())
    head = (f"Fairness over time: recall at capacity of {tpr['group'].size} "
            f"group-date cells ({tpr[['group_by', 'group']].drop_duplicates().shape[0]}"
            f" groups at {dates} closed date{'s' if dates != 1 else ''}); "
            f"{withheld} withheld by the disclosure rule")
    if compared.empty:
        return [head + ", so none is compared with its evaluation-time figure."]
    below = int(compared["below"].sum())
    return [head + f"; of the {len(compared)} compared with the group's "
            f"evaluation-time figure, {below} lie{'s' if below == 1 else ''} wholly "
            "below it. Each comparison uses a 95% interval, so even if nothing had "
            f"changed about {0.025 * len(compared):.1f} of the {len(compared)} "
            "would lie below by chance; an alert fires only when the count below is "
            "unlikely under that rate (probability under 5%)."]


def _calibration_sentence(r: pd.DataFrame) -> str:
    if r.empty:
        return ("No horizon has closed since the run, so the assumption cannot be "
                "checked yet.")
    shown = r[~r["withheld"]]
    if shown.empty:
        return ("The dates whose horizon has closed are withheld by the disclosure "
                "rule, so the check is not shown.")
    holds = ((shown["observed_over_expected_lower"] <= 1)
             & (shown["observed_over_expected_upper"] >= 1))
    inside = ((shown["precision_at_k"] >= shown["expected_precision_at_k_lower"])
              & (shown["precision_at_k"] <= shown["expected_precision_at_k_upper"]))
    return (f"Where outcomes have arrived ({len(shown)} date"
            f"{'s' if len(shown) != 1 else ''}), observed over expected outcomes has "
            f"an interval containing 1 at {int(holds.sum())}, and the realised "
            f"precision at capacity lies inside the expected interval at "
            f"{int(inside.sum())}.")


def _demand_notes(d: pd.DataFrame) -> list[str]:
    if d.empty:
        return ["No demand projection to compare: the run has no impact stage, or no "
                "whole quarter has passed since its origin."]
    shown = d[~d["withheld"].astype(bool)]
    outside = shown[~shown["in_interval"].astype(bool)]
    out = [f"Demand: of {len(shown)} quarterly figures (caseload and entries per "
           f"service) that can be shown, {len(shown) - len(outside)} lie inside the "
           "run's projection interval (no programme assumed)."]
    for r in outside.to_dict("records"):
        out.append(f"{r['service'].replace('_', ' ')} {r['measure']} in the quarter "
                   f"from {pd.Timestamp(r['start']).date()}: {r['observed']:,.0f} "
                   f"observed against {r['estimate']:,.0f} projected "
                   f"({r['lower']:,.0f} to {r['upper']:,.0f}).")
    return out


def _list(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1] \
        if items else "no dates"


def _day(t: Any) -> str:
    return str(pd.Timestamp(t).date())


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    if not isinstance(df, pd.DataFrame) or df.empty:
        return []
    return json.loads(df.to_json(orient="records", date_format="iso"))


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.integer | np.floating | np.bool_):
        return value.item()
    return value
