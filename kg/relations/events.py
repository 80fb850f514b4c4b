"""Meetings as Event nodes: the met_with and met_at facts of one sentence describe one meeting.

The event gets the parties as attendees, the places as locations and a date named in the same
sentence as its start date, besides the binary met_with / met_at edges it was made from.
"""

from __future__ import annotations

from collections import defaultdict

from kg.model import Entity, Evidence, KnowledgeGraph, Relation

EXTRACTOR = "events:meeting"
PREVIOUS_GAP = 3  # characters of white space between a sentence and the one before it
MEETING_RELATIONS = ("met_with", "met_at")


def _key(evidence: Evidence) -> tuple[str, int, int]:
    return (evidence.doc_id, evidence.start, evidence.end)


def add_meeting_events(graph: KnowledgeGraph) -> int:
    """Add one Event per meeting a sentence describes; returns how many were added.

    The parties a sentence says met (met_with) and that took part in something there (met_at) make
    one meeting when they are connected; a party met_at an Event node is that event's attendee;
    parties in two unconnected pairs ("A met B, and C met D")
    are two meetings. A meeting's places are the met_at places of its sentence; its date is the one
    full date its sentence names, else the one the previous sentence names. An event's id comes
    from its attendees and date (or, without a date, its document), so the same meeting told twice
    in a document is one node.
    """
    links: dict[tuple, list[tuple[str, str]]] = defaultdict(list)  # sentence -> (party, party or place)
    places: dict[tuple, set[str]] = defaultdict(set)
    sentences: dict[tuple, Evidence] = {}
    for r in list(graph.relations):
        if r.predicate not in MEETING_RELATIONS or r.layer != "schema":
            continue
        if r.predicate == "met_at" and graph.type_of(r.object) == "Event" and graph.type_of(r.subject) != "Event":
            # a named gathering ("the World Economic Forum") is the event: its attendees join it
            graph.add_relation(Relation(r.object, "attendee", r.subject, r.confidence, EXTRACTOR, r.evidence))
            continue
        for e in r.evidence:
            sentences[_key(e)] = e
            links[_key(e)].append((r.subject, r.object) if r.predicate == "met_with" else (r.subject, r.subject))
            if r.predicate == "met_at" and graph.type_of(r.object) == "Place":
                places[_key(e)].add(r.object)
    dates = _dates_by_sentence(graph, sentences)
    added = 0
    for key, evidence in sorted(sentences.items()):
        for attendees in _meetings(links[key]):
            if len(attendees) < 2:  # a meeting needs two parties the sentence names
                continue
            added += _add_event(graph, attendees, sorted(places[key]), dates.get(key), evidence)
    return added


def _meetings(links: list[tuple[str, str]]) -> list[list[str]]:
    """The connected groups of parties: one meeting each. Parties of met_at facts only (no met_with
    between them) attend one gathering together."""
    group_of: dict[str, int] = {}
    groups: list[set[str]] = []
    joint = {a for a, b in links if a == b}
    for a, b in [(a, b) for a, b in links if a != b]:
        known = {group_of[x] for x in (a, b) if x in group_of}
        merged = set().union(*(groups[i] for i in known)) | {a, b}
        for i in known:
            groups[i] = set()
        groups.append(merged)
        for x in merged:
            group_of[x] = len(groups) - 1
    loose = joint - set(group_of)
    out = [sorted(g) for g in groups if g]
    if loose:
        if len(out) == 1:
            out[0] = sorted(set(out[0]) | loose)  # "A met B at the summit", "C was at the summit too"
        elif not out:
            out = [sorted(loose)]
    return out


def _add_event(
    graph: KnowledgeGraph, attendees: list[str], places: list[str], date: str | None, evidence: Evidence
) -> int:
    names = [graph.label_of(a) for a in attendees]
    label = "Meeting of " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0])
    slug_date = date.removeprefix("date/") if date else evidence.doc_id
    event_id = "event/meeting-" + "-".join(a.split("/", 1)[1] for a in attendees) + f"-{slug_date}"
    event_id = event_id.replace("/", "-").replace("event-meeting", "event/meeting", 1)
    new = event_id not in graph.entities
    graph.add_entity(
        Entity(
            event_id,
            label + (f" ({slug_date})" if date else ""),
            "Event",
            merges=(("meeting in one sentence", evidence.sentence[:80]),),
        )
    )
    for attendee in attendees:
        graph.add_relation(Relation(event_id, "attendee", attendee, 0.8, EXTRACTOR, (evidence,)))
    for place in places:
        graph.add_relation(Relation(event_id, "location", place, 0.8, EXTRACTOR, (evidence,)))
    if date:
        graph.add_relation(Relation(event_id, "start_date", date, 0.7, EXTRACTOR, (evidence,)))
    return int(new)


def _dates_by_sentence(graph: KnowledgeGraph, sentences: dict[tuple, Evidence]) -> dict[tuple, str]:
    """The one full date (YYYY-MM-DD) named in each sentence, where there is exactly one; else the
    one the previous sentence of the document names."""
    in_doc: dict[str, list[tuple[int, int, int, str]]] = defaultdict(list)  # doc -> (start, end, sentence end, date id)
    for entity in graph.entities.values():
        if entity.type != "Date" or len(entity.id) != len("date/2000-01-01"):
            continue
        for m in entity.mentions:
            in_doc[m.doc_id].append((m.start, m.end, m.sent_end, entity.id))
    out = {}
    for key in sentences:
        doc_id, start, end = key
        here = {d for s, e, _, d in in_doc.get(doc_id, ()) if start <= s and e <= end}
        if not here:  # the previous sentence: it ends where this one starts, but for white space
            here = {
                d
                for _, e, sent_end, d in in_doc.get(doc_id, ())
                if e <= start and 0 <= start - sent_end <= PREVIOUS_GAP
            }
        if len(here) == 1:
            out[key] = next(iter(here))
    return out
