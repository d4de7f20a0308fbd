"""Publishing a newer run: only a team manager or an administrator, logged in
the audit log; every page then names the new run and its date, and earlier
judgements stay with the person, saying that the band has changed since."""

from __future__ import annotations

import json
import shutil

import pandas as pd
from typer.testing import CliRunner

from earlysignal.cli import app
from report._html import Page


def _newer(service, tmp_path, pid: str, band: str, as_of: str = "2024-03-01"):
    newer = tmp_path / "newer"
    shutil.copytree(service["run"], newer)
    manifest = json.loads((newer / "run.json").read_text())
    (newer / "run.json").write_text(json.dumps({**manifest, "name": "spring"}))
    cl = pd.read_parquet(newer / "caseload.parquet")
    cl.loc[cl["person_id"] == pid, "band"] = band
    cl["as_of"] = pd.Timestamp(as_of)
    cl.to_parquet(newer / "caseload.parquet", index=False)
    return newer


def test_a_manager_publishes_a_newer_run_and_it_is_logged(service, client_for,
                                                          caseload, tmp_path):
    from earlysignal.serve.models import AuditEntry, Judgement

    north = caseload[caseload["team"] == "North"]
    pid, band = north["person_id"].iloc[6], north["band"].iloc[6]
    other = "Typical" if band != "Typical" else "Very high"
    c = client_for("prac_north")
    c.post(f"/person/{pid}/judgement/", {"agreement": "agree", "why": "known well",
                                         "action": "nothing"})
    before = AuditEntry.objects.count()
    newer = _newer(service, tmp_path, pid, other)
    runner = CliRunner()
    try:
        # a practitioner may not publish; nothing changes and nothing is logged
        res = runner.invoke(app, ["runs", "publish", str(newer), "--as", "prac_north",
                                  "--db", service["db"]])
        assert res.exit_code == 1 or isinstance(res.exception, Exception)
        assert "only a team manager or an administrator" in str(res.exception)
        assert AuditEntry.objects.count() == before
        res = runner.invoke(app, ["runs", "publish", str(newer), "--as",
                                  "manager_north", "--db", service["db"]])
        assert res.exit_code == 0, res.output
        assert "Published run spring (as of 2024-03-01) as manager_north" in res.output
        e = AuditEntry.objects.order_by("-id").first()
        assert (e.username, e.action, e.run) == ("manager_north", "publish", "spring")
        assert "before: fabricated (as of 2023-09-01)" in e.detail
        # every page says which run and date it comes from
        for url in ("/caseload/", f"/person/{pid}/"):
            html = c.get(url).content.decode()
            assert 'id="served-run">spring<' in html
            assert 'id="served-as-of">1 Mar 2024<' in html
        page = Page(c.get(f"/person/{pid}/").content.decode())
        row = page.tables["judgements"][1]
        assert row[2:5] == ["fabricated, 1 Sep 2023", f"{band} band now {other}",
                            "I agree with the band"]
        assert Judgement.objects.filter(person_id=pid, why="known well").count() == 1
        # going back to the older run needs saying so
        res = runner.invoke(app, ["runs", "publish", str(service["run"]), "--as",
                                  "manager_north", "--db", service["db"]])
        assert "before the current run 'spring'" in str(res.exception)
        res = runner.invoke(app, ["runs", "publish", str(service["run"]), "--as",
                                  "manager_north", "--db", service["db"],
                                  "--allow-older"])
        assert res.exit_code == 0, res.output
    finally:
        from earlysignal.serve import _service

        _service.publish(service["run"], by="test")
