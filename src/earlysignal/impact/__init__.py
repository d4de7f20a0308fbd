"""What targeting early help at a team's real capacity would achieve, and how demand
moves between services.

:func:`impact` compares targeting strategies at equal capacity (the risk model, the
rules councils use, random selection, fairness-constrained variants), estimates
escalations averted, costs and net effect with Monte Carlo intervals, draws the
capacity curve, and projects demand per service with a multi-state model
(:class:`DemandModel`). :func:`impact_for_run` does the same for a run folder and
writes ``impact.json`` and ``impact.html``.
"""

from earlysignal.impact._api import impact, impact_for_run
from earlysignal.impact._costs import (
    CostItem,
    UnitCosts,
    default_costs_path,
    load_costs,
)
from earlysignal.impact._effect import Effect, split_triangular
from earlysignal.impact._flow import (
    SERVICES,
    STATE_NAMES,
    DemandModel,
    compare,
    state_panel,
)
from earlysignal.impact._result import ImpactResult
from earlysignal.impact._targeting import (
    STRATEGY_LABELS,
    selection_weights,
    strategy_weights,
)

__all__ = [
    "SERVICES",
    "STATE_NAMES",
    "STRATEGY_LABELS",
    "CostItem",
    "DemandModel",
    "Effect",
    "ImpactResult",
    "UnitCosts",
    "compare",
    "default_costs_path",
    "impact",
    "impact_for_run",
    "load_costs",
    "selection_weights",
    "split_triangular",
    "state_panel",
    "strategy_weights",
]
