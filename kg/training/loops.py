"""kg train: the two training algorithms, sharing one early-stopping helper.

Without an encoder: the base pipeline's shared tok2vec, tagger and parser stay frozen (they give
the relation extractor its features and kg's rules their parse); NER is fine-tuned to the data's
labels; kg_relation_extractor trains on gold entities. With an encoder: kg_joint_extractor is
fine-tuned for entities and relations (AdamW, a small learning rate for the encoder and a larger
one for the heads, linear warm-up and decay, clipping), the base NER's tags kept as hints; then,
optionally, a marked-relations reader. Either way every epoch is scored on the dev split with
kg's strict evaluation (predicted entities) and the best epoch is kept (dev relation F1).
"""

from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from kg.errors import ConfigError
from kg.gold import GoldDocument, load_gold, score_pipeline
from kg.trained_model import META_KEY
from kg.training import component, joint  # noqa: F401  (register kg_relation_extractor, kg_joint_extractor)
from kg.training.config import CONFIG_VERSION, JointSpec, TrainConfig
from kg.training.decoding import SHAPES, Segment, bio_tags, span_targets
from kg.training.gold import gold_segments, relation_targets, spacy_examples
from kg.training.marked import Marked, readings
from kg.training.saving import check_output, save_model

Progress = Callable[[dict[str, Any]], None]
Scores = dict[str, Any]


@dataclass
class TrainResult:
    epochs: int
    best_epoch: int
    seconds: float
    dev: Scores
    history: list[dict[str, Any]]


def train(train_path: Path, dev_path: Path, output: Path, config: TrainConfig | None = None,
          progress: Progress | None = None) -> TrainResult:
    """Train and save a pipeline to `output`; it loads with spacy.load and with kg build --model.

    Example:
        >>> train(Path("train.jsonl"), Path("dev.jsonl"), Path("models/m"), TrainConfig(seed=1))  # doctest: +SKIP
    """
    config = config or TrainConfig()
    check_output(output)  # before hours of training, not after
    started = time.perf_counter()
    fix_random_seed(config.seed)
    train_docs, dev_docs = load_gold(train_path), load_gold(dev_path)
    if not any(d.entities for d in train_docs):
        raise ConfigError(f"{train_path}: no entities to learn from")
    nlp = spacy.load(config.base_model)
    fit = _train_joint if config.encoder else _train_spacy
    history, best_epoch, dev, labels = fit(nlp, train_docs, dev_docs, config, progress or (lambda row: None))
    nlp.meta[META_KEY] = {"base_model": config.base_model, "encoder": config.encoder, **labels,
                          "entity_types": config.entity_types, "train": str(train_path), "dev": str(dev_path),
                          "best_epoch": best_epoch, "dev_scores": dev, "seed": config.seed, "config_version": CONFIG_VERSION}
    save_model(nlp, output, config, dev, history)
    epochs = sum("epoch" in row for row in history)
    return TrainResult(epochs, best_epoch, time.perf_counter() - started, dev, history)


def early_stopping(stage: str, max_epochs: int, patience: int, run_epoch: Callable[[], float], evaluate: Callable[[], Scores],
                   snapshot: Callable[[], Any], restore: Callable[[Any], None],
                   progress: Progress) -> tuple[list[dict[str, Any]], int, Scores]:
    """Run epochs (`run_epoch` trains one and returns its loss) until `patience` epochs bring no
    better dev relation F1; leave the model as `snapshot` saw it at its best epoch. Returns the
    history rows, the best epoch and its dev scores."""
    history: list[dict[str, Any]] = []
    best, best_epoch, best_state, best_dev = -1.0, 0, None, {}
    for epoch in range(1, max_epochs + 1):
        loss = run_epoch()
        dev = evaluate()
        f1 = dev["relations"]["micro"]["f1"]
        history.append({"stage": stage, "epoch": epoch, "loss": round(loss, 2), "dev_relation_f1": f1,
                        "dev_entity_f1": dev["entities"]["micro"]["f1"]})
        progress(history[-1])
        if f1 > best:
            best, best_epoch, best_state, best_dev = f1, epoch, snapshot(), dev
        elif epoch - best_epoch >= patience:
            break
    if best_state is not None:
        restore(best_state)
    return history, best_epoch, best_dev


def _train_spacy(nlp: Language, train_docs: list[GoldDocument], dev_docs: list[GoldDocument], config: TrainConfig,
                 progress: Progress) -> tuple[list[dict[str, Any]], int, Scores, dict[str, list[str]]]:
    """NER fine-tuned to the data's labels (its own tok2vec learns), then kg_relation_extractor."""
    rng = random.Random(config.seed)
    ner = nlp.get_pipe("ner")
    for label in sorted({e.label for d in train_docs for e in d.entities}):
        ner.add_label(label)
    rel = nlp.add_pipe("kg_relation_extractor", config={
        "threshold": config.threshold, "positive_weight": config.positive_weight, "tensor_width": _tensor_width(nlp) or component.DEFAULT_CONFIG["tensor_width"],
        "model": {"@architectures": "kg.RelationClassifier.v1", "hidden_width": config.hidden_width, "dropout": config.dropout},
        "get_pairs": {"@misc": "kg.entity_pairs.v1", "max_length": config.max_pair_distance},
    })
    examples = spacy_examples(nlp, train_docs, ("ner", "kg_relation_extractor"))
    rel.initialize(lambda: iter(examples), nlp=nlp)
    optimizer = nlp.resume_training()
    ner_examples = [Example(nlp.make_doc(e.reference.text), e.reference) for e in examples]
    others = [name for name in nlp.pipe_names if name != "ner"]  # the shared tok2vec stays as it is
    for epoch in range(config.ner_epochs):
        rng.shuffle(ner_examples)
        losses: dict[str, float] = {}
        for batch in minibatch(ner_examples, config.batch_size):
            nlp.update(batch, sgd=optimizer, drop=config.dropout, losses=losses, annotates=[], exclude=others)
        progress({"stage": "ner", "epoch": epoch + 1, "loss": round(losses.get("ner", 0.0), 2)})

    def relation_epoch() -> float:
        rng.shuffle(examples)
        losses: dict[str, float] = {rel.name: 0.0}
        for batch in minibatch(examples, config.batch_size):
            rel.update(batch, sgd=optimizer, drop=config.dropout, losses=losses)
        return losses[rel.name]

    history, best_epoch, dev = early_stopping("relations", config.max_epochs, config.patience, relation_epoch,
                                              lambda: score_pipeline(nlp, dev_docs), rel.to_bytes, rel.from_bytes, progress)
    return history, best_epoch, dev, {"relation_labels": list(rel.labels), "entity_labels": sorted(ner.labels)}


def _tensor_width(nlp: Language) -> int:
    """The width of the base pipeline's token vectors (doc.tensor), 0 without a tok2vec."""
    return nlp.get_pipe("tok2vec").model.get_dim("nO") if "tok2vec" in nlp.pipe_names else 0


def _train_joint(nlp: Language, train_docs: list[GoldDocument], dev_docs: list[GoldDocument], config: TrainConfig,
                 progress: Progress) -> tuple[list[dict[str, Any]], int, Scores, dict[str, list[str]]]:
    """kg_joint_extractor on a fine-tuned encoder beside the base NER, whose tags become hints; then
    the entity decoder and (with a reader) the relation decoder the dev split prefers."""
    from kg.training.encoders import resolve_encoder

    encoder = resolve_encoder(config.encoder)  # found before any training
    hint_labels = list(nlp.get_pipe("ner").labels) if "ner" in nlp.pipe_names else []
    extractor = nlp.add_pipe("kg_joint_extractor", config={"threshold": config.threshold, "max_words": config.max_words})
    segments = gold_segments(nlp, train_docs, config.max_words, hint_labels)
    entity_labels = sorted({label for s in segments for *_, label in s.entities})
    signatures = sorted({(s.entities[h][2], s.entities[t][2], label) for s in segments for h, t, label in s.relations})
    longest = max(e - s for seg in segments for s, e, _ in seg.entities)
    spans = min(config.max_span, longest) if config.span_entities else 0
    extractor.initialize(encoder, JointSpec(
        entity_labels, sorted({label for *_, label in signatures}), [list(s) for s in signatures], hint_labels,
        _tensor_width(nlp), config.joint_hidden_width, config.encoder_dropout, max_span=spans,
        shapes=2 * SHAPES if spans else SHAPES, entity_decoder="spans" if spans else "bio"))

    def evaluate() -> Scores:
        return score_pipeline(nlp, dev_docs)

    history, best_epoch, dev = _fit_joint(extractor, segments, config, evaluate, progress)
    if spans:  # entities first: relations, and the reader's early stopping, are scored on them
        dev = choose_decoder(extractor, "entity_decoder", ("spans", "bio"), evaluate, history, {"spans": dev})
    if config.marked_relations:
        rows, _, marked_dev = _fit_reader(extractor, segments, config, evaluate, progress)
        history += rows
        dev = choose_decoder(extractor, "relation_decoder", ("pooled", "marked", "both"), evaluate, history,
                             {"pooled": dev, "marked": marked_dev})
        if extractor.spec.relation_decoder == "pooled":
            extractor.reader = None
    return history, best_epoch, dev, {"relation_labels": extractor.spec.relation_labels, "entity_labels": entity_labels}


def choose_decoder(extractor: Any, key: str, decoders: tuple[str, ...], evaluate: Callable[[], Scores],
                   history: list[dict[str, Any]], known: dict[str, Scores]) -> Scores:
    """Keep the decoder (a value of the extractor's spec[key]) whose whole pipeline scores the best
    dev relation F1 (the first of equals), as early stopping keeps the best epoch; scores in
    `known` are not measured again. Every decoder's scores go into `history`; returns the best's."""
    scores = {}
    for decoder in decoders:
        extractor.spec = replace(extractor.spec, **{key: decoder})
        scores[decoder] = known[decoder] if decoder in known else evaluate()
    best = max(scores, key=lambda d: scores[d]["relations"]["micro"]["f1"])
    extractor.spec = replace(extractor.spec, **{key: best})
    stage = key.replace("_", " ")
    history += [{"stage": stage, "decoder": name, "dev_relation_f1": s["relations"]["micro"]["f1"],
                 "dev_entity_f1": s["entities"]["micro"]["f1"]} for name, s in scores.items()]
    return scores[best]


def _fit_joint(extractor: Any, train: list[Segment], config: TrainConfig, evaluate: Callable[[], Scores],
               progress: Progress) -> tuple[list[dict[str, Any]], int, Scores]:
    """Train the network (entities, and relations over pooled vectors) and leave it at its best epoch."""
    import torch
    import torch.nn.functional as F

    network, spec = extractor.network, extractor.spec
    class_weights = torch.tensor([config.none_span_weight] + [1.0] * len(spec.entity_labels))

    def loss_of(batch: list[Segment]) -> Any:
        words, cls = network.encode(extractor.tokenizer, batch)
        words = network.dropout(words)
        tagged = network.tagger(words)
        tag_scores = torch.cat([tagged[i, :len(s.words)] for i, s in enumerate(batch)])
        gold_tags = torch.cat([torch.tensor(bio_tags(s.entities, len(s.words), spec.tags)) for s in batch])
        loss = config.tag_loss_weight * F.cross_entropy(tag_scores, gold_tags)
        if spec.max_span:
            span_scores = network.span_logits(words, cls)
            targets = torch.cat([torch.tensor(span_targets(batch, w, spec.entity_labels, words.shape[1])).flatten()
                                 for w in range(1, len(span_scores) + 1)])
            logits = torch.cat([scores.flatten(0, 1) for scores in span_scores])
            loss = loss + config.span_loss_weight * F.cross_entropy(logits, targets, weight=class_weights)
        rows, truth = [], []
        for i, segment in enumerate(batch):
            pairs = extractor.candidate_pairs(segment.entities)
            if pairs:
                rows.append(network.pair_rows(words[i, :len(segment.words)], cls[i], segment.entities, pairs))
                truth.append(relation_targets(segment, pairs, spec.relation_labels))
        if rows:
            logits = network.relations(torch.cat(rows))
            loss = loss + config.relation_loss_weight * F.binary_cross_entropy_with_logits(logits, torch.cat(truth))
        return loss

    train = [s for s in train if s.words]
    return _torch_epochs("joint", network, train, lambda s: len(s.words), loss_of, config, config.max_epochs, evaluate, progress)


def _fit_reader(extractor: Any, train: list[Segment], config: TrainConfig, evaluate: Callable[[], Scores],
                progress: Progress) -> tuple[list[dict[str, Any]], int, Scores]:
    """Give the extractor a marked-relations reader, a second encoder started from its trained one,
    trained on the gold entities' candidate pairs (one marked reading per subject), left at its best
    epoch; the extractor decodes relations with it meanwhile."""
    import torch
    import torch.nn.functional as F

    from kg.training.networks import MarkedReader

    spec = extractor.spec
    torch.manual_seed(config.seed)  # the reader's head starts the same whatever ran before
    reader = extractor.reader = MarkedReader(copy.deepcopy(extractor.network.encoder), spec.relation_labels,
                                             spec.hidden_width, spec.dropout)
    extractor.spec = replace(spec, relation_decoder="marked")
    examples = []
    for segment in train:
        for reading in readings(segment.entities, extractor.candidate_pairs(segment.entities), segment.words):
            pairs = [(reading.subject, o) for o in reading.objects]
            examples.append((reading, relation_targets(segment, pairs, spec.relation_labels)))

    def loss_of(batch: list[tuple[Marked, Any]]) -> Any:
        logits = reader(extractor.tokenizer, [m for m, _ in batch])
        return config.reader_loss_weight * F.binary_cross_entropy_with_logits(logits, torch.cat([t for _, t in batch]))

    return _torch_epochs("joint, marked relations", reader, examples, lambda r: len(r[0].words), loss_of, config,
                         config.reader_epochs, evaluate, progress)


def _torch_epochs(stage: str, network: Any, items: list[Any], length: Callable[[Any], int], loss_of: Callable[[list[Any]], Any],
                  config: TrainConfig, max_epochs: int, evaluate: Callable[[], Scores],
                  progress: Progress) -> tuple[list[dict[str, Any]], int, Scores]:
    """`early_stopping` of a torch network with an `encoder`: AdamW (the encoder's learning rate and
    the heads'), linear warm-up and decay, gradient clipping."""
    import torch

    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    if config.freeze_embeddings:
        network.encoder.get_input_embeddings().weight.requires_grad_(False)
    encoder_params = [p for p in network.encoder.parameters() if p.requires_grad]
    encoder_ids = {id(p) for p in encoder_params}
    head_params = [p for p in network.parameters() if id(p) not in encoder_ids and p.requires_grad]
    optimizer = torch.optim.AdamW([{"params": encoder_params, "lr": config.encoder_lr},
                                   {"params": head_params, "lr": config.head_lr}], weight_decay=0.01)
    steps = max_epochs * max(1, -(-len(items) // config.encoder_batch_size))
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / warmup) * max(0.0, 1 - s / steps))

    def run_epoch() -> float:
        network.train()
        total = 0.0
        for batch in _batches(items, config.encoder_batch_size, rng, length):
            loss = loss_of(batch)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            total += loss.item()
        network.eval()
        return total

    def snapshot() -> dict[str, Any]:
        return {name: value.detach().clone() for name, value in network.state_dict().items()}

    return early_stopping(stage, max_epochs, config.patience, run_epoch, evaluate, snapshot, network.load_state_dict, progress)


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
