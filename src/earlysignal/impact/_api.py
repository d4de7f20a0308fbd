"""Entry points: :func:`impact` on a scores table, :func:`impact_for_run` on a run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from earlysignal.data import CanonicalTables
from earlysignal.errors import DataError
from earlysignal.impact._costs import UnitCosts, load_costs
from earlysignal.impact._effect import Effect
from earlysignal.impact._flow import DemandModel
from earlysignal.impact._result import ImpactResult
from earlysignal.impact._targeting import (
    Draws,
    available_strategies,
    capacity_plan,
    check_scores,
    curve_table,
    resolve_group,
    round_column,
    targeting_tables,
)
from earlysignal.model._metrics import Capacity

__all__ = ["impact", "impact_for_run"]

DEFAULT_PERCENTS = tuple(float(p) for p in range(0, 21))
_NOTES = [
    "Retrospective: escalations among the selected are what happened to the people each "
    "list would have picked in the scored periods; a new cohort may differ.",
    "Averted escalations count only youth-justice costs saved in the first year; "
    "later offending, social-care, education and wider social costs are left out, so "
    "the money figures understate a successful programme's value and say nothing "
    "about harm.",
    "The effect is applied equally to everyone selected; in practice early help may "
    "work better for some young people than others.",
    "Rounds are the test windows of the scores (each as-of date, where the "
    "evaluation tested date by date or the scores have no window column); a young "
    "person selected in two rounds uses two places.",
    "Intervals combine the uncertainty of the effect and the unit costs with a "
    "bootstrap of the young people scored (each resample draws people, with all "
    "their rounds), holding each strategy's list fixed.",
    "Demand projections follow the young people on roll at the origin (a closed "
    "cohort); new joiners add to every count unless entrants='repeat' is used.",
    "The demand model assumes tomorrow's transition rates (by state and school age) "
    "equal those seen in the fitting years; policy or threshold changes break that.",
]


def impact(
    scores: pd.DataFrame,
    *,
    capacity: int | str | Capacity,
    effect: str | float | Effect,
    costs: str | Path | Mapping[str, Any] | UnitCosts | None = None,
    tables: Mapping[str, pd.DataFrame] | None = None,
    seed: int = 0,
    effect_source: Literal["assumed", "evaluated"] = "assumed",
    fair_group: str | None = None,
    draws: int = 2000,
    years: int = 3,
    flow_draws: int = 200,
    percents: Sequence[float] = DEFAULT_PERCENTS,
    origin: str | None = None,
    min_cell: int = 10,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImpactResult:
    """Estimate what targeting at capacity would achieve, and demand by service.

    Parameters
    ----------
    scores : DataFrame
        person_id, as_of, label (0/1), one score column per strategy (``model``,
        ``persistent_absence``, ``any_suspension``, ``checklist``, ``logistic``),
        optional ``p_true`` and ``group_<attribute>`` columns.
    capacity : int or str
        Places per round (the scores' test ``window`` when they have one, else the
        as-of date): a count (``200``) or a share (``"5%"``).
    effect : str
        Relative risk reduction, ``"0.2:0.1-0.3"`` (central:low-high) or ``"0.2"``.
    costs : path, mapping or None
        Unit costs YAML (None: the packaged defaults, see ``costs.yaml``).
    tables : canonical tables, optional
        For the demand-flow projection; without them ``projections`` is empty.
    seed : int
        Seeds every Monte Carlo draw.
    effect_source : {"assumed", "evaluated"}
        Say ``evaluated`` only when the effect was measured for this programme.
    fair_group : str, optional
        Group for the fairness-constrained variants (default ``ethnicity`` when the
        scores have ``group_ethnicity``).
    draws, years, flow_draws, percents, origin
        Monte Carlo draws; projection years, posterior draws and origin (default:
        the month after the last record); capacity-curve percentages.
    min_cell : int
        Groups with fewer people (in size, outcomes or selection) are withheld
        from the by-group table, by the same rule as the fairness audit.
    progress : callable, optional
        Called with ``(step, done, total)`` as the demand-flow projection's
        scenarios and draws are run (see :meth:`DemandModel.project`).

    Returns
    -------
    ImpactResult

    Examples
    --------
    >>> s = pd.DataFrame({"person_id": list("abcd"), "as_of": ["2023-09-01"] * 4,
    ...                   "label": [1, 0, 1, 0], "model": [0.9, 0.1, 0.6, 0.3]})
    >>> r = impact(s, capacity=1, effect="0.5", draws=10, percents=[0, 50])
    >>> r.strategies.set_index("strategy").loc["model", ["averted", "net"]].tolist()
    [0.5, -1190.0]
    """
    scores = check_scores(pd.DataFrame(scores).reset_index(drop=True))
    scores = scores.assign(as_of=pd.to_datetime(scores["as_of"]).dt.normalize())
    cap = Capacity.parse(capacity)
    eff = Effect.parse(effect, effect_source)
    unit = load_costs(costs)
    group = resolve_group(scores, fair_group)
    names = available_strategies(scores, group)
    mc = Draws.make(eff, unit, draws, seed, scores["person_id"].to_numpy())
    table, by_group, reach = targeting_tables(scores, cap, eff, unit, mc, names, group,
                                              min_cell)
    curve = curve_table(scores, eff, unit, mc, names, group, percents)
    settings = _settings(scores, cap, eff, unit, draws, seed, group, min_cell)
    projections = pd.DataFrame()
    if tables is not None:
        dm = DemandModel(tables, origin=origin)
        scen = {n: reach[n] for n in names if n != "oracle"}
        projections = dm.project(years, draws=flow_draws, seed=seed, reach=scen,
                                 effect=eff, unit_costs=unit.service_year_values(),
                                 progress=progress)
        settings["demand"] = {
            "origin": str(dm.origin_.date()), "fit_start": str(dm.fit_start_.date()),
            "years": years, "draws": flow_draws,
            "description": "monthly grid; states = highest open social-care episode "
                           "x youth justice (ever) + left; transitions by school age "
                           "and August step; Dirichlet prior worth "
                           f"{dm.prior_weight:g} observations per row"}
        settings["assumptions"].append({
            "name": "demand scenarios",
            "value": "moves into youth justice x (1 - effect x reach)",
            "used_for": "projected demand under each strategy"})
    return ImpactResult(table, by_group, curve, projections, settings,
                        notes=list(_NOTES))


def _settings(scores: pd.DataFrame, cap: Capacity, eff: Effect, unit: UnitCosts,
              draws: int, seed: int, group: str | None, min_cell: int
              ) -> dict[str, Any]:
    plan = capacity_plan(scores, cap)
    rounds = len(plan)
    pos = float(scores["label"].sum()) / rounds
    per_place = unit.intervention.cost_per_place.value
    assumptions = [
        {"name": "effect of early help", "value": f"{eff.label}, {eff.source}",
         "used_for": "escalations averted = effect x escalations among the selected"},
        {"name": "effect distribution",
         "value": "split triangular: central value is median and mode; draws stay "
                  "within the range",
         "used_for": "95% intervals"},
        {"name": "capacity", "value": f"{cap.label} places per round",
         "used_for": "every strategy gets the same number of places"},
        {"name": "outcome", "value": "first youth-justice outcome within the horizon "
                                     "(observed labels of the scored periods)",
         "used_for": "escalations among the selected"},
        {"name": "cost per escalation",
         "value": f"{unit.per_escalation:,.0f} {unit.currency}",
         "used_for": "cost averted"},
        {"name": "cost per place", "value": f"{per_place:,.0f} {unit.currency}",
         "used_for": "cost of places"},
        {"name": "fairness-constrained variants",
         "value": (f"by {group.removeprefix('group_')}: equal selection rate; equal "
                   "expected reach (share of the group's summed model risk)")
         if group else "not run (no group column)",
         "used_for": "fair strategies"},
    ]
    return {
        "capacity": cap.label, "rounds": rounds,
        "round_column": round_column(scores),
        "round_labels": [_round_label(k) for k in plan],  # plan is sorted by round
        "places_per_round": float(np.mean(list(plan.values()))),
        "people_per_round": len(scores) / rounds,
        "escalations_per_round": pos,
        "effect": {**eff.to_dict(), "label": eff.label},
        "costs": unit.table(), "costs_file": unit.source_file,
        "currency": unit.currency, "draws": draws, "seed": seed, "min_cell": min_cell,
        "fair_group": group, "has_p_true": "p_true" in scores.columns,
        "break_even_averted_per_place": per_place / unit.per_escalation,
        "assumptions": assumptions,
    }


def _round_label(key: object) -> str:
    if isinstance(key, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(key).date())
    return str(key)


def impact_for_run(
    run_dir: str | Path,
    *,
    capacity: int | str,
    effect: str,
    costs: str | Path | None,
    out_dir: str | Path | None = None,
    seed: int = 0,
    tables: Mapping[str, pd.DataFrame] | None = None,
    effect_source: Literal["assumed", "evaluated"] = "assumed",
    fair_group: str | None = None,
    flow_draws: int = 200,
    min_cell: int = 10,
    trace: Mapping[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImpactResult:
    """Read ``RUN/scores.parquet`` (and ``RUN/data`` tables), write the report.

    Writes ``impact.json`` and ``impact.html`` into ``out_dir`` (default
    ``RUN/reports``). ``progress`` is told of the projection's draws (see
    :func:`impact`).

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"person_id": list("abcd"), "as_of": ["2023-09-01"] * 4,
    ...     "label": [1, 0, 1, 0], "model": [0.9, 0.1, 0.6, 0.3]}).to_parquet(
    ...     d / "scores.parquet")
    >>> r = impact_for_run(d, capacity=2, effect="0.2:0.1-0.3", costs=None)
    >>> sorted(p.name for p in (d / "reports").iterdir())
    ['impact.html', 'impact.json']
    """
    run = Path(run_dir)
    path = run / "scores.parquet"
    if not path.is_file():
        raise DataError("not found", file=str(path),
                        fix="run the modelling stage first, or point at the run "
                            "folder that holds scores.parquet")
    scores = pd.read_parquet(path)
    if tables is None and (run / "data" / "people.parquet").is_file():
        tables = CanonicalTables.read_dir(run / "data")
    result = impact(scores, capacity=capacity, effect=effect, costs=costs,
                    tables=tables, seed=seed, effect_source=effect_source,
                    fair_group=fair_group, flow_draws=flow_draws, min_cell=min_cell,
                    progress=progress)
    result.trace = dict(trace) if trace else None
    result.write(Path(out_dir) if out_dir is not None else run / "reports")
    return result
