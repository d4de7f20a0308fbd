"""Every role rule, on the server, for every address."""

from __future__ import annotations

import pytest

from .conftest import USERS


def _person(caseload, team):
    return caseload[caseload["team"] == team]["person_id"].iloc[0]


PERSON_URLS = ["/person/{}/"]
POSTS = ["/person/{}/judgement/", "/person/{}/assign/"]
PAGES = ["/caseload/", "/caseload.csv", "/team/reviews/", "/ethics/", "/audit/",
         "/audit.csv", "/"]


@pytest.mark.parametrize("url", [*PAGES, "/person/{}/", *POSTS])
def test_anonymous_users_are_sent_to_sign_in(service, client_for, caseload, url):
    url = url.format(_person(caseload, "North"))
    c = client_for(None)
    r = c.post(url) if url in [p.format(_person(caseload, "North")) for p in POSTS] \
        else c.get(url)
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=")


def test_practitioner_sees_own_team_only(service, client_for, caseload):
    c = client_for("prac_north")
    assert c.get(f"/person/{_person(caseload, 'North')}/").status_code == 200
    for team in ("South", "East", "West", "Central"):
        other = _person(caseload, team)
        assert c.get(f"/person/{other}/").status_code == 404
        assert c.post(f"/person/{other}/judgement/", {
            "agreement": "agree", "why": "x", "action": "nothing"}).status_code == 404
    assert c.get("/person/NOT-A-PERSON/").status_code == 404
    listed = c.get("/caseload.csv").content.decode().splitlines()[1:]
    north = set(caseload[caseload["team"] == "North"]["person_id"])
    assert {line.split(",")[1] for line in listed} == north


@pytest.mark.parametrize("user", ["ethics", "admin"])
def test_roles_without_people_get_403_for_any_person(service, client_for, caseload,
                                                     user):
    c = client_for(user)
    for team in ("North", "South"):
        pid = _person(caseload, team)
        assert c.get(f"/person/{pid}/").status_code == 403
        assert c.post(f"/person/{pid}/judgement/", {
            "agreement": "agree", "why": "x", "action": "nothing"}).status_code == 403
    assert c.get("/person/NOT-A-PERSON/").status_code == 403
    assert c.get("/caseload/").status_code == 403
    assert c.get("/caseload.csv").status_code == 403


def test_an_administrator_given_a_team_sees_that_team(service, client_for,
                                                      caseload):
    c = client_for("admin_north")
    assert c.get(f"/person/{_person(caseload, 'North')}/").status_code == 200
    assert c.get(f"/person/{_person(caseload, 'South')}/").status_code == 404


@pytest.mark.parametrize(("url", "allowed"), [
    ("/ethics/", {"ethics"}),
    ("/audit/", {"admin", "admin_north"}),
    ("/audit.csv", {"admin", "admin_north"}),
    ("/team/reviews/", {"manager_north"}),
    ("/caseload/", {"prac_north", "prac_north2", "prac_south", "manager_north",
                     "admin_north"}),
])
def test_pages_by_role(service, client_for, url, allowed):
    for user in USERS:
        got = client_for(user).get(url).status_code
        assert got == (200 if user in allowed else 403), (user, url, got)


def test_only_a_team_manager_assigns_within_the_team(service, client_for, caseload):
    from earlysignal.serve.models import Assignment

    pid = _person(caseload, "North")
    r = client_for("prac_north").post(f"/person/{pid}/assign/",
                                      {"practitioner": "prac_north"})
    assert r.status_code == 403
    m = client_for("manager_north")
    assert m.post(f"/person/{pid}/assign/",
                  {"practitioner": "prac_south"}).status_code == 403
    assert m.post(f"/person/{pid}/assign/",
                  {"practitioner": "prac_north2"}).status_code == 302
    assert Assignment.objects.get(person_id=pid).practitioner.username == "prac_north2"
    south = _person(caseload, "South")
    assert m.post(f"/person/{south}/assign/",
                  {"practitioner": "prac_north2"}).status_code == 404
    mine = client_for("prac_north2").get("/caseload.csv?mine=1").content.decode()
    assert [line.split(",")[1] for line in mine.splitlines()[1:]] == [pid]
