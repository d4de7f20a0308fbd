"""The reports in a real browser: no console errors, no network, filters work,
print to A4 gives a sane number of pages, readable on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser


class Visit:
    """A page opened offline, recording console errors and outside requests."""

    def __init__(self, browser, path: Path, **context) -> None:
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning")
                     and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def route(r) -> None:
            url = r.request.url
            if url.startswith(("file:", "data:", "about:")):
                r.continue_()
            else:
                self.requests.append(url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(Path(path).resolve().as_uri())

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def open_(path: Path, **context) -> Visit:
        v = Visit(browser, path, **context)
        opened.append(v)
        return v

    yield open_
    for v in opened:
        v.close()


def _pages_in(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _first_person(rendered) -> Path:
    return next(v for k, v in rendered.items() if k.startswith("person:"))


@pytest.mark.parametrize("name", ["index", "caseload", "ethics", "data_science",
                                  "person"])
def test_loads_clean_and_offline(visit, rendered, name) -> None:
    path = _first_person(rendered) if name == "person" else rendered[name]
    v = visit(path)
    v.page.wait_for_load_state("load")
    assert v.errors == []
    assert v.requests == []
    assert v.page.title()
    shot = v.page.screenshot()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 5_000


def test_caseload_filters(visit, rendered, run_dir) -> None:
    cl = pd.read_parquet(run_dir / "caseload.parquet")
    v = visit(rendered["caseload"])
    p = v.page
    rows = p.locator("#caseload tbody tr")
    assert rows.count() == len(cl)
    assert p.locator("#filters").is_visible()

    p.select_option("#f-band", "High")
    shown = p.locator("#caseload tbody tr:not([hidden])")
    assert shown.count() == int((cl["band"] == "High").sum())
    assert set(shown.evaluate_all("rs => rs.map(r => r.dataset.band)")) == {"High"}
    assert p.locator("#f-count").inner_text() == (
        f"Showing {int((cl['band'] == 'High').sum())} of {len(cl)}")

    team = cl.loc[cl["band"] == "High", "team"].iloc[0]
    p.select_option("#f-team", team)
    want = int(((cl["band"] == "High") & (cl["team"] == team)).sum())
    assert shown.count() == want
    school = cl["school"].iloc[0]
    p.select_option("#f-band", "")
    p.select_option("#f-team", "")
    p.select_option("#f-school", school)
    assert shown.count() == int((cl["school"] == school).sum())

    p.click("#f-clear")
    assert shown.count() == len(cl)
    assert v.errors == [] and v.requests == []


def test_caseload_without_javascript(visit, rendered, run_dir) -> None:
    v = visit(rendered["caseload"], java_script_enabled=False)
    n = len(pd.read_parquet(run_dir / "caseload.parquet"))
    assert not v.page.locator("#filters").is_visible()
    assert v.page.locator("#caseload tbody tr:visible").count() == n


def test_caseload_link_opens_the_summary(visit, rendered) -> None:
    v = visit(rendered["caseload"])
    link = v.page.locator("#caseload tbody tr a").first
    pid = link.inner_text()
    link.click()
    v.page.wait_for_load_state("load")
    assert v.page.locator("#pid").inner_text() == pid
    assert v.requests == []


def test_evidence_link_jumps_to_the_record(visit, rendered) -> None:
    v = visit(_first_person(rendered))
    link = v.page.locator("#reasons-raise .evidence a").first
    target = link.get_attribute("href")
    link.click()
    assert v.page.evaluate("location.hash") == target
    row = v.page.locator(target)
    assert row.is_visible() and row.evaluate("el => el.matches(':target')")


@pytest.mark.parametrize("name,lo,hi", [("person", 1, 3), ("ethics", 3, 30),
                                        ("data_science", 2, 15), ("caseload", 1, 15)])
def test_print_to_a4(visit, rendered, name, lo, hi) -> None:
    path = _first_person(rendered) if name == "person" else rendered[name]
    v = visit(path)
    pages = _pages_in(v.page.pdf(format="A4"))
    assert lo <= pages <= hi, pages


@pytest.mark.parametrize("name", ["person", "caseload", "ethics"])
def test_readable_on_a_phone(visit, rendered, name) -> None:
    path = _first_person(rendered) if name == "person" else rendered[name]
    v = visit(path, viewport={"width": 375, "height": 740}, device_scale_factor=2,
              is_mobile=True)
    width = v.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 376
    size = v.page.evaluate(
        "parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 14


def test_screenshots_are_small(browser, rendered, tmp_path) -> None:
    from earlysignal.report.screenshots import take_screenshots

    shots = take_screenshots({"caseload": rendered["caseload"],
                              "practitioner": _first_person(rendered)}, tmp_path,
                             browser=browser)
    for path in shots.values():
        data = path.read_bytes()
        assert data[:4] == b"\x89PNG" and 10_000 < len(data) < 300_000


_FIGURES = """() => Array.from(document.querySelectorAll('main svg, main img'))
  .filter(el => !el.parentElement.closest('svg'))
  .map(el => {
    const box = el.getBoundingClientRect();
    const drawn = el.tagName.toLowerCase() === 'img' ? (el.naturalWidth > 0 ? 1 : 0)
      : Array.from(el.querySelectorAll('path, circle, rect, line, polyline, polygon, use, image, text'))
          .filter(s => { const b = s.getBoundingClientRect();
                         return b.width > 0 || b.height > 0; }).length;
    const images = Array.from(el.querySelectorAll('image')).map(i => {
      const b = i.getBoundingClientRect();
      const href = i.getAttribute('href') || i.getAttribute('xlink:href') || '';
      return {w: b.width, h: b.height, href: href.slice(0, 22)};
    });
    const outside = Array.from(el.querySelectorAll('text')).filter(t => {
      const b = t.getBoundingClientRect();
      return b.width > 0 && (b.left < box.left - 1 || b.right > box.right + 1);
    }).map(t => t.textContent);
    return {label: el.getAttribute('aria-label') || el.getAttribute('alt') || '',
            w: box.width, h: box.height, drawn, images, outside};
  })"""


@pytest.mark.parametrize("name", ["caseload", "ethics", "data_science", "person"])
def test_every_figure_has_visible_content(visit, rendered, run_dir, name) -> None:
    """Every chart on every page is drawn: a non-zero box with drawn elements;
    embedded raster layers (a beeswarm's dots) keep their image data; no label
    runs off its chart."""
    path = _first_person(rendered) if name == "person" else rendered[name]
    v = visit(path)
    figures = v.page.evaluate(_FIGURES)
    # the caseload is a table with no chart; every other page has charts
    assert figures or name == "caseload"
    for f in figures:
        assert f["w"] > 0 and f["h"] > 0, f["label"]
        assert f["drawn"] >= 3, f["label"]
        assert f["outside"] == [], f["label"]
        for img in f["images"]:
            assert img["href"].startswith("data:image/png;base64"), f["label"]
            assert img["w"] > 0 and img["h"] > 0, f["label"]
    if name == "data_science":
        swarm = [f for f in figures if f["label"].startswith("SHAP contributions")]
        assert len(swarm) == 1 and swarm[0]["images"], swarm
