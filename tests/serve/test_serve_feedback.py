"""The ethics report's section on practitioners' judgements: rates against a
hand count, intervals against the binomial standard error, overrides by group
flagged only where they differ, outcomes of overridden vs confirmed cases with
a verdict only when the interval says so; and the section end to end from the
service's database through `earlysignal report --reviews`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.serve._feedback import feedback

WORDS = {"people": "young people", "outcome": "a first youth-justice outcome",
         "label": str}


def _cohort(seed: int = 5, n: int = 4000) -> pd.DataFrame:
    """People in three teams; team C overrides 40% of its reviews, A and B 10%,
    the same for either sex. In band High the overridden go on to the outcome
    at 10% against 40% for the confirmed; in band Low both at 20%."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"person_id": [f"P{i:05d}" for i in range(n)],
                       "band": rng.choice(["High", "Low"], n),
                       "team": rng.choice(["A", "B", "C"], n, p=[0.4, 0.35, 0.25]),
                       "sex": rng.choice(["F", "M"], n)})
    over = np.where(df["team"] == "C", 0.4, 0.1)
    u = rng.random(n)
    agreement = np.where(u < over, "disagree",
                         np.where(u < over + 0.15, "partly", "agree"))
    reviewed = rng.random(n) < 0.7
    df["agreement"] = pd.Series(agreement).where(reviewed)
    p = np.where(df["band"] == "Low", 0.2,
                 np.where(df["agreement"] == "disagree", 0.1, 0.4))
    df["outcome"] = (rng.random(n) < p).astype(float)
    df.loc[rng.random(n) < 0.1, "outcome"] = np.nan  # follow-up not ended yet
    return df


@pytest.fixture(scope="module")
def result() -> tuple[pd.DataFrame, dict]:
    df = _cohort()
    return df, feedback(df, ["band", "team", "sex"], ["team", "sex"],
                        bands=["High", "Low"], words=WORDS, n_boot=400, seed=1)


def test_rates_match_a_hand_count_with_binomial_width(result):
    df, r = result
    rates = pd.DataFrame(r["rates"])
    checked = 0
    for gb in ("team", "sex", "band"):
        for name, g in df.groupby(gb):
            row = rates[(rates["group_by"] == gb) & (rates["group"] == name)].iloc[0]
            rev = g[g["agreement"].notna()]
            assert row["people"] == len(g) and row["reviewed"] == len(rev)
            assert row["agree"] == (rev["agreement"] == "agree").sum()
            assert row["override"] == (rev["agreement"] == "disagree").sum()
            p = (rev["agreement"] == "disagree").mean()
            assert row["override_rate"] == pytest.approx(p)
            # a 95% interval about 2 x 1.96 binomial standard errors wide
            width = row["override_rate_upper"] - row["override_rate_lower"]
            assert width == pytest.approx(2 * 1.96 * np.sqrt(p * (1 - p) / len(rev)),
                                          rel=0.25)
            assert row["override_rate_lower"] < p < row["override_rate_upper"]
            checked += 1
    assert checked == 7
    overall = rates[rates["group_by"] == "overall"].iloc[0]
    assert overall["review_rate"] == pytest.approx(df["agreement"].notna().mean())


def test_overrides_flagged_only_where_groups_differ(result):
    _, r = result
    flags = pd.DataFrame(r["flags"])
    flagged = flags[flags["flagged"]]
    # team C (40%) against the largest team A (10%); B like A; sexes alike
    assert flagged[["group_by", "group", "reference"]].values.tolist() == [
        ["team", "C", "A"]]
    assert [sorted([g, ref]) for g, ref in zip(flags["group"], flags["reference"],
                                               strict=True)] == [
        ["A", "B"], ["A", "C"], ["F", "M"]]
    c = flagged.iloc[0]
    assert c["ratio_lower"] > 1.25 and c["p_holm"] < 0.05
    assert c["ratio"] == pytest.approx(c["value"] / c["reference_value"])
    assert r["flags_text"].startswith("Override rates differ by group")
    assert f"C {100 * c['value']:.1f}% against {100 * c['reference_value']:.1f}% for A" \
        in r["flags_text"]


def test_outcomes_of_overridden_and_confirmed_with_verdicts(result):
    df, r = result
    out = pd.DataFrame(r["outcomes"]).set_index("band")
    known = df[df["agreement"].isin(["agree", "disagree"]) & df["outcome"].notna()]
    for band in ("High", "Low"):
        g = known[known["band"] == band]
        over, conf = g[g["agreement"] == "disagree"], g[g["agreement"] == "agree"]
        assert out.loc[band, "overridden"] == len(over)
        assert out.loc[band, "overridden_rate"] == pytest.approx(over["outcome"].mean())
        assert out.loc[band, "confirmed_rate"] == pytest.approx(conf["outcome"].mean())
    assert out.loc["High", "verdict"] == "lower"        # 10% against 40%
    assert out.loc["High", "difference_upper"] < 0
    assert out.loc["Low", "verdict"] == "unclear"       # 20% and 20%
    assert out.loc["Low", "difference_lower"] < 0 < out.loc["Low", "difference_upper"]
    high = next(s for s in r["outcome_sentences"] if s.startswith("In band High"))
    assert "went on to it less often" in high
    assert f"{100 * out.loc['High', 'overridden_rate']:.1f}%" in high
    low = next(s for s in r["outcome_sentences"] if s.startswith("In band Low"))
    assert "do not show whether disagreement was right" in low


def test_no_verdict_and_no_flag_without_a_difference():
    df = _cohort(seed=4)
    # teams drawn afresh, independent of the judgements; outcomes of no one's
    df["team"] = np.random.default_rng(9).choice(["A", "B", "C"], len(df))
    df["outcome"] = (np.random.default_rng(2).random(len(df)) < 0.3).astype(float)
    r = feedback(df, ["band", "team", "sex"], ["team", "sex"], bands=["High", "Low"],
                 words=WORDS, n_boot=300, seed=1)
    assert not any(f["flagged"] for f in r["flags"])
    assert r["flags_text"].startswith("No difference in override rates")
    assert "(3 comparisons" in r["flags_text"]
    verdicts = [o["verdict"] for o in r["outcomes"]]
    assert verdicts.count("unclear") >= 2


def test_small_groups_are_withheld_as_on_the_service_page():
    from earlysignal.serve._aggregates import review_table

    df = _cohort(n=600)
    df.loc[df.index[:12], "team"] = "Tiny"
    r = feedback(df, ["band", "team"], ["team"], bands=["High", "Low"], words=WORDS,
                 n_boot=50)
    rates = pd.DataFrame(r["rates"])
    page = review_table(df[["person_id", "band", "team"]],
                        df[df["agreement"].notna()][["person_id", "agreement"]],
                        ["band", "team"])
    for row in rates.to_dict("records"):
        same = page[(page["group_by"] == row["group_by"])
                    & (page["group"] == row["group"])].iloc[0]
        assert row["withheld"] == same["withheld"]
        hidden = same["judgements_withheld"] or same["split_withheld"]
        assert row["judgements_withheld"] == (same["withheld"] or hidden)
        if row["judgements_withheld"]:
            assert np.isnan(row["override_rate"]) and np.isnan(row["override"])
    tiny = rates[rates["group"] == "Tiny"].iloc[0]
    assert tiny["withheld"] and np.isnan(tiny["people"])
    assert "Tiny" not in {f["group"] for f in r["flags"]}


def test_report_reviews_from_the_service_database(service, caseload, tmp_path):
    from typer.testing import CliRunner

    from earlysignal.cli import app
    from earlysignal.serve.models import Judgement
    from report._html import Page

    Judgement.objects.all().delete()
    user = service["users"]["prac_north"]
    cl = caseload.reset_index(drop=True)
    # 120 of the people reviewed: 60 agree, 20 partly, 40 disagree
    words = ["agree"] * 60 + ["partly"] * 20 + ["disagree"] * 40
    Judgement.objects.bulk_create([
        Judgement(run=service["published"], person_id=p, as_of="2023-09-01",
                  band=b, team=t, agreement=a, why="w", action="nothing",
                  recorded_by=user)
        for (p, b, t), a in zip(cl[["person_id", "band", "team"]].values, words,
                                strict=False)])
    # outcomes: 25 of the 40 overridden, 15 of the 60 confirmed
    y = [1] * 15 + [0] * 45 + [0] * 20 + [1] * 25 + [0] * 15
    outcomes = tmp_path / "outcomes.csv"
    pd.DataFrame({"person_id": cl["person_id"][:120], "as_of": "2023-09-01",
                  "label": y}).to_csv(outcomes, index=False)
    out = tmp_path / "html"
    res = CliRunner().invoke(app, ["report", str(service["run"]), "--out", str(out),
                                   "--max-people", "0", "--reviews", "--db",
                                   service["db"], "--outcomes", str(outcomes)])
    assert res.exit_code == 0, res.output
    html = (out / "ethics.html").read_text()
    page = Page(html)
    n = len(cl)
    head = " ".join(page.text)
    assert (f"Of the {n} young people shown, 120 ({100 * 120 / n:.1f}%) have a "
            "recorded judgement. Practitioners agreed with the band for 60 of them "
            "(50.0%) and disagreed for 40 (33.3%); the rest agreed in part.") in head
    assert ("Across all bands, 62.5% of the 40 young people whose band was "
            "disagreed with went on to") in head
    assert "against 25.0% of the 60 whose band was confirmed (difference +37.5 " \
        "points" in head
    assert 'href="#reviews"' in html
    # without --reviews the section is absent: the report claims no reviews
    res = CliRunner().invoke(app, ["report", str(service["run"]), "--out",
                                   str(tmp_path / "plain"), "--max-people", "0"])
    assert res.exit_code == 0
    assert 'id="reviews"' not in (tmp_path / "plain" / "ethics.html").read_text()


def test_reviews_need_the_services_database(tmp_path):
    from earlysignal.serve import ServeError, review_feedback

    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(ServeError, match="review.sqlite3: not found.*Fix: serve"):
        review_feedback(tmp_path)


def test_report_reviews_in_a_fresh_process(service, tmp_path):
    """The command configures the framework itself before reading the database."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "earlysignal.cli", "report", str(service["run"]),
         "--out", str(tmp_path), "--max-people", "0", "--reviews", "--db",
         service["db"]], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert 'id="reviews-headline"' in (tmp_path / "ethics.html").read_text()
