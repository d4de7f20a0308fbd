"""Autoescaping: markup in the data (an event type, a group name) stays text."""

from __future__ import annotations

from pathlib import Path

from earlysignal.report._svg import bar_chart, forest_plot, line_chart

from .conftest import PAYLOAD

ESCAPED = "&lt;script&gt;window.pwned=1&lt;/script&gt;"


def _pages(rendered: dict) -> dict[str, str]:
    return {k: Path(v).read_text() for k, v in rendered.items()}


def test_event_type_is_escaped_on_the_practitioner_page(rendered) -> None:
    pages = _pages(rendered)
    hits = [k for k, html in pages.items() if ESCAPED in html]
    assert any(k.startswith("person:") for k in hits)
    for html in pages.values():
        assert PAYLOAD not in html


def test_group_name_is_escaped_in_the_ethics_report(rendered) -> None:
    html = Path(rendered["ethics"]).read_text()
    assert ESCAPED in html
    assert PAYLOAD not in html


def test_every_page_has_only_our_own_scripts(rendered) -> None:
    for key, html in _pages(rendered).items():
        n = html.count("<script")
        assert n == (1 if key == "caseload" else 0), key


def test_charts_escape_their_text() -> None:
    svgs = [
        str(bar_chart([(PAYLOAD, 1.0)], alt=PAYLOAD)),
        str(line_chart({PAYLOAD: [(0, 1), (1, 2)]}, alt=PAYLOAD, x_label=PAYLOAD)),
        str(forest_plot([{"label": PAYLOAD, "value": 1.1, "lower": 0.9,
                          "upper": 1.3}], alt=PAYLOAD)),
    ]
    for svg in svgs:
        assert PAYLOAD not in svg and "&lt;script&gt;" in svg
