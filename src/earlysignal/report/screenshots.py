"""Screenshots of each report for the README, taken in a real Chromium.

Usage::

    python -m earlysignal.report.screenshots RUN OUT [--chromium /usr/bin/chromium]
    python -m earlysignal.report.screenshots OUT --page monitor=RUN/monitor/monitor.html

Renders the run's reports into a temporary folder and writes ``practitioner.png``,
``caseload.png``, ``ethics.png`` and ``data_science.png`` into ``OUT`` (the top of
each page, small enough for a README). ``--page NAME=HTML`` screenshots a page
that is already written (such as ``earlysignal monitor``'s) as ``NAME.png``; with
only pages, no run is rendered. Needs the ``playwright`` package (dev extra) and a
Chromium binary; nothing is downloaded.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["BROWSER_ARGS", "launch", "main", "take_screenshots"]

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Viewport (CSS pixels): the top of each page is kept; the practitioner page is
#: taller so that its timeline shows.
WIDTH, HEIGHT = 1000, 1250
HEIGHTS = {"practitioner": 1900}


def launch(playwright: Any, executable: str = CHROMIUM) -> Any:
    """Start Chromium headless with no background traffic."""
    return playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)


def offline_page(browser: Any, width: int = WIDTH, height: int = HEIGHT) -> Any:
    """A page that refuses every request that is not a local file or data URL."""
    page = browser.new_page(viewport={"width": width, "height": height})

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:", "about:")):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    return page


def take_screenshots(reports: dict[str, Path], out_dir: str | Path,
                     executable: str = CHROMIUM, *, browser: Any = None
                     ) -> dict[str, Path]:
    """Screenshot the top of each report (``reports``: name -> HTML path).

    Uses ``browser`` (a Playwright browser) when given, else starts Chromium.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if browser is not None:
        return _shoot(browser, reports, out)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:  # pragma: no cover - dev extra missing
        raise ImportError("screenshots need playwright: pip install "
                          "'earlysignal[dev]'") from e
    with sync_playwright() as p:
        started = launch(p, executable)
        try:
            return _shoot(started, reports, out)
        finally:
            started.close()


def _shoot(browser: Any, reports: dict[str, Path], out: Path) -> dict[str, Path]:
    shots: dict[str, Path] = {}
    for name, html in reports.items():
        page = offline_page(browser, height=HEIGHTS.get(name, HEIGHT))
        page.goto(Path(html).resolve().as_uri())
        target = out / f"{name}.png"
        page.screenshot(path=str(target), full_page=False)
        page.close()
        shots[name] = target
    return shots


def main(argv: list[str] | None = None) -> dict[str, Path]:
    parser = argparse.ArgumentParser(
        prog="python -m earlysignal.report.screenshots",
        description="Render a run's reports and screenshot each for the README. "
                    "Example: python -m earlysignal.report.screenshots reports/demo "
                    "docs/img")
    parser.add_argument("paths", nargs="+", metavar="[RUN] OUT",
                        help="run folder (earlysignal run writes reports/NAME), "
                             "then the folder for the PNG files; the run may be "
                             "left out when --page is given")
    parser.add_argument("--page", action="append", default=[], metavar="NAME=HTML",
                        help="also screenshot a written page as NAME.png "
                             "(e.g. monitor=runs/small/monitor/monitor.html)")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium binary")
    args = parser.parse_args(argv)
    pages = _pages(parser, args.page)
    if len(args.paths) > 2 or (len(args.paths) == 1 and not pages):
        parser.error("give RUN OUT, or OUT with --page NAME=HTML")
    run, out = (args.paths if len(args.paths) == 2 else (None, args.paths[0]))
    with tempfile.TemporaryDirectory() as tmp:
        if run is not None:
            pages = {**_report_pages(run, tmp), **pages}
        shots = take_screenshots(pages, out, args.chromium)
    for name, path in shots.items():
        print(f"{name}: {path} ({path.stat().st_size // 1024} KB)")
    return shots


def _pages(parser: argparse.ArgumentParser, given: list[str]) -> dict[str, Path]:
    pages = {}
    for item in given:
        name, sep, html = item.partition("=")
        if not sep or not name or not Path(html).is_file():
            parser.error(f"--page {item}: give NAME=HTML with an existing HTML file")
        pages[name] = Path(html)
    return pages


def _report_pages(run: str, tmp: str) -> dict[str, Path]:
    from earlysignal.report._render import render_reports

    paths = render_reports(run, tmp, max_people=1)
    pick = {"practitioner": next((v for k, v in paths.items()
                                  if k.startswith("person:")), None),
            "caseload": paths.get("caseload"), "ethics": paths.get("ethics"),
            "data_science": paths.get("data_science")}
    return {k: Path(v) for k, v in pick.items() if v is not None}


if __name__ == "__main__":  # pragma: no cover
    main()
