"""The ethics report's linkage section, from a run's ``linkage/linkage.json``.

What the run's linkage did (records linked, people formed, people held by a weak
link), its error rates against the truth where the run had one (overall and by
group, groups withheld by the disclosure rule shown as withheld), and, where the
file carries one, the comparison of the model with true and with linked ids.
Every sentence is made from the numbers it states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from earlysignal.present import Population, count, label, pct, rate

__all__ = ["downstream_sentence", "linkage_view"]

#: Statistics of the downstream comparison, in the words of the page.
_STATISTICS = {"AUC": "the model's AUC",
               "precision at capacity": "precision at capacity"}


def _overall_sentence(q: Mapping[str, Any], person: str, people: str) -> str:
    o = q["overall"]
    return (f"Against the synthetic truth, at a match threshold of "
            f"{float(q['threshold']):g}: {pct(o['precision'])} of the record pairs "
            f"joined were the same {person} (precision) and {pct(o['recall'])} of "
            f"the pairs that belong together were joined (recall); "
            f"{pct(o['split_share'])} of {people} with several records were split "
            f"into more than one and {pct(o['merged_share'])} were merged with "
            f"someone else.")


def _gap_sentence(g: Mapping[str, Any], pop: Population) -> str:
    return (f"By {pop.characteristic(str(g['group_by']))}, recall ran from "
            f"{pct(g['worst_recall'])} ({g['worst']}) to {pct(g['best_recall'])} "
            f"({g['best']}), a gap of {float(g['gap']) * 100:.1f} percentage points: "
            f"records of {pop.people} in the {g['worst']} group are the most often "
            "left apart, so more of their history may sit unseen in another "
            "agency's records.")


def downstream_sentence(row: Mapping[str, Any], true_value: float,
                        linked_value: float, people: str) -> str:
    """One comparison of the model keyed by true and by linked ids, in words
    made from its numbers; the verdict follows the interval of the difference.

    Examples
    --------
    >>> downstream_sentence({"statistic": "AUC: linked - true", "value": -0.012,
    ...     "low": -0.02, "high": -0.004}, 0.80, 0.788, "children")
    ... # doctest: +NORMALIZE_WHITESPACE
    "The model's AUC was 0.788 with linked ids and 0.800 with true ids on the
    same children and dates: a difference of -0.012 (95% interval -0.020 to
    -0.004), lower with linked ids."
    """
    name = str(row["statistic"]).split(":")[0]
    words = _STATISTICS.get(name, name)
    low, high = float(row["low"]), float(row["high"])
    verdict = ("lower with linked ids" if high < 0 else "higher with linked ids"
               if low > 0 else "no difference shown at this size")
    return (f"{words[0].upper()}{words[1:]} was {rate(linked_value)} with linked ids "
            f"and {rate(true_value)} with true ids on the same {people} and dates: "
            f"a difference of {float(row['value']):+.3f} (95% interval "
            f"{low:+.3f} to {high:+.3f}), {verdict}.").replace("+", "")


def _downstream(rows: Sequence[Mapping[str, Any]], people: str) -> list[str]:
    by = {str(r["statistic"]): r for r in rows}
    out = []
    for name in _STATISTICS:
        diff = by.get(f"{name}: linked - true")
        true, linked = by.get(f"{name} (true ids)"), by.get(f"{name} (linked ids)")
        if diff and true and linked:
            out.append(downstream_sentence(diff, float(true["value"]),
                                           float(linked["value"]), people))
    return out


def _groups(q: Mapping[str, Any], pop: Population) -> list[dict[str, Any]]:
    rows = []
    for r in q.get("by_group") or []:
        withheld = bool(r.get("withheld"))
        rows.append({"by": pop.characteristic(str(r["group_by"])),
                     "group": label(str(r["group"])), "withheld": withheld,
                     "people": None if withheld else count(r.get("people")),
                     "precision": None if withheld else pct(r.get("precision")),
                     "recall": None if withheld else pct(r.get("recall")),
                     "split": None if withheld else pct(r.get("split_share")),
                     "merged": None if withheld else pct(r.get("merged_share"))})
    return rows


def linkage_view(doc: Mapping[str, Any] | None, pop: Population
                 ) -> dict[str, Any] | None:
    """The linkage section's data, or None when the run did not link records.

    Examples
    --------
    >>> v = linkage_view({"facts": {"records": 130, "people": 100,
    ...     "linked_people": 25, "threshold": 0.8, "low_confidence_people": 3}},
    ...     Population())
    >>> v["facts"]
    ... # doctest: +NORMALIZE_WHITESPACE
    'Linkage joined 130 records from the agencies into 100 young people, 25 of
    them from two or more records; 3 are held together by a link, or have a
    near miss, weaker than the match threshold of 0.8.'
    >>> linkage_view(None, Population()) is None
    True
    """
    if not doc or not doc.get("facts"):
        return None
    f = doc["facts"]
    facts = (f"Linkage joined {count(f['records'])} records from the agencies into "
             f"{count(f['people'])} {pop.people}, {count(f['linked_people'])} of "
             f"them from two or more records; {count(f['low_confidence_people'])} "
             "are held together by a link, or have a near miss, weaker than the "
             f"match threshold of {float(f['threshold']):g}.")
    q = doc.get("quality")
    out: dict[str, Any] = {"facts": facts, "quality": None, "gaps": [], "groups": [],
                           "min_cell": None, "downstream": _downstream(
                               doc.get("downstream") or [], pop.people)}
    if q:
        out.update(quality=_overall_sentence(q, pop.person, pop.people),
                   gaps=[_gap_sentence(g, pop) for g in q.get("gaps") or []],
                   groups=_groups(q, pop), min_cell=q.get("min_cell"))
    return out
