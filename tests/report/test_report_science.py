"""The data-scientist report: per-fold metrics, oracle gap, inlined stage plots."""

from __future__ import annotations

import json
import re

import pytest

from earlysignal.report._common import fmt

from ._html import Page


@pytest.fixture(scope="module")
def html(rendered) -> str:
    return rendered["data_science"].read_text()


def test_per_fold_auc_matches_metrics_json(html, run_dir) -> None:
    m = json.loads((run_dir / "metrics.json").read_text())
    page = Page(html)
    table = next(t for t in page.tables.values() if t and t[0][:2] == ["Fold",
                 "Test date"])
    head, rows = table[0], table[1:]
    model_col = head.index("the model")
    for r in rows:
        want = next(x["value"] for x in m["per_fold"] if x["fold"] == int(r[0])
                    and x["model"] == "model" and x["metric"] == "auc")
        assert r[model_col] == fmt(want)
    assert [r[1] for r in rows] == [f["test_start"] for f in m["folds"]]


def test_oracle_gap(html, run_dir) -> None:
    m = json.loads((run_dir / "metrics.json").read_text())
    rows = {r[0]: r for r in Page(html).tables["oracle"][1:]}
    g = m["oracle_gap"]["auc"]
    assert rows["AUC"][1:] == [fmt(g["model"]), fmt(g["oracle"]), fmt(g["gap"]),
                              f"{100 * g['relative_gap']:.1f}%"]


def test_stage_plots_are_inlined_safely(html) -> None:
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html
    assert "<!--" not in html and "<metadata>" not in html
    # the same matplotlib ids in several plots are made unique
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert 'clip-path="url(#s' in html and 'xlink:href="#s' in html
    assert html.count('aria-label="Precision against capacity') == 1


def test_folds_diagram_and_importance(html) -> None:
    page = Page(html)
    assert len(page.tables["folds"]) == 4
    assert page.tables["importance"][1][0] == "behaviour incidents in the last year"
    assert 'aria-label="3 temporal folds' in html
