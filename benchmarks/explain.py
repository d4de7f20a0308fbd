"""Speed of the explanation stage: exact contributions and reasons for a caseload.

Simulated features (about 150, in 10 families, some missing values and one text
column), a rare outcome, one EarlyWarningClassifier. Compares our contributions
(LightGBM's own ``pred_contrib``) with ``shap.TreeExplainer`` on the same model --
both its default path (which hands LightGBM models to ``pred_contrib``) and shap's
own C implementation of TreeSHAP -- and times reasons for every row.

    python benchmarks/explain.py                       # 100,000 rows, 150 features
    python benchmarks/explain.py --rows 20000 --trees 100
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from earlysignal.explain import explain
from earlysignal.explain._contributions import model_view
from earlysignal.features import FeatureMeta
from earlysignal.model import EarlyWarningClassifier

FAMILIES = ["attendance", "behaviour", "police", "social_care", "youth_justice",
            "multi_agency", "characteristics", "health", "housing", "education"]


def _simulate(n_rows: int, n_features: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n_rows)
    X = rng.normal(size=(n_rows, n_features - 1)) + 0.5 * latent[:, None]
    X[rng.uniform(size=X.shape) < 0.05] = np.nan
    frame = pd.DataFrame(np.abs(X).round(1),
                         columns=[f"f{j:03d}__count__90d" for j in range(n_features - 1)])
    frame["sen__value__asof"] = pd.Series(
        rng.choice(["none", "sen_support", "ehcp"], size=n_rows, p=[.8, .15, .05]),
        dtype="str")
    logit = -3.5 + 0.8 * latent + 0.3 * np.nan_to_num(X[:, :10]).sum(axis=1) / 3
    y = (rng.uniform(size=n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    frame.insert(0, "person_id", [f"P{i:07d}" for i in range(n_rows)])
    frame.insert(1, "as_of", pd.Timestamp("2023-09-01"))
    metadata = []
    for j, col in enumerate(frame.columns[2:]):
        categorical = col.startswith("sen")
        metadata.append(FeatureMeta(
            column=col, name=col.split("__")[0], aggregate="value" if categorical
            else "count", window="asof" if categorical else "90d", table="events",
            source="school", family=FAMILIES[j % len(FAMILIES)],
            unit="category" if categorical else "count",
            template=("special educational needs status: {value}" if categorical
                      else f"{{value}} events of kind {j} in the last 90 days"),
            kind="categorical" if categorical else "numeric",
            is_missing_indicator=False, protected=False, filter=(),
            label="special educational needs status" if categorical
            else f"events of kind {j}"))
    return frame, y, metadata


def _time(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=150)
    parser.add_argument("--trees", type=int, default=200)
    args = parser.parse_args()

    frame, y, metadata = _simulate(args.rows, args.features)
    cols = [m.column for m in metadata]
    model, fit_s = _time(lambda: EarlyWarningClassifier(
        n_estimators=args.trees, early_stopping_rounds=None).fit(frame[cols], y))
    booster = model.booster_
    print(f"{args.rows:,} rows x {len(cols)} features; model: {booster.num_trees()} "
          f"trees, {model.num_leaves} leaves at most (fit {fit_s:.1f} s)")

    ex, ours_s = _time(lambda: explain(model, frame, metadata))
    X = model_view(model).encode(frame)
    _, contrib_s = _time(lambda: booster.predict(X, pred_contrib=True))

    import shap

    def shap_default():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return shap.TreeExplainer(booster).shap_values(X, check_additivity=False)

    def shap_own():
        explainer = shap.TreeExplainer(booster)
        explainer.model.model_type = "internal"  # shap's own C TreeSHAP
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return explainer.shap_values(X, check_additivity=False)

    default, default_s = _time(shap_default)
    own, own_s = _time(shap_own)
    ours = ex.contributions.drop(columns="base").to_numpy()
    diff_default = float(np.abs(ours - default).max())
    numeric = [j for j, c in enumerate(cols) if not c.startswith("sen")]
    diff_own = float(np.abs(ours[:, numeric] - own[:, numeric]).max())

    ex2 = explain(model, frame, metadata)
    _, typical_s = _time(lambda: ex2._typical)
    rf, reasons_s = _time(lambda: ex2.reasons_frame(top=3))
    one, one_s = _time(lambda: [ex2.reasons(f"P{i:07d}") for i in range(100)])

    rows = [
        ("contributions: explain() (encode + pred_contrib)", ours_s, 1.0, "-"),
        ("contributions: pred_contrib alone", contrib_s, contrib_s / ours_s, "-"),
        ("contributions: shap.TreeExplainer (default)", default_s,
         default_s / ours_s, f"{diff_default:.1e}"),
        ("contributions: shap's own C TreeSHAP", own_s, own_s / ours_s,
         f"{diff_own:.1e} (numeric)"),
    ]
    print(f"\n{'step':<48}{'seconds':>9}{'rows/s':>12}{'x ours':>8}  max |diff|")
    for name, s, ratio, diff in rows:
        print(f"{name:<48}{s:>9.1f}{args.rows / s:>12,.0f}{ratio:>8.2f}  {diff}")
    print(f"{'reasons: typical values (year group x date)':<48}{typical_s:>9.1f}"
          f"{args.rows / typical_s:>12,.0f}")
    print(f"{'reasons: top 3 each way, text, for every row':<48}{reasons_s:>9.1f}"
          f"{args.rows / reasons_s:>12,.0f}   ({len(rf):,} reasons)")
    print(f"{'reasons: one person at a time (100 people)':<48}{one_s:>9.2f}"
          f"{100 / one_s:>12,.0f}")


if __name__ == "__main__":
    main()
