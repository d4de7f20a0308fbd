"""The synthetic multi-agency cohort: school, social-care, police and youth-justice
records of young people who never existed, generated from a model whose true risk is
known, so that any model's quality can be compared with the best possible (the
oracle).

Use :func:`generate` for a cohort in memory, :func:`write_cohort` to write Parquet
chunk by chunk (a million people in bounded memory), and :class:`SynthConfig` for the
knobs. Everything written is invented; no record describes a real person.

The generative model
--------------------
Time runs in calendar months over the study span (default 1 Sep 2019 .. 31 Aug
2024, school years 2019/20 .. 2023/24).

**People.** Each person belongs to a school-year cohort (born September..August),
chosen so that everyone is in Years 4-11 at some point of the span; date of birth is
the first of a uniformly drawn month of that year. A person is on roll (one
``school``/``enrolment`` episode) from the September of Year 4 (or the span start,
whichever is later); 12% move into the area at a uniformly drawn later month. Each
month 0.34% leave the area (about 4% a year), and everyone leaves at the end of
August of Year 11, the school year in which they turn 16 (``end_date`` = last day of
the month they leave; open if still on roll at the end of the span). Nothing is
recorded about a person before they join or after they leave. Each person has a
school (SCH01..SCH40; schools differ in how readily they record behaviour and
suspend) and the locality ``team`` of that school (North, South, East, West,
Central).

**Latent risk.** ``z(i, m) = b(i) + x(i, m)`` where

* ``b = 0.60 dep + 0.45 need + 0.35 male + 0.80 u`` with independent standard
  normal ``dep`` (deprivation), ``need`` (special needs) and ``u`` (unobserved:
  family, peers, anything no agency records directly; it shows only through the
  signals below). Ethnicity has no effect on true risk.
* ``x`` is a slowly varying, mean-reverting random walk: an AR(1) with monthly
  persistence 0.98 and stationary s.d. 0.55, discretised onto 11 levels by Tauchen's
  method, so it is a finite Markov chain (``x`` at the span start is drawn from its
  stationary distribution).

**Escalation** (the first youth-justice outcome: the person becomes a first-time
entrant). In each month while on roll and aged 10 or over (the age of criminal
responsibility in England), a person not yet escalated escalates with probability
``1 - exp(-h)``, a piecewise-constant hazard

    ``h = 0.00055 * prevalence * exp(z) * exp(0.3 * (min(age, 16) - 14))``.

The escalation date is uniform in (first of the month, first of the next month],
clipped to the leaving date and the span end, so that a window ``(t, t + 12m]`` from
an as-of date ``t`` on the first of a month covers exactly 12 whole months of hazard.
The outcome is a ``caution`` (45%), ``conditional_caution`` (25%) or
``court_disposal`` (30%); later outcomes follow at ``0.03 exp(z / 2)`` a month
(60% court disposals).

**Truth.** ``truth`` has a row for each person and as-of date ``t`` at which the
person is scored: on roll before ``t`` and still at ``t`` (``start_date < t``, no end
before ``t``), aged 10 or over at ``t``, and not yet escalated (no true escalation
on or before ``t``). ``p_true`` is the exact probability, under this model, of the
first escalation in ``(t, t + horizon]`` given everything the generator knows at
``t``: the person's baseline ``b``, age, and the chain state of the month before
``t``. It integrates over the chain's future (forward algorithm over the 11 states:
move, apply the month's hazard, then the chance of leaving the area, which ends
exposure; ageing out at 16 is certain and known). Months after the span end carry
no hazard. ``escalation_date`` is the person's first true escalation (NaT if none).
Averaged over people, the realised 12-month escalations match ``p_true`` (the tests
check this).

**Signals.** Each observable count source is a Poisson process per person-month with
log rate

    ``log(rate/12) + s * (gamma * (z - mean z) - curv * (age - peak)^2) + eta``

(normalised so that the average rate does not depend on ``s``), where ``s`` is
``signal_strength``, ``eta`` a person-level log-normal effect unrelated to risk (plus
a school effect for school events), and ``gamma`` the source's link to the latent
risk. With ``s = 0`` every signal is pure noise. The links are strong next to the
risk-unrelated person effects (``gamma`` 0.7-1.2 per unit of ``z``, whose s.d. is
about 1.2, against person s.d. 0.5-0.8), so a person's history of events and
absence reveals most of the risk, while single months of sparse counts do not.
Sources and yearly base rates per
pupil: ``behaviour_incident`` 1.4, ``suspension`` 0.08 (value = days, mostly 1-2),
``permanent_exclusion`` 0.0011 (aged 11+), ``police_contact`` 0.04 (aged 10+),
``missing_episode`` 0.02, social-care ``referral`` 0.055. School events fall on school
days only. A referral leads to no further action (37%), ``early_help`` (22%),
``child_in_need`` (33%), ``child_protection`` (5%) or ``looked_after`` (3%), with the
more serious outcomes tilted towards higher risk; the episode starts 0-30 days after
the referral and lasts a gamma-distributed time with mean 6, 18, 10 and 48 months
respectively (cut short when the person leaves; open if still running at the span
end).

**Attendance.** Per term, authorised and unauthorised absence are binomial draws
over the sessions possible (2 per school day on roll; about 190 school days a year on
a fixed English calendar), with logit rates ``alpha + person effect + term effect + s
* gamma * (z - mean z)`` (unauthorised absence also rises with age). The risk link
(``gamma`` 0.7 authorised, 1.0 unauthorised) outweighs the person effect (s.d. 0.2
and 0.4) and the term effect (s.d. 0.25 and 0.3), so a year of attendance is the
single most informative record, as it is in practice. Termly rows cover
autumn (1 Sep-31 Dec), spring (1 Jan-31 Mar) and summer (1 Apr-31 Jul), clipped to
the days on roll; with ``attendance="daily"`` there is one ``sessions_possible`` row
(value 2) per school day on roll and a row for each day with an absence (1 or 2
sessions), ``period_start = period_end`` = the day.

**Characteristics.** ``sex`` and ``ethnicity`` are fixed. ``fsm`` follows a two-state
monthly chain (mean spell on FSM 3 years) whose long-run share rises with ``dep``;
``sen`` (none, sen_support, ehcp) thresholds a person score driven by ``need`` plus a
slowly moving component, so spells come and go. Both links scale with
``signal_strength``. Rows are spells with ``valid_from``/``valid_to``; the current
spell is open.

**Recording.** With ``recording_lag > 0`` each event and episode gets ``recorded_at``
= its date + a gamma(shape 0.8) lag with mean ``recording_lag`` days times a source
factor (behaviour 0.3, suspensions 0.5, police 1, social care and youth justice
1.5), so most records are entered within days and some weeks late. Termly
attendance is recorded 3 days + gamma(2) with mean ``recording_lag`` days after the
term ends, daily marks 0-2 days after the day. ``recording_lag = 0`` leaves
``recorded_at`` empty.

**Bias knob.** ``SynthBias(attribute, value, outcome_over_recording=f,
signal_under_recording=g)``: for months in which a person belongs to the group,
extra youth-justice outcomes are recorded at ``(f - 1)`` times the true hazard (they
are not escalations in the truth, so ``p_true`` and ``escalation_date`` do not
change, while the group's recorded outcomes rise about ``f``-fold), and only a share
``g`` of the group's school, police and social-care events are recorded.
``missing_sources`` drops whole sources (enrolment is always kept).

Measured at the defaults (100,000 people, seed 7)
-------------------------------------------------
============================================================  ============  ============
measure                                                       measured      published
============================================================  ============  ============
oracle AUC of ``p_true`` (default as-of dates, 309,863 rows)  0.81
escalation within 12 months, scored cohort                    1.5%
mean ``p_true``                                               1.5%
escalations with no warning event in the year before          19%
escalation rate among those with a warning event              2.3%
overall / authorised / unauthorised absence                   7.0/5.2/1.9%  7.4% overall
persistent absence (>= 10% of sessions in a school year)      21.2%         21.2%
suspensions per 100 pupils a year                             9.5           9.3
permanent exclusions per 100 pupils a year                    0.11          0.11
referrals per 100 children a year                             5.8           5.4
children in need (incl. CP, looked after) per 10,000          345           343
child protection plans per 10,000                             42            43
looked after per 10,000                                       88            71
FSM / SEN support / EHC plan                                  24/13/4%      24/13/4%
first escalations per 10,000 person-years aged 10+            152           about 15
============================================================  ============  ============

"Warning event" is any behaviour incident, suspension, exclusion, police contact,
missing episode or referral in the 365 days before the as-of date. Social-care
episodes that began before the span are not generated, so open-episode counts build
up over the first year (the 31 March figures average 2020-2024).

Base rates and their sources (England)
--------------------------------------
* Overall absence about 7% (authorised about 5%, unauthorised about 2%), persistent
  absence (10% or more of sessions missed in a year) about 20%: DfE, "Pupil absence
  in schools in England", academic year 2022/23 (overall 7.4%, persistent 21.2%).
* Suspensions about 9 per 100 pupils a year, permanent exclusions about 0.1 per 100:
  DfE, "Suspensions and permanent exclusions in England", 2022/23 (9.33 and 0.11).
* Referrals about 5.5 per 100 children a year; children in need about 340 per
  10,000 (counting child-in-need, child-protection and looked-after episodes), on a
  child protection plan about 42 per 10,000: DfE, "Characteristics of children in
  need" (reporting year 2023: 342.7 and 43.2 per 10,000 at 31 March).
* Looked after about 70 per 10,000: DfE, "Children looked after in England including
  adoptions", 2023 (71 per 10,000).
* FSM about 24%, SEN support about 13%, EHC plan about 4%: DfE, "Schools, pupils and
  their characteristics" and "Special educational needs in England", 2023.
* Youth justice: nationally about 8,000-9,000 first-time entrants a year, about 15
  per 10,000 aged 10-17 (MoJ/YJB, "Youth justice statistics", 2022 to 2023). The
  generator deliberately uses an escalation rate about ten times higher (about 1.5%
  of the scored cohort within 12 months) so that a local-authority-sized cohort has
  enough outcomes to model; scale it with ``prevalence``.

Other rates (behaviour incidents, police contacts, missing episodes, early help)
have no national series and are plausible assumptions.

Examples
--------
>>> cohort = generate(SynthConfig(people=200, seed=5))
>>> sorted(cohort.tables["periods"]["measure"].unique())
['authorised_absence', 'sessions_possible', 'unauthorised_absence']
>>> cohort.truth["p_true"].between(0, 1).all()
np.True_
"""

from typing import Any

from earlysignal.data.synth._config import SynthBias, SynthConfig
from earlysignal.data.synth._generator import SynthCohort, generate, write_cohort

__all__ = [
    "SynthBias",
    "SynthCohort",
    "SynthConfig",
    "generate",
    "write_cohort",
    "write_messy_exports",
]


def __getattr__(name: str) -> Any:
    # the CSV exporter needs PyYAML and is only used by `earlysignal synth --csv`
    if name == "write_messy_exports":
        from earlysignal.data.synth._messy import write_messy_exports

        return write_messy_exports
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
