"""The explanation of a model's scores: contributions, families, reasons, changes.

:func:`explain` normalises the inputs and computes the exact contributions once;
:class:`Explanation` derives everything else from them lazily, always as
DataFrames or plain objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from earlysignal.explain._changes import change_frame
from earlysignal.explain._contributions import (
    Attribution,
    ExplainError,
    model_view,
    sigmoid,
)
from earlysignal.explain._families import (
    as_mapping,
    family_label,
    family_matrix,
    feature_table,
)
from earlysignal.explain._reasons import (
    Reason,
    evidence_rows,
    notes_for,
    select_reasons,
    strongest_in_family,
)
from earlysignal.explain._text import capitalise, render_phrases
from earlysignal.explain._typical import Typical, comparison_groups

__all__ = ["Explanation", "explain"]

def explain(
    model: Any,
    features: pd.DataFrame,
    metadata: Mapping[str, Any] | Iterable[Any],
    *,
    tables: Mapping[str, pd.DataFrame] | None = None,
    reference: pd.DataFrame | None = None,
    top: int = 3,
    n_jobs: int | None = None,
    peer_group: str = "year group",
    age_bands: Sequence[int] | None = None,
) -> Explanation:
    """Explain a fitted early-warning model's scores of the rows of ``features``.

    Parameters
    ----------
    model : any model the pipeline ships
        An EarlyWarningClassifier, a CalibratedModel around one (explained through
        its uncalibrated estimator, see ``SCALE_NOTE``), a LightGBM model, the
        logistic regression (``LogisticBaseline``), or a ``BlendedModel`` of the
        two (the mean of their points). ``summary()["scale"]`` says which rule
        made the points.
    features : DataFrame
        ``person_id``, ``as_of`` and the model's feature columns (extra columns,
        such as labels, are ignored), as built by the feature stage.
    metadata : FeatureMatrix.metadata or mapping column -> FeatureMeta
    tables : CanonicalTables, optional
        Gives each reason the records behind it, and year groups (from dates of
        birth) for "what is typical".
    reference : DataFrame, optional
        People whose values define "typical" (default: ``features`` itself):
        medians among the same year group (or age) at the same as-of date.
    top : int
        Reasons per direction (raising, lowering) for each person.
    n_jobs : int, optional
        Threads for the contributions (LightGBM's default when None).
    peer_group : {"year group", "age band", "none"}
        Who "typical" compares a person with (the population's ``peer_group``).
    age_bands : sequence of int, optional
        Lower edges of the age bands, for ``peer_group="age band"``.

    Returns
    -------
    Explanation

    Examples
    --------
    >>> from types import SimpleNamespace as M
    >>> from earlysignal.model import EarlyWarningClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"person_id": [f"p{i}" for i in range(300)],
    ...     "as_of": pd.Timestamp("2023-09-01"), "susp": rng.poisson(1, 300) * 1.0})
    >>> y = (X["susp"] + rng.normal(size=300) > 2).astype(int)
    >>> clf = EarlyWarningClassifier(n_estimators=10, early_stopping_rounds=None,
    ...     min_child_samples=10).fit(X[["susp"]], y)
    >>> meta = {"susp": M(template="{value} suspensions in the last 90 days",
    ...     family="behaviour", kind="numeric", unit="count", aggregate="count",
    ...     label="suspensions", window="90d", protected=False,
    ...     is_missing_indicator=False)}
    >>> ex = explain(clf, X, meta)
    >>> bool(np.allclose(ex.contributions.sum(axis=1), ex.scores["log_odds"]))
    True
    >>> ex.reasons("p0")[0].family_label
    'Behaviour and exclusions'
    """
    if not isinstance(features, pd.DataFrame):
        raise ExplainError(
            f"features must be a DataFrame (person_id, as_of, feature columns), got "
            f"{type(features).__name__}. Fix: pass FeatureMatrix.frame"
        )
    if top < 1:
        raise ExplainError(f"top must be at least 1, got {top}")
    view = model_view(model)
    meta = as_mapping(metadata)
    info = feature_table(view.feature_names, meta)
    X = view.encode(features)
    return Explanation(view=view, features=features, metadata=meta, info=info,
                       encoded=X, attribution=view.attribute(features, n_jobs),
                       tables=tables, reference=reference, top=top,
                       peers=(peer_group, tuple(age_bands or ())))


class Explanation:
    """Contributions, families, reasons and changes for a set of scored rows.

    Build it with :func:`explain`. DataFrames are indexed like the rows of the
    feature matrix: by (``person_id``, ``as_of``) when both columns are present.
    """

    def __init__(self, *, view: Any, features: pd.DataFrame,
                 metadata: dict[str, Any], info: pd.DataFrame, encoded: np.ndarray,
                 attribution: Attribution,
                 tables: Mapping[str, pd.DataFrame] | None,
                 reference: pd.DataFrame | None, top: int,
                 peers: tuple[str, tuple[int, ...]] = ("year group", ())) -> None:
        self._view = view
        self._features = features
        self._meta = metadata
        self.feature_info = info
        self._X = encoded
        self._attribution = attribution
        self._phi = attribution.phi
        self._points = attribution.points
        self.base_value = float(attribution.base)
        self._tables = tables
        self._reference = reference
        self._peers = peers
        self.top = top
        self._columns = list(info.index)
        self._G, self.families = family_matrix(info)
        self._members = [np.nonzero(self._G[:, f])[0]
                         for f in range(len(self.families))]
        self._missing = info["missing_indicator"].to_numpy(dtype=float)
        if {"person_id", "as_of"} <= set(features.columns):
            self.index: pd.Index = pd.MultiIndex.from_arrays(
                [features["person_id"].astype(str).to_numpy(),
                 pd.to_datetime(features["as_of"]).to_numpy()],
                names=["person_id", "as_of"])
        else:
            self.index = features.index

    # -- contributions ---------------------------------------------------------

    @cached_property
    def _log_odds(self) -> np.ndarray:
        return self.base_value + self._phi.sum(axis=1)

    @property
    def base_probability(self) -> float:
        """The shown baseline: the probability at the base value, calibrated when
        the model is (for a blend, the mean of its two models' baselines)."""
        return self._attribution.base_probability

    @cached_property
    def contributions(self) -> pd.DataFrame:
        """Log-odds contribution of each feature per row, and the ``base`` value.

        Each row adds up to the model's raw score (log-odds).
        """
        out = pd.DataFrame(self._phi, columns=self._columns, index=self.index)
        out["base"] = self.base_value
        return out

    @cached_property
    def calibrated_contributions(self) -> pd.DataFrame:
        """Contributions on the calibrated log-odds, for Platt calibration only.

        Each feature's log-odds contribution times Platt's slope; with ``base``
        (slope times the base value plus the intercept) each row adds up to the
        logit of the calibrated probability.
        """
        if self._view.platt is None:
            raise ExplainError(
                "calibrated log-odds contributions exist only for Platt ('sigmoid') "
                f"calibration; this model is {self._calibration_kind()}. Fix: use "
                "probability_contributions, which are on the shown scale for every "
                "model")
        slope, intercept = self._view.platt
        out = pd.DataFrame(self._phi * slope, columns=self._columns,
                           index=self.index)
        out["base"] = slope * self.base_value + intercept
        return out

    @cached_property
    def probability_contributions(self) -> pd.DataFrame:
        """Contributions in shown probability (0.01 = 1 point), plus the baseline.

        Each row adds up to the probability the pages show: calibrated when the
        model is calibrated (see ``SCALE_NOTE``).
        """
        out = pd.DataFrame(self._points, columns=self._columns, index=self.index)
        out["base"] = self.base_probability
        return out

    @cached_property
    def scores(self) -> pd.DataFrame:
        """``log_odds``, ``probability`` (uncalibrated), for a calibrated model
        ``calibrated_probability``, and ``shown_probability`` (the calibrated one
        when there is one): the scale of the points."""
        p = sigmoid(self._log_odds)
        out = pd.DataFrame({"log_odds": self._log_odds, "probability": p},
                           index=self.index)
        out["shown_probability"] = self._attribution.shown
        if self._view.calibrate is not None:
            out["calibrated_probability"] = self._attribution.shown
        return out

    @cached_property
    def _by_family(self) -> np.ndarray:
        return self._phi @ self._G

    @cached_property
    def _points_by_family(self) -> np.ndarray:
        return self._points @ self._G

    @cached_property
    def by_family(self) -> pd.DataFrame:
        """Log-odds contribution of each factor family per row (columns: families)."""
        return pd.DataFrame(self._by_family, columns=self.families, index=self.index)

    @cached_property
    def probability_by_family(self) -> pd.DataFrame:
        """Probability contribution of each factor family per row."""
        return pd.DataFrame(self._points_by_family, columns=self.families,
                            index=self.index)

    # -- global view -----------------------------------------------------------

    @cached_property
    def global_importance(self) -> pd.DataFrame:
        """Mean absolute contribution of each feature, largest first.

        Columns: ``feature`` (readable name), ``family``, ``family_label``,
        ``mean_abs_log_odds``, ``mean_abs_points`` (probability points),
        ``mean_log_odds`` (signed), ``protected``, ``missing_indicator``,
        ``actionable``. Indexed by column name, for analysts.
        """
        prob = np.abs(self._points)
        out = self.feature_info[["feature", "family", "family_label"]].copy()
        out["mean_abs_log_odds"] = np.abs(self._phi).mean(axis=0) if len(
            self._phi) else 0.0
        out["mean_abs_points"] = prob.mean(axis=0) * 100 if len(prob) else 0.0
        out["mean_log_odds"] = self._phi.mean(axis=0) if len(self._phi) else 0.0
        for c in ("protected", "missing_indicator", "actionable"):
            out[c] = self.feature_info[c]
        return out.sort_values("mean_abs_log_odds", ascending=False, kind="stable")

    @cached_property
    def family_importance(self) -> pd.DataFrame:
        """Mean absolute contribution of each family (its features summed first)."""
        fam = self._by_family
        prob = np.abs(self._points_by_family)
        info = self.feature_info
        out = pd.DataFrame({
            "family": self.families,
            "family_label": [family_label(f) for f in self.families],
            "mean_abs_log_odds": np.abs(fam).mean(axis=0) if len(fam) else 0.0,
            "mean_abs_points": prob.mean(axis=0) * 100 if len(prob) else 0.0,
            "features": [int((info["family"] == f).sum()) for f in self.families],
            "actionable": [bool(info.loc[info["family"] == f, "actionable"].any())
                           for f in self.families],
        }).set_index("family")
        return out.sort_values("mean_abs_log_odds", ascending=False, kind="stable")

    @cached_property
    def plots(self) -> dict[str, str]:
        """``beeswarm`` (features, log-odds) and ``families`` (bar chart) as SVG."""
        from earlysignal.explain._plots import bar_svg, beeswarm_svg

        n = len(self._phi)
        rows = np.random.default_rng(0).choice(n, size=min(n, 2000), replace=False) \
            if n else np.arange(0)
        fam = self.family_importance
        return {
            "beeswarm": beeswarm_svg(self._phi[np.sort(rows)],
                                     self._X[np.sort(rows)],
                                     list(self.feature_info["feature"]),
                                     self.base_value),
            "families": bar_svg(list(fam["family_label"]),
                                list(fam["mean_abs_points"])),
        }

    # -- typical values --------------------------------------------------------

    @cached_property
    def _typical(self) -> tuple[pd.DataFrame, pd.DataFrame, str]:
        ref = self._reference if self._reference is not None else self._features
        kinds = {c: str(self.feature_info.at[c, "kind"]) for c in self._columns}
        ref_keys, phrase = comparison_groups(ref, self._tables, self._meta,
                                             *self._peers)
        typical = Typical(ref, ref_keys, self._columns, kinds, phrase)
        keys, _ = comparison_groups(self._features, self._tables, self._meta,
                                    *self._peers)
        as_of = (self._features["as_of"] if "as_of" in self._features.columns
                 else pd.Series(pd.NaT, index=self._features.index))
        value, present = typical.lookup(as_of, keys)
        return value, present, phrase

    def _phrases(self, col: int, rows: np.ndarray) -> list[str]:
        name = self._columns[col]
        value, present, phrase = self._typical
        raw = self._features[name].to_numpy()[rows]
        typ = value[name].to_numpy()[rows]
        pres = (present[name].to_numpy()[rows] if name in present.columns
                else np.ones(len(rows)))
        return [capitalise(t) for t in
                render_phrases(self._meta[name], raw, typ, pres, phrase)]

    # -- per-person reasons ----------------------------------------------------

    def _row(self, person_id: object, as_of: object | None) -> int:
        if not isinstance(self.index, pd.MultiIndex):
            raise ExplainError(
                "reasons need the person_id and as_of columns in the feature "
                "matrix. Fix: explain FeatureMatrix.frame as built"
            )
        ids = self.index.get_level_values("person_id")
        hits = np.nonzero(ids == str(person_id))[0]
        if not len(hits):
            raise ExplainError(
                f"person '{person_id}' is not among the {len(self.index)} explained "
                "rows. Fix: check the identifier (pseudonymised identifiers are "
                "case-sensitive) or explain a matrix that holds this person"
            )
        dates = self.index.get_level_values("as_of")[hits]
        if as_of is None:
            return int(hits[np.argmax(dates)])
        t = pd.Timestamp(str(as_of) if not isinstance(as_of, pd.Timestamp)
                         else as_of)
        at = hits[dates == t]
        if not len(at):
            known = ", ".join(f"{d:%Y-%m-%d}" for d in sorted(dates))
            raise ExplainError(
                f"person '{person_id}' has no score at {t:%Y-%m-%d}; scored at: "
                f"{known}. Fix: pass one of these as-of dates"
            )
        return int(at[0])

    def reasons(self, person_id: object, as_of: object | None = None, *,
                top: int | None = None) -> list[Reason]:
        """The top reasons raising, then lowering, one person's score at ``as_of``.

        ``as_of`` defaults to the person's latest scored date. Each reason is a
        factor family; its text is the family's strongest feature in words with
        what is typical, and its evidence the records behind it.
        """
        i = self._row(person_id, as_of)
        k = top or self.top
        fam = self._by_family[i:i + 1]
        out = []
        for _, fams, _, sign in select_reasons(fam, k):
            rows = np.zeros(len(fams), dtype=int) + i
            heads = strongest_in_family(self._phi, rows, fams, sign, self._members,
                                        n=6)
            for f, cols in zip(fams, heads, strict=True):
                out.append(self._reason(i, int(f), sign, [c for c in cols if c >= 0]))
        return out

    def _reason(self, i: int, f: int, sign: int, cols: list[int]) -> Reason:
        members = self._members[f]
        same = self._phi[i, members] * sign
        total = float(same[same > 0].sum())
        missing = float((same * self._missing[members])[same > 0].sum())
        family = self.families[f]
        protected = family == "protected"
        share = missing / total if total > 0 else 0.0
        keep: list[int] = []
        shown: set[tuple[str, str]] = set()
        for c in cols:
            m = self._meta[self._columns[c]]
            what = (str(getattr(m, "name", c)), str(getattr(m, "aggregate", "")))
            # the same measure over another window says nothing new
            if keep and (what in shown or self._phi[i, c] * sign < 0.1 * total):
                continue
            keep.append(c)
            shown.add(what)
        keep = keep[:3]
        texts = [self._phrases(c, np.array([i]))[0] for c in keep]
        evidence: tuple[dict[str, Any], ...] = ()
        if self._tables is not None:
            person, t = self.index[i]
            evidence = evidence_rows([self._meta[self._columns[c]] for c in keep],
                                     self._tables, person, pd.Timestamp(t))
        log_odds = float(self._by_family[i, f])
        return Reason(
            family=family, family_label=family_label(family),
            direction="raises" if sign > 0 else "lowers",
            size=float(self._points_by_family[i, f]), log_odds=log_odds,
            text=texts[0], details=tuple(texts[1:]), evidence=evidence,
            actionable=not protected and share < 0.5,
            notes=notes_for(protected, share),
        )

    def reasons_frame(self, top: int | None = None) -> pd.DataFrame:
        """Every row's top reasons in one long table (text, no evidence).

        Columns: ``person_id``, ``as_of`` (when known), ``direction``, ``rank``,
        ``family``, ``family_label``, ``size`` (shown probability), ``log_odds``,
        ``text``, ``actionable``, ``note``. Vectorised: suited to a caseload.
        """
        k = top or self.top
        parts = []
        for rows, fams, ranks, sign in select_reasons(self._by_family, k):
            same = np.where(self._phi * sign > 0, self._phi, 0.0)
            fam_same = (same @ self._G)[rows, fams]
            miss_same = ((same * self._missing) @ self._G)[rows, fams]
            share = np.divide(miss_same, fam_same, out=np.zeros(len(rows)),
                              where=fam_same != 0)
            heads = strongest_in_family(self._phi, rows, fams, sign,
                                        self._members)[:, 0]
            text = np.empty(len(rows), dtype=object)
            for c in np.unique(heads):
                at = np.nonzero(heads == c)[0]
                text[at] = self._phrases(int(c), rows[at])
            log_odds = self._by_family[rows, fams]
            fam_keys = np.asarray(self.families, dtype=object)[fams]
            protected = fam_keys == "protected"
            parts.append(pd.DataFrame({
                "_row": rows, "direction": "raises" if sign > 0 else "lowers",
                "rank": ranks,
                "family": fam_keys,
                "family_label": [family_label(f) for f in fam_keys],
                "size": self._points_by_family[rows, fams], "log_odds": log_odds,
                "text": text, "actionable": ~protected & (share < 0.5),
                "note": [" ".join(notes_for(p, s)) for p, s in
                         zip(protected, share, strict=True)],
            }))
        out = pd.concat(parts, ignore_index=True)
        out = out.sort_values(["_row", "direction", "rank"],
                              ascending=[True, False, True], kind="stable")
        if isinstance(self.index, pd.MultiIndex):
            out.insert(0, "person_id", self.index.get_level_values(0)[out["_row"]])
            out.insert(1, "as_of", self.index.get_level_values(1)[out["_row"]])
        cols = [c for c in ("person_id", "as_of") if c in out.columns] + [
            "direction", "rank", "family", "family_label", "size", "log_odds",
            "text", "actionable", "note"]
        return out[cols].reset_index(drop=True)

    # -- changes ---------------------------------------------------------------

    def what_changed(self, person_id: object, as_of_a: object,
                     as_of_b: object) -> pd.DataFrame:
        """Which families moved one person's score between two as-of dates.

        One row per family, largest move first: ``before``, ``after`` and
        ``change`` in shown probability (calibrated when the model is), the same on
        the log-odds scale, and a sentence. The changes add up to the change in the
        shown probability.
        """
        a, b = self._row(person_id, as_of_a), self._row(person_id, as_of_b)
        fam, points = self._by_family, self._points_by_family
        return change_frame(self.families,
                            [family_label(f) for f in self.families],
                            fam[a], fam[b], points[a], points[b])

    # -- reports ---------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Plain data: base rate, families and features by importance, caveats."""
        gi = self.global_importance
        fam = self.family_importance
        used_protected = gi.loc[gi["protected"], "feature"].tolist()
        return {
            "rows": len(self._phi),
            "base_log_odds": self.base_value,
            "base_probability": self.base_probability,
            "base_probability_uncalibrated": float(sigmoid(self.base_value)),
            "calibrated": self._view.calibrate is not None,
            "scale": self._view.scale_note,
            "families": [
                {"family": r["family"], "label": r["family_label"],
                 "mean_abs_points": float(r["mean_abs_points"]),
                 "mean_abs_log_odds": float(r["mean_abs_log_odds"]),
                 "features": int(r["features"]), "actionable": bool(r["actionable"])}
                for r in fam.reset_index().to_dict("records")],
            "top_features": [
                {"feature": r["feature"], "family": r["family_label"],
                 "mean_abs_points": float(r["mean_abs_points"]),
                 "actionable": bool(r["actionable"]),
                 "missing_indicator": bool(r["missing_indicator"]),
                 "protected": bool(r["protected"])}
                for r in gi.head(15).to_dict("records")],
            "protected_inputs": used_protected,
            "missing_indicator_inputs": int(gi["missing_indicator"].sum()),
        }

    def _calibration_kind(self) -> str:
        if self._view.calibrate is not None:
            return "isotonic-calibrated"
        if hasattr(self._view, "lightgbm"):
            return "a blend of two models, which has no calibrated log-odds"
        return "uncalibrated"

    def html(self, person_id: object | None = None,
             as_of: object | None = None) -> str:
        """A self-contained HTML page: the global view, and one person's reasons
        when ``person_id`` is given."""
        from earlysignal.explain._html import render_html

        person = None
        if person_id is not None:
            i = self._row(person_id, as_of)
            scores = self.scores
            calibrated = (float(scores["calibrated_probability"].to_numpy()[i])
                          if "calibrated_probability" in scores.columns else None)
            person = {
                "as_of": f"{pd.Timestamp(self.index[i][1]):%Y-%m-%d}",
                "probability": float(scores["probability"].to_numpy()[i]),
                "calibrated": calibrated,
                "reasons": [r.to_dict() for r in self.reasons(person_id, as_of)],
            }
        return render_html(self.summary(), self.plots, person)

    def _repr_html_(self) -> str:
        return self.html()

    def write_html(self, path: str | Path, person_id: object | None = None,
                   as_of: object | None = None) -> Path:
        """Write :meth:`html` to ``path`` (UTF-8) and return the path."""
        out = Path(path)
        out.write_text(self.html(person_id, as_of), encoding="utf-8")
        return out

    def __repr__(self) -> str:
        return (f"Explanation({len(self._phi)} rows, {len(self._columns)} features, "
                f"{len(self.families)} families)")
