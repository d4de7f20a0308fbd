"""What the pages say about identifiers follows the run's privacy facts: every page
calls ids pseudonymous only when the run pseudonymised them, and says so in the
same words (one function makes them)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from earlysignal.report import Caseload, EthicsReport, PractitionerSummary, read_run
from earlysignal.report._common import privacy_words
from earlysignal.report._run import RunFolder

from ._html import Page

ON = {"pseudonymised": True, "method": "HMAC-SHA256", "key_source": "environment",
      "route": "mapping", "by": "pipeline"}
OFF = {"pseudonymised": False, "route": "folder", "ids_look_pseudonymised": False}


def _pages(run_dir: Path, facts: dict | None) -> dict[str, str]:
    """The ethics, caseload and one practitioner page's visible text for a run
    whose run.json holds ``facts`` under ``privacy``."""
    base = read_run(run_dir)
    info = {k: v for k, v in base.run.items() if k != "privacy"}
    if facts is not None:
        info["privacy"] = facts
    run = RunFolder(path=base.path, run=info, config=base.config)
    top = str(pd.read_parquet(run_dir / "caseload.parquet")
              .sort_values("score")["person_id"].iloc[-1])
    pages = {"ethics": EthicsReport(run), "caseload": Caseload(run),
             "practitioner": PractitionerSummary(run, top)}
    return {name: " ".join(Page(p.html()).visible.split())
            for name, p in pages.items()}


def test_words_differ_on_and_off_and_off_never_says_pseudonymous() -> None:
    on, off = privacy_words(ON), privacy_words(OFF)
    assert set(on) == set(off)
    assert all(on[k] != off[k] for k in on)
    assert not any("pseudonymous" in v.lower() for v in off.values())
    assert "HMAC-SHA256" in on["statement"]
    assert "EARLYSIGNAL_PSEUDONYM_KEY" in on["statement"]
    assert "not pseudonymise" in off["statement"]
    # the key's source and the route change the sentence with them
    from_file = privacy_words({**ON, "key_source": "key file", "route": "synth"})
    assert "a key file" in from_file["statement"]
    assert "synthetic cohort was generated" in from_file["statement"]
    assert "EARLYSIGNAL_PSEUDONYM_KEY" not in from_file["statement"]
    by_mapping = privacy_words({**ON, "by": "mapping"})["statement"]
    assert "by the source mapping" in by_mapping
    looks = privacy_words({**OFF, "ids_look_pseudonymised": True})["statement"]
    assert "may have been pseudonymised before this run" in looks
    synth = privacy_words({"pseudonymised": False, "route": "synth"})
    assert "never existed" in synth["statement"] and synth["id_label"] == "synthetic ID"


def test_a_run_without_facts_claims_nothing() -> None:
    words = privacy_words(None)
    assert words == privacy_words({})
    assert "did not record whether" in words["statement"]
    assert not any("pseudonymous" in v.lower() for v in words.values())


@pytest.mark.parametrize("facts", [OFF, None], ids=["off", "not recorded"])
def test_pages_of_a_run_without_pseudonyms_never_say_pseudonymous(
        run_dir: Path, facts: dict | None) -> None:
    words = privacy_words(facts)
    pages = _pages(run_dir, facts)
    for name, text in pages.items():
        assert "pseudonymous" not in text.lower(), name
        assert "keyed hash" not in text, name
    assert words["statement"] in pages["ethics"]
    assert words["linkage"] in pages["ethics"]
    assert words["list_note"] in pages["caseload"]
    assert words["page_note"] in pages["practitioner"]
    assert f"Young person ({words['id_label']})" in pages["practitioner"]


def test_pages_of_a_pseudonymised_run_say_so_in_the_same_words(run_dir: Path
                                                               ) -> None:
    words = privacy_words(ON)
    pages = _pages(run_dir, ON)
    assert words["statement"] in pages["ethics"]
    assert words["linkage"] in pages["ethics"]
    assert "pseudonymous IDs only" in pages["caseload"]
    assert "pseudonymous ID only" in pages["practitioner"]
    assert "Young person (pseudonymous ID)" in pages["practitioner"]
