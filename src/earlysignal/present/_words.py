"""The population's vocabulary: who is scored, what the outcome and the sources are
called, who a person is compared with, how characteristics are grouped, and the
readable names of the codes the pages show.

A run's config says these in its optional ``population`` section; the defaults
reproduce the wording of the children's-services demo. Every page takes its words
from one :class:`Population`, so a run about adults never speaks of young people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["CODE_LABELS", "Characteristics", "Population", "label", "model_label",
           "run_model_names"]

#: Readable names of codes that reach a page (metrics, models, options, groups).
CODE_LABELS: dict[str, str] = {
    "records": "Records",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "npv": "negative predictive value",
    "selection_rate": "selection rate",
    "base_rate": "base rate",
    "precision": "precision",
    "auc": "AUC",
    "roc_auc": "AUC within the group",
    "oe_ratio": "observed / expected",
    "calibration_gap": "calibration gap",
    "mean_score": "mean score",
    "size": "people",
    "positives": "people with the outcome",
    "selected": "people selected",
    "tp": "selected people with the outcome",
    "average_precision": "average precision",
    "precision_at_k": "precision at capacity",
    "recall_at_k": "recall at capacity",
    "caught_at_k": "outcomes caught at capacity",
    "ece": "calibration error (ECE)",
    "brier": "Brier score",
    "log_loss": "log loss",
    "model": "the model",
    "base_rate_model": "base rate",
    "persistent_absence": "persistent-absence rule",
    "any_suspension": "any-suspension rule",
    "checklist": "points checklist",
    "logistic": "logistic regression",
    "oracle": "oracle (true risk)",
    "unmitigated": "the model as it is",
    "ThresholdOptimizer (equalized_odds)":
        "equal true and false positive rates (group thresholds)",
    "unmitigated at ThresholdOptimizer (equalized_odds)'s capacity":
        "the model as it is, selecting as many as that option",
    "equal TPR, same capacity": "equal true positive rates, same capacity",
    "equal selection rate, same capacity": "equal selection rates, same capacity",
    "fair_tpr": "equal true positive rates",
    "fair_selection": "equal selection rates",
    "age_band": "Age band",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "sen": "Special educational needs",
    "fsm": "Free school meals",
    "disability": "Disability",
    "sen_support": "SEN support",
    "ehcp": "EHC plan",
}

#: How the demo's sources are called; a run's config may rename any of them.
DEFAULT_SOURCES: dict[str, str] = {
    "school": "School",
    "attendance": "School attendance",
    "police": "Police",
    "social_care": "Children's social care",
    "youth_justice": "Youth justice",
}


def label(code: Any) -> str:
    """Readable words for a code: a known name, else underscores to spaces.

    Examples
    --------
    >>> label("npv"), label("group_sen"), label("behaviour_incident")
    ('negative predictive value', 'Special educational needs', 'Behaviour incident')
    """
    text = str(code)
    if text in CODE_LABELS:
        return CODE_LABELS[text]
    bare = text.removeprefix("group_")
    if bare in CODE_LABELS:
        return CODE_LABELS[bare]
    bare = bare.replace("__", " ").replace("_", " ").strip()
    return bare[:1].upper() + bare[1:]


# models whose own words the pages keep even when a run names them
_OWN_WORDS = ("model", "oracle", "base_rate", "logistic")


def model_label(code: str, names: Mapping[str, str] | None = None) -> str:
    """Readable name of a model or baseline column: the run's own name for a
    baseline the config renamed (``names``), else the code's words.

    Examples
    --------
    >>> model_label("model"), model_label("base_rate"), model_label("checklist")
    ('the model', 'base rate', 'points checklist')
    >>> model_label("any_suspension", {"any_suspension": "a missed deadline"})
    'a missed deadline'
    """
    if names and code in names and code not in _OWN_WORDS:
        return str(names[code])
    return "base rate" if code == "base_rate" else label(code)


def run_model_names(baseline_inputs: Mapping[str, Any] | None) -> dict[str, str]:
    """The names a run's config gave its baselines (their ``label``), by code.

    Examples
    --------
    >>> run_model_names({"any_suspension": {"column": "x", "label": "a late task"},
    ...                  "checklist": {}})
    {'any_suspension': 'a late task'}
    """
    return {k: str(v["label"]) for k, v in (baseline_inputs or {}).items()
            if isinstance(v, Mapping) and v.get("label")}


class _Words(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Characteristics(_Words):
    """How recorded characteristics are grouped on the pages.

    ``protected`` ones are used only to audit (never shown on a practitioner's
    page); ``needs`` are shown when they apply; ``other`` are shown as recorded.
    A value in ``off`` (case-insensitive) means the characteristic does not apply.
    """

    protected: list[str] = Field(default_factory=lambda: ["sex", "ethnicity"],
                                 description="Used only to audit; never shown "
                                 "on a practitioner's page.")
    needs: list[str] = Field(default_factory=lambda: ["sen", "fsm"],
                             description="Shown on a page when they apply.")
    other: list[str] = Field(default_factory=list, description="Shown when they "
                             "apply, like needs.")
    off: list[str] = Field(default_factory=lambda: ["no", "none", "false", "0", "n",
                                                    "not known", "unknown"],
                           description="Values meaning 'does not apply'.")
    labels: dict[str, str] = Field(default_factory=dict, description="Names of "
                                   "characteristics and values, by code.")
    needs_heading: str = Field("Recorded needs", description="Heading of the "
                               "characteristics that apply.")


class Population(_Words):
    """Who is scored and how the pages speak of them (the config's ``population``).

    Examples
    --------
    >>> kids = Population()
    >>> kids.people, kids.peer_words, kids.source("social_care")
    ('young people', 'their year group', "Children's social care")
    >>> adults = Population(person="adult", people="adults", peer_group="age band",
    ...                     setting=None, age_bands=[18, 25, 40, 65])
    >>> adults.Person, adults.peer_words, adults.age_band_labels()
    ('Adult', 'people of their age', ['18-24', '25-39', '40-64', '65 and over'])
    """

    person: str = Field("young person", description="One person scored, in words.")
    people: str = Field("young people", description="Several people scored.")
    outcome: str | None = Field(None, description="What the outcome is called "
                                "(default: the label's description).")
    sources: dict[str, str] = Field(default_factory=dict, description="Names of "
                                    "the sources, by code (adds to the defaults).")
    default_sources: bool = Field(True, description="Start from the demo's source "
                                  "names (School, Children's social care …).")
    peer_group: Literal["year group", "age band", "none"] = Field(
        "year group", description="Who a person is compared with in 'typical for "
        "…' comparisons.")
    setting: str | None = Field("school", description="Where people are enrolled "
                                "(a caseload filter and page detail), or null.")
    services: str = Field("children's services, schools and youth justice",
                          description="The services whose records are used.")
    characteristics: Characteristics = Field(
        default_factory=Characteristics, description="How characteristics are "
        "grouped (below).")
    age_bands: list[int] | None = Field(
        None, description="Lower edges of the age bands of the audit and of the "
        "'age band' peer group, ascending (the audited characteristics are "
        "fairness.groups).")

    @field_validator("age_bands")
    @classmethod
    def _ascending(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (len(v) < 1 or sorted(set(v)) != list(v)):
            raise ValueError("age_bands must be distinct lower edges in ascending "
                             "order, e.g. [10, 12, 14, 16]")
        return v

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Population:
        """The population of a run's config (its ``population`` section)."""
        section = (config or {}).get("population") if config else None
        return cls.model_validate(section or {})

    # ------------------------------------------------------------------ words

    @property
    def Person(self) -> str:  # noqa: N802 - the capitalised noun, for headings
        return self.person[:1].upper() + self.person[1:]

    @property
    def People(self) -> str:  # noqa: N802
        return self.people[:1].upper() + self.people[1:]

    @property
    def peer_words(self) -> str:
        """Who "typical" refers to, e.g. 'their year group'; '' when none."""
        return {"year group": "their year group", "age band": "people of their age",
                "none": ""}[self.peer_group]

    def count_of(self, n: int | float) -> str:
        """``n`` people with the right noun.

        Examples
        --------
        >>> Population().count_of(1), Population().count_of(2500)
        ('1 young person', '2,500 young people')
        """
        return f"{round(n):,} {self.person if round(n) == 1 else self.people}"

    def source(self, code: Any) -> str:
        """The name of a source (or a family/lane code) on the pages."""
        key = str(code)
        names = {**(DEFAULT_SOURCES if self.default_sources else {}), **self.sources}
        return names.get(key) or label(key)

    def characteristic(self, code: Any) -> str:
        """The name of a characteristic (``group_`` prefix allowed)."""
        key = str(code).removeprefix("group_")
        return self.characteristics.labels.get(key) or label(key)

    def value(self, code: Any) -> str:
        """A characteristic's value in words (``sen_support`` -> 'SEN support')."""
        key = str(code)
        return self.characteristics.labels.get(key) or (
            CODE_LABELS.get(key) or key.replace("_", " "))

    def applies(self, value: Any) -> bool:
        """Whether a characteristic's value means it applies to the person."""
        return str(value).strip().lower() not in {v.lower() for v in
                                                  self.characteristics.off}

    def group_of(self, attribute: str) -> str:
        """'protected', 'needs' or 'other' for an attribute."""
        c = self.characteristics
        if attribute in c.protected:
            return "protected"
        return "needs" if attribute in c.needs else "other"

    def sources_list(self, codes: Sequence[str]) -> str:
        """Sources in a sentence: 'A, B and C'.

        Examples
        --------
        >>> Population().sources_list(["school", "police", "youth_justice"])
        'School, Police and Youth justice'
        """
        names = [self.source(c) for c in dict.fromkeys(codes)]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]

    def age_band_labels(self) -> list[str]:
        """Labels of the age bands, from their lower edges."""
        edges = self.age_bands or []
        out = [f"{lo}-{hi - 1}" if hi - lo > 1 else f"{lo}"
               for lo, hi in zip(edges, edges[1:], strict=False)]
        return [*out, f"{edges[-1]} and over"] if edges else []

    def age_band(self, age: float) -> str | None:
        """The band an age falls in (None below the first edge or without bands).

        Examples
        --------
        >>> p = Population(age_bands=[10, 12, 14, 16])
        >>> p.age_band(11.5), p.age_band(16), p.age_band(70), p.age_band(9)
        ('10-11', '16 and over', '16 and over', None)
        """
        edges = self.age_bands or []
        labels = self.age_band_labels()
        hit = [i for i, lo in enumerate(edges) if age >= lo]
        return labels[hit[-1]] if hit else None
