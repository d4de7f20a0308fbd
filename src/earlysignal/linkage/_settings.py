"""Splink settings built from a :class:`LinkageConfig`, from Splink's own
comparison library, so that one model runs on DuckDB and on Spark alike."""

from __future__ import annotations

from typing import Any

from earlysignal.linkage._config import LinkageConfig

__all__ = ["blocking_rules", "comparisons", "splink_settings"]


def _name_comparison() -> Any:
    """Given and family name together: exact, swapped, close (Jaro-Winkler, or a
    familiar form of the given name), then one name alone. Exact agreement on the
    whole name, on the family name alone and on the given name alone is adjusted
    for how common the name is (Splink's term-frequency adjustment)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    first, last = "first_name", "surname"
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="given and family name",
        comparison_levels=[
            cll.And(cll.NullLevel(first), cll.NullLevel(last)),
            # term frequencies of the whole name: two Oliver Smiths are weaker
            # evidence than two of a rare name (the level's own u is the base)
            cll.And(cll.ExactMatchLevel(first), cll.ExactMatchLevel(last))
            .configure(label_for_charts="both names exact",
                       tf_adjustment_column="full_name",
                       disable_tf_exact_match_detection=True),
            cll.ColumnsReversedLevel(first, last, symmetrical=True)
            .configure(label_for_charts="given and family name swapped"),
            cll.And(cll.Or(cll.ArrayIntersectLevel("first_name_forms", 1),
                           cll.JaroWinklerLevel(first, 0.92)),
                    cll.JaroWinklerLevel(last, 0.92))
            .configure(label_for_charts="both close (Jaro-Winkler >= 0.92 or a "
                       "familiar form)"),
            cll.And(cll.JaroWinklerLevel(first, 0.8), cll.JaroWinklerLevel(last, 0.8))
            .configure(label_for_charts="both similar (Jaro-Winkler >= 0.8)"),
            cll.ExactMatchLevel(last).configure(
                label_for_charts="family name only", tf_adjustment_column=last),
            cll.ExactMatchLevel(first).configure(
                label_for_charts="given name only", tf_adjustment_column=first),
            cll.Or(cll.ArrayIntersectLevel("first_name_forms", 1),
                   cll.JaroWinklerLevel(first, 0.92))
            .configure(label_for_charts="given name only, close or a familiar "
                       "form"),
            cll.ElseLevel(),
        ])


#: One date is 1 January and the other in the same year: registers record 1
#: January when the day of birth is not known (common for children born abroad).
_JAN_FIRST = ("substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4) AND "
              "(substr(date_of_birth_l, 6, 5) = '01-01' OR "
              "substr(date_of_birth_r, 6, 5) = '01-01')")
#: The same year and month: a mistyped day.
_SAME_MONTH = "substr(date_of_birth_l, 1, 7) = substr(date_of_birth_r, 1, 7)"


def _dob_comparison() -> Any:
    """Exact, day and month transposed, a 1 January placeholder in the same year,
    the same month (a mistyped day), one character apart, within a month."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    dob = "date_of_birth"
    return cl.CustomComparison(
        output_column_name=dob,
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel(dob),
            cll.ExactMatchLevel(dob).configure(label_for_charts="exact"),
            cll.ColumnsReversedLevel(dob, "dob_swapped", symmetrical=True)
            .configure(label_for_charts="day and month transposed"),
            cll.CustomLevel(_JAN_FIRST, label_for_charts="1 January in the same "
                            "year (day not known)"),
            cll.CustomLevel(_SAME_MONTH, label_for_charts="same year and month"),
            cll.LevenshteinLevel(dob, 1).configure(
                label_for_charts="one character differs"),
            cll.AbsoluteDateDifferenceLevel(
                dob, input_is_string=True, threshold=1, metric="month")
            .configure(label_for_charts="within a month"),
            cll.ElseLevel(),
        ])


def comparisons(config: LinkageConfig) -> list[Any]:
    """The Splink comparisons of the identifiers the config records.

    Examples
    --------
    >>> [c.create_output_column_name() for c in comparisons(LinkageConfig())]
    ['name', 'date_of_birth', 'postcode', 'sex']
    """
    import splink.comparison_library as cl

    have = config.columns.given()
    out: list[Any] = []
    if "first_name" in have and "surname" in have:
        out.append(_name_comparison())
    elif "surname" in have or "first_name" in have:
        out.append(cl.NameComparison("surname" if "surname" in have
                                     else "first_name"))
    if "date_of_birth" in have:
        out.append(_dob_comparison())
    if "postcode" in have:
        out.append(cl.PostcodeComparison("postcode"))
    if "sex" in have:
        out.append(cl.ExactMatch("sex"))
    return out


def blocking_rules(rules: list[list[str]]) -> list[Any]:
    """Splink blocking rules: records agreeing on every column of a rule."""
    from splink import block_on

    return [block_on(*rule) for rule in rules]


def splink_settings(config: LinkageConfig) -> Any:
    """The Splink settings: dedupe every agency's records together (a child may be
    on one register twice), the comparisons and the blocking for prediction.

    Examples
    --------
    >>> s = splink_settings(LinkageConfig())
    >>> s.link_type, len(s.blocking_rules_to_generate_predictions)
    ('dedupe_only', 5)
    """
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(config),
        blocking_rules_to_generate_predictions=blocking_rules(config.blocking),
        # Splink keeps each pair's comparison level (gamma_*) only with the
        # matching columns; run_splink keeps the levels and drops the identifiers
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[],
    )
