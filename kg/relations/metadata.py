"""Relations stated by a document's metadata: authored_by and published_in."""

from __future__ import annotations

from kg.model import Document, Evidence, Mention, RelationMention

EXTRACTOR = "metadata"


def _line_evidence(document: Document, start: int, end: int) -> Evidence:
    text = document.text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end == -1 else line_end
    return Evidence(document.id, text[line_start:line_end].strip(), line_start, line_end)


FIELDS = {"DOCUMENT": "title", "AUTHOR": "author", "VENUE": "venue"}  # mention label -> metadata field


def _field_mention(
    document: Document, value: str, type_: str, label: str, span: tuple[int, int] | None
) -> tuple[Mention, Evidence]:
    if span is None:  # given by the file format (HTML meta tags, JSONL fields), not found in the text:
        # no offsets (0-0); the exports name such a mention and its evidence by the field and value
        # ("author: Ada Lovelace" -> .../author/Ada%20Lovelace), so two facts never share an IRI
        evidence = Evidence(document.id, f"{FIELDS.get(label, label.lower())}: {value}", 0, 0)
        return Mention(document.id, 0, 0, value, type_, label), evidence
    evidence = _line_evidence(document, *span)
    return Mention(document.id, span[0], span[1], value, type_, label, evidence.start, evidence.end), evidence


def metadata_relations(document: Document) -> tuple[list[Mention], list[RelationMention]]:
    """The document's own node, its authors and venue as mentions, and the relations between them."""
    info = document.info
    title_span = info.span_of("title")
    doc_mention, _ = _field_mention(document, info.title or document.id, "Document", "DOCUMENT", title_span)
    mentions, relations = [doc_mention], []
    author_spans = [(s, e) for name, s, e in info.spans if name == "author"]
    for n, author in enumerate(info.authors):
        span = author_spans[n] if n < len(author_spans) else None
        mention, evidence = _field_mention(document, author, "Person", "AUTHOR", span)
        mentions.append(mention)
        relations.append(RelationMention(doc_mention, "authored_by", mention, 1.0, EXTRACTOR, evidence))
    if info.venue:
        mention, evidence = _field_mention(document, info.venue, "Organization", "VENUE", info.span_of("venue"))
        mentions.append(mention)
        relations.append(RelationMention(doc_mention, "published_in", mention, 0.95, EXTRACTOR, evidence))
    return mentions, relations
