"""Name normalisation: the keys under which mentions of one entity meet."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kg.dates import date_key
from kg.resources import Alias, Resources

ARTICLES = frozenset({"the", "a", "an"})
_POSSESSIVE = re.compile(r"['’]s?$")
_DROPPED = re.compile(r"[.'’`]")
_SEPARATORS = re.compile(r"[^\w]+")


def normalize_name(text: str, strip_prefixes: frozenset[str] = frozenset()) -> str:
    """Lower-case, punctuation-free form of a name, without a leading article or listed prefix.

    Accents go ("Aliágas" -> "aliagas"), periods and apostrophes vanish ("U.S." -> "us"), other
    punctuation and hyphens become spaces,
    a possessive ending goes, and leading articles and `strip_prefixes` (normalised word sequences
    such as titles) are dropped as long as a word remains. The function is idempotent.

    >>> normalize_name("the U.S.-Japan Alliance's")
    'us japan alliance'
    >>> normalize_name("Prime Minister Kishida", frozenset({"prime minister"}))
    'kishida'
    """
    text = unicodedata.normalize("NFKD", text).strip()
    text = "".join(c for c in text if not unicodedata.combining(c))  # "Níkos" = "Nikos"
    text = _POSSESSIVE.sub("", unicodedata.normalize("NFKC", text).casefold())
    words = _SEPARATORS.sub(" ", _DROPPED.sub("", text)).split()
    changed = True
    while changed and len(words) > 1:
        changed = False
        if words[0] in ARTICLES:
            words, changed = words[1:], True
            continue
        for size in (3, 2, 1):
            if len(words) > size and " ".join(words[:size]) in strip_prefixes:
                words, changed = words[size:], True
                break
    return " ".join(words)


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

    @classmethod
    def from_resources(cls, resources: Resources) -> "NameRules":
        roles = {normalize_name(a.alias) for a in resources.aliases if a.type == "Role"}
        prefixes = roles | {normalize_name(h) for h in resources.honorifics} | {normalize_name(d) for d in resources.demonyms}
        prefixes |= {normalize_name(a.alias) for a in resources.aliases if a.type == "Place" and len(a.alias) <= 5}
        table: dict[str, Alias] = {}
        for alias in resources.aliases:
            table.setdefault(normalize_name(alias.alias), alias)
            table.setdefault(normalize_name(alias.canonical), Alias(alias.canonical, alias.canonical, alias.type))
        forms: dict[str, set[str]] = {}
        for alias in resources.aliases:
            forms.setdefault(alias.canonical, set()).add(alias.alias)
        return cls(table, {k: frozenset(v) for k, v in forms.items()}, frozenset(prefixes), frozenset(roles),
                   resources.designators, dict(resources.genders), frozenset(),
                   frozenset(h.lower().rstrip(".") for h in resources.honorifics))

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
