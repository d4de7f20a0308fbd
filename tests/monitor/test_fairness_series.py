"""The fairness audit on realised outcomes per closed date: values against a naive
per-date computation, withheld cells, the evaluation-time figure beside each group,
the alert when a group's recall falls wholly below it, and the page and JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from earlysignal.monitor import MonitorResult, MonitorSettings
from earlysignal.monitor._fairness import realised_fairness

DATES = ["2024-01-01", "2024-04-01", "2024-07-01"]
PEOPLE = 300


@pytest.fixture(scope="module")
def closed() -> pd.DataFrame:
    """300 people at three dates; at the last, group M's outcomes all fall on
    people the team could not reach (scores below the top 10%)."""
    rng = np.random.default_rng(8)
    parts = []
    for d in DATES:
        i = np.arange(PEOPLE)
        f = pd.DataFrame({"person_id": [f"p{j}" for j in i],
                          "as_of": pd.Timestamp(d),
                          "score": rng.uniform(size=PEOPLE),
                          "sex": np.where(i % 2 == 0, "F", "M"),
                          # six people in care: too few to publish, at any date
                          "care": np.where(i < 6, "yes",
                                           np.where(i < 100, "left", "no"))})
        f["label"] = (rng.uniform(size=PEOPLE) < f["score"] ** 2).astype(int)
        if d == DATES[-1]:
            m = f["sex"] == "M"
            f.loc[m, "label"] = ((f.loc[m, "score"] < 0.5)
                                 & (rng.uniform(size=m.sum()) < 0.4)).astype(int)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def naive(closed: pd.DataFrame, group_by: str, metric: str) -> dict:
    """Per date and group, by hand: the top 10% of each date selected."""
    out = {}
    for d, part in closed.groupby("as_of"):
        k = int(np.floor(0.1 * len(part) + 0.5))
        sel = part["score"].rank(ascending=False) <= k
        for g, rows in part.groupby(group_by):
            s, y = sel[rows.index], rows["label"].astype(bool)
            out[(str(d.date()), g)] = {
                "selection_rate": s.mean(), "tpr": (s & y).sum() / y.sum(),
                "precision": (s & y).sum() / s.sum()}[metric]
    return out


def evaluation_doc(closed: pd.DataFrame) -> dict:
    """An evaluation-time audit whose recall per group is the first two dates'."""
    early = closed[closed["as_of"] < pd.Timestamp(DATES[-1])]
    rows = []
    for g in ("F", "M"):
        tprs = naive(early, "sex", "tpr")
        value = float(np.mean([v for (_, gg), v in tprs.items() if gg == g]))
        rows.append({"group_by": "sex", "group": g, "metric": "tpr", "value": value,
                     "lower": value - 0.1, "upper": value + 0.1, "suppressed": False})
    rows.append({"group_by": "care", "group": "yes", "metric": "tpr", "value": None,
                 "lower": None, "upper": None, "suppressed": True})
    return {"group_metrics": rows}


@pytest.fixture(scope="module")
def audited(closed):
    return realised_fairness(closed, ["sex", "care"], evaluation_doc(closed),
                             capacity="10%", min_cell=10, n_boot=200, seed=1)


def test_each_date_and_group_matches_a_naive_computation(closed, audited):
    s = audited["series"]
    assert audited["dates"] == DATES
    for metric in ("selection_rate", "tpr", "precision"):
        want = naive(closed, "sex", metric)
        got = s[(s["group_by"] == "sex") & (s["metric"] == metric)]
        assert len(got) == len(want) == 6
        for r in got.to_dict("records"):
            assert r["value"] == pytest.approx(want[(r["as_of"], r["group"])])
            assert r["lower"] <= r["value"] <= r["upper"]
            assert r["upper"] - r["lower"] > 0 or r["value"] in (0, 1)


def test_small_groups_are_withheld_and_evaluation_figures_sit_beside(closed,
                                                                   audited):
    s = audited["series"]
    care = s[s["group_by"] == "care"]
    hidden = care[care["withheld"]]
    assert len(care) == 3 * 3 * 3
    # 'yes' has six people; at each date a second group goes too, or 'yes' would
    # be the total minus the others
    assert set(hidden.loc[hidden["group"] == "yes", "as_of"]) == set(DATES)
    assert (hidden.groupby("as_of")["group"].nunique() >= 2).all()
    assert hidden["value"].isna().all() and hidden["lower"].isna().all()
    assert not hidden["below"].any()
    assert not s.loc[s["group_by"] == "sex", "withheld"].any()
    doc = evaluation_doc(closed)["group_metrics"]
    tpr = s[(s["group_by"] == "sex") & (s["metric"] == "tpr")]
    for r in tpr.to_dict("records"):
        assert r["evaluation"] == pytest.approx(
            next(d["value"] for d in doc if d["group"] == r["group"]))
    assert s.loc[(s["group_by"] == "care") & (s["group"] == "yes")
                 & (s["metric"] == "tpr"), "evaluation_withheld"].all()
    # metrics the evaluation-time audit did not publish have no figure beside
    assert s.loc[s["metric"] == "precision", "evaluation"].isna().all()


def result_of(audited) -> MonitorResult:
    empty = pd.DataFrame()
    drift = pd.DataFrame(columns=["item", "kind", "family", "psi", "null_mean",
                                  "ratio", "threshold_ratio", "alert"])
    return MonitorResult(
        run="r", trained_to=pd.Timestamp("2023-12-31"),
        extract_end=pd.Timestamp("2025-08-31"), current_date=pd.Timestamp(DATES[-1]),
        horizon="12 months", settings=MonitorSettings(capacity="10%"),
        freshness=empty, drift=drift, group_drift=empty, expected=empty,
        realised=empty, fairness=audited, demand=empty)


def test_a_group_whose_recall_falls_below_alerts_in_words(audited):
    s = audited["series"]
    low = s[s["below"]]
    # the one group-date made to miss everyone: M at the last date, recall 0
    assert low[["as_of", "group", "metric"]].values.tolist() == [
        [DATES[-1], "M", "tpr"]]
    row = low.iloc[0]
    assert row["value"] == 0 and row["upper"] < row["evaluation"]
    # one of the 6 cells compared lies below: chance explains that (probability
    # 1 - 0.975**6 = 0.141), so no alert fires
    assert not [a for a in result_of(audited).alerts if a["kind"] == "fairness"]
    # three of six below is unlikely by chance (probability 0.0003): one alert
    # naming every cell
    worse = dict(audited)
    series = s.copy()
    shown = series[(series["metric"] == "tpr") & (series["group_by"] != "overall")
                   & ~series["withheld"] & ~series["evaluation_withheld"]
                   & series["evaluation"].notna()].index
    more = [i for i in shown if not series.at[i, "below"]][:2]
    series.loc[more, ["value", "lower", "upper"]] = 0.0
    series.loc[more, "below"] = True
    worse["series"] = series
    alerts = [a for a in result_of(worse).alerts if a["kind"] == "fairness"]
    assert [a["what"] for a in alerts] == ["3 group-date cells"]
    assert alerts[0]["sentence"].startswith(
        "Recall at capacity lies wholly below the group's evaluation-time figure "
        "in 3 of the 6 group-date cells compared, more than the 0.2 expected by "
        "chance (probability 0.0003): ")
    assert (f"sex = M at {DATES[-1]}: 0.0% (95% interval 0.0% to 0.0%) against "
            f"{row['evaluation']:.1%}") in alerts[0]["sentence"]
    assert result_of(worse).exit_code != 0
    note = next(n for n in result_of(audited).notes()
                if n.startswith("Fairness over time"))
    tpr = s[(s["metric"] == "tpr") & (s["group_by"] != "overall")]
    assert (f"recall at capacity of 15 group-date cells (5 groups at 3 closed "
            f"dates); {int(tpr['withheld'].sum())} withheld") in note
    assert "of the 6 compared with the group's evaluation-time figure, 1 lies" in note


def test_the_series_is_on_the_page_and_in_the_json(audited):
    result = result_of(audited)
    doc = json.loads(result.json())
    series = doc["fairness"]["series"]
    assert len(series) == len(audited["series"])
    cell = next(r for r in series if r["group"] == "yes")
    assert cell["withheld"] and cell["value"] is None
    page = result.html()
    assert "Fairness at each closed date" in page
    assert all(f"<th>{d} (95%)</th>" in page for d in DATES)
    assert page.count("withheld</td>") >= 3 * 2 * 3
    assert "0.0% (0.0% to 0.0%) below" in page
    # one chart panel per group with a cell shown: never 'yes' (care)
    shown = audited["series"].query("metric == 'tpr' and not withheld")
    panels = shown[["group_by", "group"]].drop_duplicates()
    assert page.count("<g transform=") == len(panels) >= 3
    assert "sex = M" in page and "care = yes" not in page


def test_the_chart_draws_inside_its_panels_in_a_browser(audited, browser, tmp_path):
    from earlysignal.report.screenshots import offline_page, take_screenshots

    html = tmp_path / "monitor.html"
    html.write_text(result_of(audited).html(), encoding="utf-8")
    page = offline_page(browser)
    page.goto(html.as_uri())
    boxes = page.evaluate("""() => {
      const h = Array.from(document.querySelectorAll('h3'))
        .find(e => e.textContent === 'Fairness at each closed date');
      let svg = h.nextElementSibling;
      while (svg.tagName.toLowerCase() !== 'svg') svg = svg.nextElementSibling;
      const box = svg.getBoundingClientRect();
      return Array.from(svg.querySelectorAll('g')).map(g => {
        const b = g.getBoundingClientRect();
        return {inside: b.left >= box.left - 1 && b.right <= box.right + 1
                        && b.top >= box.top - 1 && b.bottom <= box.bottom + 1,
                dots: g.querySelectorAll('circle').length,
                red: g.querySelectorAll('circle[fill="#c0392b"]').length,
                title: g.querySelector('text').textContent};
      });
    }""")
    page.close()
    assert boxes and all(b["inside"] for b in boxes)
    # every shown recall is a dot; the one below its evaluation figure is red
    assert {b["title"]: b["red"] for b in boxes}["sex = M"] == 1
    assert sum(b["red"] for b in boxes) == 1
    shown = audited["series"].query("metric == 'tpr' and not withheld")
    assert sum(b["dots"] for b in boxes) == len(shown)
    shot = take_screenshots({"m": html}, tmp_path, browser=browser)["m"]
    assert shot.read_bytes()[:4] == b"\x89PNG"
