"""Relations from a model trained with kg train, used next to the rules by kg build --model DIR."""

from __future__ import annotations

import json
import re
from pathlib import Path

from kg.model import Mention, RelationMention
from kg.relations.spans import sentence_evidence


class LearnedExtractor:
    """Runs a trained pipeline over a document and turns its predictions into relation mentions.

    Entities keep their span; their kg type comes from the training data's label mapping (saved
    in the model's meta); each relation keeps its score as confidence and the model as extractor.
    """

    def __init__(self, path: Path) -> None:
        import spacy

        from kg.training import component, joint  # noqa: F401  (register the trainable components)

        self.path = Path(path)
        self.nlp = spacy.load(self.path)
        meta = json.loads((self.path / "meta.json").read_text(encoding="utf-8"))["kg"]
        self.types: dict[str, str | None] = meta.get("entity_types", {})
        self.extractor = f"model:{self.path.name}"

    def __call__(
        self, doc_id: str, text: str, known: dict[tuple[int, int], Mention]
    ) -> tuple[list[RelationMention], list[Mention]]:
        from kg.training.component import USER_DATA

        doc = self.nlp(text)
        labels = {(e.start_char, e.end_char): e.label_ for e in doc.ents}
        made: dict[tuple[int, int], Mention] = {}

        def mention(start: int, end: int) -> Mention | None:
            if (start, end) in known:
                return known[(start, end)]
            type_ = self.types.get(labels.get((start, end), ""))
            if not type_:
                return None
            if (start, end) not in made:
                span = doc.char_span(start, end, alignment_mode="expand")
                if span is None:
                    return None
                sent = span.sent
                made[(start, end)] = Mention(
                    doc_id, start, end, text[start:end], type_, labels[(start, end)], sent.start_char, sent.end_char
                )
            return made[(start, end)]

        found = []
        for h1, h2, t1, t2, label, score in doc.user_data.get(USER_DATA, []):
            head, tail = mention(h1, h2), mention(t1, t2)
            if head is None or tail is None:
                continue
            head_span = doc.char_span(h1, h2, alignment_mode="expand")
            if head_span is None:
                continue
            evidence = sentence_evidence(doc_id, head_span.sent)
            predicate = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
            found.append(RelationMention(head, predicate, tail, round(float(score), 4), self.extractor, evidence))
        return found, list(made.values())
