"""The linkage step of a pipeline: agencies' records joined into people, in
memory, between loading and writing the run's tables.

Nothing that leaves this step identifies anyone: the tables carry keyed
pseudonyms and linkage confidences; ``linkage/linkage.json`` and
``linkage/linkage.html`` carry counts, Splink's parameters and, with a truth
file, the linkage quality by group (small groups withheld).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.data import Pseudonymiser
from earlysignal.pipeline._config import PipelineConfig

__all__ = ["link_stage"]


def link_stage(config: PipelineConfig, frames: dict[str, pd.DataFrame],
               pseudo: Pseudonymiser | None, work: Path
               ) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, Any]]:
    """Link ``frames`` by ``config.linkage``; returns (tables, details, privacy)."""
    from earlysignal.linkage import link_tables, linkage_quality
    from earlysignal.linkage._diagnostics import LinkageDiagnostics

    assert config.linkage is not None
    if pseudo is None:
        key_file = config.resolve(config.data.key_file) if config.data.key_file \
            else None
        pseudo = Pseudonymiser.from_environment(key_file=key_file, origin="linkage")
    linked = link_tables(frames, config.linkage, pseudo)
    quality = None
    if config.linkage.truth is not None:
        from earlysignal.data._mapping import expand_env

        truth = pd.read_csv(config.resolve(expand_env(config.linkage.truth)),
                            dtype=str)
        quality = linkage_quality(linked.run.clusters, linked.run.pairs, truth,
                                  threshold=config.linkage.threshold,
                                  min_cell=config.fairness.min_cell)
    folder = work / "linkage"
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"facts": linked.facts(),
           "parameters": linked.run.parameters.to_dict("records"),
           "quality": quality.summarize() if quality is not None else None}
    (folder / "linkage.json").write_text(json.dumps(doc, indent=2, default=str))
    LinkageDiagnostics.from_linked(linked, quality=quality).write_html(
        folder / "linkage.html")
    privacy = {"pseudonymised": True, **pseudo.facts(), "route": "mapping",
               "by": "linkage"}
    return linked.tables, {"linkage": {**linked.facts(),
                                       "report": str(folder / "linkage.html")}}, privacy
