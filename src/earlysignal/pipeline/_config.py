"""The pipeline config: one YAML file that describes a whole run.

Each section is validated by the stage that owns it (cohort, label, features …);
this module collects every problem of every section, each with its YAML path and a
hint, and raises them together in one :class:`~earlysignal.errors.ConfigError`.

A config can include other files (``{include: features/library.yaml}``), so a
feature library can be shared between pipelines.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from earlysignal.errors import ConfigError, EarlysignalError
from earlysignal.features import CohortSpec, FeatureSpec, LabelSpec, parse_feature_specs
from earlysignal.features._labels import config_error
from earlysignal.linkage import LinkageConfig
from earlysignal.pipeline._yaml import read_yaml
from earlysignal.present import Population


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_capacity(value: str) -> str:
    from earlysignal.model._metrics import Capacity

    try:
        Capacity.parse(value)
    except EarlysignalError:
        raise ValueError(f"{value!r} is neither a count nor a percentage (hint: a "
                         "whole number of people such as 50, or a share such as "
                         "5%)") from None
    return value


def _plain(text: str) -> str:
    """A message without the name of the class that raised it."""
    text = re.sub(r"\b\w*(Config|Section|Spec|Source)\b\.?(__init__\(\))?\s*", "",
                  text)
    return text.replace("got an unexpected keyword argument", "unknown setting")


class SynthSource(_Section):
    """Generate the synthetic multi-agency cohort instead of reading data."""

    people: int = Field(20_000, gt=0, description="Number of young people.")
    seed: int = Field(7, description="Random seed; the same seed gives the same data.")
    attendance: Literal["termly", "daily"] = "termly"
    options: dict[str, Any] = Field(
        default_factory=dict,
        description="Further generator knobs (prevalence, signal_strength, "
        "recording_lag, missing_sources, bias); see earlysignal.data.synth.",
    )

    @model_validator(mode="after")
    def _options_known(self) -> SynthSource:
        import dataclasses

        from earlysignal.data.synth import SynthConfig

        known = [f.name for f in dataclasses.fields(SynthConfig)]
        own = {"people", "seed", "attendance"}
        # set by the pipeline itself from the cohort and label sections
        known += ["as_of_dates", "horizon"]
        unknown = sorted(k for k in self.options if k not in known or k in own)
        if unknown:
            hints = [f"{k} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(
                str(k), known, n=1)) else str(k) for k in unknown]
            raise ValueError(
                f"unknown option(s) of the synthetic cohort: {', '.join(hints)} "
                f"(options are {', '.join(k for k in known if k not in own)}; "
                "people, seed and attendance go beside options:)")
        # the as-of dates come from the cohort section when the data is made
        options = {"as_of_dates": (), **self.options}
        try:
            SynthConfig(people=self.people, seed=self.seed,
                        attendance=self.attendance, **options)
        except ConfigError as e:
            raise ValueError("; ".join(_plain(p) for p in e.problems)) from None
        except (TypeError, ValueError) as e:
            raise ValueError(_plain(str(e))) from None
        return self


class DataSection(_Section):
    """Where the data comes from: exactly one of ``synth``, ``mapping`` or ``folder``."""

    synth: SynthSource | None = None
    mapping: str | None = Field(None, description="A source-mapping YAML file.")
    folder: str | None = Field(None, description="A folder of canonical Parquet tables.")
    pseudonymise: bool = Field(
        False, description="Replace person ids with keyed pseudonyms (HMAC-SHA256) "
        "before anything is written; the key comes from EARLYSIGNAL_PSEUDONYM_KEY or "
        "key_file, never from the config. Mappings have their own switch.")
    key_file: str | None = Field(None, description="A file holding the pseudonym key.")
    earliest_date: date = Field(date(1990, 1, 1), description="With folder: rows "
                                "dated before it are set aside (a mapping has its "
                                "own).")
    max_set_aside: float = Field(0.01, ge=0, le=1, description="With folder: the "
                                 "load stops when a date rule would set aside more "
                                 "of a table (a mapping has its own).")

    @model_validator(mode="after")
    def _exactly_one(self) -> DataSection:
        given = [k for k in ("synth", "mapping", "folder")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of synth, mapping or folder (found {given or 'none'})"
            )
        misplaced = sorted({"earliest_date", "max_set_aside"} & self.model_fields_set)
        if misplaced and not self.folder:
            raise ValueError(
                f"{' and '.join(misplaced)} apply to folder: only (a mapping sets "
                "them in the mapping file; the synthetic cohort needs neither)")
        return self


class ModelSection(_Section):
    """How the model is trained and judged."""

    capacity: str = Field("5%", description="People a team can work with per test "
                          "window (see test_every): a count (200) or a share (5%).")
    test_every: Literal["auto", "1 month", "1 quarter", "6 months", "1 year",
                        "each date"] = Field(
        "auto", description="Test windows: the as-of dates tested together, one fold "
        "and one capacity round each. auto: each date of a schedule (at most one "
        "date a month); decision points grouped by month, else quarter, half year or "
        "year, the first whose typical window holds 200 rows and 10 escalations.")
    calibration: Literal["isotonic", "sigmoid"] | None = Field(
        "sigmoid", description="Map scores to probabilities on the latest training "
        "dates: sigmoid (Platt) keeps every date's order; isotonic needs many more "
        "escalations.")
    baselines: str | list[str] = Field(
        "all", description="base_rate, persistent_absence, any_suspension, checklist, "
        "best_single_input, logistic, or all.")
    search_budget_s: float = Field(0.0, ge=0, description="Seconds for a small "
                                   "hyper-parameter search (0: defaults).")
    use_protected: bool = Field(False, description="Let protected characteristics "
                                "be model inputs (they are always kept for audits).")
    monotone: Literal["auto"] | None = Field(
        "auto", description="auto: a feature clearly linked to the outcome in the "
        "training data may only push risk in that direction; null: no constraint.")
    seed: int = 0
    max_train_span: str | None = Field(None, description="Train only on the most "
                                       "recent span of as-of dates, e.g. 2y.")
    min_train_dates: int = Field(1, ge=1, description="Skip test dates with fewer "
                                 "earlier as-of dates to train on.")
    test_from: date | None = Field(None, description="Test only as-of dates on or "
                                   "after this one (earlier ones still train).")
    holdout_gap: bool = Field(False, description="Keep the early-stopping and "
                              "calibration slice a horizon apart from the rows "
                              "trained before it (stricter; cost 0.002 AUC on the "
                              "demo).")
    _capacity = field_validator("capacity")(lambda cls, v: _check_capacity(v))
    params: dict[str, Any] = Field(default_factory=dict,
                                   description="Model settings (num_leaves, "
                                   "learning_rate, ...) and any other LightGBM "
                                   "parameter.")
    select: Literal["auto", "lightgbm", "logistic", "blend"] = Field(
        "auto", description="The model a team receives: auto chooses LightGBM, "
        "the logistic regression or their blend by inner temporal validation on the "
        "training dates only (in every fold too, so the test numbers are those of "
        "the choice made this way). Each is explained in points of the risk shown, "
        "and the reports say which was shipped and why.")
    baseline_inputs: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Settings of a baseline by name, e.g. "
        "{persistent_absence: {column: persistent_absence__persistent__1y}}; other "
        "inputs are found from the feature metadata.")

    @field_validator("baseline_inputs")
    @classmethod
    def _known_baseline_inputs(cls, value: dict[str, dict[str, Any]]
                               ) -> dict[str, dict[str, Any]]:
        from earlysignal.model._baselines import check_baseline_inputs

        problems = check_baseline_inputs(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @field_validator("params")
    @classmethod
    def _known_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        from earlysignal.model import known_model_settings
        from earlysignal.model._estimator import own_setting_aliases

        elsewhere = {
            "random_state": "is set by model.seed",
            "search_budget_s": "is set by model.search_budget_s",
            "monotone": "is set by model.monotone",
            "horizon": "is set by label.horizon",
            "n_jobs": "is chosen from the cores free at each fit (the scores do "
                      "not depend on it)",
            "lgb_params": "is not needed: give LightGBM parameters directly in "
                          "model.params",
        }
        problems = []
        aliases = own_setting_aliases()
        for key in sorted(value):
            own = aliases.get(key, key)
            if own in elsewhere:
                problems.append(f"'{key}' {elsewhere[own]}")
            elif own != key:
                problems.append(f"'{key}' is LightGBM's name for {own}: use {own}")
        known = known_model_settings()
        unknown = sorted(k for k in value if known and k not in known)
        if unknown:
            main = sorted(known_model_settings(aliases=False))
            near = [m for k in unknown
                    for m in difflib.get_close_matches(k, main, n=1)]
            hint = f"did you mean {', '.join(near)}?" if near else "check the spelling"
            problems.append(
                f"unknown model setting(s) {unknown}: not a setting of the model nor "
                f"a LightGBM parameter ({hint})")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    def model_params(self) -> dict[str, Any]:
        """The estimator settings: ``params`` plus the monotone rule."""
        out = {**self.params}
        out.setdefault("monotone", self.monotone)
        return out


class FairnessSection(_Section):
    """Which groups the fairness audit compares, and how."""

    groups: list[str] = Field(
        default_factory=lambda: ["sex", "ethnicity", "sen", "fsm", "age_band"],
        description="Feature names of characteristics taken as of each date; "
        "age_band is derived from the age feature.")
    intersections: list[list[str]] = Field(default_factory=list)
    reference: str | None = Field(None, description="Reference group (default: "
                                  "the largest).")
    min_cell: int = Field(10, ge=1, description="Suppress cells from fewer people.")
    n_boot: int = Field(1000, ge=0, description="Bootstrap resamples.")
    band: tuple[float, float] = (0.8, 1.25)
    seed: int = 0


class TrackingSection(_Section):
    """Where the run is logged (MLflow)."""

    enabled: bool = True
    uri: str | None = Field(None, description="MLflow tracking URI (default: "
                            "sqlite:///mlflow.db in the working directory).")
    experiment: str | None = Field(None, description="Experiment name (default: "
                                   "earlysignal-NAME).")


class ImpactSection(_Section):
    """What targeting at the team's capacity would achieve (off unless enabled)."""

    enabled: bool = False
    capacity: str = Field("5%", description="Early-help places per test window "
                          "(model.test_every): a count or a share.")
    effect: str = Field("0.2:0.1-0.3", description="Assumed relative risk "
                        "reduction, central:low-high.")
    effect_source: Literal["assumed", "evaluated"] = "assumed"
    _capacity = field_validator("capacity")(lambda cls, v: _check_capacity(v))
    costs: str | None = Field(None, description="Unit costs YAML (default: the "
                              "documented defaults).")
    fair_group: str | None = Field(None, description="Group for the "
                                   "fairness-constrained strategy, e.g. ethnicity.")


class MonitorSection(_Section):
    """The run in use: a later extract checked against it (`earlysignal monitor`)."""

    data: str | None = Field(None, description="The later extract for a scheduled "
                             "check: a folder of canonical tables or a mapping YAML "
                             "(--data overrides it).")
    out: str | None = Field(None, description="Where the check writes (default: "
                            "RUN/monitor).")
    alpha: float = Field(0.05, gt=0, lt=1, description="Chance of any false drift "
                         "alert over all items checked together.")
    min_psi: float = Field(0.1, ge=0, description="Smallest PSI that may alert.")
    null_draws: int = Field(200, ge=20, description="Resamples of people for the "
                            "drift thresholds.")
    n_boot: int = Field(500, ge=0, description="Person resamples for the "
                        "realised figures' intervals.")
    draws: int = Field(1000, ge=50, description="Simulated cohorts for the "
                       "expected figures.")
    window_months: int = Field(6, ge=1, description="Recent complete months "
                               "compared with history per source.")
    seed: int = 0


class ReportsSection(_Section):
    """Which reports a run writes."""

    enabled: bool = True
    max_people: int = Field(200, ge=0, description="Practitioner summaries for "
                            "this many of the highest-risk people.")
    out_of_population: Literal["flag", "exclude"] = Field(
        "flag", description="People scored outside the ages of the labelled rows "
        "the model learned from: `flag` keeps them, marks their band as an "
        "extrapolation on the caseload and their page and counts them in the ethics "
        "report; `exclude` leaves them out of the caseload (counted too).")


class PipelineConfig(_Section):
    """A validated pipeline config; see :func:`load_config`."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str = Field(description="Name of the pipeline; also names its run folder.")
    data: DataSection = Field(description="Synthetic cohort, source mapping or "
                              "Parquet folder (below).")
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb", description="Where features are computed; spark needs the spark "
        "extra and Java.")
    linkage: LinkageConfig | None = Field(
        None, description="Link agencies' records without a shared id into people "
        "(Splink) before features; needs data.mapping (below).")
    cohort: CohortSpec = Field(description="Who is scored when (below).")
    label: LabelSpec = Field(description="The escalation being predicted (below).")
    features: list[FeatureSpec] = Field(description="Feature specs; may include a "
                                        "shared library file.")
    model: ModelSection = Field(ModelSection(), description="Model settings (below).")
    fairness: FairnessSection = Field(FairnessSection(),
                                      description="Audit settings (below).")
    tracking: TrackingSection = Field(TrackingSection(),
                                      description="MLflow settings (below).")
    impact: ImpactSection = Field(ImpactSection(),
                                  description="Impact estimate (below).")
    monitor: MonitorSection = Field(MonitorSection(),
                                    description="Checks of the run in use (below).")
    reports: ReportsSection = Field(ReportsSection(),
                                    description="Report settings (below).")
    population: Population = Field(Population(), description="Who is scored and "
                                   "how the pages speak of them (below).")
    model_card: dict[str, Any] = Field(
        default_factory=dict,
        description="Facts only people can supply for the model card: "
        "organisation, team, senior_responsible_owner, contact, dpia, eia, "
        "review_date, decision_point, who_acts, out_of_scope, monitoring, appeals.")
    output: str | None = Field(None, description="Run folder (default reports/NAME).")
    base_dir: Path = Field(Path("."), exclude=True)
    raw: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @property
    def run_dir(self) -> Path:
        """Where the run writes its files."""
        return Path(self.output) if self.output else Path("reports") / self.name

    def resolve(self, relative: str | Path) -> Path:
        """A path from the config, resolved against the config file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.base_dir / p


_SECTIONS = ("name", "data", "engine", "linkage", "cohort", "label", "features",
             "model", "fairness", "impact", "monitor", "tracking", "reports",
             "population", "model_card", "output")


def load_config(path: str | Path, *, include_roots: tuple[str | Path, ...] = ()
                ) -> PipelineConfig:
    """Read and validate a pipeline config, listing every problem at once.

    ``include_roots`` names further folders that ``include:`` may read from; by
    default only the config's own folder and its subfolders.

    Examples
    --------
    >>> cfg = load_config("pipelines/demo.yaml")  # doctest: +SKIP
    >>> cfg.label.window.label  # doctest: +SKIP
    '12m'
    """
    path = Path(path)
    raw = read_yaml(path, include_roots=include_roots)
    if not isinstance(raw, dict):
        raise ConfigError(str(path), ["expected a mapping of sections "
                                      f"({', '.join(_SECTIONS)}) at the top level"])
    return config_from_dict(raw, source=str(path), base_dir=path.parent)


def config_from_dict(
    raw: dict[str, Any], *, source: str = "config", base_dir: str | Path = "."
) -> PipelineConfig:
    """Validate an already-parsed config mapping (see :func:`load_config`)."""
    problems: list[str] = []
    for key in raw:
        if key not in _SECTIONS:
            close = difflib.get_close_matches(str(key), _SECTIONS, n=1)
            hint = f"did you mean {close[0]}?" if close else (
                f"sections are {', '.join(_SECTIONS)}")
            problems.append(f"{key}: unknown section ({hint})")
    for key in ("name", "data", "cohort", "label", "features"):
        if key not in raw:
            problems.append(f"{key}: missing section (hint: add it; see "
                            "pipelines/demo.yaml for an example)")
    parsed: dict[str, Any] = {}
    for key, parse in _PARSERS.items():
        if key not in raw:
            continue
        try:
            parsed[key] = parse(raw[key], source)
        except ConfigError as e:
            problems.extend(e.problems)
    problems.extend(_cross_checks(raw, parsed))
    if problems:
        raise ConfigError(source, problems)
    try:
        return PipelineConfig(**{k: raw[k] for k in ("name", "engine", "output",
                                                     "model_card") if k in raw},
                              **parsed,
                              base_dir=Path(base_dir), raw=raw)
    except ValidationError as e:
        raise config_error(e, source=source) from None


def _cross_checks(raw: dict[str, Any], parsed: dict[str, Any]) -> list[str]:
    """Problems that span sections, found before any stage runs."""
    problems: list[str] = []
    output = raw.get("output")
    if output is not None and Path(str(output)).exists() \
            and not Path(str(output)).is_dir():
        problems.append(f"output: '{output}' is an existing file, not a folder "
                        "(hint: give a folder for the run, e.g. reports/NAME)")
    if "linkage" in parsed and "data" in parsed and not parsed["data"].mapping:
        problems.append("linkage: links agencies' extracts read through a mapping; "
                        "give data.mapping (the synthetic cohort and a folder of "
                        "canonical tables already share one person_id)")
    features = parsed.get("features")
    if features is not None and not features:
        problems.append("features: the list is empty (hint: add at least one "
                        "feature, or include features/library.yaml)")
    if features and "fairness" in parsed:
        problems.extend(_group_problems(parsed["fairness"].groups, features))
    if {"cohort", "label"} <= set(parsed):
        problems.extend(_horizon_problems(parsed["cohort"], parsed["label"],
                                          parsed.get("model", ModelSection())))
    return problems


def _group_problems(groups: list[str], features: list[FeatureSpec]) -> list[str]:
    categorical = [f.name for f in features if "value" in f.aggregate]
    has_age = any("age" in f.aggregate for f in features)
    known = categorical + (["age_band"] if has_age else [])
    out = []
    for i, g in enumerate(groups):
        if g in known:
            continue
        why = ("needs a feature with aggregate [age]" if g == "age_band"
               else "is not a categorical feature")
        out.append(f"fairness.groups[{i}]: '{g}' {why} (hint: use one of "
                   f"{', '.join(known) or 'none yet'}, or add a characteristics "
                   "feature with that attribute)")
    return out


def _horizon_problems(cohort: CohortSpec, label: LabelSpec,
                      model: ModelSection) -> list[str]:
    """A horizon that no temporal fold can satisfy, judged from the schedule."""
    import pandas as pd

    from earlysignal.model._folds import temporal_folds

    dates_of = getattr(cohort.as_of, "dates", None)
    if not callable(dates_of) or label.window.is_all:
        return []
    dates = pd.DatetimeIndex(dates_of())
    extract = label.followup.extract_date
    if extract is not None and label.censoring == "exclude":
        ends = pd.DatetimeIndex([label.window.shift(d) for d in dates])
        dates = dates[ends <= pd.Timestamp(extract)]
    folds = temporal_folds(dates, horizon=label.window,
                           min_train_dates=model.min_train_dates) if len(dates) else []
    if model.test_from is not None:
        folds = [f for f in folds if f.test_start >= pd.Timestamp(model.test_from)]
    if folds:
        return []
    h = label.window.label
    if not len(dates):
        where = (f"no as-of date has its {h} follow-up end by the extract date "
                 f"{extract} (label.followup.extract_date)")
    else:
        where = (f"the as-of dates with labels run {dates[0]:%Y-%m-%d} to "
                 f"{dates[-1]:%Y-%m-%d}, and no test date"
                 + (f" on or after model.test_from {model.test_from}"
                    if model.test_from else "")
                 + f" has {model.min_train_dates} earlier as-of date(s) whose {h} "
                 "horizon has closed by then")
    return [f"label.horizon: no temporal fold can train and test with a {h} "
            f"horizon: {where} (hint: shorten label.horizon, or widen cohort.as_of)"]


def _section(model: type[BaseModel], key: str) -> Any:
    def parse(value: Any, source: str) -> Any:
        try:
            return model.model_validate(value)
        except ValidationError as e:
            raise config_error(e, source=source, path=key) from None
    return parse


_PARSERS: dict[str, Any] = {
    "data": _section(DataSection, "data"),
    "linkage": _section(LinkageConfig, "linkage"),
    "model": _section(ModelSection, "model"),
    "fairness": _section(FairnessSection, "fairness"),
    "tracking": _section(TrackingSection, "tracking"),
    "reports": _section(ReportsSection, "reports"),
    "impact": _section(ImpactSection, "impact"),
    "monitor": _section(MonitorSection, "monitor"),
    "population": _section(Population, "population"),
    "cohort": lambda v, s: CohortSpec.from_config(v, source=s, path="cohort"),
    "label": lambda v, s: LabelSpec.from_config(v, source=s, path="label"),
    "features": lambda v, s: parse_feature_specs(v, source=s, path="features"),
}

__all__ = ["DataSection", "FairnessSection", "ModelSection", "PipelineConfig",
           "ImpactSection", "MonitorSection", "ReportsSection", "SynthSource", "TrackingSection",
           "config_from_dict", "load_config"]
