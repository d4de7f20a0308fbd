"""Explanations: exact SHAP contributions, factor families and plain-language reasons.

:func:`explain` computes exact contributions of any model the pipeline ships
(TreeSHAP with LightGBM's own ``pred_contrib``; the logistic regression's exact
linear terms; the mean of both for their blend) and returns an
:class:`Explanation`: contributions in log-odds and probability points,
importance by feature and by family, each person's top reasons (grouped by family,
in words, with the records behind them) and what changed between two dates.
"""

from earlysignal.explain._contributions import SCALE_NOTE, ExplainError, to_probability
from earlysignal.explain._families import FAMILY_LABELS, family_label
from earlysignal.explain._reasons import Reason, format_reasons
from earlysignal.explain._result import Explanation, explain

__all__ = [
    "FAMILY_LABELS",
    "SCALE_NOTE",
    "ExplainError",
    "Explanation",
    "Reason",
    "explain",
    "family_label",
    "format_reasons",
    "to_probability",
]
