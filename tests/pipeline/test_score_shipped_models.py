"""Whichever model is shipped, the logged scorer scores exactly as the model did.

A tiny synthetic cohort, the model stage's ``select`` forced to the logistic
regression and to the blend: the final model is logged to MLflow, loaded back, and
``earlysignal score`` gives the in-memory model's probabilities.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data import CanonicalTables
from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.features import build_feature_matrix
from earlysignal.model import LogisticBaseline, evaluate, model_inputs
from earlysignal.model._selection import BlendedModel
from earlysignal.pipeline import config_from_dict, score_people
from earlysignal.pipeline._yaml import read_yaml
from earlysignal.tracking import load_scorer, log_run

ROOT = Path(__file__).resolve().parents[2]
FAST = {"n_estimators": 30, "early_stopping_rounds": None, "num_leaves": 5,
        "min_child_samples": 20}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    base = tmp_path_factory.mktemp("shipped")
    write_cohort(SynthConfig(people=500, seed=7, start="2017-09-01"), base / "data")
    tables = CanonicalTables.read_dir(base / "data")
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    cfg = config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")
    fm = build_feature_matrix(tables, cohort=cfg.cohort, label=cfg.label,
                              features=cfg.features, out=base / "features",
                              integrity_sample=0)
    frame = fm.frame.sort_values(["person_id", "as_of"], ignore_index=True)
    return base, frame, {m.column: m for m in fm.metadata}


@pytest.fixture(scope="module", params=["logistic", "blend"])
def logged(request, cohort):
    base, frame, metadata = cohort
    # one test date, the last labelled one: the final model is what matters here
    last = frame.loc[frame["label"].notna(), "as_of"].max()
    ev = evaluate(frame, metadata, horizon="12m", baselines=["base_rate"],
                  calibration="sigmoid", model_params=FAST, n_boot=0,
                  select=request.param, test_from=last)
    inputs = model_inputs(metadata)
    (base / "note.txt").write_text("a logged artefact")
    calls = PROGRESS.setdefault(request.param, [])
    run = log_run(
        name=f"shipped-{request.param}", config={"name": "shipped"}, params={},
        metrics=pd.DataFrame(columns=["fold", "model", "metric", "value"]),
        pooled=pd.DataFrame(columns=["model", "metric", "value"]),
        artifacts={"note.txt": base / "note.txt", "absent": base / "absent"},
        texts={}, model=ev.final_model, model_input=frame[inputs].head(50),
        metadata=[asdict(metadata[c]) for c in inputs], bundle={},
        tracking_uri=f"sqlite:///{base}/mlflow.db",
        progress=lambda *a: calls.append(a))
    return request.param, ev.final_model, run, inputs


PROGRESS: dict[str, list[tuple]] = {}


def test_logging_tells_each_part_and_skips_an_absent_artefact(logged):
    name = logged[0]
    assert PROGRESS[name] == [("parameters and metrics", 0, 3),
                              ("artefact note.txt", 1, 3), ("model", 2, 3)]


def test_the_final_model_is_the_one_forced(logged):
    select, model, _, _ = logged
    kind = LogisticBaseline if select == "logistic" else BlendedModel
    assert isinstance(model, kind)


def test_the_logged_scorer_loads_and_scores_as_the_model_did(logged, cohort):
    _, model, run, inputs = logged
    _, frame, _ = cohort
    loaded, meta, _ = load_scorer(run.model_uri, run.tracking_uri)
    assert type(loaded) is type(model)
    assert [d["column"] for d in meta] == inputs
    rows = frame[inputs]
    np.testing.assert_array_equal(loaded.predict_proba(rows),
                                  model.predict_proba(rows))


def test_earlysignal_score_gives_the_models_probabilities(logged, cohort):
    _, model, run, inputs = logged
    base, frame, _ = cohort
    frame.to_parquet(base / "matrix.parquet")
    when = frame["as_of"].max()
    scored = score_people(run.model_uri, as_of=str(when.date()),
                          data=base / "matrix.parquet",
                          tracking_uri=run.tracking_uri)
    rows = frame.loc[frame["as_of"] == when]
    expected = pd.Series(model.predict_proba(rows[inputs])[:, 1],
                         index=rows["person_id"].to_numpy())
    got = scored.set_index("person_id")["score"]
    assert len(got) == len(expected) > 50
    np.testing.assert_array_equal(got[expected.index].to_numpy(), expected.to_numpy())


def test_a_blend_logs_its_lightgbm_booster_and_the_regression_none(logged, cohort):
    import mlflow

    from earlysignal.explain._contributions import model_view

    select, model, run, inputs = logged
    _, frame, _ = cohort
    mlflow.set_tracking_uri(run.tracking_uri)
    logged_names = {a.path for a in mlflow.MlflowClient().list_artifacts(run.run_id)}
    if select == "logistic":
        assert "model" not in logged_names
        return
    booster = mlflow.lightgbm.load_model(f"runs:/{run.run_id}/model")
    trees = model.lightgbm_.estimator_
    X = frame[inputs].head(200)
    raw = booster.predict(model_view(trees).encode(X), raw_score=True)
    np.testing.assert_allclose(1 / (1 + np.exp(-raw)), trees.predict_proba(X)[:, 1],
                               atol=1e-12)
