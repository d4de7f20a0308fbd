"""The WSGI application a production server loads serves the same pages."""

from __future__ import annotations

import importlib
import io
import re
import sys

import pytest

from earlysignal.serve._settings import ServeError


def _get(app, path: str, cookie: str = "") -> tuple[str, bytes]:
    out: dict[str, str] = {}

    def start(status: str, headers: list) -> None:
        out["status"] = status

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
               "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_COOKIE": cookie, "wsgi.input": io.BytesIO(b""),
               "wsgi.url_scheme": "http", "wsgi.errors": io.StringIO()}
    body = b"".join(app(environ, start))
    return out["status"], body


def test_the_wsgi_application_needs_a_database(monkeypatch):
    monkeypatch.delenv("EARLYSIGNAL_DB", raising=False)
    sys.modules.pop("earlysignal.serve.wsgi", None)
    with pytest.raises(ServeError, match="EARLYSIGNAL_DB"):
        importlib.import_module("earlysignal.serve.wsgi")


def test_the_wsgi_application_serves_the_services_pages(service, client_for,
                                                        monkeypatch):
    monkeypatch.setenv("EARLYSIGNAL_DB", service["db"])
    sys.modules.pop("earlysignal.serve.wsgi", None)
    app = importlib.import_module("earlysignal.serve.wsgi").application
    status, body = _get(app, "/login/")
    assert status.startswith("200") and b'name="csrfmiddlewaretoken"' in body
    status, _ = _get(app, "/caseload/")
    assert status.startswith("302")  # signed out: to the sign-in page
    c = client_for("prac_north")
    session = c.cookies["sessionid"].value
    status, body = _get(app, "/caseload/", cookie=f"sessionid={session}")
    assert status.startswith("200")
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')  # per request
    assert token.sub(b"", body) == token.sub(b"", c.get("/caseload/").content)
    assert b'href="/person/' in body
