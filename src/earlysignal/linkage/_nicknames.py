"""Familiar forms of English given names, so that Billy and William can meet.

Splink's comparison library has no nickname table; its way is an array column of
name forms compared with an array-intersection level. :func:`name_forms` makes
that column: a name and every full name it is a familiar form of.
"""

from __future__ import annotations

from functools import cache

__all__ = ["FAMILIAR_FORMS", "name_forms"]

#: Full name -> familiar forms (lower case). Common English diminutives.
FAMILIAR_FORMS: dict[str, tuple[str, ...]] = {
    "abigail": ("abby", "abbie", "abi", "gail"),
    "alexander": ("alex", "alec", "sandy", "xander", "al"),
    "alexandra": ("alex", "lexi", "lexie", "sandra", "sasha", "ally"),
    "alfred": ("alf", "alfie", "fred", "freddie"),
    "amelia": ("amy", "millie", "mel"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony", "ant"),
    "benjamin": ("ben", "benji", "benny"),
    "catherine": ("cath", "cathy", "kate", "katie", "cat"),
    "charles": ("charlie", "chas", "chuck"),
    "charlotte": ("charlie", "lottie", "lotte"),
    "christopher": ("chris", "kit", "topher"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy"),
    "edward": ("ed", "eddie", "ted", "teddy", "ned"),
    "eleanor": ("ellie", "elle", "nell", "nora"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "bess"),
    "emilia": ("millie", "emmy", "emily"),
    "evelyn": ("evie", "eve"),
    "florence": ("flo", "florrie", "flossie"),
    "frederick": ("fred", "freddie", "freddy"),
    "harrison": ("harry",),
    "henry": ("harry", "hal", "hank"),
    "isaac": ("zac", "ike"),
    "isabel": ("izzy", "bella", "belle"),
    "isabella": ("izzy", "bella", "belle"),
    "isabelle": ("izzy", "bella", "belle"),
    "james": ("jim", "jimmy", "jamie", "jimbo"),
    "jennifer": ("jen", "jenny", "jenni"),
    "jessica": ("jess", "jessie", "jessy"),
    "john": ("jack", "johnny", "jon"),
    "jonathan": ("jon", "jonny", "johnny", "nathan"),
    "joseph": ("joe", "joey", "jo"),
    "joshua": ("josh",),
    "julia": ("jules", "julie"),
    "katherine": ("kate", "katie", "kathy", "kat", "kitty"),
    "kathryn": ("kate", "katie", "kathy"),
    "margaret": ("maggie", "meg", "peggy", "madge", "greta"),
    "matilda": ("tilly", "tilda", "mattie"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mikey", "mick", "micky"),
    "natalia": ("natalie", "nat", "tala"),
    "natalie": ("nat", "nattie"),
    "nicholas": ("nick", "nicky", "nico"),
    "olivia": ("liv", "livvy", "livia", "ollie"),
    "oliver": ("ollie", "olly"),
    "rebecca": ("becky", "becca", "bex"),
    "reuben": ("ruben", "reub"),
    "richard": ("rich", "richie", "rick", "dick"),
    "robert": ("rob", "robbie", "bob", "bobby", "bert"),
    "samantha": ("sam", "sammy", "sammie"),
    "samuel": ("sam", "sammy"),
    "sebastian": ("seb", "bastian"),
    "sophia": ("sophie", "sofia"),
    "stephen": ("steve", "stevie"),
    "theodore": ("theo", "ted", "teddy"),
    "thomas": ("tom", "tommy", "thom"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "vicki", "tori", "vic"),
    "william": ("will", "bill", "billy", "willie", "liam"),
    "zachary": ("zach", "zac", "zack"),
    "mohammed": ("mo",),
    "oluwatobi": ("tobi",),
    "chiamaka": ("amaka",),
    "folake": ("fola",),
}


@cache
def _full_names() -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for full, forms in FAMILIAR_FORMS.items():
        for f in forms:
            out.setdefault(f, set()).add(full)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def name_forms(name: str | None) -> list[str] | None:
    """The name (lower case) and every full name it is a familiar form of.

    Two given names that share a form are the same name written two ways.

    Examples
    --------
    >>> name_forms("billy"), name_forms("william"), name_forms("zara")
    (['billy', 'william'], ['william'], ['zara'])
    >>> set(name_forms("harry")) & set(name_forms("henry"))
    {'henry'}
    """
    if name is None:
        return None
    return sorted({name, *_full_names().get(name, ())})
