"""The practitioner's summary: one page per young person per as-of date.

A risk band and what it has meant in earlier years, never a raw probability; the
reasons in plain words with the records behind them; the person's timeline across
every source up to the as-of date; what changed; which sources held data; and the
caveats, on the page itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd
from markupsafe import Markup

from earlysignal.report._base import Report
from earlysignal.report._common import band_colour, day, iso, label, privacy_words
from earlysignal.report._run import ReportError, RunFolder
from earlysignal.report._svg import Lane, timeline_chart

__all__ = ["PractitionerSummary", "band_of", "band_sentence", "data_sources",
           "linkage_caveat", "most_words"]

#: Rows of the record table that print; older ones stay on screen only.
PRINT_ROWS = 20
_ATTENDANCE_MEASURES = {"sessions_possible", "authorised_absence",
                        "unauthorised_absence"}
_LANE_ORDER = ("school", "attendance", "social_care", "police", "youth_justice")


def band_sentence(band: Mapping[str, Any], people: str = "young people") -> str:
    """What a band has meant in observed terms, from one ``bands.json`` entry.

    Examples
    --------
    >>> band_sentence({"observed_per_100": 23.1, "outcome": "a youth-justice "
    ...     "outcome", "horizon": "12 months"})
    'Of 100 young people in this band in earlier years, about 23 had a youth-justice outcome within 12 months.'
    >>> band_sentence({"observed_per_100": 0.42, "outcome": "x", "horizon": "1 year"},
    ...               "adults")
    'Of 100 adults in this band in earlier years, fewer than 1 (about 0.4) had x within 1 year.'
    """
    per = float(band.get("observed_per_100") or 0.0)
    how_many = (f"about {per:.0f}" if per >= 1 or per == 0
                else f"fewer than 1 (about {per:.1f})")
    return (f"Of 100 {people} in this band in earlier years, {how_many} had "
            f"{band.get('outcome', 'the outcome')} within "
            f"{band.get('horizon', 'the horizon')}.")


def most_words(bands: Sequence[Mapping[str, Any]], people: str, outcome: str
               ) -> str:
    """Whether most people in the bands went on to the outcome, from their rates.

    "Most … do not" is said only of bands where most did not.

    Examples
    --------
    >>> most_words([{"name": "High", "observed_per_100": 23.1},
    ...             {"name": "Low", "observed_per_100": 1.0}], "young people", "x")
    'Most young people in every band, even the highest, did not go on to x in earlier years.'
    >>> most_words([{"name": "High", "observed_per_100": 93.0},
    ...             {"name": "Low", "observed_per_100": 4.0}], "adults", "x")
    'In the High band most adults (about 93 in 100) went on to x in earlier years; in the other bands most did not.'
    """
    rates = [(str(b.get("name")), b.get("observed_per_100")) for b in bands]
    known = [(n, float(r)) for n, r in rates if r is not None and r == r]
    if not known:
        return ""
    most = [n for n, r in known if r > 50]
    if not most:
        return (f"Most {people} in every band, even the highest, did not go on to "
                f"{outcome} in earlier years.")
    names = ", ".join(f"the {n} band" for n in most)
    rate = max(r for _, r in known)
    tail = ("" if len(most) == len(known)
            else "; in the other bands most did not")
    return (f"In {names} most {people} (about {rate:.0f} in 100) went on to "
            f"{outcome} in earlier years{tail}.")


def linkage_caveat(confidence: Any, threshold: Any, records: Any,
                   person: str = "young person") -> str:
    """The caveat for a person whose records were joined with low confidence.

    A person's linkage confidence (see :mod:`earlysignal.linkage`) is below the
    run's match threshold when a weak link holds their records together or a
    record outside their cluster nearly matched: part of their history may sit
    in another agency under a record the linkage did not join, or someone
    else's record may have been joined. "" when the run did not link records or
    the confidence reaches the threshold.

    Examples
    --------
    >>> linkage_caveat(0.62, 0.8, 2)[:60]
    'The records of this young person were joined from 2 agency r'
    >>> "missed link" in linkage_caveat(0.62, 0.8, 2)
    True
    >>> linkage_caveat(0.97, 0.8, 2), linkage_caveat(None, 0.8, 1)
    ('', '')
    """
    if confidence is None or threshold is None or pd.isna(confidence) \
            or float(confidence) >= float(threshold):
        return ""
    n = int(records) if records is not None and pd.notna(records) else 1
    joined = (f"joined from {n} agency records" if n > 1
              else "held in 1 agency record")
    return (f"The records of this {person} were {joined} by probabilistic "
            f"linkage with a confidence of {float(confidence):.2f}, below the "
            f"run's match threshold of {float(threshold):.2f}. A missed link may "
            "hide part of their history in another agency's records (under a "
            "name or date of birth recorded differently), and a false link may "
            "have added someone else's: check the records at source before "
            "relying on the band.")


def band_of(score: float, bands: Sequence[Mapping[str, Any]]) -> int:
    """Position (0 = highest) of the band a score falls in; bands from the top.

    Examples
    --------
    >>> b = [{"name": "High", "lower": 0.1}, {"name": "Low", "lower": 0.0}]
    >>> band_of(0.3, b), band_of(0.1, b), band_of(0.02, b)
    (0, 0, 1)
    """
    for i, b in enumerate(bands):
        if score >= float(b.get("lower", 0.0)):
            return i
    return len(bands) - 1


def _position(name: Any, bands: Sequence[Mapping[str, Any]]) -> int | None:
    names = [str(b["name"]) for b in bands]
    return names.index(str(name)) if str(name) in names else None


class PractitionerSummary(Report):
    """One young person's risk summary at one as-of date.

    Parameters
    ----------
    run : RunFolder
        From :func:`read_run`; needs ``bands.json``, the scores (``caseload.parquet``
        or ``scores.parquet``) and the canonical tables; uses the explain stage's
        reasons, evidence and changes when present.
    person_id : str
        The person's identifier as the run holds it (pseudonymous when the run
        pseudonymised ids; the only identifier the page shows).
    as_of : date, optional
        Default: the person's latest scored date.
    tables : mapping, optional
        Canonical tables to take the timeline from (default: the run's); pass a
        subset holding only the people being rendered to go faster.
    sources : sequence of str, optional
        Every source in the data, so that the page can say which held nothing.
    """

    template: ClassVar[str] = "practitioner.html.j2"

    def __init__(self, run: RunFolder, person_id: str, as_of: Any = None, *,
                 tables: Mapping[str, pd.DataFrame] | None = None,
                 sources: Sequence[str] | None = None) -> None:
        self.run = run
        self.person_id = str(person_id)
        self._as_of = as_of
        self._tables = tables
        self._sources = sources
        self._summary: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"PractitionerSummary({self.person_id!r}, run={self.run.name!r})"

    # ------------------------------------------------------------------ scores

    def _score_rows(self) -> pd.DataFrame:
        """This person's scores (as_of, score, band?), oldest first."""
        parts = []
        cl = self.run.caseload
        if cl is not None:
            mine = cl[cl["person_id"].astype(str) == self.person_id]
            cols = ["as_of", "score", "band"]
            parts.append(mine[cols])
            prev = mine[mine["previous_as_of"].notna()] if "previous_as_of" in mine \
                else mine.iloc[0:0]
            if len(prev):
                parts.append(pd.DataFrame({
                    "as_of": prev["previous_as_of"].to_numpy(),
                    "score": prev["previous_score"].to_numpy(),
                    "band": prev["previous_band"].to_numpy()}))
        sc = self.run.scores
        if sc is not None and "score" in sc.columns:
            mine = sc[sc["person_id"].astype(str) == self.person_id]
            parts.append(mine[["as_of", "score"]].assign(band=None))
        if not parts:
            raise ReportError(
                f"{self.run.path}: neither caseload.parquet nor scores.parquet is "
                "there, so there is no score to summarise. Fix: run the pipeline "
                "to the end (`earlysignal run CONFIG`)")
        out = pd.concat(parts, ignore_index=True)
        out["as_of"] = pd.to_datetime(out["as_of"])
        out = out.dropna(subset=["as_of"]).drop_duplicates("as_of", keep="first")
        return out.sort_values("as_of").reset_index(drop=True)

    def _pick(self, rows: pd.DataFrame) -> tuple[pd.Series, pd.Series | None]:
        if rows.empty:
            raise ReportError(
                f"person '{self.person_id}' has no score in {self.run.path} "
                "(caseload.parquet, scores.parquet). Fix: check the identifier as "
                "the caseload shows it (case-sensitive) or pick someone from it")
        if self._as_of is None:
            i = len(rows) - 1
        else:
            t = pd.Timestamp(self._as_of)
            hits = rows.index[rows["as_of"] == t]
            if not len(hits):
                known = ", ".join(f"{d:%Y-%m-%d}" for d in rows["as_of"])
                raise ReportError(
                    f"person '{self.person_id}' has no score at {t:%Y-%m-%d}; "
                    f"scored at: {known}. Fix: pass one of these as-of dates")
            i = int(hits[0])
        return rows.iloc[i], (rows.iloc[i - 1] if i > 0 else None)

    def _band(self, row: pd.Series, bands: list[dict[str, Any]]) -> int:
        pos = _position(row["band"], bands) if pd.notna(row["band"]) else None
        return band_of(float(row["score"]), bands) if pos is None else pos

    # --------------------------------------------------------------- summarize

    def summarize(self) -> dict[str, Any]:
        """Plain data for the page (cached): band, reasons, timeline, sources."""
        if self._summary is None:
            self._summary = self._build()
        return self._summary

    def _build(self) -> dict[str, Any]:
        bands = self.run.need("bands", "practitioner summary")
        if not bands:
            raise ReportError(f"{self.run.path / 'bands.json'}: has no bands. Fix: "
                              "re-run the pipeline so that the bands are cut")
        row, prev = self._pick(self._score_rows())
        as_of = pd.Timestamp(row["as_of"])
        pos = self._band(row, bands)
        band = dict(bands[pos])
        tables = self._tables if self._tables is not None else self.run.need(
            "tables", "practitioner summary (its timeline)")
        records = self._records(tables, as_of)
        reasons = self._reasons(as_of, records)
        outcome, horizon = self.run.outcome_words()
        pop = self.run.population
        return {
            "person_id": self.person_id,
            "as_of": iso(as_of),
            "run": self.run.run_label,
            "model_version": self.run.model_version,
            "privacy": privacy_words(self.run.run.get("privacy"), pop.person),
            "outcome": outcome,
            "horizon": horizon,
            "label_name": str((self.run.config.get("label") or {}).get("name", "")),
            "details": self._details(tables["people"]),
            "linkage": self._linkage(tables["people"]),
            "band": {**band, "position": pos, "colour": band_colour(pos),
                     "sentence": band_sentence(band, pop.people),
                     "most": most_words([band], pop.people, outcome)},
            "bands": [{"name": b["name"], "position": i, "colour": band_colour(i),
                       "observed_per_100": b.get("observed_per_100"),
                       "share_of_cohort": b.get("share_of_cohort"),
                       "current": i == pos} for i, b in enumerate(bands)],
            "population_note": self._population_note(as_of),
            "previous": self._previous(prev, pos, bands),
            "changes": self._changes(as_of),
            "reasons": reasons,
            "records": records,
            "needs": self._needs(records, as_of),
            "sources": self._source_table(records, as_of),
            "print_rows": PRINT_ROWS,
        }

    def _details(self, people: pd.DataFrame) -> list[dict[str, str]]:
        """Where the person is (setting, team), only from columns the data has."""
        me = people[people["person_id"].astype(str) == self.person_id]
        setting = self.run.population.setting
        out = []
        for col, name in ((setting, setting), ("team", "team")):
            if col and col in me.columns and len(me) and pd.notna(me[col].iloc[0]):
                out.append({"name": str(name), "value": str(me[col].iloc[0])})
        return out

    def _linkage(self, people: pd.DataFrame) -> str:
        """The low-linkage-confidence caveat, from the person's row of the people
        table and the run's match threshold ("" for a run that did not link)."""
        facts = (self.run.run.get("data") or {}).get("linkage") or {}
        if "linkage_confidence" not in people.columns or not facts:
            return ""
        me = people[people["person_id"].astype(str) == self.person_id]
        if not len(me):
            return ""
        row = me.iloc[0]
        return linkage_caveat(row["linkage_confidence"], facts.get("threshold"),
                              row.get("records"), self.run.population.person)

    def _needs(self, records: list[dict[str, Any]], as_of: pd.Timestamp
               ) -> dict[str, Any]:
        """The characteristics that apply at the as-of date (their latest value
        known by then), and those recorded as not applying."""
        pop = self.run.population
        latest: dict[str, dict[str, Any]] = {}
        for r in records:  # newest first
            if r["kind"] != "characteristic" or not r["known_by"]:
                continue
            ended = r["end_date"] and pd.Timestamp(r["end_date"]) < as_of
            if r["type"] not in latest and not ended:
                latest[r["type"]] = r
        apply = [{"label": pop.characteristic(k), "value": pop.value(r["value"]),
                  "since": r["date"]}
                 for k, r in latest.items() if pop.applies(r["value"])]
        not_apply = sorted(pop.characteristic(k) for k, r in latest.items()
                           if not pop.applies(r["value"]))
        return {"apply": sorted(apply, key=lambda x: x["label"]),
                "not_apply": not_apply,
                "heading": pop.characteristics.needs_heading}

    def _previous(self, prev: pd.Series | None, pos: int,
                  bands: list[dict[str, Any]]) -> dict[str, Any] | None:
        if prev is None:
            return None
        p = self._band(prev, bands)
        name, before = bands[pos]["name"], bands[p]["name"]
        if p == pos:
            moved, text = "same", f"Still in the {name} band"
        elif p > pos:
            moved, text = "up", f"Moved up from the {before} band to {name}"
        else:
            moved, text = "down", f"Moved down from the {before} band to {name}"
        return {"as_of": iso(prev["as_of"]), "band": before, "moved": moved,
                "sentence": f"{text} since the score of {day(prev['as_of'])}."}

    def _population_note(self, as_of: pd.Timestamp) -> str:
        """Why this score is an extrapolation ("" when the person is inside the
        population the model learned from)."""
        cl = self.run.caseload
        if cl is None or "population_note" not in cl.columns:
            return ""
        mine = cl[(cl["person_id"].astype(str) == self.person_id)
                  & (pd.to_datetime(cl["as_of"]) == as_of)]
        notes = [str(n) for n in mine["population_note"] if isinstance(n, str) and n]
        return notes[0] if notes else ""

    def _changes(self, as_of: pd.Timestamp) -> list[str]:
        ch = self.run.changes
        if ch is None or ch.empty:
            return []
        mine = ch[(ch["person_id"].astype(str) == self.person_id)
                  & (pd.to_datetime(ch["as_of"]) == as_of)]
        mine = mine.reindex(mine["change"].abs().sort_values(ascending=False).index)
        text = [str(s) for s in mine["sentence"] if "no real difference" not in str(s)]
        return text[:4]

    # ----------------------------------------------------------------- records

    def _records(self, tables: Mapping[str, pd.DataFrame],
                 as_of: pd.Timestamp) -> list[dict[str, Any]]:
        from earlysignal.features import timeline

        tl = timeline(tables, self.person_id, until=as_of)
        pop = self.run.population
        tl = tl[~((tl["kind"] == "characteristic")
                  & tl["type"].isin(pop.characteristics.protected))]
        tl = tl.iloc[::-1].reset_index(drop=True)  # newest first
        out = []
        for i, r in enumerate(tl.to_dict("records")):
            lane = "attendance" if r["kind"] == "period" else str(r["source"])
            out.append({
                "anchor": f"rec-{i + 1}", "date": iso(r["date"]),
                "end_date": iso(r["end_date"]) or None,
                "source": str(r["source"]), "lane": lane,
                "source_label": pop.source(lane), "kind": str(r["kind"]),
                "type": str(r["type"]), "description": str(r["description"]),
                "value": r["value"], "known_by": bool(r["known_by"]),
                "recorded": iso(r["known_at"]), "evidence": False,
                "high": r["kind"] == "period" and pd.notna(r["value"])
                and float(r["value"]) >= 0.10,
            })
        return out

    def _reasons(self, as_of: pd.Timestamp,
                 records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        rs, ev = self.run.reasons, self.run.evidence
        out: dict[str, list[dict[str, Any]]] = {"raises": [], "lowers": []}
        if rs is None:
            return out
        mine = rs[(rs["person_id"].astype(str) == self.person_id)
                  & (pd.to_datetime(rs["as_of"]) == as_of)].sort_values("rank")
        if ev is not None:
            ev = ev[(ev["person_id"].astype(str) == self.person_id)
                    & (pd.to_datetime(ev["as_of"]) == as_of)]
        index = _record_index(records)
        for r in mine.to_dict("records"):
            links = []
            if ev is not None:
                rows = ev[(ev["family"] == r["family"])
                          & (ev["direction"] == r["direction"])]
                rows = rows.sort_values("date", ascending=False, kind="stable")
                links = _unique([_link(e, index) for e in rows.to_dict("records")])
            direction = "raises" if r["direction"] == "raises" else "lowers"
            note = r.get("note")
            out[direction].append({
                "rank": int(r["rank"]), "family": str(r["family"]),
                "family_label": str(r["family_label"]), "text": str(r["text"]),
                "note": "" if note is None or pd.isna(note) else str(note),
                "actionable": bool(r.get("actionable", True)),
                "evidence": links[:6], "more_evidence": max(0, len(links) - 6),
            })
        return out

    def _source_table(self, records: list[dict[str, Any]],
                      as_of: pd.Timestamp) -> list[dict[str, Any]]:
        held: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            if r["kind"] != "characteristic":
                held.setdefault(r["lane"], []).append(r)
        universe = (list(self._sources) if self._sources is not None
                    else data_sources(self._tables if self._tables is not None
                                      else self.run.tables))
        keys = universe + [k for k in held if k not in universe]
        rows = []
        for key in _ordered(keys):
            mine = held.get(key, [])
            latest = max((r["end_date"] or r["date"] for r in mine), default="")
            known = max((r["recorded"] for r in mine if r["known_by"]), default="")
            rows.append({
                "source": key, "label": self.run.population.source(key),
                "held": bool(mine),
                "records": len(mine), "latest": latest, "latest_known": known,
                "days_before": (as_of - pd.Timestamp(known)).days if known else None,
                "late": sum(1 for r in mine if not r["known_by"]),
            })
        return rows

    # ------------------------------------------------------------------ render

    def context(self) -> dict[str, Any]:
        s = self.summarize()
        return {"s": s, "chart": self.timeline_svg()}

    def timeline_svg(self) -> Markup:
        """The person's timeline: lanes per source, bars and marks, as inline SVG."""
        s = self.summarize()
        as_of = pd.Timestamp(s["as_of"])
        recs = [r for r in s["records"] if r["kind"] != "characteristic"]
        first = min((pd.Timestamp(r["date"]) for r in recs), default=as_of)
        start = max(first, as_of - pd.DateOffset(years=5))
        start = pd.Timestamp(year=start.year - (start.month < 9), month=9, day=1)
        lanes = []
        for src in [r["source"] for r in s["sources"]]:
            items = tuple({"date": r["date"], "end_date": r["end_date"],
                           "kind": r["kind"], "text": r["description"],
                           "anchor": r["anchor"], "evidence": r["evidence"],
                           "high": r["high"]}
                          for r in recs if r["lane"] == src
                          and (r["end_date"] is None and r["kind"] == "episode"
                               or pd.Timestamp(r["end_date"] or r["date"]) >= start))
            lanes.append(Lane(src, self.run.population.source(src), items))
        alt = (f"Timeline of the records of {s['person_id']} from {day(start)} to "
               f"{day(as_of)}: {len(recs)} records across "
               f"{sum(1 for r in s['sources'] if r['held'])} sources")
        return timeline_chart(lanes, start, as_of, alt=alt)


def data_sources(tables: Mapping[str, pd.DataFrame] | None) -> list[str]:
    """Every source in the data (attendance for periods), in lane order.

    Examples
    --------
    >>> ev = pd.DataFrame({"source": ["police", "school"]})
    >>> data_sources({"events": ev, "episodes": ev.iloc[:0],
    ...               "periods": pd.DataFrame({"measure": ["x"]})})
    ['school', 'attendance', 'police']
    """
    if tables is None:
        return []
    keys: list[str] = []
    for name in ("events", "episodes"):
        df = tables[name]
        if len(df):
            keys += [str(s) for s in pd.unique(df["source"])]
    if len(tables["periods"]):
        keys.append("attendance")
    return _ordered(keys)


def _ordered(keys: Sequence[str]) -> list[str]:
    known = [k for k in _LANE_ORDER if k in keys]
    return known + sorted(k for k in dict.fromkeys(keys) if k not in known)


def _record_index(records: list[dict[str, Any]]) -> dict[tuple[str, ...], dict]:
    index: dict[tuple[str, ...], dict] = {}
    for r in records:
        index.setdefault((r["date"], r["source"], r["type"]), r)
        index.setdefault((r["date"], r["source"], r["kind"]), r)
    return index


def _unique(links: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One link per record row: a term's attendance measures share a row."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for link in links:
        key = (link["anchor"], link["date"], link["text"])
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


def _link(e: Mapping[str, Any], index: dict[tuple[str, ...], dict]) -> dict[str, Any]:
    """An evidence record, tied to its row of the record table when there is one."""
    date, source, kind = iso(e.get("date")), str(e.get("source")), str(e.get("type"))
    rec = index.get((date, source, kind))
    if rec is None and kind in _ATTENDANCE_MEASURES:
        rec = index.get((date, source, "attendance"))
    if rec is not None:
        rec["evidence"] = True
        return {"anchor": rec["anchor"], "date": date, "text": rec["description"]}
    if kind == "date of birth":
        return {"anchor": None, "date": "", "text": "Age, from the date of birth on "
                "record"}
    value = e.get("value")
    shown = "" if value is None or pd.isna(value) or value == 1 else f" ({value})"
    return {"anchor": None, "date": date, "text": f"{label(kind)}{shown}"}
