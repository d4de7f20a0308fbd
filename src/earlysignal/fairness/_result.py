"""The front object of an audit: tables as DataFrames, a plain summary, renderings."""

from __future__ import annotations

import json
import math
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.fairness._audit import Result


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return _plain(frame.to_dict("records"))


class FairnessAudit:
    """Result of :func:`audit`: subgroup metrics, disparities, suppression, options.

    Attributes are DataFrames whose columns never depend on the input's shape:
    ``group_metrics`` (tidy: group_by, group, metric, value, lower, upper, suppressed,
    flagged), ``disparities``, ``suppressed``, ``mitigation``, ``over_time`` and
    ``drift`` (empty, same columns, when not applicable).
    """

    def __init__(self, result: Result) -> None:
        self._result = result
        self.group_metrics: pd.DataFrame = result.group_metrics
        self.disparities: pd.DataFrame = result.disparities
        self.suppressed: pd.DataFrame = result.suppressed
        self.mitigation: pd.DataFrame = result.mitigation
        self.over_time: pd.DataFrame = result.over_time
        self.drift: pd.DataFrame = result.drift
        #: what ties the page to a run (see earlysignal.present.trace_footer)
        self.trace: dict[str, str] | None = None

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"FairnessAudit({s['rows']:,} rows, {len(s['group_by'])} characteristics, "
            f"{len(s['flags'])} flags, {len(s['suppressed'])} groups withheld)"
        )

    @property
    def notes(self) -> list[str]:
        """Plain-words notes on how the numbers were made."""
        return list(self._result.notes)

    @property
    def impossibility(self) -> list[dict[str, object]]:
        """Per characteristic: do base rates differ, and which criterion is nearer."""
        return list(self._result.impossibility)

    def summary(self) -> dict[str, Any]:
        """Plain data: settings, notes, flags, withheld groups, impossibility notes."""
        r, st = self._result, self._result.settings
        flags = self.disparities[self.disparities["flagged"]]
        mit = self.mitigation[self.mitigation["group"] == "all"]
        summary = {
            "source": r.source,
            "rows": r.n_rows,
            "group_by": list(dict.fromkeys(self.group_metrics["group_by"]))[1:],
            "operating_points": {
                k: op.to_dict() for k, op in r.operating_points.items()
            },
            "settings": {
                "threshold": st.threshold,
                "top": st.top,
                "reference": st.reference,
                "min_cell": st.min_cell,
                "band": list(st.band),
                "n_boot": st.n_boot,
                "seed": st.seed,
                "alpha": st.alpha,
                "suppression_rule": list(st.rule),
                "multiple_comparisons": (
                    "Holm on bootstrap p-values, all disparity tests"
                ),
            },
            "n_tests": int(self.disparities["p_holm"].notna().sum()),
            "notes": r.notes,
            "flags": _records(flags),
            "suppressed": _records(self.suppressed),
            "impossibility": r.impossibility,
            "mitigation_totals": _records(
                mit[["method", "group_by", "selected", "caught", "tpr"]]
            ),
            "drifting": _records(self.drift[self.drift["drifting"]]),
        }
        return _plain(summary)

    def to_json(self) -> str:
        """The summary and every table, as JSON (missing values are null)."""
        data = {
            "summary": self.summary(),
            "group_metrics": _records(self.group_metrics),
            "disparities": _records(self.disparities),
            "suppressed": _records(self.suppressed),
            "mitigation": _records(self.mitigation),
            "over_time": _records(self.over_time),
            "drift": _records(self.drift),
        }
        return json.dumps(data, indent=2, allow_nan=False)

    def tidy(self) -> pd.DataFrame:
        """Group metrics and disparities in one tidy table (the CSV).

        Disparity rows have metric ``{metric}_difference`` and ``{metric}_ratio``.
        """
        d = self.disparities
        parts = [self.group_metrics]
        for stat in ("difference", "ratio"):
            part = pd.DataFrame(
                {
                    "group_by": d["group_by"],
                    "group": d["group"],
                    "metric": d["metric"] + f"_{stat}",
                    "value": d[stat],
                    "lower": d[f"{stat}_lower"],
                    "upper": d[f"{stat}_upper"],
                    "suppressed": d["suppressed"],
                    "flagged": d["flagged"],
                }
            )
            parts.append(part[part["value"].notna() | part["suppressed"]])
        return pd.concat(parts, ignore_index=True)

    @cached_property
    def mitigation_svg(self) -> str:
        """TPR and FPR by group under each option, as an SVG string ('' if none)."""
        from earlysignal.fairness._mitigation import mitigation_svg

        return mitigation_svg(self.mitigation) if len(self.mitigation) else ""

    def html(self) -> str:
        """A self-contained HTML page (inline CSS and SVG; no scripts)."""
        from earlysignal.fairness._render import render

        return render(
            self.summary(),
            self.group_metrics,
            self.disparities,
            self.mitigation,
            self.drift,
            self.mitigation_svg,
            self.trace,
        )

    def write_html(self, path: str | Path) -> Path:
        """Write :meth:`html` to ``path``."""
        path = Path(path)
        path.write_text(self.html(), encoding="utf-8")
        return path

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write fairness.json, fairness.csv and fairness.html into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "json": out / "fairness.json",
            "csv": out / "fairness.csv",
            "html": out / "fairness.html",
        }
        paths["json"].write_text(self.to_json(), encoding="utf-8")
        self.tidy().to_csv(paths["csv"], index=False)
        self.write_html(paths["html"])
        return paths

    def _repr_html_(self) -> str:
        return self.html()
