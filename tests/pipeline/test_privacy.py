"""Pseudonymisation in a pipeline run: with ``data.pseudonymise: true`` no raw id is
ever written to the run folder or the tracking store, whatever the route (mapping,
folder, synthetic cohort); run.json records whether and how ids were pseudonymised.

Every file is scanned as stored and, where its format compresses (Parquet, zip,
gzip, SQLite pages), as decoded, for every raw id as bytes."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from earlysignal.data import KEY_ENV_VAR, CanonicalTables
from earlysignal.data.synth import SynthConfig, write_cohort, write_messy_exports
from earlysignal.pipeline import config_from_dict, run_pipeline
from earlysignal.pipeline._yaml import read_yaml

ROOT = Path(__file__).resolve().parents[2]
KEY = "a test key that is long enough"


def _views(path: Path) -> Iterator[bytes]:
    """A file's bytes as stored and, for formats that compress or page their
    contents, as decoded: a compressed id would escape a plain byte scan."""
    data = path.read_bytes()
    yield data
    if data[:4] == b"PAR1":
        table = pq.read_table(path)
        yield table.to_pandas().to_csv().encode()
        yield repr(table.schema.metadata).encode()
    elif data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                yield z.read(name)
    elif data[:2] == b"\x1f\x8b":
        yield gzip.decompress(data)
    elif data[:16] == b"SQLite format 3\x00":
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            yield "\n".join(con.iterdump()).encode()
        finally:
            con.close()


def leaks(folder: Path, raw_ids: set[str]) -> dict[str, list[str]]:
    """Every file under ``folder`` holding a raw id in its name or its contents,
    with (a few of) those ids."""
    needles = re.compile(b"|".join(re.escape(i.encode()) for i in sorted(raw_ids)))
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder)).encode()
        hits = {m.decode() for view in (name, *_views(path))
                for m in needles.findall(view)}
        if hits:
            found[str(path.relative_to(folder))] = sorted(hits)[:3]
    return found


def _config(data: dict, tmp: Path, *, tracking: bool = True,
            people_pages: int = 3):
    raw = read_yaml(ROOT / "pipelines" / "demo.yaml")
    raw["data"] = data
    raw["fairness"] = {"n_boot": 20}
    raw["reports"] = {"max_people": people_pages}
    raw["tracking"] = ({"uri": f"sqlite:///{tmp}/store/mlflow.db"} if tracking
                       else {"enabled": False})
    return config_from_dict(raw, source="test.yaml", base_dir=ROOT / "pipelines")


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)


def _exports(tmp: Path, people: int) -> tuple[Path, set[str]]:
    """Messy CSV exports of a synthetic cohort and their mapping; the raw ids."""
    write_cohort(SynthConfig(people=people, seed=4, start="2016-09-01", prevalence=3.0),
                 tmp / "raw")
    mapping = write_messy_exports(CanonicalTables.read_dir(tmp / "raw"), tmp / "csv")
    pupils = pd.read_csv(tmp / "csv" / "mis_pupils.csv", dtype=str)
    return mapping, set(pupils["UPN"].str.strip())


def test_mapping_route_writes_no_raw_id_to_run_folder_or_tracking_store(
        tmp_path: Path, keyed: None) -> None:
    mapping, raw_ids = _exports(tmp_path, 400)
    assert len(raw_ids) == 400
    # the scan sees ids in the CSV exports and through Parquet's compression
    assert len(leaks(tmp_path / "csv", raw_ids)["mis_pupils.csv"]) == 3
    assert "people.parquet" in leaks(tmp_path / "raw", raw_ids)

    cfg = _config({"mapping": str(mapping), "pseudonymise": True}, tmp_path)
    result = run_pipeline(cfg, out=tmp_path / "run")
    assert {"reports", "tracking"} <= set(result.timings)
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    store = [p for p in (tmp_path / "store").rglob("*") if p.is_file()]
    assert len(written) > 30 and len(store) > 10
    pages = [p for p in written if p.name.startswith("p_") and p.suffix == ".html"]
    assert len(pages) >= 3  # practitioner pages, named by the (pseudonymous) id
    assert leaks(tmp_path / "run", raw_ids) == {}
    assert leaks(tmp_path / "store", raw_ids) == {}
    # the run used pseudonyms, linking every agency's records to one person
    tables = CanonicalTables.read_dir(tmp_path / "run" / "data")
    ids = set(tables["people"]["person_id"])
    assert len(ids) == 400 and all(i.startswith("p_") and len(i) == 18 for i in ids)
    assert set(tables["events"]["person_id"]) <= ids
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["privacy"] == {"pseudonymised": True, "method": "HMAC-SHA256",
                               "key_source": "environment", "route": "mapping",
                               "by": "pipeline"}
    assert KEY not in json.dumps(info)
    ethics = " ".join((tmp_path / "run" / "reports" / "ethics.html").read_text()
                      .split())
    assert ("replaced by the run with keyed pseudonyms (HMAC-SHA256, key from the "
            "environment variable EARLYSIGNAL_PSEUDONYM_KEY) as the source extracts "
            "were read through the mapping") in ethics
    for page in pages:
        assert "pseudonymous ID only" in page.read_text()


def test_folder_route_writes_no_raw_id(tmp_path: Path, keyed: None) -> None:
    write_cohort(SynthConfig(people=300, seed=3, start="2016-09-01"),
                 tmp_path / "data")
    raw_ids = set(pd.read_parquet(tmp_path / "data" / "people.parquet")["person_id"])
    cfg = _config({"folder": str(tmp_path / "data"), "pseudonymise": True},
                  tmp_path, tracking=False)
    run_pipeline(cfg, out=tmp_path / "run", stages=("features",))
    assert (tmp_path / "run" / "features" / "features.parquet").exists()
    assert leaks(tmp_path / "run", raw_ids) == {}
    truth = pd.read_parquet(tmp_path / "run" / "data" / "truth.parquet")
    assert truth["person_id"].str.startswith("p_").all()
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["privacy"]["pseudonymised"] and info["privacy"]["route"] == "folder"


def test_synthetic_route_writes_no_raw_id(tmp_path: Path, keyed: None) -> None:
    settings = {"people": 300, "seed": 3, "options": {"start": "2016-09-01"}}
    write_cohort(SynthConfig(people=300, seed=3, start="2016-09-01"), tmp_path / "ref")
    raw_ids = set(pd.read_parquet(tmp_path / "ref" / "people.parquet")["person_id"])
    cfg = _config({"synth": settings, "pseudonymise": True}, tmp_path,
                  tracking=False)
    result = run_pipeline(cfg, out=tmp_path / "run", stages=("features",))
    assert len(result.data.tables["people"]) == 300
    assert leaks(tmp_path / "run", raw_ids) == {}
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["privacy"]["route"] == "synth" and info["privacy"]["pseudonymised"]


def test_a_mapping_that_pseudonymises_itself_is_not_pseudonymised_twice(
        tmp_path: Path, keyed: None) -> None:
    from earlysignal.data import Pseudonymiser
    from earlysignal.pipeline import load_data

    mapping, raw_ids = _exports(tmp_path, 60)
    mapping.write_text("pseudonymise: true\n" + mapping.read_text())
    expected = {Pseudonymiser(KEY).one(i) for i in raw_ids}
    for both in (True, False):
        cfg = _config({"mapping": str(mapping), "pseudonymise": both}, tmp_path,
                      tracking=False)
        loaded = load_data(cfg, work_dir=tmp_path / f"run{both}")
        # the same pseudonyms as `earlysignal validate` on the mapping gives
        assert set(loaded.tables["people"]["person_id"]) == expected
        assert leaks(tmp_path / f"run{both}", raw_ids) == {}
        assert loaded.privacy == {"pseudonymised": True, "method": "HMAC-SHA256",
                                  "key_source": "environment", "route": "mapping",
                                  "by": "mapping"}


def test_a_cached_synthetic_cohort_follows_the_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from earlysignal.pipeline import load_data

    settings = {"people": 80, "seed": 2, "options": {"start": "2016-09-01"}}
    raw_ids = {f"P{i:07d}" for i in range(1, 81)}
    plain = load_data(_config({"synth": settings}, tmp_path, tracking=False),
                      work_dir=tmp_path)
    assert set(plain.tables["people"]["person_id"]) == raw_ids
    cfg = _config({"synth": settings, "pseudonymise": True}, tmp_path,
                  tracking=False)
    seen = []
    for key in (KEY, KEY, KEY + " but another"):
        monkeypatch.setenv(KEY_ENV_VAR, key)
        loaded = load_data(cfg, work_dir=tmp_path)
        seen.append((set(loaded.tables["people"]["person_id"]),
                     (tmp_path / "data" / "people.parquet").stat().st_mtime_ns))
        # the raw cohort written before is replaced, not left beside the pseudonyms
        assert leaks(tmp_path / "data", raw_ids) == {}
    assert seen[0] == seen[1]                # the same key reuses the cohort
    assert not seen[1][0] & seen[2][0]       # another key: other pseudonyms
    assert plain.privacy == {"pseudonymised": False, "route": "synth"}
