"""Reading a finished run back: its tables, model and one person's explanation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, cast

import joblib
import pandas as pd

from earlysignal.data import CanonicalTables
from earlysignal.errors import DataError
from earlysignal.features import read_feature_matrix


def run_tables(run_dir: str | Path) -> CanonicalTables:
    """The canonical tables a run was built from (its recorded folder, else
    ``RUN/data``)."""
    run_dir = Path(run_dir)
    info = json.loads((run_dir / "run.json").read_text())
    folder = info.get("data", {}).get("folder")
    if not folder and (run_dir / "data" / "people.parquet").exists():
        return CanonicalTables.read_dir(run_dir / "data")
    if not folder:
        raise DataError("names no data folder in run.json", file=str(run_dir),
                        fix="re-run the pipeline; its data step records the folder")
    return CanonicalTables.read_dir(folder)


def _who_was_scored(matrix: pd.DataFrame, person: str, when: pd.Timestamp) -> str:
    """Which dates and people the run can explain, for an error's fix."""
    dates = sorted(matrix["as_of"].dt.date.unique())
    theirs = matrix.loc[matrix["person_id"] == person, "as_of"].dt.date.tolist()
    at = sorted(matrix.loc[matrix["as_of"] == when, "person_id"].astype(str))
    span = (f"the run scored {len(dates)} dates, {dates[0]} to {dates[-1]}"
            if dates else "the run scored no one")
    if theirs:
        return (f"{person} was scored on {', '.join(map(str, theirs))}: pass one of "
                f"them with --as-of; {span}")
    shown = ", ".join(at[:5]) + (f" and {len(at) - 5:,} more" if len(at) > 5 else "")
    return (f"{person} is not in this run's cohort; people scored at {when.date()} "
            f"include {shown}; {span}")


def explain_run_person(run_dir: str | Path, person: str, as_of: date | None) -> str:
    """One person's reasons at an as-of date of a run, as plain text.

    "Typical" values are taken among everyone scored at the same date.
    """
    from earlysignal.explain import explain, format_reasons
    from earlysignal.model import model_inputs

    run_dir = Path(run_dir)
    for need in ("model.joblib", "features/features.parquet"):
        if not (run_dir / need).exists():
            raise DataError(f"has no {need}", file=str(run_dir),
                            fix="pass a run folder written by `earlysignal run` "
                                "or `earlysignal train`")
    matrix, metadata = read_feature_matrix(run_dir / "features")
    when = pd.Timestamp(as_of) if as_of else matrix["as_of"].max()
    rows = matrix.loc[matrix["as_of"] == when].reset_index(drop=True)
    if not (rows["person_id"] == person).any():
        raise DataError(f"person '{person}' was not scored at {when.date()}",
                        file=str(run_dir), column="person_id",
                        fix=_who_was_scored(matrix, person, when))
    model = joblib.load(run_dir / "model.joblib")
    used = model_inputs(cast(Any, metadata))
    cols = ["person_id", "as_of", *[c for c in used if c in rows.columns]]
    ex = explain(model, rows[cols], metadata, tables=run_tables(run_dir))
    score = float(ex.scores.loc[ex.scores.index[rows["person_id"] == person][0],
                                "shown_probability"])
    head = (f"{person} at {when.date()}: estimated risk {score:.1%}, baseline "
            f"{ex.base_probability:.1%}; a point is one percentage point of this "
            "risk, and a person's points add up to the risk minus the baseline")
    return head + "\n" + format_reasons(ex.reasons(person, when))
