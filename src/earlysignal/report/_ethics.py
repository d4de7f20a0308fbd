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

from earlysignal.report._base import Report
from earlysignal.report._common import day, label, pct, privacy_words
from earlysignal.report._fairness_view import fairness_view
from earlysignal.report._performance import (
    calibration_chart,
    drift_chart,
    model_name,
    pooled_table,
)
from earlysignal.report._practitioner import band_sentence
from earlysignal.report._run import RunFolder
from earlysignal.report._shipped import shipped_model
from earlysignal.report._svg import bar_chart

__all__ = ["CARD_FIELDS", "EthicsReport", "data_sources_table"]

TODO = "To be completed by the owner before use."

#: Fields of the model card that only people can supply, with their defaults.
CARD_FIELDS: dict[str, str] = {
    "organisation": TODO,
    "team": TODO,
    "senior_responsible_owner": TODO,
    "contact": TODO,
    "supplier": ("None: built in house with the open-source earlysignal toolkit; "
                 "no third party holds the data or the model."),
    "decision_point": (
        "Termly multi-agency review of young people who might benefit from early, "
        "voluntary support (for example a youth worker, mentoring or a family "
        "support offer), before any youth-justice involvement."),
    "who_acts": (
        "The practitioner who knows the young person (social worker, youth worker "
        "or school lead) reads the summary, adds what they know, and decides with "
        "their manager whether to offer support. The score never triggers an action "
        "by itself."),
    "out_of_scope": (
        "Any decision that restricts, sanctions or disadvantages a young person or "
        "family; policing or intelligence use; eligibility for services; decisions "
        "about adults; scoring people outside the cohort the model was trained on; "
        "use as evidence in any proceedings."),
    "dpia": TODO,
    "eia": TODO,
    "review_date": TODO,
    "monitoring": (
        "Each run repeats the temporal evaluation and the fairness audit; the board "
        "reviews both, with practitioners' recorded agreement and disagreement, at "
        "least every six months and whenever the data sources change."),
    "appeals": (
        "Practitioners record agreement or disagreement on every summary; young "
        "people and families can ask what is held about them under data-protection "
        "law through the organisation's usual route."),
}


def data_sources_table(tables: Mapping[str, pd.DataFrame] | None
                       ) -> list[dict[str, Any]]:
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
            out.append({"table": table, "source": str(key), "label": label(key),
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
    """

    template: ClassVar[str] = "ethics.html.j2"

    def __init__(self, run: RunFolder, *, card: Mapping[str, Any] | None = None
                 ) -> None:
        self.run = run
        self.card = {**CARD_FIELDS, **(run.config.get("model_card") or {}),
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
        features = run.run.get("features") or {}
        return {
            "name": run.name,
            "run": run.run_label,
            "model_version": run.model_version,
            "tracking": run.tracking,
            "versions": run.run.get("versions") or {},
            "fingerprints": (run.run.get("data") or {}).get("fingerprints") or {},
            "origin": (run.run.get("data") or {}).get("origin", ""),
            "privacy": privacy_words(run.run.get("privacy")),
            "card": self.card,
            "todo": TODO,
            "outcome": outcome,
            "horizon": horizon,
            "label_name": label(label_cfg.get("name", "outcome")),
            "label_sources": [label(o.get("source", o.get("table", "")))
                              for o in label_cfg.get("outcome") or []
                              if isinstance(o, Mapping)],
            "censoring": label_cfg.get("censoring", ""),
            "as_of": (cfg.get("cohort") or {}).get("as_of") or {},
            "age": (cfg.get("cohort") or {}).get("age") or {},
            "capacity": model_cfg.get("capacity") or settings.get("capacity", ""),
            "use_protected": bool(settings.get("use_protected", False)),
            "shipped": shipped_model(settings),
            "n_features": metrics.get("n_features") or features.get("features"),
            "cohort": features.get("cohort") or {},
            "labels": features.get("labels") or {},
            "sources": data_sources_table(run.tables),
            "bands": [{**b, "sentence": band_sentence(b)} for b in run.bands or []],
            "band_rule": run.band_check["rule"],
            "band_shares": run.band_check["shares"] or {},
            "population": run.band_check["population"] or {},
            "pooled": pooled_table(metrics),
            "verdicts": [{"baseline": model_name(k), "text": v}
                         for k, v in (metrics.get("verdicts") or {}).items()],
            "oracle_gap": metrics.get("oracle_gap") or {},
            "folds": len(metrics.get("folds") or []),
            "families": ([] if fam is None else
                         [{"label": str(r.get("family_label", r["family"])),
                           "share": r.get("share"), "mean_abs": r.get("mean_abs")}
                          for r in fam.to_dict("records")]),
            "fairness": fairness_view(run.fairness) if run.fairness else None,
            "has_metrics": bool(metrics),
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
