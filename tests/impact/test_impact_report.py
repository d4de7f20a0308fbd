"""impact_for_run: the files it writes, the honesty of the page, escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, generate
from earlysignal.errors import DataError
from earlysignal.impact import ImpactResult, impact, impact_for_run


def _scores(cohort, rng: np.random.Generator) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    t = cohort.truth
    t = t[t["as_of"] >= "2022-09-01"].reset_index(drop=True)
    end = t["as_of"] + pd.DateOffset(months=12)
    label = (t["escalation_date"] > t["as_of"]) & (t["escalation_date"] <= end)
    ch = cohort.tables["characteristics"]
    sex = ch[ch["attribute"] == "sex"].set_index("person_id")["value"]
    return pd.DataFrame({
        "person_id": t["person_id"], "as_of": t["as_of"], "fold": 0,
        "label": label.astype(int), "p_true": t["p_true"],
        "model": t["p_true"] * np.exp(rng.normal(0, 0.5, len(t))),
        "any_suspension": rng.integers(0, 2, len(t)).astype(float),
        "group_sex": t["person_id"].map(sex).to_numpy(),
        "group_ethnicity": np.where(rng.random(len(t)) < 0.1, "<b>Other</b>",
                                    "White"),
    })


@pytest.fixture(scope="module")
def run(tmp_path_factory):  # type: ignore[no-untyped-def]
    cohort = generate(SynthConfig(people=1500, seed=2))
    run_dir = tmp_path_factory.mktemp("run")
    _scores(cohort, np.random.default_rng(0)).to_parquet(run_dir / "scores.parquet")
    cohort.tables.write_dir(run_dir / "data")
    out = run_dir / "impact"
    result = impact_for_run(run_dir, capacity="5%", effect="0.2:0.1-0.3",
                            costs=None, out_dir=out, seed=3,
                            flow_draws=20)
    return result, out


def test_files_and_json(run) -> None:  # type: ignore[no-untyped-def]
    result, out = run
    assert isinstance(result, ImpactResult)
    data = json.loads((out / "impact.json").read_text())
    assert data["settings"]["effect"]["source"] == "assumed"
    assert {r["strategy"] for r in data["strategies"]} == {
        "model", "any_suspension", "random", "fair_selection_rate", "fair_tpr",
        "oracle"}
    assert data["settings"]["demand"]["origin"] == "2024-09-01"
    assert len(data["projections"]) == len(result.projections) > 0
    # same seed, same numbers
    again = impact(pd.read_parquet(out.parent / "scores.parquet"), capacity="5%",
                   effect="0.2:0.1-0.3", seed=3)
    pd.testing.assert_frame_equal(again.strategies, result.strategies)


def test_page_names_its_assumptions(run) -> None:  # type: ignore[no-untyped-def]
    result, out = run
    page = (out / "impact.html").read_text()
    assert "The effect size is assumed, not measured." in page
    assert "20% (range 10%-30%), assumed" in page
    assert "split triangular" in page
    assert "Centre for Justice Innovation" in page and "approximate" in page
    assert page.count("<svg") == 2
    # self-contained: no scripts, fonts or images from elsewhere
    assert not re.search(r"""(src|href)=["']https?:""", page)
    assert "<script" not in page
    # group values are escaped
    assert "&lt;b&gt;Other&lt;/b&gt;" in page and "<b>Other</b>" not in page
    assert result._repr_html_() == result.html()


def test_evaluated_effect_drops_the_warning(run) -> None:  # type: ignore[no-untyped-def]
    result, out = run
    scores = pd.read_parquet(out.parent / "scores.parquet")
    r = impact(scores, capacity=50, effect="0.2:0.1-0.3", effect_source="evaluated",
               draws=100)
    assert "assumed, not measured" not in r.html()
    assert "effect_source: evaluated" in r.html()
    assert r.projections.empty


def test_summary_lines(run) -> None:  # type: ignore[no-untyped-def]
    result, _ = run
    s = result.summary()
    assert s["effect_source"] == "assumed"
    assert any(line.startswith("Risk model (top k): reaches") for line in s["lines"])
    assert any("first-time entrants to youth justice" in line for line in s["lines"])
    assert s["headline_model"]["averted_lower"] <= s["headline_model"]["averted"]


def test_missing_scores_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="scores.parquet: not found. Fix: run the "
                                        "modelling stage first"):
        impact_for_run(tmp_path, capacity=10, effect="0.2", costs=None)
