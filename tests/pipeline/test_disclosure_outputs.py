"""Per-fold figures follow the one disclosure rule."""

import numpy as np
import pandas as pd

from earlysignal.model import evaluate
from earlysignal.pipeline._stages import _withhold_small_folds


class _Meta:
    kind, protected = "numeric", False


def test_a_fold_with_few_people_with_the_outcome_is_withheld_everywhere():
    rng = np.random.default_rng(3)
    dates = pd.to_datetime(["2019-09-01", "2020-09-01", "2021-09-01", "2022-09-01"])
    n = 400
    x = rng.normal(size=n * 4)
    label = (x + rng.normal(size=n * 4) > 2.0).astype(int)
    at = np.repeat(np.arange(4), n)
    label[(at == 2)] = 0
    label[np.flatnonzero(at == 2)[:4]] = 1  # four people with the outcome
    m = pd.DataFrame({"person_id": [f"p{i % n}" for i in range(n * 4)],
                      "as_of": np.repeat(dates, n), "x": x, "label": label})
    ev = evaluate(m, {"x": _Meta()}, baselines=["base_rate"], calibration=None,
                  model_params={"n_estimators": 20}, fit_final=False, n_boot=0)
    small = ev.scores.loc[ev.scores["as_of"] == dates[2], "fold"].iloc[0]
    before = ev.metrics[(ev.metrics["fold"] == small)
                        & (ev.metrics["metric"] == "n_positive")]["value"]
    assert (before == 4).all()  # what used to be published
    _withhold_small_folds(ev, min_cell=10)
    fold = ev.metrics[ev.metrics["fold"] == small]
    assert fold["value"].isna().all()
    published = ev.metrics[ev.metrics["metric"] == "n_positive"]["value"].dropna()
    assert (published >= 10).all()
    # pooled minus the other folds would give it away: another fold is withheld too
    assert ev.metrics.groupby("fold")["value"].apply(lambda v: v.isna().all()).sum() >= 2
    assert ev.drift.loc[ev.drift["fold"] == small, "auc"].isna().all()
    assert any("withheld from the per-fold figures" in w for w in ev.warnings)
