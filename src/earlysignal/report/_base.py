"""The shape every report object shares: plain data in, a template out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from earlysignal.report._common import plain, render

__all__ = ["Report"]


class Report:
    """A report: :meth:`summarize` gives plain data; a Jinja template renders it.

    Subclasses set ``template`` and implement :meth:`summarize` and, when the page
    needs more than the summary (charts), :meth:`context`.
    """

    template: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def summarize(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def context(self) -> dict[str, Any]:
        """What the template sees: the summary as ``s``, plus anything drawn."""
        return {"s": self.summarize()}

    def html(self) -> str:
        """The self-contained page: inline CSS and SVG, no request leaves it.

        Every page carries the run's trace (MLflow run id, model version, data
        extract date) and speaks in the population's words (``v``)."""
        run = getattr(self, "run", None)
        extra = ({} if run is None else
                 {"trace": run.trace, "v": run.population})
        return render(self.template, **{**extra, **self.context()})

    def json(self) -> str:
        """:meth:`summarize` as JSON (missing values are null)."""
        return json.dumps(plain(self.summarize()), indent=2, allow_nan=False)

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path`` (UTF-8), creating folders; return it."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.html(), encoding="utf-8")
        return out

    def _repr_html_(self) -> str:
        return self.html()
