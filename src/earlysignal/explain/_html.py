"""HTML rendering of an explanation (Jinja2, autoescaped, self-contained)."""

from __future__ import annotations

from typing import Any

__all__ = ["render_html"]


def render_html(summary: dict[str, Any], plots: dict[str, str],
                person: dict[str, Any] | None) -> str:
    """Render the explanation page; SVG plots are inlined, everything else escaped."""
    from markupsafe import Markup

    from earlysignal.present import environment

    template = environment("earlysignal.explain").get_template("explanation.html.j2")
    # the SVGs are drawn by matplotlib from our own labels: safe to inline
    svgs = {k: Markup(v) for k, v in plots.items()}
    return template.render(summary=summary, plots=svgs, person=person)
