"""What changed between two dates: family moves add up to the score's move."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.explain import explain


def test_family_changes_add_up_to_the_score_change(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    a, b = pd.Timestamp("2022-09-01"), pd.Timestamp("2023-09-01")
    for pid in ["P0001", "P0042", "P0300"]:
        ch = ex.what_changed(pid, a, b)
        s = ex.scores
        assert ch["change"].sum() == pytest.approx(
            s.at[(pid, b), "probability"] - s.at[(pid, a), "probability"], abs=1e-12)
        assert ch["log_odds_change"].sum() == pytest.approx(
            s.at[(pid, b), "log_odds"] - s.at[(pid, a), "log_odds"], abs=1e-9)
        fam_a = ex.by_family.loc[(pid, a)]
        fam_b = ex.by_family.loc[(pid, b)]
        naive = (fam_b - fam_a).reindex(ch["family"]).to_numpy()
        np.testing.assert_allclose(ch["log_odds_change"], naive, atol=1e-12)
        assert (ch["change"].abs().diff().dropna() <= 1e-15).all()


def test_change_sentences(toy, toy_model):
    ex = explain(toy_model, toy.frame, toy.metadata)
    ch = ex.what_changed("P0001", "2022-09-01", "2023-09-01")
    for row in ch.itertuples():
        points = abs(row.change) * 100
        if points < 0.05:
            assert row.text == f"{row.family_label} made no real difference"
        else:
            verb = "raised" if row.change > 0 else "lowered"
            assert row.text == f"{row.family_label} {verb} the risk by " \
                               f"{points:.1f} points"
