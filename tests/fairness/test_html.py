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


def test_the_page_states_each_reference_group_and_who_chose_it():
    df = make_scores(2000, 9)
    largest = df["ethnicity"].value_counts().index[0]
    smaller = df["ethnicity"].value_counts().index[1]
    default = audit(df, score="score", label="y", groups=["ethnicity", "sex"],
                    top="10%", n_boot=20)
    assert (f"ethnicity: {largest} (the largest group, the default)"
            in default.html())
    chosen = audit(df, score="score", label="y", groups=["ethnicity", "sex"],
                   top="10%", n_boot=20, reference={"ethnicity": smaller})
    html = chosen.html()
    assert f"ethnicity: {smaller} (as set)" in html
    sex = df["sex"].value_counts().index[0]
    assert f"sex: {sex} (the largest group, the default)" in html
