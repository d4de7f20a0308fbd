"""``earlysignal serve --workers N``: the service in N worker processes.

One process builds one page at a time (building a page is Python computing);
N processes use N cores. The processes are gunicorn's pre-forked workers,
started through its custom-application API. The parent reads the run and
builds its index before forking, so the workers share it copy-on-write instead
of each reading 20,000 people's files again; it closes its database
connections first, since a connection must never cross a fork.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from earlysignal.serve._settings import ServeError

__all__ = ["THREADS", "WORKER_CLASS", "serve_workers", "warm"]

#: gunicorn's worker class and threads per worker: a worker's threads overlap
#: waiting on the database and the network (a page's Python still runs one
#: thread at a time per process); the README gives the load figures.
WORKER_CLASS = "gthread"
THREADS = 4


class _Service(BaseApplication):
    """The configured Django application, handed to gunicorn already loaded."""

    def __init__(self, application: Any, options: dict[str, Any]) -> None:
        self.application, self.options = application, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.application


def warm(run_dir: str | Path) -> None:
    """Read the run, build its per-person index, each user's caseload (per set
    of teams, as many as are kept) and compile the page templates in this
    process, so that processes forked from it start with them."""
    from django.contrib.auth.models import User
    from django.template import engines

    from earlysignal.serve import _access, _data, _pages

    run = _data.open_run(run_dir)
    index = _data._index(run)
    index.files()
    index.tables()
    team_sets = {frozenset(_access.teams(u)) for u in
                 User.objects.select_related("review").prefetch_related(
                     "review__teams") if _access.sees_people(u)}
    for teams in sorted(team_sets, key=sorted)[:_pages.CASELOADS_KEPT]:
        _pages.caseload_summary(run, teams, _pages.PERSON_LINK)
    jinja = engines.all()[0]
    for name in sorted((Path(__file__).parent / "templates" / "serve").glob("*.j2")):
        jinja.get_template(f"serve/{name.name}")


def _close_connections() -> None:
    from django.db import connections

    connections.close_all()


def _pre_fork(server: Any, worker: Any) -> None:
    _close_connections()


def _check_port(port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise ServeError(f"cannot listen on 127.0.0.1:{port}: {e.strerror}. "
                             "Fix: choose another --port") from None


def serve_workers(run_dir: str | Path, port: int, workers: int, *,
                  announce: Callable[[str], None] = print) -> None:
    """Serve on 127.0.0.1:port with ``workers`` processes until interrupted.

    Django must be configured and the database migrated (in this process,
    before the fork). Requests a worker has not answered within 60 s are ended
    by restarting that worker.

    Raises
    ------
    ServeError
        For fewer than two workers, or a port already in use.
    """
    from django.core.handlers.wsgi import WSGIHandler

    if workers < 2:
        raise ServeError(f"--workers {workers}: serving in worker processes needs "
                         "two or more. Fix: give --workers 2 or more, or leave it "
                         "at 1 for one threaded process")
    _check_port(port)
    warm(run_dir)
    _close_connections()
    announce(f"Serving on http://127.0.0.1:{port}/ with {workers} worker processes "
             "(Ctrl+C stops them)")
    _Service(WSGIHandler(), {
        "bind": f"127.0.0.1:{port}", "workers": workers,
        "worker_class": WORKER_CLASS, "threads": THREADS, "preload_app": True,
        "timeout": 60,
        "pre_fork": _pre_fork, "accesslog": None, "loglevel": "warning",
        "proc_name": "earlysignal-serve",
    }).run()
