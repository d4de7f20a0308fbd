"""The synthetic cohort as the separate agencies hold it: no shared person id.

Each agency (the school roll, social care, police, youth justice) keeps its own
register of the young people it has met, under its own local ids, with a name,
date of birth, sex and postcode typed by its own staff, and its own activity rows
keyed by those local ids. The identifying details carry the errors real registers
carry: typing slips, familiar forms of a given name (Billy for William), spelling
variants and transliterations (Mohammed / Muhammad), given and family names
swapped, day and month of birth transposed, a different address after a move, an
empty field, a changed family name, and a second register entry for the same child.

Published studies of linked UK health and administrative records report that
linkage errors fall unevenly: records of people from ethnic minority groups are
more often missed, chiefly because their names are transliterated, ordered and
spelt less consistently (Bohensky et al. 2010, BMC Medical Research Methodology
10:346; Harron et al. 2017, Big Data & Society 4(2)). ``name_errors_by_ethnicity``
reproduces that direction: it multiplies by group the rates of the errors in how
names are spelt (slips, variants), ordered (swapped) and carried over (a changed
family name), and of a birth date recorded as 1 January when the day was unknown. Its default values are assumptions chosen to
make the bias measurable, not estimates taken from those studies.

The true person behind every record is returned apart from the extracts (and
written to a separate file) so that linkage can be scored against it. Every name
is drawn at random from pools whose frequencies follow a real register's (a
few common names, a long tail; see ``_names``); no record describes a real person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from earlysignal.data.synth._names import (
    FAMILIAR,
    FAMILY,
    FAMILY_P,
    GIVEN_F,
    GIVEN_F_P,
    GIVEN_M,
    GIVEN_M_P,
    VARIANTS,
)

__all__ = ["AGENCIES", "AgenciesConfig", "AgencyExtracts", "make_agencies",
           "write_agencies", "write_cohort_agencies"]


@dataclass(frozen=True)
class Agency:
    """How one agency keeps its register.

    ``scale`` multiplies every error rate; ``moved`` is the chance that the address
    on the record is an earlier or later one; ``duplicates`` the chance that a
    child has a second register entry.
    """

    prefix: str
    digits: int
    scale: float
    moved: float
    duplicates: float
    upper: bool
    date_format: str


#: The agencies, in the order their extracts are written. The school roll is kept
#: most carefully; police records are typed fastest, in capitals.
AGENCIES: dict[str, Agency] = {
    "school": Agency("S", 8, 0.5, 0.05, 0.0, False, "%d/%m/%Y"),
    "social_care": Agency("CS", 7, 1.0, 0.25, 0.04, False, "%Y-%m-%d"),
    "police": Agency("PN", 7, 1.5, 0.25, 0.04, True, "%d/%m/%Y"),
    "youth_justice": Agency("YJ", 6, 1.0, 0.20, 0.02, False, "%d/%m/%Y"),
}

#: Per record, before the agency's scale (name errors also by group).
BASE_RATES: dict[str, float] = {
    "typo_given": 0.03, "typo_family": 0.03, "variant": 0.25, "swap": 0.015,
    "familiar": 0.12, "family_change": 0.02, "dob_transposed": 0.03,
    "dob_typo": 0.01, "dob_default": 0.01, "missing_postcode": 0.05,
    "missing_given": 0.01, "missing_sex": 0.02,
}
#: Errors whose rate also depends on the group: how names are spelt, ordered and
#: carried over, and a birth date recorded as 1 January when the exact day was not
#: known at registration.
NAME_ERRORS = ("typo_given", "typo_family", "variant", "swap", "family_change",
               "dob_default")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_UNIT = "ABDEFGHJLNPQRSTUWXYZ"
#: Fictional postcode districts (no real postcode area starts with Q) by team.
_DISTRICT = {"North": "QX1", "South": "QX2", "East": "QX3", "West": "QX4",
             "Central": "QX5"}


@dataclass(frozen=True)
class AgenciesConfig:
    """Knobs of the agencies' extracts.

    Parameters
    ----------
    seed : int
        Random seed; the same cohort and seed give the same extracts.
    error_scale : float
        Multiplies every error rate (0 gives clean registers).
    name_errors_by_ethnicity : mapping of str to float
        Multiplier of the name-error rates by ethnic group (others: 1).
    reference_date : str, optional
        The date ages are taken at for the truth's age band (default: the
        cohort's last day).
    """

    seed: int = 0
    error_scale: float = 1.0
    name_errors_by_ethnicity: Mapping[str, float] = field(default_factory=lambda: {
        "White": 1.0, "Mixed": 1.5, "Asian": 3.0, "Black": 3.0, "Other": 3.0})
    reference_date: str | None = None


@dataclass
class AgencyExtracts:
    """Each agency's tables keyed by its own local ids, and the truth kept apart.

    ``tables[agency][table]`` is a canonical table whose ``person_id`` is the
    agency's local id (``people`` also holds first_name, surname, sex, postcode);
    ``truth`` has one row per register entry: record_id (the local id), agency,
    person_id (the true person), sex, ethnicity, age_band.
    """

    tables: dict[str, dict[str, pd.DataFrame]]
    truth: pd.DataFrame

    def stacked(self) -> dict[str, pd.DataFrame]:
        """Every agency's tables stacked into one per table (local ids kept),
        dates of birth parsed as the agencies wrote them (day first, mixed
        formats): the input a linkage takes."""
        stacked: dict[str, list[pd.DataFrame]] = {}
        for tables in self.tables.values():
            for name, df in tables.items():
                stacked.setdefault(name, []).append(df)
        frames = {k: pd.concat(v, ignore_index=True) for k, v in stacked.items()}
        frames["people"]["date_of_birth"] = pd.to_datetime(
            frames["people"]["date_of_birth"], format="mixed", dayfirst=True)
        return frames


def make_agencies(tables: Mapping[str, pd.DataFrame],
                  config: AgenciesConfig | None = None, *,
                  end: str | None = None) -> AgencyExtracts:
    """Split a cohort's canonical tables into the agencies' own extracts.

    Parameters
    ----------
    tables : mapping of table name to DataFrame
        A synthetic cohort's canonical tables (``generate(...).tables``).
    config : AgenciesConfig, optional
    end : str, optional
        The cohort's last day (``SynthConfig.end``), for the age band.

    Examples
    --------
    >>> from earlysignal.data.synth import SynthConfig, generate
    >>> cohort = generate(SynthConfig(people=200, seed=3))
    >>> ex = make_agencies(cohort.tables, end=cohort.config.end)
    >>> sorted(ex.tables)
    ['police', 'school', 'social_care', 'youth_justice']
    >>> len(ex.tables["school"]["people"]) == 200, ex.truth["person_id"].nunique()
    (True, 200)
    """
    cfg = config or AgenciesConfig()
    rng = np.random.default_rng(cfg.seed)
    who = _identities(tables, cfg, rng, end)
    out: dict[str, dict[str, pd.DataFrame]] = {}
    truth = []
    for name, agency in AGENCIES.items():
        rows = _activity(tables, name)
        held = who.index if name == "school" else pd.Index(sorted(
            set().union(*(set(df["person_id"]) for df in rows.values()))))
        register = _register(who.loc[held], agency, cfg, rng)
        out[name] = {"people": register.drop(columns=["true_id"]),
                     **_rekey(rows, register, rng)}
        truth.append(register[["person_id", "true_id"]].rename(
            columns={"person_id": "record_id", "true_id": "person_id"})
            .assign(agency=name))
    t = pd.concat(truth, ignore_index=True)
    t = t.join(who[["sex", "ethnicity", "age_band"]], on="person_id")
    return AgencyExtracts(out, t[["record_id", "agency", "person_id", "sex",
                                  "ethnicity", "age_band"]])


def _activity(tables: Mapping[str, pd.DataFrame], agency: str
              ) -> dict[str, pd.DataFrame]:
    """The canonical rows an agency holds."""
    out = {}
    for name in ("events", "episodes"):
        df = tables.get(name)
        if df is not None:
            out[name] = df[df["source"] == agency]
    if agency == "school":
        for name in ("periods", "characteristics"):
            if tables.get(name) is not None:
                out[name] = tables[name]
    return {k: v for k, v in out.items() if len(v)}


def _attribute(chars: pd.DataFrame, name: str) -> pd.Series:
    rows = chars[chars["attribute"] == name].sort_values("valid_from")
    return rows.groupby("person_id")["value"].last()


def _identities(tables: Mapping[str, pd.DataFrame], cfg: AgenciesConfig,
                rng: np.random.Generator, end: str | None) -> pd.DataFrame:
    """Each true person's name, full date of birth, sex, postcode and groups."""
    people = tables["people"].set_index("person_id")
    n = len(people)
    chars = tables["characteristics"]
    sex = _attribute(chars, "sex").reindex(people.index)
    sex = sex.fillna(pd.Series(rng.choice(["F", "M"], n), index=people.index))
    given = np.where(sex == "F", rng.choice(GIVEN_F, n, p=GIVEN_F_P),
                     rng.choice(GIVEN_M, n, p=GIVEN_M_P))
    dob = pd.to_datetime(people["date_of_birth"])
    days = dob.dt.days_in_month.to_numpy()
    day = (rng.random(n) * days).astype(int)  # a day within the month of birth
    full = dob + pd.to_timedelta(day, unit="D")
    team = people["team"] if "team" in people else pd.Series("Central", people.index)
    ref = pd.Timestamp(cfg.reference_date or end or dob.max())
    age = (ref - dob).dt.days // 365.25
    return pd.DataFrame({
        "given": given, "family": rng.choice(FAMILY, n, p=FAMILY_P), "dob": full,
        "sex": sex,
        "postcode": [_postcode(rng, _DISTRICT.get(str(t), "QX5")) for t in team],
        "ethnicity": _attribute(chars, "ethnicity").reindex(people.index),
        "age_band": pd.cut(age, [-1, 12, 16, 200],
                           labels=["under 13", "13 to 16", "17 and over"]
                           ).astype(str),
    }, index=people.index)


def _postcode(rng: np.random.Generator, district: str) -> str:
    unit = "".join(rng.choice(list(_UNIT), 2))
    return f"{district} {rng.integers(0, 10)}{unit}"


def _register(who: pd.DataFrame, agency: Agency, cfg: AgenciesConfig,
              rng: np.random.Generator) -> pd.DataFrame:
    """One register entry per person (two for some), with recording errors."""
    twice = rng.random(len(who)) < agency.duplicates * cfg.error_scale
    entries = pd.concat([who, who[twice]]).sort_index(kind="stable")
    ids = rng.choice(10 ** agency.digits, len(entries), replace=False)
    records = [_record(row, agency, cfg, rng) for row in entries.itertuples()]
    out = pd.DataFrame(records, columns=["first_name", "surname", "date_of_birth",
                                         "sex", "postcode"])
    out.insert(0, "person_id", [f"{agency.prefix}{i:0{agency.digits}d}" for i in ids])
    out["true_id"] = entries.index.to_numpy()
    # the register's own order, not the cohort's
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def _record(row: Any, agency: Agency, cfg: AgenciesConfig,
            rng: np.random.Generator) -> list[Any]:
    group = cfg.name_errors_by_ethnicity.get(str(row.ethnicity), 1.0)

    def happens(kind: str) -> bool:
        rate = BASE_RATES[kind] * agency.scale * cfg.error_scale
        return bool(rng.random() < min(1.0, rate * (group if kind in NAME_ERRORS
                                                    else 1.0)))

    given, family, dob = str(row.given), str(row.family), row.dob
    if happens("family_change"):
        family = str(rng.choice(FAMILY, p=FAMILY_P))
    if given in FAMILIAR and happens("familiar"):
        given = str(rng.choice(FAMILIAR[given]))
    if given in VARIANTS and happens("variant"):
        given = str(rng.choice(VARIANTS[given]))
    if family in VARIANTS and happens("variant"):
        family = str(rng.choice(VARIANTS[family]))
    if happens("typo_given"):
        given = _typo(given, rng)
    if happens("typo_family"):
        family = _typo(family, rng)
    if happens("swap"):
        given, family = family, given
    if happens("dob_default"):
        dob = pd.Timestamp(year=dob.year, month=1, day=1)
    elif dob.day <= 12 and dob.day != dob.month and happens("dob_transposed"):
        dob = pd.Timestamp(year=dob.year, month=dob.day, day=dob.month)
    elif happens("dob_typo"):
        dob = dob.replace(day=int(rng.integers(1, dob.days_in_month + 1)))
    home = str(row.postcode)
    postcode: str | None = home
    if rng.random() < agency.moved * cfg.error_scale:
        # most moves stay in the district
        district = home[:3] if rng.random() < 0.6 else str(
            rng.choice(list(_DISTRICT.values())))
        postcode = _postcode(rng, district)
    if happens("missing_postcode"):
        postcode = None
    sex: str | None = str(row.sex)
    if happens("missing_sex"):
        sex = None
    given_out: str | None = given.upper() if agency.upper else given
    if happens("missing_given"):
        given_out = None
    return [given_out, family.upper() if agency.upper else family,
            dob.strftime(agency.date_format), sex, postcode]


def _typo(name: str, rng: np.random.Generator) -> str:
    """One keying slip: a letter replaced, dropped, doubled, or two swapped."""
    if len(name) < 3:
        return name
    i = int(rng.integers(1, len(name) - 1))
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return name[:i] + str(rng.choice(list(_LETTERS))) + name[i + 1:]
    if kind == 1:
        return name[:i] + name[i + 1:]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    return name[:i - 1] + name[i] + name[i - 1] + name[i + 1:]


def _rekey(rows: dict[str, pd.DataFrame], register: pd.DataFrame,
           rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Activity rows under the agency's local ids (a child with two entries has
    rows filed under either)."""
    ids = register.groupby("true_id")["person_id"].agg(list)
    out = {}
    for name, df in rows.items():
        options = ids.reindex(df["person_id"]).to_numpy()
        pick = [o[int(rng.integers(0, len(o)))] for o in options]
        out[name] = df.assign(person_id=pick)
    return out


def write_agencies(extracts: AgencyExtracts, out_dir: str | Path, *,
                   truth_path: str | Path | None = None,
                   extract_date: str | None = None) -> Path:
    """Write each agency's extract as CSV files with a mapping that reads them all.

    The truth goes to ``truth_path`` (default: ``link_truth.csv`` beside, not
    inside, ``out_dir``), so that nothing linking the folder can read it.

    Returns
    -------
    Path
        The ``mapping.yaml`` written in ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from earlysignal.data.synth import SynthConfig, generate
    >>> cohort = generate(SynthConfig(people=100, seed=3))
    >>> d = Path(tempfile.mkdtemp())
    >>> path = write_agencies(make_agencies(cohort.tables), d / "agencies")
    >>> (d / "link_truth.csv").is_file(), path.name
    (True, 'mapping.yaml')
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    spec: dict[str, list[dict[str, Any]]] = {}
    for name, tables in extracts.tables.items():
        agency = AGENCIES[name]
        for table, df in tables.items():
            file = f"{name}_{table}.csv"
            df.to_csv(out / file, index=False)
            spec.setdefault(table, []).append(_source(table, name, file, agency))
    head: dict[str, Any] = {"dayfirst": True}
    if extract_date:
        head["extract_date"] = str(extract_date)[:10]
    text = yaml.safe_dump({**head, "tables": spec}, sort_keys=False, width=88)
    mapping = out / "mapping.yaml"
    mapping.write_text(
        "# Each agency's extract under its own local ids; the people sources carry\n"
        "# the identifying columns that linkage compares (first_name, surname,\n"
        "# date_of_birth, sex, postcode). Synthetic: no record is a real person.\n"
        + text, encoding="utf-8")
    truth = Path(truth_path) if truth_path else out.parent / "link_truth.csv"
    extracts.truth.to_csv(truth, index=False)
    return mapping


def _source(table: str, agency: str, file: str, spec: Agency) -> dict[str, Any]:
    if table == "people":
        return {"file": file, "name": f"{agency} register",
                "columns": {"person_id": "person_id", "date_of_birth": "date_of_birth"},
                "date_format": {"date_of_birth": spec.date_format},
                "extra_columns": ["first_name", "surname", "sex", "postcode"]}
    cols = {"events": ["event_date", "source", "event_type", "value", "recorded_at"],
            "episodes": ["start_date", "end_date", "source", "episode_type",
                         "recorded_at"],
            "periods": ["period_start", "period_end", "measure", "value",
                        "recorded_at"],
            "characteristics": ["attribute", "value", "valid_from", "valid_to"]}
    return {"file": file, "name": f"{agency} {table}", "date_format": "%Y-%m-%d",
            "columns": {"person_id": "person_id", **{c: c for c in cols[table]}}}


def write_cohort_agencies(cohort_dir: str | Path, *, seed: int = 0,
                          config: AgenciesConfig | None = None) -> Path:
    """The agencies' extracts of a cohort written by ``earlysignal synth``:
    ``cohort_dir/agencies`` (extracts and mapping) and ``cohort_dir/link_truth.csv``.

    Examples
    --------
    >>> import tempfile
    >>> from earlysignal.data.synth import SynthConfig, write_cohort
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = write_cohort(SynthConfig(people=60, seed=2), d)
    >>> write_cohort_agencies(d).relative_to(d).as_posix()
    'agencies/mapping.yaml'
    """
    from earlysignal.data import CanonicalTables

    folder = Path(cohort_dir)
    tables = CanonicalTables.read_dir(folder)
    # ages for the truth's age band are taken at the last recorded event
    events = tables.get("events")
    end = str(events["event_date"].max())[:10] if events is not None and len(
        events) else None
    cfg = config or AgenciesConfig(seed=seed)
    return write_agencies(make_agencies(tables, cfg, end=end), folder / "agencies",
                          truth_path=folder / "link_truth.csv")
