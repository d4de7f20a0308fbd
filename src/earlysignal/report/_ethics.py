"""The ethics-board report: a model card laid out on the UK Algorithmic
Transparency Recording Standard (ATRS) headings, with the full fairness audit.

What the run cannot know (who owns the tool, contacts, impact assessments, review
dates) comes from a ``model_card`` mapping (argument, or the config's
``model_card`` section); anything missing is marked "to be completed" on the page
rather than invented.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from earlysignal.present import Population
from earlysignal.report._base import Report
from earlysignal.report._common import day, label, pct, privacy_words
from earlysignal.report._fairness_view import fairness_view
from earlysignal.report._linkage_view import linkage_view
from earlysignal.report._performance import (
    calibration_chart,
    drift_chart,
    model_name,
    pooled_table,
    window_heading,
)
from earlysignal.report._practitioner import band_sentence, most_words
from earlysignal.report._run import RunFolder
from earlysignal.report._shipped import shipped_model
from earlysignal.report._svg import bar_chart

__all__ = ["CARD_FIELDS", "EthicsReport", "age_words", "censoring_words",
           "data_sources_table", "frequency_words"]

TODO = "To be completed by the owner before use."

#: Fields of the model card that only people can supply, with their defaults.
CARD_FIELDS: dict[str, str] = {
    "organisation": TODO,
    "team": TODO,
    "senior_responsible_owner": TODO,
    "contact": TODO,
    "supplier": ("No external supplier: built in house with the open-source "
                 "earlysignal toolkit; no third party holds the data or the model."),
    "decision_point": (
        "Regular multi-agency review of {people} who might benefit from early, "
        "voluntary support, before {outcome}."),
    "who_acts": (
        "The practitioner who knows the {person} reads the summary, adds what they "
        "know, and decides with their manager whether to offer support. The score "
        "never triggers an action by itself."),
    "out_of_scope": (
        "Any decision that restricts, sanctions or disadvantages a {person} or their "
        "family; policing or intelligence use; eligibility for services; scoring "
        "people outside the cohort the model was trained on; use as evidence in any "
        "proceedings."),
    "dpia": TODO,
    "eia": TODO,
    "review_date": TODO,
    "monitoring": (
        "Each run repeats the temporal evaluation and the fairness audit; the board "
        "reviews both, with practitioners' recorded agreement and disagreement, at "
        "least every six months and whenever the data sources change."),
    "appeals": (
        "Practitioners record agreement or disagreement on every summary; {people} "
        "and their families can ask what is held about them under data-protection "
        "law through the organisation's usual route."),
}

_CENSOR_KEYS = ("censored_left_area", "censored_aged_out", "censored_extract_ends")


def censoring_words(label_cfg: Mapping[str, Any], pop: Population
                    ) -> dict[str, str]:
    """The censoring reasons named by the rule that made them.

    Examples
    --------
    >>> w = censoring_words({"followup": {"extract_date": "2024-08-31", "max_age": 18,
    ...     "leaves": {"table": "episodes", "source": "school", "type": "enrolment"}}},
    ...     Population())
    >>> w["censored_left_area"], w["censored_aged_out"], w["censored_extract_ends"]
    ('follow-up cut short: their School enrolment ended', 'follow-up cut short: reached 18', 'follow-up cut short: the data extract ends (31 Aug 2024)')
    """
    follow = label_cfg.get("followup") or {}
    leaves = follow.get("leaves") or {}
    left = ("their " + " ".join(x for x in (pop.source(leaves.get("source", "")),
                                            str(leaves.get("type", "")).replace(
                                                "_", " ")) if x) + " ended"
            if leaves else "they left the area")
    age = follow.get("max_age")
    extract = day(follow.get("extract_date"))
    cut = "follow-up cut short: "
    return {
        "censored_left_area": cut + left,
        "censored_aged_out": cut + (f"reached {age}" if age else "aged out"),
        "censored_extract_ends": cut + "the data extract ends"
        + (f" ({extract})" if extract else ""),
        "censored_excluded": "left out because their follow-up was cut short",
        "censored_excluded_with_escalation": "of those, the outcome was seen "
                                             "before follow-up ended",
        "censored_negative": "counted as without the outcome though follow-up "
                             "was cut short",
        "rows_before_first_record": "scored before their first record",
    }


def frequency_words(as_of: Mapping[str, Any]) -> str:
    """How often people are scored, from the cohort's as-of settings, saying
    only what the config says.

    Examples
    --------
    >>> frequency_words({"start": "2018-09-01", "end": "2023-09-01", "every": "3 months"})
    'Scored every 3 months from 1 Sep 2018 to 1 Sep 2023.'
    >>> frequency_words({})
    'The run did not record how often people are scored.'
    """
    every, start, end = (as_of.get(k) for k in ("every", "start", "end"))
    if not (every or start or end):
        return "The run did not record how often people are scored."
    text = f"Scored every {every}" if every else "Scored at the configured dates"
    if start and end:
        text += f" from {day(start)} to {day(end)}"
    elif start:
        text += f" from {day(start)}"
    elif end:
        text += f" until {day(end)}"
    return text + "."


def age_words(age: Mapping[str, Any]) -> str:
    """' aged 10 to 16', ' aged 10 and over' … from the cohort's age settings."""
    lo, hi = age.get("min"), age.get("max")
    if lo is not None and hi is not None:
        return f" aged {lo} to {hi}"
    if lo is not None:
        return f" aged {lo} and over"
    return f" aged up to {hi}" if hi is not None else ""


def data_sources_table(tables: Mapping[str, pd.DataFrame] | None,
                       pop: Population | None = None) -> list[dict[str, Any]]:
    """Rows, people and date range per table and source of the canonical tables.

    Examples
    --------
    >>> ev = pd.DataFrame({"person_id": ["a", "b"], "source": ["police"] * 2,
    ...     "event_date": pd.to_datetime(["2020-01-05", "2021-03-01"])})
    >>> e = ev.iloc[:0]
    >>> data_sources_table({"events": ev, "episodes": pd.DataFrame(
    ...     columns=["person_id", "source", "start_date"]), "periods": e})[0]["first"]
    '2020-01-05'
    """
    if tables is None:
        return []
    spec = (("events", "event_date", "source"), ("episodes", "start_date", "source"),
            ("periods", "period_end", None))
    out = []
    for table, date_col, by in spec:
        df = tables[table]
        if not len(df):
            continue
        groups = df.groupby(by, sort=True) if by else [("attendance", df)]
        for key, g in groups:
            dates = pd.to_datetime(g[date_col])
            name = (pop or Population()).source(key)
            out.append({"table": table, "source": str(key), "label": name,
                        "rows": int(len(g)), "people": int(g["person_id"].nunique()),
                        "first": f"{dates.min():%Y-%m-%d}",
                        "last": f"{dates.max():%Y-%m-%d}"})
    return out


class EthicsReport(Report):
    """Model card and fairness report for an ethics board or commissioner.

    Parameters
    ----------
    run : RunFolder
        Uses ``run.json``, ``config.yaml``, ``metrics.json``, ``fairness.json``,
        ``bands.json``, the explain stage's importance tables and the data folder;
        sections whose file is missing say so.
    card : mapping, optional
        Model-card fields only people can supply (see :data:`CARD_FIELDS`);
        overrides the config's ``model_card`` section.
    reviews : mapping, optional
        Practitioners' judgements of the bands from the review service, as
        ``earlysignal.serve.review_feedback`` computes them; the section is
        shown only when given.
    """

    template: ClassVar[str] = "ethics.html.j2"

    def __init__(self, run: RunFolder, *, card: Mapping[str, Any] | None = None,
                 reviews: Mapping[str, Any] | None = None) -> None:
        self.run = run
        self.reviews = reviews
        pop = run.population
        outcome, _ = run.outcome_words()
        words = {"people": pop.people, "person": pop.person, "outcome": outcome}
        defaults = {k: v.format(**words) for k, v in CARD_FIELDS.items()}
        self.card = {**defaults, **(run.config.get("model_card") or {}),
                     **(card or {})}

    def __repr__(self) -> str:
        return f"EthicsReport(run={self.run.name!r})"

    def summarize(self) -> dict[str, Any]:
        run, cfg = self.run, self.run.config
        metrics = run.metrics or {}
        label_cfg = cfg.get("label") or {}
        outcome, horizon = run.outcome_words()
        model_cfg = cfg.get("model") or {}
        settings = metrics.get("settings") or {}
        fam = run.family_importance
        if fam is not None and "mean_abs" in fam.columns:
            fam = fam.sort_values("mean_abs", ascending=False, kind="stable")
        features = run.run.get("features") or {}
        pop = run.population
        cohort_cfg = cfg.get("cohort") or {}
        censor = censoring_words(label_cfg, pop)
        sources = data_sources_table(run.tables, pop)
        return {
            "name": run.name,
            "run": run.run_label,
            "model_version": run.model_version,
            "tracking": run.tracking,
            "versions": run.run.get("versions") or {},
            "fingerprints": (run.run.get("data") or {}).get("fingerprints") or {},
            "origin": (run.run.get("data") or {}).get("origin", ""),
            "privacy": privacy_words(run.run.get("privacy"), pop.person),
            "model_uri": run.tracking.get("model_uri", ""),
            "card": self.card,
            "todo": TODO,
            "outcome": outcome,
            "horizon": horizon,
            "label_name": label(label_cfg.get("name", "outcome")),
            "label_sources": [pop.source(o.get("source", o.get("table", "")))
                              for o in label_cfg.get("outcome") or []
                              if isinstance(o, Mapping)],
            "censoring": _censoring_rule(label_cfg.get("censoring", "")),
            "frequency": frequency_words(cohort_cfg.get("as_of") or {}),
            "age": age_words(cohort_cfg.get("age") or {}),
            "sources_sentence": pop.sources_list(
                list(dict.fromkeys(r["source"] for r in sources))),
            "protected": [pop.characteristic(c)
                          for c in pop.characteristics.protected],
            "most": most_words(run.bands or [], pop.people, outcome),
            "capacity": model_cfg.get("capacity") or settings.get("capacity", ""),
            "use_protected": bool(settings.get("use_protected", False)),
            "shipped": shipped_model(settings),
            "n_features": metrics.get("n_features") or features.get("features"),
            "cohort": [{"step": label(k), "count": v}
                       for k, v in (features.get("cohort") or {}).items()],
            "labels": [{"step": censor.get(k) or label(k), "count": v}
                       for k, v in (features.get("labels") or {}).items()],
            "sources": sources,
            "bands": [{**b, "sentence": band_sentence(b, pop.people)}
                      for b in run.bands or []],
            "band_rule": run.band_check["rule"],
            "band_shares": run.band_check["shares"] or {},
            "population": run.band_check["population"] or {},
            "pooled": pooled_table(metrics),
            "verdicts": [{"baseline": model_name(k), "text": v}
                         for k, v in (metrics.get("verdicts") or {}).items()],
            "oracle_gap": metrics.get("oracle_gap") or {},
            "folds": len(metrics.get("folds") or []),
            "test_unit": window_heading(metrics).lower(),
            "families": ([] if fam is None else
                         [{"label": str(r.get("family_label", r["family"])),
                           "share": r.get("share"), "mean_abs": r.get("mean_abs")}
                          for r in fam.to_dict("records")]),
            "fairness": fairness_view(run.fairness, pop) if run.fairness else None,
            "linkage": linkage_view(run.linkage, pop),
            "has_metrics": bool(metrics),
            "reviews": dict(self.reviews) if self.reviews else None,
        }

    def context(self) -> dict[str, Any]:
        s = self.summarize()
        metrics = self.run.metrics or {}
        fam = s["families"]
        share = all(f["share"] is not None for f in fam)
        drivers = bar_chart(
            [(f["label"], 100 * float(f["share"]) if share else float(f["mean_abs"]))
             for f in fam],
            alt="What drives the scores overall: share of the mean absolute "
                "contribution by family of factors", unit="%" if share else "")
        return {"s": s, "charts": {
            "drift_auc": drift_chart(metrics, "auc"),
            "drift_precision": drift_chart(metrics, "precision_at_k"),
            "calibration": calibration_chart(metrics),
            "drivers": drivers,
        }, "day": day, "pct": pct}


def _censoring_rule(rule: str) -> str:
    """What the config's ``label.censoring`` does, in words."""
    return {"exclude": "left out of training and evaluation",
            "negative": "counted as without the outcome",
            "keep": "kept with the outcome as seen"}.get(str(rule), str(rule)
                                                        or "not recorded")
