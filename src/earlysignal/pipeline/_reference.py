"""The configuration reference in the README, generated from the config models.

``python3 dev.py docs`` rewrites the README's reference block; a test fails when the
two drift apart.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from earlysignal.features import CohortSpec, LabelSpec
from earlysignal.linkage import IdentityColumns, LinkageConfig
from earlysignal.pipeline._config import (
    DataSection,
    FairnessSection,
    ImpactSection,
    ModelSection,
    MonitorSection,
    PipelineConfig,
    ReportsSection,
    SynthSource,
    TrackingSection,
)
from earlysignal.present import Characteristics, Population

START = "<!-- config-reference:start -->"
END = "<!-- config-reference:end -->"

_SECTIONS: tuple[tuple[str, type[BaseModel], str], ...] = (
    ("data", DataSection, "Where the data comes from."),
    ("data.synth", SynthSource, "The synthetic cohort's settings."),
    ("linkage", LinkageConfig, "How agencies' records are linked into people."),
    ("linkage.columns", IdentityColumns, "The people table's identifying "
     "columns."),
    ("cohort", CohortSpec, "Who is scored at which as-of dates."),
    ("label", LabelSpec, "What counts as escalation, over what horizon."),
    ("model", ModelSection, "How the model is trained and judged."),
    ("fairness", FairnessSection, "What the fairness audit compares."),
    ("impact", ImpactSection, "What targeting at capacity would achieve."),
    ("monitor", MonitorSection, "How `earlysignal monitor` checks the run in use."),
    ("tracking", TrackingSection, "Where the run is logged."),
    ("reports", ReportsSection, "Which reports are written."),
    ("population", Population, "Who is scored and how the pages speak of them; "
     "the defaults are the demo's children's-services words."),
    ("population.characteristics", Characteristics, "How recorded "
     "characteristics are grouped on the pages."),
)


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is typing.Literal:
        return " / ".join(repr(a) for a in typing.get_args(annotation))
    if origin is not None:
        args = ", ".join(_type_name(a) for a in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    return getattr(annotation, "__name__", str(annotation)).replace("NoneType", "null")


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.default_factory() if field.default_factory else field.default
    if isinstance(value, BaseModel):
        return "see below"
    return f"`{value!r}`" if value is not None else "`None`"


#: Meanings of keys whose models live in the feature stage.
_MEANINGS = {
    ("CohortSpec", "as_of"): "A schedule {start, end, every}, a list of dates, "
    "{at_events: {source, event_type}} (decision points) or {table: file}.",
    ("CohortSpec", "age"): "{min, max}: age in whole years at the as-of date.",
    ("CohortSpec", "active"): "{table, source, type, within}: on a roll or seen by a "
    "service within a look-back before the date.",
    ("CohortSpec", "exclude_escalated"): "Leave out people whose outcome is already "
    "known before the date. The label is then a first escalation: a row whose "
    "first outcome came on or before the date, recorded later, is left out of "
    "training and evaluation.",
    ("LabelSpec", "name"): "Short name of the label.",
    ("LabelSpec", "description"): "Words for reports, e.g. 'a first youth-justice "
    "outcome'.",
    ("LabelSpec", "horizon"): "How far ahead: 12m, 6m, 1y.",
    ("LabelSpec", "outcome"): "List of {table, source, type}: any match in "
    "(as_of, as_of + horizon] is an escalation.",
    ("LabelSpec", "censoring"): "Rows whose follow-up ends early: left out "
    "(exclude) or counted as negatives.",
    ("LabelSpec", "followup"): "{extract_date, leaves, max_age}: when follow-up "
    "ends. extract_date defaults to the data's last record date and may not be "
    "later.",
}


def _table(model: type[BaseModel]) -> list[str]:
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        meaning = field.description or _MEANINGS.get((model.__name__, name), "")
        text = meaning.replace("|", "\\|")
        rows.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} "
                    f"| {text} |")
    return rows


def config_reference() -> str:
    """Markdown reference of every pipeline config section, from the models.

    Examples
    --------
    >>> "| `capacity` |" in config_reference()
    True
    """
    lines = ["Top level:", "", *_table(PipelineConfig), ""]
    lines += ["`features` is a list of feature specs (see "
              "`pipelines/features/library.yaml` and "
              "`earlysignal.features.parse_feature_specs`).", ""]
    for key, model, what in _SECTIONS:
        lines += [f"**`{key}`**: {what}", "", *_table(model), ""]
    return "\n".join(lines).rstrip() + "\n"


def update_readme(text: str) -> str:
    """``text`` with the block between the reference markers regenerated."""
    block = f"{START}\n{config_reference()}{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    return pattern.sub(lambda _: block, text)
