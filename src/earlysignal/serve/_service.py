"""What the commands do: publish a run, add a user, start the server, verify the
audit log. Each configures Django for the chosen database first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from earlysignal.serve._settings import ServeError, configure, migrate

__all__ = ["PASSWORD_ENV", "PUBLISHERS", "ROLE_NAMES", "add_user", "open_database",
           "publish", "publish_as", "publish_on_start", "start", "verify_log"]

#: Roles that may publish a newer run.
PUBLISHERS = ("team_manager", "administrator")

PASSWORD_ENV = "EARLYSIGNAL_PASSWORD"
ROLE_NAMES = ("practitioner", "team_manager", "ethics_reviewer", "administrator")


def open_database(db: str | None, run_dir: str | Path | None, **overrides: Any
                  ) -> dict[str, Any]:
    """Configure Django for the database and create or migrate its tables."""
    if db is None and run_dir is None:
        raise ServeError("which database? Fix: give the run folder (its "
                         "review.sqlite3) or --db URL")
    if run_dir is not None and not (Path(run_dir) / "run.json").exists():
        raise ServeError(f"{Path(run_dir) / 'run.json'}: not found; '{run_dir}' is "
                         "not a run folder. Fix: pass the folder that `earlysignal "
                         "run CONFIG` wrote")
    settings = configure(db, run_dir, **overrides)
    migrate()
    return settings


def publish(run_dir: str | Path, by: str = "") -> Any:
    """Register a run folder as the service's current run (idempotent: a run
    published again becomes current again)."""
    from django.utils import timezone

    from earlysignal.serve import _data
    from earlysignal.serve.models import Run, Team

    folder = _data.open_run(run_dir)
    cl = _data.caseload(folder)
    as_of = f"{cl['as_of'].max():%Y-%m-%d}" if len(cl) else ""
    run, _ = Run.objects.update_or_create(
        path=str(Path(run_dir).resolve()),
        defaults={"name": folder.name, "model_version": folder.model_version,
                  "extract_date": folder.extract_date, "as_of": as_of,
                  "published_by": by})
    Run.objects.filter(pk=run.pk).update(published_at=timezone.now())
    for team in sorted(set(cl["team"]) - {""}):
        Team.objects.get_or_create(name=team)
    return run


def publish_as(run_dir: str | Path, username: str, *, client: str = "command line",
               allow_older: bool = False) -> Any:
    """Publish a run on behalf of a team manager or administrator, and log it.

    Earlier judgements stay attached to each person (they are keyed by the
    pseudonym, not the run); pages then say which run and date they come from.

    Raises
    ------
    ServeError
        For an unknown user, a role that may not publish, or a run scored
        earlier than the current one (unless ``allow_older``).
    """
    from earlysignal.serve import _audit, _data
    from earlysignal.serve.models import Profile, Run

    profile = Profile.objects.filter(user__username=username).first()
    if profile is None or profile.role not in PUBLISHERS:
        found = "no such user" if profile is None else f"role {profile.role}"
        raise ServeError(f"--as {username}: {found}; only a team manager or an "
                         "administrator publishes runs. Fix: name such a user "
                         "(`earlysignal users add NAME --role team_manager ...`)")
    current = Run.objects.first()
    folder = _data.open_run(run_dir)
    cl = _data.caseload(folder)
    as_of = f"{cl['as_of'].max():%Y-%m-%d}" if len(cl) else ""
    if (current is not None and not allow_older and as_of < current.as_of
            and current.path != str(Path(run_dir).resolve())):
        raise ServeError(f"run '{folder.name}' scores people as of {as_of}, before "
                         f"the current run '{current.name}' (as of {current.as_of}). "
                         "Fix: publish a newer run, or pass --allow-older to go back")
    run = publish(run_dir, by=username)
    _audit.append(username=username, action="publish", run=run.name, client=client,
                  detail=f"published {run.name} (as of {run.as_of}, "
                  f"{len(cl)} people); before: "
                  + (f"{current.name} (as of {current.as_of})" if current else "none"))
    return run


def publish_on_start(run_dir: str | Path, by: str) -> Any:
    """Publish the run ``earlysignal serve`` was given; logged when it replaces
    another run as the current one (or is the first)."""
    from earlysignal.serve import _audit
    from earlysignal.serve.models import Run

    before = Run.objects.first()
    run = publish(run_dir, by=by)
    if before is None or before.pk != run.pk:
        _audit.append(username=by, action="publish", run=run.name,
                      client="command line", detail=f"published {run.name} (as of "
                      f"{run.as_of}) on starting the service; before: "
                      + (f"{before.name} (as of {before.as_of})" if before else "none"))
    return run


def _known_teams() -> set[str]:
    from earlysignal.serve import _data
    from earlysignal.serve.models import Run

    known: set[str] = set()
    for r in Run.objects.all():
        known |= set(_data.caseload(_data.open_run(r.path))["team"]) - {""}
    return known


def add_user(name: str, role: str, teams: Sequence[str], password: str) -> Any:
    """Create a user with a role and teams; the password is checked by the
    framework's validators and stored hashed.

    Raises
    ------
    ServeError
        For an unknown role, a team no published run has, a name in use or a
        password the validators refuse (the message lists why).
    """
    from django.contrib.auth.models import User
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from earlysignal.serve.models import Profile, Team

    if role not in ROLE_NAMES:
        raise ServeError(f"--role {role}: unknown role. Fix: one of "
                         f"{', '.join(ROLE_NAMES)}")
    known = _known_teams()
    unknown = sorted(set(teams) - known)
    if unknown:
        raise ServeError(
            f"--team {', '.join(unknown)}: not a team in the published runs' "
            f"column 'team' (teams: {', '.join(sorted(known)) or 'none'}). Fix: "
            "use a team as the data names it, or publish the run first "
            "(`earlysignal serve RUN` or `earlysignal users add ... RUN`)")
    if User.objects.filter(username=name).exists():
        raise ServeError(f"user '{name}' exists already. Fix: choose another name, "
                         "or change their role and teams in the admin")
    candidate = User(username=name)
    try:
        validate_password(password, candidate)
    except ValidationError as e:
        raise ServeError(f"the password for '{name}' was refused: "
                         f"{' '.join(e.messages)} Fix: choose a longer, less "
                         "common password") from None
    with transaction.atomic():
        admin = role == "administrator"
        user = User.objects.create_user(name, password=password, is_staff=admin,
                                        is_superuser=admin)
        profile = Profile.objects.create(user=user, role=role)
        profile.teams.set([Team.objects.get_or_create(name=t)[0] for t in teams])
    return user


def verify_log() -> Any:
    """The audit chain's check (see :func:`earlysignal.serve._audit.verify`)."""
    from earlysignal.serve._audit import verify

    return verify()


def start(port: int, *, announce: Callable[[str], None] = print) -> None:
    """Serve on 127.0.0.1:port until interrupted (threaded, one process)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIServer, run

    announce(f"Serving on http://127.0.0.1:{port}/ (Ctrl+C stops it)")
    try:
        run("127.0.0.1", port, WSGIHandler(), threading=True, server_cls=WSGIServer)
    except OSError as e:
        raise ServeError(f"cannot listen on 127.0.0.1:{port}: {e.strerror}. Fix: "
                         "choose another --port") from None
