"""Name pools of the synthetic agencies' identity records, with frequencies shaped
like a real register's.

Real registers hold a few very common names and a long tail of rare ones, and how
often two unrelated children share a name is what makes linkage hard or easy. The
pools here are a head of common given and family names (no name says anything
about a person) followed by a long tail built from parts (``Ash`` + ``worth``,
``Ade`` + ``yemi``), drawn with Zipf-Mandelbrot frequencies ``(rank + b) ** -s``
fitted to published name statistics of England and Wales:

- family names (4,000): the most common held by 1.2-1.4% of people (Smith, in
  register counts from 1853 to 1996 tabled by the Guild of One-Name Studies),
  rank 20 by about 0.3%, and two random people sharing a surname with a
  probability of about 0.0019 (Lasker 1983, *Human Biology* 55(2): coefficient
  of relationship by isonymy 0.000482, a quarter of that probability);
- given names (500 per sex): the most common given to about 1.8% of a year's
  boys (Oliver, 6,259 of the 679,106 births of 2017, ONS), rank 100 to about
  0.2% (Ralph, 669), and the top ten holding about 13% of names (ONS, 2012).

A name built from parts has spelling variants where a part has one (``leigh`` for
``ley``, ``mood`` for ``mud``), as transliterated names do, and a built given name
has its first part as a familiar form (Bray for Brayden); the agencies' extracts
use them when they record a name differently. Every name is drawn at random and
combined, so that no record describes a real person.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

__all__ = ["FAMILIAR", "FAMILIAR_SHARE", "FAMILY", "FAMILY_P", "GIVEN_F",
           "GIVEN_F_P", "GIVEN_M", "GIVEN_M_P", "VARIANTS", "VARIANT_SHARE",
           "zipf_mandelbrot"]

#: Pool sizes and Zipf-Mandelbrot shapes (s, b), fitted to the targets above.
GIVEN_SIZE, GIVEN_SHAPE = 500, (0.65, 3.5)
FAMILY_SIZE, FAMILY_SHAPE = 4000, (0.75, 3.0)


def zipf_mandelbrot(n: int, s: float, b: float) -> np.ndarray:
    """Frequencies of ranks 1..n proportional to ``(rank + b) ** -s``.

    Examples
    --------
    >>> p = zipf_mandelbrot(4, 1.0, 0.0)
    >>> [round(float(x), 2) for x in p]
    [0.48, 0.24, 0.16, 0.12]
    """
    p = (np.arange(1, n + 1) + b) ** -s
    return p / p.sum()


_HEAD_M: tuple[str, ...] = (
    "Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas",
    "Oscar", "William", "James", "Henry", "Leo", "Alfie", "Joshua", "Freddie",
    "Archie", "Ethan", "Isaac", "Alexander", "Joseph", "Edward", "Samuel", "Max",
    "Daniel", "Arthur", "Lucas", "Mohammed", "Logan", "Theo", "Harrison", "Benjamin",
    "Mason", "Sebastian", "Finley", "Adam", "Dylan", "Zachary", "Riley", "Teddy",
    "Matthew", "Christopher", "Michael", "Robert", "Nicholas", "Jonathan", "Anthony",
    "Kai", "Reuben", "Yusuf", "Ibrahim", "Ali", "Omar", "Hamza", "Ayaan", "Arjun",
    "Rohan", "Dev", "Kwame", "Kofi", "Chidi", "Emeka", "Tobi", "Segun", "Tyrone",
    "Marcus", "Jayden", "Tyler", "Kacper", "Jakub", "Mateusz", "Filip", "Luca",
    "Mihai", "Andrei", "Bilal", "Imran", "Hassan", "Tariq", "Faisal", "Aaron",
)
_HEAD_F: tuple[str, ...] = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie",
    "Sophia", "Grace", "Willow", "Freya", "Florence", "Emily", "Ella", "Poppy",
    "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Sofia", "Daisy", "Phoebe",
    "Sophie", "Alice", "Harper", "Matilda", "Ruby", "Emilia", "Maya", "Millie",
    "Isabelle", "Eleanor", "Elizabeth", "Katherine", "Rebecca", "Jessica",
    "Samantha", "Victoria", "Abigail", "Margaret", "Jennifer", "Alexandra",
    "Aisha", "Fatima", "Maryam", "Zainab", "Amina", "Khadija", "Hafsa", "Priya",
    "Ananya", "Divya", "Simran", "Chiamaka", "Adaeze", "Ngozi", "Folake",
    "Abena", "Esi", "Shanice", "Jade", "Precious", "Zuzanna", "Julia", "Natalia",
    "Maja", "Oliwia", "Ioana", "Elena", "Noor", "Layla", "Yasmin", "Sana", "Hana",
)
_HEAD_FAMILY: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker",
    "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke",
    "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan",
    "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams",
    "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
    "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen",
    "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Ahmed", "Rahman", "Chowdhury", "Mahmood", "Iqbal", "Akhtar", "Shah", "Kaur",
    "Sharma", "Gill", "Okafor", "Adeyemi", "Mensah", "Okoye", "Boateng", "Osei",
    "Nwosu", "Abubakar", "Mohamed", "Nowak", "Kowalski", "Wisniewski", "Popescu",
    "Nguyen", "Tran", "Chen", "Wong", "Yilmaz", "Demir", "Ibrahim", "Abdi",
    "Warsame", "Farah", "Hassan", "Osman",
)
#: Spellings a name is also recorded under (transliterations and common variants).
_HEAD_VARIANTS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad"), "Yusuf": ("Yousef", "Yusef"),
    "Ibrahim": ("Ebrahim", "Ibraheem"), "Hamza": ("Hamzah",), "Ali": ("Aly",),
    "Omar": ("Umar",), "Hassan": ("Hasan",), "Tariq": ("Tarik",),
    "Faisal": ("Faysal",), "Bilal": ("Belal",), "Ayaan": ("Ayan",),
    "Aisha": ("Ayesha", "Aysha"), "Fatima": ("Fatimah", "Fatema"),
    "Maryam": ("Mariam", "Miriam"), "Zainab": ("Zaynab",), "Amina": ("Aminah",),
    "Khadija": ("Khadijah", "Khadeeja"), "Noor": ("Nur",), "Layla": ("Laila",),
    "Yasmin": ("Yasmine", "Jasmin"), "Sana": ("Sanaa",), "Hafsa": ("Hafsah",),
    "Priya": ("Preya",), "Simran": ("Simranjit",), "Divya": ("Divia",),
    "Chiamaka": ("Chiamaka-Grace",), "Adaeze": ("Adaezeh",), "Ngozi": ("Ngozie",),
    "Abena": ("Abenaa",), "Esi": ("Essie",), "Kwame": ("Kwamé",),
    "Kofi": ("Koffi",), "Chidi": ("Chidiebere",), "Emeka": ("Chukwuemeka",),
    "Segun": ("Olusegun",), "Tobi": ("Oluwatobi",),
    "Zuzanna": ("Zuzana",), "Mateusz": ("Matthew",), "Jakub": ("Jacob",),
    "Oliwia": ("Olivia",), "Ioana": ("Joana",), "Mihai": ("Michael",),
    "Khan": ("Kahn",), "Begum": ("Begom",), "Chowdhury": ("Choudhury", "Chaudhry"),
    "Mahmood": ("Mahmud", "Mehmood"), "Rahman": ("Rehman",), "Ahmed": ("Ahmad",),
    "Hussain": ("Hussein", "Husain"), "Mohamed": ("Mohammed",),
    "Iqbal": ("Ikbal",), "Akhtar": ("Akhter",), "Adeyemi": ("Adeyemmi",),
    "Okafor": ("Okafo",), "Boateng": ("Boatang",), "Nwosu": ("Nwosuh",),
    "Abubakar": ("Abubakr", "Abu Bakar"), "Abdi": ("Abdee",),
    "Warsame": ("Warsama",), "Osman": ("Othman",),
    "Kowalski": ("Kowalsky",), "Wisniewski": ("Wisnewski",),
    "Nguyen": ("Nguyễn", "Ngyuen"), "Tran": ("Trần",), "Yilmaz": ("Yılmaz",),
    "Demir": ("Demirr",), "Popescu": ("Popesku",),
}
#: Familiar forms a given name is also recorded under.
_HEAD_FAMILIAR: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Billy", "Bill"), "James": ("Jamie", "Jim"),
    "Thomas": ("Tom", "Tommy"), "Joseph": ("Joe", "Joey"), "Samuel": ("Sam",),
    "Benjamin": ("Ben", "Benji"), "Alexander": ("Alex", "Xander"),
    "Daniel": ("Dan", "Danny"), "Edward": ("Ed", "Eddie", "Ted"),
    "Matthew": ("Matt",), "Christopher": ("Chris",), "Michael": ("Mike", "Mikey"),
    "Robert": ("Rob", "Bobby", "Robbie"), "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Jonny"), "Anthony": ("Tony", "Ant"),
    "Harrison": ("Harry",), "Zachary": ("Zach", "Zac"), "Sebastian": ("Seb",),
    "Theo": ("Theodore",), "Freddie": ("Fred",), "Alfie": ("Alf",),
    "Joshua": ("Josh",), "Isaac": ("Zac",), "Reuben": ("Ruben",),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"), "Katherine": ("Kate", "Katie",
                                                                 "Kathy"),
    "Rebecca": ("Becky", "Becca"), "Jessica": ("Jess", "Jessie"),
    "Samantha": ("Sam", "Sammy"), "Victoria": ("Vicky", "Tori"),
    "Abigail": ("Abby", "Abi"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Jennifer": ("Jenny", "Jen"), "Alexandra": ("Alex", "Lexi", "Sasha"),
    "Isabella": ("Bella", "Izzy"), "Isabelle": ("Izzy", "Belle"),
    "Eleanor": ("Ellie", "Nell"), "Charlotte": ("Charlie", "Lottie"),
    "Amelia": ("Millie", "Amy"), "Emilia": ("Millie", "Emmy"),
    "Florence": ("Flo", "Florrie"), "Matilda": ("Tilly", "Tilda"),
    "Olivia": ("Liv", "Livvy"), "Sophia": ("Sophie",), "Phoebe": ("Phoebs",),
    "Evelyn": ("Evie",), "Natalia": ("Natalie", "Tala"), "Julia": ("Jules",),
    "Mohammed": ("Mo",), "Chiamaka": ("Amaka",), "Folake": ("Fola",),
    "Oluwatobi": ("Tobi",), "Emeka": ("Meka",), "Ibrahim": ("Ibby",),
}


# Parts of built names: each part may carry spellings it is also written with.
_Part = tuple[str, tuple[str, ...]]


def _parts(text: str) -> list[_Part]:
    """``"ley/leigh/lee ton"`` -> [("ley", ("leigh", "lee")), ("ton", ())]."""
    out = []
    for token in text.split():
        main, *alts = token.split("/")
        out.append((main, tuple(alts)))
    return out


_BOY_START = _parts(
    "Bray Jax Kay Ry/Rye Ty/Tye Bro Cal/Kal Dar Ez Fin/Fyn Gray/Grey Har Jay/Jae Kol/Col "
    "Lan Mav Nol Ren Rhy/Ry Sol Zan Ar Ed Kir/Keer Mal Ro Ash Dex Jud Bren Cor/Kor Dal "
    "Gar Hay Jen Kel Lor Mar Nev Per Ros Tam Vin Wes Zay/Zai Arl Ban Cas/Kas Dom")
_BOY_END = _parts(
    "den/don/dyn ley/leigh/lee son/sen ton lan/len ric/rick/rik vin/vyn ian/ean o "
    "ius/ious an/en el/elle ik/ick as/us wyn/win")
_GIRL_START = _parts(
    "Ara Bel/Bell Cal/Kal Dai/Day Eli/Ely Fay/Fae Gra Hal Isa/Iza Jes Kay/Kai Lil/Lyl "
    "Mai/May Nay Ori Pai/Pay Ros/Roz Sky/Ski Tay/Tai Zar Ame/Ami Ev Lo Mir/Myr Sa Ye "
    "Ne Ri/Ry Ju Ali/Aly Bri/Bry Car/Kar Del Emm/Em Flo Gem Hol Ima Jo Lei/Ley Mel")
_GIRL_END = _parts(
    "la/lah lyn/lynn/lin na/nah ra/rah ssa/sa ya/iya lie/ly/lee ne/nne ah/a "
    "ette/et ia/iya by/bie sha/sia ley/leigh rie/ry")
_FAMILY_STYLES: tuple[tuple[str, str], ...] = (
    # English places and features
    ("Ash Black Brad Brook Bur Cal Car Chad Clay Cole Crom Dal Dun East Eld Far Fen "
     "Fox Gold Green Hal Har Hart Hay Heath Hol Kings Lang Lock Mar Mid Mill Moss New "
     "North Oak Pen Rad Red Rock Rose Roth Rush Sand Shel South Stan Stock Stone Sut "
     "Thorn Wal War Wes Whit Wick Win Wood Wor Al Bar Bel Bir Bram Cran Ded Elm Fair "
     "Gill Haw Ing Kel Lud Mors Nor Pit Ray Sel Tur Up Wen Yar Ab Ac Ap Bax Bid Brom "
     "Cad Chel Cot Dray Ever Frog Glad Hen Ick Kim Lay Mel Ox Pem Quen Rid Sher Tad",
     "by/bie den/don field ford/forde gate ham hurst/hirst ington land ley/leigh/lee "
     "low/lowe more/moor ridge/rigg stead/sted ston/stone ton well/wel wick/wyck "
     "win/wyn wood worth/wurth combe/coombe hill dale/dail bury/berry cott/cot"),
    # patronymics and occupations
    ("Ander Bar Bell Bow Carr Coll Dav Ell Gib Hank Jenk Dick Hodg Mat Rob Sim Wat Wil "
     "Per Rich Ste Tom Ald Bart Ed Fel Gil Har Jack Lamb Nel Pat Ral Sand Wal",
     "son/sen s ins/ens kins/kens ett/et er/or man/mann ers ley/lee ings"),
    # Gaelic
    ("Mac/Mc", "Allister/Alister Bride Cann Carthy/Cartney Donald Dowell/Dougal "
     "Farlane Gregor/Greggor Intyre/Entire Kay/Kie Kenzie/Kenzy Lean/Lane Leod/Cloud "
     "Millan/Milan Namara Neil/Neill Pherson/Fearson Quarrie Ginn Gowan Keown Laren"),
    # South Asian
    ("Rah Ah Mah/Meh Qur/Kur Sid Chow/Chou Haq/Huq Bux/Bakhsh Shar Mal Ver Kap Chan Dhil "
     "Sand Bhat/Bat Pat Des Jos Mir/Meer Naz Raz Sai/Say Taj Wah Zam Jam Kar Laq Nad",
     "man/mann med/mad mood/mud eshi/eshy iqui/iqi dhury/dhry oor/ur ani/aani ma "
     "hotra/hotrah ak ur/oor ra lon hu el/al ai/ay hi/hee za/zah"),
    # West African
    ("Ade Ola/Olla Olu Oke Chu Nwa Obi/Obby Ama Kwa Ase Ogun/Ogoun Ayo Eze Ibe Oni Owu "
     "Aki/Akki Bade Fola Ige Oye Uche Nna/Na Ebi",
     "yemi/yemmi wale/walle bayo kwu/kwuh nna/na deji toye sola femi mide/midé "
     "nte ke/keh chi/chie ogu/ogwu"),
    # Central and Eastern European
    ("Kowal Nowak Wis Lewand Zielin Szyman/Shyman Wozni Kaminsk Dabrow Kozlow Jank "
     "Mazur Krawcz Piotrow Grabow Pavl/Pawl Pop Ivan Petr/Piotr Dimitr Mihail Rad "
     "Stan Vasil/Wasyl Bog",
     "ski/sky ska czyk/chyk ewicz/evich/ewich escu/esku enko/enco ova ovic/ovich/ovitch "
     "iak/yak"),
)


def _built(starts: list[_Part], ends: list[_Part]
           ) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every start + end: name -> (its first part, its other spellings)."""
    out = {}
    for (a, alt_a), (b, alt_b) in itertools.product(starts, ends):
        name = a + b
        spellings = {x + y for x in (a, *alt_a) for y in (b, *alt_b)} - {name}
        out[name] = (a, tuple(sorted(spellings)))
    return out


def _pool(head: tuple[str, ...], built: dict[str, tuple[str, tuple[str, ...]]],
          size: int, seed: int) -> tuple[str, ...]:
    """The head, then built names in a fixed random order, ``size`` in all."""
    taken = {h.lower() for h in head}
    tail = [n for n in built if n.lower() not in taken]
    order = np.random.default_rng(seed).permutation(len(tail))
    return head + tuple(tail[i] for i in order[: size - len(head)])


_BOYS = _built(_BOY_START, _BOY_END)
_GIRLS = _built(_GIRL_START, _GIRL_END)
_SURNAMES: dict[str, tuple[str, tuple[str, ...]]] = {}
for _starts, _ends in _FAMILY_STYLES:
    _SURNAMES.update(_built(_parts(_starts), _parts(_ends)))

#: Given names by sex, most frequent first, and their frequencies.
GIVEN_M: tuple[str, ...] = _pool(_HEAD_M, _BOYS, GIVEN_SIZE, seed=1)
GIVEN_F: tuple[str, ...] = _pool(_HEAD_F, _GIRLS, GIVEN_SIZE, seed=2)
GIVEN_M_P = zipf_mandelbrot(len(GIVEN_M), *GIVEN_SHAPE)
GIVEN_F_P = zipf_mandelbrot(len(GIVEN_F), *GIVEN_SHAPE)
#: Family names, most frequent first, and their frequencies.
FAMILY: tuple[str, ...] = _pool(_HEAD_FAMILY, _SURNAMES, FAMILY_SIZE, seed=3)
FAMILY_P = zipf_mandelbrot(len(FAMILY), *FAMILY_SHAPE)


#: Share of people whose name has another spelling, and whose given name has a
#: familiar form, as in the short lists these pools replaced: the agencies'
#: variant and familiar-form rates apply to such names only, so keeping the
#: shares keeps the rates at which those differences are recorded.
VARIANT_SHARE = {"given": 0.27, "family": 0.21}
FAMILIAR_SHARE = 0.34


def _some(pool: tuple[str, ...], p: np.ndarray, head: Mapping[str, tuple[str, ...]],
          offer: Mapping[str, tuple[str, ...]], share: float, seed: int
          ) -> dict[str, tuple[str, ...]]:
    """``head``'s entries for the pool, then built names' ``offer``s drawn at
    random until their people reach ``share`` of the pool's frequency."""
    freq = dict(zip(pool, p, strict=True))
    out = {n: head[n] for n in pool if n in head}
    held = sum(freq[n] for n in out)
    for i in np.random.default_rng(seed).permutation(len(pool)):
        name = pool[i]
        if held >= share:
            break
        if name not in out and offer.get(name):
            out[name] = offer[name]
            held += freq[name]
    return out


def _variants() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for pool, p, built, share, seed in (
            (GIVEN_M, GIVEN_M_P, _BOYS, VARIANT_SHARE["given"], 4),
            (GIVEN_F, GIVEN_F_P, _GIRLS, VARIANT_SHARE["given"], 5),
            (FAMILY, FAMILY_P, _SURNAMES, VARIANT_SHARE["family"], 6)):
        offer = {n: v[1] for n, v in built.items()}
        out.update({k: v for k, v in _some(pool, p, _HEAD_VARIANTS, offer, share,
                                           seed).items() if k not in out})
    return out


def _familiar() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for pool, p, built, seed in ((GIVEN_M, GIVEN_M_P, _BOYS, 7),
                                 (GIVEN_F, GIVEN_F_P, _GIRLS, 8)):
        offer = {n: (v[0],) for n, v in built.items() if len(v[0]) >= 3}
        out.update(_some(pool, p, _HEAD_FAMILIAR, offer, FAMILIAR_SHARE, seed))
    return out


#: Spellings a name is also recorded under (transliterations and variants).
VARIANTS: dict[str, tuple[str, ...]] = _variants()
#: Familiar forms a given name is also recorded under.
FAMILIAR: dict[str, tuple[str, ...]] = _familiar()
