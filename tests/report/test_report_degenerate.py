"""Pages from a run with missing and degenerate values print no placeholders:
no nan, None, ?, float noise, and every page traces to its model."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from earlysignal.report import render_reports

from ._html import Page

# placeholders, and numbers of people printed as floats ("2,269.0", "0.000")
NOISE = re.compile(r"\b(nan|NaN|None|inf)\b|\?\s*(to\b|\.)|\bfrom \?|"
                   r"\b\d{1,3}(,\d{3})+\.\d\b|\b0\.000\b")


@pytest.fixture(scope="module")
def degenerate(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    run = tmp_path_factory.mktemp("degenerate") / "run"
    shutil.copytree(run_dir, run)
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["cohort"] = {"as_of": {"every": "3 months"}}  # no start, no end
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    info = json.loads((run / "run.json").read_text())
    info.pop("tracking")
    info["features"]["cohort"].update({"unknown_person": 0, "duplicate": 0.0})
    (run / "run.json").write_text(json.dumps(info))
    audit = json.loads((run / "fairness.json").read_text())
    audit["summary"]["impossibility"] = [
        {"group_by": "group_sex", "base_rates_differ": True,
         "max_calibration_gap": None, "max_error_rate_gap": float("nan"),
         "closer_to": "unknown (scores are not probabilities)",
         "note": "This model is closer to unknown: the gap is nan."}]
    for r in audit["mitigation"]:
        r["selected"] = 2269.04 if r["group"] == "all" else r["selected"]
    (run / "fairness.json").write_text(json.dumps(audit))
    return {"run": run, "pages": render_reports(run, run / "out", max_people=2)}


def test_no_placeholders_or_float_noise(degenerate) -> None:
    bad = {}
    for name, path in degenerate["pages"].items():
        page = Page(path.read_text(encoding="utf-8"))
        text = " ".join(t for t in page.text if "Why?" not in t
                        and "What, if anything" not in t)
        hits = [m.group(0) for m in NOISE.finditer(text)]
        if hits:
            bad[name] = sorted(set(hits))
    assert bad == {}


def test_degenerate_values_in_words(degenerate) -> None:
    ethics = Page(degenerate["pages"]["ethics"].read_text()).visible
    assert "Scored every 3 months." in ethics
    assert "Neither gap could be measured here" in ethics
    assert "closer to unknown" not in ethics
    assert "about 2,269 (expected)" in ethics
    cohort = dict(map(tuple, Page(degenerate["pages"]["ethics"].read_text())
                      .tables["cohort"]))
    assert cohort["Unknown person"] == "0" and cohort["Duplicate"] == "0"


def test_every_page_traces_to_its_model(degenerate, rendered, run_dir) -> None:
    digest = hashlib.sha256((run_dir / "model.joblib").read_bytes()).hexdigest()[:12]
    for pages, run_id, extract in ((degenerate["pages"], "not tracked", "1 Sep 2023"),
                                   (rendered, "abc123def", "1 Sep 2023")):
        for path in pages.values():
            page = Page(path.read_text())
            assert {"trace-run", "trace-model", "trace-extract"} <= page.ids
            v = page.visible
            assert (f"MLflow run {run_id} · model version {digest} · data "
                    f"extracted {extract}") in v
    person = next(p for k, p in rendered.items() if k.startswith("person:"))
    quote = Page(person.read_text()).visible
    assert f"model version {digest}, MLflow run abc123def, data extracted " \
           "2023-09-01" in quote
    assert "earlysignal 0.1.0" not in quote


def test_extract_date_prefers_run_json_then_config(run_dir, tmp_path) -> None:
    from earlysignal.report import read_run

    run = tmp_path / "run"
    shutil.copytree(run_dir, run, ignore=shutil.ignore_patterns("data"))
    assert read_run(run).extract_date == "2023-09-01"
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["label"]["followup"] = {"extract_date": "2024-08-31"}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert read_run(run).extract_date == "2024-08-31"
    info = json.loads((run / "run.json").read_text())
    info["data"]["extract_date"] = "2024-09-30"
    (run / "run.json").write_text(json.dumps(info))
    assert read_run(run).extract_date == "2024-09-30"


def test_index_links_the_impact_page(run_dir, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    assert "impact-link" not in Page(render_reports(run_dir, out, max_people=0)[
        "index"].read_text()).ids
    (out / "impact.html").write_text("<!DOCTYPE html><title>impact</title>")
    index = Page(render_reports(run_dir, out, max_people=0)["index"].read_text())
    assert "impact.html" in index.links
