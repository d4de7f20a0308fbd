"""Which model a run shipped and why, in words made from ``metrics.json``.

The model stage records the choice (``settings.select``, and under
``settings.selection.choices`` one record per test fold and one for the final
model: the candidate chosen, by what, and the inner-validation AUCs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

__all__ = ["shipped_model"]

_NAMES = {"lightgbm": "LightGBM", "logistic": "the logistic regression",
          "blend": "the blend of the two (the mean of LightGBM's and the logistic "
                   "regression's probabilities)"}
_SHORT = {"lightgbm": "LightGBM", "logistic": "the logistic regression",
          "blend": "the blend"}
_WHAT = {"lightgbm": "Gradient-boosted trees (LightGBM)",
         "logistic": "A regularised logistic regression",
         "blend": "The mean of two models' probabilities, gradient-boosted trees "
                  "(LightGBM) and a regularised logistic regression,"}
_ORDER = ("lightgbm", "logistic", "blend")


def shipped_model(settings: Mapping[str, Any]) -> dict[str, str] | None:
    """The shipped model's name and sentences on why; None without a record.

    Returns ``choice``, ``what`` (a noun phrase that opens a sentence),
    ``calibrated`` (whether its scores are recalibrated, a clause),
    ``sentence`` (the choice and its numbers), ``brief`` (the choice in a few
    words) and ``folds`` (what the same rule chose in the test folds, or "").

    Examples
    --------
    >>> s = {"select": "auto", "selection": {"choices": [
    ...     {"fold": 0, "choice": "lightgbm", "by": "inner validation"},
    ...     {"fold": 1, "choice": "blend", "by": "inner validation"},
    ...     {"fold": "final", "choice": "blend", "by": "inner validation",
    ...      "auc": {"lightgbm": 0.801, "logistic": 0.774, "blend": 0.806},
    ...      "inner_dates": {"2022-09-01": "2022-09-01", "2023-03-01": "2022-09-01"},
    ...      "n_rows": 1200, "n_escalations": 61, "lead_over_lightgbm": {
    ...          "logistic": [-0.027, -0.05, -0.004], "blend": [0.005, 0.001, 0.01]}}
    ...     ]}}
    >>> out = shipped_model(s)
    >>> print(out["sentence"])  # doctest: +NORMALIZE_WHITESPACE
    The model shipped is the blend of the two (the mean of LightGBM's and the
    logistic regression's probabilities), chosen by inner temporal validation on
    the 2 latest training dates (2022-09-01 to 2023-03-01; 1,200 rows, 61
    escalations), each scored by candidates fitted only on outcomes known by then
    (AUC: the blend 0.806, LightGBM 0.801, the logistic regression 0.774). It
    replaced LightGBM, the configured model, because its lead has an interval above
    zero, resampling people: the logistic regression -0.027 (95% interval -0.050 to
    -0.004); the blend +0.005 (95% interval +0.001 to +0.010).
    >>> print(out["folds"])  # doctest: +NORMALIZE_WHITESPACE
    In the 2 test folds the same rule, run on each fold's own training dates, chose
    LightGBM in 1 and the blend in 1: the test metrics of the model are those of
    this procedure, not of one fixed model.
    """
    choices = list((settings.get("selection") or {}).get("choices") or [])
    final = next((c for c in choices if c.get("fold") == "final"), None)
    if final is None or final.get("choice") not in _NAMES:
        return None
    choice = str(final["choice"])
    by = str(final.get("by", ""))
    if by == "inner validation":
        sentence = _by_inner_validation(choice, final)
        brief = ("The model was chosen before the test period, from LightGBM, the "
                 "logistic regression and their blend, as the one that ranked the "
                 "latest training dates best (AUC).")
    elif by == "configured":
        sentence = (f"The model shipped is {_NAMES[choice]}, as the configuration set "
                    f"it (model.select: {choice}); no other candidate was tried for "
                    "it.")
        brief = "The configuration chose this model (model.select)."
    else:
        reason = by.removeprefix("default: ")
        sentence = (f"The model shipped is {_NAMES[choice]} by default: {reason}, so "
                    "inner validation could not choose.")
        brief = f"This model is the default choice: {reason}."
    folds = [c for c in choices if c.get("fold") != "final"]
    return {"choice": choice, "what": _WHAT[choice], "sentence": sentence,
            "brief": brief, "calibrated": _calibrated(choice,
                                                      settings.get("calibration")),
            "folds": _folds(folds, choice) if settings.get("select") == "auto"
            else ""}


def _by_inner_validation(choice: str, record: Mapping[str, Any]) -> str:
    aucs = {c: float(v) for c, v in (record.get("auc") or {}).items()}
    ranked = sorted(aucs, key=lambda c: (-aucs[c], _ORDER.index(c)))
    listed = ", ".join(f"{_SHORT[c]} {aucs[c]:.3f}" for c in ranked)
    dates = sorted(record.get("inner_dates") or {})
    where = (f"the {len(dates)} latest training dates ({dates[0]} to {dates[-1]}; "
             if len(dates) > 1 else f"the latest training date ({dates[0]}; "
             if dates else "the latest training dates (")
    out = (f"The model shipped is {_NAMES[choice]}, chosen by inner temporal "
           f"validation on {where}{int(record.get('n_rows', 0)):,} rows, "
           f"{int(record.get('n_escalations', 0)):,} escalations), each scored by "
           f"candidates fitted only on outcomes known by then (AUC: {listed}).")
    leads = record.get("lead_over_lightgbm") or {}
    if not leads:
        return out
    said = "; ".join(
        f"{_SHORT[c]} {d:+.3f} (95% interval {lo:+.3f} to {hi:+.3f})"
        for c, (d, lo, hi) in leads.items())
    if choice == "lightgbm":
        return out + (" LightGBM, the configured model, is kept unless another "
                      "candidate's lead over it has an interval above zero, resampling "
                      f"people; none had: {said}.")
    return out + (f" It replaced LightGBM, the configured model, because its lead has "
                  f"an interval above zero, resampling people: {said}.")


def _folds(folds: list[Mapping[str, Any]], final: str) -> str:
    if not folds:
        return ""
    counts = Counter(str(c.get("choice")) for c in folds)
    n = len(folds)
    if len(counts) == 1:
        only = next(iter(counts))
        return (f"In {'the' if n == 1 else 'each of the'} {n} test "
                f"fold{'s' if n > 1 else ''} the same rule, run on the fold's own "
                f"training dates, chose {_SHORT.get(only, only)}"
                f"{' too' if only == final else ''}.")
    parts = [f"{_SHORT.get(c, c)} in {counts[c]}"
             for c in sorted(counts, key=lambda c: (-counts[c], _order(c)))]
    return (f"In the {n} test folds the same rule, run on each fold's own training "
            f"dates, chose {', '.join(parts[:-1])} and {parts[-1]}: the test metrics "
            "of the model are those of this procedure, not of one fixed model.")


def _calibrated(choice: str, method: Any) -> str:
    trees = method not in (None, "none")
    if choice == "logistic":
        return "its scores are the regression's own probabilities"
    if choice == "blend":
        return ("LightGBM's probabilities are calibrated before the mean" if trees
                else "neither model's probabilities are recalibrated")
    return "scores are calibrated" if trees else "scores are not recalibrated"


def _order(choice: str) -> int:
    return _ORDER.index(choice) if choice in _ORDER else len(_ORDER)


def _count(n: int) -> str:
    return {1: "one", 2: "two", 3: "three"}.get(n, str(n))
