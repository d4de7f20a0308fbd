"""The line that ties a page to its model: run, MLflow run id, model version and
the data's extract date, the same on every page of every room."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from earlysignal.present._numbers import day


def trace_footer(trace: Mapping[str, str] | None) -> Markup:
    """The page footer naming the run a page comes from (empty without a trace).

    Examples
    --------
    >>> str(trace_footer({"name": "demo", "run_id": "abc<", "model_version": "1f2e",
    ...                   "extract_date": "2024-08-31"}))[:60]
    '<footer class="trace small muted" id="trace"><p>Run demo &mi'
    >>> "abc&lt;" in trace_footer({"name": "d", "run_id": "abc<",
    ...                            "model_version": "", "extract_date": ""})
    True
    >>> str(trace_footer(None))
    ''
    """
    if not trace:
        return Markup("")
    extract = str(trace.get("extract_date") or "not recorded")
    shown = day(extract) if extract[:1].isdigit() else extract
    return Markup(
        '<footer class="trace small muted" id="trace"><p>Run {} &middot; MLflow run '
        '<span id="trace-run">{}</span> &middot; model version '
        '<span id="trace-model">{}</span> &middot; data extracted '
        '<span id="trace-extract">{}</span></p></footer>'
    ).format(trace.get("name", ""), trace.get("run_id") or "not tracked",
             trace.get("model_version") or "not recorded", shown)
