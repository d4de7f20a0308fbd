"""The feature stage as one call: cohort -> features -> labels -> a Parquet matrix.

The matrix is written one row group per batch of as-of dates, so it never has to be
held in memory twice; a temporal-integrity check then recomputes a sample of rows
from truncated tables and fails loudly if anything known on or after an as-of date
reached a feature.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from earlysignal.errors import DataError
from earlysignal.features._cohort import CohortResult, CohortSpec, build_cohort
from earlysignal.features._compute import iter_features
from earlysignal.features._engine import Engine, as_engine
from earlysignal.features._labels import (
    LabelResult,
    LabelSpec,
    build_labels,
    last_record_date,
)
from earlysignal.features._metadata import FeatureMeta, feature_metadata
from earlysignal.features._spec import FeatureSpec
from earlysignal.features._windows import Window

#: Label columns added to the matrix; every one starts with ``label`` so that tools
#: comparing features can tell them apart.
LABEL_COLUMNS = ("label", "label_date", "label_known_at", "label_censored",
                 "label_followup_end")


@dataclass
class FeatureMatrix:
    """A built feature matrix and what it took to build it.

    ``path`` is the Parquet file (``person_id``, ``as_of``, features…, label
    columns); ``frame`` reads it. ``metadata`` describes every feature column.
    """

    path: Path
    metadata: tuple[FeatureMeta, ...]
    cohort: CohortResult
    labels: LabelResult
    integrity_rows_checked: int = 0

    @property
    def frame(self) -> pd.DataFrame:
        """The whole matrix as a DataFrame."""
        return pd.read_parquet(self.path)

    @property
    def feature_columns(self) -> list[str]:
        return [m.column for m in self.metadata]

    def summary(self) -> dict[str, object]:
        """Counts for the run's report: who was scored, labelled and set aside."""
        return {
            "rows": int(self.cohort.counts["scored"]),
            "features": len(self.metadata),
            "cohort": dict(self.cohort.counts),
            "labels": dict(self.labels.counts),
            "integrity_rows_checked": self.integrity_rows_checked,
        }


def build_feature_matrix(
    tables: Mapping[str, pd.DataFrame],
    *,
    cohort: CohortSpec,
    label: LabelSpec,
    features: Sequence[FeatureSpec],
    out: str | Path,
    engine: str | Engine = "duckdb",
    base_dir: str | Path | None = None,
    integrity_sample: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> FeatureMatrix:
    """Build, label, write and check the feature matrix.

    Parameters
    ----------
    tables : CanonicalTables or mapping of DataFrames
    cohort, label : CohortSpec, LabelSpec
    features : list of FeatureSpec
    out : path
        Folder to write ``features.parquet`` and ``features.meta.json`` into.
    engine : "duckdb", "spark" or Engine
    base_dir : path, optional
        Where relative paths in the cohort spec are resolved.
    integrity_sample : int
        Rows recomputed from truncated tables by the temporal-integrity check
        (0 turns it off; it raises ``LeakageError`` on any difference).
    progress : callable, optional
        Called with (rows done, rows in all) after each batch.

    Examples
    --------
    >>> import tempfile
    >>> from earlysignal.data import CanonicalTables
    >>> from earlysignal.features import parse_feature_specs
    >>> t = CanonicalTables.from_frames({
    ...     "people": pd.DataFrame({"person_id": ["a", "b"],
    ...                             "date_of_birth": ["2008-01-01", "2009-03-01"]}),
    ...     "events": pd.DataFrame({"person_id": ["a", "a", "b"],
    ...         "event_date": ["2020-05-01", "2021-03-01", "2022-08-31"],
    ...         "source": ["school", "youth_justice", "school"],
    ...         "event_type": ["suspension", "caution", "absence"]})})
    >>> m = build_feature_matrix(t,
    ...     cohort=CohortSpec(as_of=["2020-09-01"]),
    ...     label=LabelSpec(horizon="12m", outcome=[{"table": "events",
    ...                     "source": "youth_justice"}],
    ...                     followup={"extract_date": "2022-08-31"}),
    ...     features=parse_feature_specs([{"name": "suspensions", "from": "events",
    ...         "where": {"event_type": "suspension"}, "windows": ["1y"]}]),
    ...     out=tempfile.mkdtemp())
    >>> m.frame[["person_id", "suspensions__count__1y", "label"]].values.tolist()
    [['a', 1.0, 1], ['b', 0.0, 0]]
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    eng = as_engine(engine)
    own = not isinstance(engine, Engine)
    try:
        scored = build_cohort(tables, cohort, outcome=label, base_dir=base_dir,
                              last_record=last_record_date(tables))
        if scored.frame.empty:
            missing = getattr(tables, "missing", [])
            raise DataError(
                "no one is eligible to be scored at any as-of date ("
                + "; ".join(scored.summary()) + ")"
                + (f"; these tables are absent: {', '.join(missing)}" if missing
                   else ""),
                file="cohort",
                fix="check the cohort rules (age range, the 'active' source) against "
                    "the data, and that every table the rules use is supplied")
        # a cohort without the already escalated is labelled with first escalations
        labels = build_labels(tables, scored.frame, label,
                              first=cohort.exclude_escalated)
        metas = tuple(feature_metadata(list(features)))
        path = out / "features.parquet"
        _write(tables, scored.frame, labels.frame, features, eng, path, progress)
        _write_meta(out / "features.meta.json", metas, scored, labels)
        checked = _check(tables, scored.frame, features, path, eng, integrity_sample)
    finally:
        if own:
            eng.close()
    return FeatureMatrix(path, metas, scored, labels, checked)


def meta_from_dict(doc: Mapping[str, object]) -> FeatureMeta:
    """Rebuild a :class:`FeatureMeta` from its JSON form (``features.meta.json``).

    Examples
    --------
    >>> from earlysignal.features._spec import parse_feature_specs
    >>> meta = feature_metadata(parse_feature_specs([{"name": "s", "from": "events",
    ...     "where": {"event_type": "suspension"}, "windows": ["90d"]}]))[0]
    >>> meta_from_dict(json.loads(json.dumps(asdict(meta)))) == meta
    True
    """
    d = dict(doc)
    pairs: Any = d.get("filter") or ()
    d["filter"] = tuple((str(c), tuple(v)) for c, v in pairs)
    span = d.get("span")
    d["span"] = Window(**span) if isinstance(span, Mapping) else None
    return FeatureMeta(**d)  # type: ignore[arg-type]


def read_feature_matrix(folder: str | Path) -> tuple[pd.DataFrame, dict[str, FeatureMeta]]:
    """Read a matrix written by :func:`build_feature_matrix`: frame and metadata.

    Examples
    --------
    >>> frame, meta = read_feature_matrix("reports/demo/features")  # doctest: +SKIP
    """
    folder = Path(folder)
    doc = json.loads((folder / "features.meta.json").read_text())
    metas = [meta_from_dict(m) for m in doc["features"]]
    return pd.read_parquet(folder / "features.parquet"), {m.column: m for m in metas}


def _label_part(labels: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "label": labels["label"],
        "label_date": labels["label_date"],
        "label_known_at": labels["label_known_at"],
        "label_censored": labels["censored"],
        "label_followup_end": labels["followup_end"],
    }, index=labels.index)


def _write(
    tables: Mapping[str, pd.DataFrame],
    cohort: pd.DataFrame,
    labels: pd.DataFrame,
    features: Sequence[FeatureSpec],
    eng: Engine,
    path: Path,
    progress: Callable[[int, int], None] | None,
) -> None:
    label_part = _label_part(labels)
    writer: pq.ParquetWriter | None = None
    done = 0
    try:
        for batch in iter_features(tables, cohort, list(features), engine=eng):
            part = batch.join(label_part)
            table = pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table.cast(writer.schema))
            done += len(part)
            if progress is not None:
                progress(done, len(cohort))
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # an empty cohort still gets a matrix with its columns
        from earlysignal.features._compute import compute_features

        empty = compute_features(tables, cohort, list(features), engine=eng).frame
        empty.join(label_part).to_parquet(path, index=False)


def _write_meta(
    path: Path, metas: Sequence[FeatureMeta], cohort: CohortResult,
    labels: LabelResult,
) -> None:
    doc = {
        "features": [asdict(m) for m in metas],
        "cohort": cohort.counts,
        "labels": labels.counts,
        "extract_date": str(labels.extract_date.date())
        if labels.extract_date is not None else None,
        "last_record_date": str(cohort.last_record.date())
        if cohort.last_record is not None else None,
    }
    path.write_text(json.dumps(doc, indent=2, default=str))


def _check(
    tables: Mapping[str, pd.DataFrame],
    cohort: pd.DataFrame,
    features: Sequence[FeatureSpec],
    path: Path,
    eng: Engine,
    sample: int,
) -> int:
    if sample <= 0 or cohort.empty:
        return 0
    from earlysignal.features._integrity import check_temporal_integrity

    keys = ["person_id", "as_of"]
    frame = pd.read_parquet(path, columns=None)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("label")])
    check_temporal_integrity(tables, frame[keys], list(features), frame,
                             engine=eng, sample=sample)
    return min(sample, len(frame))
