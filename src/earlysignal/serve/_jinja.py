"""The service's pages come from the report room's templates, through the shared
presentation kit: one Jinja environment whose loader looks in this package's
``templates`` first, then in the report room's (which the service's pages extend).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2

from earlysignal import present
from earlysignal.report._common import band_colour, source_colour

__all__ = ["environment"]

_PACKAGES = ("earlysignal.serve", "earlysignal.report")


def _text(name: str) -> str | None:
    """A template's text from the first package holding it; None when none does
    (so that Django moves on to its own template engine for the admin)."""
    if ".." in name.split("/"):
        return None
    for package in _PACKAGES:
        try:
            return (resources.files(package).joinpath(f"templates/{name}")
                    .read_text(encoding="utf-8"))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
    return None


@cache
def _environment() -> jinja2.Environment:
    env = present.environment("earlysignal.serve", extra={
        "band_colour": band_colour, "source_colour": source_colour})
    env.loader = jinja2.FunctionLoader(_text)
    return env


def environment(**_options: Any) -> jinja2.Environment:
    """The kit's autoescaping, strict environment over the service's and the
    report room's templates (Django's Jinja2 backend calls this; its own options
    are not needed: the kit sets autoescaping and strict undefined names).

    Examples
    --------
    >>> env = environment()
    >>> env.autoescape, "practitioner.html.j2" in env.loader.get_source(
    ...     env, "serve/person.html.j2")[0]
    (True, True)
    """
    return _environment()
