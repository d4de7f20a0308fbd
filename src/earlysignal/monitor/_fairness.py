"""The fairness audit on realised outcomes as horizons close: pooled over the closed
dates and per closed date, beside the evaluation-time figure of each group.

Both come from one run of the toolkit's audit with the scoring date as its period,
so the capacity applies within each date, intervals resample people (carrying all
their rows across dates) and the disclosure rule decides every withheld cell of
both tables together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Metrics of the pooled table, and of the per-date series.
POOLED = ["selection_rate", "tpr", "precision", "oe_ratio"]
SERIES = ["selection_rate", "tpr", "precision"]


def realised_fairness(done: pd.DataFrame, groups: Sequence[str],
                      evaluation: Mapping[str, Any], *, capacity: str | int,
                      min_cell: int, n_boot: int, seed: int) -> dict[str, Any]:
    """The fairness audit on the rows whose horizon has closed.

    Parameters
    ----------
    done : DataFrame
        Rows with a known outcome: ``person_id``, ``as_of``, ``score``, ``label``
        and the ``groups`` columns.
    groups : list of str
        The audited characteristics.
    evaluation : mapping
        The run's ``fairness.json`` (empty when the run has none).

    Returns
    -------
    dict
        ``group_metrics`` (pooled over the closed dates), ``series`` (per date,
        see :func:`series`), ``flagged`` disparities and the ``dates``; empty when
        nothing has closed or nothing is audited.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> n = 600
    >>> f = pd.DataFrame({"person_id": np.tile(np.arange(300), 2),
    ...                   "as_of": np.repeat(["2024-01-01", "2024-04-01"], 300),
    ...                   "score": rng.uniform(size=n),
    ...                   "sex": rng.choice(["F", "M"], size=n)})
    >>> f["label"] = (rng.uniform(size=n) < f["score"]).astype(int)
    >>> a = realised_fairness(f, ["sex"], {}, capacity="20%", min_cell=10,
    ...                       n_boot=20, seed=0)
    >>> a["dates"], sorted(set(a["series"]["metric"]))
    (['2024-01-01', '2024-04-01'], ['precision', 'selection_rate', 'tpr'])
    """
    if done.empty or not groups:
        return {}
    from earlysignal.fairness import audit

    frame = done.assign(as_of=pd.to_datetime(done["as_of"]).dt.date.astype(str),
                        label=done["label"].astype(int))
    result = audit(frame, score="score", label="label", groups=list(groups),
                   top=capacity, period="as_of", min_cell=min_cell,
                   n_boot=n_boot, seed=seed, mitigation=False, id="person_id",
                   source="the later extract's closed dates")
    then = _evaluation(evaluation)
    pooled = result.group_metrics[result.group_metrics["metric"].isin(POOLED)]
    if not then.empty:
        pooled = pooled.merge(then[["group_by", "group", "metric", "evaluation",
                                    "evaluation_suppressed"]],
                              on=["group_by", "group", "metric"], how="left")
    flagged = result.disparities.copy()
    if not flagged.empty and "flagged" in flagged:
        flagged = flagged[flagged["flagged"].astype(bool)]
    return {"group_metrics": pooled, "series": series(result.over_time, then),
            "flagged": flagged, "dates": sorted(frame["as_of"].unique())}


def series(over_time: pd.DataFrame, then: pd.DataFrame) -> pd.DataFrame:
    """Per closed date and group: each realised metric with its interval, beside
    the group's evaluation-time figure; ``below`` where the realised interval lies
    wholly under it (never for a withheld cell).

    Examples
    --------
    >>> ot = pd.DataFrame({"period": ["2024-01-01"] * 2, "group_by": "sex",
    ...                    "group": ["F", "M"], "metric": "tpr",
    ...                    "value": [0.2, np.nan], "lower": [0.1, np.nan],
    ...                    "upper": [0.3, np.nan], "suppressed": [False, True]})
    >>> ev = pd.DataFrame({"group_by": "sex", "group": ["F", "M"],
    ...                    "metric": "tpr", "evaluation": [0.5, 0.4],
    ...                    "evaluation_lower": [0.4, 0.3],
    ...                    "evaluation_upper": [0.6, 0.5],
    ...                    "evaluation_suppressed": False})
    >>> series(ot, ev)[["group", "value", "evaluation", "below"]].to_dict("list")
    {'group': ['F', 'M'], 'value': [0.2, nan], 'evaluation': [0.5, 0.4], 'below': [True, False]}
    """
    keep = over_time[over_time["metric"].isin(SERIES)]
    out = pd.DataFrame({
        "as_of": keep["period"].astype(str).to_numpy(),
        "group_by": keep["group_by"].astype(str).to_numpy(),
        "group": keep["group"].astype(str).to_numpy(),
        "metric": keep["metric"].astype(str).to_numpy(),
        "value": keep["value"].astype(float).to_numpy(),
        "lower": keep["lower"].astype(float).to_numpy(),
        "upper": keep["upper"].astype(float).to_numpy(),
        "withheld": keep["suppressed"].astype(bool).to_numpy()})
    figures = ["evaluation", "evaluation_lower", "evaluation_upper"]
    if then.empty:
        out[figures] = np.nan
        out["evaluation_withheld"] = False
    else:
        out = out.merge(then[["group_by", "group", "metric", *figures,
                              "evaluation_suppressed"]],
                        on=["group_by", "group", "metric"], how="left").rename(
            columns={"evaluation_suppressed": "evaluation_withheld"})
        out["evaluation_withheld"] = out["evaluation_withheld"].fillna(False).astype(
            bool)
    shown = ~out["withheld"] & ~out["evaluation_withheld"]
    # a comparison with a missing figure is False: no verdict without both
    out["below"] = shown & (out["upper"] < out["evaluation"])
    return out.sort_values(["group_by", "group", "metric", "as_of"],
                           kind="stable", ignore_index=True)


def _evaluation(doc: Mapping[str, Any]) -> pd.DataFrame:
    """The run's pooled group metrics (over its test windows), renamed."""
    then = pd.DataFrame(doc.get("group_metrics") or [])
    if then.empty:
        return then
    then = then[then["metric"].isin(POOLED)]
    return pd.DataFrame({
        "group_by": then["group_by"].astype(str), "group": then["group"].astype(str),
        "metric": then["metric"].astype(str),
        "evaluation": pd.to_numeric(then["value"]),
        "evaluation_lower": pd.to_numeric(then.get("lower", np.nan)),
        "evaluation_upper": pd.to_numeric(then.get("upper", np.nan)),
        "evaluation_suppressed": then["suppressed"].astype(bool)})
