"""Meetings as Event nodes: the met_with and met_at facts of one sentence describe one meeting.

The event gets the parties as attendees, the places as locations and a date named in the same
sentence as its start date, besides the binary met_with / met_at edges it was made from.
"""

from __future__ import annotations

from collections import defaultdict

from kg.model import Entity, Evidence, KnowledgeGraph, Relation

EXTRACTOR = "events:meeting"
MEETING_RELATIONS = ("met_with", "met_at")


def _key(evidence: Evidence) -> tuple[str, int, int]:
    return (evidence.doc_id, evidence.start, evidence.end)


def add_meeting_events(graph: KnowledgeGraph) -> int:
    """Add one Event per sentence stating a meeting; returns how many were added.

    An event's id comes from its attendees and date (or, without a date, its document), so the same
    meeting told twice in a document is one node.
    """
    parties: dict[tuple, set[str]] = defaultdict(set)
    places: dict[tuple, set[str]] = defaultdict(set)
    sentences: dict[tuple, Evidence] = {}
    for r in graph.relations:
        if r.predicate not in MEETING_RELATIONS or r.layer != "schema":
            continue
        for e in r.evidence:
            sentences[_key(e)] = e
            parties[_key(e)].add(r.subject)
            (parties if r.predicate == "met_with" else places)[_key(e)].add(r.object)
    dates = _dates_by_sentence(graph, sentences)
    added = 0
    for key, evidence in sorted(sentences.items()):
        attendees = sorted(parties[key])
        if len(attendees) < 2:  # a meeting needs two parties the sentence names
            continue
        date = dates.get(key)
        names = [graph.label_of(a) for a in attendees]
        label = "Meeting of " + (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0])
        slug_date = date.removeprefix("date/") if date else evidence.doc_id
        event_id = "event/meeting-" + "-".join(a.split("/", 1)[1] for a in attendees) + f"-{slug_date}"
        event_id = event_id.replace("/", "-").replace("event-meeting", "event/meeting", 1)
        if event_id not in graph.entities:
            added += 1
        graph.add_entity(Entity(event_id, label + (f" ({slug_date})" if date else ""), "Event", merges=(("meeting in one sentence", evidence.sentence[:80]),)))
        for attendee in attendees:
            graph.add_relation(Relation(event_id, "attendee", attendee, 0.8, EXTRACTOR, (evidence,)))
        for place in sorted(places[key]):
            graph.add_relation(Relation(event_id, "location", place, 0.8, EXTRACTOR, (evidence,)))
        if date:
            graph.add_relation(Relation(event_id, "start_date", date, 0.7, EXTRACTOR, (evidence,)))
    return added


def _dates_by_sentence(graph: KnowledgeGraph, sentences: dict[tuple, Evidence]) -> dict[tuple, str]:
    """The one full date (YYYY-MM-DD) named in each sentence, where there is exactly one."""
    found: dict[tuple, set[str]] = defaultdict(set)
    by_doc: dict[str, list[tuple]] = defaultdict(list)
    for key in sentences:
        by_doc[key[0]].append(key)
    for entity in graph.entities.values():
        if entity.type != "Date" or len(entity.id) != len("date/2000-01-01"):
            continue
        for m in entity.mentions:
            for key in by_doc.get(m.doc_id, ()):
                if key[1] <= m.start and m.end <= key[2]:
                    found[key].add(entity.id)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}
