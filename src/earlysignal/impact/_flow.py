"""Demand flow between services: a discrete-time multi-state Markov model.

States
------
On a monthly grid (the first of each month), each person on roll is in one of ten
states: the highest open social-care episode (``universal`` = none, then
``early_help`` < ``child_in_need`` < ``child_protection`` < ``looked_after``),
crossed with whether they have ever had a youth-justice outcome (a caution,
conditional caution or court disposal: the escalation). An eleventh state, ``left``,
is absorbing: the person is no longer on roll (moved away or finished Year 11).
School suspensions and permanent exclusions are short events, not spells, so they
are projected as monthly event rates per state and age rather than as states.

Why this shape
--------------
* **Ageing and leavers.** Transition probabilities are estimated separately for
  each academic age (age on 31 August before the school year: Year 11 = 15) and
  for the step from August to September, when a whole year group finishes Year 11
  and leaves. Projecting a closed population with these matrices lets it age:
  escalation risk rises with age and everyone in Year 11 leaves in August, which a
  "same as last year" projection cannot know.
* **Sparse strata.** Each row of counts gets a Dirichlet prior worth
  ``prior_weight`` observations, spread like the same row pooled over ages, so a
  rare state at an unusual age borrows from the other ages instead of staying put.
* **Uncertainty.** Intervals come from ``draws`` posterior matrices (Dirichlet),
  each projected with multinomial moves of whole people, so they cover both the
  estimation error and the chance in who moves.
* **As known at the origin.** When fitted at an origin before the end of the data,
  rows not known by then (``recorded_at`` or own date on or after the origin) are
  dropped and later end dates are treated as still open, so a back-test uses only
  what an analyst would have held at the time.

Who is projected: everyone on roll at the origin (a closed cohort); people who join
later are not included unless ``entrants="repeat"``, which adds each month the
same number of joiners (by academic age and state) as joined in that calendar month
of the last fitted year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from earlysignal.errors import DataError
from earlysignal.impact._effect import Effect

__all__ = ["SERVICES", "STATE_NAMES", "DemandModel", "state_panel"]

SOCIAL_CARE = ("universal", "early_help", "child_in_need", "child_protection",
               "looked_after")
N_SC = len(SOCIAL_CARE)
LEFT = 2 * N_SC
N_STATES = LEFT + 1
STATE_NAMES = (*SOCIAL_CARE, *(f"{s}+youth_justice" for s in SOCIAL_CARE), "left")
#: Services reported: the four social-care levels and youth justice (ever).
SERVICES = ("early_help", "child_in_need", "child_protection", "looked_after",
            "youth_justice")
YOUTH_JUSTICE_EVENTS = ("caution", "conditional_caution", "court_disposal")
SCHOOL_EVENTS = ("suspension", "permanent_exclusion")
_ABSENT = -1


def _academic_year(d: pd.DatetimeIndex | pd.Series) -> np.ndarray:
    d = pd.DatetimeIndex(d)
    return np.asarray(d.year - (d.month < 9), dtype=int)


@dataclass(frozen=True)
class Panel:
    """Each person's state on each first-of-month date, and their events."""

    person_id: np.ndarray
    months: pd.DatetimeIndex
    state: np.ndarray  # (people, months), -1 = not yet on roll
    birth_ay: np.ndarray  # academic year of birth per person
    events: dict[str, np.ndarray] = field(default_factory=dict)  # (people, months)

    def academic_age(self) -> np.ndarray:
        return _academic_year(self.months)[None, :] - self.birth_ay[:, None] - 1


def _coverage(n_people: int, months: pd.DatetimeIndex, who: np.ndarray,
              start: pd.Series, end: pd.Series) -> np.ndarray:
    """(people, months) True where some spell covers the date: start <= t <= end."""
    m = len(months)
    first = np.searchsorted(months.values, start.to_numpy("datetime64[us]"), "left")
    end_v = end.to_numpy("datetime64[us]")
    last = np.where(np.isnat(end_v), m - 1,
                    np.searchsorted(months.values, end_v, "right") - 1)
    keep = first <= last
    diff = np.zeros((n_people, m + 1), dtype=np.int32)
    np.add.at(diff, (who[keep], first[keep]), 1)
    np.add.at(diff, (who[keep], last[keep] + 1), -1)
    return np.cumsum(diff[:, :m], axis=1) > 0


def _as_known_at(tables: Mapping[str, pd.DataFrame], origin: pd.Timestamp
                 ) -> dict[str, pd.DataFrame]:
    """Events and episodes as an extract taken on ``origin`` would hold them."""
    out = {}
    ev = tables["events"]
    known = ev["recorded_at"].fillna(ev["event_date"]).where(
        ev["recorded_at"].isna() | (ev["recorded_at"] >= ev["event_date"]),
        ev["event_date"])
    out["events"] = ev[(ev["event_date"] < origin) & (known < origin)]
    ep = tables["episodes"]
    known = ep["recorded_at"].fillna(ep["start_date"])
    known = known.where(known >= ep["start_date"], ep["start_date"])
    ep = ep[(ep["start_date"] < origin) & (known < origin)].copy()
    ep["end_date"] = ep["end_date"].where(ep["end_date"] < origin)
    out["episodes"] = ep
    return out


def state_panel(tables: Mapping[str, pd.DataFrame], start: str | pd.Timestamp,
                end: str | pd.Timestamp) -> Panel:
    """Build each person's monthly service state from the canonical tables.

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        ``people``, ``episodes`` (school enrolment and social-care episodes) and
        ``events`` (youth-justice outcomes, school suspensions and exclusions).
    start, end : date
        First and last grid dates (first of a month).

    Examples
    --------
    >>> people = pd.DataFrame({"person_id": ["a"], "date_of_birth":
    ...     pd.to_datetime(["2008-01-01"])})
    >>> episodes = pd.DataFrame({"person_id": ["a", "a"],
    ...     "start_date": pd.to_datetime(["2015-09-01", "2020-01-10"]),
    ...     "end_date": pd.to_datetime(["2020-04-30", None]),
    ...     "source": ["school", "social_care"],
    ...     "episode_type": ["enrolment", "child_in_need"]})
    >>> events = pd.DataFrame({"person_id": ["a"], "event_date":
    ...     pd.to_datetime(["2020-02-15"]), "source": ["youth_justice"],
    ...     "event_type": ["caution"]})
    >>> p = state_panel({"people": people, "episodes": episodes, "events": events},
    ...                 "2020-01-01", "2020-06-01")
    >>> [STATE_NAMES[s] for s in p.state[0]]  # doctest: +NORMALIZE_WHITESPACE
    ['universal', 'child_in_need', 'child_in_need+youth_justice',
     'child_in_need+youth_justice', 'left', 'left']
    """
    months = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="MS")
    people = tables["people"]
    ids = people["person_id"].astype(str).to_numpy()
    pos = pd.Series(np.arange(len(ids)), index=ids)
    n = len(ids)
    ep = tables["episodes"]
    ep = ep[ep["person_id"].astype(str).isin(pos.index)]
    enrol = ep[ep["episode_type"] == "enrolment"]
    if len(enrol) == 0:
        raise DataError(
            "has no school enrolment episodes, so who is on roll (and who has left) "
            "is unknown", file="episodes", column="episode_type",
            fix="map school roll spells to episodes with source 'school' and "
                "episode_type 'enrolment'")

    def who(df: pd.DataFrame) -> np.ndarray:
        return pos.loc[df["person_id"].astype(str)].to_numpy()

    present = _coverage(n, months, who(enrol), enrol["start_date"], enrol["end_date"])
    level = np.zeros((n, len(months)), dtype=np.int8)
    for lvl, name in enumerate(SOCIAL_CARE[1:], start=1):
        spells = ep[ep["episode_type"] == name]
        cov = _coverage(n, months, who(spells), spells["start_date"],
                        spells["end_date"])
        level[cov] = lvl  # ascending levels, so the highest open one wins
    ev = tables["events"]
    ev = ev[ev["person_id"].astype(str).isin(pos.index)]
    yj = ev[ev["event_type"].isin(YOUTH_JUSTICE_EVENTS)]
    first = yj.groupby(yj["person_id"].astype(str))["event_date"].min()
    first_m = np.full(n, len(months) + 1)
    first_m[pos.loc[first.index].to_numpy()] = np.searchsorted(
        months.values, first.to_numpy("datetime64[us]"), "left")
    flag = np.arange(len(months))[None, :] >= first_m[:, None]
    code = level + N_SC * flag
    was = np.maximum.accumulate(present, axis=1)
    state = np.where(present, code, np.where(was, LEFT, _ABSENT)).astype(np.int8)
    events = {}
    for name in SCHOOL_EVENTS:
        rows = ev[ev["event_type"] == name]
        # an event in (t_m, t_m+1] belongs to the step that starts at t_m
        m = np.searchsorted(months.values, rows["event_date"].to_numpy(
            "datetime64[us]"), "left") - 1
        ok = (m >= 0) & (m < len(months) - 1)
        counts = np.zeros((n, len(months)), dtype=np.int32)
        np.add.at(counts, (who(rows)[ok], m[ok]), 1)
        events[name] = counts
    birth_ay = _academic_year(pd.to_datetime(people["date_of_birth"]))
    return Panel(ids, months, state, birth_ay, events)


def _reduce_into_yj(P: np.ndarray, factor: float) -> np.ndarray:
    """Scale moves into youth justice by ``factor``; the rest stay out of it."""
    out = P.copy()
    src = slice(0, N_SC)
    removed = out[..., src, N_SC:LEFT] * (1 - factor)
    out[..., src, N_SC:LEFT] -= removed
    out[..., src, 0:N_SC] += removed
    return out


@dataclass
class DemandModel:
    """Monthly multi-state model of service use, fitted up to an origin date.

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        Canonical tables (``people``, ``episodes``, ``events``).
    origin : date, optional
        First of the month from which to project; the model is fitted on the steps
        before it. Default: the first of the month after the last record.
    fit_start : date, optional
        First grid date used for fitting. Default: the first of the month of the
        earliest social-care or youth-justice record.
    prior_weight : float
        Pseudo-observations per row of the Dirichlet prior (pooled over ages).
    entrants : {"none", "repeat"}
        Whether to add joiners during the projection (see the module docstring).

    Examples
    --------
    >>> from earlysignal.data.synth import SynthConfig, generate
    >>> tables = generate(SynthConfig(people=400, seed=1)).tables
    >>> dm = DemandModel(tables, origin="2022-09-01")
    >>> proj = dm.project(years=1, draws=20, seed=0)
    >>> sorted(proj["service"].unique())[:3]
    ['child_in_need', 'child_protection', 'early_help']
    """

    tables: Mapping[str, pd.DataFrame]
    origin: str | pd.Timestamp | None = None
    fit_start: str | pd.Timestamp | None = None
    prior_weight: float = 2.0
    entrants: str = "none"
    age_strata: bool = True

    def __post_init__(self) -> None:
        ev, ep = self.tables["events"], self.tables["episodes"]
        sc = ep[ep["source"] == "social_care"]["start_date"]
        dates = pd.concat([ev["event_date"], sc]).dropna()
        if dates.empty:
            raise DataError("has no dated records to fit a demand model on",
                            file="events/episodes",
                            fix="pass tables with social-care episodes and events")
        last = dates.max()
        self.origin_ = (pd.Timestamp(self.origin) if self.origin is not None
                        else (last + pd.offsets.MonthBegin(1)).normalize())
        if self.origin_ != self.origin_.to_period("M").to_timestamp():
            raise DataError(f"origin {self.origin_.date()} is not the first of a "
                            "month", fix="give a date such as 2021-09-01")
        self.fit_start_ = (pd.Timestamp(self.fit_start) if self.fit_start is not None
                           else dates.min().to_period("M").to_timestamp())
        if self.entrants not in ("none", "repeat"):
            raise DataError(f"entrants must be 'none' or 'repeat', got "
                            f"{self.entrants!r}", fix="use entrants='repeat'")

    @cached_property
    def panel(self) -> Panel:
        """The fitting panel: tables as known at the origin, up to the origin."""
        known = dict(self.tables)
        known.update(_as_known_at(self.tables, self.origin_))
        return state_panel(known, self.fit_start_, self.origin_)

    @cached_property
    def _ages(self) -> tuple[int, int]:
        aa = self.panel.academic_age()
        on = (self.panel.state >= 0) & (self.panel.state < LEFT)
        return int(aa[on].min()), int(aa[on].max())

    def _stratum(self, aa: np.ndarray) -> np.ndarray:
        lo, hi = self._ages
        return np.clip(aa, lo, hi) - lo if self.age_strata else np.zeros_like(aa)

    @cached_property
    def counts(self) -> np.ndarray:
        """Transition counts: (age stratum, August step, from, to)."""
        p = self.panel
        lo, hi = self._ages
        n_age = hi - lo + 1 if self.age_strata else 1
        C = np.zeros((n_age, 2, N_STATES, N_STATES))
        a, b = p.state[:, :-1], p.state[:, 1:]
        ok = (a >= 0) & (a < LEFT)
        age = self._stratum(p.academic_age()[:, :-1])
        aug = np.broadcast_to((p.months[:-1].month == 8)[None, :], a.shape)
        np.add.at(C, (age[ok], aug[ok].astype(int), a[ok], b[ok]), 1)
        C[:, :, LEFT, LEFT] = 1.0  # absorbing
        return C

    @cached_property
    def _alpha(self) -> np.ndarray:
        C = self.counts
        pooled = C.sum(axis=0, keepdims=True)
        tot = pooled.sum(axis=-1, keepdims=True)
        stay = np.broadcast_to(np.eye(N_STATES), pooled.shape)
        shape = np.where(tot > 0, pooled / np.where(tot > 0, tot, 1), stay)
        return C + self.prior_weight * shape

    @cached_property
    def transition_matrices(self) -> np.ndarray:
        """Posterior-mean transition probabilities (age stratum, August, from, to)."""
        A = self._alpha
        return A / A.sum(axis=-1, keepdims=True)

    def _draw(self, rng: np.random.Generator) -> np.ndarray:
        g = rng.gamma(self._alpha)
        return g / g.sum(axis=-1, keepdims=True)

    @cached_property
    def _start(self) -> tuple[np.ndarray, np.ndarray]:
        """Birth cohorts and counts per state of those on roll at the origin."""
        p = self.panel
        s = p.state[:, -1]
        on = (s >= 0) & (s < LEFT)
        cohorts, inv = np.unique(p.birth_ay[on], return_inverse=True)
        n = np.zeros((len(cohorts), N_STATES), dtype=np.int64)
        np.add.at(n, (inv, s[on]), 1)
        return cohorts, n

    @cached_property
    def _entrants(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Joiners by calendar month in the last fitted year: (academic age, state)."""
        p = self.panel
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if self.entrants != "repeat" or len(p.months) < 13:
            return out
        aa = p.academic_age()
        for j in range(len(p.months) - 12, len(p.months)):
            new = (p.state[:, j] >= 0) & (p.state[:, j] < LEFT) & (
                p.state[:, j - 1] == _ABSENT)
            out[p.months[j].month] = (aa[new, j], p.state[new, j])
        return out

    @cached_property
    def _event_gamma(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """School events per person-month by (age stratum, state): the Gamma
        posterior (shape, rate), shrunk towards the all-age rate of the state."""
        p = self.panel
        s = p.state[:, :-1]
        ok = (s >= 0) & (s < LEFT)
        age = self._stratum(p.academic_age()[:, :-1])
        n_age = self.counts.shape[0]
        exposure = np.zeros((n_age, N_STATES))
        np.add.at(exposure, (age[ok], s[ok]), 1)
        out = {}
        for name, ev in p.events.items():
            num = np.zeros((n_age, N_STATES))
            np.add.at(num, (age[ok], s[ok]), ev[:, :-1][ok])
            pooled = num.sum(0) / np.maximum(exposure.sum(0), 1)
            out[name] = (num + self.prior_weight * pooled + 1e-9,
                         exposure + self.prior_weight)
        return out

    def _run(self, P: np.ndarray, months: int, rng: np.random.Generator | None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Occupancy (months, states), flows (months, from, to) and occupancy by
        age stratum (months, strata, states), starting from the origin."""
        cohorts, n = self._start
        n = n.astype(float)
        occ = np.zeros((months, N_STATES))
        flows = np.zeros((months, N_STATES, N_STATES))
        mix = np.zeros((months, P.shape[0], N_STATES))
        for m in range(months):
            t = self.origin_ + pd.DateOffset(months=m)
            ay = t.year - (t.month < 9)
            joiners = self._entrants.get(t.month)
            if joiners is not None and m > 0:
                cohorts, n = _add_entrants(cohorts, n, ay - joiners[0] - 1,
                                           joiners[1])
            idx = self._stratum(ay - cohorts - 1)
            occ[m] = n.sum(0)
            np.add.at(mix[m], idx, n)
            Pm = P[idx, int(t.month == 8)]
            if rng is None:
                f = n[:, :, None] * Pm
            else:
                f = rng.multinomial(n.astype(np.int64), Pm).astype(float)
            flows[m] = f.sum(0)
            n = f.sum(1)
        return occ, flows, mix

    def no_change(self, years: int = 3) -> pd.DataFrame:
        """The naive projection: each year as the last fitted year, same people.

        Caseloads and entries of the people on roll at the origin during the 12
        months before it, repeated for every projected year.
        """
        p = self.panel
        if len(p.months) < 13:
            raise DataError("needs a year of data before the origin for a "
                            "'no change' projection", file="episodes",
                            fix="fit from an earlier start or a later origin")
        on = (p.state[:, -1] >= 0) & (p.state[:, -1] < LEFT)
        s = p.state[on][:, -13:]
        occ, flows = _occupancy_flows(s)
        ev = {k: v[on][:, -13:-1].sum(0).astype(float) for k, v in p.events.items()}
        one = _summarise_observed(occ, flows, ev, 1)
        return pd.concat([one.assign(year=y + 1) for y in range(years)],
                         ignore_index=True)

    def project(self, years: int = 3, *, draws: int = 200, seed: int = 0,
                reach: Mapping[str, float] | None = None,
                effect: Effect | None = None,
                unit_costs: Mapping[str, float] | None = None,
                progress: Callable[[str, int, int], None] | None = None
                ) -> pd.DataFrame:
        """Project yearly caseloads and entries per service from the origin.

        Parameters
        ----------
        years : int
            Years ahead (each year = 12 monthly steps from the origin).
        draws : int
            Posterior draws for the intervals (0: central estimates only).
        seed : int
        reach, effect : optional
            Targeting scenarios: for each named strategy, the share of escalations
            among the people it selects (``reach``). A scenario multiplies every
            move into youth justice by ``1 - effect x reach``, assuming the
            programme runs at the same capacity throughout; the intervals draw the
            effect too. ``"baseline"`` (no programme) is always included.
        unit_costs : mapping of service to cost, optional
            Cost per person-year for social-care caseloads and per entry for
            ``youth_justice``; adds ``cost``, ``cost_lower``, ``cost_upper``.
        progress : callable, optional
            Called with ``(step, done, total)`` after each scenario's central run
            and every 20 posterior draws; work is counted in runs of the chain.

        Returns
        -------
        DataFrame
            scenario, factor, year, service, measure (``caseload``: mean number on
            the first of each month of the year; ``entries``: moves into the service
            during the year; ``events``: school suspensions and permanent
            exclusions), estimate, lower, upper (95% predictive interval).
        """
        rng = np.random.default_rng(seed)
        months = 12 * years
        P0 = self.transition_matrices
        mats = [self._draw(rng) for _ in range(draws)]
        effects = (effect.draw(draws, rng) if effect is not None
                   else np.zeros(draws))
        central_effect = effect.central if effect is not None else 0.0
        scen = {"baseline": 0.0, **dict(reach or {})}
        gam = self._event_gamma
        rates = {k: a / b for k, (a, b) in gam.items()}
        frames = []
        total, done = len(scen) * (draws + 1), 0
        for name, r in scen.items():
            factor = 1 - central_effect * r
            central = _summarise(*self._run(_reduce_into_yj(P0, factor), months, None),
                                 rates, years)
            done += 1
            _tell(progress, f"{name}: central run", done, total)
            sims = []
            for i, (M, e) in enumerate(zip(mats, effects, strict=True), 1):
                drawn = {k: rng.gamma(a) / b for k, (a, b) in gam.items()}
                one = _summarise(*self._run(_reduce_into_yj(M, 1 - e * r), months,
                                            rng), drawn, years)
                is_ev = one["measure"] == "events"
                one.loc[is_ev, "estimate"] = rng.poisson(one.loc[is_ev, "estimate"])
                sims.append(one["estimate"].to_numpy(dtype=float))
                done += 1
                if i % 20 == 0 or i == draws:
                    _tell(progress, f"{name}: draw {i:,} of {draws:,}", done, total)
            if sims:
                sim = np.stack(sims)
                central["lower"] = np.percentile(sim, 2.5, axis=0)
                central["upper"] = np.percentile(sim, 97.5, axis=0)
            else:  # draws=0: central estimates only
                central["lower"] = central["upper"] = np.nan
            frames.append(central.assign(scenario=name, factor=factor))
        out = pd.concat(frames, ignore_index=True)
        keys = ["year", "service", "measure"]
        base = out[out["scenario"] == "baseline"].set_index(keys)["estimate"]
        out["change_vs_baseline"] = (
            out["estimate"].to_numpy()
            - base.reindex(pd.MultiIndex.from_frame(out[keys])).to_numpy())
        if unit_costs:
            per = out["service"].map(dict(unit_costs)).astype(float)
            charged = ((out["measure"] == "caseload")
                       & (out["service"] != "youth_justice")) | (
                (out["measure"] == "entries") & (out["service"] == "youth_justice"))
            per = per.where(charged)
            out["cost"] = out["estimate"] * per
            out["cost_lower"] = out["lower"] * per
            out["cost_upper"] = out["upper"] * per
        cols = ["scenario", "factor", "year", "service", "measure", "estimate",
                "lower", "upper"]
        return out[cols + [c for c in out.columns if c not in cols]]

    def project_quarters(self, quarters: int = 4, *, draws: int = 200,
                         seed: int = 0) -> pd.DataFrame:
        """The no-programme projection quarter by quarter from the origin.

        Returns
        -------
        DataFrame
            quarter (1 = the three months from the origin), service, measure
            (``caseload``, ``entries``), estimate, lower, upper (95% predictive
            interval over ``draws`` posterior draws with multinomial moves).
        """
        rng = np.random.default_rng(seed)
        months = 3 * quarters
        out = _quarterly(*self._run(self.transition_matrices, months, None)[:2],
                         quarters)
        sims = [_quarterly(*self._run(self._draw(rng), months, rng)[:2], quarters)
                ["estimate"].to_numpy() for _ in range(draws)]
        if sims:
            out["lower"] = np.percentile(np.stack(sims), 2.5, axis=0)
            out["upper"] = np.percentile(np.stack(sims), 97.5, axis=0)
        else:
            out["lower"] = out["upper"] = np.nan
        return out

    def observed_quarters(self, quarters: int = 4) -> pd.DataFrame:
        """What the tables show for the people on roll at the origin, per quarter
        (as :meth:`project_quarters` summarises a projection)."""
        p = self.panel
        on_ids = p.person_id[(p.state[:, -1] >= 0) & (p.state[:, -1] < LEFT)]
        end = self.origin_ + pd.DateOffset(months=3 * quarters)
        sub = {k: self.tables[k][self.tables[k]["person_id"].astype(str).isin(on_ids)]
               for k in ("people", "episodes", "events")}
        occ, flows = _occupancy_flows(state_panel(sub, self.origin_, end).state)
        return _quarterly(occ, flows, quarters)

    def observed(self, years: int = 3) -> pd.DataFrame:
        """What the full tables show for the same people after the origin.

        For back-testing: the people on roll at the origin, followed in the tables
        as given (not as known at the origin), summarised like :meth:`project`.
        """
        p = self.panel
        on_ids = p.person_id[(p.state[:, -1] >= 0) & (p.state[:, -1] < LEFT)]
        end = self.origin_ + pd.DateOffset(months=12 * years)
        sub = {k: self.tables[k][self.tables[k]["person_id"].astype(str).isin(on_ids)]
               for k in ("people", "episodes", "events")}
        full = state_panel(sub, self.origin_, end)
        occ, flows = _occupancy_flows(full.state)
        ev = {k: v[:, :-1].sum(0).astype(float) for k, v in full.events.items()}
        return _summarise_observed(occ, flows, ev, years)


def _quarterly(occ: np.ndarray, flows: np.ndarray, quarters: int) -> pd.DataFrame:
    """Caseload (mean over the quarter's month starts) and entries per quarter."""
    rows = []
    for measure, series, how in (("caseload", _service_occupancy(occ), "mean"),
                                 ("entries", _service_entries(flows), "sum")):
        for name, v in series.items():
            for q in range(quarters):
                part = v[3 * q: 3 * (q + 1)]
                rows.append({"quarter": q + 1, "service": name, "measure": measure,
                             "estimate": float(part.mean() if how == "mean"
                                               else part.sum())})
    return pd.DataFrame(rows)


def _add_entrants(cohorts: np.ndarray, n: np.ndarray, birth: np.ndarray,
                  states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    allc = np.union1d(cohorts, birth)
    out = np.zeros((len(allc), N_STATES))
    out[np.searchsorted(allc, cohorts)] += n
    np.add.at(out, (np.searchsorted(allc, birth), states), 1)
    return allc, out


def _occupancy_flows(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts per state at each date but the last, and moves between dates."""
    steps = s.shape[1] - 1
    occ = np.zeros((steps, N_STATES))
    flows = np.zeros((steps, N_STATES, N_STATES))
    for m in range(steps):
        a, b = s[:, m], s[:, m + 1]
        ok = a >= 0
        occ[m] = np.bincount(a[ok], minlength=N_STATES)
        np.add.at(flows[m], (a[ok], b[ok]), 1)
    return occ, flows


def _service_occupancy(occ: np.ndarray) -> dict[str, np.ndarray]:
    sc = {name: occ[:, i] + occ[:, i + N_SC] for i, name in enumerate(SOCIAL_CARE)}
    sc["youth_justice"] = occ[:, N_SC:LEFT].sum(1)
    sc["on_roll"] = occ[:, :LEFT].sum(1)
    return sc


def _service_entries(flows: np.ndarray) -> dict[str, np.ndarray]:
    level = np.array([*range(N_SC), *range(N_SC), -1])
    yj = np.array([0] * N_SC + [1] * N_SC + [-1])
    on = level >= 0
    out = {}
    for i, name in enumerate(SOCIAL_CARE[1:], start=1):
        into = (level == i)[None, :] & (level != i)[:, None] & on[:, None]
        out[name] = (flows * into[None]).sum((1, 2))
    into_yj = (yj == 1)[None, :] & (yj == 0)[:, None]
    out["youth_justice"] = (flows * into_yj[None]).sum((1, 2))
    out["left"] = flows[:, :LEFT, LEFT].sum(1)
    return out


def _yearly(series: Mapping[str, np.ndarray], years: int, measure: str,
            how: str) -> list[dict[str, object]]:
    rows = []
    for name, v in series.items():
        for y in range(years):
            part = v[12 * y: 12 * (y + 1)]
            val = part.mean() if how == "mean" else part.sum()
            rows.append({"year": y + 1, "service": name, "measure": measure,
                         "estimate": float(val)})
    return rows


def _summarise(occ: np.ndarray, flows: np.ndarray, mix: np.ndarray,
               rates: Mapping[str, np.ndarray], years: int) -> pd.DataFrame:
    ev = {k: (mix * r[None]).sum((1, 2)) for k, r in rates.items()}
    return _summarise_observed(occ, flows, ev, years)


def _summarise_observed(occ: np.ndarray, flows: np.ndarray,
                        events: Mapping[str, np.ndarray], years: int
                        ) -> pd.DataFrame:
    rows = (_yearly(_service_occupancy(occ), years, "caseload", "mean")
            + _yearly(_service_entries(flows), years, "entries", "sum")
            + _yearly(events, years, "events", "sum"))
    return pd.DataFrame(rows)


def compare(projected: pd.DataFrame, observed: pd.DataFrame,
            services: Sequence[str] = SERVICES) -> pd.DataFrame:
    """Join a baseline projection with what was observed (for back-tests)."""
    base = projected[projected["scenario"] == "baseline"]
    keys = ["year", "service", "measure"]
    out = base.merge(observed.rename(columns={"estimate": "observed"}), on=keys)
    out = out[out["service"].isin([*services, *SCHOOL_EVENTS, "on_roll"])]
    out["relative_error"] = (out["estimate"] - out["observed"]) / out["observed"]
    out["in_interval"] = out["observed"].between(out["lower"], out["upper"])
    return out[[*keys, "estimate", "lower", "upper", "observed", "relative_error",
                "in_interval"]].reset_index(drop=True)


def _tell(progress: Callable[[str, int, int], None] | None, step: str, done: int,
          total: int) -> None:
    if progress is not None:
        progress(step, done, total)
