"""One Jinja environment for every page the toolkit writes: autoescaped, strict
about undefined names, with the number filters of :mod:`._numbers`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from earlysignal.present._numbers import (
    count,
    day,
    expected,
    fmt,
    headcount,
    iso,
    money,
    pct,
    prob,
    rate,
)
from earlysignal.present._trace import trace_footer
from earlysignal.present._words import label

__all__ = ["FILTERS", "environment"]

#: The filters (and globals of the same names) every template can use.
FILTERS: dict[str, Callable[..., str]] = {
    "fmt": fmt, "count": count, "expected": expected, "headcount": headcount,
    "rate": rate, "pct": pct,
    "prob": prob, "money": money, "day": day, "iso": iso, "label": label,
}


@cache
def _loader(package: str, folder: str) -> jinja2.BaseLoader:
    def text(name: str) -> str:
        return (resources.files(package).joinpath(f"{folder}/{name}")
                .read_text(encoding="utf-8"))
    return jinja2.FunctionLoader(text)


def environment(package: str, folder: str = "templates", *,
                extra: Mapping[str, Any] | None = None) -> jinja2.Environment:
    """An autoescaping, strict Jinja environment over a package's templates.

    Parameters
    ----------
    package : str
        The package whose ``folder`` holds the templates (read as resources, so
        they work from a wheel or a zip).
    folder : str
        The templates' folder inside the package.
    extra : mapping, optional
        Further globals (and filters, when callable) for this package's pages.

    Examples
    --------
    >>> env = environment("earlysignal.present")
    >>> env.from_string("{{ x }} {{ n | count }}").render(x="<b>", n=0.0)
    '&lt;b&gt; 0'
    >>> env.from_string("{{ missing }}").render()
    Traceback (most recent call last):
    ...
    jinja2.exceptions.UndefinedError: 'missing' is undefined
    """
    env = jinja2.Environment(
        loader=_loader(package, folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(FILTERS)
    env.globals["trace_footer"] = trace_footer
    for name, value in (extra or {}).items():
        env.globals[name] = value
        if callable(value):
            env.filters[name] = value
    return env
