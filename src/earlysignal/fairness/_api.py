"""Public entry points: audit a DataFrame of scores, or a CSV / Parquet file."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from earlysignal.disclosure import DEFAULT_RULE
from earlysignal.errors import DataError
from earlysignal.fairness._audit import Settings, compute
from earlysignal.fairness._inputs import check_operating_point, normalise
from earlysignal.fairness._result import FairnessAudit


def audit(
    df: pd.DataFrame,
    *,
    score: str,
    label: str,
    groups: Sequence[str] | str,
    threshold: float | None = None,
    top: int | str | None = None,
    reference: str | Mapping[str, str] | None = None,
    intersections: Sequence[Sequence[str]] = (),
    period: str | None = None,
    min_cell: int = 10,
    band: tuple[float, float] = (0.8, 1.25),
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    suppress_on: Sequence[str] = DEFAULT_RULE,
    mitigation: bool = True,
    constraints: str = "equalized_odds",
    objective: str = "balanced_accuracy_score",
    source: str = "the scores table",
    id: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> FairnessAudit:
    """Audit a table of risk scores for subgroup differences.

    Works on any scores, ours or a vendor's: one row per scored person, a score
    column (higher = more concern), a 0/1 outcome column and characteristic columns.

    Parameters
    ----------
    df : DataFrame
        One row per scored person (or person and period).
    score, label : str
        The score column, and the observed outcome (0/1).
    groups : str or list of str
        Characteristic columns (sex, ethnicity, SEN, FSM, age band ...).
    threshold : float, optional
        Operating point: selected when ``score >= threshold``.
    top : int or str, optional
        Operating point as a capacity: the top ``k`` (``100``) or top ``k%``
        (``"5%"``). Rows tied at the boundary share the remaining places (expected
        value under random tie-breaking). With ``period``, per period.
    reference : str or dict, optional
        Reference group (``"White"``, or ``{"ethnicity": "White"}``); default the
        largest group of each characteristic.
    intersections : list of lists
        Intersections to audit, e.g. ``[["sex", "ethnicity"]]``.
    period : str, optional
        A period or fold column: metrics are also reported per period.
    min_cell : int
        Disclosure threshold: groups with fewer people behind them are withheld.
    band : (float, float)
        Ratios to the reference inside this band are not flagged.
    n_boot, seed : int
        Bootstrap resamples of people (stratified by group) and seed.
    alpha : float
        Family-wise error rate for flags (Holm over all tests).
    suppress_on : sequence of str
        Counts that must reach ``min_cell`` (default: size, positives, negatives,
        selected, not_selected; add "tp", "fp", "fn", "tn" to be stricter).
    mitigation : bool
        Compare mitigation options (never applied to the scores).
    constraints, objective : str
        Passed to fairlearn's ThresholdOptimizer for its comparison.
    source : str
        Name used in messages and the report.
    id : str, optional
        The person identifier column. People recur at many as-of dates, so
        intervals and tests resample people, carrying all their rows; default the
        ``person_id`` column when there is one, else each row is its own person.
    progress : callable, optional
        Called with ``(step, done, total)`` after each block of bootstrap
        resamples (counted over every characteristic) and before the mitigation
        comparison.

    Returns
    -------
    FairnessAudit

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"score": rng.uniform(size=400),
    ...                    "sex": rng.choice(["F", "M"], size=400)})
    >>> df["y"] = (rng.uniform(size=400) < df["score"]).astype(int)
    >>> a = audit(df, score="score", label="y", groups="sex", top="25%",
    ...           n_boot=50, mitigation=False)
    >>> a.group_metrics.query("group == 'all' and metric == 'selected'")["value"].item()
    100.0
    >>> list(a.disparities.columns[:4])
    ['group_by', 'group', 'reference', 'metric']
    """
    check_operating_point(threshold, top, source)
    inp = normalise(
        df,
        score=score,
        label=label,
        groups=groups,
        intersections=intersections,
        period=period,
        source=source,
        id=id,
    )
    settings = Settings(
        threshold=threshold,
        top=top,
        reference=reference,
        min_cell=int(min_cell),
        band=(float(band[0]), float(band[1])),
        n_boot=int(n_boot),
        seed=int(seed),
        alpha=float(alpha),
        rule=tuple(suppress_on),
        mitigation=mitigation,
        constraints=constraints,
        objective=objective,
    )
    return FairnessAudit(compute(inp, settings, progress))


def read_scores(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file of scores, with a clear error if it cannot be."""
    p = Path(path)
    if not p.exists():
        raise DataError("file not found", file=str(p), fix="check the path")
    suffix = p.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(p)
        if suffix in (".csv", ".txt", ".gz"):
            return pd.read_csv(p)
    except (ValueError, OSError) as e:
        raise DataError(
            f"cannot be read: {e}", file=str(p), fix="give a valid CSV or Parquet file"
        ) from e
    raise DataError(
        f"unknown file type '{suffix}'", file=str(p), fix="give a .csv or .parquet file"
    )


def audit_file(
    path: str | Path,
    *,
    score: str,
    label: str,
    groups: Sequence[str] | str,
    threshold: float | None = None,
    top: int | str | None = None,
    out_dir: str | Path | None = None,
    reference: str | Mapping[str, str] | None = None,
    intersections: Sequence[Sequence[str]] = (),
    period: str | None = None,
    min_cell: int = 10,
    band: tuple[float, float] = (0.8, 1.25),
    n_boot: int = 1000,
    seed: int = 0,
    mitigation: bool = True,
    id: str | None = None,
    trace: Mapping[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> FairnessAudit:
    """Audit a CSV or Parquet file of scores; write fairness.json, .csv, .html.

    See :func:`audit` for the parameters. Errors name the file and the column.
    ``trace`` (run name, MLflow run id, model version, extract date) is printed at
    the foot of the page when the audit belongs to a run.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"s": [0.1, 0.9] * 20, "y": [0, 1] * 20,
    ...               "g": ["a"] * 20 + ["b"] * 20}).to_csv(folder / "s.csv",
    ...                                                    index=False)
    >>> a = audit_file(folder / "s.csv", score="s", label="y", groups="g",
    ...                threshold=0.5, out_dir=folder, n_boot=20, mitigation=False)
    >>> sorted(p.name for p in folder.glob("fairness.*"))
    ['fairness.csv', 'fairness.html', 'fairness.json']
    """
    check_operating_point(threshold, top, str(path))
    df = read_scores(path)
    result = audit(
        df,
        score=score,
        label=label,
        groups=groups,
        threshold=threshold,
        top=top,
        reference=reference,
        intersections=intersections,
        period=period,
        min_cell=min_cell,
        band=band,
        n_boot=n_boot,
        seed=seed,
        mitigation=mitigation,
        source=str(path),
        id=id,
        progress=progress,
    )
    if out_dir is not None:
        result.trace = dict(trace) if trace else None
        result.write(out_dir)
    return result
