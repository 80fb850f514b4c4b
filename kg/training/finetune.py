"""kg train --encoder: fine-tune a transformer encoder jointly for entities and relations.

The pipeline saved is the base spaCy pipeline (tokenizer, sentences, parse for kg's rules; its NER
tags become hints) plus kg_joint_extractor, which replaces doc.ents. Training: AdamW (a small
learning rate for the encoder, a larger one for the heads), linear warm-up and decay, gradient
clipping; entities by BIO tags (and span classes, if asked), relations over the gold entities'
pairs, then optionally a second encoder for relations with the entities marked in the text
(kg.training.marked); after each epoch the whole pipeline is scored on the dev split with kg's
strict evaluation and the best epoch is kept (early stopping on dev relation F1).
"""

from __future__ import annotations

import copy
import random
from typing import Any, Callable

from spacy.language import Language

from kg.evaluate import GoldDocument
from kg.training.component import GOLD
from kg.training.joint import JointExtractor, Segment, bio_tags, segments, span_targets
from kg.training.marked import Marked, reader_network, readings

# a segment has about a hundred spans that are no entity for each that is: their loss is weighed
# down, as SpERT's sampling of negatives does, so the span classifier does not learn to say "none"
NONE_WEIGHT = 0.3


def gold_segments(nlp: Language, docs: list[GoldDocument], max_words: int, hint_labels: list[str]) -> list[Segment]:
    """Training segments: words of the base pipeline's tokens, gold entities and relations on them."""
    from kg.training import reference_doc  # the package imports this module only when training

    base = [name for name in nlp.pipe_names if name != "kg_joint_extractor"]
    out = []
    with nlp.select_pipes(enable=base):
        for doc, gold in zip(nlp.pipe(d.text for d in docs), docs):
            reference = reference_doc(nlp, gold)
            for part in segments(doc, max_words, hint_labels):
                end = part.offset + len(part.words)
                inside = [e for e in reference.ents if e.start >= part.offset and e.end <= end]
                index = {(e.start_char, e.end_char): n for n, e in enumerate(inside)}
                part.entities = [(e.start - part.offset, e.end - part.offset, e.label_) for e in inside]
                part.relations = [(index[(h1, h2)], index[(t1, t2)], label)
                                  for h1, h2, t1, t2, labels in reference.user_data.get(GOLD, [])
                                  if (h1, h2) in index and (t1, t2) in index for label in labels]
                out.append(part)
    return out


def _batches(items: list[Any], size: int, rng: random.Random, length: Callable[[Any], int]) -> list[list[Any]]:
    """Shuffled batches of items of similar length (less padding), in shuffled order."""
    order = items[:]
    rng.shuffle(order)
    batches = []
    for k in range(0, len(order), 32 * size):
        pool = sorted(order[k:k + 32 * size], key=length)
        batches += [pool[j:j + size] for j in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches


def fit(nlp: Language, extractor: JointExtractor, train: list[Segment], settings: Any,
        evaluate: Callable[[], dict[str, Any]], progress: Callable[[dict[str, Any]], None] | None) -> tuple[list[dict], int, dict]:
    """Train the first member's network in place (entities, and relations over pooled vectors) and
    leave it at its best epoch; returns (history, best epoch, its dev scores)."""
    import torch
    import torch.nn.functional as F

    network = extractor.network
    tags, labels = extractor.tags, extractor.cfg["relation_labels"]
    class_weights = torch.tensor([NONE_WEIGHT] + [1.0] * len(extractor.cfg["entity_labels"]))

    def loss_of(batch: list[Segment]) -> Any:
        words, cls = extractor.encode(batch)
        words = network.dropout(words)
        tag_scores = network.tagger(words)
        gold_tags = [torch.tensor(bio_tags(s.entities, len(s.words), tags)) for s in batch]
        loss = 10 * F.cross_entropy(torch.cat([tag_scores[i, :len(s.words)] for i, s in enumerate(batch)]), torch.cat(gold_tags))
        if "max_span" in extractor.cfg:
            span_scores = network.span_logits(words, cls)
            targets = torch.cat([torch.tensor(span_targets(batch, w, extractor.cfg["entity_labels"], words.shape[1])).flatten()
                                 for w, logits in enumerate(span_scores, 1)])
            loss = loss + 10 * F.cross_entropy(torch.cat([logits.flatten(0, 1) for logits in span_scores]), targets, weight=class_weights)
        rows, truth = [], []
        for i, segment in enumerate(batch):
            pairs = extractor.candidate_pairs(segment.entities)
            if not pairs:
                continue
            rows.append(network.pair_rows(words[i, :len(segment.words)], cls[i], segment.entities, pairs))
            truth.append(relation_targets(segment, pairs, labels))
        if rows:
            loss = loss + 5 * F.binary_cross_entropy_with_logits(network.relations(torch.cat(rows)), torch.cat(truth))
        return loss

    train = [s for s in train if s.words]
    return _epochs(network, train, lambda s: len(s.words), loss_of, settings, settings.max_epochs, evaluate, progress, "joint")


def fit_reader(extractor: JointExtractor, train: list[Segment], settings: Any,
               evaluate: Callable[[], dict[str, Any]], progress: Callable[[dict[str, Any]], None] | None) -> tuple[list[dict], int, dict]:
    """Give the first member a marked-relations reader, a second encoder started from its trained
    one, and train it on the gold entities' candidate pairs (one marked reading per subject),
    leaving it at its best epoch; the extractor then decodes relations with it."""
    import torch
    import torch.nn.functional as F

    member = extractor.members[0]
    torch.manual_seed(settings.seed)  # the reader's head starts the same whatever ran before
    member.reader = reader_network(copy.deepcopy(member.network.encoder), extractor.cfg["relation_labels"],
                                   extractor.cfg["hidden_width"], extractor.cfg["dropout"])
    extractor.cfg["relation_decoder"] = "marked"
    labels = extractor.cfg["relation_labels"]
    readings_ = []
    for segment in train:
        pairs = extractor.candidate_pairs(segment.entities)
        for reading in readings(segment.entities, pairs, segment.words):
            readings_.append((reading, relation_targets(segment, [(reading.subject, o) for o in reading.objects], labels)))

    def loss_of(batch: list[tuple[Marked, Any]]) -> Any:
        logits = member.reader(member.tokenizer, [m for m, _ in batch])
        return 5 * F.binary_cross_entropy_with_logits(logits, torch.cat([t for _, t in batch]))

    return _epochs(member.reader, readings_, lambda r: len(r[0].words), loss_of, settings, settings.reader_epochs,
                   evaluate, progress, "marked relations")


def relation_targets(segment: Segment, pairs: list[tuple[int, int]], labels: list[str]) -> Any:
    """A (pair, label) matrix of the segment's gold relations over candidate `pairs`."""
    import torch

    target = torch.zeros(len(pairs), len(labels))
    position = {pair: n for n, pair in enumerate(pairs)}
    for h, t, label in segment.relations:
        if (h, t) in position:
            target[position[(h, t)], labels.index(label)] = 1
    return target


def _epochs(network: Any, items: list[Any], length: Callable[[Any], int], loss_of: Callable[[list[Any]], Any], settings: Any,
            max_epochs: int, evaluate: Callable[[], dict[str, Any]], progress: Callable[[dict[str, Any]], None] | None,
            stage: str) -> tuple[list[dict], int, dict]:
    """The training loop shared by the heads: AdamW (small learning rate for the encoder, larger for
    the rest), linear warm-up and decay, clipping; early stopping on the dev relation F1, the
    network left at its best epoch. Returns (history, best epoch, its dev scores)."""
    import torch

    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    if settings.freeze_embeddings:  # the word-piece table is most of a small encoder's weights; its updates cost more than they give
        network.encoder.get_input_embeddings().weight.requires_grad_(False)
    encoder_params = [p for p in network.encoder.parameters() if p.requires_grad]
    encoder_ids = {id(p) for p in encoder_params}
    head_params = [p for p in network.parameters() if id(p) not in encoder_ids and p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": encoder_params, "lr": settings.encoder_lr},
                                   {"params": head_params, "lr": settings.head_lr}], weight_decay=0.01)
    steps = max_epochs * max(1, -(-len(items) // settings.encoder_batch_size))
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / warmup) * max(0.0, 1 - s / steps))
    history: list[dict[str, Any]] = []
    best, best_epoch, best_state, best_dev = -1.0, 0, None, {}
    for epoch in range(1, max_epochs + 1):
        network.train()
        total = 0.0
        for batch in _batches(items, settings.encoder_batch_size, rng, length):
            loss = loss_of(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item()
        network.eval()
        dev = evaluate()
        f1 = dev["relations"]["micro"]["f1"]
        history.append({"stage": stage, "epoch": epoch, "loss": round(total, 2), "dev_relation_f1": f1,
                        "dev_entity_f1": dev["entities"]["micro"]["f1"]})
        if progress:
            progress(history[-1])
        if f1 > best:
            best, best_epoch, best_dev = f1, epoch, dev
            best_state = {name: value.detach().clone() for name, value in network.state_dict().items()}
        elif epoch - best_epoch >= settings.patience:
            break
    if best_state is not None:
        network.load_state_dict(best_state)
    return history, best_epoch, best_dev


def choose_entity_decoder(extractor: JointExtractor, evaluate: Callable[[], dict[str, Any]],
                          known: dict[str, dict] | None = None) -> tuple[str, dict[str, dict]]:
    """Keep the entity decoder (span classifier or BIO tags; both heads are trained) whose whole
    pipeline scores the better dev relation F1, as early stopping keeps the better epoch; dev
    scores already measured can be given in `known`. Returns the decoder chosen and each
    decoder's dev scores."""
    return _choose(extractor, "entity_decoder", ("spans", "bio"), evaluate, known)


def choose_relation_decoder(extractor: JointExtractor, evaluate: Callable[[], dict[str, Any]],
                            known: dict[str, dict] | None = None) -> tuple[str, dict[str, dict]]:
    """Keep the relation decoder whose whole pipeline scores the better dev relation F1: the
    marked-relations readers, the pooled classifier (both are trained) or the mean of their
    probabilities; the readers are dropped if the pooled classifier wins. Dev scores already
    measured can be given in `known`. Returns the decoder chosen and each decoder's dev scores."""
    decoder, scores = _choose(extractor, "relation_decoder", ("pooled", "marked", "both"), evaluate, known)
    if decoder == "pooled":
        for member in extractor.members:
            member.reader = None
    return decoder, scores


def _choose(extractor: JointExtractor, key: str, decoders: tuple[str, ...], evaluate: Callable[[], dict[str, Any]],
            known: dict[str, dict] | None = None) -> tuple[str, dict[str, dict]]:
    """Score the whole pipeline on dev with each decoder set as cfg[key], taking the scores in
    `known` as they are; keep the best (the first of equals)."""
    known = known or {}
    scores = {}
    for decoder in decoders:
        extractor.cfg[key] = decoder
        scores[decoder] = known[decoder] if decoder in known else evaluate()
    extractor.cfg[key] = max(scores, key=lambda d: scores[d]["relations"]["micro"]["f1"])
    return extractor.cfg[key], scores
