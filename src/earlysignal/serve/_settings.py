"""Where the review service keeps its data, and Django's settings, in code.

The service has no settings file: :func:`configure` builds them from the run
folder and an optional database URL, so that ``earlysignal serve RUN`` needs
nothing else.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from earlysignal.errors import EarlysignalError

__all__ = ["CACHE_TABLE", "DB_FILE", "ServeError", "configure", "database", "migrate",
           "secret_key"]

#: The embedded database's file name inside the run folder.
DB_FILE = "review.sqlite3"
_KEY_FILE = "review-secret.key"
_KEY_ENV = "EARLYSIGNAL_SECRET_KEY"
#: The table of the cache shared by the service's processes.
CACHE_TABLE = "review_cache"


class ServeError(EarlysignalError):
    """The review service cannot start or act as asked."""


def database(url: str | None, run_dir: str | Path | None) -> dict[str, Any]:
    """Django's ``DATABASES["default"]`` from a URL, else SQLite in the run folder.

    Parameters
    ----------
    url : str or None
        ``postgresql://user:password@host:port/name?sslmode=require`` (needs the
        ``postgres`` extra) or ``sqlite:///path/to/file.sqlite3``; None for the
        embedded default.
    run_dir : path or None
        The run folder, home of the default SQLite file.

    Examples
    --------
    >>> d = database("postgresql://es:p%40ss@db.example:6543/review?sslmode=require",
    ...              None)
    >>> d["ENGINE"], d["NAME"], d["USER"], d["PASSWORD"], d["HOST"], d["PORT"]
    ('django.db.backends.postgresql', 'review', 'es', 'p@ss', 'db.example', '6543')
    >>> d["OPTIONS"]
    {'sslmode': 'require'}
    >>> database(None, "runs/small")["NAME"]
    'runs/small/review.sqlite3'
    >>> database("sqlite:///shared/review.sqlite3", None)["NAME"]
    'shared/review.sqlite3'
    >>> database("sqlite:////srv/review.sqlite3", None)["NAME"]
    '/srv/review.sqlite3'
    >>> database("mysql://x/y", None)
    Traceback (most recent call last):
    ...
    earlysignal.serve._settings.ServeError: --db mysql://x/y: unsupported database scheme 'mysql'. Fix: use postgresql://USER:PASSWORD@HOST:PORT/NAME or sqlite:///PATH
    """
    if url is None:
        if run_dir is None:
            raise ServeError("no database: give the run folder or --db URL")
        return _sqlite(str(Path(run_dir) / DB_FILE))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ServeError(f"--db {url}: no file after sqlite:///. Fix: "
                             "sqlite:///path/to/review.sqlite3")
        # sqlite:///rel/file (three slashes) is relative, sqlite:////abs/file absolute
        return _sqlite(path[1:])
    if scheme not in ("postgresql", "postgres"):
        raise ServeError(f"--db {url}: unsupported database scheme '{scheme}'. Fix: "
                         "use postgresql://USER:PASSWORD@HOST:PORT/NAME or "
                         "sqlite:///PATH")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ServeError(f"--db {_hide(url)}: no database name after the host. Fix: "
                         "postgresql://USER:PASSWORD@HOST:PORT/NAME")
    return {"ENGINE": "django.db.backends.postgresql", "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "", "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query))}


def _sqlite(name: str) -> dict[str, Any]:
    # IMMEDIATE transactions take the write lock at once, so that concurrent
    # requests wait for each other instead of failing on a lock upgrade; WAL lets
    # readers go on while one request writes
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": name,
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE",
                        "init_command": "PRAGMA journal_mode=WAL;"}}


def _hide(url: str) -> str:
    """A URL with its password masked, for messages.

    Examples
    --------
    >>> _hide("postgresql://u:secret@h/db")
    'postgresql://u:***@h/db'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def secret_key(db: dict[str, Any]) -> str:
    """The key that signs sessions: ``EARLYSIGNAL_SECRET_KEY``, else a random key
    kept beside the SQLite file (readable by its owner only), made on first use.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "review.sqlite3"
    >>> k = secret_key({"ENGINE": "django.db.backends.sqlite3", "NAME": str(f)})
    >>> len(k) >= 50, k == secret_key({"ENGINE": "sqlite3", "NAME": str(f)})
    (True, True)
    """
    if os.environ.get(_KEY_ENV):
        return os.environ[_KEY_ENV]
    if "sqlite3" not in db["ENGINE"]:
        raise ServeError(f"a server database needs a session key: set {_KEY_ENV} "
                         "to a long random string (the same on every start), e.g. "
                         "`export EARLYSIGNAL_SECRET_KEY=$(python -c \"import "
                         "secrets; print(secrets.token_urlsafe(50))\")`")
    path = Path(db["NAME"]).with_name(_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _settings(db: dict[str, Any], debug: bool) -> dict[str, Any]:
    # Secure cookies are never sent back over plain HTTP, not even to 127.0.0.1
    # (Chromium drops them there), so they are asked for behind TLS only
    https = bool(os.environ.get("EARLYSIGNAL_HTTPS"))
    return {
        "DEBUG": debug,
        "SECRET_KEY": secret_key(db),
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "testserver"],
        "DATABASES": {"default": db},
        # in the database, not in each process's memory: the count of failed
        # sign-ins that locks a name must be one count across worker processes
        "CACHES": {"default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE}},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "INSTALLED_APPS": [
            "django.contrib.admin", "django.contrib.auth",
            "django.contrib.contenttypes", "django.contrib.sessions",
            "django.contrib.messages", "earlysignal.serve.apps.ServeConfig",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "earlysignal.serve._middleware.ContentSecurityPolicy",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "ROOT_URLCONF": "earlysignal.serve.urls",
        "TEMPLATES": [
            # our pages first: the report room's templates through the shared kit
            {"BACKEND": "django.template.backends.jinja2.Jinja2", "DIRS": [],
             "APP_DIRS": False,
             "OPTIONS": {"environment": "earlysignal.serve._jinja.environment"}},
            # the framework's admin keeps its own templates
            {"BACKEND": "django.template.backends.django.DjangoTemplates",
             "DIRS": [], "APP_DIRS": True,
             "OPTIONS": {"context_processors": [
                 "django.template.context_processors.request",
                 "django.contrib.auth.context_processors.auth",
                 "django.contrib.messages.context_processors.messages"]}},
        ],
        "LOGIN_URL": "/login/",
        "LOGIN_REDIRECT_URL": "/",
        "USE_TZ": True,
        "TIME_ZONE": "Europe/London",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Strict",
        "SESSION_COOKIE_AGE": 8 * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Strict",
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation."
                     "UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
             "OPTIONS": {"min_length": 12}},
            {"NAME": "django.contrib.auth.password_validation."
                     "CommonPasswordValidator"},
        ],
        "STATIC_URL": "/static/",
    }


def configure(url: str | None = None, run_dir: str | Path | None = None, *,
              debug: bool = False, **overrides: Any) -> dict[str, Any]:
    """Configure Django for the service (once per process) and return the
    database settings in use.

    A second call with the same database is a no-op; a different one is an
    error, since Django's settings cannot change within a process.
    """
    import django
    from django.conf import settings

    db = database(url, run_dir)
    if settings.configured:
        if settings.DATABASES["default"]["NAME"] != db["NAME"]:
            raise ServeError("the service is already configured with another "
                             "database in this process")
        return dict(settings.DATABASES["default"])
    if "sqlite3" in db["ENGINE"]:
        Path(db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    settings.configure(**{**_settings(db, debug), **overrides})
    django.setup()
    return db


def migrate(verbosity: int = 0) -> None:
    """Create or bring the database's tables up to date, and the cache's table
    (idempotent)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("createcachetable", verbosity=verbosity)
