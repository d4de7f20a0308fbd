"""One review service for the test session: the report tests' fabricated run
(400 synthetic people in five teams), published in a fresh SQLite database, with
one user of each role. Passwords use a fast hasher here only."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from report.conftest import make_run

# Playwright's synchronous API keeps an event loop in the main thread for as long
# as the session's browser is open; Django would then refuse every query made
# from the tests themselves, which never run inside that loop
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "a long test passphrase 42"
#: user name -> (role, teams)
USERS = {
    "prac_north": ("practitioner", ["North"]),
    "prac_north2": ("practitioner", ["North"]),
    "prac_south": ("practitioner", ["South"]),
    "manager_north": ("team_manager", ["North"]),
    "ethics": ("ethics_reviewer", []),
    "admin": ("administrator", []),
    "admin_north": ("administrator", ["North"]),
}


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from earlysignal.serve import _service

    root = tmp_path_factory.mktemp("serve")
    run = make_run(root)
    db = f"sqlite:///{root / 'review.sqlite3'}"
    _service.open_database(db, None, PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.MD5PasswordHasher"])
    published = _service.publish(run, by="test")
    users = {name: _service.add_user(name, role, teams, PASSWORD)
             for name, (role, teams) in USERS.items()}
    return {"run": run, "db": db, "root": root, "published": published,
            "users": users}


@pytest.fixture
def client_for(service: dict[str, Any]):
    """A Django test client signed in as the named user (None: anonymous)."""
    from django.test import Client

    def make(name: str | None) -> Any:
        c = Client()
        if name is not None:
            c.force_login(service["users"][name])
        return c
    return make


@pytest.fixture(scope="session")
def caseload(service: dict[str, Any]):
    from earlysignal.serve import _data

    return _data.caseload(_data.open_run(service["run"]))


def copy_run(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest
