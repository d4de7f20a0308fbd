"""Keyed pseudonyms: stable per key, linking across sources, no raw id left anywhere."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from earlysignal.data._load import load_mapping
from earlysignal.data._pseudonym import KEY_ENV_VAR, Pseudonymiser, pseudonymise
from earlysignal.data._tables import CanonicalTables
from earlysignal.data.synth._messy import write_messy_exports
from earlysignal.errors import ConfigError

KEY = "a test key that is long enough"
OTHER_KEY = "another test key, also long enough"


def test_matches_hmac_sha256_reference() -> None:
    expected = "p_" + hmac.new(KEY.encode(), b"A123", hashlib.sha256).hexdigest()[:16]
    assert pseudonymise(pd.Series(["A123"]), KEY).tolist() == [expected]
    assert Pseudonymiser(KEY.encode()).one(" A123 ") == expected


def test_same_key_same_pseudonym_different_key_different() -> None:
    ids = pd.Series([f"ID{i}" for i in range(200)])
    a, b = pseudonymise(ids, KEY), pseudonymise(ids, KEY)
    c = pseudonymise(ids, OTHER_KEY)
    assert a.tolist() == b.tolist()
    assert (a != c).all()
    assert a.nunique() == 200  # no collisions among distinct ids
    assert a.str.fullmatch(r"p_[0-9a-f]{16}").all()


def test_missing_stays_missing_and_repr_hides_key() -> None:
    out = pseudonymise(pd.Series(["x", None]), KEY)
    assert out.isna().tolist() == [False, True]
    assert KEY not in repr(Pseudonymiser(KEY))


def test_short_key_refused() -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        Pseudonymiser("short")


def _two_sources(tmp: Path, mapping_extra: str = "pseudonymise: true\n") -> Path:
    (tmp / "pupils.csv").write_text("UPN,DOB\nA100000000001,05/01/2010\n"
                                    "B200000000002,02/03/2011\n")
    (tmp / "referrals.csv").write_text("ChildRef,Date\nB200000000002,01/02/2021\n"
                                       "A100000000001,03/04/2021\n"
                                       "X999999999999,03/04/2021\n")
    path = tmp / "mapping.yaml"
    path.write_text(
        mapping_extra + "tables:\n"
        "  people: {file: pupils.csv, columns: {person_id: UPN, date_of_birth: DOB}}\n"
        "  events: {file: referrals.csv, columns: {person_id: ChildRef, "
        "event_date: Date}, values: {source: social_care, event_type: referral}}\n")
    return path


def test_pseudonyms_link_across_sources(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    tables, report = load_mapping(_two_sources(tmp_path))
    people, events = tables["people"], tables["events"]
    p = Pseudonymiser(KEY)
    assert people["person_id"].tolist() == [p.one("A100000000001"),
                                             p.one("B200000000002")]
    assert events["person_id"].tolist() == [p.one("B200000000002"),
                                            p.one("A100000000001")]
    assert set(events["person_id"]) <= set(people["person_id"])
    assert report.sources[1].set_aside == {"unknown person": 1}
    assert f"key from ${KEY_ENV_VAR}" in report.summary()


def test_key_argument_overrides_environment(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    path = _two_sources(tmp_path)
    with_env, _ = load_mapping(path)
    with_arg, report = load_mapping(path, key=OTHER_KEY)
    assert (with_env["people"]["person_id"] != with_arg["people"]["person_id"]).all()
    assert with_arg["people"]["person_id"][0] == Pseudonymiser(OTHER_KEY).one(
        "A100000000001")
    assert "key from the key passed in" in report.summary()


def test_key_file_relative_to_mapping(tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    (tmp_path / "secret.key").write_text(KEY + "\n")
    tables, _ = load_mapping(_two_sources(
        tmp_path, "pseudonymise: true\nkey_file: secret.key\n"))
    assert tables["people"]["person_id"][0] == Pseudonymiser(KEY).one("A100000000001")


def small_cohort(n: int = 30) -> CanonicalTables:
    rng = np.random.default_rng(3)
    ids = [f"{1000000000000 + 7919 * i}" for i in range(n)]  # UPN-like digits
    days = pd.to_timedelta(rng.integers(0, 1500, 4 * n), unit="D")
    sources = rng.choice(["school", "police", "social_care", "youth_justice"], 4 * n)
    kinds = {"school": "suspension", "police": "police_contact",
             "social_care": "referral", "youth_justice": "caution"}
    return CanonicalTables.from_frames({
        "people": pd.DataFrame({"person_id": ids,
                                "date_of_birth": pd.Timestamp("2009-01-01"),
                                "school": "SCH01"}),
        "events": pd.DataFrame({"person_id": rng.choice(ids, 4 * n),
                                "event_date": pd.Timestamp("2020-01-01") + days,
                                "source": sources,
                                "event_type": [kinds[s] for s in sources]}
                               ).drop_duplicates(),
        "characteristics": pd.DataFrame({"person_id": ids, "attribute": "sex",
                                         "value": rng.choice(["F", "M"], n),
                                         "valid_from": pd.Timestamp("2019-09-01")}),
    })


def test_no_raw_identifier_anywhere_after_load(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV_VAR, KEY)
    cohort = small_cohort()
    raw_ids = set(cohort["people"]["person_id"])
    mapping = write_messy_exports(cohort, tmp_path)
    mapping.write_text("pseudonymise: true\n" + mapping.read_text())
    tables, report = load_mapping(mapping)
    for name in tables:
        df = tables[name]
        for col in df.columns:
            if df[col].dtype.kind in "OUT" or str(df[col].dtype) == "str":
                cells = set(df[col].dropna().astype(str))
                assert not cells & raw_ids, (name, col)
                assert not any(r in c for c in cells for r in list(raw_ids)[:5])
    texts = [report.summary(), json.dumps(report.to_dict()),
             report.to_frame().to_csv(), report.set_aside_frame().to_csv()]
    assert not any(r in t for r in raw_ids for t in texts)
    # the data still links: every event belongs to a pseudonymised person
    assert set(tables["events"]["person_id"]) <= set(tables["people"]["person_id"])
    assert len(tables["events"]) == len(cohort["events"])
