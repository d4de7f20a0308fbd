"""Errors a user can cause, with messages that say what to do."""

from __future__ import annotations

import pytest

from earlysignal.errors import EarlysignalError
from earlysignal.explain import ExplainError, explain


def test_unknown_person_and_date(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    with pytest.raises(ExplainError, match="person 'nobody' is not among the 800"):
        ex.reasons("nobody")
    with pytest.raises(ExplainError, match=r"no score at 2021-01-01; scored at: "
                                           r"2022-09-01, 2023-09-01"):
        ex.reasons("P0001", "2021-01-01")
    assert issubclass(ExplainError, EarlysignalError)


def test_latest_date_by_default(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    assert [r.text for r in ex.reasons("P0003")] == \
        [r.text for r in ex.reasons("P0003", "2023-09-01")]


def test_missing_columns_and_metadata(toy, toy_model):
    with pytest.raises(ExplainError, match=r"lacks 1 column\(s\) the model was "
                                           r"trained on, first: \['absence__ratio"):
        explain(toy_model, toy.frame.drop(columns="absence__ratio__1y"),
                toy.metadata)
    with pytest.raises(ExplainError, match=r"no metadata for 1 model input\(s\)"):
        explain(toy_model, toy.frame,
                [m for m in toy.metadata if m.column != "absence__ratio__1y"])


def test_wrong_kinds_of_input(toy, toy_model):
    with pytest.raises(ExplainError, match="cannot explain a str"):
        explain("model", toy.frame, toy.metadata)
    with pytest.raises(ExplainError, match="features must be a DataFrame"):
        explain(toy_model, toy.frame.to_numpy(), toy.metadata)
    bad = toy.frame.assign(suspensions__count__90d="many")
    with pytest.raises(ExplainError, match="column 'suspensions__count__90d' holds"):
        explain(toy_model, bad, toy.metadata)
