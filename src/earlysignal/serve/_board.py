"""The ethics report's section on practitioners' judgements: the people a run
showed, their latest judgements from the service's database, their groups as of
the run's date and, when given, their outcomes from a later run or file; then
:func:`earlysignal.serve._feedback.feedback` computes what is published."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.errors import DataError
from earlysignal.present import label
from earlysignal.serve import _data
from earlysignal.serve._feedback import feedback
from earlysignal.serve._settings import DB_FILE, ServeError

__all__ = ["read_outcomes", "review_feedback", "shown_people"]


def shown_people(run: Any) -> tuple[pd.DataFrame, list[str]]:
    """One row per person in the run's caseload: ``person_id``, ``band``,
    ``team`` and each audited characteristic as of the caseload's date."""
    cl = _data.caseload(run)
    attrs = _data.fairness_groups(run)
    people = cl[["person_id", "band", "team"]].copy()
    people["band"] = people["band"].astype(str)
    if run.tables is None or not attrs or not len(cl):
        return people, []
    groups = _data.as_of_groups(run.tables["characteristics"], people["person_id"],
                                attrs, pd.Timestamp(cl["as_of"].max()))
    return people.merge(groups, on="person_id", how="left"), attrs


def read_outcomes(path: str | Path, as_of: pd.Timestamp) -> pd.DataFrame:
    """Known outcomes at the run's date: ``person_id`` and ``outcome`` (0/1).

    ``path`` is a later run folder (its ``scores.parquet``, whose ``label`` is
    known for as-of dates whose follow-up has ended) or a Parquet or CSV file
    with ``person_id``, ``label`` and optionally ``as_of``. Rows at other dates
    are ignored; a person with several rows at the date counts once, with the
    outcome if any row has it.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "outcomes.csv"
    >>> _ = f.write_text("person_id,as_of,label\\nA,2023-09-01,1\\nA,2023-03-01,0\\n"
    ...                  "B,2023-09-01,0\\n")
    >>> read_outcomes(f, pd.Timestamp("2023-09-01")).values.tolist()
    [['A', 1.0], ['B', 0.0]]
    >>> _ = f.write_text("person_id,outcome\\nA,1\\n")
    >>> read_outcomes(f, pd.Timestamp("2023-09-01"))
    Traceback (most recent call last):
    ...
    earlysignal.errors.DataError: ...outcomes.csv, column 'label': no column 'label' (columns: person_id, outcome). Fix: give a run folder (its scores.parquet) or a file with person_id, label (0 or 1) and as_of
    """
    p = Path(path)
    file = p / "scores.parquet" if p.is_dir() else p
    if not file.exists():
        raise DataError("not found", file=str(file), fix="give a later run folder "
                        "(it has scores.parquet) or a Parquet or CSV file of outcomes")
    df = pd.read_csv(file) if file.suffix.lower() == ".csv" else pd.read_parquet(file)
    fix = ("give a run folder (its scores.parquet) or a file with person_id, label "
           "(0 or 1) and as_of")
    for col in ("person_id", "label"):
        if col not in df.columns:
            raise DataError(f"no column '{col}' (columns: {', '.join(map(str, df.columns))})",
                            file=str(file), column=col, fix=fix)
    y = pd.to_numeric(df["label"], errors="coerce")
    bad = df.index[y.notna() & ~y.isin([0, 1]) | (df["label"].notna() & y.isna())]
    if len(bad):
        raise DataError("outcomes must be 0 or 1 (or empty when not known)",
                        file=str(file), column="label",
                        rows=[int(i) + 1 for i in bad], fix=fix)
    df = df.assign(person_id=df["person_id"].astype(str), outcome=y)
    if "as_of" in df.columns:
        df = df[pd.to_datetime(df["as_of"]) == as_of]
    df = df.dropna(subset=["outcome"])
    return (df.groupby("person_id", sort=True)["outcome"].max().astype(float)
            .reset_index())


def _database_exists(db: str | None, run_dir: Path) -> None:
    if db is None and not (run_dir / DB_FILE).exists():
        raise ServeError(f"{run_dir / DB_FILE}: not found, so there are no reviews "
                         "of this run to report. Fix: serve the run (`earlysignal "
                         "serve RUN`) and let practitioners record judgements, or "
                         "give the service's database with --db URL")


def review_feedback(run_dir: str | Path, db: str | None = None,
                    outcomes: str | Path | None = None, *, n_boot: int = 1000,
                    seed: int = 0) -> dict[str, Any]:
    """The section's plain data for the run at ``run_dir`` from the service's
    database (``db``, default the run folder's) and, optionally, outcomes.

    Raises
    ------
    ServeError
        When there is no database or the run was never published in it.
    DataError
        When the outcomes file cannot be used.
    """
    from earlysignal.serve._service import open_database

    run_dir = Path(run_dir)
    _database_exists(db, run_dir)
    open_database(db, run_dir)
    # the models can be imported only once the framework is configured
    from earlysignal.serve.models import Judgement, Run
    published = Run.objects.filter(path=str(run_dir.resolve())).first()
    if published is None:
        raise ServeError(f"run '{run_dir}' was never published in the review "
                         "service's database, so nobody reviewed it there. Fix: "
                         "serve it (`earlysignal serve RUN`), or give the "
                         "database that served it with --db URL")
    folder = _data.open_run(run_dir)
    df, attrs = shown_people(folder)
    rows = list(Judgement.objects.filter(run=published).order_by(
        "person_id", "-recorded_at", "-id").values("person_id", "agreement"))
    latest = pd.DataFrame(rows, columns=["person_id", "agreement"]).drop_duplicates(
        "person_id")
    df = df.merge(latest, on="person_id", how="left")
    if outcomes is not None:
        as_of = pd.Timestamp(_data.caseload(folder)["as_of"].max())
        known = read_outcomes(outcomes, as_of)
        df = df.merge(known, on="person_id", how="left")
    fair = ((folder.fairness or {}).get("summary") or {}).get("settings") or {}
    cfg = folder.config.get("fairness") or {}
    outcome, _ = folder.outcome_words()
    pop = folder.population
    result = feedback(
        df, ["band", "team", *attrs], ["team", *attrs],
        bands=[str(b["name"]) for b in folder.bands or []],
        words={"people": pop.people, "outcome": outcome,
               "label": lambda g: "team" if g == "team" else pop.characteristic(g)},
        min_cell=int(cfg.get("min_cell", fair.get("min_cell", 10))),
        n_boot=n_boot, seed=seed,
        band=tuple(fair.get("band") or (0.8, 1.25)),  # type: ignore[arg-type]
        alpha=float(fair.get("alpha", 0.05)))
    names = {"overall": "Everyone", "band": "Band", "team": "Team",
             **{a: pop.characteristic(a) for a in attrs}}
    return {**result, "run": published.name, "as_of": published.as_of,
            "group_labels": {k: names.get(k, label(k)) for k in result["group_by"]},
            "outcomes_from": str(outcomes) if outcomes is not None else ""}
