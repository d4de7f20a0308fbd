"""HTML: autoescaped, self-contained, the reasons and the global view."""

from __future__ import annotations

import re

from earlysignal.explain import explain

from .conftest import fit_toy, make_toy


def test_html_is_self_contained_and_escaped():
    toy = make_toy(400, seed=3)
    toy.frame["sen__value__asof"] = toy.frame["sen__value__asof"].where(
        toy.frame.index != 0, "<script>alert(1)</script>")
    model = fit_toy(toy)
    ex = explain(model, toy.frame, toy.metadata, top=5)
    page = ex.html("P0000", "2022-09-01")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page or "alert" not in page
    assert page.count("<svg") >= 2
    urls = re.findall(r"(?:src|href)=\"([^\"]+)\"", page)
    # internal references and the colour bar inlined as data: nothing to fetch
    assert [u for u in urls if not u.startswith(("#", "data:"))] == []
    assert "http://www.w3.org" in page  # only SVG namespaces
    assert not re.search(r"https?://(?!www\.w3\.org)", page)
    assert "What raises the risk" in page and "What drives the model" in page
    assert ex._repr_html_().startswith("<!DOCTYPE html>")


def test_summary_is_plain_data(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    s = ex.summary()
    assert s["rows"] == len(toy.frame)
    assert abs(s["base_probability"] - 1 / (1 + 2.718281828459045 ** -s[
        "base_log_odds"])) < 1e-9
    assert [f["family"] for f in s["families"]] == list(ex.family_importance.index)
    assert s["calibrated"] is False
    assert s["top_features"][0]["feature"] == ex.global_importance["feature"].iloc[0]
