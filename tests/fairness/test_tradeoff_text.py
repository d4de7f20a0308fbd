"""The calibration / error-rate trade-off sentences follow this audit's numbers and flags."""

from __future__ import annotations

import numpy as np
import pandas as pd

from earlysignal.fairness._audit import Settings, Table, _impossibility
from earlysignal.fairness._metrics import METRICS

NAMES = ["Asian", "Black", "White"]


def table(base, oe, fpr, fnr, gap=(0.01, -0.02, 0.015)):
    point = np.full((3, len(METRICS)), 0.5)
    for metric, values in (("base_rate", base), ("oe_ratio", oe), ("fpr", fpr),
                           ("fnr", fnr), ("calibration_gap", gap)):
        point[:, METRICS.index(metric)] = values
    return Table("ethnicity", "", NAMES, np.zeros(3, dtype=int), np.arange(3),
                 point, np.zeros((3, 1, len(METRICS))), np.zeros(3, dtype=bool))


def disparities(t, flagged):
    rows = []
    for metric in ("base_rate", "oe_ratio", "fpr", "fnr"):
        j = METRICS.index(metric)
        for g in (0, 1):
            value, ref = t.point[g, j], t.point[2, j]
            rows.append({"group_by": "ethnicity", "group": NAMES[g],
                         "reference": "White", "metric": metric, "value": value,
                         "reference_value": ref, "ratio": value / ref,
                         "flagged": (NAMES[g], metric) in flagged})
    return pd.DataFrame(rows)


def note(t, flagged):
    return _impossibility([t], disparities(t, flagged), Settings(top=10))[0]


def test_flagged_calibration_is_never_called_closer_to_calibration():
    # calibration gaps small in absolute terms, error-rate gaps larger: the old rule
    # (smaller gap wins) called this "closer to calibration within groups"
    t = table(base=[0.3, 0.35, 0.2], oe=[1.58, 1.75, 0.855], fpr=[0.2, 0.25, 0.1],
              fnr=[0.4, 0.3, 0.5])
    n = note(t, {("Asian", "oe_ratio"), ("Black", "oe_ratio")})
    assert "closer to calibration" not in n["note"]
    assert "observed/expected 1.58 for Asian against 0.855 for White" in n["note"]
    assert "observed/expected 1.75 for Black" in n["note"]
    assert n["closer_to"] == "equal error rates"
    both = note(t, {("Asian", "oe_ratio"), ("Black", "fpr")})
    assert both["closer_to"] == "neither" and "neither criterion" in both["note"]


def test_flagged_error_rates_are_never_said_to_hold_together():
    t = table(base=[0.21, 0.2, 0.2], oe=[1.0, 1.02, 1.0], fpr=[0.067, 0.061, 0.1],
              fnr=[0.4, 0.41, 0.4])
    n = note(t, {("Asian", "fpr"), ("Black", "fpr")})
    assert "can hold together" not in n["note"] and "hold together" not in n["note"]
    assert "FPR 0.067 for Asian against 0.1 for White (ratio 0.67)" in n["note"]
    assert "FPR 0.061 for Black against 0.1 for White (ratio 0.61)" in n["note"]
    assert n["closer_to"] == "calibration within groups"
    calm = note(t, set())
    assert calm["closer_to"] == "both" and "Neither" in calm["note"]
    assert calm["note"] != n["note"]


def test_sentences_change_with_the_numbers():
    a = note(table([0.3, 0.35, 0.2], [1.2, 1.3, 1.0], [0.2, 0.2, 0.1], [0.4] * 3), set())
    b = note(table([0.3, 0.45, 0.2], [1.2, 1.3, 1.0], [0.2, 0.2, 0.1], [0.4] * 3), set())
    assert "from 20.0% to 35.0%" in a["note"] and "from 20.0% to 45.0%" in b["note"]
    assert a["base_rates_differ"] and "at least one difference is smaller" in a["note"]
