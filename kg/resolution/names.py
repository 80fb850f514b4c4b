"""Name normalisation: the keys under which mentions of one entity meet."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.dates import date_key
from kg.resources import Alias, Resources
from kg.text import ARTICLES, normalize_name


def initials(name: str) -> str:
    """Upper-case initials of the capitalised words of a name, hyphenated parts included.

    >>> initials("Self-Defense Forces")
    'SDF'
    """
    return "".join(w[0] for w in re.split(r"[\s\-]+", name) if w[:1].isupper())


@dataclass(frozen=True)
class NameRules:
    """What the resolver knows about names, from the data files."""

    aliases: dict[str, Alias]  # normalised alias -> alias row
    alias_forms: dict[str, frozenset[str]]  # canonical name -> every alias written for it
    person_prefixes: frozenset[str]  # normalised titles, honorifics and demonyms
    role_names: frozenset[str]
    designators: frozenset[str] = frozenset()  # words that may follow a name ("Corporation")
    genders: dict[str, str] = field(default_factory=dict)  # lower-case given name or honorific -> male | female
    #: resolution rules switched off (for measuring each rule's effect: bench/resolution_rules.py)
    off: frozenset[str] = frozenset()
    honorific_words: frozenset[str] = frozenset()  # lower-case honorifics ("mr", "dr", "sir")
    #: words that make a title another post than its head ("shadow", "deputy"): "the foreign secretary"
    #: is not the shadow foreign secretary (data/roles.json "other_post_modifiers")
    other_post_modifiers: frozenset[str] = frozenset()
    #: node types whose descriptions join only an entity named with the description's noun ("the college")
    descriptions_by_name: frozenset[str] = frozenset()
    #: honorifics that are a rank of their own ("Prince Philip"), data/roles.json "rank_honorifics"
    rank_honorifics: frozenset[str] = frozenset()
    #: posts one person holds at a time ("prime minister"), data/roles.json "offices_of_one", and the
    #: portfolio words that make a secretary or minister one ("foreign secretary"), "portfolios"
    offices_of_one: frozenset[str] = frozenset()
    portfolios: frozenset[str] = frozenset()

    def is_office_of_one(self, title: str) -> bool:
        """'the prime minister', 'the foreign secretary': a post one person holds at a time.

        >>> rules = NameRules({}, {}, frozenset(), frozenset(), portfolios=frozenset({"foreign"}))
        >>> rules.is_office_of_one("Foreign Secretary"), rules.is_office_of_one("guitarist")
        (True, False)
        """
        words = normalize_name(title).split()
        if " ".join(words) in self.offices_of_one:
            return True
        return len(words) == 2 and words[0] in self.portfolios and words[1] in ("secretary", "minister")

    @classmethod
    def from_resources(cls, resources: Resources) -> NameRules:
        roles = {normalize_name(a.alias) for a in resources.aliases if a.type == "Role"}
        prefixes = (
            roles | {normalize_name(h) for h in resources.honorifics} | {normalize_name(d) for d in resources.demonyms}
        )
        prefixes |= {normalize_name(a.alias) for a in resources.aliases if a.type == "Place" and len(a.alias) <= 5}
        table: dict[str, Alias] = {}
        for alias in resources.aliases:
            table.setdefault(normalize_name(alias.alias), alias)
            table.setdefault(normalize_name(alias.canonical), Alias(alias.canonical, alias.canonical, alias.type))
        forms: dict[str, set[str]] = {}
        for alias in resources.aliases:
            forms.setdefault(alias.canonical, set()).add(alias.alias)
        return cls(
            table,
            {k: frozenset(v) for k, v in forms.items()},
            frozenset(prefixes),
            frozenset(roles),
            resources.designators,
            dict(resources.genders),
            frozenset(),
            frozenset(h.lower().rstrip(".") for h in resources.honorifics),
            frozenset(w.lower() for w in resources.roles.get("other_post_modifiers", ())),
            resources.nominals_by_name,
            frozenset(w.lower() for w in resources.roles.get("rank_honorifics", ())),
            frozenset(normalize_name(w) for w in resources.roles.get("offices_of_one", ())),
            frozenset(w.lower() for w in resources.roles.get("portfolios", ())),
        )

    def gender(self, name: str) -> str | None:
        """male or female by the honorific or the given name a person's name starts with, else None.

        >>> NameRules({}, {}, frozenset(), frozenset(), genders={"mrs": "female"}).gender("Mrs Doe")
        'female'
        """
        words = name.split()
        return self.genders.get(words[0].lower().rstrip(".")) if words else None

    def alias(self, text: str) -> Alias | None:
        """The alias row a surface form matches, case and punctuation aside."""
        return self.aliases.get(normalize_name(text))

    def person_key(self, text: str) -> str:
        """Titles and nationality dropped, words in a fixed order: "Kishida Fumio" = "Fumio Kishida".

        >>> rules = NameRules({}, {}, frozenset({"prime minister", "japanese"}), frozenset())
        >>> rules.person_key("Japanese Prime Minister Kishida Fumio")
        'fumio kishida'
        """
        return " ".join(sorted(normalize_name(text, self.person_prefixes).split()))

    def key(self, text: str, type_: str) -> str:
        """The name part of a mention's cluster key."""
        if type_ == "Person":
            return self.person_key(text)
        if type_ == "Date":
            return date_key(text) or ""
        return normalize_name(text)


def strip_prefix_words(text: str, prefixes: frozenset[str]) -> str:
    """`text` without leading words that are titles or articles, original case kept.

    >>> strip_prefix_words("U.S. President Joe Biden", frozenset({"us", "president"}))
    'Joe Biden'
    """
    words = text.split()
    while len(words) > 1:
        for size in (3, 2, 1):
            if len(words) > size and normalize_name(" ".join(words[:size])) in prefixes | ARTICLES:
                words = words[size:]
                break
        else:
            break
    return " ".join(words)
