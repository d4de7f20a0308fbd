"""The synthetic name pools: frequencies shaped like published register counts,
and the share of names the agencies can record differently kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, generate
from earlysignal.data.synth import _names as names
from earlysignal.data.synth._agencies import AgenciesConfig, _identities


def test_zipf_mandelbrot_against_a_hand_computed_case():
    # ranks 1, 2, 3 with b = 1, s = 1: 1/2, 1/3, 1/4 over their sum 13/12
    p = names.zipf_mandelbrot(3, 1.0, 1.0)
    assert p.tolist() == pytest.approx([6 / 13, 4 / 13, 3 / 13])


def test_family_names_follow_published_surname_counts():
    p = names.FAMILY_P
    assert len(set(names.FAMILY)) == len(names.FAMILY) == 4000
    # the commonest held by 1.2-1.4% (Smith), rank 20 by about 0.3%
    assert 0.012 <= p[0] <= 0.014 and 0.0025 <= p[19] <= 0.004
    # two random people share a surname with probability about 0.0019 (Lasker
    # 1983); the short uniform list it replaced gave 1/130 = 0.0077
    assert 0.0012 <= float((p ** 2).sum()) <= 0.0025


def test_given_names_follow_published_birth_registrations():
    for pool, p in ((names.GIVEN_M, names.GIVEN_M_P),
                    (names.GIVEN_F, names.GIVEN_F_P)):
        assert len(set(pool)) == len(pool) == 500
        # the commonest about 1.8% of a year's births, the top ten about 13%,
        # rank 100 about 0.2%
        assert 0.016 <= p[0] <= 0.02
        assert 0.11 <= p[:10].sum() <= 0.15
        assert 0.0015 <= p[99] <= 0.003


def test_shares_of_names_with_variants_and_familiar_forms_are_kept():
    for pool, p, kind in ((names.GIVEN_M, names.GIVEN_M_P, "given"),
                          (names.GIVEN_F, names.GIVEN_F_P, "given"),
                          (names.FAMILY, names.FAMILY_P, "family")):
        share = sum(pi for n, pi in zip(pool, p, strict=True) if n in names.VARIANTS)
        assert share == pytest.approx(names.VARIANT_SHARE[kind], abs=0.01)
    for pool, p in ((names.GIVEN_M, names.GIVEN_M_P),
                    (names.GIVEN_F, names.GIVEN_F_P)):
        share = sum(pi for n, pi in zip(pool, p, strict=True) if n in names.FAMILIAR)
        assert share == pytest.approx(names.FAMILIAR_SHARE, abs=0.01)
    # a built name's variants are other spellings, never the name itself
    assert all(n not in v for n, v in names.VARIANTS.items())


def test_drawn_people_share_names_as_often_as_the_frequencies_say():
    cohort = generate(SynthConfig(people=3000, seed=2))
    who = _identities(cohort.tables, AgenciesConfig(seed=2),
                      np.random.default_rng(2), cohort.config.end)
    fam = who["family"].value_counts().to_numpy().astype(float)
    n = len(who)
    # the share of pairs of people with the same family name, against the
    # pool's probability (a naive count over pairs)
    same = (fam * (fam - 1) / 2).sum() / (n * (n - 1) / 2)
    assert same == pytest.approx(float((names.FAMILY_P ** 2).sum()), rel=0.25)
    # a long tail: most names drawn are held by few people
    assert who["family"].nunique() > 1500
    boys = who.loc[who["sex"] == "M", "given"]
    top = pd.Series(boys).value_counts(normalize=True)
    assert top.iloc[0] < 0.03 and boys.nunique() > 300
