"""A small fabricated run folder with exactly the files the pipeline writes.

The canonical tables come from the synthetic cohort (a few hundred people); scores,
bands, caseload, reasons and metrics are invented here with known values so that
the tests can check the numbers on the pages. One person's event type and one
group name carry a ``<script>`` payload.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

PAYLOAD = "<script>window.pwned=1</script>"
AS_OF_DATES = ["2022-03-01", "2022-09-01", "2023-03-01", "2023-09-01"]
BANDS = [
    {"name": "Very high", "lower": 0.12, "upper": 1.0, "share_of_cohort": 0.01,
     "n": 40, "outcomes": 9, "observed_per_100": 23.1,
     "outcome": "a youth-justice outcome", "horizon": "12 months"},
    {"name": "High", "lower": 0.05, "upper": 0.12, "share_of_cohort": 0.04,
     "n": 160, "outcomes": 13, "observed_per_100": 8.2,
     "outcome": "a youth-justice outcome", "horizon": "12 months"},
    {"name": "Raised", "lower": 0.02, "upper": 0.05, "share_of_cohort": 0.15,
     "n": 600, "outcomes": 18, "observed_per_100": 3.0,
     "outcome": "a youth-justice outcome", "horizon": "12 months"},
    {"name": "Typical", "lower": 0.0, "upper": 0.02, "share_of_cohort": 0.80,
     "n": 3200, "outcomes": 19, "observed_per_100": 0.6,
     "outcome": "a youth-justice outcome", "horizon": "12 months"},
]
MODELS = ["model", "base_rate", "persistent_absence", "logistic", "oracle"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium (needs /usr/bin/chromium)")


def _band(score: float) -> str:
    for b in BANDS:
        if score >= b["lower"]:
            return str(b["name"])
    return str(BANDS[-1]["name"])


#: A 2x2 opaque PNG: matplotlib embeds dense layers (beeswarm dots) like this.
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAD0lEQVR4nGNg"
       "KNoEQhAKAB02BJFG6JEoAAAAAElFTkSuQmCC")


def _svg(title: str, raster: bool = False) -> str:
    image = (f'<image xlink:href="data:image/png;base64,{PNG}" x="20" y="20" '
             'width="60" height="40"/>' if raster else "")
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
        '  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink" width="200pt" '
        'height="100pt" viewBox="0 0 200 100" xmlns="http://www.w3.org/2000/svg">\n'
        "<metadata>matplotlib</metadata><!-- a comment -->\n"
        '<defs><path id="m1" d="M 0 0 L 0 3.5"/><clipPath id="p1"><rect '
        'width="200" height="100"/></clipPath></defs>\n'
        f'<g id="figure_1" clip-path="url(#p1)"><use xlink:href="#m1" x="5" y="5"/>{image}'
        # a drawn stand-in for a matplotlib chart: axes and one line
        '<path d="M 10 90 L 190 90 M 10 90 L 10 10" stroke="#000"/>'
        '<polyline points="10,80 60,60 110,40 190,20" fill="none" stroke="#06c"/>'
        f'<text x="10" y="50">{title}</text></g></svg>\n'
    )


def _metrics(folds: list[dict]) -> dict:
    rng = np.random.default_rng(3)
    base = {"model": 0.70, "base_rate": 0.50, "persistent_absence": 0.62,
            "logistic": 0.66, "oracle": 0.80}
    pooled = {}
    for m, auc in base.items():
        pooled[m] = {"auc": auc, "average_precision": auc / 20, "brier": 0.015,
                     "log_loss": 0.08, "ece": 0.002, "precision_at_k": auc / 14,
                     "recall_at_k": auc / 4, "caught_at_k": 70.0 * auc,
                     "caught_at_k_best": 70.0 * auc, "caught_at_k_worst": 70.0 * auc,
                     "k": 60.0, "n": 1200.0, "n_positive": 20.0, "base_rate": 0.0167}
    per_fold, drift = [], []
    for f in folds:
        for m, auc in base.items():
            fold_auc = round(auc + 0.01 * f["index"], 4)
            for metric, v in (("auc", fold_auc), ("average_precision", auc / 20),
                              ("precision_at_k", auc / 14), ("n", 400.0)):
                per_fold.append({"fold": f["index"], "model": m, "metric": metric,
                                 "value": v})
            drift.append({"fold": f["index"], "test_start": f["test_start"],
                          "model": m, "auc": fold_auc,
                          "average_precision": auc / 20, "base_rate": 0.016,
                          "ece": 0.002, "precision_at_k": auc / 14})
    calibration = []
    for m in ("model", "logistic"):
        for b in range(10):
            s = 0.002 * (b + 1) ** 1.6
            calibration.append({"bin": b, "n": 120, "score_min": s * 0.8,
                                "score_max": s * 1.2, "mean_score": s,
                                "observed_rate": max(0.0, s + rng.normal(0, 0.003)),
                                "gap": 0.0, "weight": 0.1, "model": m})
    verdicts = {m: f"The model beats the {m} on AUC (0.700 vs {a:.3f})."
                for m, a in base.items() if m not in ("model", "oracle")}
    return {
        "settings": {"horizon": "12m", "capacity": "5%", "calibration": "isotonic",
                     "seed": 0, "baselines": ["base_rate", "persistent_absence",
                                              "logistic"]},
        "n_features": 12,
        "folds": folds,
        "pooled": pooled,
        "verdicts": verdicts,
        "skipped": {},
        "oracle_gap": {"auc": {"model": 0.70, "oracle": 0.80, "gap": -0.10,
                               "relative_gap": -0.125},
                       "precision_at_k": {"model": 0.05, "oracle": 0.0571,
                                          "gap": -0.0071, "relative_gap": -0.125}},
        "per_fold": per_fold,
        "calibration": calibration,
        "drift": drift,
    }


def _explain(caseload: pd.DataFrame, tables, people: list[str]):
    """Reasons, evidence and changes for ``people``, tied to their real records."""
    ev_all = tables["events"]
    pe_all = tables["periods"]
    reasons, evidence, changes = [], [], []
    for i, pid in enumerate(people):
        t = pd.Timestamp(AS_OF_DATES[-1])
        prev = pd.Timestamp(AS_OF_DATES[-2])
        reasons += [
            {"person_id": pid, "as_of": t, "direction": "raises", "rank": 1,
             "family": "behaviour", "family_label": "Behaviour and exclusions",
             "size": 0.03, "log_odds": 0.4,
             "text": f"{2 + i % 3} behaviour incidents in the last year (typical: 0)",
             "actionable": True, "note": None},
            {"person_id": pid, "as_of": t, "direction": "raises", "rank": 2,
             "family": "attendance", "family_label": "School attendance",
             "size": 0.01, "log_odds": 0.2,
             "text": "Attendance 88% over the last 6 months (typical: 95%)",
             "actionable": True, "note": "partly reflects gaps in the records"},
            {"person_id": pid, "as_of": t, "direction": "lowers", "rank": 1,
             "family": "police", "family_label": "Police contact",
             "size": -0.004, "log_odds": -0.1,
             "text": "No police contact in the last year", "actionable": True,
             "note": None},
        ]
        mine = ev_all[(ev_all["person_id"] == pid) & (ev_all["event_date"] < t)
                      & (ev_all["source"] == "school")]
        for r in mine.tail(3).itertuples():
            evidence.append({"person_id": pid, "as_of": t, "family": "behaviour",
                             "direction": "raises", "date": r.event_date,
                             "end_date": pd.NaT, "source": "school",
                             "type": r.event_type, "value": float(r.value)})
        terms = pe_all[(pe_all["person_id"] == pid) & (pe_all["period_end"] < t)
                       & (pe_all["measure"] == "unauthorised_absence")]
        for r in terms.tail(1).itertuples():
            evidence.append({"person_id": pid, "as_of": t, "family": "attendance",
                             "direction": "raises", "date": r.period_start,
                             "end_date": r.period_end, "source": "school",
                             "type": "unauthorised_absence", "value": float(r.value)})
        changes += [
            {"person_id": pid, "as_of": t, "previous_as_of": prev,
             "family": "behaviour", "family_label": "Behaviour and exclusions",
             "before": 0.01, "after": 0.03, "change": 0.02,
             "sentence": "Behaviour and exclusions raised the risk by 2.0 points"},
            {"person_id": pid, "as_of": t, "previous_as_of": prev,
             "family": "police", "family_label": "Police contact",
             "before": 0.0, "after": 0.0, "change": 0.0,
             "sentence": "Police contact made no real difference"},
        ]
    ev = pd.DataFrame(evidence)
    for c in ("date", "end_date"):
        ev[c] = pd.to_datetime(ev[c]).astype("datetime64[us]")
    return pd.DataFrame(reasons), ev, pd.DataFrame(changes)


def _through_a_code_mapping(root: Path, person: str) -> pd.DataFrame:
    """One event whose canonical type comes from a code mapping onto PAYLOAD."""
    from earlysignal.data import load_mapping

    folder = root / "export"
    folder.mkdir()
    (folder / "pupils.csv").write_text(f"UPN,DOB\n{person},01/09/2009\n")
    (folder / "incidents.csv").write_text(f"UPN,Date,Code,Entered\n"
                                          f"{person},02/05/2023,X1,03/05/2023\n")
    (folder / "mapping.yaml").write_text(
        "tables:\n"
        "  people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"
        "  events:\n"
        "    - file: incidents.csv\n"
        "      columns: {person_id: UPN, event_date: Date, event_type: Code,\n"
        "                recorded_at: Entered}\n"
        "      values: {source: school}\n"
        f"      codes: {{event_type: {{X1: '{PAYLOAD}'}}}}\n")
    loaded, _ = load_mapping(folder / "mapping.yaml")
    events = loaded["events"]
    assert events["event_type"].tolist() == [PAYLOAD]
    return events


def make_run(root: Path) -> Path:
    """Write a complete run folder under ``root`` and return it."""
    from earlysignal.data.synth import SynthConfig, generate
    from earlysignal.fairness import audit

    run = root / "run"
    cohort = generate(SynthConfig(people=400, seed=11))
    tables = cohort.tables
    events = tables["events"].copy()
    truth = cohort.truth
    rng = np.random.default_rng(5)
    # scores: a noisy version of the true risk at each as-of date
    sc = truth[truth["as_of"].isin(pd.to_datetime(AS_OF_DATES))].copy()
    sc["score"] = np.clip(sc["p_true"] * np.exp(rng.normal(0, 0.5, len(sc))) * 3,
                          0.0005, 0.9)
    sc = sc.sort_values(["as_of", "person_id"]).reset_index(drop=True)
    top_person = sc[sc["as_of"] == pd.Timestamp(AS_OF_DATES[-1])].nlargest(
        1, "score")["person_id"].iloc[0]
    # an event type carrying markup, for the person with the highest score, the
    # way a user's data would bring it: a local code mapped onto it by a mapping
    events = pd.concat([events, _through_a_code_mapping(root, top_person)],
                       ignore_index=True)
    events["event_date"] = events["event_date"].astype("datetime64[us]")
    events["recorded_at"] = events["recorded_at"].astype("datetime64[us]")
    frames = {n: tables[n] for n in ("people", "episodes", "periods",
                                     "characteristics")}
    frames["events"] = events
    data = run / "data"
    data.mkdir(parents=True)
    for name, df in frames.items():
        df.to_parquet(data / f"{name}.parquet", index=False)

    chars = tables["characteristics"]
    sex = chars[chars["attribute"] == "sex"].drop_duplicates("person_id")
    sex_map = dict(zip(sex["person_id"], sex["value"], strict=True))
    eth = chars[chars["attribute"] == "ethnicity"].drop_duplicates("person_id")
    eth_map = dict(zip(eth["person_id"], eth["value"], strict=True))
    scores = sc[sc["as_of"] < pd.Timestamp(AS_OF_DATES[-1])].copy()
    scores["fold"] = scores["as_of"].map(
        {pd.Timestamp(d): i for i, d in enumerate(AS_OF_DATES[:-1])})
    scores["label"] = (rng.random(len(scores)) < scores["p_true"] * 4).astype(int)
    scores["model"] = scores["score"]
    scores["base_rate"] = 0.02
    scores["persistent_absence"] = rng.random(len(scores)) * 0.05
    scores["logistic"] = scores["score"] * rng.uniform(0.5, 1.5, len(scores))
    scores["group_sex"] = scores["person_id"].map(sex_map).fillna("unknown")
    eth_col = scores["person_id"].map(eth_map).fillna("unknown")
    eth_col[eth_col == "Other"] = PAYLOAD  # a group name carrying markup
    scores["group_ethnicity"] = eth_col
    scores = scores[["person_id", "as_of", "fold", "label", "p_true", "score",
                     "model", "base_rate", "persistent_absence", "logistic",
                     "group_sex", "group_ethnicity"]]
    scores.to_parquet(run / "scores.parquet", index=False)

    fa = audit(scores, score="score", label="label",
               groups=["group_sex", "group_ethnicity"], top="5%", n_boot=40,
               seed=0, period="as_of", source="scores.parquet")
    fa.write(run)

    latest = sc[sc["as_of"] == pd.Timestamp(AS_OF_DATES[-1])]
    before = sc[sc["as_of"] == pd.Timestamp(AS_OF_DATES[-2])][
        ["person_id", "as_of", "score"]].rename(
        columns={"as_of": "previous_as_of", "score": "previous_score"})
    cl = latest[["person_id", "as_of", "score"]].merge(before, on="person_id",
                                                        how="left")
    cl["band"] = cl["score"].map(_band)
    cl["previous_band"] = cl["previous_score"].map(
        lambda s: None if pd.isna(s) else _band(s))
    cl["change"] = cl["score"] - cl["previous_score"]
    people = tables["people"].set_index("person_id")
    cl["school"] = cl["person_id"].map(people["school"])
    cl["team"] = cl["person_id"].map(people["team"])
    cl["top_reason"] = "Behaviour and exclusions: behaviour incidents in the last year"
    cl["top_family"] = "behaviour"
    cl = cl.sort_values("score", ascending=False).reset_index(drop=True)
    cl.to_parquet(run / "caseload.parquet", index=False)
    (run / "bands.json").write_text(json.dumps({"bands": BANDS}, indent=2))

    explain = run / "explain"
    explain.mkdir()
    reasons, evidence, changes = _explain(cl, frames, list(cl["person_id"][:12]))
    reasons.to_parquet(explain / "reasons.parquet", index=False)
    evidence.to_parquet(explain / "evidence.parquet", index=False)
    changes.to_parquet(explain / "changes.parquet", index=False)
    pd.DataFrame({"feature": ["behaviour incidents in the last year",
                              "attendance rate over 6 months", "age"],
                  "family": ["behaviour", "attendance", "demographics"],
                  "mean_abs": [0.3, 0.2, 0.05]}).to_parquet(
        explain / "global_importance.parquet", index=False)
    pd.DataFrame({"family": ["behaviour", "attendance", "demographics"],
                  "family_label": ["Behaviour and exclusions", "School attendance",
                                   "Age"],
                  "mean_abs": [0.3, 0.2, 0.05], "share": [0.55, 0.36, 0.09]}
                 ).to_parquet(explain / "family_importance.parquet", index=False)
    (explain / "beeswarm.svg").write_text(_svg("beeswarm", raster=True))
    (explain / "importance.svg").write_text(_svg("importance"))

    plots = run / "plots"
    plots.mkdir()
    for name in ("folds", "reliability", "drift_auc", "drift_precision",
                 "capacity_precision", "capacity_recall"):
        (plots / f"{name}.svg").write_text(_svg(name))
    folds = [{"index": i, "test_start": d, "test_end": d,
              "train_start": "2021-03-01", "train_end": AS_OF_DATES[i - 1] if i
              else "2021-03-01", "train_label_end": d, "horizon": "12m",
              "n_train_dates": i + 1} for i, d in enumerate(AS_OF_DATES[:-1])]
    (run / "metrics.json").write_text(json.dumps(_metrics(folds), indent=2))
    (run / "config.yaml").write_text(
        "name: fabricated\n"
        "data:\n  synth: {people: 400, seed: 11}\n"
        "cohort:\n  as_of: {start: 2022-03-01, end: 2023-09-01, every: 6 months}\n"
        "label:\n  name: youth_justice_first_time_entry\n  horizon: 12m\n"
        "  outcome:\n  - {table: events, source: youth_justice}\n"
        "  censoring: exclude\n"
        "model:\n  capacity: 5%\n"
        "fairness:\n  groups: [sex, ethnicity]\n")
    (run / "model.joblib").write_bytes(b"a fabricated model, hashed for its version")
    (run / "run.json").write_text(json.dumps({
        "name": "fabricated",
        "data": {"origin": "synthetic cohort", "fingerprints": {"people": "ab12"},
                 "folder": str(data)},
        "versions": {"python": "3.11", "earlysignal": "0.1.0"},
        "timings_s": {"data": 0.1, "model": 2.0},
        "features": {"rows": int(len(sc)), "features": 12,
                     "cohort": {"candidates": 2000, "too_young": 500,
                                "scored": int(len(sc))},
                     "labels": {"rows": int(len(sc)), "positives": 30}},
        "tracking": {"run_id": "abc123def", "experiment_id": "1",
                     "tracking_uri": "sqlite:///mlflow.db",
                     "ui_command": "mlflow ui --backend-store-uri sqlite:///mlflow.db",
                     "model_uri": "models:/earlysignal-fabricated/3"},
    }, indent=2))
    return run


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("report"))


@pytest.fixture(scope="session")
def rendered(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every report rendered once for the session: name -> path."""
    from earlysignal.report import render_reports

    out = tmp_path_factory.mktemp("rendered")
    return render_reports(run_dir, out, max_people=10)
