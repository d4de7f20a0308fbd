"""Finding the feature a baseline needs from feature metadata, never from column names.

A lookup names what it wants in words (``"overall absence over about a year"``),
which tokens a feature's ``name`` or ``family`` must contain, which aggregates are
acceptable, and the window it prefers; the closest window wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from earlysignal.errors import EarlysignalError
from earlysignal.features._windows import Window, WindowError

__all__ = ["FeatureLookup", "LOOKUPS", "MissingFeatureError", "find_feature"]


class MissingFeatureError(EarlysignalError, KeyError):
    """A baseline needs a feature that the feature matrix does not have."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


@dataclass(frozen=True)
class FeatureLookup:
    """How to recognise a feature in the metadata.

    A feature matches when its ``name`` or ``family`` contains one of ``tokens``
    (case-insensitive), none of ``avoid``, and its ``aggregate`` is one of
    ``aggregates`` (any aggregate if empty). Among matches the one whose window is
    closest to ``window`` wins, then the one whose name contains a ``prefer`` token,
    then metadata order. When ``measures`` is given, a feature whose metadata lists
    the period measures it is computed from (its ``filter``) must use every one of
    them: an unauthorised-absence rate is not an overall-absence rate, whatever it
    is called.
    """

    what: str
    tokens: tuple[str, ...]
    aggregates: tuple[str, ...] = ()
    window: str = "1y"
    avoid: tuple[str, ...] = ()
    prefer: tuple[str, ...] = ()
    categorical_ok: bool = False
    measures: tuple[str, ...] = ()


#: The measures of overall absence: authorised and unauthorised, over sessions possible.
OVERALL_ABSENCE_MEASURES = ("authorised_absence", "unauthorised_absence",
                            "sessions_possible")

LOOKUPS: dict[str, FeatureLookup] = {
    "absence_rate": FeatureLookup(
        "overall absence (authorised and unauthorised, as a share of sessions "
        "possible) over about a year, as a rate or as the persistent-absence flag",
        tokens=("overall_absence", "overall absence", "persistent_absence",
                "persistent absence", "total_absence"),
        aggregates=("rate", "ratio", "share", "proportion", "persistent"),
        # "authorised" also catches "unauthorised": one kind of absence is not overall
        avoid=("trend", "days_since", "no_data", "authorised"),
        measures=OVERALL_ABSENCE_MEASURES,
    ),
    "suspensions": FeatureLookup(
        "a count of suspensions or exclusions over about a year",
        tokens=("suspension", "exclusion"),
        aggregates=("count", "sum", "n", "any"),
        avoid=("trend", "days_since", "no_data"),
    ),
    "sen": FeatureLookup(
        "special educational needs status (a characteristic such as 'sen')",
        tokens=("sen",), window="all", avoid=("absen", "sent", "no_data"), categorical_ok=True,
    ),
    "looked_after": FeatureLookup(
        "looked-after (in care) episodes or status",
        tokens=("looked_after", "looked after", "in_care", "cla"),
        window="all", avoid=("days_since", "trend", "no_data"), categorical_ok=True,
    ),
    "justice_contact": FeatureLookup(
        "a count of police or youth-justice contacts over about a year",
        tokens=("police", "youth_justice", "missing_episode"),
        aggregates=("count", "sum", "n", "any"),
        avoid=("trend", "days_since", "no_data"),
        prefer=("police",),
    ),
}


def _days(window: Any) -> float:
    if window is None:
        return float("inf")
    try:
        return Window.parse(window).approx_days()
    except WindowError:
        return float("inf")


def _text(meta: Any, column: str) -> str:
    parts = [getattr(meta, "name", None) or column, getattr(meta, "family", None) or ""]
    return " ".join(str(p) for p in parts).lower()


def _matches(lookup: FeatureLookup, column: str, meta: Any) -> bool:
    text = _text(meta, column)
    if not any(t in text for t in lookup.tokens):
        return False
    if any(a in text for a in lookup.avoid):
        return False
    aggregate = str(getattr(meta, "aggregate", None) or "").lower()
    if any(a in aggregate for a in lookup.avoid):
        return False
    if getattr(meta, "kind", "numeric") == "categorical" and not lookup.categorical_ok:
        return False
    if not _uses_measures(meta, lookup.measures):
        return False
    return not lookup.aggregates or aggregate in lookup.aggregates or (
        lookup.categorical_ok and aggregate in ("", "value", "last", "current"))


def _uses_measures(meta: Any, wanted: Sequence[str]) -> bool:
    """True unless the metadata names the measures and one of ``wanted`` is absent."""
    if not wanted:
        return True
    for key, values in getattr(meta, "filter", None) or ():
        if key == "measure":
            return set(wanted) <= {str(v) for v in values}
    return True


def find_feature(
    metadata: Mapping[str, Any] | None,
    key: str | FeatureLookup,
    *,
    needed_by: str,
    available: Sequence[str] | None = None,
    fix: str | None = None,
) -> str:
    """The column that best answers a lookup, or :class:`MissingFeatureError`.

    ``fix`` replaces the default advice (add a feature, or name the column) in the
    error, so a caller can name the setting that takes the column.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> meta = {
    ...     "overall_absence__rate__90d": M(name="overall_absence", family="attendance",
    ...                             aggregate="rate", window="90d", kind="numeric"),
    ...     "overall_absence__rate__1y": M(name="overall_absence", family="attendance",
    ...                            aggregate="rate", window="1y", kind="numeric"),
    ... }
    >>> find_feature(meta, "absence_rate", needed_by="PersistentAbsenceRule")
    'overall_absence__rate__1y'
    >>> find_feature(meta, "suspensions", needed_by="AnySuspensionRule")
    Traceback (most recent call last):
    ...
    earlysignal.model._lookup.MissingFeatureError: AnySuspensionRule needs a count of suspensions or exclusions over about a year: a feature whose name or family contains 'suspension' or 'exclusion' with aggregate count, sum, n or any; none of the 2 features in the metadata matches. Fix: add such a feature to the feature spec, or name the column explicitly (column=... / columns={...})
    """
    lookup = LOOKUPS[key] if isinstance(key, str) else key
    metadata = metadata or {}
    target = _days(lookup.window)
    found = []
    for order, (column, meta) in enumerate(metadata.items()):
        if available is not None and column not in available:
            continue
        if _matches(lookup, column, meta):
            gap = abs(_days(getattr(meta, "window", None)) - target)
            gap = 0.0 if gap != gap else gap  # inf - inf: both unbounded
            preferred = any(p in _text(meta, column) for p in lookup.prefer)
            found.append((gap, not preferred, order, column))
    if found:
        return min(found)[3]
    tokens = " or ".join(f"'{t}'" for t in lookup.tokens[:3])
    aggs = (" with aggregate " + ", ".join(lookup.aggregates[:-1]) + " or "
            + lookup.aggregates[-1]) if lookup.aggregates else ""
    raise MissingFeatureError(
        f"{needed_by} needs {lookup.what}: a feature whose name or family contains "
        f"{tokens}{aggs}; none of the {len(metadata)} features in the metadata "
        "matches. Fix: " + (fix or "add such a feature to the feature spec, or name "
                            "the column explicitly (column=... / columns={...})")
    )
