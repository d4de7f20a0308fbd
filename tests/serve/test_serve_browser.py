"""The service in a real Chromium against a live server on a free loopback
port: sign in, the caseload and its server-side filter, a person's page,
recording a judgement (its markup shown as text, never run), a forbidden page
for each role, and the audit log that recorded it all."""

from __future__ import annotations

import threading

import pytest

from serve.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(service):
    from django.core.cache import cache
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    cache.clear()  # no sign-in lock left by another test
    httpd = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    httpd.set_app(WSGIHandler())
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _sign_in(browser, live, name):
    ctx = browser.new_context()
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error"
            and "status of 40" not in m.text and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live}/login/")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login button[type=submit]")
    page.wait_for_load_state("load")
    return ctx, page, errors


def test_a_day_in_the_service(browser, live, service, caseload):
    north = caseload[caseload["team"] == "North"]
    south = caseload[caseload["team"] == "South"]["person_id"].iloc[0]
    ctx, page, errors = _sign_in(browser, live, "prac_north")
    assert page.url.endswith("/caseload/")
    assert page.locator("#me").inner_text() == "prac_north"
    assert page.locator("#served-run").inner_text() == "fabricated"
    # the band filter runs on the server: every row shown has the band
    band = str(north["band"].iloc[0])
    page.select_option("#f-band", band)
    page.click("#filters button[type=submit]")
    page.wait_for_load_state("load")
    assert "band=" in page.url
    shown = page.locator("#caseload tbody tr")
    assert shown.count() == int((north["band"] == band).sum())
    page.locator("#caseload tbody a[href^='/person/']").first.click()
    page.wait_for_load_state("load")
    pid = page.url.rstrip("/").rsplit("/", 1)[1]
    assert pid in set(north["person_id"])
    # record a judgement whose text carries a script
    page.check("input[name=agreement][value=disagree]")
    page.fill("#why", "<script>window.pwned=1</script> known to school")
    page.fill("#action", "nothing")
    page.click("#judgement-form button[type=submit]")
    page.wait_for_load_state("load")
    cell = page.locator("#judgements tbody tr").first.locator("td.why")
    assert cell.inner_text() == "<script>window.pwned=1</script> known to school"
    assert page.evaluate("window.pwned") is None
    # forbidden: another team's person (404) and the audit log (403)
    assert page.goto(f"{live}/person/{south}/").status == 404
    assert page.goto(f"{live}/audit/").status == 403
    assert errors == []
    ctx.close()
    # an ethics reviewer sees aggregates and no person
    ctx, page, errors = _sign_in(browser, live, "ethics")
    assert page.url.endswith("/ethics/")
    assert page.goto(f"{live}/person/{pid}/").status == 403
    ctx.close()
    # the administrator reads who did what, and the chain holds
    ctx, page, errors = _sign_in(browser, live, "admin")
    assert page.url.endswith("/audit/")
    assert "hash chain is intact" in page.locator("#chain").inner_text()
    rows = [r.split("\t") for r in
            page.locator("#audit tbody tr").all_inner_texts()[:5]]
    assert ["prac_north", "judgement", pid] in [r[2:5] for r in rows]
    assert ["prac_north", "view", pid] in [r[2:5] for r in rows]
    assert page.goto(f"{live}/caseload/").status == 403
    assert errors == []
    ctx.close()
