"""The service's commands: ``serve``, ``users add`` and ``audit-log verify``.

Registered on the main command by :mod:`earlysignal.cli`; each only parses and
calls :mod:`._service`.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from earlysignal.serve._settings import ServeError

__all__ = ["audit_app", "runs_app", "serve", "users_app"]

err = Console(stderr=True)
users_app = typer.Typer(help="Users of the review service.", no_args_is_help=True)
audit_app = typer.Typer(help="The review service's audit log.", no_args_is_help=True)
runs_app = typer.Typer(help="Runs published in the review service.",
                       no_args_is_help=True)

DbOpt = Annotated[str | None, typer.Option(
    "--db", help="Database URL: postgresql://USER:PASSWORD@HOST:PORT/NAME (needs "
    "the postgres extra) or sqlite:///PATH; default RUN/review.sqlite3.")]
RunArg = Annotated[Path | None, typer.Argument(
    help="The run folder (its review.sqlite3 is the default database).")]


def serve(run: Annotated[Path, typer.Argument(help="The run folder to serve.")],
          db: DbOpt = None,
          port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")
                          ] = 8000,
          workers: Annotated[int, typer.Option(
              "--workers", min=1, help="Processes building pages: 1 is one threaded "
              "process; more are worker processes, one page at a time each, "
              "sharing the run read once.")] = 1) -> None:
    """Serve a run's caseload and summaries behind a login on 127.0.0.1.

    The first start creates the database and its tables. Add users with
    `earlysignal users add`.

    Example: earlysignal serve reports/demo --port 8000 --workers 2
    """
    from earlysignal.serve import _service

    _service.open_database(db, run)
    published = _service.publish_on_start(run, by=getpass.getuser())
    err.print(f"Serving run {published.name} (as of {published.as_of}).")
    if workers > 1:
        from earlysignal.serve._workers import serve_workers

        serve_workers(run, port, workers, announce=err.print)
    else:
        _service.start(port, announce=err.print)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user name to sign in with.")],
    role: Annotated[str, typer.Option("--role", help="practitioner, team_manager, "
                                      "ethics_reviewer or administrator.")],
    run: RunArg = None,
    team: Annotated[list[str] | None, typer.Option(
        "--team", help="A team, as the run's 'team' column names it; repeat for "
        "several.")] = None,
    db: DbOpt = None,
) -> None:
    """Add a user with a role and teams. The password is read from
    EARLYSIGNAL_PASSWORD, else asked for (never given on the command line).

    Example: earlysignal users add asha --role practitioner --team North reports/demo
    """
    from earlysignal.serve import _service

    _service.open_database(db, run)
    if run is not None:
        _service.publish(run, by=getpass.getuser())
    password = os.environ.get(_service.PASSWORD_ENV)
    if not password:
        password = typer.prompt(f"Password for {name}", hide_input=True,
                                confirmation_prompt=True)
    user = _service.add_user(name, role, team or [], password)
    err.print(f"Added {user.username}: {role}"
              + (f", teams {', '.join(team)}" if team else ", no team"))


@runs_app.command("publish")
def runs_publish(
    run: Annotated[Path, typer.Argument(help="The newer run folder to publish.")],
    as_user: Annotated[str, typer.Option(
        "--as", help="The team manager or administrator publishing it (logged).")],
    db: DbOpt = None,
    allow_older: Annotated[bool, typer.Option(
        "--allow-older", help="Publish a run scored before the current one.")
    ] = False,
) -> None:
    """Make a newer run the one the service shows; earlier judgements stay with
    each person, and their pages say when the band has changed since. Logged in
    the audit log. The database defaults to the new run's review.sqlite3, so a
    service that keeps serving gives its database with --db.

    Example: earlysignal runs publish reports/demo-2024 --as manager --db sqlite:///review.sqlite3
    """
    from earlysignal.serve import _service

    _service.open_database(db, run)
    published = _service.publish_as(run, as_user, allow_older=allow_older)
    typer.echo(f"Published run {published.name} (as of {published.as_of}) as "
               f"{as_user}; every page now comes from it.")


@audit_app.command("verify")
def audit_verify(run: RunArg = None, db: DbOpt = None) -> None:
    """Check the audit log's hash chain; exit 1 when an entry was edited, removed
    or inserted.

    Example: earlysignal audit-log verify reports/demo
    """
    from earlysignal.serve import _service

    _service.open_database(db, run)
    check = _service.verify_log()
    if not check.ok:
        raise ServeError(check.sentence() + " Fix: restore the database from a "
                         "backup and find out who changed it")
    typer.echo(check.sentence())
