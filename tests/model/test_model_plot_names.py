"""The model stage's charts name models in words in their legends, as the pages do."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace as M

import numpy as np
import pandas as pd

from earlysignal.model import evaluate
from earlysignal.report._performance import model_name, run_names

SVG = "{http://www.w3.org/2000/svg}"


def legend_texts(svg: str) -> list[str]:
    """The texts inside the legend of a matplotlib SVG (fonts kept as text)."""
    root = ET.fromstring(svg)
    legends = [g for g in root.iter(f"{SVG}g")
               if str(g.get("id", "")).startswith("legend_")]
    return ["".join(t.itertext()).strip() for g in legends
            for t in g.iter(f"{SVG}text")]


def test_legends_use_the_names_the_page_uses() -> None:
    rng = np.random.default_rng(0)
    n = 900
    x = rng.normal(size=n)
    matrix = pd.DataFrame({
        "person_id": [f"p{i % 300}" for i in range(n)],
        "as_of": pd.to_datetime(np.repeat(["2020-09-01", "2021-09-01",
                                           "2022-09-01"], 300)),
        "x": x, "flags": rng.poisson(np.exp(x - 1)),
        "label": (x + rng.normal(size=n) > 1.5).astype(int)})
    meta = {c: M(kind="numeric", protected=False) for c in ("x", "flags")}
    inputs = {"any_suspension": {"column": "flags", "label": "a late assignment"}}
    truth = matrix[["person_id", "as_of"]].assign(p_true=1 / (1 + np.exp(-x)))
    ev = evaluate(matrix, meta, baselines=["base_rate", "any_suspension",
                                           "best_single_input"],
                  baseline_inputs=inputs, calibration=None, n_boot=0, truth=truth,
                  model_params={"n_estimators": 10}, fit_final=False)
    names = run_names(ev.summary())
    expected = [model_name(m, names) for m in ev.pooled["model"].unique()]
    assert "a late assignment" in expected and "oracle (true risk)" in expected
    for chart in ("drift_auc", "drift_precision", "capacity_precision",
                  "capacity_recall"):
        assert sorted(legend_texts(ev.plots[chart])) == sorted(expected), chart
    assert legend_texts(ev.plots["reliability"]) == [
        "perfect calibration", "the model", "oracle (true risk)"]
    # no code name reaches any text of any chart
    for chart, svg in ev.plots.items():
        words = " ".join("".join(t.itertext()) for t in
                         ET.fromstring(svg).iter(f"{SVG}text"))
        for code in ("any_suspension", "best_single_input", "base_rate"):
            assert code not in words, (chart, code)
