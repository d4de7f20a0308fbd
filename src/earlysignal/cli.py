"""The ``earlysignal`` command: parse arguments, call the public API, print with rich.

Exit codes: 0 ok, 1 a user error (with a message saying what and how to fix it),
2 a usage error (bad arguments), 3 a run whose model scored above the oracle on
synthetic data (leakage suspected; ``--allow-above-oracle`` accepts it).
"""

from __future__ import annotations

import sys
import warnings
from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast

import pandas as pd
import typer
from rich.console import Console
from rich.text import Text

from earlysignal.errors import EarlysignalError, EarlysignalWarning
from earlysignal.serve._cli import audit_app, runs_app, users_app
from earlysignal.serve._cli import serve as _serve

app = typer.Typer(
    name="earlysignal",
    help="Early-warning risk modelling for children's services, schools and youth "
    "justice.\n\nStart with: earlysignal run pipelines/demo.yaml",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()

ConfigArg = Annotated[Path, typer.Argument(help="A pipeline config YAML file.")]
DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="A folder of canonical Parquet tables; replaces "
                 "the config's data section."),
]
RunOutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Run folder (default: the config's output, else "
                 "reports/NAME)."),
]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Recompute stages whose inputs are unchanged.")
]
IncludeOpt = Annotated[
    list[Path] | None,
    typer.Option("--allow-include-from", help="A further folder that include: in "
                 "the config may read from (default: only the config's own folder "
                 "tree); repeat for several."),
]


def _quarter_starts(start: str, end: str) -> list[str]:
    """The truth's dates: each quarter's first day (Sep, Dec, Mar, Jun) in the
    span, so that quarterly as-of schedules such as the demo's find the oracle."""
    try:
        days = pd.date_range(start, end, freq="QS-SEP")
    except ValueError:
        return []  # the generator's own check names the bad date
    return [d.date().isoformat() for d in days if d > pd.Timestamp(start)]


# The record span of pipelines/demo.yaml (data.synth.options.start and
# label.followup.extract_date); a test keeps them in step.
DEMO_START = "2016-09-01"
DEMO_END = "2024-08-31"


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the tables to.")],
    people: Annotated[int, typer.Option(help="Number of young people.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed; same seed, same bytes.")] = 7,
    attendance: Annotated[
        str, typer.Option(help="Attendance detail: termly or daily.")
    ] = "termly",
    csv: Annotated[
        bool, typer.Option("--csv", help="Also write messy CSV exports and a mapping.")
    ] = False,
    agencies: Annotated[
        bool, typer.Option("--agencies", help="Also write each agency's own extract "
                           "(local ids, names with errors) to OUT/agencies, and the "
                           "true person of each record to OUT/link_truth.csv.")
    ] = False,
    start: Annotated[
        str, typer.Option(help="First month of the records (YYYY-MM-01); the demo's.")
    ] = DEMO_START,
    end: Annotated[
        str, typer.Option(help="Last day of the records, the extract date (YYYY-MM-DD).")
    ] = DEMO_END,
    population_end: Annotated[
        str | None, typer.Option(
            help="End of the span whose pupils make up the cohort (default: --end). "
                 "Keep it and move --end later for a later extract of the same "
                 "cohort.")
    ] = None,
) -> None:
    """Generate the synthetic multi-agency cohort as canonical Parquet tables.

    Writes people, events, episodes, periods, characteristics and truth (each
    person's true risk) as Parquet. The default record span is the demo's
    (pipelines/demo.yaml), so the two can be used together.

    Example: earlysignal synth --people 2000 --seed 7 --out data/synth

    A later extract of that cohort, a year on (the same people and records up to
    2024-08-31, plus the year since):
    earlysignal synth --people 2000 --seed 7 --end 2025-08-31
    --population-end 2024-08-31 --out data/synth-2025
    """
    from earlysignal.data.synth import SynthConfig, write_cohort

    if attendance not in ("termly", "daily"):
        raise typer.BadParameter("use termly or daily", param_hint="--attendance")
    config = SynthConfig(people=people, seed=seed, start=start, end=end,
                         population_end=population_end,
                         as_of_dates=_quarter_starts(start, end),
                         attendance="daily" if attendance == "daily" else "termly")
    with console.status(f"generating {people:,} young people"):
        paths = write_cohort(config, out_dir)
    for name, path in paths.items():
        out.print(f"  {name:<16} {path}")
    if csv:
        from earlysignal.data import CanonicalTables
        from earlysignal.data.synth import write_messy_exports

        mapping = write_messy_exports(CanonicalTables.read_dir(out_dir), out_dir / "csv")
        out.print(f"  messy CSV exports and their mapping: {mapping}")
    if agencies:
        from earlysignal.data.synth._agencies import write_cohort_agencies

        mapping = write_cohort_agencies(out_dir, seed=seed)
        out.print(f"  agencies' extracts and their mapping: {mapping}")
        out.print(f"  true person of each record: {out_dir / 'link_truth.csv'}")


@app.command()
def validate(
    mapping: Annotated[Path, typer.Argument(help="A source-mapping YAML file.")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the canonical tables here as Parquet."),
    ] = None,
) -> None:
    """Load your own data through a source mapping, validate it, print a load report.

    Every input row is counted: used, or set aside with the reason.

    Example: earlysignal validate my-council/mapping.yaml --out data/canonical
    """
    from earlysignal.data import load_mapping

    _check_folder(out_dir, "--out")
    tables, report = load_mapping(mapping)
    out.print(report.to_rich())
    if out_dir is not None:
        tables.write_dir(out_dir)
        paths = report.write(out_dir)
        out.print(f"canonical tables written to {out_dir}; load report "
                  f"{paths['report']}, set-aside lines {paths['rejects']}")
    elif report.rejects is not None and len(report.rejects):
        out.print(f"{len(report.rejects):,} set-aside lines: add --out DIR to write "
                  "them to DIR/rejects.csv beside the load report")


@app.command()
def features(
    config: ConfigArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the matrix.")],
    data: DataOpt = None,
    engine: Annotated[
        str | None, typer.Option(help="duckdb or spark; overrides the config.")
    ] = None,
    include_from: IncludeOpt = None,
) -> None:
    """Build the leakage-safe feature matrix (with labels) for a pipeline config.

    Writes OUT/features.parquet (person_id, as_of, features, label columns) and
    OUT/features.meta.json (what each column means, who was scored and why not).

    Example: earlysignal features pipelines/demo.yaml --data data/synth --out data/features
    """
    from earlysignal.pipeline import Progress, features_stage, load_config, load_data

    cfg = load_config(config, include_roots=tuple(include_from or ()))
    if engine not in (None, "duckdb", "spark"):
        raise typer.BadParameter("use duckdb or spark", param_hint="--engine")
    loaded = load_data(cfg, data_dir=data, work_dir=out_dir)
    progress = Progress(console)
    with progress.running(), progress.stage("features"):
        matrix = features_stage(cfg, loaded, out_dir, progress, engine=engine)
    summary = matrix.summary()
    out.print(f"{summary['rows']:,} rows x {summary['features']} features "
              f"written to {matrix.path}")
    for line in matrix.cohort.summary():
        out.print(f"  cohort: {line}")
    out.print(f"  labels: {matrix.labels.counts}")
    out.print(f"  temporal integrity: {summary['integrity_rows_checked']} rows "
              "recomputed from truncated data, all identical")


@app.command()
def timeline(
    person: Annotated[str, typer.Argument(help="The (pseudonymous) person id.")],
    data: Annotated[Path, typer.Option(help="A folder of canonical Parquet tables.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show what was known before this "
                                 "date (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Print one person's merged timeline across every source, up to a date.

    Example: earlysignal timeline P0000123 --data data/synth --as-of 2022-09-01
    """
    from rich.table import Table

    from earlysignal.data import CanonicalTables
    from earlysignal.features import timeline as build_timeline

    until = _parse_date(as_of, "--as-of") if as_of else None
    tables = CanonicalTables.read_dir(data)
    tl = build_timeline(tables, person, until=until)
    title = f"Timeline of {person}" + (f" before {until}" if until else "")
    table = Table(title=title)
    for col in ("date", "source", "description", "known by then"):
        table.add_column(col)
    for row in tl.itertuples():
        known = "yes" if getattr(row, "known_by", True) else "recorded later"
        table.add_row(str(pd.Timestamp(str(row.date)).date()), str(row.source),
                      str(row.description),
                      known)
    out.print(table)


@app.command()
def audit(
    scores: Annotated[Path, typer.Argument(help="A CSV or Parquet file of scores.")],
    score: Annotated[str, typer.Option(help="Column holding the score.")],
    label: Annotated[str, typer.Option(help="Column holding the observed outcome "
                                       "(0/1).")],
    group: Annotated[list[str], typer.Option(help="A protected-characteristic "
                                             "column; repeat for several.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the audit.")],
    threshold: Annotated[
        float | None, typer.Option(help="Select people whose score is at least this.")
    ] = None,
    top: Annotated[
        str | None, typer.Option(help="Select the top K people, or K% of them.")
    ] = None,
    intersection: Annotated[
        list[str] | None,
        typer.Option(help="Two or more group columns joined by commas, e.g. "
                     "sex,ethnicity; repeat for several."),
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="Column of periods/folds, for drift over time.")
    ] = None,
    reference: Annotated[
        str | None, typer.Option(help="Reference group (default: the largest).")
    ] = None,
    min_cell: Annotated[int, typer.Option(help="Suppress cells from fewer people.")] = 10,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    id: Annotated[
        str | None,
        typer.Option("--id", help="Person identifier column; intervals resample "
                     "people (default: person_id when the file has it)."),
    ] = None,
) -> None:
    """Audit any file of scores for bias: group error rates with intervals.

    Works on scores from any tool. Writes fairness.json, fairness.csv (tidy) and
    fairness.html, with small cells suppressed.

    Example: earlysignal audit scores.csv --score risk --label outcome
    --group sex --group ethnicity --top 5% --out audit/
    """
    from earlysignal.fairness import audit_file
    from earlysignal.pipeline import Progress

    if (threshold is None) == (top is None):
        raise typer.BadParameter("give exactly one of --threshold or --top",
                                 param_hint="--threshold/--top")
    progress = Progress(console)
    with progress.running(), progress.stage("audit") as step:
        result = audit_file(
            scores, score=score, label=label, groups=list(group), threshold=threshold,
            top=top, out_dir=out_dir, reference=reference,
            intersections=[c.split(",") for c in intersection or []], period=period,
            min_cell=min_cell, n_boot=n_boot, seed=seed, id=id, progress=step,
        )
    flagged = result.disparities
    n_flag = int(flagged["flagged"].sum()) if "flagged" in flagged else 0
    out.print(f"audit written to {out_dir} ({n_flag} disparities flagged; "
              f"{len(result.suppressed)} cells suppressed)")
    for note in result.notes:
        out.print(f"  - {note}")


@app.command()
def impact(
    run: Annotated[Path, typer.Argument(help="A run folder (holds scores.parquet).")],
    capacity: Annotated[str, typer.Option(help="Early-help places per as-of date: "
                                          "a count (200) or a share (5%).")],
    effect: Annotated[str, typer.Option(help="Relative risk reduction, central:low-"
                                        "high, e.g. 0.2:0.1-0.3.")],
    costs: Annotated[
        Path | None, typer.Option(help="Unit costs YAML (default: the documented "
                                  "defaults).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for impact.json and "
                                  "impact.html (default RUN/reports).")
    ] = None,
    effect_source: Annotated[
        str, typer.Option(help="assumed, or evaluated when the effect comes from an "
                          "evaluation of the intervention.")
    ] = "assumed",
    fair_group: Annotated[
        str | None, typer.Option(help="Group for the fairness-constrained strategy, "
                                 "e.g. ethnicity.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Monte Carlo seed.")] = 0,
) -> None:
    """Estimate what targeting would achieve at a team's real capacity.

    Compares the model's list with the rules in use, random choice and a
    fairness-constrained list at equal capacity, with Monte Carlo intervals, and
    projects demand on each service for the next three years.

    Example: earlysignal impact reports/demo --capacity 200 --effect 0.2:0.1-0.3
    """
    from earlysignal.impact import impact_for_run

    if effect_source not in ("assumed", "evaluated"):
        raise typer.BadParameter("use assumed or evaluated",
                                 param_hint="--effect-source")
    result = impact_for_run(run, capacity=capacity, effect=effect, costs=costs,
                            out_dir=out_dir, seed=seed,
                            effect_source=cast(Any, effect_source),
                            fair_group=fair_group)
    where = out_dir or run / "reports"
    out.print(f"impact report written to {where}")
    summary = result.summary()
    for line in summary.get("headline", [])[:6] if isinstance(summary, dict) else []:
        out.print(f"  - {line}")


AboveOracleOpt = Annotated[
    bool, typer.Option("--allow-above-oracle",
                       help="Exit 0 even when the model scores above the oracle on "
                       "synthetic data (otherwise exit 3: leakage suspected).")
]


@app.command()
def run(config: ConfigArg, data: DataOpt = None, out_dir: RunOutOpt = None,
        force: ForceOpt = False, allow_above_oracle: AboveOracleOpt = False,
        include_from: IncludeOpt = None) -> None:
    """Run a whole pipeline end to end: data, features, model, audit, reports.

    Example: earlysignal run pipelines/demo.yaml
    """
    _run_stages(config, data, out_dir, force, stages=None,
                allow_above_oracle=allow_above_oracle, include_from=include_from)


@app.command()
def train(config: ConfigArg, data: DataOpt = None, out_dir: RunOutOpt = None,
          force: ForceOpt = False, allow_above_oracle: AboveOracleOpt = False,
          include_from: IncludeOpt = None) -> None:
    """Build features, evaluate the model against baselines on temporal folds,
    train the final model and log it all to MLflow.

    Example: earlysignal train pipelines/demo.yaml
    """
    _run_stages(config, data, out_dir, force, stages=("features", "model",
                                                      "tracking"),
                allow_above_oracle=allow_above_oracle, include_from=include_from)


def _run_stages(config: Path, data: Path | None, out_dir: Path | None, force: bool,
                stages: tuple[str, ...] | None, allow_above_oracle: bool = False,
                include_from: list[Path] | None = None) -> None:
    from earlysignal.pipeline import STAGES, Progress, load_config, run_pipeline

    _check_folder(out_dir, "--out")
    cfg = load_config(config, include_roots=tuple(include_from or ()))
    progress = Progress(console)
    with progress.running():
        result = run_pipeline(cfg, data_dir=data, out=out_dir, force=force,
                              stages=stages or STAGES, progress=progress,
                              log=lambda m: console.print(Text(m), soft_wrap=True))
    _print_run(result)
    alarms = result.info.get("alarms") or []
    if alarms and not allow_above_oracle:
        for line in alarms:
            console.print("[bold red]alarm:[/]", Text(line), soft_wrap=True)
        console.print("The run folder is written; exit code 3 because the model "
                      "scored above the oracle. Find the leak, or pass "
                      "--allow-above-oracle to accept it.")
        raise typer.Exit(code=3)


@app.command()
def score(
    model: Annotated[str, typer.Option(help="runs:/RUN_ID/scorer, or a run folder.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Scoring date (YYYY-MM-DD).")],
    data: Annotated[Path, typer.Option(help="Canonical Parquet folder, a mapping "
                                       "YAML, or a feature matrix (.parquet).")],
    out_file: Annotated[Path, typer.Option("--out", help="Scores file (.parquet or "
                                           ".csv).")],
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: "
                                 "sqlite:///mlflow.db).")
    ] = None,
) -> None:
    """Score people with a logged model, using only what was known before a date.

    Data whose feature set does not match the model's is refused.

    Example: earlysignal score --model reports/demo --as-of 2024-03-01
    --data data/synth --out scores.parquet
    """
    from earlysignal.pipeline import score_people

    when = _parse_date(as_of, "--as-of")
    result = score_people(model, as_of=str(when), data=data, out=out_file,
                          tracking_uri=tracking_uri)
    out.print(f"{len(result):,} people scored at {when}; written to {out_file}")
    if "band" in result.columns:
        counts = result["band"].value_counts()
        out.print("  " + ", ".join(f"{b}: {n:,}" for b, n in counts.items()))
    warning = (result.attrs.get("band_shares") or {}).get("warning")
    if warning:
        out.print(Text(warning, style="yellow"))
    outside = int((result.get("population_note", pd.Series(dtype=str)) != "").sum())
    if outside:
        out.print(f"{outside:,} of them are outside the ages the model learned "
                  "from; their band is an extrapolation (column population_note)")


@app.command("explain")
def explain_person(
    run: Annotated[Path, typer.Argument(help="A run folder written by "
                                        "`earlysignal run`.")],
    person: Annotated[str, typer.Option(help="The (pseudonymous) person id.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The scoring date (default: the "
                                 "latest in the run).")
    ] = None,
) -> None:
    """Print the reasons behind one person's score, in plain language.

    Each reason is a factor family with the person's value, what is typical for
    their year group, and the records behind it.

    Example: earlysignal explain reports/demo --person P0001234 --as-of 2023-09-01
    """
    from earlysignal.pipeline import explain_run_person

    when = _parse_date(as_of, "--as-of") if as_of else None
    out.print(explain_run_person(run, person, when))


@app.command()
def report(
    run: Annotated[Path, typer.Argument(help="A run folder written by "
                                        "`earlysignal run`.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for the reports (default "
                                  "RUN/reports).")
    ] = None,
    max_people: Annotated[int, typer.Option(help="Practitioner summaries for this "
                                            "many of the highest-risk people.")] = 200,
    person: Annotated[
        list[str] | None, typer.Option(help="Also write this person's summary; "
                                       "repeat for several.")
    ] = None,
    reviews: Annotated[bool, typer.Option(
        "--reviews", help="Add practitioners' judgements from the review "
        "service's database to the ethics report.")] = False,
    db: Annotated[str | None, typer.Option(
        "--db", help="The review service's database URL (default "
        "RUN/review.sqlite3); with --reviews.")] = None,
    outcomes: Annotated[Path | None, typer.Option(
        "--outcomes", help="A later run folder, or a file of person_id, as_of, "
        "label: whether overridden people went on to the outcome; with "
        "--reviews.")] = None,
) -> None:
    """Render every report of a run: practitioner summaries, caseload, ethics-board
    report with model card, data-scientist report.

    Example: earlysignal report reports/demo --out reports/demo/html --reviews
    """
    from earlysignal.report import render_reports

    if (db or outcomes) and not reviews:
        raise typer.BadParameter("needs --reviews", param_hint="--db/--outcomes")
    feedback = None
    if reviews:
        from earlysignal.serve import review_feedback

        feedback = review_feedback(run, db, outcomes)
    pages = render_reports(run, out_dir, max_people=max_people, people=person or (),
                           reviews=feedback)
    where = out_dir or run / "reports"
    out.print(f"{len(pages)} pages written to {where}")
    for key in ("index", "caseload", "ethics", "data_science"):
        if key in pages:
            out.print(f"  {key:<13} {pages[key]}")


def _print_run(result: Any) -> None:
    from rich.table import Table

    table = Table(title="Stages")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage, secs in result.timings.items():
        reused = " (reused)" if stage in result.reused else ""
        table.add_row(stage + reused, f"{secs:.1f}")
    out.print(table)
    out.print(f"run folder: {result.run_dir}")
    for key in ("index", "caseload", "ethics", "data_science"):
        if key in result.reports:
            out.print(f"  {key:<13} {result.reports[key]}")
    tracking = result.info.get("tracking")
    if tracking:
        # soft_wrap: the command must stay on one line to work when pasted
        out.print(f"MLflow run {tracking['run_id']}; open the UI with:\n  "
                  f"{tracking['ui_command']}", soft_wrap=True)


def _check_folder(path: Path | None, option: str) -> None:
    if path is not None and path.exists() and not path.is_dir():
        raise typer.BadParameter(f"'{path}' is an existing file; give a folder",
                                 param_hint=option)


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise typer.BadParameter(
            f"'{text}' is not a date; use YYYY-MM-DD", param_hint=option
        ) from e


from earlysignal._monitor_cli import monitor_command  # noqa: E402

app.command("monitor")(monitor_command)


def _show_warning(message: Any, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    if issubclass(category, EarlysignalWarning):
        console.print("[bold yellow]warning:[/]", Text(str(message)), soft_wrap=True)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


# the review service's commands live in their own module
app.command("serve")(_serve)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit-log")
app.add_typer(runs_app, name="runs")


def main() -> None:
    """Entry point of the console script: turn our errors into a message and exit 1."""
    # our own warnings read as a sentence, not as a line of source code
    warnings.showwarning = _show_warning
    try:
        app()  # standalone: usage errors print help and exit 2
    except EarlysignalError as e:
        console.print("[bold red]error:[/]", Text(str(e)), soft_wrap=True)
        sys.exit(1)
    except OSError as e:  # a path the user gave: missing, a file for a folder, denied
        where = f": {e.filename}" if e.filename else ""
        console.print("[bold red]error:[/]", Text(f"{e.strerror or e}{where}. Fix: "
                      "check the path and that you may read and write there"),
                      soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
