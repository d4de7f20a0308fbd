"""The explain stage bands the caseload on its own scores, checks the shares it
claims, and marks (or leaves out) young people the model never learned from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data import CanonicalTables
from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.errors import ConfigError
from earlysignal.features import build_feature_matrix
from earlysignal.model import CalibratedModel, EarlyWarningClassifier, model_inputs
from earlysignal.pipeline import config_from_dict
from earlysignal.pipeline._explain_stage import explain_stage
from earlysignal.pipeline._yaml import read_yaml

ROOT = Path(__file__).resolve().parents[2]


def _config(**reports):
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    raw["reports"] = reports
    return config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """800 synthetic people, a calibrated final model, and fold scores that sit
    on a higher scale than the final model's, as refits on other rows give."""
    base = tmp_path_factory.mktemp("explain_stage")
    write_cohort(SynthConfig(people=800, seed=1, start="2016-09-01"), base / "data")
    tables = CanonicalTables.read_dir(base / "data")
    cfg = _config()
    fm = build_feature_matrix(tables, cohort=cfg.cohort, label=cfg.label,
                              features=cfg.features, out=base / "features",
                              integrity_sample=0)
    matrix = fm.frame.sort_values(["person_id", "as_of"], ignore_index=True)
    meta = {m.column: m for m in fm.metadata}
    inputs = model_inputs(meta)
    labelled = matrix[matrix["label"].notna()]
    model = CalibratedModel(EarlyWarningClassifier(
        n_estimators=40, early_stopping_rounds=None, min_child_samples=50,
        num_leaves=5), method="sigmoid").fit(
        labelled[inputs], labelled["label"].astype(int), as_of=labelled["as_of"])
    test = labelled[labelled["as_of"] >= "2021-09-01"]
    p = model.predict_proba(test[inputs])[:, 1]
    shifted = 1 / (1 + np.exp(-(np.log(p / (1 - p)) + 2.5)))
    scores = test[["person_id", "as_of", "label"]].assign(score=shifted)
    return base, cfg, matrix, meta, model, tables, scores


def _run(small, name, progress=None, **reports):
    base, _, matrix, meta, model, tables, scores = small
    run = base / name
    run.mkdir()
    scores.to_parquet(run / "scores.parquet", index=False)
    out = explain_stage(_config(**reports), matrix, meta, model, tables, run,
                        max_people=5, progress=progress)
    return (run, out, pd.read_parquet(run / "caseload.parquet"),
            json.loads((run / "bands.json").read_text()))


@pytest.fixture(scope="module")
def flagged(small):
    return _run(small, "flag", progress=lambda *a: CALLS.append(a))


CALLS: list[tuple] = []


def test_progress_counts_each_person_twice(small, flagged):
    # the rows of the last two dates explained first, then each of the 5 people's
    # evidence and changes
    matrix = small[2]
    rows = int(matrix["as_of"].isin(sorted(matrix["as_of"].unique())[-2:]).sum())
    assert CALLS[0] == (f"contributions of {rows:,} rows", 0, None)
    assert CALLS[1:] == [
        *[(f"evidence: {i} of 5 people", i, 10) for i in range(1, 6)],
        *[(f"changes: {i} of 5 people", 5 + i, 10) for i in range(1, 6)]]


def _ages(small):
    _, _, matrix, meta, *_ = small
    age = next(c for c, m in meta.items() if m.aggregate == "age")
    return matrix, age


def test_caseload_inside_the_population_holds_the_claimed_shares(flagged):
    _, _, cl, doc = flagged
    inside = cl[~cl["out_of_population"]]
    n = len(inside)
    for band in doc["bands"]:
        share = float((inside["band"] == band["name"]).mean())
        assert share == pytest.approx(band["share_of_cohort"], abs=1.5 / n), band
    # the cut points are the final model's scores at the caseload date
    assert min(inside.loc[inside["band"] == "Very high", "score"]) >= \
        doc["bands"][0]["lower"]


def test_bands_json_records_claimed_and_observed_shares(flagged):
    _, out, cl, doc = flagged
    shares = doc["shares"]
    assert shares["claimed"] == {b["name"]: b["share_of_cohort"] for b in doc["bands"]}
    assert shares["observed"] == pytest.approx(
        {b: float((cl["band"] == b).mean()) for b in shares["claimed"]})
    assert shares["n"] == len(cl)
    assert out["band_shares"] == shares
    assert (shares["warning"] in out["warnings"]) == (not shares["ok"])


def test_people_older_than_any_labelled_row_are_flagged(small, flagged):
    matrix, age = _ages(small)
    _, out, cl, doc = flagged
    oldest = matrix.loc[matrix["label"].notna(), age].max()
    latest = matrix[matrix["as_of"] == matrix["as_of"].max()]
    naive = set(latest.loc[latest[age] > oldest, "person_id"])
    assert naive                                   # the case the check is for
    assert set(cl.loc[cl["out_of_population"], "person_id"]) == naive
    assert cl.loc[cl["out_of_population"], "population_note"].str.contains(
        "so the band is an extrapolation").all()
    pop = doc["population"]
    assert (pop["rule"], pop["outside"], pop["excluded"]) == ("flag", len(naive), 0)
    assert sum(pop["by_band"].values()) == len(naive)
    assert pop["ranges"][0]["high"] == pytest.approx(oldest)
    assert pop["sentence"].startswith(f"{len(naive):,} of the {len(latest):,} young "
                                      "people scored at")
    assert pop["sentence"] in out["warnings"]


def test_exclude_leaves_them_out_and_counts_them(small, flagged):
    matrix, age = _ages(small)
    _, _, cl_flag, _ = flagged
    _, _, cl, doc = _run(small, "exclude", out_of_population="exclude")
    out_ids = set(cl_flag.loc[cl_flag["out_of_population"], "person_id"])
    assert set(cl["person_id"]) == set(cl_flag["person_id"]) - out_ids
    assert doc["population"]["excluded"] == len(out_ids)
    assert "left out of the caseload" in doc["population"]["sentence"]
    for band in doc["bands"]:
        assert float((cl["band"] == band["name"]).mean()) == pytest.approx(
            band["share_of_cohort"], abs=1.5 / len(cl))


def test_out_of_population_is_a_checked_config_choice():
    assert _config().reports.out_of_population == "flag"
    with pytest.raises(ConfigError, match="out_of_population"):
        _config(out_of_population="drop")
