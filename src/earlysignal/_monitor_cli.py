"""The ``earlysignal monitor`` command (registered in :mod:`earlysignal.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text


def monitor_command(
    run: Annotated[Path, typer.Argument(help="A run folder written by "
                                        "`earlysignal run`.")],
    data: Annotated[
        Path | None, typer.Option(help="The later extract: a folder of canonical "
                                  "tables or a mapping YAML (default: the config's "
                                  "monitor.data).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where to write monitor.html and "
                                  "monitor.json (default: RUN/monitor).")
    ] = None,
    track: Annotated[bool, typer.Option(help="Log the figures on the run's MLflow "
                                        "run.")] = True,
) -> None:
    """Check a run in use against a later extract; exit 4 when an alert fires.

    Freshness and volume of each source, drift of features, factor families,
    scores and bands (overall and within each audited group), expected precision,
    recall and AUC before outcomes arrive, realised performance and fairness where
    horizons have closed, and demand per service against the run's projection.

    Example: earlysignal monitor runs/small --data data/synth-2025 --out
    runs/small/monitor
    """
    from earlysignal.pipeline import monitor_run

    out, err = Console(), Console(stderr=True)
    result = monitor_run(run, data=data, out=out_dir, track=track,
                         log=lambda line: err.print(Text(line), soft_wrap=True))
    for alert in result.alerts:
        out.print(Text(f"ALERT ({alert['kind']}): {alert['sentence']}", style="red"),
                  soft_wrap=True)
    if not result.alerts:
        out.print("no alert")
    raise typer.Exit(code=result.exit_code)
