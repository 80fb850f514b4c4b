"""kg eval: score entity resolution, entity extraction and relation extraction against gold JSONL.

Gold data (its format is described in kg.gold) and the strict scores come from kg.gold, which
kg.training uses too; this module never imports kg.training.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kg.errors import ConfigError
from kg.gold import PRF, GoldDocument, GoldEntity, LabelledScores, load_gold, read_lines, score_pipeline
from kg.model import Document, DocumentInfo, Mention
from kg.resources import DEFAULT_DATA_DIR
from kg.trained_model import is_trained_model

__all__ = [
    "PRF",
    "GoldDocument",
    "GoldEntity",
    "LabelledScores",
    "b_cubed",
    "load_gold",
    "load_mapping",
    "muc",
    "read_lines",
    "score_extraction",
    "score_resolution",
]

MAPPINGS = {
    "conll04": DEFAULT_DATA_DIR / "eval" / "conll04.json",
    "redocred": DEFAULT_DATA_DIR / "eval" / "redocred.json",
}


def load_mapping(path: Path | None, docs: list[GoldDocument]) -> dict[str, Any]:
    """The label mapping to use: the file given, else the shipped one whose labels fit the data."""
    if path is None:
        labels = {e.label for d in docs for e in d.entities}
        for candidate in MAPPINGS.values():
            mapping = json.loads(candidate.read_text(encoding="utf-8"))
            if labels <= {v for v in mapping["entities"].values() if v} | set(mapping.get("types", {})):
                return mapping
        raise ConfigError(
            f"no shipped label mapping fits the labels {sorted(labels)}; pass --mapping FILE (see data/eval/)"
        )
    try:
        mapping = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable JSON mapping ({exc})") from None
    if not isinstance(mapping.get("entities"), dict):
        raise ConfigError(f'{path}: a mapping needs an "entities" object (annotator label -> gold label)')
    return mapping


def b_cubed(gold: list[set[int]], predicted: list[set[int]]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering of the same mentions.

    >>> b_cubed([{0, 1}, {2}], [{0, 1}, {2}])
    (1.0, 1.0, 1.0)
    """
    gold_of = {m: c for c in gold for m in c}
    pred_of = {m: c for c in predicted for m in c}
    mentions = list(gold_of)
    p = sum(len(pred_of[m] & gold_of[m]) / len(pred_of[m]) for m in mentions) / len(mentions)
    r = sum(len(pred_of[m] & gold_of[m]) / len(gold_of[m]) for m in mentions) / len(mentions)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def muc_counts(gold: list[set[int]], predicted: list[set[int]]) -> tuple[int, int, int, int]:
    """MUC (Vilain et al. 1995) link counts: precision numerator and denominator, then recall's.
    Counts add up over documents; `muc` turns them into scores."""

    def score(keys: list[set[int]], responses: list[set[int]]) -> tuple[int, int]:
        of = {m: n for n, c in enumerate(responses) for m in c}
        numerator = sum(len(k) - len({of.get(m, ("alone", m)) for m in k}) for k in keys)
        return numerator, sum(len(k) - 1 for k in keys)

    return (*score(predicted, gold), *score(gold, predicted))


def muc(gold: list[set[int]], predicted: list[set[int]]) -> tuple[float, float, float]:
    """MUC precision, recall and F1: links kept and links found.

    >>> muc([{0, 1, 2}], [{0, 1}, {2}])
    (1.0, 0.5, 0.6666666666666666)
    """
    pn, pd, rn, rd = muc_counts(gold, predicted)
    p = pn / pd if pd else 1.0
    r = rn / rd if rd else 1.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def _clusters(assignment: dict[int, str], size: int) -> list[set[int]]:
    groups: dict[str, set[int]] = defaultdict(set)
    for n in range(size):
        groups[assignment.get(n, f"alone-{n}")].add(n)
    return list(groups.values())


def score_resolution(docs: Iterable[GoldDocument], mapping: dict[str, Any], rules: Any) -> dict[str, Any]:
    """Cluster each document's gold mentions with kg's resolver; B-cubed and MUC against the gold
    clusters, pooled over documents. The exact-normalised-text baseline is scored alongside."""
    from kg.resolution.names import normalize_name
    from kg.resolution.resolver import resolve_document

    types = mapping.get("types", {})
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0] * 6)  # B3 P, R (mention-weighted); MUC counts
    totals: Counter[str] = Counter()
    for doc in docs:
        if not any(e.cluster is not None for e in doc.entities):
            raise ConfigError(f"{doc.id}: the gold file has no clusters; resolution needs document-level data")
        mentions = [
            Mention(doc.id, e.start, e.end, doc.text[e.start : e.end], types.get(e.label, "Concept"), e.label)
            for e in doc.entities
        ]
        index = {m: n for n, m in enumerate(mentions)}
        gold_groups: dict[str, set[int]] = defaultdict(set)
        for n, e in enumerate(doc.entities):
            gold_groups[str(e.cluster)].add(n)
        gold = list(gold_groups.values())
        ours = {
            index[a.mention]: a.key
            for a in resolve_document(Document(doc.id, doc.text, DocumentInfo(doc.id)), mentions, rules)
        }
        baseline = {n: normalize_name(m.text) for n, m in enumerate(mentions)}
        for name, assignment in (("kg", ours), ("exact_normalised_text", baseline)):
            predicted = _clusters(assignment, len(mentions))
            p, r, _ = b_cubed(gold, predicted)
            s = sums[name]
            s[0] += p * len(mentions)
            s[1] += r * len(mentions)
            for n, count in enumerate(muc_counts(gold, predicted)):
                s[2 + n] += count
        totals["mentions"] += len(mentions)
        totals["documents"] += 1
    out: dict[str, Any] = {"documents": totals["documents"], "mentions": totals["mentions"]}
    for name, (p, r, pn, pd, rn, rd) in sums.items():
        p, r = p / totals["mentions"], r / totals["mentions"]
        mp, mr = pn / pd if pd else 1.0, rn / rd if rd else 1.0
        out[name] = {
            "b_cubed": {
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(2 * p * r / (p + r) if p + r else 0, 4),
            },
            "muc": {
                "precision": round(mp, 4),
                "recall": round(mr, 4),
                "f1": round(2 * mp * mr / (mp + mr) if mp + mr else 0, 4),
            },
        }
    return out


def _relation_label(
    rules: list[dict[str, Any]], predicate: str, subject: str | None, object_: str | None
) -> tuple[str, bool] | None:
    """The gold label of a kg relation, and whether the gold states it the other way round
    ("inverse": Wikidata's P488 chairperson goes from the organisation to the person)."""
    for rule in rules:
        if (
            rule["predicate"] == predicate
            and rule.get("subject", subject) == subject
            and rule.get("object", object_) == object_
        ):
            return rule["label"], bool(rule.get("inverse", False))
    return None


def score_extraction(docs: list[GoldDocument], mapping: dict[str, Any], settings: Any) -> dict[str, Any]:
    """Run kg's annotation and relation extraction on each gold text; strict scores (exact spans and
    labels for entities; both entities right and the relation label for relations)."""
    from kg.annotation.mentions import mention_of_span
    from kg.annotation.pipeline import make_nlp
    from kg.relations import RelationExtractor

    if is_trained_model(settings.model):  # a kg train model predicts the data's own labels
        import spacy  # finds kg's components through their spacy_factories entry points

        return {"documents": len(docs), **score_pipeline(spacy.load(settings.model), docs)}
    resources = settings.resources()
    nlp = make_nlp(resources, settings.model)
    extractor = RelationExtractor(nlp, resources, open_layer=False)
    labels = mapping["entities"]
    relation_rules = mapping.get("relations", [])
    entities, relations = LabelledScores(), LabelledScores()
    for doc, gold in zip(nlp.pipe((d.text for d in docs), batch_size=settings.batch_size), docs):
        predicted_mentions = [mention_of_span(ent, gold.id, "Concept", ent.label_) for ent in doc.ents]
        label_of = {(m.start, m.end): labels.get(m.label) for m in predicted_mentions}
        predicted_entities = {(s, e, lab) for (s, e), lab in label_of.items() if lab}
        gold_entities = {(e.start, e.end, e.label) for e in gold.entities}
        entities.add(gold_entities, predicted_entities)
        # relations: ends identified by gold entity index or cluster, through exact spans
        sentence_level = all(isinstance(h, int) for h, _, _ in gold.relations) and not any(
            e.cluster for e in gold.entities
        )
        end_of = {(e.start, e.end): (n if sentence_level else e.cluster) for n, e in enumerate(gold.entities)}
        # every mention kg types goes to the extractor (a title ties a person to an organisation),
        # though only the gold's labels are scored
        typed_mentions = [m for m in predicted_mentions if m.label in resources.entity_labels]
        found, _ = extractor(doc, gold.id, [_typed(m, resources.entity_labels) for m in typed_mentions])
        predicted = set()
        for r in found:
            if r.modality:
                continue
            s_key, o_key = (r.subject.start, r.subject.end), (r.object.start, r.object.end)
            found_label = _relation_label(relation_rules, r.predicate, label_of.get(s_key), label_of.get(o_key))
            if found_label is None:
                continue
            label, inverse = found_label
            if inverse:
                s_key, o_key = o_key, s_key
            predicted.add((end_of.get(s_key, ("unmatched", s_key)), end_of.get(o_key, ("unmatched", o_key)), label))
        relations.add({(h, t, lab) for h, t, lab in gold.relations}, predicted)
    return {"documents": len(docs), "entities": entities.as_dict(), "relations": relations.as_dict()}


def _typed(mention: Mention, entity_labels: dict[str, str]) -> Mention:
    from dataclasses import replace

    return replace(mention, type=entity_labels.get(mention.label, "Concept"))
