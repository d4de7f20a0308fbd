"""No output a practitioner reads contains a raw column name."""

from __future__ import annotations

import json

from earlysignal.explain import explain, format_reasons


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _strings(v)


def test_no_output_contains_a_column_name(cohort, cohort_model):
    ex = explain(cohort_model, cohort.frame, cohort.metadata, tables=cohort.tables)
    columns = [m.column for m in cohort.metadata]
    top = ex.scores.sort_values("probability").index
    people = [top[-1], top[-2], top[len(top) // 2], top[0]]
    outputs: list[str] = []
    for pid, t in people:
        reasons = ex.reasons(pid, t, top=10)
        outputs.append(format_reasons(reasons))
        outputs.extend(_strings([r.to_dict() for r in reasons]))
        outputs.append(ex.html(pid, t))
        changes = ex.what_changed(pid, t, t)
        outputs.extend(changes["text"])
        outputs.extend(changes["family_label"])
    rf = ex.reasons_frame(top=10)
    outputs.extend(rf["text"])
    outputs.extend(rf["note"])
    outputs.extend(rf["family_label"])
    outputs.append(json.dumps(ex.summary()))
    outputs.extend(ex.plots.values())
    outputs.extend(ex.global_importance["feature"])
    assert len(rf) > 1000
    for text in outputs:
        assert "__" not in text
        for c in columns:
            assert c not in text
