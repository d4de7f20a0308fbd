"""Who each targeting strategy would select at a team's capacity, and what follows.

Selection is made separately in each round: ``k`` places out of the people scored
in it. A round is the test window of the scores (``window``: a month or quarter of
decision points, or one date of a schedule), else the as-of date. People tied at the boundary score are counted by their
expected share of the remaining places (random tie-breaking in expectation), which
is what :func:`earlysignal.model.caught_at_k` reports as ``expected``; the fair
variants fill places one at a time, so a larger capacity never drops anyone chosen
at a smaller one.

Escalations among the selected are the observed labels (a retrospective estimate:
"of the people this list would have picked, this many went on to escalate"); the
sum of ``p_true`` over the selected is shown beside it when the scores carry it
(synthetic data). Escalations averted = effect x escalations among the selected.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from earlysignal.bootstrap import people, person_draws
from earlysignal.disclosure import decide, withhold
from earlysignal.errors import DataError
from earlysignal.impact._costs import UnitCosts
from earlysignal.impact._effect import Effect
from earlysignal.model._metrics import Capacity

__all__ = ["STRATEGY_LABELS", "selection_weights", "strategy_weights"]

SCORE_STRATEGIES = ("model", "persistent_absence", "any_suspension", "checklist",
                    "logistic")
STRATEGY_LABELS = {
    "model": "Risk model (top k)",
    "persistent_absence": "Persistent absence rule",
    "any_suspension": "Any suspension rule",
    "checklist": "Checklist score",
    "logistic": "Logistic regression",
    "random": "Random selection",
    "fair_selection_rate": "Risk model, equal selection rate by {group}",
    "fair_tpr": "Risk model, equal expected reach by {group}",
    "oracle": "True risk (synthetic data only)",
}
REQUIRED = ("person_id", "as_of", "label")


def selection_weights(score: np.ndarray, k: int) -> np.ndarray:
    """Chance of selection of each person when the top ``k`` scores are picked.

    Ties at the boundary share the remaining places equally; missing scores rank
    last.

    Examples
    --------
    >>> selection_weights(np.array([0.9, 0.5, 0.5, 0.5, 0.1]), 2).round(3).tolist()
    [1.0, 0.333, 0.333, 0.333, 0.0]
    """
    s = np.where(np.isnan(score), -np.inf, np.asarray(score, dtype=float))
    n = len(s)
    k = max(0, min(k, n))
    if k == 0:
        return np.zeros(n)
    boundary = np.partition(s, n - k)[n - k]
    above = s > boundary
    tied = s == boundary
    w = above.astype(float)
    w[tied] = (k - above.sum()) / tied.sum()
    return w


def _greedy_order(groups: np.ndarray, score: np.ndarray, k_max: int,
                  priority: Callable[[int, int, float], float]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Group of each successive place: the group with the lowest priority next.

    ``priority(g, taken, expected_caught)`` is evaluated after each pick; within a
    group people are taken in score order.
    """
    names, inv = np.unique(groups, return_inverse=True)
    order = np.argsort(-np.nan_to_num(score, nan=-np.inf), kind="stable")
    members = [order[inv[order] == g] for g in range(len(names))]
    caught = [0.0] * len(names)
    taken = [0] * len(names)
    heap = [(priority(g, 0, 0.0), g) for g in range(len(names)) if len(members[g])]
    heapq.heapify(heap)
    picks = np.empty(min(k_max, len(score)), dtype=int)
    for i in range(len(picks)):
        _, g = heapq.heappop(heap)
        person = members[g][taken[g]]
        taken[g] += 1
        caught[g] += float(np.nan_to_num(score[person]))
        picks[i] = g
        if taken[g] < len(members[g]):
            heapq.heappush(heap, (priority(g, taken[g], caught[g]), g))
    return inv, picks


def _fair_weights(kind: str, groups: np.ndarray, score: np.ndarray,
                  ks: Sequence[int]) -> list[np.ndarray]:
    """Selection weights for each k under an equal-rate or equal-reach rule."""
    names, inv = np.unique(groups, return_inverse=True)
    size = np.bincount(inv, minlength=len(names)).astype(float)
    risk = np.nan_to_num(np.clip(score, 0, None))
    total = np.bincount(inv, weights=risk, minlength=len(names))

    def rate(g: int, taken: int, _c: float) -> float:
        return (taken + 0.5) / size[g]  # Sainte-Lague: house-monotone

    def reach(g: int, _t: int, c: float) -> float:
        return c / total[g] if total[g] > 0 else np.inf

    _, picks = _greedy_order(groups, score, max(ks, default=0),
                             rate if kind == "selection_rate" else reach)
    out = []
    for k in ks:
        per = np.bincount(picks[:k], minlength=len(names))
        w = np.zeros(len(score))
        for g in range(len(names)):
            idx = np.flatnonzero(inv == g)
            w[idx] = selection_weights(score[idx], int(per[g]))
        out.append(w)
    return out


def strategy_weights(scores: pd.DataFrame, strategy: str, ks: Mapping[object, int]
                     | Sequence[Mapping[object, int]], *, fair_group: str | None = None
                     ) -> list[np.ndarray]:
    """Selection weights of every row for each capacity plan (round -> k).

    Examples
    --------
    >>> s = pd.DataFrame({"as_of": ["t"] * 4, "model": [0.9, 0.2, 0.5, 0.1],
    ...                   "label": [1, 0, 0, 1]})
    >>> strategy_weights(s, "model", {"t": 2})[0].tolist()
    [1.0, 0.0, 1.0, 0.0]
    >>> strategy_weights(s, "random", {"t": 2})[0].tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    plans = [ks] if isinstance(ks, Mapping) else list(ks)
    out = [np.zeros(len(scores)) for _ in plans]
    for key, idx in scores.groupby(round_column(scores), sort=True).indices.items():
        kk = [int(p.get(key, 0)) for p in plans]
        if strategy == "random":
            ws = [np.full(len(idx), k / len(idx)) for k in kk]
        elif strategy.startswith("fair_"):
            assert fair_group is not None
            ws = _fair_weights(strategy.removeprefix("fair_"),
                               scores[fair_group].astype(str).to_numpy()[idx],
                               scores["model"].to_numpy(dtype=float)[idx], kk)
        else:
            col = "p_true" if strategy == "oracle" else strategy
            s = scores[col].to_numpy(dtype=float)[idx]
            ws = [selection_weights(s, k) for k in kk]
        for o, w in zip(out, ws, strict=True):
            o[idx] = w
    return out


def check_scores(scores: pd.DataFrame, file: str = "scores") -> pd.DataFrame:
    """Required columns, 0/1 labels, at least one strategy score."""
    missing = [c for c in REQUIRED if c not in scores.columns]
    if missing:
        raise DataError(f"is missing column(s) {missing}", file=file,
                        column=missing[0],
                        fix="pass the scores table the modelling stage writes "
                            "(person_id, as_of, fold, label, model, ...)")
    bad = ~scores["label"].isin([0, 1])
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 1).tolist()
        raise DataError("labels must be 0 or 1", file=file, column="label",
                        rows=rows, fix="drop censored rows (missing labels) first")
    if not any(c in scores.columns for c in SCORE_STRATEGIES):
        raise DataError(f"has no score column; expected one of "
                        f"{list(SCORE_STRATEGIES)}", file=file,
                        fix="name the risk score column 'model'")
    return scores


def available_strategies(scores: pd.DataFrame, fair_group: str | None) -> list[str]:
    names = [c for c in SCORE_STRATEGIES if c in scores.columns
             and scores[c].notna().any()]
    names.append("random")
    if fair_group is not None and "model" in scores.columns:
        names += ["fair_selection_rate", "fair_tpr"]
    if "p_true" in scores.columns and scores["p_true"].notna().any():
        names.append("oracle")
    return names


def resolve_group(scores: pd.DataFrame, fair_group: str | None) -> str | None:
    """The group column for the fair variants (``ethnicity`` -> ``group_ethnicity``)."""
    cols = [c for c in scores.columns if c.startswith("group_")]
    if fair_group is None:
        return "group_ethnicity" if "group_ethnicity" in cols else (
            cols[0] if cols else None)
    name = fair_group if fair_group.startswith("group_") else f"group_{fair_group}"
    if name not in cols:
        raise DataError(f"has no group column {name!r} for the fairness-constrained "
                        f"variant; it has {cols}", file="scores", column=name,
                        fix="choose one of the group columns, e.g. 'ethnicity'")
    return name


@dataclass(frozen=True)
class Draws:
    """Monte Carlo draws shared by every strategy (common random numbers).

    Draw ``i`` pairs an effect and unit costs with a person-level bootstrap
    resample of the scored people (``people[i]``: how often each person was drawn,
    all their rounds with them), so that intervals carry both the uncertainty of
    the assumptions and that of who happened to escalate.
    """

    effect: np.ndarray
    per_escalation: np.ndarray
    per_place: np.ndarray
    people: np.ndarray  # (draws, people) bootstrap multiplicities
    person_codes: np.ndarray  # person of each row of the scores

    @classmethod
    def make(cls, effect: Effect, costs: UnitCosts, n: int, seed: int,
             person_ids: Sequence[object] | np.ndarray) -> Draws:
        rng = np.random.default_rng(seed)
        who = people(person_ids)
        (block,) = person_draws(who, n, np.random.default_rng([seed, 1]), block=n)
        return cls(effect.draw(n, rng), costs.draw_per_escalation(n, rng),
                   costs.intervention.cost_per_place.draw(n, rng), block, who.codes)

    def resampled(self, row_values: np.ndarray) -> np.ndarray:
        """The sum of ``row_values`` in each resample of people."""
        per_person = np.bincount(self.person_codes, weights=row_values,
                                 minlength=self.people.shape[1])
        return self.people @ per_person


def money(caught: float, places: float, effect: Effect, costs: UnitCosts,
          draws: Draws, caught_draws: np.ndarray | None = None) -> dict[str, float]:
    """Averted escalations, costs and net effect: central value and 95% interval.

    ``caught_draws`` are escalations among the selected in each resample of people
    (default: ``caught`` in every draw, i.e. the assumptions' uncertainty only).
    """
    central = {
        "averted": effect.central * caught,
        "cost_averted": effect.central * caught * costs.per_escalation,
        "intervention_cost": places * costs.intervention.cost_per_place.value,
    }
    central["net"] = central["cost_averted"] - central["intervention_cost"]
    c = caught if caught_draws is None else caught_draws
    sim = {"averted": draws.effect * c}
    sim["cost_averted"] = sim["averted"] * draws.per_escalation
    sim["intervention_cost"] = places * draws.per_place
    sim["net"] = sim["cost_averted"] - sim["intervention_cost"]
    out: dict[str, float] = {}
    for key, value in central.items():
        out[key] = float(value)
        out[f"{key}_lower"] = float(np.percentile(sim[key], 2.5))
        out[f"{key}_upper"] = float(np.percentile(sim[key], 97.5))
    return out


def round_column(scores: pd.DataFrame) -> str:
    """The column whose values are the selection rounds: ``window``, else ``as_of``.

    Examples
    --------
    >>> round_column(pd.DataFrame(columns=["as_of", "window"]))
    'window'
    """
    return "window" if "window" in scores.columns else "as_of"


def capacity_plan(scores: pd.DataFrame, capacity: Capacity) -> dict[object, int]:
    return {key: capacity.k(int(n)) for key, n in
            scores.groupby(round_column(scores), sort=True).size().items()}


def targeting_tables(scores: pd.DataFrame, capacity: Capacity, effect: Effect,
                     costs: UnitCosts, draws: Draws, strategies: Sequence[str],
                     fair_group: str | None, min_cell: int = 10
                     ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """Per-strategy estimates and who is reached, averaged per selection round.

    Groups that fewer than ``min_cell`` people stand behind (in size, outcomes or
    selection) are withheld by the disclosure rule (:mod:`earlysignal.disclosure`).
    """
    plan = capacity_plan(scores, capacity)
    rounds = len(plan)
    y = scores["label"].to_numpy(dtype=float)
    p_true = scores["p_true"].to_numpy(dtype=float) if "p_true" in scores else None
    positives = y.sum()
    rows, group_rows, reach = [], [], {}
    groups = [c for c in scores.columns if c.startswith("group_")]
    for name in strategies:
        w = strategy_weights(scores, name, plan, fair_group=fair_group)[0]
        places = w.sum() / rounds
        caught = float((w * y).sum()) / rounds
        reach[name] = float((w * y).sum() / positives) if positives else 0.0
        row = {"strategy": name, "label": _label(name, fair_group),
               "places": places, "escalations_selected": caught,
               "escalations_selected_p_true": (
                   float((w * p_true).sum()) / rounds if p_true is not None
                   else np.nan),
               "precision": caught / places if places else np.nan,
               "reach": reach[name]}
        row.update(money(caught, places, effect, costs, draws,
                         draws.resampled(w * y) / rounds))
        row["cost_per_averted"] = (row["intervention_cost"] / row["averted"]
                                   if row["averted"] else np.nan)
        rows.append(row)
        if groups:
            group_rows.append(_disclosed(scores, groups, name, w, y, rounds, min_cell))
    table = pd.DataFrame(rows)
    by_group = (pd.concat(group_rows, ignore_index=True) if group_rows
                else pd.DataFrame(columns=_GROUP_COLUMNS))
    return table, by_group, reach


_GROUP_COLUMNS = ["strategy", "attribute", "group", "cohort", "cohort_share",
                  "selected", "selected_share", "selection_rate", "escalations",
                  "escalations_reached", "reach", "withheld"]


def _disclosed(scores: pd.DataFrame, groups: Sequence[str], strategy: str,
               w: np.ndarray, y: np.ndarray, rounds: int, min_cell: int
               ) -> pd.DataFrame:
    """One strategy's reach by group, with small groups withheld."""
    frame = pd.concat([_by_group(scores, g, strategy, w, y, rounds) for g in groups],
                      ignore_index=True)
    values = {g.removeprefix("group_"): scores[g].astype(str).fillna("unknown")
              .to_numpy() for g in groups}
    decisions = decide(values, person=scores["person_id"].to_numpy(), label=y,
                       selected=w, min_cell=min_cell)
    pooled = decisions[decisions["period"] == ""]
    numbers = [c for c in _GROUP_COLUMNS if c not in ("strategy", "attribute",
                                                      "group", "withheld")]
    return withhold(frame, pooled, group_by="attribute", group="group",
                    values=numbers)[_GROUP_COLUMNS]


def _by_group(scores: pd.DataFrame, column: str, strategy: str, w: np.ndarray,
              y: np.ndarray, rounds: int) -> pd.DataFrame:
    frame = pd.DataFrame({"g": scores[column].astype(str).fillna("unknown"), "w": w,
                          "y": y, "wy": w * y})
    agg = frame.groupby("g", sort=True).agg(cohort=("w", "size"), selected=("w", "sum"),
                                            escalations=("y", "sum"),
                                            escalations_reached=("wy", "sum"))
    agg = agg / rounds
    agg["cohort_share"] = agg["cohort"] / agg["cohort"].sum()
    total = agg["selected"].sum()
    agg["selected_share"] = agg["selected"] / total if total else np.nan
    agg["selection_rate"] = agg["selected"] / agg["cohort"]
    agg["reach"] = agg["escalations_reached"] / agg["escalations"].where(
        agg["escalations"] > 0)
    agg = agg.reset_index().rename(columns={"g": "group"})
    agg["strategy"] = strategy
    agg["attribute"] = column.removeprefix("group_")
    return agg[_GROUP_COLUMNS[:-1]]


def _label(name: str, fair_group: str | None) -> str:
    text = STRATEGY_LABELS.get(name, name)
    return text.format(group=(fair_group or "").removeprefix("group_"))


def curve_table(scores: pd.DataFrame, effect: Effect, costs: UnitCosts, draws: Draws,
                strategies: Sequence[str], fair_group: str | None,
                percents: Sequence[float]) -> pd.DataFrame:
    """The estimates as capacity runs over ``percents`` of each round's cohort."""
    sizes = scores.groupby(round_column(scores), sort=True).size()
    rounds = len(sizes)
    plans = [{key: int(np.floor(pct / 100 * n + 0.5)) for key, n in sizes.items()}
             for pct in percents]
    y = scores["label"].to_numpy(dtype=float)
    rows = []
    for name in strategies:
        weights = strategy_weights(scores, name, plans, fair_group=fair_group)
        prev: tuple[float, float] | None = None
        for pct, w in zip(percents, weights, strict=True):
            places = w.sum() / rounds
            caught = float((w * y).sum()) / rounds
            row = {"strategy": name, "label": _label(name, fair_group),
                   "percent": float(pct), "places": places, "caught": caught}
            row.update(money(caught, places, effect, costs, draws,
                             draws.resampled(w * y) / rounds))
            if prev is None or places == prev[0]:
                row["marginal_averted_per_place"] = np.nan
            else:
                row["marginal_averted_per_place"] = (
                    (row["averted"] - prev[1]) / (places - prev[0]))
            prev = (places, row["averted"])
            rows.append(row)
    return pd.DataFrame(rows)
