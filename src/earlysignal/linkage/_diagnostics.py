"""Splink's diagnostics as one self-contained HTML page, for data without truth.

The page shows the match weight of every comparison level (a bar chart, inline
SVG), the m and u probabilities behind them, the estimated probability that two
random records match, and, when asked, a sample of record pairs scored nearest
the threshold for clerical review. That sample shows names and dates of birth, so
it is only written where the caller asks; the pipeline's own page never has it.
With a truth file the page also shows the linkage quality by group.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from earlysignal.present import environment

if TYPE_CHECKING:
    from earlysignal.linkage._link import LinkedTables
    from earlysignal.linkage._quality import LinkageQuality

__all__ = ["LinkageDiagnostics", "clerical_sample"]

_SHOWN = ["first_name", "surname", "date_of_birth", "sex", "postcode"]


def clerical_sample(pairs: pd.DataFrame, records: pd.DataFrame, threshold: float,
                    n: int = 40, seed: int = 0) -> pd.DataFrame:
    """The ``n`` scored pairs nearest the threshold (half above, half below), with
    both records' identifiers side by side.

    Examples
    --------
    >>> pairs = pd.DataFrame({"unique_id_l": ["a", "a"], "unique_id_r": ["b", "c"],
    ...                       "match_probability": [0.97, 0.2]})
    >>> records = pd.DataFrame({"unique_id": list("abc"),
    ...                         "surname": ["lee", "lee", "cox"]})
    >>> clerical_sample(pairs, records, 0.95, n=2)[["surname_l", "surname_r",
    ...                                             "side"]].values.tolist()
    [['lee', 'lee', 'linked'], ['lee', 'cox', 'not linked']]
    """
    gap = (pairs["match_probability"] - threshold).abs()
    above = pairs[pairs["match_probability"] >= threshold].loc[lambda d: gap[
        d.index].sort_values().index].head(n // 2)
    below = pairs[pairs["match_probability"] < threshold].loc[lambda d: gap[
        d.index].sort_values().index].head(n - len(above))
    out = pd.concat([above.assign(side="linked"), below.assign(side="not linked")])
    shown = [c for c in _SHOWN if c in records.columns]
    rec = records.set_index("unique_id")[shown]
    for end in ("l", "r"):
        joined = rec.reindex(out[f"unique_id_{end}"]).add_suffix(f"_{end}")
        out = pd.concat([out.reset_index(drop=True),
                         joined.reset_index(drop=True)], axis=1)
    return out


def _bars(parameters: pd.DataFrame) -> list[dict[str, Any]]:
    """Bar geometry of the match-weight chart (inline SVG, no script)."""
    weights = parameters["match_weight"].replace([np.inf, -np.inf], np.nan)
    span = float(np.nanmax(np.abs(weights))) if weights.notna().any() else 1.0
    span = max(span, 1.0)
    out = []
    for i, (row, w) in enumerate(zip(parameters.itertuples(), weights, strict=True)):
        shown = 0.0 if pd.isna(w) else max(-span, min(span, float(w)))
        width = abs(shown) / span * 260
        out.append({"y": 8 + 20 * i, "x": 560 if shown >= 0 else 560 - width,
                    "width": width, "weight": w, "positive": shown >= 0,
                    "label": f"{row.comparison}: {row.level}"})
    return out


@dataclass
class LinkageDiagnostics:
    """Splink's model and a linkage's outcome, ready to render.

    Build it with :meth:`from_linked`; ``clerical`` pairs hold identifiers.
    """

    facts: dict[str, Any]
    parameters: pd.DataFrame
    quality: LinkageQuality | None = None
    clerical: pd.DataFrame | None = None

    @classmethod
    def from_linked(cls, linked: LinkedTables, *,
                    quality: LinkageQuality | None = None,
                    clerical_pairs: int = 0) -> LinkageDiagnostics:
        """From :func:`link_tables`' result; ``clerical_pairs > 0`` adds that many
        pairs near the threshold, with identifiers."""
        clerical = None
        if clerical_pairs > 0:
            clerical = clerical_sample(linked.run.pairs, linked.records,
                                       linked.run.threshold, clerical_pairs)
        return cls(linked.facts(), linked.run.parameters, quality, clerical)

    def summarize(self) -> dict[str, Any]:
        """Plain data behind the page."""
        untrained = self.parameters[self.parameters["m"].isna()
                                    | self.parameters["u"].isna()]
        return {"facts": self.facts,
                "parameters": self.parameters.to_dict("records"),
                "untrained": [f"{r.comparison}: {r.level}"
                              for r in untrained.itertuples()],
                "bars": _bars(self.parameters),
                "quality": self.quality.summarize() if self.quality else None,
                "clerical": None if self.clerical is None
                else self.clerical.to_dict("records"),
                "shown": _SHOWN}

    def html(self) -> str:
        """The page, self-contained (inline CSS and SVG, no script)."""
        env = environment("earlysignal.linkage")
        return env.get_template("diagnostics.html.j2").render(s=self.summarize())

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path``."""
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.html()
