"""What every report shares: the Jinja environment, number and date formats, the
colour-blind-safe palette, readable names for codes, the words about identifiers,
and safe inlining of SVG."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from itertools import count
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from earlysignal import present
from earlysignal.present import day, fmt, iso, label, pct

__all__ = [
    "OKABE_ITO", "band_colour", "day", "fmt", "inline_svg", "iso", "label", "pct",
    "privacy_words", "render", "source_colour", "source_label",
]

#: Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
_BAND_COLOURS = ("#D55E00", "#E69F00", "#F0E442", "#56B4E9", "#0072B2", "#009E73")
_SOURCE_COLOURS = {
    "school": "#0072B2", "attendance": "#56B4E9", "police": "#D55E00",
    "social_care": "#009E73", "youth_justice": "#CC79A7", "health": "#E69F00",
}
_SPARE = ("#E69F00", "#000000", "#F0E442", "#56B4E9")


def source_label(source: Any) -> str:
    return label(source)


def source_colour(source: str, position: int = 0) -> str:
    return _SOURCE_COLOURS.get(source, _SPARE[position % len(_SPARE)])


def band_colour(position: int) -> str:
    """Colour of the band at ``position`` from the highest (0)."""
    return _BAND_COLOURS[min(position, len(_BAND_COLOURS) - 1)]


# -------------------------------------------------------------------- identifiers

_KEY_WORDS = {"environment": "the environment variable EARLYSIGNAL_PSEUDONYM_KEY",
              "key file": "a key file", "argument": "the caller"}
_ROUTE_WORDS = {"mapping": "the source extracts were read through the mapping",
                "folder": "the canonical tables were read",
                "synth": "the synthetic cohort was generated"}


def privacy_words(facts: Mapping[str, Any] | None, person: str = "young person"
                  ) -> dict[str, str]:
    """What the pages say about person identifiers, from run.json's ``privacy``.

    Every page that speaks of identifiers takes its words from here, so that no
    page says "pseudonymous" about a run whose ids were not pseudonymised.

    Parameters
    ----------
    facts : mapping or None
        ``pseudonymised`` (bool), ``route`` (mapping, folder or synth) and, when
        pseudonymised, ``method``, ``key_source`` and ``by`` (pipeline or
        mapping); None for a run that recorded none.
    person : str
        What one person scored is called (the population's noun).

    Returns
    -------
    dict
        ``id_label`` (what the id is called), ``page_note`` (one practitioner
        page), ``list_note`` (the caseload), ``statement`` (the ethics report's
        data section) and ``linkage`` (how agencies' records were joined).

    Examples
    --------
    >>> on = privacy_words({"pseudonymised": True, "method": "HMAC-SHA256",
    ...     "key_source": "environment", "route": "mapping", "by": "pipeline"})
    >>> on["id_label"], on["list_note"]
    ('pseudonymous ID', 'pseudonymous IDs only')
    >>> off = privacy_words({"pseudonymised": False, "route": "folder"})
    >>> off["id_label"], "pseudonymous" in " ".join(off.values())
    ('ID as recorded', False)
    """
    facts = dict(facts or {})
    if "pseudonymised" not in facts:
        return _unknown_words()
    if facts["pseudonymised"]:
        return _pseudonymised_words(facts)
    return _raw_words(facts, person)


def _pseudonymised_words(facts: Mapping[str, Any]) -> dict[str, str]:
    key = _KEY_WORDS.get(str(facts.get("key_source")), "a key held outside the run")
    when = _ROUTE_WORDS.get(str(facts.get("route")), "the data were read")
    who = "by the source mapping" if facts.get("by") == "mapping" else "by the run"
    return {
        "id_label": "pseudonymous ID",
        "page_note": "pseudonymous ID only; look the person up in your own case "
                     "system",
        "list_note": "pseudonymous IDs only",
        "statement": (
            f"Person identifiers were replaced {who} with keyed pseudonyms "
            f"({facts.get('method', 'keyed hash')}, key from {key}) as {when}, "
            "before anything was written to the run folder; the run folder, these "
            "reports and what tracking logs from them hold only the pseudonyms, "
            "and without the key a pseudonym cannot be traced back to an "
            "identifier."),
        "linkage": "a shared pseudonymous identifier (the same key gives the same "
                   "pseudonym in every agency's records)",
    }


def _raw_words(facts: Mapping[str, Any], person: str) -> dict[str, str]:
    synth = facts.get("route") == "synth"
    what = ("the synthetic cohort's own identifiers (of people who never existed)"
            if synth else "the identifiers as they arrived")
    form = (" They have the form of keyed pseudonyms (p_ and 16 hex digits), so "
            "they may have been pseudonymised before this run; the run cannot "
            "confirm it." if facts.get("ids_look_pseudonymised") else "")
    return {
        "id_label": "synthetic ID" if synth else "ID as recorded",
        "page_note": (f"synthetic ID of a {person} who never existed" if synth
                      else "ID as recorded in the source data, not pseudonymised; "
                      "handle this page as identifiable"),
        "list_note": "synthetic IDs" if synth else "IDs as recorded, not pseudonymised",
        "statement": (
            f"This run did not pseudonymise person identifiers: the run folder, "
            f"these reports and what tracking logs from them hold {what}.{form} To "
            "replace them with keyed pseudonyms, set data.pseudonymise: true and "
            "put a key in EARLYSIGNAL_PSEUDONYM_KEY."),
        "linkage": "a shared identifier, as each agency recorded it",
    }


def _unknown_words() -> dict[str, str]:
    return {
        "id_label": "ID",
        "page_note": "this run did not record whether IDs were pseudonymised; "
                     "handle this page as identifiable",
        "list_note": "whether IDs were pseudonymised was not recorded",
        "statement": (
            "This run did not record whether person identifiers were "
            "pseudonymised, so the run folder and these reports may hold "
            "identifiers as they arrived; handle them as identifiable."),
        "linkage": "a shared identifier",
    }


# ---------------------------------------------------------------------------- SVG

_SVG_IDS = count()
_HEAD = re.compile(r"^.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
# Links out of the page are refused; in-page references and embedded raster
# images (matplotlib draws dense scatter layers such as SHAP beeswarm dots as
# base64 PNG) stay, since they load nothing from anywhere.
_EXTERNAL = re.compile(
    r"""(?:href|src)\s*=\s*["'](?!#|data:image/(?:png|jpeg|gif|webp);base64,)"""
    r"""[^"']*["']""", re.I)


def inline_svg(svg: str, alt: str) -> Markup:
    """Matplotlib (or any) SVG text made safe to inline several times in one page.

    Drops the XML prologue, comments and metadata, gives every id a unique prefix
    (two plots in one page must not share ids), refuses links out of the page
    (keeping embedded ``data:image`` rasters, which load nothing), and
    labels the figure for screen readers (``role="img"``, ``aria-label`` and
    ``<title>``).

    Examples
    --------
    >>> s = '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">' \\
    ...     '<defs><path id="a"/></defs><use href="#a"/></svg>'
    >>> out = str(inline_svg(s, "A <chart>"))
    >>> out.startswith('<svg role="img" aria-label="A &lt;chart&gt;"'), 'id="a"' in out
    (True, False)
    """
    if not svg:
        return Markup("")
    text = _METADATA.sub("", _COMMENT.sub("", _HEAD.sub("", svg, count=1)))
    prefix = f"s{next(_SVG_IDS)}-"
    ids = set(_ID.findall(text))
    if ids:
        text = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', text)
        text = re.sub(r'(href="#|url\(#)([^")]+)',
                      lambda m: m.group(1) + (prefix + m.group(2)
                                              if m.group(2) in ids else m.group(2)),
                      text)
    text = _EXTERNAL.sub('data-removed=""', text)
    alt_e = str(Markup.escape(alt))
    text = re.sub(r"<svg\b", f'<svg role="img" aria-label="{alt_e}"', text, count=1)
    text = re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + f"<title>{alt_e}</title>",
                  text, count=1)
    return Markup(text)


# -------------------------------------------------------------------------- Jinja


@cache
def environment() -> jinja2.Environment:
    """The kit's environment over the report templates, with the palette."""
    return present.environment("earlysignal.report", extra={
        "band_colour": band_colour, "source_colour": source_colour})


def render(template: str, **context: Any) -> str:
    """Render one of the package's templates."""
    return environment().get_template(template).render(**context)


def plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN/NaT to None, timestamps to ISO days.

    Examples
    --------
    >>> import numpy as np
    >>> plain({"a": np.float64(1.5), "b": float("nan"), "c": pd.Timestamp("2023-09-01")})
    {'a': 1.5, 'b': None, 'c': '2023-09-01'}
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else f"{value:%Y-%m-%d}"
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT:
        return None
    return value
