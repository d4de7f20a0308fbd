"""audit_file: reading CSV and Parquet, clear errors, and the files it writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from earlysignal.errors import DataError, EarlysignalError
from earlysignal.fairness import audit_file

from ._sim import make_scores


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "vendor_scores.csv"
    make_scores(1200, 4).to_csv(path, index=False)
    return path


def run(path, **kw):
    args = {
        "score": "score",
        "label": "y",
        "groups": ["sex"],
        "top": "10%",
        "n_boot": 30,
        "mitigation": False,
    }
    args.update(kw)
    return audit_file(path, **args)


def test_missing_column_names_file_column_and_columns_found(csv):
    with pytest.raises(DataError) as e:
        run(csv, groups=["ethnicty"])
    msg = str(e.value)
    assert str(csv) in msg and "column 'ethnicty'" in msg
    assert "columns found: score, y, sex, ethnicity" in msg


def test_non_numeric_scores(tmp_path):
    df = make_scores(50, 1).astype({"score": object})
    df.loc[3, "score"] = "high"
    df.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(
        DataError,
        match=r"s.csv, column 'score', rows 4: scores must be numbers, found non-numeric values \('high'\)",
    ):
        run(tmp_path / "s.csv")


def test_labels_not_zero_one(tmp_path):
    df = make_scores(50, 1)
    df.loc[[2, 7], "y"] = 2
    df.to_parquet(tmp_path / "s.parquet")
    with pytest.raises(
        DataError,
        match=r"s.parquet, column 'y', rows 3, 8: labels must be 0 or 1, found 2",
    ):
        run(tmp_path / "s.parquet")


def test_neither_or_both_operating_points(csv):
    with pytest.raises(
        EarlysignalError,
        match="give exactly one operating point, threshold or top; got neither",
    ):
        run(csv, top=None)
    with pytest.raises(EarlysignalError, match="got both"):
        run(csv, threshold=0.3)
    with pytest.raises(EarlysignalError, match="top must be a number of people"):
        run(csv, top="ten")


def test_unknown_file_type(tmp_path):
    (tmp_path / "s.xlsx").write_text("x")
    with pytest.raises(
        DataError, match=r"unknown file type '.xlsx'.*Fix: give a .csv or .parquet file"
    ):
        run(tmp_path / "s.xlsx")


def test_writes_json_csv_html(csv, tmp_path):
    out = tmp_path / "out"
    a = run(csv, out_dir=out, groups=["sex", "ethnicity"], period=None)
    tidy = pd.read_csv(out / "fairness.csv")
    assert list(tidy.columns) == [
        "group_by",
        "group",
        "metric",
        "value",
        "lower",
        "upper",
        "suppressed",
        "flagged",
    ]
    assert {"tpr", "tpr_difference", "tpr_ratio"} <= set(tidy["metric"])
    data = json.loads((out / "fairness.json").read_text())
    assert data["summary"]["rows"] == 1200
    assert data["summary"]["source"] == str(csv)
    assert len(data["group_metrics"]) == len(a.group_metrics)
    html = (out / "fairness.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert "http" not in html.replace("http://www.w3.org", "")


def test_result_shapes_do_not_depend_on_input(csv):
    a = run(csv)
    b = run(csv, groups=["sex", "ethnicity"], intersections=[["sex", "ethnicity"]])
    for name in (
        "group_metrics",
        "disparities",
        "suppressed",
        "mitigation",
        "over_time",
        "drift",
    ):
        assert list(getattr(a, name).columns) == list(getattr(b, name).columns), name
    assert isinstance(a.summary(), dict)
