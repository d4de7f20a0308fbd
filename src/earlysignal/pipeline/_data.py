"""The data step of a pipeline: synthetic cohort, source mapping or Parquet folder."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.data import CanonicalTables
from earlysignal.pipeline._config import PipelineConfig


@dataclass
class LoadedData:
    """Canonical tables for a run, plus what is known about where they came from.

    ``truth`` is the synthetic cohort's true risk (None for real data); ``load_report``
    is the mapping's load report (None when the data was already canonical).
    """

    tables: CanonicalTables
    origin: str
    truth: pd.DataFrame | None = None
    load_report: Any = None
    details: dict[str, Any] = field(default_factory=dict)


def load_data(
    config: PipelineConfig, *, data_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
) -> LoadedData:
    """The run's canonical tables: ``data_dir`` when given, else the config's source.

    A synthetic cohort is written once to ``work_dir/data`` and reused while its
    settings are unchanged; a mapping's tables are loaded, validated and written there
    as Parquet so that engines can read them straight from disk.
    """
    work = Path(work_dir) if work_dir is not None else config.run_dir
    loaded = _load(config, data_dir, work)
    if config.data.pseudonymise:
        key_file = config.resolve(config.data.key_file) if config.data.key_file \
            else None
        loaded = _pseudonymised(loaded, key_file, work / "data-pseudonymised")
    return loaded


def _pseudonymised(loaded: LoadedData, key_file: Path | None,
                   folder: Path) -> LoadedData:
    """The same tables with every person id replaced by its keyed pseudonym."""
    from earlysignal.data import Pseudonymiser

    pseudo = Pseudonymiser.from_environment(key_file=key_file, origin="data")
    frames = {name: loaded.tables[name].assign(
        person_id=pseudo(loaded.tables[name]["person_id"])) for name in loaded.tables}
    CanonicalTables.from_frames(frames).write_dir(folder)
    truth = None if loaded.truth is None else loaded.truth.assign(
        person_id=pseudo(loaded.truth["person_id"]))
    out = _folder(folder, origin=f"{loaded.origin}, pseudonymised")
    out.truth, out.load_report = truth, loaded.load_report
    out.details = {**loaded.details, "pseudonymised": True,
                   "folder": str(folder.resolve())}
    return out


def _load(config: PipelineConfig, data_dir: str | Path | None,
          work: Path) -> LoadedData:
    if data_dir is not None:
        return _checked_folder(config, Path(data_dir), f"folder {data_dir}", work)
    src = config.data
    if src.folder:
        return _checked_folder(config, config.resolve(src.folder),
                               f"folder {src.folder}", work)
    if src.mapping:
        return _mapping(config.resolve(src.mapping), work / "data")
    assert src.synth is not None
    settings = src.synth.model_dump()
    dates = getattr(config.cohort.as_of, "dates", None)
    if callable(dates) and "as_of_dates" not in settings["options"]:
        # the truth (each person's true risk) at exactly the dates the cohort scores
        settings["options"] = {**settings["options"], "as_of_dates": [
            str(d.date()) for d in dates()], "horizon": config.label.horizon}
    return _synth(settings, work / "data")


def _folder(folder: Path, *, origin: str) -> LoadedData:
    tables = CanonicalTables.read_dir(folder)
    truth_path = tables.extras.get("truth")
    truth = pd.read_parquet(truth_path) if truth_path else None
    return LoadedData(tables, origin, truth, details={"folder": str(folder)})


def _checked_folder(config: PipelineConfig, folder: Path, origin: str,
                    work: Path) -> LoadedData:
    """A folder of canonical tables, through the same validation and load report as
    a mapping; the report and rejects file go to ``work/data-checked``.

    When rows are set aside the checked tables are written there too and used.
    """
    from earlysignal.data import validate_folder

    extract = config.label.followup.extract_date
    tables, report = validate_folder(
        folder, extract_date=extract, earliest_date=config.data.earliest_date,
        max_set_aside=config.data.max_set_aside,
        settings="the data: section of the config")
    out = work / "data-checked"
    paths = report.write(out)
    if any(s.set_aside for s in report.sources) and config.data.pseudonymise:
        # raw ids must not reach the run folder: the pseudonymising step writes them
        truth = tables.extras.get("truth")
        loaded = LoadedData(tables, origin, pd.read_parquet(truth) if truth else None,
                            details={"folder": str(folder)})
    elif any(s.set_aside for s in report.sources):
        tables.write_dir(out)
        for extra in tables.extras.values():
            (out / extra.name).write_bytes(extra.read_bytes())
        loaded = _folder(out, origin=origin)
    else:
        loaded = _folder(folder, origin=origin)
    loaded.load_report = report
    loaded.details["load_report"] = str(paths["report"])
    return loaded


def _synth(settings: dict[str, Any], folder: Path) -> LoadedData:
    from earlysignal.data.synth import SynthConfig, write_cohort

    # YAML reads 2016-09-01 as a date; str() keys it as the generator reads it
    key = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str)
                         .encode()).hexdigest()
    stamp = folder / ".synth-settings"
    if not (stamp.exists() and stamp.read_text() == key
            and (folder / "people.parquet").exists()):
        knobs = {k: v for k, v in settings.items() if k != "options"}
        write_cohort(SynthConfig(**knobs, **settings.get("options", {})), folder)
        stamp.write_text(key)
    loaded = _folder(folder, origin="synthetic cohort")
    loaded.details["synth"] = settings
    return loaded


def _mapping(mapping: Path, folder: Path) -> LoadedData:
    from earlysignal.data import load_mapping

    tables, report = load_mapping(mapping)
    tables.write_dir(folder)
    paths = report.write(folder)
    loaded = _folder(folder, origin=f"mapping {mapping}")
    loaded.load_report = report
    loaded.details["load_report"] = str(paths["report"])
    return loaded
