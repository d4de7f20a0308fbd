"""The latent-risk model of the synthetic cohort: its constants, the Markov chain of
the time-varying part of the risk, and the exact probability of escalation.

See the package docstring of :mod:`earlysignal.data.synth` for the full description.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Params:
    """Fixed constants of the generator (rates are per month unless said otherwise)."""

    # person baseline b = w_dep*dep + w_need*need + w_male*male + w_unobs*u
    w_dep: float = 0.60
    w_need: float = 0.45
    w_male: float = 0.35
    w_unobs: float = 0.80
    # time-varying part x: AR(1) on a grid (Tauchen), monthly persistence rho
    n_states: int = 11
    rho: float = 0.98
    sd_x: float = 0.55
    # escalation hazard h = h0 * prevalence * exp(beta * (b + x)) * age_mult
    h0: float = 0.00055
    beta: float = 1.0
    age_slope: float = 0.30  # log hazard per year of age, capped at age 16
    min_age_months: int = 120  # age of criminal responsibility in England: 10
    # further youth-justice outcomes after the first (per month, times exp(0.5 z))
    reoffend: float = 0.03
    # leaving the area: probability per year, and share of people who move in late
    leave_per_year: float = 0.04
    move_in_share: float = 0.12
    # characteristics
    fsm_share: float = 0.24
    fsm_link: float = 1.2
    fsm_exit: float = 1.0 / 36.0
    sen_support_share: float = 0.13
    ehcp_share: float = 0.043
    sen_link: float = 1.3
    sen_rho: float = 0.98
    sen_sd_time: float = 0.35
    male_share: float = 0.51


PARAMS = Params()


@dataclass(frozen=True)
class SignalSpec:
    """A count signal: yearly base rate and how it depends on risk, age and school."""

    source: str
    event_type: str
    per_year: float
    gamma: float  # log rate per unit of latent risk (times signal_strength)
    sd_person: float  # person-level heterogeneity unrelated to risk
    age_peak: float  # age (years) where the age curve is highest
    age_curv: float  # quadratic fall-off of the log rate away from the peak
    min_age: float = 0.0
    school_effect: bool = False
    school_days_only: bool = False
    lag_scale: float = 1.0  # recording lag relative to the configured mean


SIGNALS: tuple[SignalSpec, ...] = (
    SignalSpec("school", "behaviour_incident", 1.4, 1.0, 0.5, 13.0, 0.04,
               school_effect=True, school_days_only=True, lag_scale=0.3),
    SignalSpec("school", "suspension", 0.08, 1.2, 0.8, 14.0, 0.08,
               school_effect=True, school_days_only=True, lag_scale=0.5),
    SignalSpec("school", "permanent_exclusion", 0.0011, 1.1, 0.5, 14.0, 0.08,
               min_age=11.0, school_effect=True, school_days_only=True),
    SignalSpec("police", "police_contact", 0.04, 1.0, 0.6, 17.0, 0.05, min_age=10.0),
    SignalSpec("police", "missing_episode", 0.02, 0.9, 0.6, 15.0, 0.06),
    SignalSpec("social_care", "referral", 0.055, 0.7, 0.5, 12.0, 0.0,
               lag_scale=1.5),
)

# absence: logit of the per-session absence rate
ABSENCE = {
    "authorised_absence": {"alpha": -3.3, "gamma": 0.70, "sd": 0.20, "term_sd": 0.25},
    "unauthorised_absence": {"alpha": -4.7, "gamma": 1.0, "sd": 0.40, "term_sd": 0.3},
}

# social care: outcome of a referral (probabilities before the risk tilt) and the
# mean length of each episode in months
CARE_OUTCOMES = ("none", "early_help", "child_in_need", "child_protection",
                 "looked_after")
CARE_BASE = np.array([0.37, 0.22, 0.33, 0.05, 0.03])
CARE_TILT = np.array([0.0, 0.0, 0.3, 0.7, 0.7])  # log-odds per unit of risk
CARE_MONTHS = {"early_help": 6.0, "child_in_need": 18.0, "child_protection": 10.0,
               "looked_after": 48.0}

YJ_FIRST = (("caution", 0.45), ("conditional_caution", 0.25), ("court_disposal", 0.30))
YJ_LATER = (("caution", 0.15), ("conditional_caution", 0.25), ("court_disposal", 0.60))

ETHNICITY = (("White", 0.72), ("Mixed", 0.07), ("Asian", 0.12), ("Black", 0.06),
             ("Other", 0.03))
TEAMS = ("North", "South", "East", "West", "Central")
N_SCHOOLS = 40


def _phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


@dataclass(frozen=True)
class Chain:
    """Discretised AR(1) (Tauchen's method) for the time-varying part of the risk."""

    n_states: int
    rho: float
    sd: float

    @cached_property
    def levels(self) -> np.ndarray:
        return np.linspace(-3.0 * self.sd, 3.0 * self.sd, self.n_states)

    @cached_property
    def transition(self) -> np.ndarray:
        x = self.levels
        step = x[1] - x[0]
        sd_e = self.sd * math.sqrt(1.0 - self.rho**2)
        p = np.zeros((self.n_states, self.n_states))
        for j in range(self.n_states):
            mu = self.rho * x[j]
            cdf = [_phi((x[k] + step / 2 - mu) / sd_e) for k in range(self.n_states)]
            cdf[-1] = 1.0
            p[j] = np.diff(np.concatenate([[0.0], cdf]))
        return p / p.sum(axis=1, keepdims=True)

    @cached_property
    def cumulative(self) -> np.ndarray:
        c = np.cumsum(self.transition, axis=1)
        c[:, -1] = 1.0
        return c

    @cached_property
    def stationary(self) -> np.ndarray:
        v = np.full(self.n_states, 1.0 / self.n_states)
        for _ in range(5000):
            v = v @ self.transition
        return v / v.sum()

    def step(self, state: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Next states given current states and uniform draws."""
        cum = self.cumulative[state]
        return np.minimum((u[:, None] > cum).sum(axis=1), self.n_states - 1)


def chain(params: Params = PARAMS) -> Chain:
    return Chain(params.n_states, params.rho, params.sd_x)


def age_multiplier(age_months: np.ndarray, params: Params = PARAMS) -> np.ndarray:
    """Age part of the escalation hazard: 0 under 10, rising to age 16."""
    years = np.minimum(age_months / 12.0, 16.0)
    mult = np.exp(params.age_slope * (years - 14.0))
    return np.where(age_months >= params.min_age_months, mult, 0.0)


def escalation_probability(
    state: np.ndarray,
    base_hazard: np.ndarray,
    leave: np.ndarray,
    ch: Chain,
    beta: float,
) -> np.ndarray:
    """Exact P(first escalation within the next H months | state now).

    Parameters
    ----------
    state : (n,) int
        Latent chain state in the month just before the window.
    base_hazard : (n, H)
        Hazard in each month of the window without the chain part
        (``h0 * prevalence * exp(beta * b) * age_mult``; 0 when not at risk).
    leave : (n, H)
        Probability of leaving the area at the end of each month of the window.

    The chain moves, then the month's hazard applies, then leaving; the same order
    as the simulation, so the probability is exact for the generator.
    """
    n, horizon = base_hazard.shape
    v = np.zeros((n, ch.n_states))
    v[np.arange(n), state] = 1.0
    tilt = np.exp(beta * ch.levels)
    p = np.zeros(n)
    for k in range(horizon):
        v = v @ ch.transition
        survive = np.exp(-base_hazard[:, k : k + 1] * tilt[None, :])
        p += (v * (1.0 - survive)).sum(axis=1)
        v = v * survive * (1.0 - leave[:, k : k + 1])
    return p
