"""The feature stage's accounting: every candidate row is scored or set aside with a
reason, and every scored row is labelled or counted as left out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from earlysignal.data import CanonicalTables
from earlysignal.errors import EarlysignalWarning
from earlysignal.features import (
    CohortSpec,
    LabelSpec,
    build_feature_matrix,
    parse_feature_specs,
)

T = pd.Timestamp


def _tables() -> CanonicalTables:
    ids = ["a", "b", "c", "d"]
    return CanonicalTables.from_frames({
        "people": pd.DataFrame({"person_id": ids, "date_of_birth": "2008-01-01"}),
        # open enrolments: everyone stays "active" however late the as-of date
        "episodes": pd.DataFrame({"person_id": ids, "start_date": "2019-09-01",
                                  "end_date": None, "source": "school",
                                  "episode_type": "enrolment"}),
        "events": pd.DataFrame([
            # a's first outcome is before 2021-09-01 but recorded after it; then
            # a repeat inside the window
            ("a", "2021-06-01", "youth_justice", "caution", "2021-10-01"),
            ("a", "2022-01-15", "youth_justice", "caution", None),
            ("b", "2022-02-01", "youth_justice", "caution", None),
            ("d", "2023-12-20", "police", "police_contact", None),  # the last record
        ], columns=["person_id", "event_date", "source", "event_type",
                    "recorded_at"]),
    })


def test_feature_stage_counts_every_row_and_labels_only_first_outcomes(tmp_path):
    cohort = CohortSpec.from_config({
        "as_of": {"start": "2021-09-01", "end": "2024-09-01", "every": "1y"},
        "active": {"table": "episodes", "source": "school", "type": "enrolment"},
        "exclude_escalated": True})
    label = LabelSpec(horizon="12m",
                      outcome=[{"table": "events", "source": "youth_justice"}])
    features = parse_feature_specs([{"name": "police", "from": "events",
                                     "where": {"source": "police"},
                                     "windows": ["1y"]}])
    with pytest.warns(EarlysignalWarning, match=r"1 as-of date is after the data's "
                      r"last record \(2023-12-20\).*: 2024-09-01\. Fix: end "
                      r"cohort\.as_of on or before 2023-12-20"):
        m = build_feature_matrix(_tables(), cohort=cohort, label=label,
                                 features=features, out=tmp_path,
                                 integrity_sample=0)
    meta = json.loads((tmp_path / "features.meta.json").read_text())
    assert meta["last_record_date"] == meta["extract_date"] == "2023-12-20"
    c = meta["cohort"]
    assert (c["candidates"], c["after_last_record"], c["already_escalated"],
            c["scored"]) == (16, 4, 4, 8)
    assert sum(v for k, v in c.items() if k != "candidates") == c["candidates"]
    lab = meta["labels"]
    assert lab["rows"] == c["scored"] == 8
    assert (lab["positives"], lab["negatives"], lab["censored_excluded"],
            lab["first_outcome_on_or_before_as_of"]) == (1, 4, 2, 1)
    assert lab["rows"] == lab["positives"] + lab["negatives"] + \
        lab["censored_excluded"] + lab["first_outcome_on_or_before_as_of"]
    frame = m.frame.set_index(["person_id", "as_of"])
    assert frame.index.get_level_values("as_of").max() == T("2023-09-01")
    # a is left out at 2021-09-01, not labelled on the repeat of 2022-01-15
    assert frame.loc[("a", T("2021-09-01")), "label"] is pd.NA
    assert pd.isna(frame.loc[("a", T("2021-09-01")), "label_date"])
    assert frame.loc[("b", T("2021-09-01")), "label"] == 1
