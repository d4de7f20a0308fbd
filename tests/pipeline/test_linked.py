"""pipelines/linked.yaml: agencies' extracts linked before features, and nothing
identifying anyone written to the run folder."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.data.synth._agencies import write_cohort_agencies
from earlysignal.errors import ConfigError
from earlysignal.pipeline import config_from_dict, load_config, run_pipeline

ROOT = Path(__file__).resolve().parents[2]
KEY = "a test key that is long enough"
TEXT = {".json", ".csv", ".html", ".yaml", ".yml", ".txt", ".md", ".svg", ".js"}


@pytest.fixture(scope="module")
def agencies_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("agencies")
    write_cohort(SynthConfig(people=300, seed=4, start="2016-09-01",
                             end="2024-08-31"), d)
    write_cohort_agencies(d, seed=4)
    return d


def identifiers(agencies: Path) -> dict[str, set[str]]:
    """What identifies someone in the agencies' registers, minus values the
    extracts also hold in other columns (an ethnic group called White is not a
    leaked surname White)."""
    people = pd.concat([pd.read_csv(p, dtype=str)
                        for p in sorted((agencies / "agencies").glob("*_people.csv"))])
    other = set()
    for p in (agencies / "agencies").glob("*.csv"):
        if not p.name.endswith("_people.csv"):
            other |= set(pd.read_csv(p, dtype=str).stack().str.strip().str.lower())
    names = set(people["first_name"].dropna()) | set(people["surname"].dropna())
    dobs = pd.to_datetime(people["date_of_birth"], format="mixed", dayfirst=True)
    full_dobs = {d.strftime("%Y-%m-%d") for d in dobs if d.day != 1}
    return {
        "ids": set(people["person_id"]),
        "postcodes": set(people["postcode"].dropna())
        | {p.replace(" ", "") for p in people["postcode"].dropna()},
        "full_names": {f"{a} {b}".lower() for a, b in zip(
            people["first_name"], people["surname"], strict=True)
            if isinstance(a, str) and isinstance(b, str)},
        "names": {n.lower() for n in names if len(n) >= 4} - other,
        "dobs": {d for d in full_dobs if d not in other},
    }


def scan(folder: Path, found: dict[str, set[str]]) -> list[str]:
    """Every place in ``folder`` where an identifying value appears."""
    anywhere = found["ids"] | {p.lower() for p in found["postcodes"]} \
        | found["full_names"] | found["dobs"]
    pattern = re.compile("|".join(re.escape(v) for v in sorted(anywhere, key=len,
                                                                reverse=True)))
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
            cells = set(df.astype(str).stack().str.strip().str.lower())
            cells |= {str(c).lower() for c in df.columns}
            bad = cells & (anywhere | found["names"]
                           | {d + " 00:00:00" for d in found["dobs"]})
            hits += [f"{path}: {v}" for v in sorted(bad)[:3]]
            continue
        text = path.read_bytes().decode("utf-8", "replace").lower()
        hits += [f"{path}: {m.group(0)}" for m in pattern.finditer(text)][:3]
    return hits


def _config(agencies: Path, monkeypatch, tmp_path: Path):
    monkeypatch.setenv("EARLYSIGNAL_AGENCIES", str(agencies))
    monkeypatch.setenv("EARLYSIGNAL_PSEUDONYM_KEY", KEY)
    monkeypatch.chdir(tmp_path)  # tracking writes its store here
    return load_config(ROOT / "pipelines" / "linked.yaml")


def test_linked_run_keys_tables_by_people_and_writes_no_identifier(
        agencies_dir, monkeypatch, tmp_path):
    config = _config(agencies_dir, monkeypatch, tmp_path)
    result = run_pipeline(config, out=tmp_path / "run", stages=("features",))
    people = pd.read_parquet(tmp_path / "run" / "data" / "people.parquet")
    truth = pd.read_csv(agencies_dir / "link_truth.csv", dtype=str)
    # about one row per true person, each a keyed pseudonym, born on the 1st
    assert abs(len(people) - truth["person_id"].nunique()) <= 10
    assert people["person_id"].str.fullmatch(r"p_[0-9a-f]{16}").all()
    assert (people["date_of_birth"].dt.day == 1).all()
    assert set(people.columns) == {"person_id", "date_of_birth",
                                   "linkage_confidence", "records"}
    facts = result.info["data"]["linkage"]
    assert facts["records"] == len(truth) and facts["people"] == len(people)
    assert result.info["privacy"]["by"] == "linkage"
    found = identifiers(agencies_dir)
    assert all(found.values())  # the scan has something to look for
    assert scan(tmp_path / "run", found) == []


def test_the_scan_finds_an_identifier_that_leaks(agencies_dir, tmp_path):
    found = identifiers(agencies_dir)
    leak = pd.read_csv(agencies_dir / "agencies" / "police_people.csv", dtype=str)
    (tmp_path / "a").mkdir()
    leak[["first_name"]].to_parquet(tmp_path / "a" / "t.parquet")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "page.html").write_text(
        f"<td>{leak['postcode'].dropna().iloc[0]}</td>")
    assert scan(tmp_path / "a", found) and scan(tmp_path / "b", found)


@pytest.mark.slow
def test_a_whole_linked_run_writes_no_identifier(agencies_dir, monkeypatch, tmp_path):
    config = _config(agencies_dir, monkeypatch, tmp_path)
    run_pipeline(config, out=tmp_path / "run")
    page = (tmp_path / "run" / "linkage" / "linkage.html").read_text()
    assert "Quality against the truth" in page and "<script" not in page
    # the run folder, and the tracking store and artefacts beside it
    assert scan(tmp_path, identifiers(agencies_dir)) == []


def test_linkage_needs_a_mapping():
    raw = load_config(ROOT / "pipelines" / "linked.yaml").raw
    with pytest.raises(ConfigError, match="linkage: links agencies' extracts read "
                       "through a mapping; give data.mapping"):
        config_from_dict({**raw, "data": {"synth": {"people": 100}}})
