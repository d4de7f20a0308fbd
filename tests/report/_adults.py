"""A run about adults (no school, no children's services), made from the
fabricated children's run by renaming its sources, records and words."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .conftest import make_run

SOURCES = {"school": "housing", "social_care": "adult_social_care",
           "youth_justice": "probation"}
EVENTS = {"behaviour_incident": "antisocial_behaviour_report",
          "suspension": "rent_arrears_notice", "permanent_exclusion": "eviction",
          "referral": "safeguarding_concern", "caution": "community_order",
          "court_disposal": "court_order", "conditional_caution": "court_order"}
EPISODES = {"enrolment": "tenancy", "child_in_need": "care_and_support_plan",
            "early_help": "care_and_support_plan",
            "child_protection": "safeguarding_enquiry",
            "looked_after": "residential_care"}
FAMILIES = {"behaviour": ("housing", "Housing"),
            "attendance": ("social_care", "Adult social care"),
            "police": ("police", "Police contact")}
POPULATION = {
    "person": "adult", "people": "adults", "peer_group": "age band",
    "setting": None, "default_sources": False,
    "sources": {"housing": "Housing", "adult_social_care": "Adult social care",
                "probation": "Probation", "police": "Police"},
    "characteristics": {"protected": ["sex", "ethnicity"], "needs": ["disability"],
                        "labels": {"disability": "Disability"}},
    "age_bands": [18, 25, 40, 65],
}


def _rewrite(df: pd.DataFrame, col: str, mapping: dict[str, str]) -> pd.DataFrame:
    out = df.copy()
    out[col] = out[col].map(lambda v: mapping.get(v, v))
    return out


def _data(run: Path) -> None:
    data = run / "data"
    people = pd.read_parquet(data / "people.parquet")
    people = people.drop(columns=["school", "team"])
    people["date_of_birth"] = people["date_of_birth"] - pd.DateOffset(years=30)
    people.to_parquet(data / "people.parquet", index=False)
    ev = _rewrite(_rewrite(pd.read_parquet(data / "events.parquet"), "source",
                           SOURCES), "event_type", EVENTS)
    ev.to_parquet(data / "events.parquet", index=False)
    ep = _rewrite(_rewrite(pd.read_parquet(data / "episodes.parquet"), "source",
                           SOURCES), "episode_type", EPISODES)
    ep.to_parquet(data / "episodes.parquet", index=False)
    pe = pd.read_parquet(data / "periods.parquet")
    pe.iloc[0:0].to_parquet(data / "periods.parquet", index=False)
    ch = pd.read_parquet(data / "characteristics.parquet")
    ch = ch[ch["attribute"].isin(["sex", "ethnicity", "fsm"])].copy()
    fsm = ch["attribute"] == "fsm"
    ch.loc[fsm, "attribute"] = "disability"
    ch.to_parquet(data / "characteristics.parquet", index=False)


def _explain(run: Path) -> None:
    ex = run / "explain"
    rs = pd.read_parquet(ex / "reasons.parquet")
    rs["family_label"] = rs["family"].map(lambda f: FAMILIES[f][1])
    rs["text"] = rs["family"].map({
        "behaviour": "3 antisocial behaviour reports in the last year (typical for "
                     "people of their age: 0)",
        "attendance": "A care and support plan open for 8 months",
        "police": "No police contact in the last year"})
    rs.to_parquet(ex / "reasons.parquet", index=False)
    evd = _rewrite(pd.read_parquet(ex / "evidence.parquet"), "source", SOURCES)
    evd = _rewrite(evd, "type", {**EVENTS, "unauthorised_absence": "rent_arrears"})
    evd.to_parquet(ex / "evidence.parquet", index=False)
    ch = pd.read_parquet(ex / "changes.parquet")
    ch["family_label"] = ch["family"].map(lambda f: FAMILIES[f][1])
    ch["sentence"] = ch["family_label"] + " raised the risk by 2.0 points"
    ch.to_parquet(ex / "changes.parquet", index=False)
    for name in ("family_importance", "global_importance"):
        df = pd.read_parquet(ex / f"{name}.parquet")
        df["family"] = ["housing", "social_care", "demographics"]
        if "family_label" in df:
            df["family_label"] = ["Housing", "Adult social care", "Age"]
        if "feature" in df:
            df["feature"] = ["antisocial behaviour reports in the last year",
                             "care and support plans", "age"]
        df.to_parquet(ex / f"{name}.parquet", index=False)


def _outputs(run: Path) -> None:
    cl = pd.read_parquet(run / "caseload.parquet").drop(columns=["school", "team"])
    cl["top_reason"] = "Housing: antisocial behaviour reports in the last year"
    cl.to_parquet(run / "caseload.parquet", index=False)
    bands = json.loads((run / "bands.json").read_text())
    for b in bands["bands"]:
        b["outcome"] = "an emergency hospital admission"
    bands["bands"][0]["observed_per_100"] = 93.0
    (run / "bands.json").write_text(json.dumps(bands))
    m = json.loads((run / "metrics.json").read_text())
    drop = "persistent_absence"
    m["pooled"].pop(drop)
    m["verdicts"].pop(drop)
    m["settings"]["baselines"].remove(drop)
    m["per_fold"] = [r for r in m["per_fold"] if r["model"] != drop]
    m["drift"] = [r for r in m["drift"] if r["model"] != drop]
    (run / "metrics.json").write_text(json.dumps(m))
    sc = pd.read_parquet(run / "scores.parquet").drop(columns=[drop])
    sc.to_parquet(run / "scores.parquet", index=False)


def make_adult_run(root: Path) -> Path:
    """The fabricated run, rewritten as a run about adults."""
    import yaml

    run = make_run(root)
    _data(run)
    _explain(run)
    _outputs(run)
    cfg = yaml.safe_load((run / "config.yaml").read_text())
    cfg["population"] = POPULATION
    cfg["cohort"]["age"] = {"min": 18}
    cfg["label"] = {"name": "emergency_admission", "description":
                    "an emergency hospital admission", "horizon": "12m",
                    "outcome": [{"table": "events", "source": "hospital"}],
                    "censoring": "exclude",
                    "followup": {"extract_date": "2024-03-31",
                                 "leaves": {"table": "episodes", "source": "housing",
                                            "type": "tenancy"}}}
    (run / "config.yaml").write_text(yaml.safe_dump(cfg))
    info = json.loads((run / "run.json").read_text())
    info["features"]["labels"].update({"censored_excluded": 40,
                                       "censored_left_area": 25,
                                       "censored_extract_ends": 15})
    (run / "run.json").write_text(json.dumps(info))
    return run
