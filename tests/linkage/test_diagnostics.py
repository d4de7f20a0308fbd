"""Splink's diagnostics page: self-contained, its numbers Splink's, identifiers
only when a clerical sample is asked for."""

from __future__ import annotations

import re

import numpy as np
import pytest

from earlysignal.data import Pseudonymiser
from earlysignal.linkage import LinkageConfig, link_tables, linkage_quality
from earlysignal.linkage._diagnostics import LinkageDiagnostics, clerical_sample

KEY = "a test key that is long enough"


@pytest.fixture(scope="module")
def linked(agencies):
    frames, truth = agencies
    people = frames["people"].copy()
    people.loc[0, "surname"] = "<script>alert(1)</script>"
    return link_tables({**frames, "people": people}, LinkageConfig(),
                       Pseudonymiser(KEY)), truth


def test_the_page_shows_splinks_parameters_and_no_identifier(linked):
    result, truth = linked
    quality = linkage_quality(result.run.clusters, result.run.pairs, truth,
                              threshold=result.run.threshold)
    page = LinkageDiagnostics.from_linked(result, quality=quality).html()
    # self-contained: no script, nothing fetched
    assert "<script" not in page and not re.search(r'(src|href)="http', page)
    params = result.run.parameters
    exact = params[(params["comparison"] == "date_of_birth")
                   & (params["level"] == "exact")].iloc[0]
    assert f"{exact['m']:.4f}"[:5] in page
    assert quality.sentences()[0] in page
    names = set(result.records["surname"].dropna())
    assert not any(re.search(rf"\b{re.escape(n)}\b", page) for n in names
                   if len(n) > 4)


def test_the_clerical_sample_straddles_the_threshold(linked):
    result, _ = linked
    t = result.run.threshold
    sample = clerical_sample(result.run.pairs, result.records, t, n=10)
    above = sample[sample["side"] == "linked"]["match_probability"]
    below = sample[sample["side"] == "not linked"]["match_probability"]
    assert (above >= t).all() and (below < t).all() and len(sample) == 10
    # the pairs nearest the threshold on each side
    gap = (result.run.pairs["match_probability"] - t).abs()
    nearest = np.sort(gap[result.run.pairs["match_probability"] < t])[:len(below)]
    assert np.allclose(np.sort((below - t).abs()), nearest)
    page = LinkageDiagnostics.from_linked(result, clerical_pairs=10).html()
    assert "This section shows identifiers" in page
    assert str(sample["surname_l"].dropna().iloc[0]) in page
    assert "<script>alert(1)" not in page  # names are escaped
