"""Work the evaluation does once and reuses gives the numbers of doing it again."""

from __future__ import annotations

from types import SimpleNamespace as M

import numpy as np
import pandas as pd

from earlysignal.model import evaluate
from earlysignal.model._evaluate import MODEL, ORACLE, _oracle_table
from earlysignal.model._metrics import Capacity
from earlysignal.model._selection import InnerValidation


def _evaluation(select: str = "lightgbm"):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    n, dates = 2400, pd.date_range("2019-09-01", periods=8, freq="QS-MAR")
    x = rng.normal(size=n)
    matrix = pd.DataFrame({
        "person_id": [f"p{i % 300}" for i in range(n)],
        "as_of": np.repeat(dates, n // 8), "x": x, "z": rng.normal(size=n),
        "label": (x + rng.normal(size=n) > 1.6).astype(int)})
    meta = {c: M(kind="numeric", protected=False) for c in ("x", "z")}
    truth = matrix[["person_id", "as_of"]].assign(p_true=1 / (1 + np.exp(-x)))
    return evaluate(matrix, meta, baselines=["base_rate", "logistic"], truth=truth,
                    calibration=None, n_boot=50, select=select, horizon="6m",
                    model_params={"n_estimators": 20}, fit_final=False)


def test_the_oracle_table_from_reused_metrics_is_the_recomputed_one() -> None:
    ev = _evaluation()
    scores = ev.scores
    groups = scores["window"].to_numpy(dtype=str)
    cap = Capacity.parse(ev.settings["capacity"])
    from earlysignal.model._compare import paired_replicates

    paired = paired_replicates(
        scores["label"].to_numpy(),
        {n: scores["p_true" if n == ORACLE else n].to_numpy(dtype=float)
         for n in (MODEL, "base_rate", "logistic", ORACLE)},
        scores["person_id"].to_numpy(), groups, cap, n_boot=50, seed=0)
    fresh = _oracle_table(scores, [MODEL, "base_rate", "logistic"], groups, cap,
                          paired)
    pd.testing.assert_frame_equal(ev.oracle, fresh)


def test_inner_validation_scores_each_fit_and_date_once(monkeypatch) -> None:
    scored: list[tuple[int, int]] = []
    plain = InnerValidation.__init__

    def counting(self, fit, score, *args, **kwargs):  # type: ignore[no-untyped-def]
        def counted(models, rows):  # type: ignore[no-untyped-def]
            scored.append((id(models), int(rows[0])))
            return score(models, rows)
        plain(self, fit, counted, *args, **kwargs)

    monkeypatch.setattr(InnerValidation, "__init__", counting)
    ev = _evaluation("auto")
    choices = [c for c in ev.settings["selection"]["choices"] if c.get("inner_dates")]
    looked = sum(len(c["inner_dates"]) for c in choices)
    assert len(set(scored)) == len(scored) < looked
