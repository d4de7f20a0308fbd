"""The service's defences, each shown to hold: sign-in throttling, cookie flags
(Secure behind TLS), a CSRF token in every form and refusal without it, a
script-free Content-Security-Policy on every page of every role, pseudonyms only,
autoescaped input, and SQL only through the framework's query layer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from serve.conftest import PASSWORD

#: Every page a signed-in user can reach, by the role that reaches it.
PAGES = {"prac_north": ["/caseload/", "/person/{pid}/"],
         "manager_north": ["/caseload/", "/person/{pid}/", "/team/reviews/"],
         "ethics": ["/ethics/"], "admin": ["/audit/"]}


def _pid(caseload) -> str:
    return str(caseload[caseload["team"] == "North"]["person_id"].iloc[0])


@pytest.fixture
def fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_repeated_failed_sign_ins_lock_the_name_and_the_address(service,
                                                                fresh_cache):
    from django.test import Client

    c = Client(REMOTE_ADDR="192.0.2.7")
    for _ in range(5):
        r = c.post("/login/", {"username": "prac_south", "password": "wrong guess"})
        assert r.status_code == 200 and "not recognised" in r.content.decode()
    # the right password no longer helps, for this name from anywhere
    r = c.post("/login/", {"username": "prac_south", "password": PASSWORD})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.content.decode()
    elsewhere = Client(REMOTE_ADDR="192.0.2.8")
    assert elsewhere.post("/login/", {"username": "prac_south",
                                      "password": PASSWORD}).status_code == 429
    # nor, from this address, for any other name
    assert c.post("/login/", {"username": "prac_north",
                              "password": PASSWORD}).status_code == 429
    # another name from another address still signs in
    assert elsewhere.post("/login/", {"username": "prac_north",
                                      "password": PASSWORD}).status_code == 302


def test_cookies_are_httponly_strict_and_secure_behind_tls(service, monkeypatch,
                                                           fresh_cache):
    from django.test import Client

    from earlysignal.serve._settings import _settings, database

    db = database(service["db"], None)
    monkeypatch.delenv("EARLYSIGNAL_HTTPS", raising=False)
    plain = _settings(db, False)
    monkeypatch.setenv("EARLYSIGNAL_HTTPS", "1")
    tls = _settings(db, False)
    for key in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert (plain[key], tls[key]) == (False, True)
    r = Client().post("/login/", {"username": "prac_north", "password": PASSWORD})
    session = r.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Strict"
    assert not session["secure"]  # this process runs without EARLYSIGNAL_HTTPS
    assert r.cookies["csrftoken"]["httponly"]


def _forms(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<form([^>]*)>(.*?)</form>', html, re.S)


def test_every_form_posts_with_a_token_and_fails_without(service, caseload,
                                                         fresh_cache):
    from django.test import Client

    pid = _pid(caseload)
    posts: set[str] = set()
    anon = Client(enforce_csrf_checks=True)
    pages = [("", "/login/")] + [(u, p) for u, ps in PAGES.items() for p in ps]
    for user, url in pages:
        c = Client(enforce_csrf_checks=True)
        if user:
            c.force_login(service["users"][user])
        html = c.get(url.format(pid=pid)).content.decode()
        for attrs, body in _forms(html):
            if 'method="post"' not in attrs:
                continue
            assert 'name="csrfmiddlewaretoken"' in body, (url, attrs)
            posts.add(re.search(r'action="([^"]+)"', attrs).group(1))
    assert posts == {"/login/", "/logout/", f"/person/{pid}/judgement/",
                     f"/person/{pid}/assign/"}
    for action in posts:
        c = Client(enforce_csrf_checks=True)
        c.force_login(service["users"]["manager_north"])
        r = c.post(action, {"agreement": "agree", "why": "w", "action": "nothing",
                            "practitioner": "prac_north", "username": "prac_north",
                            "password": PASSWORD})
        assert r.status_code == 403, action
        assert "CSRF" in r.content.decode()
    assert anon.post("/login/", {"username": "prac_north",
                                 "password": PASSWORD}).status_code == 403


def test_every_page_of_every_role_forbids_script(service, client_for, caseload):
    pid = _pid(caseload)
    for user, urls in PAGES.items():
        for url in urls:
            r = client_for(user).get(url.format(pid=pid))
            assert r.status_code == 200, (user, url)
            csp = r["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script" not in csp, url
            assert "<script" not in r.content.decode(), url
            assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp


def test_only_pseudonyms_leave_the_service(service, client_for, caseload):
    import pandas as pd

    people = pd.read_parquet(Path(service["run"]) / "data" / "people.parquet")
    north = caseload[caseload["team"] == "North"]
    c = client_for("prac_north")
    csv = c.get("/caseload.csv").content.decode()
    assert csv.splitlines()[0] == ("rank,person_id,band,since_last_score,"
                                   "top_reasons,school,team")
    pages = csv + c.get("/caseload/").content.decode() + "".join(
        c.get(f"/person/{p}/").content.decode() for p in north["person_id"][:3])
    # no date of birth, in any format a page might print one
    for dob in pd.to_datetime(people["date_of_birth"]).head(60):
        assert f"{dob:%Y-%m-%d}" not in pages and f"{dob:%d/%m/%Y}" not in pages


def test_text_typed_into_the_search_is_escaped(service, client_for):
    html = client_for("prac_north").get(
        "/caseload/", {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_sql_only_through_the_query_layer():
    import earlysignal.serve as pkg

    root = Path(pkg.__file__).parent
    raw = re.compile(r"\.raw\(|\.extra\(|RawSQL|cursor\(|connection\.|execute\(|"
                     r"import sqlite3|sqlite3\.connect|psycopg")
    found = [f"{p.relative_to(root)}:{i}" for p in root.rglob("*.py")
             for i, line in enumerate(p.read_text().splitlines(), 1)
             if raw.search(line)]
    assert found == []
