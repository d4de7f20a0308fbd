"""A simulated feature matrix with known signal and known true risk.

Each person has a lasting latent risk; features at each as-of date are noisy views of
it, and the label is drawn from p_true, so the oracle (ranking by p_true) is the best
any model could do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DATES = pd.to_datetime([f"{y}-{m:02d}-01" for y in range(2020, 2024) for m in (3, 9)][1:])


@dataclass(frozen=True)
class Meta:
    name: str
    kind: str = "numeric"
    protected: bool = False
    family: str = ""
    aggregate: str | None = None
    window: str | None = None
    unit: str | None = None


METADATA = {
    "absence__rate__1y": Meta("overall_absence", family="attendance", aggregate="rate",
                              window="1y", unit="fraction"),
    "unauthorised_absence__rate__90d": Meta(
        "unauthorised_absence", family="attendance", aggregate="rate", window="90d",
        unit="fraction"),
    "suspensions__count__1y": Meta("suspensions", family="exclusion",
                                   aggregate="count", window="1y", unit="events"),
    "suspensions__days_since_last__all": Meta(
        "suspensions", family="exclusion", aggregate="days_since_last", window="all",
        unit="days"),
    "police_contact__count__1y": Meta("police_contact", family="police",
                                      aggregate="count", window="1y", unit="events"),
    "looked_after__open__all": Meta("looked_after", family="social_care",
                                    aggregate="open", window="all", kind="indicator"),
    "sen": Meta("sen", kind="categorical", family="characteristics"),
    "school": Meta("school", kind="categorical", family="school"),
    "noise__value__1y": Meta("noise", aggregate="value", window="1y"),
    "sex": Meta("sex", kind="categorical", protected=True, family="characteristics"),
    "ethnicity": Meta("ethnicity", kind="categorical", protected=True,
                      family="characteristics"),
}


def simulate(n_people: int = 1500, seed: int = 0, dates=DATES, censor_last=True):
    """(matrix, metadata, truth) for ``n_people`` at each date."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n_people)
    sen = rng.choice(["none", "sen_support", "ehcp"], p=[0.8, 0.15, 0.05],
                     size=n_people)
    school = rng.choice([f"SCH{i:02d}" for i in range(1, 9)], size=n_people)
    school_effect = {s: rng.normal(scale=0.3) for s in np.unique(school)}
    sex = rng.choice(["F", "M"], size=n_people)
    ethnicity = rng.choice(["White", "Mixed", "Asian", "Black", "Other"],
                           size=n_people)
    frames = []
    for t, date in enumerate(dates):  # noqa: B007
        drift = latent + rng.normal(scale=0.6, size=n_people)
        absence = np.clip(0.05 + 0.04 * drift + rng.normal(scale=0.03,
                                                          size=n_people), 0, 1)
        unauth = np.clip(absence * rng.uniform(0.2, 0.8, size=n_people), 0, 1)
        susp = rng.poisson(np.exp(-2.0 + 0.8 * drift))
        police = rng.poisson(np.exp(-2.5 + 0.7 * drift))
        cla = (rng.uniform(size=n_people) < 1 / (1 + np.exp(-(-3.5 + 0.8 * drift))))
        days = np.where(susp > 0, rng.integers(1, 365, size=n_people), np.nan)
        logit = (-3.6 + 0.9 * latent + 8 * (absence - 0.05) + 0.5 * np.minimum(susp, 3)
                 + 0.6 * np.minimum(police, 2) + 0.5 * cla
                 + 0.4 * (sen != "none") + np.vectorize(school_effect.get)(school))
        p_true = 1 / (1 + np.exp(-logit))
        label = (rng.uniform(size=n_people) < p_true).astype(float)
        if censor_last and t == len(dates) - 1:
            label[:] = np.nan
        frames.append(pd.DataFrame({
            "person_id": [f"P{i:05d}" for i in range(n_people)],
            "as_of": date,
            "absence__rate__1y": absence,
            "unauthorised_absence__rate__90d": unauth,
            "suspensions__count__1y": susp,
            "suspensions__days_since_last__all": days,
            "police_contact__count__1y": police,
            "looked_after__open__all": cla.astype(int),
            "sen": sen, "school": school,
            "noise__value__1y": rng.normal(size=n_people),
            "sex": sex, "ethnicity": ethnicity,
            "label": pd.array(label, dtype="Float64").astype("Int8"),
            "p_true": p_true,
        }))
    full = pd.concat(frames, ignore_index=True)
    truth = full[["person_id", "as_of", "p_true"]].copy()
    return full.drop(columns="p_true"), dict(METADATA), truth
