"""Stage 4: entity resolution, after relation extraction (whose titles it reads). Mentions -> one Entity per thing.

Within a document, mentions meet under a cluster key built from their normalised name or the alias
data, then shorter forms join longer ones (a surname, an acronym, a pronoun). Across documents,
clusters with the same key are the same entity; a lone surname never crosses a document boundary
unless the document itself ties it to a full name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from kg.model import Assignment, Document, Entity, Mention
from kg.resolution.names import NameRules, initials, normalize_name, strip_prefix_words

PRONOUN_WINDOW = 3  # sentences back in which a pronoun looks for its antecedent
_ACRONYM_AFTER = re.compile(r"\s*\(\s*([A-Z][A-Za-z&]*[A-Z])\s*\)")
#: what stands between a name and another name of the same thing: "Chennai (Madras)", "Jay-Z, also
#: known as Shawn Carter", "Bedwellty (later Islwyn)", "Yuganskneftegas (Yugansk)"
_OTHER_NAME_BETWEEN = re.compile(
    r"\s*(?:\(\s*(?:formerly|later|now|aka|also known as|known as)?\s*"
    r"|,?\s*(?:also |better |formerly |previously |now )?known as\s+"
    r"|,?\s*(?:aka|a\.k\.a\.)\s+)",
    re.IGNORECASE,
)


def _key(type_: str, name: str) -> str:
    return f"{type_}|{name}"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x"


def entity_id(key: str) -> str:
    """The stable node id of a cluster key: "Person|fumio kishida" -> "person/fumio-kishida"."""
    type_, _, name = key.partition("|")
    return f"{type_.lower()}/{_slug(name)}"


def resolve_document(
    document: Document, mentions: Iterable[Mention], rules: NameRules, titles: Iterable[tuple[Mention, str]] = ()
) -> list[Assignment]:
    """Cluster the mentions of one document. Unresolved pronouns and descriptions are left out.

    `titles` are (person mention, title) pairs the text prints ("Foreign Secretary Jack Straw"):
    a title used alone later ("the foreign secretary said") joins that person.
    """
    ordered = sorted(mentions, key=lambda m: (m.start, m.end))
    named = [m for m in ordered if m.label not in ("PRON", "NOMINAL")]
    assigned: dict[Mention, Assignment] = {}
    for m in named:
        if m.type == "Document":
            assigned[m] = Assignment(m, _key("Document", document.id), "document")
        elif (alias := rules.alias(m.text)) is not None and (alias.type == m.type or m.type not in ("Person", "Date")):
            assigned[m] = Assignment(m, _key(alias.type, normalize_name(alias.canonical)), "alias")
        elif name := rules.key(m.text, m.type):
            rule = (
                "name order"
                if m.type == "Person" and name != " ".join(normalize_name(m.text, rules.person_prefixes).split())
                else "same name"
            )
            assigned[m] = Assignment(m, _key(m.type, name), rule)
    on = lambda rule: rule not in rules.off  # noqa: E731
    if on("one type"):
        _unify_types(assigned, rules)
    if on("acronym"):
        _link_acronyms(document, assigned)
    if on("other name"):
        _link_other_names(document, assigned)
    if on("partial name"):
        _link_partial_names(assigned, rules)
    if on("shorter name"):
        _link_shorter_names(assigned, rules)
    if on("organisation's first word"):
        _link_organisation_first_words(assigned, rules)
    descriptions = [
        m for m in ordered if m.label == "NOMINAL" and on("title used alone" if m.type == "Person" else "description")
    ]
    _link_descriptions(descriptions, named, assigned, list(titles), rules)
    if on("pronoun"):
        _link_pronouns([m for m in ordered if m.label == "PRON"], named, assigned, rules, document.text)
    return list(assigned.values())


_UNIFIED = ("Person", "Organization", "Place")


def _unify_types(assigned: dict[Mention, Assignment], rules: NameRules) -> None:
    """One type per name in a document, by evidence: a name the model tagged a person here and an
    organisation there ("Argonaut"), or an organisation and a place ("Gibraltar"), takes the type
    most of its mentions have, where a gazetteer entry counts five and an honorific ("Mr") three
    for Person; a tie between a person and an organisation goes to the organisation unless a mention
    is a given name and a surname ("Universal"). A person and a place of one name stay apart."""
    groups: dict[str, list[Assignment]] = defaultdict(list)
    for a in assigned.values():
        type_ = a.key.partition("|")[0]
        if type_ in _UNIFIED and a.mention.type in _UNIFIED:
            groups[normalize_name(a.mention.text, rules.person_prefixes)].append(a)
    for group in groups.values():
        votes: Counter[str] = Counter()
        for a in group:
            type_ = a.key.partition("|")[0]
            honorific = type_ == "Person" and a.mention.text.split()[0].lower().rstrip(".") in rules.honorific_words
            votes[type_] += 5 if a.rule == "alias" else 3 if honorific else 1
        if len(votes) < 2 or {"Person", "Place"} <= set(votes):
            continue  # a person and a place may share a name ("Washington crossed ... met in Washington")
        # among equals, an organisation where no mention is a given name and a surname ("Universal")
        full_name = any(len(words := a.mention.text.split()) > 1 and words[0].lower() in rules.genders for a in group)
        person_or_organisation = set(votes) == {"Person", "Organization"}
        winner = max(
            votes, key=lambda t: (votes[t], t == "Organization" and person_or_organisation and not full_name, t)
        )
        for a in group:
            if a.key.partition("|")[0] != winner and (name := rules.key(a.mention.text, winner)):
                assigned[a.mention] = Assignment(a.mention, _key(winner, name), f"one type in the document ({winner})")


def _link_other_names(document: Document, assigned: dict[Mention, Assignment]) -> None:
    """ "Chennai (Madras)", "Jay-Z, also known as Shawn Carter", "Bedwellty (later Islwyn)": the name in
    parentheses or after "known as" is another name of the entity just before it (same type)."""
    by_start = {m.start: m for m in assigned}
    ordered = sorted(assigned, key=lambda m: m.start)
    for m in ordered:
        if m.type not in ("Person", "Organization", "Place", "Event"):
            continue
        between = _OTHER_NAME_BETWEEN.match(document.text, m.end)
        if between is None or between.end() == m.end:
            continue
        other = by_start.get(between.end())
        if other is None or other.type != m.type or other is m:
            continue
        if between.group(0).strip().startswith("(") and not document.text.startswith(")", other.end):
            continue
        target, old = assigned[m].key, assigned[other].key
        for n, a in list(assigned.items()):
            if a.key == old and old != target:
                assigned[n] = Assignment(n, target, "other name")


def _link_acronyms(document: Document, assigned: dict[Mention, Assignment]) -> None:
    """ "Self-Defense Forces (SDF)" and a bare "SDF" whose letters are a longer name's initials."""
    long_forms: dict[str, Assignment] = {}
    for a in assigned.values():
        m = a.mention
        if m.type in ("Organization", "Place", "Event") and " " in m.text.strip():
            if match := _ACRONYM_AFTER.match(document.text, m.end):
                long_forms.setdefault(match.group(1), a)
            long_forms.setdefault(initials(m.text), a)
    for m, a in list(assigned.items()):
        short = m.text.strip()
        if (
            a.rule != "alias"
            and short.isupper()
            and 2 <= len(short) <= 8
            and (target := long_forms.get(short.replace(".", "")))
        ):
            if target.mention is not m:
                assigned[m] = Assignment(m, target.key, "acronym")


def _words(a: Assignment, rules: NameRules) -> list[str]:
    prefixes = rules.person_prefixes if a.mention.type == "Person" else frozenset()
    return normalize_name(a.mention.text, prefixes).split()


def _relink(assigned: dict[Mention, Assignment], target: dict[str, str], rule_of: dict[str, str]) -> None:
    """Move every mention of a key in `target` to the key it points to (following chains)."""

    def final(key: str) -> str:
        seen = set()
        while key in target and key not in seen:
            seen.add(key)
            key = target[key]
        return key

    for m, a in list(assigned.items()):
        if a.key in target:
            assigned[m] = Assignment(m, final(a.key), rule_of[a.key])


def _unique_targets(short: dict[str, list[str]], long: dict[str, list[str]], fits) -> dict[str, str]:
    """Each short key that fits exactly one long key (longest names first, so chains resolve)."""
    target: dict[str, str] = {}
    for key, words in sorted(short.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        candidates = {target.get(k, k) for k, w in long.items() if k != key and fits(words, w)}
        if len(candidates) == 1:
            target[key] = candidates.pop()
    return target


def _link_partial_names(assigned: dict[Mention, Assignment], rules: NameRules) -> None:
    """A surname, a given name or a shorter form joins the one fuller name of the document it fits:
    "Angell" and "Henrik Angell" join "Henrik August Angell"; never when two people share it."""
    names = {a.key: _words(a, rules) for a in assigned.values() if a.mention.type == "Person" and a.rule != "alias"}
    names = {k: w for k, w in names.items() if w}
    target = _unique_targets(names, names, _fits)
    rule_of = {k: "surname" if len(names[k]) == 1 else "part of full name" for k in target}
    _relink(assigned, target, rule_of)


def _fits(short: list[str], long: list[str]) -> bool:
    """A person's shorter name: one word that is the first or last of the long name, or the same
    last word with the given names equal or initials of them ("Henrik Angell" and "J. H. Dearle" in
    "Henrik August Angell" and "John Henry Dearle")."""
    if len(short) > len(long) or short[-1] != long[-1] and len(short) > 1:
        return False
    if (
        1 < len(short) < len(long)
        and long[-len(short) :] == short
        and len(short[0]) > 1
        and not set(short[:-1]) & set(long[: -len(short)])
    ):
        return True  # a surname of several words: "Mohd Saaid" in "Ainum Mohd Saaid"
    if len(short) == 1:
        return len(long) > 1 and short[0] in (long[0], long[-1])
    given, long_given = short[:-1], long[:-1]
    if all(len(w) == 1 for w in given):
        return any(len(g) > 1 for g in long_given) and all(w == g[0] for w, g in zip(given, long_given))
    return len(short) < len(long) and given[0] == long_given[0]


#: types whose shorter name may be the longer name's head ("the Court", "the Games")
_HEAD_NAMED = ("Organization", "Event")


def _link_shorter_names(assigned: dict[Mention, Assignment], rules: NameRules) -> None:
    """ "Supreme Court" joins "United States Supreme Court" (the name's head: organisations and events)
    and "US Airways" joins "US Airways Group Inc." (only designators follow: any type),
    where one longer name of the same type in the document fits. A place is never joined by its
    head: "Pittsburgh" is not the "Roman Catholic Diocese of Pittsburgh"."""
    for type_ in ("Organization", "Place", "Event", "Concept"):
        names = {a.key: _words(a, rules) for a in assigned.values() if a.mention.type == type_ and a.rule != "alias"}
        names = {k: w for k, w in names.items() if w and k.startswith(type_ + "|")}

        def fits(short: list[str], long: list[str], type_: str = type_) -> bool:
            if len(short) >= len(long):
                return False
            if type_ in _HEAD_NAMED and long[-len(short) :] == short:
                return True
            return long[: len(short)] == short and all(w in rules.designators for w in long[len(short) :])

        target = _unique_targets(names, names, fits)
        _relink(assigned, target, {k: "shorter name" for k in target})


def _link_organisation_first_words(assigned: dict[Mention, Assignment], rules: NameRules) -> None:
    """A one-word "person" that no person of the document fits, is no given name and never follows an
    honorific, is the organisation whose name it starts where exactly one does: the model's
    "Santander" is "Santander Central Hispano", its "Argonaut" is "Argonaut Games"."""
    people: dict[str, list[str]] = {}
    honorific_keys = set()
    for a in assigned.values():
        if (
            a.mention.type == "Person"
            and a.rule not in ("alias", "surname", "part of full name")
            and a.key.startswith("Person|")
        ):
            words = _words(a, rules)
            if len(words) == 1 and words[0] not in rules.genders:
                people[a.key] = words
            if a.mention.text.split()[0].lower().rstrip(".") in rules.honorific_words:
                honorific_keys.add(a.key)
    people = {k: w for k, w in people.items() if k not in honorific_keys}
    organisations = {a.key: _words(a, rules) for a in assigned.values() if a.key.startswith("Organization|")}
    organisations = {k: w for k, w in organisations.items() if len(w) > 1}
    target = _unique_targets(people, organisations, lambda short, long: long[0] == short[0])
    _relink(assigned, target, {k: "first word of an organisation's name" for k in target})


#: the gender a pronoun asks of its antecedent
PRONOUN_GENDER = {
    "he": "male",
    "him": "male",
    "his": "male",
    "himself": "male",
    "she": "female",
    "her": "female",
    "hers": "female",
    "herself": "female",
}


def _sentence_index(mentions: Iterable[Mention]) -> dict[int, int]:
    return {start: i for i, start in enumerate(sorted({m.sent_start for m in mentions}))}


def _link_descriptions(
    descriptions: list[Mention],
    named: list[Mention],
    assigned: dict[Mention, Assignment],
    titles: list[tuple[Mention, str]],
    rules: NameRules,
) -> None:
    """A title used alone ("the foreign secretary") joins the person the document gives that title
    (not the shadow foreign secretary: words of `rules.other_post_modifiers` make another post), the
    nearest before it (else after it). "The college" joins the one organisation named before it with
    "college" in its name ("Fife College"); failing that, "the company" joins the organisation the
    document has named most so far (news keeps to its main company), unless the data files ask for
    the name only (`rules.descriptions_by_name`). Never across types."""
    other_post = rules.other_post_modifiers
    titled = [(p, set(normalize_name(t).split())) for p, t in titles if p in assigned]
    # no candidates for an office nobody is given: people given a title, or a rank of their own
    title_holders = {assigned[p].key for p, _ in titled} | {
        a.key for a in assigned.values() if a.mention.text.split()[0].lower() in rules.rank_honorifics
    }
    for d in descriptions:
        if d.type == "Person":
            words = set(normalize_name(d.text).split())
            holders = [p for p, title in titled if words and words <= title and not (title - words) & other_post]
            before = [p for p in holders if p.start < d.start]
            after = [p for p in holders if p.start > d.end]
            chosen = (
                max(before, key=lambda p: p.start) if before else min(after, key=lambda p: p.start) if after else None
            )
            if chosen is not None:
                assigned[d] = Assignment(d, assigned[chosen].key, "title used alone")
            elif (
                not holders and rules.is_office_of_one(d.text) and "office of the one untitled person" not in rules.off
            ):
                untitled = _untitled_people_before(d, named, assigned, title_holders)
                if len(untitled) == 1:
                    assigned[d] = Assignment(d, untitled.pop(), "office of the one untitled person")
            continue
        earlier = [m for m in named if m.type == d.type and m.end <= d.start and m in assigned]
        noun = normalize_name(d.text).split()[-1:]
        by_name = {assigned[m].key for m in earlier if noun and noun[0] in normalize_name(m.text).split()}
        if len(by_name) == 1 and "description by name" not in rules.off:
            assigned[d] = Assignment(d, by_name.pop(), "description by name")
        elif (
            earlier and d.type not in rules.descriptions_by_name
        ):  # the most-named so far; among equals, the one named last
            counts = Counter(assigned[m].key for m in earlier)
            last = {assigned[m].key: m.start for m in earlier}
            assigned[d] = Assignment(d, max(counts, key=lambda k: (counts[k], last[k])), "description")


UNTITLED_WINDOW = 2  # sentences back in which a title nobody holds looks for its person


def _untitled_people_before(
    description: Mention, named: list[Mention], assigned: dict[Mention, Assignment], titled: set[str]
) -> set[str]:
    """The people named in the description's sentence or the two before it whom the document gives
    no title, when they are named in full and named most so far (the person the story is about):
    "Tony Blair is urging leaders ... the prime minister said" (President Bush, titled, is not a
    candidate; nor "Prince Philip", whose honorific is a rank of its own)."""
    sentence_index = _sentence_index([*named, description])
    here = sentence_index[description.sent_start]
    near = {
        assigned[m].key
        for m in named
        if m.type == "Person"
        and m in assigned
        and here - sentence_index[m.sent_start] <= UNTITLED_WINDOW
        and m.end <= description.start
        and assigned[m].key not in titled
    }
    in_full = {a.key for a in assigned.values() if len(a.mention.text.split()) > 1}
    counts = Counter(
        a.key for a in assigned.values() if a.key.startswith("Person|") and a.mention.end <= description.start
    )
    most = max(counts.values(), default=0)
    return near if near <= in_full and all(counts[k] == most for k in near) else set()


def _link_pronouns(
    pronouns: list[Mention],
    named: list[Mention],
    assigned: dict[Mention, Assignment],
    rules: NameRules,
    text: str = "",
) -> None:
    """He, she, his, her: a person named before, within a few sentences, whose gender (by honorific or
    given name, in any of the person's mentions) agrees; a person of unknown gender only where none
    of known, agreeing gender is near. Never "she" for a man. Among those, the person of the
    pronoun's own sentence; for a pronoun that opens its sentence, the one the sentence before
    opens with; else the one the document has named most so far, else the nearest."""
    sentence_index = _sentence_index([*pronouns, *named])
    people = [m for m in named if m.type == "Person" and m in assigned]
    gender_of: dict[str, str] = {}
    for m in people:
        if (g := rules.gender(m.text)) is not None:
            gender_of.setdefault(assigned[m].key, g)
    if "pronoun gender" in rules.off:
        gender_of = {}
    for pronoun in pronouns:
        wanted = PRONOUN_GENDER.get(pronoun.text.lower())
        near = [
            m
            for m in people
            if m.end <= pronoun.start
            and sentence_index[pronoun.sent_start] - sentence_index[m.sent_start] <= PRONOUN_WINDOW
        ]
        agreeing = [m for m in near if gender_of.get(assigned[m].key) == wanted]
        unknown = [m for m in near if assigned[m].key not in gender_of]
        candidates = agreeing or unknown
        quoted = _quoted(pronoun, text)
        if not quoted:  # a name quoted in its sentence is not the speaker ("'... Sir Clive,' he joked")
            candidates = [m for m in candidates if m.sent_start != pronoun.sent_start or not _quoted(m, text)]
        same_sentence = [m for m in candidates if m.sent_start == pronoun.sent_start]
        if same_sentence:  # "Herve Gaymard is on record as saying that he ...": the sentence's own person
            candidates = same_sentence[-1:]
        opener = None
        first_person = not any(
            m.sent_start == pronoun.sent_start and m.start < pronoun.start and not _quoted(m, text) for m in people
        )
        if first_person and not quoted and "subject continues" not in rules.off:
            opener = _previous_opener(pronoun, assigned, text)  # "He ...", "But he ...", "In 1983 he ..."
        if opener is not None and (
            any(assigned[m].key == assigned[opener].key for m in candidates)
            or opener.label == "PRON"
            and PRONOUN_GENDER.get(opener.text.lower()) == wanted
        ):  # "Alan Greenspan gave a speech in honour of Adam Smith. He delivered ...": a sentence that opens
            # with a pronoun goes on about the one the sentence before opens with ("He ... He ...": however
            # far back that one was named)
            assigned[pronoun] = Assignment(pronoun, assigned[opener].key, "pronoun")
            continue
        if candidates:  # the most-mentioned so far (the one the story is about); among equals the nearest
            counts = Counter(
                a.key for m, a in assigned.items() if a.mention.end <= pronoun.start and a.key.startswith("Person|")
            )
            antecedent = max(enumerate(candidates), key=lambda im: (counts[assigned[im[1]].key], im[0]))[1]
        else:
            antecedent = None
        if antecedent is not None:
            assigned[pronoun] = Assignment(pronoun, assigned[antecedent].key, "pronoun")


def _quoted(mention: Mention, text: str) -> bool:
    """Whether a mention stands inside quotation marks of its sentence (an odd number before it)."""
    before = text[mention.sent_start : mention.start]
    return before.count('"') % 2 == 1 or (before.count("“") > before.count("”"))


def _previous_opener(pronoun: Mention, assigned: dict[Mention, Assignment], text: str = "") -> Mention | None:
    """The first mention of a person (a name or a pronoun given one) in the sentence before the
    pronoun's, outside quotation marks ("'I have spoken to Sir Clive Woodward,' he joked": he)."""
    before = [
        m
        for m, a in assigned.items()
        if m.sent_end <= pronoun.sent_start
        and a.key.startswith("Person|")
        and m.type == "Person"
        and not _quoted(m, text)
    ]
    if not before:
        return None
    last = max(m.sent_start for m in before)
    return min((m for m in before if m.sent_start == last), key=lambda m: m.start)


@dataclass
class Resolver:
    """Collects each document's clusters, then merges them across documents.

    Example:
        >>> from kg.resolution.names import NameRules
        >>> r = Resolver(NameRules({}, {}, frozenset(), frozenset()))
        >>> doc = Document("d1", "Ada Lovelace wrote. Lovelace died.", None)
        >>> mentions = [Mention("d1", 0, 12, "Ada Lovelace", "Person"), Mention("d1", 20, 28, "Lovelace", "Person")]
        >>> r.add(resolve_document(doc, mentions, r.rules))
        >>> [e.label for e in r.entities().values()]
        ['Ada Lovelace']
    """

    rules: NameRules
    _assignments: list[Assignment] = field(default_factory=list)

    def add(self, assignments: Iterable[Assignment]) -> None:
        """Take one document's clusters (see `resolve_document`)."""
        self._assignments.extend(assignments)

    def _corpus_acronyms(self) -> dict[str, str]:
        """A bare acronym that no long form explains in its own document ("MSA") joins the one
        organisation or place of the whole corpus whose initials it spells ("Maritime Safety Agency")."""
        long_forms: dict[tuple[str, str], set[str]] = defaultdict(set)
        for a in self._assignments:
            if a.mention.type in ("Organization", "Place", "Event") and " " in a.mention.text.strip():
                long_forms[(a.mention.type, initials(a.mention.text))].add(a.key)
        target = {}
        for a in self._assignments:
            short = a.mention.text.strip().replace(".", "")
            if a.rule == "same name" and short.isupper() and 2 <= len(short) <= 8 and " " not in short:
                keys = long_forms.get((a.mention.type, short), set())
                if len(keys) == 1:
                    target[a.key] = next(iter(keys))
        return target

    def _resolved(self) -> list[Assignment]:
        target = self._corpus_acronyms()
        return [
            Assignment(a.mention, target[a.key], "acronym in the corpus") if a.key in target else a
            for a in self._assignments
        ]

    def entity_of(self) -> dict[Mention, str]:
        """The node id of every resolved mention."""
        return {a.mention: entity_id(a.key) for a in self._resolved()}

    def entities(self) -> dict[str, Entity]:
        """One Entity per cluster key, in a deterministic order."""
        by_key: dict[str, list[Assignment]] = defaultdict(list)
        for a in self._resolved():
            by_key[a.key].append(a)
        out = {}
        for key in sorted(by_key):
            if key.startswith("Document|"):
                continue
            entity = self._entity(key, by_key[key])
            out[entity.id] = entity
        return out

    def _entity(self, key: str, assignments: list[Assignment]) -> Entity:
        type_ = key.partition("|")[0]
        named = [a for a in assignments if a.mention.label not in ("PRON", "NOMINAL")] or [
            a for a in assignments if a.mention.label == "NOMINAL"
        ]
        aliases = {a.mention.text for a in named}
        label = None
        for a in named:
            if a.rule == "alias" and (row := self.rules.alias(a.mention.text)) is not None:
                label = row.canonical
                aliases |= self.rules.alias_forms.get(row.canonical, frozenset())
                break
        if label is None:
            label = self._best_label([a.mention.text for a in named], type_)
        mentions = tuple(
            sorted({a.mention for a in assignments}, key=lambda m: (m.doc_id, m.start, m.end, m.type, m.label, m.text))
        )
        merges = tuple(sorted({(a.rule, a.mention.text) for a in assignments}))
        return Entity(entity_id(key), label, type_, frozenset(aliases - {label}), mentions, merges)

    def _best_label(self, forms: list[str], type_: str) -> str:
        """The fullest, then most frequent, then alphabetically first surface form, titles removed."""
        prefixes = self.rules.person_prefixes if type_ == "Person" else frozenset()
        counts = Counter(strip_prefix_words(f, prefixes) for f in forms)
        return min(counts, key=lambda f: (-len(f.split()), -counts[f], f))
