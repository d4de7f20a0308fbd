"""The service shows what the static reports show, in the same words."""

from __future__ import annotations

import re

from earlysignal.report import Caseload, PractitionerSummary, read_run
from report._html import Page


def _section(html: str, heading_id: str) -> str:
    m = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html,
                  re.S)
    assert m, heading_id
    return m.group(0)


def _north(caseload, n=3):
    return list(caseload[caseload["team"] == "North"]["person_id"][:n])


def test_person_page_matches_the_static_summary(service, client_for, caseload):
    run = read_run(service["run"])
    c = client_for("prac_north")
    for pid in _north(caseload, 3):
        static = PractitionerSummary(run, pid).html()
        served = c.get(f"/person/{pid}/").content.decode()
        for section in ("band-h", "reasons-h", "changed-h", "sources-h", "records-h"):
            assert _section(served, section) == _section(static, section), (pid,
                                                                             section)
        s = PractitionerSummary(run, pid).summarize()
        row = caseload[caseload["person_id"] == pid].iloc[0]
        assert s["band"]["name"] == row["band"]
        assert f'data-band="{row["band"]}"' in served
        assert 'id="trace-run">abc123def<' in served


def test_served_reasons_are_the_runs_reasons(service, client_for, caseload):
    """A person with reasons: every reason text of the explain stage is shown."""
    run = read_run(service["run"])
    rs = run.reasons
    with_reasons = [p for p in _north(caseload, 400) if p in set(rs["person_id"])]
    assert with_reasons, "the fabricated run gives reasons to the top 12"
    pid = with_reasons[0]
    served = Page(client_for("prac_north").get(f"/person/{pid}/").content.decode())
    text = " ".join(served.text)
    for t in rs[rs["person_id"] == pid]["text"]:
        assert t in text


def test_caseload_rows_match_the_static_caseload_for_the_team(service, client_for,
                                                              caseload):
    run = read_run(service["run"])
    static = Page(Caseload(run).html()).tables["caseload"][1:]
    by_person = {r[1]: r[2:] for r in static}
    served = Page(client_for("prac_north").get("/caseload/?page=1").content.decode())
    rows = served.tables["caseload"][1:]
    north = caseload[caseload["team"] == "North"]
    assert len(rows) == min(50, len(north))
    for r in rows:
        assert r[2:] == by_person[r[1]]  # band, reasons, change, school, team
        assert r[-1] == "North"
    ranks = [int(r[0]) for r in rows]
    assert ranks == list(range(1, len(rows) + 1))
    words = " ".join(served.text)
    assert f"Showing {len(north)} of {len(north)}" in words


def test_caseload_filters_on_the_server(service, client_for, caseload):
    north = caseload[caseload["team"] == "North"]
    band = north["band"].value_counts().index[0]
    page = Page(client_for("prac_north").get(
        f"/caseload/?band={band}").content.decode())
    rows = page.tables["caseload"][1:]
    assert len(rows) == min(50, int((north["band"] == band).sum()))
    assert {r[2] for r in rows} == {band}


def test_a_script_in_a_judgement_renders_as_text(service, client_for, caseload):
    pid = _north(caseload, 1)[0]
    c = client_for("prac_north")
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = c.post(f"/person/{pid}/judgement/", {"agreement": "disagree", "why": payload,
                                             "action": "nothing"})
    assert r.status_code == 302
    html = c.get(f"/person/{pid}/").content.decode()
    assert payload not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x" in html
    assert "<script" not in html.split('id="judgement"')[1]


def test_pages_carry_a_policy_without_script(service, client_for, caseload):
    r = client_for("prac_north").get("/caseload/")
    csp = r["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "<script" not in r.content.decode()
    assert r["X-Frame-Options"] == "DENY"


def test_forms_need_the_csrf_token(service, caseload):
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(service["users"]["prac_north"])
    pid = _north(caseload, 1)[0]
    r = c.post(f"/person/{pid}/judgement/", {"agreement": "agree", "why": "w",
                                             "action": "nothing"})
    assert r.status_code == 403
    page = c.get(f"/person/{pid}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = c.post(f"/person/{pid}/judgement/", {"agreement": "agree", "why": "w",
                                             "action": "nothing",
                                             "csrfmiddlewaretoken": token})
    assert r.status_code == 302
