"""The monitoring check: each part computed from plain frames, alerts gathered."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.disclosure import decide
from earlysignal.model import Capacity
from earlysignal.monitor._demand import demand_check
from earlysignal.monitor._drift import (
    DriftSettings,
    Item,
    calibrate,
    drift_table,
    psi_with_null,
)
from earlysignal.monitor._fairness import realised_fairness as fairness_as_closed
from earlysignal.monitor._freshness import FreshnessSettings, freshness
from earlysignal.monitor._performance import (
    expected_performance,
    realised_performance,
    selection,
)
from earlysignal.monitor._result import MonitorResult


@dataclass
class MonitorInputs:
    """What a check reads: the run's cohort and the later extract's, both scored by
    the run's final model (``score``, ``band`` and ``group_*`` columns).

    ``reference`` is the run's feature matrix; ``current`` the later extract's at
    the scoring dates since the run (``label`` is set where the horizon has
    closed). ``evaluation``, ``fairness`` and ``impact`` are the run's documents.
    """

    reference: pd.DataFrame
    current: pd.DataFrame
    metadata: Mapping[str, Any]
    features: Sequence[str]
    tables: Mapping[str, pd.DataFrame]
    trained_to: pd.Timestamp
    extract_end: pd.Timestamp
    horizon: str
    groups: Sequence[str]
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    fairness: Mapping[str, Any] = field(default_factory=dict)
    impact: Mapping[str, Any] = field(default_factory=dict)
    run: str = ""


@dataclass(frozen=True)
class MonitorSettings:
    """Settings of a check (see the config's ``monitor`` section)."""

    capacity: str | int = "5%"
    min_cell: int = 10
    alpha: float = 0.05
    min_psi: float = 0.1
    null_draws: int = 200
    n_boot: int = 500
    draws: int = 1000
    window_months: int = 6
    seed: int = 0

    @classmethod
    def from_section(cls, section: Any, *, capacity: str | int, min_cell: int
                     ) -> MonitorSettings:
        """Settings from the config's ``monitor`` section."""
        return cls(capacity=capacity, min_cell=min_cell, alpha=section.alpha,
                   min_psi=section.min_psi, null_draws=section.null_draws,
                   n_boot=section.n_boot, draws=section.draws,
                   window_months=section.window_months, seed=section.seed)

    @property
    def drift(self) -> DriftSettings:
        return DriftSettings(n_null=self.null_draws, alpha=self.alpha,
                             min_psi=self.min_psi, seed=self.seed)


def monitor(inputs: MonitorInputs, settings: MonitorSettings = MonitorSettings(),
            log: Callable[[str], None] = lambda _: None) -> MonitorResult:
    """Freshness, drift, expected and realised performance, fairness and demand.

    Returns
    -------
    MonitorResult
    """
    cur = inputs.current
    dates = sorted(pd.to_datetime(cur["as_of"].unique()))
    now = dates[-1]
    fresh = freshness(inputs.tables, trained_to=inputs.trained_to,
                      extract_end=inputs.extract_end,
                      settings=FreshnessSettings(window_months=settings.window_months))
    log(f"monitor: freshness of {len(fresh)} sources")
    ref = seasonal_reference(inputs.reference, now)
    rng = np.random.default_rng(settings.seed)
    now_rows = cur[pd.to_datetime(cur["as_of"]) == now]
    drift = feature_drift(ref, now_rows, inputs, settings, rng)
    groups = group_drift(ref, now_rows, inputs.groups, settings, rng)
    log(f"monitor: drift of {len(drift)} items at {now.date()}")
    expected = expected_table(cur, settings)
    realised = realised_table(cur, settings)
    audit = realised_fairness(cur, inputs, settings)
    demand = demand_check(inputs.tables, inputs.impact, inputs.extract_end,
                          min_cell=settings.min_cell, seed=settings.seed)
    return MonitorResult(
        run=inputs.run, trained_to=inputs.trained_to, extract_end=inputs.extract_end,
        current_date=now, horizon=inputs.horizon, settings=settings,
        freshness=fresh, drift=drift, group_drift=groups, expected=expected,
        realised=realised, fairness=audit, demand=demand,
        evaluation=_evaluation_figures(inputs.evaluation),
        reference_dates=sorted({str(pd.Timestamp(d).date()) for d in ref["as_of"]}))


def seasonal_reference(reference: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """The run's rows at dates of the same calendar month as ``now`` (all of them
    when fewer than two such dates exist).

    Examples
    --------
    >>> r = pd.DataFrame({"as_of": pd.to_datetime(
    ...     ["2021-09-01", "2022-03-01", "2022-09-01"])})
    >>> seasonal_reference(r, pd.Timestamp("2024-09-01"))["as_of"].dt.year.tolist()
    [2021, 2022]
    """
    when = pd.to_datetime(reference["as_of"])
    same = reference[when.dt.month == now.month]
    return same if same["as_of"].nunique() >= 2 else reference


def feature_drift(ref: pd.DataFrame, now_rows: pd.DataFrame, inputs: MonitorInputs,
                  settings: MonitorSettings, rng: np.random.Generator
                  ) -> pd.DataFrame:
    """Drift of every model input, factor family, the score and the bands."""
    meta = inputs.metadata
    items = [Item(c, "feature", str(getattr(meta[c], "family", "")))
             for c in inputs.features]
    items.append(Item("score", "score"))
    if "band" in now_rows:
        items.append(Item("band", "band"))
    categorical = {c for c in inputs.features
                   if getattr(meta[c], "kind", "") == "categorical"} | {"band"}
    families: dict[str, list[str]] = {}
    for it in items:
        if it.kind == "feature" and it.family:
            families.setdefault(it.family, []).append(it.name)
    return drift_table(ref, now_rows, items, families, categorical,
                       settings.drift, rng)


def group_drift(ref: pd.DataFrame, now_rows: pd.DataFrame, groups: Sequence[str],
                settings: MonitorSettings, rng: np.random.Generator
                ) -> pd.DataFrame:
    """Score drift within each audited group, calibrated over all groups together.

    Groups with fewer than ``min_cell`` people at the current date, or that could
    be worked out from the others, are withheld (the disclosure rule).
    """
    hidden = decide({g: now_rows[g].astype(str).to_numpy() for g in groups},
                    person=now_rows["person_id"].to_numpy(),
                    label=np.zeros(len(now_rows), dtype=int),
                    min_cell=settings.min_cell, rule=("size",))
    withheld = set(zip(hidden["group_by"], hidden["group"], strict=True))
    rows, obs, nulls = [], [], []
    for g in groups:
        for value in sorted(now_rows[g].astype(str).unique()):
            r = ref[ref[g].astype(str) == value]
            c = now_rows[now_rows[g].astype(str) == value]
            row = {"group_by": g, "group": value, "people": len(c),
                   "mean_score_then": float(r["score"].mean()) if len(r) else np.nan,
                   "mean_score_now": float(c["score"].mean()),
                   "withheld": (g, value) in withheld or r.empty}
            rows.append(row)
            if row["withheld"]:
                obs.append(np.nan)
                nulls.append(np.full(settings.null_draws, np.nan))
                continue
            o, n = psi_with_null(r, c, ["score"], set(), settings.drift, rng)
            obs.append(float(o[0]))
            nulls.append(n[:, 0])
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    ratio, _, c = calibrate(np.array(obs), np.column_stack(nulls), settings.alpha)
    out["psi"], out["ratio"], out["threshold_ratio"] = obs, ratio, c
    out["alert"] = (out["ratio"] > c) & (out["psi"] >= settings.min_psi)
    for col in ("people", "mean_score_then", "mean_score_now", "psi", "ratio"):
        out[col] = out[col].astype(float).where(~out["withheld"])
    return out


def expected_table(cur: pd.DataFrame, settings: MonitorSettings) -> pd.DataFrame:
    """Expected figures at every scoring date since the run (closed or not)."""
    rows = []
    for d, part in cur.groupby("as_of", sort=True):
        e = expected_performance(part["score"].to_numpy(), settings.capacity,
                                 draws=settings.draws, seed=settings.seed)
        rows.append({"as_of": pd.Timestamp(str(d)),
                     # closed: outcomes are known (censored rows aside)
                     "closed": bool(part["label"].notna().any()), **e})
    return pd.DataFrame(rows)


def realised_table(cur: pd.DataFrame, settings: MonitorSettings) -> pd.DataFrame:
    """Realised figures at each date whose horizon has closed, beside the expected
    figures on the same rows; dates the disclosure rule withholds are blanked."""
    done = cur[cur["label"].notna()].copy()
    if done.empty:
        return pd.DataFrame()
    rows, picked = [], []
    for d, part in done.groupby("as_of", sort=True):
        k = Capacity.parse(settings.capacity).k(len(part))
        picked.append(pd.Series(selection(part["score"].to_numpy(), k),
                                index=part.index))
        r = realised_performance(part, settings.capacity, n_boot=settings.n_boot,
                                 seed=settings.seed)
        e = expected_performance(part["score"].to_numpy(), settings.capacity,
                                 draws=settings.draws, seed=settings.seed)
        rows.append({"as_of": pd.Timestamp(str(d)), **r,
                     **{f"expected_{k_}": v for k_, v in e.items()
                        if k_ not in ("n", "k")}})
    out = pd.DataFrame(rows)
    sel = pd.concat(picked).reindex(done.index).to_numpy()
    hidden = decide({}, person=done["person_id"].to_numpy(),
                    label=done["label"].astype(int).to_numpy(),
                    period=pd.to_datetime(done["as_of"]).dt.date.astype(str).to_numpy(),
                    selected=sel, min_cell=settings.min_cell)
    gone = set(hidden.loc[hidden["period"] != "", "period"])
    out["withheld"] = out["as_of"].dt.date.astype(str).isin(gone)
    figures = [c for c in out.columns if c not in ("as_of", "withheld")]
    out[figures] = out[figures].astype(float).where(~out["withheld"], np.nan,
                                                    axis=0)
    return out


def realised_fairness(cur: pd.DataFrame, inputs: MonitorInputs,
                      settings: MonitorSettings) -> dict[str, Any]:
    """The fairness audit on realised outcomes of the closed dates, pooled and per
    date, with the evaluation-time figures of the same groups and metrics beside it
    (:func:`earlysignal.monitor._fairness.realised_fairness`)."""
    return fairness_as_closed(cur[cur["label"].notna()], inputs.groups,
                              inputs.fairness, capacity=settings.capacity,
                              min_cell=settings.min_cell,
                              n_boot=min(settings.n_boot, 500), seed=settings.seed)


def _evaluation_figures(doc: Mapping[str, Any]) -> dict[str, float]:
    pooled = (doc.get("pooled") or {}).get("model") or {}
    return {k: float(pooled[k]) for k in ("precision_at_k", "recall_at_k", "auc",
                                          "base_rate") if pooled.get(k) is not None}
