"""kg train --encoder: fine-tune a transformer encoder jointly for entities and relations.

The pipeline saved is the base spaCy pipeline (tokenizer, sentences, parse for kg's rules; its NER
tags become hints) plus kg_joint_extractor, which replaces doc.ents. Training: AdamW (a small
learning rate for the encoder, a larger one for the heads), linear warm-up and decay, gradient
clipping; entities by BIO tags (and span classes, if asked), relations over the gold entities'
pairs; after each epoch the whole pipeline is scored on the dev split with kg's strict evaluation
and the best epoch is kept (early stopping on dev relation F1).
"""

from __future__ import annotations

import random
from typing import Any, Callable

from spacy.language import Language

from kg.evaluate import GoldDocument
from kg.training.component import GOLD
from kg.training.joint import JointExtractor, Segment, bio_tags, segments, span_targets

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


def _batches(segments: list[Segment], size: int, rng: random.Random) -> list[list[Segment]]:
    """Shuffled batches of segments of similar length (less padding), in shuffled order."""
    order = segments[:]
    rng.shuffle(order)
    batches = []
    for k in range(0, len(order), 32 * size):
        pool = sorted(order[k:k + 32 * size], key=lambda s: len(s.words))
        batches += [pool[j:j + size] for j in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches


def fit(nlp: Language, extractor: JointExtractor, train: list[Segment], settings: Any,
        evaluate: Callable[[], dict[str, Any]], progress: Callable[[dict[str, Any]], None] | None) -> tuple[list[dict], int, dict]:
    """Train the network in place and leave it at its best epoch; returns (history, best epoch, its dev scores)."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    network = extractor.network
    if settings.freeze_embeddings:  # the word-piece table is most of a small encoder's weights; its updates cost more than they give
        network.encoder.get_input_embeddings().weight.requires_grad_(False)
    encoder_params = [p for p in network.encoder.parameters() if p.requires_grad]
    encoder_ids = {id(p) for p in encoder_params}
    head_params = [p for p in network.parameters() if id(p) not in encoder_ids and p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": encoder_params, "lr": settings.encoder_lr},
                                   {"params": head_params, "lr": settings.head_lr}], weight_decay=0.01)
    steps = settings.max_epochs * max(1, -(-len(train) // settings.encoder_batch_size))
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / warmup) * max(0.0, 1 - s / steps))
    tags, labels = extractor.tags, extractor.cfg["relation_labels"]
    class_weights = torch.tensor([NONE_WEIGHT] + [1.0] * len(extractor.cfg["entity_labels"]))
    history: list[dict[str, Any]] = []
    best, best_epoch, best_state, best_dev = -1.0, 0, None, {}
    train = [s for s in train if s.words]
    for epoch in range(1, settings.max_epochs + 1):
        network.train()
        total = 0.0
        for batch in _batches(train, settings.encoder_batch_size, rng):
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
                target = torch.zeros(len(pairs), len(labels))
                position = {pair: n for n, pair in enumerate(pairs)}
                for h, t, label in segment.relations:
                    if (h, t) in position:
                        target[position[(h, t)], labels.index(label)] = 1
                truth.append(target)
            if rows:
                loss = loss + 5 * F.binary_cross_entropy_with_logits(network.relations(torch.cat(rows)), torch.cat(truth))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item()
        dev = evaluate()
        f1 = dev["relations"]["micro"]["f1"]
        history.append({"stage": "joint", "epoch": epoch, "loss": round(total, 2), "dev_relation_f1": f1,
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


def choose_entity_decoder(extractor: JointExtractor, evaluate: Callable[[], dict[str, Any]]) -> tuple[str, dict[str, dict]]:
    """Keep the entity decoder (span classifier or BIO tags; both heads are trained) whose whole
    pipeline scores the better dev relation F1, as early stopping keeps the better epoch.
    Returns the decoder chosen and each decoder's dev scores."""
    scores = {}
    for decoder in ("spans", "bio"):
        extractor.cfg["entity_decoder"] = decoder
        scores[decoder] = evaluate()
    extractor.cfg["entity_decoder"] = max(scores, key=lambda d: scores[d]["relations"]["micro"]["f1"])
    return extractor.cfg["entity_decoder"], scores
