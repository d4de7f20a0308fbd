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
        dates = matrix.loc[matrix["person_id"] == person, "as_of"].dt.date.tolist()
        hint = (f"they were scored on {', '.join(map(str, dates))}" if dates
                else "they are not in this run's cohort")
        raise DataError(f"person '{person}' was not scored at {when.date()}",
                        file=str(run_dir), column="person_id",
                        fix=f"choose another date or person; {hint}")
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
