"""Expected performance from calibrated scores (checked on the synthetic cohort's
truth, whose p_true is calibrated by construction) and realised performance
(checked against a naive computation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from earlysignal.data.synth import SynthConfig, generate
from earlysignal.monitor import expected_performance, realised_performance, selection

DATES = ["2020-09-01", "2021-03-01", "2021-09-01", "2022-03-01", "2022-09-01",
         "2023-03-01"]


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    """Each person's true risk and what then happened, at six dates, two cohorts."""
    parts = []
    for seed in (11, 12):
        t = generate(SynthConfig(people=6000, seed=seed, as_of_dates=DATES)).truth
        end = t["as_of"] + pd.DateOffset(months=12)
        t["label"] = ((t["escalation_date"] > t["as_of"])
                      & (t["escalation_date"] <= end)).astype(int)
        parts.append(t.assign(cohort=seed))
    return pd.concat(parts, ignore_index=True)


def test_expected_precision_at_capacity_matches_what_happened(truth):
    rows = []
    for (_, _), part in truth.groupby(["cohort", "as_of"]):
        e = expected_performance(part["p_true"].to_numpy(), "5%", draws=1000)
        r = realised_performance(part.rename(columns={"p_true": "score"}), "5%",
                                 n_boot=0)
        rows.append((e["precision_at_k"], e["precision_at_k_lower"],
                     e["precision_at_k_upper"], r["precision_at_k"], e["auc"],
                     e["auc_lower"], e["auc_upper"], r["auc"]))
    a = np.array(rows)
    # realised figures inside their expected 95% intervals: 11.4 of 12 on average;
    # 10 or more happens with probability 0.98 when the intervals are right
    assert ((a[:, 3] >= a[:, 1]) & (a[:, 3] <= a[:, 2])).sum() >= 10
    assert ((a[:, 7] >= a[:, 5]) & (a[:, 7] <= a[:, 6])).sum() >= 10
    # and on average over the 12 cohort-dates the estimate is close to the truth
    assert abs((a[:, 3] - a[:, 0]).mean()) < 0.02
    assert abs((a[:, 7] - a[:, 4]).mean()) < 0.02


def test_expected_figures_against_a_naive_simulation():
    rng = np.random.default_rng(3)
    p = rng.beta(1, 12, 300)
    e = expected_performance(p, 30, draws=4000, seed=1)
    top = np.argsort(-p)[:30]
    # precision: exactly the mean score among the 30 selected
    assert e["precision_at_k"] == pytest.approx(p[top].mean())
    sims = rng.random((4000, 300)) < p
    recall = sims[:, top].sum(1) / np.maximum(sims.sum(1), 1)
    aucs = [roc_auc_score(y, p) for y in sims[:400] if 0 < y.sum() < 300]
    assert e["recall_at_k"] == pytest.approx(recall[sims.sum(1) > 0].mean(), abs=0.01)
    assert e["auc"] == pytest.approx(np.mean(aucs), abs=0.01)
    assert e["expected_positives"] == pytest.approx(p.sum())


def test_realised_figures_against_a_naive_computation():
    rng = np.random.default_rng(5)
    n = 400
    f = pd.DataFrame({"person_id": [f"p{i}" for i in range(n)],
                      "score": rng.uniform(size=n)})
    f["label"] = (rng.uniform(size=n) < f["score"] ** 3).astype(int)
    r = realised_performance(f, "10%", n_boot=400, seed=2)
    top = f.nlargest(40, "score")
    assert r["k"] == 40
    assert r["precision_at_k"] == pytest.approx(top["label"].mean())
    assert r["recall_at_k"] == pytest.approx(top["label"].sum() / f["label"].sum())
    assert r["auc"] == pytest.approx(roc_auc_score(f["label"], f["score"]))
    assert r["observed_over_expected"] == pytest.approx(f["label"].sum()
                                                        / f["score"].sum())
    # the interval against a naive loop over resamples of people (one row each)
    naive = []
    for _ in range(400):
        s = f.iloc[rng.integers(0, n, n)]
        chosen = s["person_id"].isin(top["person_id"])
        naive.append(s.loc[chosen, "label"].sum() / chosen.sum())
    lo, hi = np.percentile(naive, [2.5, 97.5])
    assert r["precision_at_k_lower"] == pytest.approx(lo, abs=0.04)
    assert r["precision_at_k_upper"] == pytest.approx(hi, abs=0.04)


def test_people_at_the_boundary_share_the_last_places():
    assert selection(np.array([0.9, 0.4, 0.4, 0.4, 0.1]), 3).tolist() == [
        1.0, 2 / 3, 2 / 3, 2 / 3, 0.0]
