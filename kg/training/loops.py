"""kg train: the two training algorithms, sharing one early-stopping helper.

Without an encoder, NER is fine-tuned to the data's labels and kg_relation_extractor trains on gold
entities over the frozen base pipeline's token vectors. With one, kg_joint_extractor is fine-tuned
(AdamW, warm-up and decay), then optionally a marked-relations reader. Every epoch is scored on the
dev split (strict, on predicted entities) and the epoch of the best dev relation F1 is kept.
"""

from __future__ import annotations

import copy
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from kg.errors import ConfigError
from kg.gold import GoldDocument, load_gold, score_pipeline
from kg.trained_model import META_KEY, check_output, replace_model
from kg.training import component, joint  # noqa: F401  (register kg_relation_extractor, kg_joint_extractor)
from kg.training.config import CONFIG_VERSION, JointSpec, TrainConfig
from kg.training.decoding import SHAPES, Marked, Segment, bio_tags, readings, span_targets
from kg.training.gold import gold_segments, relation_targets, spacy_examples

Progress = Callable[[dict[str, Any]], None]
Scores = dict[str, Any]


@dataclass
class TrainResult:
    epochs: int
    best_epoch: int
    seconds: float
    dev: Scores
    history: list[dict[str, Any]]


@dataclass
class Run:
    """One training run: its configuration, its dev scores, where each epoch's row goes as it ends,
    and the history of every epoch and decoder choice."""

    config: TrainConfig
    evaluate: Callable[[], Scores]
    progress: Progress
    history: list[dict[str, Any]] = field(default_factory=list)

    def record(self, stage: str, scores: Scores, **row: Any) -> dict[str, Any]:
        """Add a row of dev scores (and `row`'s items) to the history; returns it."""
        f1 = {"dev_relation_f1": scores["relations"]["micro"]["f1"], "dev_entity_f1": scores["entities"]["micro"]["f1"]}
        self.history.append({"stage": stage, **row, **f1})
        return self.history[-1]


def train(
    train_path: Path, dev_path: Path, output: Path, config: TrainConfig | None = None, progress: Progress | None = None
) -> TrainResult:
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
    run = Run(config, lambda: score_pipeline(nlp, dev_docs), progress or (lambda row: None))
    best_epoch, dev, labels = (_train_joint if config.encoder else _train_spacy)(run, nlp, train_docs)
    nlp.meta[META_KEY] = {
        **{"base_model": config.base_model, "encoder": config.encoder, **labels, "entity_types": config.entity_types},
        **{"train": str(train_path), "dev": str(dev_path), "best_epoch": best_epoch, "dev_scores": dev},
        **{"seed": config.seed, "config_version": CONFIG_VERSION},
    }

    def write(folder: Path) -> None:
        nlp.to_disk(folder)
        config.save(folder)
        (folder / "training.json").write_text(json.dumps({"history": run.history, "dev": dev}, indent=1))

    replace_model(output, write)
    epochs = sum("epoch" in row for row in run.history)
    return TrainResult(epochs, best_epoch, time.perf_counter() - started, dev, run.history)


def early_stopping(
    run: Run,
    stage: str,
    max_epochs: int,
    run_epoch: Callable[[], float],
    snapshot: Callable[[], Any],
    restore: Callable[[Any], Any],
) -> tuple[int, Scores]:
    """Run epochs (`run_epoch` trains one, returns its loss) until `run.config.patience` epochs bring
    no better dev relation F1, then `restore` the best epoch's `snapshot`; returns it and its scores."""
    best, best_epoch, best_state, best_dev = -1.0, 0, None, {}
    for epoch in range(1, max_epochs + 1):
        loss = run_epoch()
        dev = run.evaluate()
        run.progress(run.record(stage, dev, epoch=epoch, loss=round(loss, 2)))
        if dev["relations"]["micro"]["f1"] > best:
            best, best_epoch, best_state, best_dev = dev["relations"]["micro"]["f1"], epoch, snapshot(), dev
        elif epoch - best_epoch >= run.config.patience:
            break
    if best_state is not None:
        restore(best_state)
    return best_epoch, best_dev


def _train_spacy(run: Run, nlp: Language, train_docs: list[GoldDocument]) -> tuple[int, Scores, dict[str, list[str]]]:
    """NER fine-tuned to the data's labels (its own tok2vec learns), then kg_relation_extractor."""
    config, rng = run.config, random.Random(run.config.seed)
    ner: Any = nlp.get_pipe("ner")
    for label in sorted({e.label for d in train_docs for e in d.entities}):
        ner.add_label(label)
    model = {
        "@architectures": "kg.RelationClassifier.v1",
        "hidden_width": config.hidden_width,
        "dropout": config.dropout,
    }
    pairs = {"@misc": "kg.entity_pairs.v1", "max_length": config.max_pair_distance}
    width = _tensor_width(nlp) or component.DEFAULT_CONFIG["tensor_width"]
    settings = {"threshold": config.threshold, "positive_weight": config.positive_weight, "tensor_width": width}
    rel: Any = nlp.add_pipe("kg_relation_extractor", config={**settings, "model": model, "get_pairs": pairs})
    examples = spacy_examples(nlp, train_docs, ("ner", "kg_relation_extractor"))
    rel.initialize(lambda: iter(examples), nlp=nlp)
    optimizer = nlp.resume_training()

    def epoch(examples: list[Example], update: Callable[..., Any], name: str) -> float:
        rng.shuffle(examples)
        losses = {name: 0.0}
        for batch in minibatch(examples, config.batch_size):
            update(batch, sgd=optimizer, drop=config.dropout, losses=losses)
        return losses[name]

    ner_examples = [Example(nlp.make_doc(e.reference.text), e.reference) for e in examples]
    update_ner = partial(nlp.update, annotates=[], exclude=[n for n in nlp.pipe_names if n != "ner"])  # tok2vec stays
    for n in range(1, config.ner_epochs + 1):
        run.progress({"stage": "ner", "epoch": n, "loss": round(epoch(ner_examples, update_ner, "ner"), 2)})
    relation_epoch = partial(epoch, examples, rel.update, rel.name)
    best_epoch, dev = early_stopping(run, "relations", config.max_epochs, relation_epoch, rel.to_bytes, rel.from_bytes)
    return best_epoch, dev, {"relation_labels": list(rel.labels), "entity_labels": sorted(ner.labels)}


def _tensor_width(nlp: Language) -> int:
    """The width of the base pipeline's token vectors (doc.tensor), 0 without a tok2vec."""
    tok2vec: Any = nlp.get_pipe("tok2vec") if "tok2vec" in nlp.pipe_names else None
    return tok2vec.model.get_dim("nO") if tok2vec is not None else 0


def _train_joint(run: Run, nlp: Language, train_docs: list[GoldDocument]) -> tuple[int, Scores, dict[str, list[str]]]:
    """kg_joint_extractor on a fine-tuned encoder (the base NER's tags as hints), then the decoders
    the dev split prefers."""
    from kg.training.encoders import resolve_encoder

    config = run.config
    encoder = resolve_encoder(str(config.encoder))  # found before any training
    ner: Any = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
    hint_labels = list(ner.labels) if ner is not None else []
    settings = {"threshold": config.threshold, "max_words": config.max_words}
    extractor: Any = nlp.add_pipe("kg_joint_extractor", config=settings)
    segments = gold_segments(nlp, train_docs, config.max_words, hint_labels)
    entity_labels = sorted({label for s in segments for *_, label in s.entities})
    signatures = sorted({(s.entities[h][2], s.entities[t][2], label) for s in segments for h, t, label in s.relations})
    longest = max(e - s for seg in segments for s, e, _ in seg.entities)
    spans = min(config.max_span, longest) if config.span_entities else 0
    relation_labels = sorted({label for *_, label in signatures})
    labels = (entity_labels, relation_labels, [list(s) for s in signatures], hint_labels)
    spec = JointSpec(*labels, _tensor_width(nlp), config.joint_hidden_width, config.encoder_dropout, max_span=spans)
    if spans:  # the span classifier, with words glued to the one before marked, decodes while it trains
        spec = replace(spec, shapes=2 * SHAPES, entity_decoder="spans")
    extractor.initialize(encoder, spec)
    best_epoch, dev = _fit_joint(run, extractor, segments)
    if spans:  # entities first: relations, and the reader's early stopping, are scored on them
        dev = choose_decoder(run, extractor, "entity_decoder", ("spans", "bio"), {"spans": dev})
    if config.marked_relations:
        known = {"pooled": dev, "marked": _fit_reader(run, extractor, segments)[1]}
        dev = choose_decoder(run, extractor, "relation_decoder", ("pooled", "marked", "both"), known)
        if extractor.spec.relation_decoder == "pooled":
            extractor.reader = None
    return best_epoch, dev, {"relation_labels": relation_labels, "entity_labels": entity_labels}


def choose_decoder(run: Run, extractor: Any, key: str, decoders: tuple[str, ...], known: dict[str, Scores]) -> Scores:
    """Keep the decoder (a value of the extractor's spec[key]) of the best dev relation F1 (the first
    of equals; `known` scores are not measured again), record each decoder's; returns the best's."""
    scores = {}
    for decoder in decoders:
        extractor.spec = replace(extractor.spec, **{key: decoder})
        scores[decoder] = known[decoder] if decoder in known else run.evaluate()
    best = max(scores, key=lambda d: scores[d]["relations"]["micro"]["f1"])
    extractor.spec = replace(extractor.spec, **{key: best})
    for name, decoded in scores.items():
        run.record(key.replace("_", " "), decoded, decoder=name)
    return scores[best]


def _fit_joint(run: Run, extractor: Any, train: list[Segment]) -> tuple[int, Scores]:
    """Train the network (entities, and relations over pooled vectors) and leave it at its best epoch."""
    import torch
    import torch.nn.functional as F

    network, spec, config = extractor.network, extractor.spec, run.config
    class_weights = torch.tensor([config.none_span_weight] + [1.0] * len(spec.entity_labels))

    def loss_of(batch: list[Segment]) -> Any:
        words, cls = network.encode(extractor.tokenizer, batch)
        words = network.dropout(words)
        tagged = network.tagger(words)
        tag_scores = torch.cat([tagged[i, : len(s.words)] for i, s in enumerate(batch)])
        gold_tags = torch.cat([torch.tensor(bio_tags(s.entities, len(s.words), spec.tags)) for s in batch])
        loss = config.tag_loss_weight * F.cross_entropy(tag_scores, gold_tags)
        if spec.max_span:
            span_scores = network.span_logits(words, cls)
            widths = range(1, len(span_scores) + 1)
            targets = [
                torch.tensor(span_targets(batch, w, spec.entity_labels, words.shape[1])).flatten() for w in widths
            ]
            logits = torch.cat([scores.flatten(0, 1) for scores in span_scores])
            loss = loss + config.span_loss_weight * F.cross_entropy(logits, torch.cat(targets), weight=class_weights)
        rows, truth = [], []
        for i, segment in enumerate(batch):
            pairs = extractor.candidate_pairs(segment.entities)
            if pairs:
                rows.append(network.pair_rows(words[i, : len(segment.words)], cls[i], segment.entities, pairs))
                truth.append(relation_targets(segment, pairs, spec.relation_labels))
        if rows:
            logits = network.relations(torch.cat(rows))
            loss = loss + config.relation_loss_weight * F.binary_cross_entropy_with_logits(logits, torch.cat(truth))
        return loss

    train = [s for s in train if s.words]
    return _torch_epochs(run, "joint", network, train, lambda s: len(s.words), loss_of, config.max_epochs)


def _fit_reader(run: Run, extractor: Any, train: list[Segment]) -> tuple[int, Scores]:
    """Give the extractor a marked-relations reader (a copy of its trained encoder), trained on the
    gold entities' candidate pairs and left at its best epoch; relations are decoded with it."""
    import torch
    import torch.nn.functional as F

    from kg.training.networks import MarkedReader

    spec, config = extractor.spec, run.config
    torch.manual_seed(config.seed)  # the reader's head starts the same whatever ran before
    encoder = copy.deepcopy(extractor.network.encoder)
    reader = extractor.reader = MarkedReader(encoder, spec)
    extractor.spec = replace(spec, relation_decoder="marked")
    examples = []
    for segment in train:
        for reading in readings(segment.entities, extractor.candidate_pairs(segment.entities), segment.words):
            pairs = [(reading.subject, o) for o in reading.objects]
            examples.append((reading, relation_targets(segment, pairs, spec.relation_labels)))

    def loss_of(batch: list[tuple[Marked, Any]]) -> Any:
        logits = reader(extractor.tokenizer, [m for m, _ in batch])
        return config.reader_loss_weight * F.binary_cross_entropy_with_logits(logits, torch.cat([t for _, t in batch]))

    stage = "joint, marked relations"
    return _torch_epochs(run, stage, reader, examples, lambda r: len(r[0].words), loss_of, config.reader_epochs)


def _torch_epochs(
    run: Run,
    stage: str,
    network: Any,
    items: list[Any],
    length: Callable[[Any], int],
    loss_of: Callable[[list[Any]], Any],
    max_epochs: int,
) -> tuple[int, Scores]:
    """`early_stopping` of a torch network: AdamW (one learning rate for its `encoder`, one for the
    rest), linear warm-up and decay, gradient clipping."""
    import torch

    config = run.config
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    if config.freeze_embeddings:
        network.encoder.get_input_embeddings().weight.requires_grad_(False)
    encoder = {id(p) for p in network.encoder.parameters()}
    trained = [p for p in network.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in trained if id(p) in encoder], "lr": config.encoder_lr},
        {"params": [p for p in trained if id(p) not in encoder], "lr": config.head_lr},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
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

    return early_stopping(run, stage, max_epochs, run_epoch, snapshot, network.load_state_dict)


def _batches(items: list[Any], size: int, rng: random.Random, length: Callable[[Any], int]) -> list[list[Any]]:
    """Shuffled batches of items of similar length (less padding), in shuffled order."""
    order = items[:]
    rng.shuffle(order)
    batches = []
    for k in range(0, len(order), 32 * size):
        pool = sorted(order[k : k + 32 * size], key=length)
        batches += [pool[j : j + size] for j in range(0, len(pool), size)]
    rng.shuffle(batches)
    return batches
