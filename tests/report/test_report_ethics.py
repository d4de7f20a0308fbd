"""The ethics-board report: ATRS headings, model card, the full fairness audit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earlysignal.present import label
from earlysignal.report import EthicsReport, read_run
from earlysignal.report._common import fmt

from ._html import Page


@pytest.fixture(scope="module")
def page(rendered) -> Page:
    return Page(rendered["ethics"].read_text())


def test_atrs_sections_in_order(rendered, page) -> None:
    import re

    h2 = re.findall(r"<h2[^>]*>(.*?)</h2>", rendered["ethics"].read_text())
    heads = ["Tier 1: summary", "Owner and responsibility",
             "2. Description and rationale", "3. Decision-making process",
             "4. Data", "5. Impact assessments and the fairness audit",
             "6. Risks, limitations and mitigations",
             "Model card: performance over time", "Model card: global drivers",
             "Model card: version lineage"]
    pos = [next(i for i, t in enumerate(h2) if h in t) for h in heads]
    assert pos == sorted(pos)
    v = page.visible
    for words in ("Out-of-scope uses", "Who acts on it", "Decision point",
                  "Linkage and its known errors", "only a proxy for harm",
                  "Known failure modes", "Next review date", "Calibration"):
        assert words in v


def test_owner_fields_are_marked_to_complete_or_taken_from_the_card(run_dir) -> None:
    run = read_run(run_dir)
    v = Page(EthicsReport(run).html()).visible
    assert "Organisation To be completed by the owner before use." in v
    v2 = Page(EthicsReport(run, card={"organisation": "Anytown Council",
                                      "review_date": "2027-03-31"}).html()).visible
    assert "Organisation Anytown Council" in v2
    assert "Next review date 2027-03-31" in v2


def test_pooled_metrics_match_metrics_json(page, run_dir) -> None:
    m = json.loads((run_dir / "metrics.json").read_text())
    rows = {r[0]: r for r in page.tables["pooled"][1:]}
    assert rows["the model"][1] == fmt(m["pooled"]["model"]["auc"])
    assert rows["oracle (true risk)"][1] == fmt(m["pooled"]["oracle"]["auc"])
    assert list(rows)[0] == "the model" and list(rows)[-1] == "oracle (true risk)"


def test_fairness_audit_tables(page, run_dir) -> None:
    audit = json.loads((run_dir / "fairness.json").read_text())
    s = audit["summary"]
    # flags (or their absence), impossibility notes and every note
    if s["flags"]:
        assert len(page.tables["flags"]) == len(s["flags"]) + 1
    else:
        assert "No disparity was flagged." in page.visible
    for imp in s["impossibility"]:
        assert " ".join(imp["note"].split()) in page.visible
    # every withheld cell is listed with its reason
    assert len(page.tables["suppressed"]) == len(audit["suppressed"]) + 1
    # a withheld group shows no numbers in the group table
    sup_groups = {(r["group_by"], r["group"]) for r in audit["group_metrics"]
                  if r["suppressed"]}
    assert sup_groups
    tables = [t for t in page.tables if t.startswith("table")]
    withheld = [row for t in tables for row in page.tables[t]
                if "withheld (small numbers)" in row]
    assert len(withheld) >= len(sup_groups)
    # intervals are shown: the overall base rate with its bootstrap interval
    base = next(r for r in audit["group_metrics"] if r["group_by"] == "overall"
                and r["metric"] == "base_rate")
    assert f"{fmt(base['value'])} [{fmt(base['lower'])}, {fmt(base['upper'])}]" \
        in page.visible


def test_mitigation_tradeoffs(page, run_dir) -> None:
    audit = json.loads((run_dir / "fairness.json").read_text())
    sex = [r for r in audit["mitigation"] if r["group_by"] == "group_sex"
           and r["group"] == "all"]
    assert "compared, not applied" in page.visible
    assert all(label(r["method"]) in page.visible for r in sex)
    assert not any("ThresholdOptimizer" in t or "equalized_odds" in t
                   for t in page.text)


def test_lineage(page) -> None:
    v = page.visible
    assert "abc123def" in v and "models:/earlysignal-fabricated/3" in v
    assert "mlflow ui --backend-store-uri sqlite:///mlflow.db" in v


def test_data_sources_with_date_ranges(page, run_dir) -> None:
    import pandas as pd

    rows = {r[0]: r for r in page.tables["data-sources"][1:]}
    ev = pd.read_parquet(run_dir / "data" / "events.parquet")
    police = ev[ev["source"] == "police"]
    assert rows["Police"][2] == fmt(len(police))
    d = police["event_date"].min()
    assert rows["Police"][4] == f"{d.day} {d:%b %Y}"


def test_missing_inputs_are_said(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text(json.dumps({"name": "bare"}))
    v = Page(EthicsReport(read_run(tmp_path)).html()).visible
    assert "No fairness audit in this run (fairness.json is missing)" in v
    assert "metrics.json is missing" in v
