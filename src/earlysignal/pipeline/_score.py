"""Scoring new data with a logged model, refusing data the model was not built for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from earlysignal.data import CanonicalTables
from earlysignal.errors import DataError
from earlysignal.features import (
    CohortSpec,
    LabelSpec,
    build_cohort,
    compute_features,
    parse_feature_specs,
)
from earlysignal.features._matrix import meta_from_dict
from earlysignal.model import (
    PopulationRange,
    assign_bands,
    bands_from_dicts,
    cut_bands,
    outside_population,
    share_check,
)


def score_people(
    model_uri: str,
    *,
    as_of: str,
    data: str | Path,
    out: str | Path | None = None,
    tracking_uri: str | None = None,
) -> pd.DataFrame:
    """Score everyone eligible at ``as_of`` with a logged model.

    Parameters
    ----------
    model_uri : str
        ``runs:/RUN_ID/scorer``, or a run folder written by ``earlysignal run``.
    as_of : str
        The scoring date (YYYY-MM-DD); only what was known before it is used.
    data : path
        A folder of canonical Parquet tables, a source-mapping YAML file, or a
        feature matrix (Parquet) with the model's feature columns.
    out : path, optional
        Where to write the scores (``.parquet`` or ``.csv``).

    Returns
    -------
    DataFrame
        ``person_id``, ``as_of``, ``score``, ``band``, and ``population_note``
        (why a row lies outside the ages the model learned from; "" inside).
        Bands follow the run's rule: shares of the people scored at ``as_of``,
        cut on those inside the population, so score everyone eligible at once.
        ``result.attrs["band_shares"]`` holds the shares check.
    """
    from earlysignal.tracking import load_scorer

    model, meta_docs, bundle = load_scorer(model_uri, tracking_uri)
    metadata = {d["column"]: meta_from_dict(d) for d in meta_docs}
    when = pd.Timestamp(as_of)
    source = Path(data)
    if source.suffix == ".parquet" and source.is_file():
        frame = _matrix_at(source, when)
    else:
        tables = _tables(source)
        _check_date(tables, when, source)
        frame = _features(tables, bundle, when)
        _check_sources(tables, metadata.values(), source)
    check_feature_set(frame, metadata, str(source))
    scores = model.predict_proba(frame[list(metadata)])[:, 1]
    result = pd.DataFrame({"person_id": frame["person_id"], "as_of": when,
                           "score": scores})
    ranges = [PopulationRange(**r) for r in
              (bundle.get("population") or {}).get("ranges", [])]
    notes = outside_population(frame, ranges)
    result["population_note"] = notes.to_numpy()
    bands = bands_from_dicts(bundle.get("bands", []))
    if bands:
        cut = cut_bands(bands, scores[(notes == "").to_numpy()])
        result["band"] = assign_bands(scores, cut)
        result.attrs["band_shares"] = share_check(cut, result["band"].to_numpy())
    result = result.sort_values("score", ascending=False, kind="stable")
    if out is not None:
        _write(result, Path(out))
    return result.reset_index(drop=True)


def check_feature_set(frame: pd.DataFrame, metadata: Mapping[str, Any],
                      source: str) -> None:
    """Refuse a matrix whose feature columns or kinds differ from the model's.

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> meta = {"a__count__90d": M(kind="numeric")}
    >>> check_feature_set(pd.DataFrame({"person_id": ["x"], "b": [1]}), meta, "f")
    Traceback (most recent call last):
    ...
    earlysignal.errors.DataError: f, column 'a__count__90d': the data's feature set does not match the model's: 1 feature(s) the model needs are missing (a__count__90d). Fix: score with data built from the same feature specs as the model (earlysignal score computes them for you from canonical tables), or retrain the model on this feature set
    """
    missing = [c for c in metadata if c not in frame.columns]
    wrong = [c for c, m in metadata.items() if c in frame.columns
             and (m.kind == "categorical") != _is_text(frame[c])]
    if not (missing or wrong):
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} feature(s) the model needs are missing "
                     f"({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''})")
    if wrong:
        parts.append(f"{len(wrong)} feature(s) have another kind of value than the "
                     f"model was trained on ({', '.join(wrong[:5])})")
    raise DataError(
        "the data's feature set does not match the model's: " + "; ".join(parts),
        file=source, column=(missing or wrong)[0],
        fix="score with data built from the same feature specs as the model "
            "(earlysignal score computes them for you from canonical tables), or "
            "retrain the model on this feature set")


def _is_text(s: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(s) or isinstance(s.dtype,
                                                               pd.CategoricalDtype))


#: How long after the data's last record a score may still be taken: scores later
#: than this would read everything since as "nothing recorded".
STALE_AFTER = pd.Timedelta(days=62)


def _matrix_at(source: Path, when: pd.Timestamp) -> pd.DataFrame:
    frame = pd.read_parquet(source)
    if "as_of" not in frame.columns:
        return frame
    dates = pd.to_datetime(frame["as_of"])
    rows = frame.loc[dates == when].reset_index(drop=True)
    if rows.empty:
        present = ", ".join(str(d.date()) for d in sorted(dates.unique())[:10])
        raise DataError(f"has no rows at {when.date()} (as-of dates present: "
                        f"{present})", file=str(source), column="as_of",
                        fix="pass --as-of with one of those dates, or build the "
                            "features at this date from canonical tables")
    return rows


def _check_date(tables: CanonicalTables, when: pd.Timestamp, source: Path) -> None:
    from earlysignal.features._labels import latest_date

    last = latest_date(tables)
    if pd.notna(last) and when > last + STALE_AFTER:
        raise DataError(
            f"the data ends on {last.date()}, but the scoring date is {when.date()}: "
            "every record since would read as 'nothing recorded' and the scores "
            "would be too low", file=str(source), column="as_of",
            fix=f"score at a date up to {(last + STALE_AFTER).date()}, or supply a "
                "newer extract")


def _tables(source: Path) -> CanonicalTables:
    if source.is_dir():
        from earlysignal.data import validate_folder

        # the same checks as a run's data step: no silent set-aside, no bad values
        return validate_folder(source, settings="the folder's tables")[0]
    if source.suffix in (".yaml", ".yml"):
        from earlysignal.data import load_mapping

        return load_mapping(source)[0]
    raise DataError("is neither a folder of canonical tables, a mapping YAML nor a "
                    "feature matrix (.parquet)", file=str(source),
                    fix="pass a folder of {table}.parquet files, a mapping .yaml, "
                        "or a features .parquet")


def _features(tables: CanonicalTables, bundle: Mapping[str, Any],
              when: pd.Timestamp) -> pd.DataFrame:
    cohort_raw = {**bundle.get("cohort", {}), "as_of": [str(when.date())]}
    cohort = CohortSpec.from_config(cohort_raw, source="model", path="cohort")
    label = LabelSpec.from_config(bundle["label"], source="model", path="label") \
        if bundle.get("label") else None
    built = build_cohort(tables, cohort, outcome=label)
    people = built.frame
    if people.empty:
        raise DataError(
            f"no one is eligible to score at {when.date()}: "
            + "; ".join(built.summary()),
            column="as_of",
            fix="pass an --as-of date inside the period the data covers and the "
                "model's cohort rules (age range, activity) allow")
    specs = parse_feature_specs(bundle.get("features", []), source="model")
    return compute_features(tables, people, specs).frame


def _check_sources(tables: CanonicalTables, metas: Sequence[Any] | Any,
                   source: Path) -> None:
    used = sorted({m.table for m in metas if m.table != "people"})
    empty = [t for t in used if tables[t].empty]
    if empty:
        raise DataError(
            f"the model uses features from the {', '.join(empty)} table(s), but the "
            "data has no rows there; every such feature would read as 'nothing "
            "recorded' and the scores would be wrong", file=str(source),
            column=empty[0],
            fix="supply those tables (check the mapping), or retrain the model "
                "without those features")


def _write(result: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        result.to_csv(out, index=False)
    else:
        result.to_parquet(out, index=False)
