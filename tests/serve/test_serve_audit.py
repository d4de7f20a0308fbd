"""The audit log: what is logged, append-only, and a chain that an edit breaks."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from earlysignal.cli import app


def _north(caseload):
    return caseload[caseload["team"] == "North"]["person_id"].iloc[1]


def test_views_searches_exports_and_judgements_are_logged(service, client_for,
                                                          caseload):
    from earlysignal.serve.models import AuditEntry

    start = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    c = client_for("prac_north")
    pid = _north(caseload)
    c.get(f"/person/{pid}/", REMOTE_ADDR="10.1.2.3")
    c.get(f"/caseload/?q={pid[-4:]}")
    c.get("/caseload.csv?band=High")
    c.post(f"/person/{pid}/judgement/", {"agreement": "agree", "why": "known",
                                         "action": "nothing"})
    new = list(AuditEntry.objects.filter(id__gt=start).order_by("id").values(
        "username", "action", "person_id", "run", "client", "detail"))
    assert [e["action"] for e in new] == ["view", "search", "export", "judgement"]
    assert {e["username"] for e in new} == {"prac_north"}
    assert {e["run"] for e in new} == {"fabricated"}
    assert new[0]["person_id"] == pid and new[0]["client"] == "10.1.2.3"
    assert new[1]["detail"].startswith(f"q={pid[-4:]}")
    assert "band=High" in new[2]["detail"]
    assert new[3]["person_id"] == pid and "agree with band" in new[3]["detail"]


def test_refused_requests_log_nothing(service, client_for, caseload):
    from earlysignal.serve.models import AuditEntry

    before = AuditEntry.objects.count()
    south = caseload[caseload["team"] == "South"]["person_id"].iloc[0]
    assert client_for("prac_north").get(f"/person/{south}/").status_code == 404
    assert client_for("ethics").get(f"/person/{south}/").status_code == 403
    assert AuditEntry.objects.count() == before


def test_editing_an_entry_in_the_database_breaks_the_chain(service, client_for,
                                                           caseload):
    from earlysignal.serve._audit import verify
    from earlysignal.serve.models import AuditEntry

    client_for("prac_north").get(f"/person/{_north(caseload)}/")
    client_for("prac_north").get(f"/person/{_north(caseload)}/")
    assert verify().ok
    target = AuditEntry.objects.order_by("id")[1]
    original = target.person_id
    # the edit an insider with database access could make, bypassing the service
    AuditEntry.objects.filter(pk=target.pk).update(person_id="P9999999")
    try:
        check = verify()
        assert not check.ok and check.broken_at == target.pk
        assert "edited after it was written" in check.reason
        runner = CliRunner()
        r = runner.invoke(app, ["audit-log", "verify", "--db", service["db"]])
        assert r.exit_code == 1 and isinstance(r.exception, Exception)
        assert f"broken at entry {target.pk}" in str(r.exception)
    finally:
        AuditEntry.objects.filter(pk=target.pk).update(person_id=original)
    r = CliRunner().invoke(app, ["audit-log", "verify", "--db", service["db"]])
    assert r.exit_code == 0 and "hash chain is intact" in r.output


def test_removing_an_entry_breaks_the_chain(service, client_for, caseload):
    from django.db import connection

    from earlysignal.serve._audit import verify
    from earlysignal.serve.models import AuditEntry

    for _ in range(3):
        client_for("prac_north").get(f"/person/{_north(caseload)}/")
    last3 = list(AuditEntry.objects.order_by("-id")[:3])
    middle = last3[1]
    row = AuditEntry.objects.filter(pk=middle.pk).values().get()
    with connection.cursor() as cur:  # the service itself refuses deletes
        cur.execute("DELETE FROM review_auditentry WHERE id = %s", [middle.pk])
    try:
        check = verify()
        assert check.broken_at == last3[0].pk
        assert "removed, inserted or reordered" in check.reason
    finally:
        AuditEntry.objects.bulk_create([AuditEntry(**row)])
    assert verify().ok


def test_entries_cannot_be_changed_or_deleted_through_the_service(service,
                                                                  client_for):
    from earlysignal.serve.models import AppendOnly, AuditEntry

    e = AuditEntry.objects.first()
    e.detail = "changed"
    with pytest.raises(AppendOnly):
        e.save()
    with pytest.raises(AppendOnly):
        e.delete()
    admin = client_for("admin")
    assert admin.get("/admin/review/auditentry/").status_code == 200
    assert admin.get(f"/admin/review/auditentry/{e.pk}/delete/").status_code == 403
    page = admin.get(f"/admin/review/auditentry/{e.pk}/change/").content.decode()
    assert 'name="detail"' not in page  # shown, not editable
    assert admin.get("/admin/review/auditentry/add/").status_code == 403


def test_administrators_export_the_log(service, client_for):
    from earlysignal.serve.models import AuditEntry

    r = client_for("admin").get("/audit.csv")
    lines = r.content.decode().splitlines()
    assert lines[0].startswith("id,at,username,action,person_id")
    # every entry, the export's own (logged before it reads) last
    assert len(lines) - 1 == AuditEntry.objects.count()
    assert lines[-1].split(",")[2:4] == ["admin", "export"]
