"""``earlysignal serve --workers 2``: gunicorn's worker processes on a free
loopback port serve the same pages, keep one audit chain and one count of
failed sign-ins; two processes appending to the audit log at once keep its
chain intact."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def workers(service):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "earlysignal.cli", "serve", str(service["run"]),
         "--db", service["db"], "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"the server stopped: {server.stdout.read()}")
                time.sleep(0.1)
        yield {"port": port, "pid": server.pid}
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "with 2 worker processes" in out


def _request(port: int, method: str, path: str, cookies: dict[str, str],
             form: dict[str, str] | None = None) -> tuple[int, bytes, list]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    body = None
    if form is not None:
        body = urlencode(form)
        headers.update({"Content-Type": "application/x-www-form-urlencoded",
                        "Origin": f"http://127.0.0.1:{port}",
                        "Referer": f"http://127.0.0.1:{port}{path}"})
    try:
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        return r.status, r.read(), r.getheaders()
    finally:
        conn.close()


def test_two_worker_processes_serve_the_services_pages(service, client_for, caseload,
                                                       workers):
    from earlysignal.serve._audit import verify
    from earlysignal.serve.models import AuditEntry

    for _ in range(50):  # the workers are forked once the parent is listening
        if len(_children(workers["pid"])) == 2:
            break
        time.sleep(0.1)
    assert len(_children(workers["pid"])) == 2
    c = client_for("prac_north")
    cookie = {"sessionid": c.cookies["sessionid"].value}
    status, body, _ = _request(workers["port"], "GET", "/caseload/", cookie)
    assert status == 200
    assert (TOKEN.sub(b"", body) == TOKEN.sub(b"", c.get("/caseload/").content))
    north = caseload[caseload["team"] == "North"]["person_id"].head(8).tolist()
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda p: _request(
            workers["port"], "GET", f"/person/{p}/", cookie), north))
    assert [s for s, _, _ in got] == [200] * 8
    assert all(f"{p}".encode() in b for p, (_, b, _) in zip(north, got, strict=True))
    logged = AuditEntry.objects.filter(id__gt=start or 0, action="view")
    assert sorted(logged.values_list("person_id", flat=True)) == sorted(north)
    assert verify().ok


def test_failed_sign_ins_are_counted_across_processes(service, workers):
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    try:
        here = Client(REMOTE_ADDR="192.0.2.9")  # this process, another address
        for _ in range(5):
            assert here.post("/login/", {"username": "prac_south",
                                         "password": "wrong guess"}).status_code == 200
        status, page, headers = _request(workers["port"], "GET", "/login/", {})
        csrf = next(v.split(";", 1)[0].split("=", 1)[1] for h, v in headers
                    if h.lower() == "set-cookie" and v.startswith("csrftoken="))
        token = TOKEN.search(page)
        assert token is not None
        status, page, _ = _request(
            workers["port"], "POST", "/login/", {"csrftoken": csrf},
            {"username": "prac_south", "password": "wrong again",
             "csrfmiddlewaretoken": token.group(1).decode()})
        assert status == 429 and b"Too many failed sign-ins" in page
    finally:
        cache.clear()


_WRITER = """
import pathlib, sys, time
from earlysignal.serve._settings import configure
configure(sys.argv[1])
from earlysignal.serve import _audit
go = pathlib.Path(sys.argv[2])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
for i in range(int(sys.argv[3])):
    _audit.append(username=sys.argv[4], action="view", person_id=f"P{i}")
    time.sleep(0.001)  # a request's own work between appends
"""


def test_two_processes_appending_at_once_keep_the_chain(service, tmp_path):
    from earlysignal.serve._audit import verify
    from earlysignal.serve.models import AuditEntry

    go, n = tmp_path / "go", 150
    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    writers = [subprocess.Popen(
        [sys.executable, "-c", _WRITER, service["db"], str(go), str(n), name],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        for name in ("writer-a", "writer-b")]
    for w in writers:
        assert w.stdout is not None and w.stdout.readline() == "ready\n"
    go.touch()
    for w in writers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
    names = list(AuditEntry.objects.filter(id__gt=start or 0).order_by("id")
                 .values_list("username", flat=True))
    assert sorted(names) == ["writer-a"] * n + ["writer-b"] * n
    # they wrote at the same time: the chain alternates between them often
    switches = sum(a != b for a, b in zip(names, names[1:], strict=False))
    assert switches >= 20
    assert verify().ok
