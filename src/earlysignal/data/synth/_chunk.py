"""One chunk of people: every table of the synthetic cohort as Arrow tables.

A chunk depends only on the config and its own index: its random numbers come from
``SeedSequence(seed, spawn_key=(chunk, part))``, one stream per part of the model, so
chunks can be generated in any order (or in parallel) with the same result.

Every chunk is simulated up to the config's ``world_end``, which depends on
``population_end`` but not on ``end``, and then cut at ``end`` as an extract taken
that day would show it (:func:`cut_at`): so a later ``end`` gives the same records up
to the earlier one, plus what happened since. Each school year after
``population_end`` adds one chunk, the year group that joins Year 4 that September.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from earlysignal.data.synth import _model as mdl
from earlysignal.data.synth._calendar import DAY, Calendar
from earlysignal.data.synth._config import VOCAB, SynthConfig

NAT = np.datetime64("NaT", "D")
_TS = pa.timestamp("us")
_STR = pa.string()
_CODE = pa.dictionary(pa.int16(), pa.string())  # low-cardinality text, as codes

SCHEMAS: dict[str, pa.Schema] = {
    "people": pa.schema([("person_id", _STR), ("date_of_birth", _TS),
                         ("school", _STR), ("team", _STR)]),
    "events": pa.schema([("person_id", _STR), ("event_date", _TS), ("source", _CODE),
                         ("event_type", _CODE), ("value", pa.float64()),
                         ("recorded_at", _TS)]),
    "episodes": pa.schema([("person_id", _STR), ("start_date", _TS),
                           ("end_date", _TS), ("source", _CODE),
                           ("episode_type", _CODE), ("recorded_at", _TS)]),
    "periods": pa.schema([("person_id", _STR), ("period_start", _TS),
                          ("period_end", _TS), ("measure", _CODE),
                          ("value", pa.float64()), ("recorded_at", _TS)]),
    "characteristics": pa.schema([("person_id", _STR), ("attribute", _CODE),
                                  ("value", _CODE), ("valid_from", _TS),
                                  ("valid_to", _TS)]),
    "truth": pa.schema([("person_id", _STR), ("as_of", _TS), ("horizon", _STR),
                        ("p_true", pa.float64()), ("escalation_date", _TS)]),
}
OUTPUTS = tuple(SCHEMAS)

#: every string that appears in a generated table; string columns hold codes into it
STRINGS: tuple[str, ...] = tuple(dict.fromkeys(
    ["school", "attendance", "police", "social_care", "youth_justice",
     "behaviour_incident", "suspension", "permanent_exclusion", "police_contact",
     "missing_episode", "referral", "caution", "conditional_caution",
     "court_disposal", "enrolment", *mdl.CARE_OUTCOMES[1:],
     "sessions_possible", "authorised_absence", "unauthorised_absence",
     *VOCAB, *(v for vals in VOCAB.values() for v in vals)]))
S = {name: i for i, name in enumerate(STRINGS)}
_STRINGS_ARROW = pa.array(STRINGS, _STR)


def codes(names: Iterable[str]) -> np.ndarray:
    """Codes of strings (object array or list) into :data:`STRINGS`."""
    return np.array([S[v] for v in names], dtype=np.int16)


def full(n: int, name: str) -> np.ndarray:
    return np.full(n, S[name], dtype=np.int16)


# one random stream per part of the model (never reorder: it changes the data)
_PARTS = ("people", "chain", "escalation", "characteristics", "signals", "care",
          "attendance", "lags", "bias", "reoffend")


@dataclass(frozen=True)
class Context:
    """What every chunk shares: the config, the calendar, the chain, school effects."""

    config: SynthConfig

    @cached_property
    def cal(self) -> Calendar:
        """The simulated calendar, to ``world_end`` (records are cut at ``end``)."""
        return Calendar(np.datetime64(self.config.start, "D"),
                        np.datetime64(self.config.world_end, "D"))

    @cached_property
    def end(self) -> np.datetime64:
        """The extract date: nothing later is in the tables."""
        return np.datetime64(self.config.end, "D")

    @cached_property
    def end_months(self) -> int:
        """Months from the span start to ``end``, inclusive."""
        return int(np.datetime64(self.config.end, "M").astype(np.int64)
                   - self.cal.first_month + 1)

    @cached_property
    def population_months(self) -> int:
        """Months from the span start to ``population_end``, inclusive."""
        return int(np.datetime64(str(self.config.population_end), "M")
                   .astype(np.int64) - self.cal.first_month + 1)

    @cached_property
    def later_year_groups(self) -> list[int]:
        """Birth school years of the year groups that join Year 4 after
        ``population_end`` and by ``end``: one chunk each."""
        last = int(self.cal.school_year[self.population_months - 1])
        upto = int(self.cal.school_year[self.end_months - 1])
        return [year - 9 for year in range(last + 1, upto + 1)]

    @cached_property
    def year_group_size(self) -> int:
        """People in one birth year group of the main population."""
        s0 = int(self.cal.school_year[0])
        s1 = int(self.cal.school_year[self.population_months - 1])
        return max(1, round(self.config.people / (s1 - 9 - (s0 - 16) + 1)))

    @cached_property
    def chain(self) -> mdl.Chain:
        return mdl.chain(mdl.PARAMS)

    @cached_property
    def school_effects(self) -> np.ndarray:
        rng = np.random.default_rng(
            np.random.SeedSequence(self.config.seed, spawn_key=(2**31,)))
        return rng.normal(0.0, 0.35, mdl.N_SCHOOLS)

    @cached_property
    def as_of_months(self) -> np.ndarray:
        days = np.array(self.config.as_of_dates, dtype="datetime64[D]")
        return days.astype("datetime64[M]").astype(np.int64) - self.cal.first_month

    @cached_property
    def risk_centre(self) -> float:
        """Mean of the latent risk b + x (the links below are centred on it)."""
        return mdl.PARAMS.w_male * mdl.PARAMS.male_share

    @cached_property
    def risk_var(self) -> float:
        p = mdl.PARAMS
        var_b = (p.w_dep**2 + p.w_need**2 + p.w_unobs**2
                 + p.w_male**2 * p.male_share * (1 - p.male_share))
        return var_b + p.sd_x**2

    def link_offset(self, a: float) -> float:
        """log E[exp(a * (z - centre))], so that exp(a*(z-centre) - offset) has mean 1."""
        return 0.5 * a * a * self.risk_var

    @cached_property
    def school_day_scale(self) -> np.ndarray:
        """Share of a year's school days that fall in each month (0 in August)."""
        _, counts = self.cal.school_day_offsets
        per_year = len(self.cal.school_days) / (self.cal.n_months / 12.0)
        return counts / per_year


def _rngs(config: SynthConfig, chunk: int) -> dict[str, np.random.Generator]:
    return {
        part: np.random.default_rng(
            np.random.SeedSequence(config.seed, spawn_key=(chunk, i)))
        for i, part in enumerate(_PARTS)
    }


@dataclass
class People:
    """The per-person state of one chunk (arrays of length n, or n x M)."""

    ids: np.ndarray  # fixed-width bytes, e.g. b"P0000001"
    dob: np.ndarray  # datetime64[D]
    age_m: np.ndarray  # (n, M) age in whole months at the start of each month
    male: np.ndarray
    ethnicity: np.ndarray  # codes into VOCAB["ethnicity"]
    school: np.ndarray
    b: np.ndarray  # person baseline of the latent risk
    dep: np.ndarray
    need: np.ndarray
    first: np.ndarray  # first enrolled month index
    last: np.ndarray  # last enrolled month index (may be >= M: still on roll)
    age_out: np.ndarray  # month index of the August they age out
    start_date: np.ndarray
    end_date: np.ndarray  # NaT = still on roll at the end of the span

    @property
    def n(self) -> int:
        return len(self.b)

    def enrolled(self, n_months: int) -> np.ndarray:
        m = np.arange(n_months)[None, :]
        return (m >= self.first[:, None]) & (m <= self.last[:, None])


def make_people(ctx: Context, rng: np.random.Generator, first_id: int, n: int,
                year_group: int | None = None) -> People:
    cal, p = ctx.cal, mdl.PARAMS
    m_count = cal.n_months
    s0 = int(cal.school_year[0])
    s1 = int(cal.school_year[ctx.population_months - 1])
    # birth school-year cohorts: those in Years 4-11 at some point in the span
    # (or the one year group joining after population_end)
    lo, hi = (s0 - 16, s1 - 9) if year_group is None else (year_group, year_group)
    cohort = rng.integers(lo, hi + 1, n)
    birth_m = (cohort - 1970) * 12 + 8 + rng.integers(0, 12, n)
    dob = birth_m.astype("datetime64[M]").astype("datetime64[D]")
    year4 = (cohort + 9 - 1970) * 12 + 8 - cal.first_month
    age_out = (cohort + 17 - 1970) * 12 + 7 - cal.first_month
    first = np.maximum(year4, 0)
    mover = rng.random(n) < p.move_in_share
    # movers join by population_end, as in a span that ends there
    joins_by = ctx.population_months if year_group is None else m_count
    span_last = np.minimum(age_out, joins_by - 1)
    late = first + np.floor(rng.random(n) * (span_last - first + 1)).astype(np.int64)
    first = np.where(mover, late, first)
    q = 1.0 - (1.0 - p.leave_per_year) ** (1.0 / 12.0)
    last = np.minimum(first + rng.geometric(q, n) - 1, age_out)
    starts = cal.month_starts
    start_date = np.where(
        mover | (year4 >= 0), starts[np.minimum(first, m_count)],
        (year4 + cal.first_month).astype("datetime64[M]").astype("datetime64[D]"))
    end_date = np.where(last <= m_count - 1, starts[np.minimum(last + 1, m_count)] - DAY,
                        NAT)
    male = rng.random(n) < p.male_share
    eth_p = np.array([w for _, w in mdl.ETHNICITY])
    ethnicity = rng.choice(len(eth_p), n, p=eth_p / eth_p.sum())
    dep, need, unobs = rng.standard_normal((3, n))
    b = p.w_dep * dep + p.w_need * need + p.w_male * male + p.w_unobs * unobs
    school = rng.integers(0, mdl.N_SCHOOLS, n)
    age_m = (cal.first_month + np.arange(m_count))[None, :] - birth_m[:, None]
    width = max(7, len(str(max(ctx.config.people, first_id + n))))
    ids = np.array([f"P{i:0{width}d}" for i in range(first_id + 1, first_id + n + 1)],
                   dtype=f"S{width + 1}")
    return People(ids, dob, age_m, male, ethnicity, school, b, dep, need, first, last,
                  age_out, start_date, end_date)


def simulate_chain(ctx: Context, rng: np.random.Generator, n: int) -> np.ndarray:
    """Chain states for months -1..M-1 (column 0 is the month before the span)."""
    ch, m_count = ctx.chain, ctx.cal.n_months
    states = np.empty((n, m_count + 1), dtype=np.int64)
    states[:, 0] = rng.choice(ch.n_states, n, p=ch.stationary)
    u = rng.random((n, m_count))
    for m in range(m_count):
        states[:, m + 1] = ch.step(states[:, m], u[:, m])
    return states


def potential_hazard(ctx: Context, pp: People) -> np.ndarray:
    """Escalation hazard without the chain part, were the person still in the area."""
    p, cfg = mdl.PARAMS, ctx.config
    months = np.arange(ctx.cal.n_months)[None, :]
    base = p.h0 * cfg.prevalence * np.exp(p.beta * pp.b)[:, None]
    h = base * mdl.age_multiplier(pp.age_m)
    return np.where(months <= pp.age_out[:, None], h, 0.0)


def leave_probability(ctx: Context, pp: People) -> np.ndarray:
    q = 1.0 - (1.0 - mdl.PARAMS.leave_per_year) ** (1.0 / 12.0)
    months = np.arange(ctx.cal.n_months)[None, :]
    return np.where(months >= pp.age_out[:, None], 1.0, q)


def month_date(ctx: Context, month: np.ndarray, u: np.ndarray, *, after: bool = False
               ) -> np.ndarray:
    """A day in each month, uniform; with ``after`` in (month start, next start]."""
    days = ctx.cal.month_days[month]
    off = np.floor(u * days).astype(np.int64) + (1 if after else 0)
    return ctx.cal.month_starts[month] + off * DAY


def school_date(ctx: Context, month: np.ndarray, u: np.ndarray) -> np.ndarray:
    first, counts = ctx.cal.school_day_offsets
    idx = first[month] + np.floor(u * counts[month]).astype(np.int64)
    return ctx.cal.school_days[np.minimum(idx, len(ctx.cal.school_days) - 1)]


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class Frame(dict[str, np.ndarray]):
    """Columns of one output table, with person indices local to the chunk."""

    #: rows are already in output order (skips the sort when converting to Arrow)
    presorted: bool = False


#: Stream keys of the year groups that join after ``population_end`` start here, far
#: from any main-population chunk index.
_LATER_KEY = 2**30


def n_chunks(config: SynthConfig, ctx: Context) -> int:
    """Main-population chunks plus one per year group joining after
    ``population_end``."""
    return -(-config.people // config.chunk_people) + len(ctx.later_year_groups)


def generate_chunk(config: SynthConfig, ctx: Context, chunk: int) -> dict[str, pa.Table]:
    """Every output table for people ``chunk * chunk_people`` onwards, or for a
    year group that joined after ``population_end`` (chunks past the main ones)."""
    main = -(-config.people // config.chunk_people)
    if chunk < main:
        first_id = chunk * config.chunk_people
        n = min(config.chunk_people, config.people - first_id)
        rng, year_group = _rngs(config, chunk), None
    else:
        later = chunk - main
        first_id = config.people + later * ctx.year_group_size
        n, year_group = ctx.year_group_size, ctx.later_year_groups[later]
        rng = _rngs(config, _LATER_KEY + year_group)
    pp = make_people(ctx, rng["people"], first_id, n, year_group)
    states = simulate_chain(ctx, rng["chain"], n)
    x = ctx.chain.levels[states[:, 1:]]
    z = pp.b[:, None] + x
    enrolled = pp.enrolled(ctx.cal.n_months)
    pot = potential_hazard(ctx, pp)
    esc_month, esc_date = _escalation(ctx, rng["escalation"], pp, pot, x, enrolled)
    chars, status = _characteristics(ctx, rng["characteristics"], pp, enrolled)
    group = _group(ctx, pp, status)
    signals = _signals(ctx, rng["signals"], pp, z, enrolled, group)
    ev = _concat([
        signals,
        _youth_justice(ctx, rng["reoffend"], pp, z, enrolled, esc_month, esc_date),
        _spurious_outcomes(ctx, rng["bias"], pot * np.exp(mdl.PARAMS.beta * x),
                           enrolled, group),
    ])
    episodes = _concat([_enrolment(pp), _care(ctx, rng["care"], pp, z, signals)])
    periods = _attendance(ctx, rng["attendance"], pp, z, enrolled)
    truth = _truth(ctx, pp, states, pot, esc_date)
    ev, episodes, periods = _drop_missing(config, ev, episodes, periods)
    _record(ctx, rng["lags"], ev, episodes, periods)
    ev, episodes, periods, chars = cut_at(ctx.end, ev, episodes, periods, chars)
    return {
        "people": _people_table(pp, pp.start_date <= ctx.end),
        "events": _arrow("events", pp.ids, ev, ("pidx", "event_date", "source",
                                                "event_type")),
        "episodes": _arrow("episodes", pp.ids, episodes, ("pidx", "start_date",
                                                          "source", "episode_type")),
        "periods": _arrow("periods", pp.ids, periods, ("pidx", "period_start",
                                                       "measure")),
        "characteristics": _arrow("characteristics", pp.ids, chars,
                                  ("pidx", "attribute", "valid_from")),
        "truth": _arrow("truth", pp.ids, truth, ("as_of", "pidx")),
    }


# --- escalation ---------------------------------------------------------------


def _escalation(ctx: Context, rng: np.random.Generator, pp: People, pot: np.ndarray,
                x: np.ndarray, enrolled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First true escalation: month index (-1 = none) and date (NaT = none)."""
    h = pot * np.exp(mdl.PARAMS.beta * x) * enrolled
    hit = rng.random(h.shape) < -np.expm1(-h)
    any_hit = hit.any(axis=1)
    month = np.where(any_hit, hit.argmax(axis=1), -1)
    u = rng.random(pp.n)
    date = np.full(pp.n, NAT)
    m = month[any_hit]
    # (month start, next month start], so that windows (t, t+h] align with months
    d = month_date(ctx, m, u[any_hit], after=True)
    cap = np.where(np.isnat(pp.end_date[any_hit]), ctx.cal.end, pp.end_date[any_hit])
    date[any_hit] = np.minimum(np.minimum(d, cap), ctx.cal.end)
    return month, date


def _youth_justice(ctx: Context, rng: np.random.Generator, pp: People, z: np.ndarray,
                   enrolled: np.ndarray, esc_month: np.ndarray, esc_date: np.ndarray
                   ) -> Frame:
    first = esc_month >= 0
    types_first = _pick(rng, mdl.YJ_FIRST, int(first.sum()))
    months = np.arange(ctx.cal.n_months)[None, :]
    after = enrolled & (months > esc_month[:, None]) & first[:, None]
    lam = np.where(after, mdl.PARAMS.reoffend * np.exp(0.5 * z), 0.0)
    pidx, m = _counts_to_rows(rng.poisson(lam))
    later_dates = month_date(ctx, m, rng.random(len(m)))
    types_later = _pick(rng, mdl.YJ_LATER, len(m))
    pidx_all = np.concatenate([np.flatnonzero(first), pidx])
    return Frame(
        pidx=pidx_all,
        event_date=np.concatenate([esc_date[first], later_dates]),
        source=full(len(pidx_all), "youth_justice"),
        event_type=np.concatenate([types_first, types_later]),
        value=np.ones(len(pidx_all)),
    )


def _spurious_outcomes(ctx: Context, rng: np.random.Generator, hazard: np.ndarray,
                       enrolled: np.ndarray, group: np.ndarray | None) -> Frame:
    """Outcomes recorded for the biased group that are not true escalations."""
    bias = ctx.config.bias_spec
    if bias is None or group is None or bias.outcome_over_recording <= 1:
        return _empty_events()
    lam = (bias.outcome_over_recording - 1.0) * hazard * (enrolled & group)
    pidx, m = _counts_to_rows(rng.poisson(lam))
    return Frame(
        pidx=pidx,
        event_date=month_date(ctx, m, rng.random(len(m))),
        source=full(len(pidx), "youth_justice"),
        event_type=_pick(rng, mdl.YJ_FIRST, len(pidx)),
        value=np.ones(len(pidx)),
    )


def _truth(ctx: Context, pp: People, states: np.ndarray, pot: np.ndarray,
           esc_date: np.ndarray) -> Frame:
    cfg = ctx.config
    leave = leave_probability(ctx, pp)
    seen = np.where(esc_date <= ctx.end, esc_date, NAT)  # NaT compares False
    out: list[Frame] = []
    for t_str, mt in zip(cfg.as_of_dates, ctx.as_of_months, strict=True):
        t = np.datetime64(t_str, "D")
        ok = ((pp.first < mt) & (pp.last >= mt) & (pp.age_m[:, mt] >= 120)
              & (np.isnat(esc_date) | (esc_date > t)))
        idx = np.flatnonzero(ok)
        # months after the extract date carry no hazard: they are not observed
        hi = min(mt + cfg.horizon_months, ctx.end_months)
        p_true = mdl.escalation_probability(
            states[idx, mt], pot[idx, mt:hi], leave[idx, mt:hi], ctx.chain,
            mdl.PARAMS.beta)
        out.append(Frame(pidx=idx, as_of=np.full(len(idx), t),
                         horizon=np.full(len(idx), cfg.horizon, dtype=object),
                         p_true=p_true, escalation_date=seen[idx]))
    return _concat(out) if out else Frame(pidx=np.zeros(0, np.int64))


# --- characteristics ------------------------------------------------------------


def _characteristics(ctx: Context, rng: np.random.Generator, pp: People,
                     enrolled: np.ndarray) -> tuple[Frame, dict[str, np.ndarray]]:
    p, s = mdl.PARAMS, ctx.config.signal_strength
    n, m_count = pp.n, ctx.cal.n_months
    # probit approximation keeps the mean share near fsm_share for any link strength
    logit = math.log(p.fsm_share / (1 - p.fsm_share))
    logit *= math.sqrt(1 + math.pi * (s * p.fsm_link) ** 2 / 8)
    pi = _expit(logit + s * p.fsm_link * pp.dep)
    enter = p.fsm_exit * pi / (1 - pi)
    fsm = np.empty((n, m_count), dtype=np.int64)  # 1 = yes
    u = rng.random((n, m_count))
    cur = (rng.random(n) < pi).astype(np.int64)
    for m in range(m_count):
        flip = np.where(cur == 1, u[:, m] < p.fsm_exit, u[:, m] < enter)
        cur = np.where(flip, 1 - cur, cur) if m > 0 else cur
        fsm[:, m] = cur
    nu = s * p.sen_link * pp.need + rng.standard_normal(n)
    w = np.empty((n, m_count))
    w_cur = rng.normal(0, p.sen_sd_time, n)
    eps = rng.normal(0, p.sen_sd_time * math.sqrt(1 - p.sen_rho**2), (n, m_count))
    for m in range(m_count):
        w_cur = p.sen_rho * w_cur + eps[:, m] if m > 0 else w_cur
        w[:, m] = w_cur
    sd = math.sqrt((s * p.sen_link) ** 2 + 1 + p.sen_sd_time**2)
    nd = NormalDist(0, sd)
    c1 = nd.inv_cdf(1 - p.sen_support_share - p.ehcp_share)
    c2 = nd.inv_cdf(1 - p.ehcp_share)
    sen = _reviewed_status(nu[:, None] + w, (c1, c2), 0.25 * sd, ctx.cal.calendar_month)
    # status codes into VOCAB order
    status = {"fsm": np.where(fsm == 1, 0, 1), "sen": sen}
    frames = [
        _static(pp, "sex", np.where(pp.male, 1, 0)),
        _static(pp, "ethnicity", pp.ethnicity),
        _spells(ctx, pp, "sen", sen, enrolled),
        _spells(ctx, pp, "fsm", status["fsm"], enrolled),
    ]
    status["sex"] = np.repeat(np.where(pp.male, 1, 0)[:, None], m_count, axis=1)
    status["ethnicity"] = np.repeat(pp.ethnicity[:, None], m_count, axis=1)
    return _concat(frames), status


# Needs are assessed when a term starts (September, January, April), not month by
# month, and a child placed on SEN support stays there until the need has clearly
# eased: without both, a latent need hovering at the threshold flipped the
# recorded status every few months, as no school record does.
REVIEW_MONTHS = (9, 1, 4)


def _reviewed_status(score: np.ndarray, cuts: tuple[float, ...], margin: float,
                     month_of_year: np.ndarray) -> np.ndarray:
    """Ordinal status from a monthly latent score, changed only at term starts,
    moving up past a cut and back down only ``margin`` below it."""
    up = np.stack([score > c for c in cuts]).sum(axis=0).astype(np.int64)
    down = np.stack([score > c - margin for c in cuts]).sum(axis=0).astype(np.int64)
    out = np.empty_like(up)
    cur = up[:, 0]
    review = np.isin(month_of_year, REVIEW_MONTHS)
    for m in range(score.shape[1]):
        if m and review[m]:
            cur = np.where(up[:, m] > cur, up[:, m], np.minimum(cur, down[:, m]))
        out[:, m] = cur
    return out


def _static(pp: People, attribute: str, status: np.ndarray) -> Frame:
    vocab = codes(VOCAB[attribute])
    return Frame(pidx=np.arange(pp.n), attribute=full(pp.n, attribute),
                 value=vocab[status], valid_from=pp.start_date,
                 valid_to=np.full(pp.n, NAT))


def _spells(ctx: Context, pp: People, attribute: str, status: np.ndarray,
            enrolled: np.ndarray) -> Frame:
    """Runs of a monthly status while enrolled, as (valid_from, valid_to) spells."""
    c = np.where(enrolled, status, -1)
    prev = np.concatenate([np.full((pp.n, 1), -1), c[:, :-1]], axis=1)
    nxt = np.concatenate([c[:, 1:], np.full((pp.n, 1), -1)], axis=1)
    pi, mi = np.nonzero((c >= 0) & (c != prev))
    pe, me = np.nonzero((c >= 0) & (c != nxt))  # same order: row-major
    starts = ctx.cal.month_starts
    valid_from = np.where(mi == pp.first[pi], np.minimum(pp.start_date[pi], starts[mi]),
                          starts[mi])
    is_last = me == np.minimum(pp.last[pe], ctx.cal.n_months - 1)
    valid_to = np.where(is_last, NAT, starts[me + 1] - DAY)
    vocab = codes(VOCAB[attribute])
    return Frame(pidx=pi, attribute=full(len(pi), attribute),
                 value=vocab[c[pi, mi]], valid_from=valid_from, valid_to=valid_to)


def _group(ctx: Context, pp: People, status: dict[str, np.ndarray]) -> np.ndarray | None:
    bias = ctx.config.bias_spec
    if bias is None:
        return None
    code = VOCAB[bias.attribute].index(bias.value)
    return status[bias.attribute] == code


# --- signals --------------------------------------------------------------------


def _age_norm(spec: mdl.SignalSpec, s: float) -> float:
    ages = np.linspace(8.5, 16.5, 33)
    return float(np.log(np.mean(np.exp(-s * spec.age_curv * (ages - spec.age_peak) ** 2))))


def _signals(ctx: Context, rng: np.random.Generator, pp: People, z: np.ndarray,
             enrolled: np.ndarray, group: np.ndarray | None) -> Frame:
    s = ctx.config.signal_strength
    bias = ctx.config.bias_spec
    age_y = pp.age_m / 12.0
    zc = z - ctx.risk_centre
    frames = []
    for spec in mdl.SIGNALS:
        a = s * spec.gamma
        log_rate = (np.log(spec.per_year / 12.0) + a * zc - ctx.link_offset(a)
                    - s * spec.age_curv * (age_y - spec.age_peak) ** 2
                    - _age_norm(spec, s))
        eta = rng.normal(-0.5 * spec.sd_person**2, spec.sd_person, pp.n)
        if spec.school_effect:
            eta = eta + ctx.school_effects[pp.school]
        lam = np.exp(log_rate + eta[:, None]) * enrolled * (age_y >= spec.min_age)
        if spec.school_days_only:
            lam = lam * (ctx.school_day_scale * 12.0)[None, :]
        if group is not None and bias is not None:
            lam = lam * np.where(group, bias.signal_under_recording, 1.0)
        pidx, m = _counts_to_rows(rng.poisson(lam))
        u = rng.random(len(m))
        dates = school_date(ctx, m, u) if spec.school_days_only else month_date(ctx, m, u)
        value = np.ones(len(m))
        if spec.event_type == "suspension":
            value = np.minimum(rng.geometric(0.6, len(m)), 15).astype(np.float64)
        frames.append(Frame(pidx=pidx, event_date=dates,
                            source=full(len(m), spec.source),
                            event_type=full(len(m), spec.event_type),
                            value=value, month=m))
    return _concat(frames)


def _care(ctx: Context, rng: np.random.Generator, pp: People, z: np.ndarray,
          ev: Frame) -> Frame:
    """Episodes that follow social-care referrals."""
    sel = ev["event_type"] == S["referral"]
    pidx, month, ref_date = ev["pidx"][sel], ev["month"][sel], ev["event_date"][sel]
    s = ctx.config.signal_strength
    zc = z[pidx, month] - ctx.risk_centre
    logits = np.log(mdl.CARE_BASE)[None, :] + s * mdl.CARE_TILT[None, :] * zc[:, None]
    prob = np.exp(logits - logits.max(axis=1, keepdims=True))
    cum = np.cumsum(prob / prob.sum(axis=1, keepdims=True), axis=1)
    outcome = (rng.random(len(pidx))[:, None] > cum).sum(axis=1)
    outcome = np.minimum(outcome, len(mdl.CARE_OUTCOMES) - 1)
    start = ref_date + rng.integers(0, 31, len(pidx)) * DAY
    months = np.array([mdl.CARE_MONTHS.get(o, 1.0) for o in mdl.CARE_OUTCOMES])[outcome]
    length = np.maximum(np.round(rng.gamma(2.0, months * 30.4 / 2.0)), 14).astype(np.int64)
    end = start + length * DAY
    leave = pp.end_date[pidx]
    keep = (outcome > 0) & (start <= ctx.cal.end) & (np.isnat(leave) | (start <= leave))
    end = np.where(np.isnat(leave), end, np.minimum(end, leave))
    end = np.where(end > ctx.cal.end, NAT, end)
    names = np.array([S.get(o, -1) for o in mdl.CARE_OUTCOMES], dtype=np.int16)
    k = int(keep.sum())
    return Frame(pidx=pidx[keep], start_date=start[keep], end_date=end[keep],
                 source=full(k, "social_care"),
                 episode_type=names[outcome[keep]])


def _enrolment(pp: People) -> Frame:
    return Frame(pidx=np.arange(pp.n), start_date=pp.start_date, end_date=pp.end_date,
                 source=full(pp.n, "school"), episode_type=full(pp.n, "enrolment"))


# --- attendance ------------------------------------------------------------------


def _absence_rates(ctx: Context, rng: np.random.Generator, pp: People, zt: np.ndarray,
                   age_t: np.ndarray) -> dict[str, np.ndarray]:
    s = ctx.config.signal_strength
    out = {}
    for measure, a in mdl.ABSENCE.items():
        person = rng.normal(0, a["sd"], pp.n)[:, None]
        term = rng.normal(0, a["term_sd"], zt.shape)
        age = 0.12 * (age_t - 12.5) if measure == "unauthorised_absence" else 0.0
        out[measure] = _expit(a["alpha"] + person + term
                              + s * (a["gamma"] * (zt - ctx.risk_centre) + age))
    return out


def _attendance(ctx: Context, rng: np.random.Generator, pp: People, z: np.ndarray,
                enrolled: np.ndarray) -> Frame:
    cal = ctx.cal
    t_first, t_last = cal.terms
    _, sd_count = cal.school_day_offsets
    n_terms = len(t_first)
    days_in = enrolled * sd_count[None, :]  # enrolled school days per month
    term_of = cal.month_term
    sessions = np.zeros((pp.n, n_terms))
    zsum = np.zeros((pp.n, n_terms))
    for j in range(n_terms):
        cols = term_of == j
        sessions[:, j] = 2 * days_in[:, cols].sum(axis=1)
        zsum[:, j] = (z[:, cols] * days_in[:, cols]).sum(axis=1)
    zt = zsum / np.maximum(sessions / 2, 1)
    age_t = pp.age_m[:, t_first] / 12.0
    rates = _absence_rates(ctx, rng, pp, zt, age_t)
    if ctx.config.attendance == "daily":
        return _daily(ctx, rng, pp, enrolled, rates)
    auth = rng.binomial(sessions.astype(np.int64), rates["authorised_absence"])
    unauth = rng.binomial((sessions - auth).astype(np.int64),
                          rates["unauthorised_absence"])
    pi, tj = np.nonzero(sessions > 0)
    first_m = np.maximum(t_first[tj], pp.first[pi])
    last_m = np.minimum(t_last[tj], pp.last[pi])
    p_start = np.maximum(cal.month_starts[first_m], pp.start_date[pi])
    p_end = cal.month_starts[last_m + 1] - DAY
    k = len(pi)
    measures = ("sessions_possible", "authorised_absence", "unauthorised_absence")
    values = (sessions[pi, tj], auth[pi, tj], unauth[pi, tj])
    return Frame(
        pidx=np.tile(pi, 3), period_start=np.tile(p_start, 3),
        period_end=np.tile(p_end, 3),
        measure=np.repeat(codes(measures), k),
        value=np.concatenate(values).astype(np.float64),
    )


def _daily(ctx: Context, rng: np.random.Generator, pp: People, enrolled: np.ndarray,
           rates: dict[str, np.ndarray]) -> Frame:
    """One sessions_possible row per school day, plus non-zero absence rows."""
    cal = ctx.cal
    dm = cal.school_day_month
    term = cal.month_term[dm]
    on = enrolled[:, dm]  # (n, D)
    ra = rates["authorised_absence"][:, term].astype(np.float32)
    ru = rates["unauthorised_absence"][:, term].astype(np.float32)
    u = rng.random(on.shape, dtype=np.float32)
    half = rng.random(on.shape, dtype=np.float32) < 0.15
    # at most one absence row per day (authorised or unauthorised), 1 or 2 sessions
    pi, d = np.nonzero(on)  # row-major: already in (person, day) order
    ud = u[pi, d]
    auth = ud < ra[pi, d]
    absent = ud < ra[pi, d] + ru[pi, d]
    del u, ra, ru
    k = 1 + absent
    first = np.cumsum(k) - k
    days = cal.school_days[d]
    pidx, day = np.repeat(pi, k), np.repeat(days, k)
    measure = full(len(pidx), "sessions_possible")
    value = np.full(len(pidx), 2.0)
    second = first[absent] + 1
    measure[second] = np.where(auth[absent], S["authorised_absence"],
                               S["unauthorised_absence"])
    value[second] = np.where(half[pi[absent], d[absent]], 1.0, 2.0)
    out = Frame(pidx=pidx, period_start=day, period_end=day, measure=measure,
                value=value)
    out.presorted = True
    return out


# --- recording, missing sources, assembly ---------------------------------------------


def _drop_missing(config: SynthConfig, ev: Frame, episodes: Frame, periods: Frame
                  ) -> tuple[Frame, Frame, Frame]:
    gone = set(config.missing_sources)
    if not gone:
        return ev, episodes, periods
    gone_codes = codes(sorted(gone))
    ev = _subset(ev, ~np.isin(ev["source"], gone_codes))
    keep_ep = (episodes["episode_type"] == S["enrolment"]) | ~np.isin(
        episodes["source"], gone_codes)
    episodes = _subset(episodes, keep_ep)
    if "attendance" in gone:
        periods = _subset(periods, np.zeros(len(periods["pidx"]), dtype=bool))
    return ev, episodes, periods


def _record(ctx: Context, rng: np.random.Generator, ev: Frame, episodes: Frame,
            periods: Frame) -> None:
    """Fill ``recorded_at``: own date plus a gamma-distributed lag (none if lag 0)."""
    lag = ctx.config.recording_lag
    by_type = np.ones(len(STRINGS))
    for spec in mdl.SIGNALS:
        by_type[S[spec.event_type]] = spec.lag_scale
    by_type[[S["caution"], S["conditional_caution"], S["court_disposal"]]] = 1.5
    by_type[[S[o] for o in mdl.CARE_OUTCOMES[1:]]] = 1.5
    by_type[S["enrolment"]] = 0.4
    ev["recorded_at"] = _scaled_lag(rng, ev["event_date"], lag,
                                    by_type[ev["event_type"]])
    episodes["recorded_at"] = _scaled_lag(rng, episodes["start_date"], lag,
                                          by_type[episodes["episode_type"]])
    pend = periods["period_end"]
    if lag <= 0:
        periods["recorded_at"] = np.full(len(pend), NAT)
    elif ctx.config.attendance == "daily":
        periods["recorded_at"] = pend + rng.integers(0, 3, len(pend)) * DAY
    else:
        extra = np.round(rng.gamma(2.0, lag / 2.0, len(pend))).astype(np.int64)
        periods["recorded_at"] = pend + (3 + extra) * DAY


def _scaled_lag(rng: np.random.Generator, dates: np.ndarray, mean: float,
                scale: np.ndarray) -> np.ndarray:
    if mean <= 0:
        return np.full(len(dates), NAT)
    shape = 0.8
    lag = np.round(rng.gamma(shape, 1.0, len(dates)) * (mean * scale / shape))
    return dates + lag.astype(np.int64) * DAY


def cut_at(end: np.datetime64, ev: Frame, episodes: Frame, periods: Frame,
           chars: Frame) -> tuple[Frame, Frame, Frame, Frame]:
    """The records as an extract taken on ``end`` shows them.

    A record is in it when its own date is on or before ``end`` (``recorded_at`` is
    kept as simulated, as before). An episode still running on ``end`` is open, a
    characteristic's spell that runs to ``end`` or later is open, and a term that
    has not ended is not yet counted.
    """
    ev = _subset(ev, ev["event_date"] <= end)
    episodes = _subset(episodes, episodes["start_date"] <= end)
    episodes["end_date"] = np.where(episodes["end_date"] <= end,
                                    episodes["end_date"], NAT)
    periods = _subset(periods, periods["period_end"] <= end)
    chars = _subset(chars, chars["valid_from"] <= end)
    chars["valid_to"] = np.where(chars["valid_to"] < end, chars["valid_to"], NAT)
    return ev, episodes, periods, chars


def _people_table(pp: People, known: np.ndarray) -> pa.Table:
    schools = np.array([f"SCH{k + 1:02d}" for k in range(mdl.N_SCHOOLS)], dtype=object)
    teams = np.array(mdl.TEAMS, dtype=object)[np.arange(mdl.N_SCHOOLS) % len(mdl.TEAMS)]
    rows = np.flatnonzero(known)  # people who have joined by the extract date
    return pa.table({
        "person_id": _id_array(pp.ids, rows),
        "date_of_birth": _ts(pp.dob[rows]),
        "school": pa.array(schools[pp.school[rows]], _STR),
        "team": pa.array(teams[pp.school[rows]], _STR),
    }, schema=SCHEMAS["people"])


def _ts(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype="datetime64[D]")
    mask = np.isnat(days)
    micros = days.view(np.int64) * 86_400_000_000
    ints = pa.array(micros, pa.int64(), mask=mask if mask.any() else None)
    return ints.view(_TS)


def _id_array(ids: np.ndarray, pidx: np.ndarray) -> pa.Array:
    """person_id strings for rows, built from fixed-width bytes without Python loops."""
    width = ids.dtype.itemsize
    data = ids[pidx].tobytes()
    offsets = np.arange(0, width * (len(pidx) + 1), width, dtype=np.int32)
    return pa.StringArray.from_buffers(len(pidx), pa.py_buffer(offsets),
                                       pa.py_buffer(data))


def _arrow(name: str, ids: np.ndarray, f: Frame, order: tuple[str, ...]) -> pa.Table:
    schema = SCHEMAS[name]
    n = len(f.get("pidx", ()))
    if n == 0:
        return schema.empty_table()
    idx = None if f.presorted else np.lexsort([f[k] for k in order[::-1]])
    cols = {}
    for field in schema:
        col = f[field.name] if field.name != "person_id" else f["pidx"]
        col = col if idx is None else col[idx]
        if field.name == "person_id":
            cols["person_id"] = _id_array(ids, col)
        elif field.type == _TS:
            cols[field.name] = _ts(col)
        elif field.type == _STR and col.dtype == object:
            cols[field.name] = pa.array(col, _STR)
        elif field.type == _CODE:
            cols[field.name] = pa.DictionaryArray.from_arrays(
                pa.array(col, pa.int16()), _STRINGS_ARROW)
        else:
            cols[field.name] = pa.array(col.astype(np.float64))
    return pa.table(cols, schema=schema)


def _counts_to_rows(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pi, m = np.nonzero(counts)
    c = counts[pi, m]
    return np.repeat(pi, c), np.repeat(m, c)


def _pick(rng: np.random.Generator, table: tuple[tuple[str, float], ...], n: int
          ) -> np.ndarray:
    names = codes([k for k, _ in table])
    p = np.array([w for _, w in table])
    return names[rng.choice(len(names), n, p=p / p.sum())]


def _empty_events() -> Frame:
    return Frame(pidx=np.zeros(0, np.int64), event_date=np.zeros(0, "datetime64[D]"),
                 source=np.zeros(0, np.int16), event_type=np.zeros(0, np.int16),
                 value=np.zeros(0))


def _concat(frames: list[Frame]) -> Frame:
    keys = [k for k in frames[0] if all(k in f for f in frames)]
    return Frame({k: np.concatenate([f[k] for f in frames]) for k in keys})


def _subset(f: Frame, mask: np.ndarray) -> Frame:
    return Frame({k: v[mask] for k, v in f.items()})
