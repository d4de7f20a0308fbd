"""The data step of a pipeline: synthetic cohort, source mapping or Parquet folder.

When ``data.pseudonymise`` is on, person ids are replaced by keyed pseudonyms in
memory, before any table is written: nothing in the run folder (nor what tracking
copies from it) ever holds an id as it arrived. Whether and how that was done is
recorded as the run's privacy facts, from which the reports word what they say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.data import CanonicalTables, Pseudonymiser
from earlysignal.data._pseudonym import METHOD
from earlysignal.pipeline._config import PipelineConfig

#: The form of a pseudonym made by :class:`~earlysignal.data.Pseudonymiser`.
_PSEUDONYM_FORM = re.compile(r"p_[0-9a-f]{16}")


@dataclass
class LoadedData:
    """Canonical tables for a run, plus what is known about where they came from.

    ``truth`` is the synthetic cohort's true risk (None for real data); ``load_report``
    is the mapping's load report (None when the data was already canonical);
    ``privacy`` says whether and how person ids were pseudonymised (never the key).
    """

    tables: CanonicalTables
    origin: str
    truth: pd.DataFrame | None = None
    load_report: Any = None
    details: dict[str, Any] = field(default_factory=dict)
    privacy: dict[str, Any] = field(default_factory=dict)


def load_data(
    config: PipelineConfig, *, data_dir: str | Path | None = None,
    work_dir: str | Path | None = None,
) -> LoadedData:
    """The run's canonical tables: ``data_dir`` when given, else the config's source.

    A synthetic cohort is written once to ``work_dir/data`` and reused while its
    settings (and the pseudonym key) are unchanged; a mapping's tables are loaded,
    validated and written there as Parquet so that engines can read them straight
    from disk. With ``data.pseudonymise`` every table is pseudonymised before it is
    written, and a folder's tables are written pseudonymised to ``work_dir/data``.
    """
    work = Path(work_dir) if work_dir is not None else config.run_dir
    # the key first: a missing key stops the run before any data is read
    pseudo = _pseudonymiser(config) if config.data.pseudonymise else None
    return _load(config, data_dir, work, pseudo)


def _pseudonymiser(config: PipelineConfig) -> Pseudonymiser:
    key_file = config.resolve(config.data.key_file) if config.data.key_file else None
    return Pseudonymiser.from_environment(key_file=key_file, origin="data")


def _load(config: PipelineConfig, data_dir: str | Path | None, work: Path,
          pseudo: Pseudonymiser | None) -> LoadedData:
    if data_dir is not None:
        return _folder_route(config, Path(data_dir), f"folder {data_dir}", work,
                             pseudo)
    src = config.data
    if src.folder:
        return _folder_route(config, config.resolve(src.folder),
                             f"folder {src.folder}", work, pseudo)
    if src.mapping:
        return _mapping(config.resolve(src.mapping), work / "data", pseudo,
                        config if config.linkage is not None else None)
    assert src.synth is not None
    settings = src.synth.model_dump()
    dates = getattr(config.cohort.as_of, "dates", None)
    if callable(dates) and "as_of_dates" not in settings["options"]:
        # the truth (each person's true risk) at exactly the dates the cohort scores
        settings["options"] = {**settings["options"], "as_of_dates": [
            str(d.date()) for d in dates()], "horizon": config.label.horizon}
    return _synth(settings, work / "data", pseudo)


def _facts(route: str, pseudo: Pseudonymiser | None, **more: Any) -> dict[str, Any]:
    """The privacy facts of a run (see :func:`load_data`)."""
    if pseudo is None:
        return {"pseudonymised": False, "route": route, **more}
    return {"pseudonymised": True, **pseudo.facts(), "route": route,
            "by": "pipeline", **more}


def _pseudonymise(frames: dict[str, pd.DataFrame], pseudo: Pseudonymiser
                  ) -> dict[str, pd.DataFrame]:
    return {name: df.assign(person_id=pseudo(df["person_id"]))
            for name, df in frames.items()}


def _write(frames: dict[str, pd.DataFrame], folder: Path) -> None:
    """Write the run's own data folder, leaving no earlier table behind in it (a
    stale table from an earlier run could hold ids as they arrived)."""
    written = CanonicalTables.from_frames(
        {k: v for k, v in frames.items() if k != "truth"}).write_dir(folder)
    (folder / "truth.parquet").unlink(missing_ok=True)
    if "truth" in frames:
        frames["truth"].to_parquet(folder / "truth.parquet", index=False)
    keep = {p.name for p in written.values()} | {"truth.parquet"}
    for old in folder.glob("*.parquet"):
        if old.name not in keep:
            old.unlink()


def _read(folder: Path, *, origin: str) -> LoadedData:
    tables = CanonicalTables.read_dir(folder)
    truth_path = tables.extras.get("truth")
    truth = pd.read_parquet(truth_path) if truth_path else None
    return LoadedData(tables, origin, truth, details={"folder": str(folder)})


def _folder_route(config: PipelineConfig, folder: Path, origin: str, work: Path,
                  pseudo: Pseudonymiser | None) -> LoadedData:
    """A folder of canonical tables, through the same validation and load report as
    a mapping (report and rejects file in ``work/data-checked``, never an id).

    With pseudonymisation the checked tables are pseudonymised in memory and
    written to ``work/data``; otherwise they are read where they are, or from
    ``work/data-checked`` when rows were set aside.
    """
    from earlysignal.data import validate_folder

    tables, report = validate_folder(
        folder, extract_date=config.label.followup.extract_date,
        earliest_date=config.data.earliest_date,
        max_set_aside=config.data.max_set_aside,
        settings="the data: section of the config")
    checked = work / "data-checked"
    paths = report.write(checked)
    truth = tables.extras.get("truth")
    if pseudo is not None:
        frames = {name: tables[name] for name in tables}
        if truth:
            frames["truth"] = pd.read_parquet(truth)
        _write(_pseudonymise(frames, pseudo), work / "data")
        loaded = _read(work / "data", origin=f"{origin}, pseudonymised")
        loaded.privacy = _facts("folder", pseudo)
    else:
        if any(s.set_aside for s in report.sources):
            tables.write_dir(checked)
            for extra in tables.extras.values():
                (checked / extra.name).write_bytes(extra.read_bytes())
            folder = checked
        loaded = _read(folder, origin=origin)
        ids = loaded.tables["people"]["person_id"].dropna().astype(str)
        looks = bool(len(ids)) and bool(ids.str.fullmatch(_PSEUDONYM_FORM).all())
        loaded.privacy = _facts("folder", None, ids_look_pseudonymised=looks)
    loaded.load_report = report
    loaded.details["load_report"] = str(paths["report"])
    return loaded


def _synth(settings: dict[str, Any], folder: Path,
           pseudo: Pseudonymiser | None) -> LoadedData:
    from earlysignal.pipeline._cache import run_stage, stage_key, valid_manifest

    # YAML reads 2016-09-01 as a date; str() keys it as the generator reads it
    # the generator's own code too: a changed generator makes a changed cohort
    code = _generator_digest()
    key = stage_key(settings, code)
    if pseudo is not None:
        # the pseudonym of a fixed text tells a changed key without holding it
        key = stage_key(settings, code, pseudo.one("earlysignal synthetic cohort"))
    # written aside and moved in, so a killed run never leaves a mix of cohorts
    if valid_manifest(folder.parent, "data", key) is None:
        run_stage(folder.parent, "data", key,
                  lambda tmp: _write_synth(settings, tmp / folder.name, pseudo))
    loaded = _read(folder, origin="synthetic cohort"
                   + (", pseudonymised" if pseudo is not None else ""))
    loaded.details["synth"] = settings
    loaded.privacy = _facts("synth", pseudo)
    return loaded


def _generator_digest() -> str:
    """A hash of the synthetic generator's source, so that a cohort made by an
    earlier version of it is never reused as if it were today's."""
    import hashlib
    from importlib import resources

    digest = hashlib.sha256()
    files = resources.files("earlysignal.data.synth")
    for name in sorted(f.name for f in files.iterdir() if f.name.endswith(".py")):
        digest.update(files.joinpath(name).read_bytes())
    return digest.hexdigest()


def _write_synth(settings: dict[str, Any], folder: Path,
                 pseudo: Pseudonymiser | None) -> None:
    from earlysignal.data.synth import SynthConfig, generate, write_cohort

    knobs = {k: v for k, v in settings.items() if k != "options"}
    config = SynthConfig(**knobs, **settings.get("options", {}))
    if pseudo is None:
        write_cohort(config, folder)  # chunk by chunk, in bounded memory
        return
    cohort = generate(config)
    frames = {name: cohort.tables[name] for name in cohort.tables}
    _write(_pseudonymise({**frames, "truth": cohort.truth}, pseudo), folder)


def _mapping(path: Path, folder: Path, pseudo: Pseudonymiser | None,
             linking: PipelineConfig | None = None) -> LoadedData:
    from earlysignal.data import SourceMapping, load_mapping

    mapping = SourceMapping.from_yaml(path)
    tables, report = load_mapping(mapping)
    frames = {name: tables[name] for name in tables}
    details: dict[str, Any] = {}
    if linking is not None:
        # agencies' local ids become linked people; identifiers end here, in memory
        from earlysignal.pipeline._linkage_stage import link_stage

        frames, details, facts = link_stage(linking, frames, pseudo, folder.parent)
    elif mapping.pseudonymise:
        # the mapping's own switch already pseudonymised them; twice would give
        # pseudonyms that `earlysignal validate` on the same mapping does not
        facts = {"pseudonymised": True, "method": METHOD, "key_source":
                 "key file" if mapping.key_file is not None else "environment",
                 "route": "mapping", "by": "mapping"}
    else:
        facts = _facts("mapping", pseudo)
        if pseudo is not None:
            frames = _pseudonymise(frames, pseudo)
    _write(frames, folder)
    paths = report.write(folder)
    loaded = _read(folder, origin=f"mapping {path}")
    loaded.load_report, loaded.privacy = report, facts
    loaded.details["load_report"] = str(paths["report"])
    loaded.details.update(details)
    return loaded
