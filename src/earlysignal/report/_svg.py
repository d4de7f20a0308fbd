"""Small inline SVG charts drawn by hand: no scripts, no fonts from anywhere, the
Okabe-Ito palette, and a title plus ``aria-label`` on every figure.

Each function returns :class:`markupsafe.Markup`; every piece of text in it is
escaped here, so data can never inject markup through a chart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from earlysignal.report._common import day, source_colour

__all__ = [
    "Lane", "bar_chart", "folds_chart", "forest_plot", "line_chart",
    "scatter_chart", "timeline_chart",
]

SERIES = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9",
          "#000000", "#F0E442")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "1 3", "4 4", "", "3 1")
FONT = 'font-family="system-ui, sans-serif"'


def _e(text: Any) -> str:
    return str(escape(str(text)))


def _open(width: float, height: float, alt: str, cls: str = "chart") -> str:
    return (f'<svg class="{cls}" role="img" aria-label="{_e(alt)}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" '
            f'preserveAspectRatio="xMinYMin meet" {FONT} font-size="11">'
            f"<title>{_e(alt)}</title>")


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi].

    Examples
    --------
    >>> _ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=mag)
    start = math.floor(lo / step) * step
    out = [round(start, 10)]
    while out[-1] < hi - step * 1e-9:
        out.append(round(start + len(out) * step, 10))
    return out


def _tick_text(v: float) -> str:
    return f"{v:g}" if abs(v) >= 0.01 or v == 0 else f"{v:.3f}"


def _legend(names: Sequence[str], x: float, y: float, colours: Sequence[str],
            dashes: Sequence[str] | None = None, width: float = 190) -> str:
    parts = []
    for i, name in enumerate(names):
        col, row = i % 3, i // 3
        lx, ly = x + col * width, y + row * 16
        dash = f' stroke-dasharray="{dashes[i]}"' if dashes and dashes[i] else ""
        parts.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 18}" y2="{ly}" stroke="{colours[i]}"'
            f' stroke-width="2.5"{dash}/><text x="{lx + 22}" y="{ly + 4}">'
            f"{_e(name)}</text>")
    return "".join(parts)


# ------------------------------------------------------------------ line chart


def _plot_area(width: float, height: float, alt: str, xs: tuple[float, float],
               ys: tuple[float, float], y_ticks: Sequence[float], legend_rows: int,
               ) -> tuple[list[str], Any, Any, tuple[float, float, float, float]]:
    """The opening of an x-y chart: its scales, and grid lines at ``y_ticks``."""
    (x0, x1), (y0, y1) = xs, ys
    left, right, top = 56, 16, 14
    bottom = 44 + 16 * legend_rows
    pw, ph = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def py(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * ph

    out = [_open(width, height, alt)]
    for v in y_ticks:
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{py(v):.1f}" '
                   f'y2="{py(v):.1f}" stroke="#ddd"/><text x="{left - 6}" '
                   f'y="{py(v) + 4:.1f}" text-anchor="end">{_tick_text(v)}</text>')
    return out, px, py, (left, top, pw, ph)


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float | None]]],
    *,
    alt: str,
    x_label: str = "",
    y_label: str = "",
    x_ticks: Sequence[tuple[float, str]] | None = None,
    y_range: tuple[float, float] | None = None,
    diagonal: bool = False,
    width: float = 640,
    height: float = 300,
) -> Markup:
    """Lines (with point marks) for several named series over a numeric x axis."""
    names = list(series)
    xs = [x for s in series.values() for x, _ in s]
    ys = [y for s in series.values() for _, y in s if y is not None]
    if not xs or not ys:
        return Markup("")
    x0, x1 = min(xs), max(xs)
    if x_ticks:
        x0, x1 = min(x0, *(t for t, _ in x_ticks)), max(x1, *(t for t, _ in x_ticks))
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    pad_x = (x1 - x0) * 0.06
    x0, x1 = x0 - pad_x, x1 + pad_x
    y0, y1 = y_range or (min(ys), max(ys))
    if not y_range:
        pad = (y1 - y0) * 0.08 or abs(y1) * 0.1 or 0.1
        y0, y1 = y0 - pad, y1 + pad
    yt = _ticks(y0, y1)
    y0, y1 = min(y0, yt[0]), max(y1, yt[-1])
    out, px, py, (left, top, pw, ph) = _plot_area(
        width, height, alt, (x0, x1), (y0, y1), yt, math.ceil(len(names) / 3))
    ticks = x_ticks or [(v, _tick_text(v)) for v in _ticks(x0, x1)
                        if x0 <= v <= x1]
    for v, text in ticks:
        out.append(f'<line x1="{px(v):.1f}" x2="{px(v):.1f}" y1="{top + ph}" '
                   f'y2="{top + ph + 4}" stroke="#555"/><text x="{px(v):.1f}" '
                   f'y="{top + ph + 16}" text-anchor="middle">{_e(text)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" '
               f'fill="none" stroke="#555"/>')
    if diagonal:
        lo, hi = max(x0, y0), min(x1, y1)
        out.append(f'<line x1="{px(lo):.1f}" y1="{py(lo):.1f}" x2="{px(hi):.1f}" '
                   f'y2="{py(hi):.1f}" stroke="#999" stroke-dasharray="4 3"/>')
    for i, name in enumerate(names):
        pts = [(px(x), py(y)) for x, y in series[name] if y is not None]
        colour, dash = SERIES[i % len(SERIES)], DASHES[i % len(DASHES)]
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{d}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"{dash_attr}/>')
        for (x, y), (_vx, vy) in zip(pts, [p for p in series[name] if p[1] is not None],
                                    strict=True):
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                       f"<title>{_e(name)}: {vy:.3g}</title></circle>")
    out.append(f'<text x="{left + pw / 2}" y="{top + ph + 32}" text-anchor="middle">'
               f"{_e(x_label)}</text>")
    out.append(f'<text transform="translate(13 {top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{_e(y_label)}</text>')
    out.append(_legend(names, left, top + ph + 48,
                       [SERIES[i % len(SERIES)] for i in range(len(names))],
                       [DASHES[i % len(DASHES)] for i in range(len(names))]))
    out.append("</svg>")
    return Markup("".join(out))


# ----------------------------------------------------------------- forest plot


def forest_plot(
    rows: Sequence[Mapping[str, Any]],
    *,
    alt: str,
    reference: float = 1.0,
    band: tuple[float, float] | None = (0.8, 1.25),
    x_label: str = "ratio to the reference group (log scale)",
    width: float = 640,
) -> Markup:
    """Point estimates with intervals, one row each: ``label``, ``value``,
    ``lower``, ``upper``, ``flagged``, ``suppressed``. Log scale (ratios)."""
    if not rows:
        return Markup("")
    vals = [float(v) for r in rows for v in (r.get("lower"), r.get("upper"),
            r.get("value")) if v is not None and float(v) > 0 and not r.get("suppressed")]
    lo = min([*vals, band[0] if band else reference, reference]) * 0.9
    hi = max([*vals, band[1] if band else reference, reference]) * 1.1
    # wide intervals of small groups would squash the rest: clip them, with arrows
    lo, hi = math.log(max(lo, 0.1)), math.log(min(hi, 10.0))
    left, right, top, row_h = 260, 20, 10, 18
    height = top + row_h * len(rows) + 46
    pw = width - left - right

    def px(v: float) -> float:
        x = (math.log(max(v, 1e-3)) - lo) / (hi - lo)
        return left + min(max(x, 0.0), 1.0) * pw

    out = [_open(width, height, alt)]
    if band:
        out.append(f'<rect x="{px(band[0]):.1f}" y="{top}" '
                   f'width="{px(band[1]) - px(band[0]):.1f}" '
                   f'height="{row_h * len(rows)}" fill="#eef3f8"/>')
    out.append(f'<line x1="{px(reference):.1f}" x2="{px(reference):.1f}" y1="{top}" '
               f'y2="{top + row_h * len(rows)}" stroke="#555"/>')
    for i, r in enumerate(rows):
        y = top + row_h * i + row_h / 2
        text = str(r["label"])
        text = text if len(text) <= 44 else text[:43] + "\u2026"
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{_e(text)}</text>")
        if r.get("suppressed") or r.get("value") is None:
            out.append(f'<text x="{left + 6}" y="{y + 4:.1f}" fill="#666" '
                       f'font-style="italic">withheld (small numbers)</text>')
            continue
        v = float(r["value"])
        lo_v = float(r["lower"]) if r.get("lower") is not None else v
        hi_v = float(r["upper"]) if r.get("upper") is not None else v
        colour = "#D55E00" if r.get("flagged") else "#0072B2"
        shape = (f'<rect x="{px(v) - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" '
                 f'fill="{colour}"/>' if r.get("flagged") else
                 f'<circle cx="{px(v):.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        out.append(f'<g><title>{_e(r["label"])}: {v:.2f} [{lo_v:.2f}, {hi_v:.2f}]'
                   f'{" flagged" if r.get("flagged") else ""}</title>'
                   f'<line x1="{px(max(lo_v, 1e-3)):.1f}" x2="{px(hi_v):.1f}" '
                   f'y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>'
                   f"{shape}</g>")
    base = top + row_h * len(rows)
    for t in (0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0):
        if lo <= math.log(t) <= hi:
            out.append(f'<text x="{px(t):.1f}" y="{base + 14}" text-anchor="middle">'
                       f"{t:g}</text>")
    out.append(f'<text x="{left + pw / 2}" y="{base + 30}" text-anchor="middle">'
               f"{_e(x_label)}</text>")
    out.append(f'<text x="{left}" y="{base + 42}" font-size="10" fill="#444">'
               "circle: not flagged; square: flagged; shaded: the acceptable band"
               "</text>")
    out.append("</svg>")
    return Markup("".join(out))


# --------------------------------------------------------------------- scatter


def scatter_chart(
    points: Sequence[Mapping[str, Any]],
    *,
    alt: str,
    x_label: str,
    y_label: str,
    width: float = 640,
    height: float = 280,
) -> Markup:
    """Numbered points (``label``, ``x``, ``y``) with a key of their labels
    below the axes, so that no label runs off the chart however long it is."""
    pts = [p for p in points if p.get("x") is not None and p.get("y") is not None]
    if not pts:
        return Markup("")
    xs, ys = [float(p["x"]) for p in pts], [float(p["y"]) for p in pts]
    xt, yt = _ticks(min(xs), max(xs)), _ticks(0.0, max(ys) or 0.1)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    key_h = 16 * len(pts)
    out, px, py, (left, top, pw, ph) = _plot_area(
        width, height + key_h, alt, (x0, x1), (y0, y1), yt, len(pts))
    for v in xt:
        out.append(f'<text x="{px(v):.1f}" y="{top + ph + 16}" text-anchor="middle">'
                   f"{_tick_text(v)}</text>")
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" '
               f'fill="none" stroke="#555"/>')
    for n, p in enumerate(pts, start=1):
        colour = SERIES[(n - 1) % len(SERIES)]
        x, y = px(float(p["x"])), py(float(p["y"]))
        anchor, dx = ("end", -8) if x > left + pw / 2 else ("start", 8)
        out.append(f'<g><title>{_e(p["label"])}: {x_label} {float(p["x"]):.3g}, '
                   f'{y_label} {float(p["y"]):.3g}</title>'
                   f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" '
                   f'fill="{colour}" stroke="#fff"/>'
                   f'<text x="{x + dx:.1f}" y="{y - 5:.1f}" text-anchor="{anchor}" '
                   f'font-weight="bold">{n}</text></g>')
        ky = top + ph + 52 + 16 * (n - 1)
        out.append(f'<circle cx="{left + 5}" cy="{ky - 4}" r="5" fill="{colour}"/>'
                   f'<text x="{left + 16}" y="{ky}">{n}: {_e(p["label"])}</text>')
    out.append(f'<text x="{left + pw / 2}" y="{top + ph + 32}" text-anchor="middle">'
               f"{_e(x_label)}</text>")
    out.append(f'<text transform="translate(13 {top + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{_e(y_label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# ------------------------------------------------------------------------ bars


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    alt: str,
    unit: str = "",
    width: float = 640,
    colour: str = "#0072B2",
) -> Markup:
    """Horizontal bars, largest first as given, value written at the end."""
    if not items:
        return Markup("")
    left, right, row_h = 250, 70, 20
    height = row_h * len(items) + 10
    top_v = max(v for _, v in items) or 1.0
    pw = width - left - right
    out = [_open(width, height, alt)]
    for i, (name, v) in enumerate(items):
        y = 5 + i * row_h
        w = max(0.0, v / top_v * pw)
        out.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">'
                   f"{_e(name)}</text><rect x=\"{left}\" y=\"{y + 3}\" "
                   f'width="{w:.1f}" height="{row_h - 6}" fill="{colour}"/>'
                   f'<text x="{left + w + 4:.1f}" y="{y + 13}">{v:.3g}{_e(unit)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


# ----------------------------------------------------------------- folds chart


def _test_title(fold: Mapping[str, Any]) -> str:
    start, end = day(fold["test_start"]), day(fold.get("test_end") or
                                               fold["test_start"])
    if start == end:
        return f"test as-of {start}"
    return _e(f"test window {fold.get('window') or start}: as-of {start} to {end}")


def folds_chart(folds: Sequence[Mapping[str, Any]], *, alt: str,
                width: float = 640) -> Markup:
    """Per fold: training as-of dates, the wait for their labels, the test date."""
    if not folds:
        return Markup("")
    keys = ("train_start", "train_end", "train_label_end", "test_start", "test_end")
    dates = [pd.Timestamp(f[k]) for f in folds for k in keys if f.get(k)]
    t0 = min(dates) - pd.Timedelta(days=60)
    t1 = max(dates) + pd.Timedelta(days=120)
    left, right, top, row_h = 70, 16, 10, 26
    height = top + row_h * len(folds) + 60
    pw = width - left - right

    def px(t: Any) -> float:
        return left + (pd.Timestamp(t) - t0) / (t1 - t0) * pw

    out = [_open(width, height, alt)]
    for i, f in enumerate(folds):
        y = top + i * row_h
        out.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">'
                   f"fold {_e(f.get('index', i))}</text>")
        a, b = px(f["train_start"]), px(f["train_end"])
        out.append(f'<rect x="{a:.1f}" y="{y + 5}" width="{max(b - a, 3):.1f}" '
                   f'height="14" fill="#0072B2"><title>training as-of dates '
                   f'{day(f["train_start"])} to {day(f["train_end"])}</title></rect>')
        if f.get("train_label_end"):
            c = px(f["train_label_end"])
            out.append(f'<rect x="{b:.1f}" y="{y + 9}" width="{max(c - b, 0):.1f}" '
                       f'height="6" fill="#56B4E9"><title>labels observed until '
                       f'{day(f["train_label_end"])}</title></rect>')
        s, e = px(f["test_start"]), px(f.get("test_end") or f["test_start"])
        out.append(f'<rect class="test-window" x="{s:.1f}" y="{y + 3}" '
                   f'width="{max(e - s, 6):.1f}" height="18" fill="#D55E00">'
                   f"<title>{_test_title(f)}</title></rect>")
    base = top + row_h * len(folds)
    for year in range(t0.year, t1.year + 1):
        t = pd.Timestamp(year=year, month=1, day=1)
        if t0 <= t <= t1:
            out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{top}" '
                       f'y2="{base}" stroke="#ddd"/><text x="{px(t):.1f}" '
                       f'y="{base + 14}" text-anchor="middle">{year}</text>')
    one_day = all(not f.get("test_end") or f["test_end"] == f["test_start"]
                  for f in folds)
    out.append(_legend(["training as-of dates", "waiting for their labels",
                        "test as-of date" if one_day else "test window"],
                       left, base + 34,
                       ["#0072B2", "#56B4E9", "#D55E00"], width=170))
    out.append("</svg>")
    return Markup("".join(out))


# ------------------------------------------------------------- timeline chart


@dataclass(frozen=True)
class Lane:
    """One lane of a timeline: a source (or attendance) and its items.

    Items are dicts with ``date``, ``end_date`` (bars), ``kind``, ``text``,
    ``anchor`` (the id of the table row) and ``evidence`` (bool).
    """

    key: str
    label: str
    items: tuple[dict[str, Any], ...]


def timeline_chart(lanes: Sequence[Lane], start: pd.Timestamp, end: pd.Timestamp,
                   *, alt: str, width: float = 720) -> Markup:
    """Lanes per source: episodes as bars, events as marks, each linked to its row
    in the table below; marks behind a reason are ringed."""
    left, right, top, lane_h = 150, 14, 8, 34
    height = top + lane_h * len(lanes) + 58
    periods = any(it.get("kind") == "period" for lane in lanes for it in lane.items)
    pw = width - left - right
    span = max((end - start).days, 1)

    def px(t: Any) -> float:
        return left + min(max((pd.Timestamp(t) - start).days, 0), span) / span * pw

    out = [_open(width, height, alt, "chart timeline")]
    for i, lane in enumerate(lanes):
        y = top + i * lane_h
        colour = source_colour(lane.key, i)
        out.append(f'<rect x="{left}" y="{y}" width="{pw}" height="{lane_h - 4}" '
                   f'fill="{"#f7f7f7" if i % 2 else "#fff"}"/>'
                   f'<text x="{left - 6}" y="{y + lane_h / 2 + 2}" '
                   f'text-anchor="end">{_e(lane.label)}</text>')
        if not lane.items:
            out.append(f'<text x="{left + 6}" y="{y + lane_h / 2 + 2}" fill="#666" '
                       'font-style="italic">no records</text>')
        for it in lane.items:
            out.append(_item(it, px, y, lane_h, colour, end))
    base = top + lane_h * len(lanes)
    out.append(f'<line x1="{px(end):.1f}" x2="{px(end):.1f}" y1="{top - 4}" '
               f'y2="{base}" stroke="#000" stroke-dasharray="3 2"/>'
               f'<text x="{px(end) - 3:.1f}" y="{base + 26}" text-anchor="end" '
               f'font-weight="600">as of {_e(day(end))}</text>')
    for year in range(start.year, end.year + 1):
        for month in (1, 9):
            t = pd.Timestamp(year=year, month=month, day=1)
            if start < t < end:
                lab = str(year) if month == 1 else "Sep"
                out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{base}" '
                           f'y2="{base + 4}" stroke="#555"/><text x="{px(t):.1f}" '
                           f'y="{base + 14}" text-anchor="middle" font-size="10">'
                           f"{lab}</text>")
    out.append(f'<text x="{left}" y="{base + 40}" font-size="10" fill="#333">'
               + ("Bars: episodes (dashed outline: still open) and attendance "
                  "periods (solid: 10% or more of sessions missed).</text>"
                  if periods else
                  "Bars: episodes (dashed outline: still open).</text>")
               + f'<text x="{left}" y="{base + 52}" font-size="10" fill="#333">'
               "Triangles: events. A black ring: a record behind a reason above. "
               "Each mark links to its row in the table.</text>")
    out.append("</svg>")
    return Markup("".join(out))


def _item(it: Mapping[str, Any], px: Any, y: float, lane_h: float,
          colour: str, until: pd.Timestamp) -> str:
    title = f"<title>{_e(day(it['date']))}: {_e(it['text'])}</title>"
    href = f'href="#{_e(it["anchor"])}"' if it.get("anchor") else ""
    ring = ""
    if it["kind"] in ("episode", "period"):
        a = px(it["date"])
        b = px(it["end_date"]) if it.get("end_date") is not None else None
        open_end = b is None
        b = px(until) if open_end else b
        fill = colour
        opacity = "1" if it["kind"] == "episode" else (
            "1" if it.get("high") else "0.35")
        h, dy = (6, 2) if it["kind"] == "episode" else (8, lane_h - 16)
        if it.get("evidence"):
            ring = (f'<rect x="{a - 1.5:.1f}" y="{y + dy - 1.5:.1f}" '
                    f'width="{max(b - a, 2) + 3:.1f}" height="{h + 3}" fill="none" '
                    f'stroke="#000" stroke-width="1.5"/>')
        dash = ' stroke="#000" stroke-dasharray="2 2"' if open_end else ""
        shape = (f'<rect x="{a:.1f}" y="{y + dy:.1f}" width="{max(b - a, 2):.1f}" '
                 f'height="{h}" fill="{fill}" fill-opacity="{opacity}"{dash}/>')
    else:
        x = px(it["date"])
        cy = y + (lane_h - 4) / 2 + 5
        shape = (f'<path d="M{x:.1f} {cy - 6:.1f} L{x + 4:.1f} {cy + 2:.1f} '
                 f'L{x - 4:.1f} {cy + 2:.1f} Z" fill="{colour}" stroke="#fff" '
                 f'stroke-width="0.5"/>')
        if it.get("evidence"):
            ring = (f'<circle cx="{x:.1f}" cy="{cy - 1.5:.1f}" r="7" fill="none" '
                    f'stroke="#000" stroke-width="1.5"/>')
    return f"<a {href}>{title}{shape}{ring}</a>" if href else f"<g>{title}{shape}</g>"
