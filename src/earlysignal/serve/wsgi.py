"""The review service as a WSGI application, for a production WSGI server that
runs several worker processes behind TLS (gunicorn, uWSGI, mod_wsgi).

``earlysignal serve`` is one process unless given ``--workers N``: its threads
overlap waiting on the database and the network, but building a page is Python
computing, which one thread at a time does. A server with N worker processes
builds N pages at once (each worker reads the run once, then holds it). The
database comes from
``EARLYSIGNAL_DB``, a URL as ``--db`` takes; publish the run and add users with
the commands first. For example, behind a TLS proxy on the same host::

    EARLYSIGNAL_DB=postgresql://review@dbhost/review EARLYSIGNAL_HTTPS=1 \\
        gunicorn --workers 4 --threads 4 --bind 127.0.0.1:8000 \\
        earlysignal.serve.wsgi
"""

from __future__ import annotations

import os

from earlysignal.serve._settings import ServeError, configure

__all__ = ["application"]

_url = os.environ.get("EARLYSIGNAL_DB", "")
if not _url:
    raise ServeError("EARLYSIGNAL_DB is not set, so the service has no database. "
                     "Fix: set it to the database URL the service uses "
                     "(e.g. postgresql://user@host/review, or "
                     "sqlite:///RUN/review.sqlite3)")
configure(_url)

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402  (after configure)

application = WSGIHandler()
