"""Fixtures: a small hand-built matrix with known structure, and a synthetic cohort
with the demo feature library (built once per session)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from earlysignal.data import CanonicalTables
from earlysignal.data.synth import SynthConfig, write_cohort
from earlysignal.features import FeatureMeta, build_feature_matrix
from earlysignal.model import EarlyWarningClassifier, model_inputs
from earlysignal.pipeline import load_config

REPO = Path(__file__).resolve().parents[2]


def meta(column: str, **kw: Any) -> FeatureMeta:
    """A FeatureMeta with defaults for what a test does not care about."""
    name, aggregate, window = column.split("__")
    fields: dict[str, Any] = dict(
        column=column, name=name, aggregate=aggregate, window=window,
        table="events", source="school", family="behaviour", unit="count",
        template="{value} " + name.replace("_", " ") + " in the last 90 days",
        kind="numeric", is_missing_indicator=False, protected=False, filter=(),
        label=name.replace("_", " "),
    )
    fields.update(kw)
    return FeatureMeta(**fields)


TOY_META = [
    meta("suspensions__count__90d", template="{value} suspensions in the last 90 days",
         label="suspensions"),
    meta("incidents__count__90d", template="{value} behaviour incidents in the last "
         "90 days", label="behaviour incidents"),
    meta("absence__ratio__1y", family="attendance", unit="proportion",
         template="absence rate of {value} in the last year", label="absence rate",
         table="periods", source=None),
    meta("police__no_data__all", family="police", kind="indicator", unit="flag",
         is_missing_indicator=True, aggregate="no_data",
         template="no police contacts recorded ever", label="police contacts"),
    meta("police__count__all", family="police", template="{value} police contacts "
         "ever", label="police contacts", source="police"),
    meta("sen__value__asof", family="characteristics", kind="categorical",
         unit="category", template="special educational needs status: {value}",
         label="special educational needs status", table="characteristics"),
    meta("sex__value__asof", family="characteristics", kind="categorical",
         unit="category", template="sex: {value}", label="sex", protected=True,
         table="characteristics"),
]


@dataclass
class Toy:
    frame: pd.DataFrame
    y: np.ndarray
    metadata: list[FeatureMeta]

    @property
    def columns(self) -> list[str]:
        return [m.column for m in self.metadata]


def make_toy(n: int = 800, seed: int = 0) -> Toy:
    rng = np.random.default_rng(seed)
    people = [f"P{i:04d}" for i in range(n // 2)]
    frame = pd.DataFrame({
        "person_id": people * 2,
        "as_of": pd.to_datetime(["2022-09-01"] * (n // 2) + ["2023-09-01"] * (n // 2)),
    })
    latent = rng.normal(size=n)
    frame["suspensions__count__90d"] = rng.poisson(np.exp(-1 + 0.8 * latent)) * 1.0
    frame["incidents__count__90d"] = rng.poisson(np.exp(0.5 * latent)) * 1.0
    frame["absence__ratio__1y"] = np.clip(0.06 + 0.04 * latent
                                          + rng.normal(0, 0.03, n), 0, 1)
    police = rng.poisson(np.exp(-1.5 + 0.7 * latent)) * 1.0
    frame["police__no_data__all"] = (police == 0) * 1.0
    frame["police__count__all"] = police
    frame["sen__value__asof"] = pd.Series(
        rng.choice(["none", "sen_support", "ehcp"], size=n, p=[0.8, 0.15, 0.05]),
        dtype="str")
    frame.loc[rng.choice(n, 20, replace=False), "sen__value__asof"] = None
    frame["sex__value__asof"] = pd.Series(rng.choice(["F", "M"], size=n), dtype="str")
    logit = (-2.5 + 0.6 * frame["suspensions__count__90d"]
             + 12 * (frame["absence__ratio__1y"] - 0.06) + 0.5 * police)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return Toy(frame, np.asarray(y), list(TOY_META))


def fit_toy(toy: Toy, *, use_protected: bool = False, **params: Any
            ) -> EarlyWarningClassifier:
    cols = model_inputs({m.column: m for m in toy.metadata},
                        use_protected=use_protected)
    settings = dict(n_estimators=40, early_stopping_rounds=None,
                    min_child_samples=10, num_leaves=7)
    settings.update(params)
    return EarlyWarningClassifier(**settings).fit(toy.frame[cols], toy.y)


@pytest.fixture(scope="session")
def toy() -> Toy:
    return make_toy()


@pytest.fixture(scope="session")
def toy_model(toy: Toy) -> EarlyWarningClassifier:
    return fit_toy(toy)


@dataclass
class Cohort:
    tables: CanonicalTables
    frame: pd.DataFrame
    metadata: tuple[FeatureMeta, ...]

    @property
    def labelled(self) -> pd.DataFrame:
        return self.frame[self.frame["label"].notna()]

    def inputs(self) -> list[str]:
        return model_inputs({m.column: m for m in self.metadata})

    def fit(self, seed: int = 0, **params: Any) -> EarlyWarningClassifier:
        d = self.labelled
        settings = dict(n_estimators=80, early_stopping_rounds=None,
                        learning_rate=0.1, min_child_samples=20, random_state=seed)
        settings.update(params)
        return EarlyWarningClassifier(**settings).fit(
            d[self.inputs()], d["label"].astype(int))


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Cohort:
    """1,500 synthetic people with the demo features (about 5 seconds)."""
    folder = tmp_path_factory.mktemp("explain_cohort")
    write_cohort(SynthConfig(people=1500, seed=11), folder / "data")
    tables = CanonicalTables.read_dir(folder / "data")
    cfg = load_config(REPO / "pipelines" / "demo.yaml")
    fm = build_feature_matrix(tables, cohort=cfg.cohort, label=cfg.label,
                              features=cfg.features, out=folder / "matrix",
                              integrity_sample=0)
    # the engine does not promise a row order; training with bagging depends on it
    frame = fm.frame.sort_values(["person_id", "as_of"], ignore_index=True)
    return Cohort(tables, frame, fm.metadata)


@pytest.fixture(scope="session")
def cohort_model(cohort: Cohort) -> EarlyWarningClassifier:
    return cohort.fit()
