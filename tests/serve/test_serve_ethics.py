"""The ethics reviewers' aggregates against a hand count, with small groups
withheld by the disclosure rule."""

from __future__ import annotations

import pandas as pd

from report._html import Page

COLS = ["group", "people", "share", "reviewed", "rate", "agree", "not_agree",
        "partly", "disagree"]


def _judge(service, caseload) -> dict[str, str]:
    """North, South and East: all but 10 people reviewed, half agreeing; West and
    Central: 5 reviewed each (too few to publish)."""
    from earlysignal.serve.models import Judgement

    Judgement.objects.all().delete()
    cycle = ["agree", "partly", "agree", "disagree"]
    chosen: dict[str, str] = {}
    for team, g in caseload.groupby("team"):
        n = 5 if team in ("West", "Central") else len(g) - 10
        for i, pid in enumerate(g["person_id"][:n]):
            chosen[pid] = "agree" if n == 5 else cycle[i % 4]
    user = service["users"]["prac_north"]
    rows = caseload.set_index("person_id")
    Judgement.objects.bulk_create([
        Judgement(run=service["published"], person_id=p, as_of="2023-09-01",
                  band=rows.loc[p, "band"], team=rows.loc[p, "team"], agreement=a,
                  why="w", action="nothing", recorded_by=user)
        for p, a in chosen.items()])
    # an earlier, different judgement of a person does not count twice
    p = next(iter(chosen))
    Judgement.objects.create(run=service["published"], person_id=p,
                             as_of="2023-09-01", band=rows.loc[p, "band"],
                             team=rows.loc[p, "team"], agreement="disagree",
                             why="earlier", action="nothing", recorded_by=user)
    Judgement.objects.filter(why="earlier").update(
        recorded_at=pd.Timestamp("2020-01-01", tz="UTC"))
    return chosen


def _expected(g: pd.DataFrame) -> dict[str, str]:
    reviewed = int(g["agreement"].notna().sum())
    agree = int((g["agreement"] == "agree").sum())
    return {"people": str(len(g)), "reviewed": str(reviewed),
            "rate": f"{100 * reviewed / len(g):.1f}%",
            "agree": f"{agree} ({agree / reviewed:.0%})",
            "not_agree": f"{reviewed - agree} ({(reviewed - agree) / reviewed:.0%})",
            "partly": str(int((g["agreement"] == "partly").sum())),
            "disagree": str(int((g["agreement"] == "disagree").sum()))}


def test_aggregates_match_a_hand_count(service, client_for, caseload):
    chosen = _judge(service, caseload)
    page = Page(client_for("ethics").get("/ethics/").content.decode())
    hand = caseload.assign(agreement=caseload["person_id"].map(chosen))
    checked = 0
    for by, table in (("team", "by-team"), ("band", "by-band")):
        for row in page.tables[table][1:]:
            cells = dict(zip(COLS, row, strict=False))
            if cells["people"].startswith("withheld"):
                continue
            want = _expected(hand[hand[by] == cells["group"]])
            for k, v in want.items():
                if not cells.get(k, "withheld").startswith("withheld"):
                    assert cells[k] == v, (by, cells["group"], k)
                    checked += 1
    overall = dict(zip(COLS, page.tables["by-overall"][1], strict=False))
    want = _expected(hand)
    assert all(overall[k] == want[k] for k in ("people", "reviewed", "agree",
                                                "not_agree", "partly", "disagree"))
    assert checked >= 15
    rows = {r[0]: r for r in page.tables["by-team"][1:]}
    for team in ("North", "South", "East"):
        assert rows[team][1:4] == [want_ for want_ in (
            _expected(hand[hand["team"] == team])["people"],
            rows[team][2], _expected(hand[hand["team"] == team])["reviewed"])]
    # fewer than 10 reviewed: withheld whole, though the people count is large
    for team in ("West", "Central"):
        assert rows[team][1] == "withheld (small group)"
    assert "by-sex" in page.tables and "by-ethnicity" in page.tables
    assert [r[0] for r in page.tables["by-band"][1:]] == ["Very high", "High",
                                                          "Raised", "Typical"]


def test_no_individual_reaches_the_ethics_page(service, client_for, caseload):
    html = client_for("ethics").get("/ethics/").content.decode()
    assert not any(pid in html for pid in caseload["person_id"])
    assert "/person/" not in html
