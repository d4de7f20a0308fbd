"""Exact contributions of the logistic regression, one per input feature.

The regression's log-odds are ``intercept + coef @ z``, where ``z`` is a person's
inputs as the regression sees them (scaled signed logs, missing-value flags, one
column per category). Measured from the training rows' mean ``m`` of ``z``, each
column contributes ``coef_k * (z_k - m_k)``, and the base is
``intercept + coef @ m``: exactly additive, and the SHAP values of a linear model
with independent inputs. A feature's contribution is the sum over its columns (its
value, its missing flag, its categories), so it is the Shapley value of the
feature as one player. Points share the change in probability in proportion to
these, as for LightGBM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.explain._contributions import (
    Attribution,
    encode_frame,
    on_shown_scale,
)

__all__ = ["LINEAR_NOTE", "LinearView"]

LINEAR_NOTE = (
    "Contributions are exact on the logistic regression's log-odds: each input's "
    "coefficients times its transformed value (scaled signed log, missing-value "
    "flag, categories) minus the training rows' mean. A point is one percentage "
    "point of the risk shown (the regression's probability): each person's change "
    "from the baseline risk to their risk is shared among features in proportion to "
    "their log-odds contributions, so a person's points add up exactly to their "
    "risk minus the baseline."
)


@dataclass(frozen=True)
class LinearView:
    """What explaining needs from a fitted ``LogisticBaseline``.

    ``members`` (transformed columns x features) is 1 where a column of the
    regression's inputs comes from a feature.
    """

    model: Any
    feature_names: tuple[str, ...]
    categories: dict[str, list[str]]
    members: np.ndarray
    calibrate: None = None
    platt: None = None
    scale_note: str = LINEAR_NOTE

    @classmethod
    def of(cls, model: Any) -> LinearView:
        """The view of a fitted ``LogisticBaseline``.

        Examples
        --------
        >>> from earlysignal.model import LogisticBaseline
        >>> X = pd.DataFrame({"x": [0.0, 1, None, 3, 4, 5], "g": list("ababab")})
        >>> view = LinearView.of(LogisticBaseline().fit(X, [0, 0, 0, 1, 1, 1]))
        >>> view.feature_names, view.members.tolist()
        (('x', 'g'), [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
        """
        names = tuple(str(c) for c in model.columns_)
        sources = list(model.transformed_sources_)
        members = np.array([[float(s == n) for n in names] for s in sources]
                           ).reshape(len(sources), len(names))
        onehot = (model.pipeline_.named_steps["prep"].named_transformers_["cat"]
                  .steps[-1][1]) if model.text_columns_ else None
        categories = {c: [str(v) for v in onehot.categories_[i]]
                      for i, c in enumerate(model.text_columns_)} if onehot else {}
        return cls(model=model, feature_names=names, categories=categories,
                   members=members)

    def encode(self, X: pd.DataFrame) -> np.ndarray:
        """The features' own values (text as category codes), for plots."""
        return encode_frame(X, self.feature_names, self.categories)

    def log_odds(self, X: pd.DataFrame) -> tuple[np.ndarray, float]:
        """Exact log-odds contributions (rows x features) and the base value."""
        z = self.model.transform(X)
        coef = self.model.coef_
        mean = np.asarray(self.model.transformed_mean_, dtype=float)
        phi = ((z - mean) * coef) @ self.members
        return phi, float(self.model.intercept_ + coef @ mean)

    def attribute(self, X: pd.DataFrame, n_jobs: int | None = None) -> Attribution:
        """Contributions of the rows of ``X`` and their points (``n_jobs`` unused)."""
        phi, base = self.log_odds(X)
        return on_shown_scale(phi, base)
