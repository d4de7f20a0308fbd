"""The caseload view: everyone scored at the latest as-of date, highest risk first.

The table works without JavaScript; a small inline script adds filters (band,
school, team) that run in the page, with no server and no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from earlysignal.report._base import Report
from earlysignal.report._common import band_colour, iso, privacy_words
from earlysignal.report._practitioner import (
    _position,
    band_of,
    band_sentence,
    most_words,
)
from earlysignal.report._run import RunFolder

__all__ = ["Caseload", "change_words"]

#: A score move smaller than this (probability) is "about the same".
SAME = 0.001


def change_words(band: str, previous: str | None, change: float | None,
                 bands: list[str]) -> tuple[str, str]:
    """(direction, words) for the change since the last score, band first.

    Examples
    --------
    >>> names = ["High", "Low"]
    >>> change_words("High", "Low", 0.1, names)
    ('up', 'up from Low')
    >>> change_words("Low", "Low", -0.01, names)
    ('down', 'lower, same band')
    >>> change_words("Low", None, None, names)
    ('new', 'first score')
    """
    if previous is None or previous == "" or pd.isna(previous):
        return "new", "first score"
    if previous != band and previous in bands and band in bands:
        up = bands.index(band) < bands.index(previous)
        return ("up", f"up from {previous}") if up else ("down", f"down from {previous}")
    if change is None or pd.isna(change) or abs(float(change)) < SAME:
        return "same", "about the same"
    return ("up", "higher, same band") if change > 0 else ("down", "lower, same band")


class Caseload(Report):
    """Everyone scored at an as-of date, sorted by risk, with filters.

    Parameters
    ----------
    run : RunFolder
        Needs ``caseload.parquet`` and ``bands.json``.
    links : mapping, optional
        person_id -> relative link of that person's summary page; people without
        one are listed without a link.
    """

    template: ClassVar[str] = "caseload.html.j2"

    def __init__(self, run: RunFolder, *, links: Mapping[str, str] | None = None
                 ) -> None:
        self.run = run
        self.links = dict(links or {})

    def __repr__(self) -> str:
        return f"Caseload(run={self.run.name!r}, {len(self.frame())} people)"

    def frame(self) -> pd.DataFrame:
        """The caseload, highest score first (ties by person_id)."""
        cl = self.run.need("caseload", "caseload view").copy()
        cl["person_id"] = cl["person_id"].astype(str)
        return cl.sort_values(["score", "person_id"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)

    def _filters(self, cl: pd.DataFrame) -> list[dict[str, Any]]:
        """Filters for the columns the caseload has: the population's setting
        (e.g. school) and team, each only when present and not empty."""
        setting = self.run.population.setting
        out = []
        for col in dict.fromkeys(c for c in (setting, "team") if c):
            if col in cl.columns:
                values = sorted({_text(x) for x in cl[col]} - {""})
                if values:
                    out.append({"key": col, "label": col[:1].upper() + col[1:],
                                "all": f"All {col}s" if not col.endswith("s")
                                else f"All {col}", "values": values})
        return out

    def _reasons(self, cl: pd.DataFrame) -> dict[str, str]:
        """person_id -> the top two families raising the score, from the explain
        stage's reasons at each person's caseload date (first with its text)."""
        rs = self.run.reasons
        if rs is None or rs.empty:
            return {}
        rs = rs[rs["direction"] == "raises"].copy()
        rs["person_id"] = rs["person_id"].astype(str)
        rs["as_of"] = pd.to_datetime(rs["as_of"])
        want = cl[["person_id", "as_of"]].assign(as_of=pd.to_datetime(cl["as_of"]))
        rs = rs.merge(want, on=["person_id", "as_of"]).sort_values(
            ["person_id", "rank"], kind="stable")
        out = {}
        for pid, g in rs.groupby("person_id", sort=False):
            top = g.drop_duplicates("family").head(2).to_dict("records")
            words = f"{top[0]['family_label']}: {top[0]['text']}"
            if len(top) > 1:
                words += f"; then {str(top[1]['family_label']).lower()}"
            out[str(pid)] = words
        return out

    def summarize(self) -> dict[str, Any]:
        bands = self.run.need("bands", "caseload view")
        names = [str(b["name"]) for b in bands]
        cl = self.frame()
        pop = self.run.population
        filters = self._filters(cl)
        reasons = self._reasons(cl)
        rows = []
        for i, r in enumerate(cl.to_dict("records")):
            band = r.get("band")
            pos = _position(band, bands) if band is not None and pd.notna(band) \
                else None
            if pos is None:
                pos = band_of(float(r["score"]), bands)
            prev = r.get("previous_band")
            moved, words = change_words(names[pos], None if prev is None or
                                        pd.isna(prev) else str(prev),
                                        r.get("change"), names)
            rows.append({
                "rank": i + 1, "person_id": r["person_id"], "band": names[pos],
                "position": pos, "colour": band_colour(pos),
                "top_reason": reasons.get(r["person_id"])
                or _text(r.get("top_reason")),
                "moved": moved, "change": words,
                "previous_as_of": iso(r.get("previous_as_of")),
                "filters": {f["key"]: _text(r.get(f["key"])) for f in filters},
                "href": self.links.get(r["person_id"]),
                "extrapolation": bool(r.get("out_of_population") or False),
                "population_note": _text(r.get("population_note")),
            })
        as_of = iso(cl["as_of"].max()) if len(cl) else ""
        counts = {n: sum(1 for r in rows if r["band"] == n) for n in names}
        outcome, horizon = self.run.outcome_words()
        check = self.run.band_check
        population = check["population"] or {}
        return {
            "as_of": as_of, "n": len(rows), "run": self.run.run_label,
            "model_version": self.run.model_version,
            "privacy": privacy_words(self.run.run.get("privacy"), pop.person),
            "most": most_words(bands, pop.people, outcome),
            "outcome": outcome, "horizon": horizon,
            "bands": [{"name": n, "colour": band_colour(i), "count": counts[n],
                       "share": counts[n] / len(rows) if rows else None,
                       "claimed": bands[i].get("share_of_cohort"),
                       "sentence": band_sentence(bands[i], pop.people)}
                      for i, n in enumerate(names)],
            "share_warning": (check["shares"] or {}).get("warning") or "",
            "population": population.get("sentence") or "",
            "extrapolated": sum(1 for r in rows if r["extrapolation"]),
            "filters": filters,
            "rows": rows,
            "linked": sum(1 for r in rows if r["href"]),
        }


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else str(value)
