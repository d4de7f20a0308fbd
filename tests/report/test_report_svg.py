"""Hand-drawn charts: accessible, positioned by the numbers, ids made unique."""

from __future__ import annotations

import re

import pandas as pd

from earlysignal.report._common import inline_svg
from earlysignal.report._svg import (
    Lane,
    _ticks,
    bar_chart,
    line_chart,
    timeline_chart,
)


def test_ticks_cover_the_range() -> None:
    t = _ticks(0.013, 0.087)
    assert t[0] <= 0.013 and t[-1] >= 0.087
    assert all(round(b - a, 10) == round(t[1] - t[0], 10) for a, b in zip(t, t[1:], strict=False))


def test_line_chart_places_points_by_value() -> None:
    svg = str(line_chart({"a": [(0, 0.0), (1, 1.0)]}, alt="x", y_range=(0.0, 1.0)))
    assert svg.startswith('<svg class="chart" role="img" aria-label="x"')
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert ys[0] > ys[1]  # higher value, higher on the page


def test_bar_lengths_are_proportional() -> None:
    svg = str(bar_chart([("a", 2.0), ("b", 1.0)], alt="bars"))
    w = [float(x) for x in re.findall(r'<rect x="250" y="[\d.]+" width="([\d.]+)"',
                                      svg)]
    assert abs(w[0] / w[1] - 2.0) < 1e-6


def test_timeline_open_episode_runs_to_as_of_dashed() -> None:
    start, end = pd.Timestamp("2022-09-01"), pd.Timestamp("2023-09-01")
    lanes = [Lane("social_care", "Children's social care", (
        {"date": "2023-03-01", "end_date": None, "kind": "episode", "text": "CIN",
         "anchor": "rec-1", "evidence": True},)), Lane("police", "Police", ())]
    svg = str(timeline_chart(lanes, start, end, alt="t"))
    assert 'href="#rec-1"' in svg and "no records" in svg
    assert 'stroke-dasharray="2 2"' in svg
    x, w = map(float, re.search(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" '
                                r'height="6"', svg).groups())
    right = 150 + (720 - 150 - 14)
    assert abs(x + w - right) < 0.2


def test_inline_svg_prefixes_ids_and_drops_external_links() -> None:
    src = ('<?xml version="1.0"?><svg><defs><path id="m1"/></defs>'
           '<use xlink:href="#m1"/><a href="https://example.org">x</a></svg>')
    a, b = str(inline_svg(src, "one")), str(inline_svg(src, "two"))
    ida = re.findall(r'id="([^"]+)"', a)
    idb = re.findall(r'id="([^"]+)"', b)
    assert ida and set(ida).isdisjoint(idb)
    assert f'href="#{ida[0]}"' in a
    assert "example.org" not in a
    assert "<title>one</title>" in a
