"""The HTML report escapes whatever the data holds."""

from __future__ import annotations

from earlysignal.fairness import audit

from ._sim import make_scores


def test_group_names_are_escaped():
    df = make_scores(2000, 9)
    df["ethnicity"] = df["ethnicity"].replace({"White": "<script>alert(1)</script>"})
    a = audit(df, score="score", label="y", groups=["ethnicity"], top="10%", n_boot=20)
    html = a.html()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html
    assert a._repr_html_() == html


def test_notes_and_sections_are_rendered():
    a = audit(
        make_scores(2000, 9),
        score="score",
        label="y",
        groups=["sex"],
        top=100,
        n_boot=20,
    )
    html = a.html()
    for text in (
        "How to read this",
        "Group metrics",
        "Disparities against the reference group",
        "Withheld cells",
        "Mitigation options (compared, not applied)",
        "<svg",
        "Holm",
    ):
        assert text in html, text
