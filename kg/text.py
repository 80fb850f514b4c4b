"""Name normalisation shared by relation extraction and entity resolution (neither imports the other)."""

from __future__ import annotations

import re
import unicodedata

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
