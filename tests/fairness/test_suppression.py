"""Disclosure control: try to recover withheld groups from everything published."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from earlysignal.fairness import STRICT_RULE, audit

MIN_CELL = 10


def small_cells_df(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3000
    eth = rng.choice(
        ["White", "Black", "Asian", "Mixed", "Roma"],
        n,
        p=[0.7, 0.12, 0.12, 0.0595, 0.0005],
    )
    sex = rng.choice(["F", "M"], n)
    period = rng.choice(["2021", "2022", "2023"], n)
    score = rng.beta(2, 6, n).round(3)
    y = (rng.uniform(size=n) < score).astype(int)
    return pd.DataFrame(
        {"score": score, "y": y, "sex": sex, "ethnicity": eth, "period": period}
    )


def published_and_hidden(a, df):
    """Every published size as (indicator over finest cells, value), and the hidden ones."""
    cells = df[["sex", "ethnicity", "period"]].astype(str).agg("|".join, axis=1)
    finest = sorted(cells.unique())
    col = {c: i for i, c in enumerate(finest)}

    def indicator(group_by, group, period):
        rows = pd.Series(True, index=df.index)
        if period:
            rows &= df["period"] == period
        if group_by != "overall":
            parts = group_by.split(" & ")
            values = group.split(" & ")
            for p, v in zip(parts, values, strict=True):
                rows &= df[p].astype(str) == v
        v = np.zeros(len(finest))
        for c in cells[rows].unique():
            v[col[c]] = 1
        return v, int(rows.sum())

    frames = [a.group_metrics.assign(period="")]
    frames.append(
        a.over_time[["period", "group_by", "group", "metric", "value", "suppressed"]]
    )
    pub, hidden = [], []
    for f in frames:
        for r in f[f["metric"] == "size"].itertuples():
            v, true_size = indicator(r.group_by, r.group, r.period)
            if r.suppressed:
                assert np.isnan(r.value)
                hidden.append((r.group_by, r.group, r.period, v, true_size))
            else:
                assert r.value == true_size
                pub.append((v, r.value))
    return pub, hidden


@pytest.mark.parametrize("seed", [0, 1])
def test_no_withheld_group_can_be_worked_out(seed):
    df = small_cells_df(seed)
    a = audit(
        df,
        score="score",
        label="y",
        groups=["sex", "ethnicity"],
        top="10%",
        intersections=[["sex", "ethnicity"]],
        period="period",
        n_boot=20,
        mitigation=False,
        min_cell=MIN_CELL,
    )
    pub, hidden = published_and_hidden(a, df)
    primary = set(
        zip(
            a.suppressed["group_by"],
            a.suppressed["group"],
            a.suppressed["period"],
            a.suppressed["kind"],
            strict=True,
        )
    )
    assert any(k == "primary" for *_, k in primary), "the data must contain small cells"
    m = np.array([v for v, _ in pub])
    rank = np.linalg.matrix_rank(m)
    for group_by, group, period, v, _size in hidden:
        if (group_by, group, period, "primary") not in primary:
            continue
        # Attack 1: linear algebra over every published total, group and period.
        assert np.linalg.matrix_rank(np.vstack([m, v])) > rank, (
            group_by,
            group,
            period,
        )
        # Attack 2: the best least-squares guess is not the true value for sure.
        coef = np.linalg.lstsq(m.T, v, rcond=None)[0]
        assert not np.allclose(m.T @ coef, v)
    # Attack 3: total minus the published groups of each table gives only a union of
    # two or more withheld groups, which itself has at least min_cell people.
    for (period, group_by), part in a.suppressed.groupby(["period", "group_by"]):
        assert len(part) >= 2 or group_by == "overall"
        rows = df if not period else df[df["period"] == period]
        parts = group_by.split(" & ")
        key = rows[parts].astype(str).agg(" & ".join, axis=1)
        assert key.isin(part["group"]).sum() >= MIN_CELL


def test_reasons_say_why_without_giving_the_count():
    df = small_cells_df(0)
    a = audit(
        df,
        score="score",
        label="y",
        groups=["ethnicity"],
        top="10%",
        n_boot=20,
        mitigation=False,
    )
    roma = a.suppressed.set_index("group").loc["Roma"]
    assert roma["kind"] == "primary"
    assert roma["reason"].startswith("fewer than 10 ")
    second = a.suppressed[a.suppressed["kind"] == "secondary"]
    assert len(second) >= 1
    assert "cannot be worked out from the totals" in second["reason"].iloc[0]
    # the secondary group is the smallest of the others
    sizes = df[~df["ethnicity"].isin(["Roma"])].groupby("ethnicity").size()
    assert second["group"].iloc[0] == sizes.idxmin()
    gm = a.group_metrics
    assert gm[gm["group"].isin(a.suppressed["group"])]["value"].isna().all()
    disp = a.disparities[a.disparities["group"].isin(a.suppressed["group"])]
    assert disp["suppressed"].all() and disp["ratio"].isna().all()
    assert any("withheld" in n for n in a.notes)


def test_strict_rule_withholds_small_numerators():
    df = small_cells_df(3)
    loose = audit(
        df,
        score="score",
        label="y",
        groups=["ethnicity"],
        threshold=0.6,
        n_boot=0,
        mitigation=False,
    )
    strict = audit(
        df,
        score="score",
        label="y",
        groups=["ethnicity"],
        threshold=0.6,
        n_boot=0,
        mitigation=False,
        suppress_on=STRICT_RULE,
    )
    assert len(strict.suppressed) > len(loose.suppressed)


def test_mitigation_table_hides_withheld_groups():
    df = small_cells_df(0)
    a = audit(df, score="score", label="y", groups=["ethnicity"], top="10%", n_boot=0)
    hidden = a.mitigation[a.mitigation["group"].isin(a.suppressed["group"])]
    assert len(hidden) and hidden["suppressed"].all() and hidden["tpr"].isna().all()
