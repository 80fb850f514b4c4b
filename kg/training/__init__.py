"""kg train: NER fine-tuned to the data's entity labels, and the kg_relation_extractor, on gold JSONL.

The base pipeline's shared tok2vec, tagger and parser stay frozen: they give the relation
extractor its features (doc.tensor) and kg's rules their parse. NER is fine-tuned to the data's
labels (its own tok2vec learns); the relation classifier trains on gold entities and is scored on
the dev split with kg's strict evaluation (predicted entities), keeping the best epoch (early
stopping on dev relation F1).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import spacy
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from kg.errors import ConfigError
from kg.evaluate import GoldDocument, LabelledScores, load_gold
from kg.resources import DEFAULT_MODEL
from kg.training import component, joint  # noqa: F401  (register kg_relation_extractor, kg_joint_extractor)
from kg.training.component import GOLD, USER_DATA

META_KEY = "kg"


@dataclass
class TrainSettings:
    base_model: str = DEFAULT_MODEL
    max_epochs: int = 30
    patience: int = 5
    seed: int = 0
    batch_size: int = 16
    dropout: float = 0.2
    ner_epochs: int = 15
    hidden_width: int = 128
    threshold: float = 0.5
    max_length: int = 40
    encoders: tuple[str, ...] = ()  # transformers (folders or packaged names): kg_joint_extractor instead, an ensemble if several
    encoder_lr: float = 5e-5
    head_lr: float = 1e-3
    max_words: int = 100
    span_entities: bool = False  # entities from a span classifier too (the dev split picks it or the BIO tagger)
    max_span: int = 20  # longest entity, in words, the span classifier scores (capped by the training data's longest)
    pair_attention: bool = False  # each candidate pair re-reads the segment through one attention layer
    pair_width: int = 256
    marked_relations: bool = False  # relations read again with subject and objects marked in the text (one pass per subject)
    reader_epochs: int = 4
    encoder_batch_size: int = 8
    encoder_dropout: float = 0.1
    freeze_embeddings: bool = True
    entity_types: dict[str, str | None] = field(default_factory=dict)  # data label -> kg node type


@dataclass
class TrainResult:
    epochs: int
    best_epoch: int
    seconds: float
    dev: dict[str, Any]
    history: list[dict[str, Any]]


def reference_doc(nlp: Any, gold: GoldDocument) -> Doc:
    """The gold document as a spaCy Doc: entities set, relations kept in user_data."""
    doc = nlp.make_doc(gold.text)
    spans = []
    for n, e in enumerate(gold.entities):
        span = doc.char_span(e.start, e.end, label=e.label, alignment_mode="strict")
        if span is None:
            span = doc.char_span(e.start, e.end, label=e.label, alignment_mode="expand")
        if span is None:
            raise ConfigError(f"{gold.id}: entity {n} ({e.start}-{e.end}) does not fall on token boundaries")
        spans.append(span)
    doc.ents = spacy.util.filter_spans(spans)
    relations: dict[tuple, list[str]] = {}
    ends = {n: (e.start, e.end) for n, e in enumerate(gold.entities)}
    by_cluster = {e.cluster: (e.start, e.end) for e in gold.entities if e.cluster is not None}
    for head, tail, label in gold.relations:
        h = ends.get(head) if isinstance(head, int) else by_cluster.get(head)
        t = ends.get(tail) if isinstance(tail, int) else by_cluster.get(tail)
        if h and t:
            relations.setdefault((*h, *t), []).append(label)
    doc.user_data[GOLD] = [(*k, v) for k, v in relations.items()]
    return doc


def _examples(nlp: Any, docs: list[GoldDocument]) -> list[Example]:
    """Examples whose predicted side was run through the frozen base pipeline (tensor, parse)."""
    frozen = [name for name in nlp.pipe_names if name not in ("ner", "kg_relation_extractor")]
    with nlp.select_pipes(enable=frozen):
        predicted = list(nlp.pipe(d.text for d in docs))
    return [Example(p, reference_doc(nlp, g)) for p, g in zip(predicted, docs)]


def score_relations(nlp: Any, docs: list[GoldDocument]) -> dict[str, Any]:
    """Strict scores of the whole pipeline on gold documents: entities (span and label) and
    relations (both entities' spans and the label)."""
    entities, relations = LabelledScores(), LabelledScores()
    for doc, gold in zip(nlp.pipe(d.text for d in docs), docs):
        entities.add({(e.start, e.end, e.label) for e in gold.entities}, {(e.start_char, e.end_char, e.label_) for e in doc.ents})
        ends = {n: (e.start, e.end) for n, e in enumerate(gold.entities)}
        truth = {(*ends[h], *ends[t], label) for h, t, label in gold.relations if isinstance(h, int)}
        found = {(h1, h2, t1, t2, label) for h1, h2, t1, t2, label, _ in doc.user_data.get(USER_DATA, [])}
        relations.add(truth, found)
    return {"entities": entities.as_dict(), "relations": relations.as_dict()}


def train(train_path: Path, dev_path: Path, output: Path, settings: TrainSettings | None = None,
          progress: Callable[[dict[str, Any]], None] | None = None) -> TrainResult:
    """Train and save a pipeline to `output`; it loads with spacy.load and with kg build --model."""
    settings = settings or TrainSettings()
    check_output(output)  # before hours of training, not after
    started = time.perf_counter()
    fix_random_seed(settings.seed)
    rng = random.Random(settings.seed)
    train_docs, dev_docs = load_gold(train_path), load_gold(dev_path)
    nlp = spacy.load(settings.base_model)
    if settings.encoders:
        return _train_joint(nlp, train_docs, dev_docs, train_path, dev_path, output, settings, progress, started)
    ner = nlp.get_pipe("ner")
    for label in sorted({e.label for d in train_docs for e in d.entities}):
        ner.add_label(label)
    rel = nlp.add_pipe("kg_relation_extractor", config={
        "threshold": settings.threshold,
        "model": {"@architectures": "kg.RelationClassifier.v1", "hidden_width": settings.hidden_width, "dropout": settings.dropout},
        "get_pairs": {"@misc": "kg.entity_pairs.v1", "max_length": settings.max_length},
    })
    examples = _examples(nlp, train_docs)
    rel.initialize(lambda: iter(examples), nlp=nlp)
    optimizer = nlp.resume_training()
    history: list[dict[str, Any]] = []
    # 1. NER on the data's labels (its own tok2vec; the shared one stays as it is)
    ner_examples = [Example(nlp.make_doc(e.reference.text), e.reference) for e in examples]
    for epoch in range(settings.ner_epochs):
        rng.shuffle(ner_examples)
        losses: dict[str, float] = {}
        for batch in minibatch(ner_examples, settings.batch_size):
            nlp.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses, annotates=[], exclude=[n for n in nlp.pipe_names if n != "ner"])
        if progress:
            progress({"stage": "ner", "epoch": epoch + 1, "loss": round(losses.get("ner", 0.0), 2)})
    # 2. the relation classifier, early stopping on dev relation F1
    best, best_epoch, best_bytes = -1.0, 0, rel.to_bytes()
    for epoch in range(1, settings.max_epochs + 1):
        rng.shuffle(examples)
        losses = {}
        for batch in minibatch(examples, settings.batch_size):
            rel.update(batch, sgd=optimizer, drop=settings.dropout, losses=losses)
        dev = score_relations(nlp, dev_docs)
        f1 = dev["relations"]["micro"]["f1"]
        history.append({"stage": "relations", "epoch": epoch, "loss": round(losses.get(rel.name, 0.0), 2), "dev_relation_f1": f1,
                        "dev_entity_f1": dev["entities"]["micro"]["f1"]})
        if progress:
            progress(history[-1])
        if f1 > best:
            best, best_epoch, best_bytes = f1, epoch, rel.to_bytes()
        elif epoch - best_epoch >= settings.patience:
            break
    rel.from_bytes(best_bytes)
    dev = score_relations(nlp, dev_docs)
    _save(nlp, output, settings, list(rel.labels), sorted(ner.labels), train_path, dev_path, best_epoch, dev, history)
    return TrainResult(len(history), best_epoch, time.perf_counter() - started, dev, history)


def _train_joint(nlp: Any, train_docs: list[GoldDocument], dev_docs: list[GoldDocument], train_path: Path, dev_path: Path,
                 output: Path, settings: TrainSettings, progress: Callable[[dict[str, Any]], None] | None,
                 started: float) -> TrainResult:
    """kg_joint_extractor on a fine-tuned transformer encoder in place of the base NER."""
    from kg.training.encoders import resolve_encoder
    from kg.training.finetune import choose_entity_decoder, choose_relation_decoder, fit, fit_reader, gold_segments

    encoders = [resolve_encoder(name) for name in settings.encoders]  # all found before any training
    # the base NER stays: its tags are hints for the joint extractor, which then replaces doc.ents
    hint_labels = list(nlp.get_pipe("ner").labels) if "ner" in nlp.pipe_names else []
    tensor_width = nlp.get_pipe("tok2vec").model.get_dim("nO") if "tok2vec" in nlp.pipe_names else 0
    extractor = nlp.add_pipe("kg_joint_extractor", config={"threshold": settings.threshold, "max_words": settings.max_words})
    segments = gold_segments(nlp, train_docs, settings.max_words, hint_labels)
    entity_labels = sorted({label for s in segments for *_, label in s.entities})
    signatures = sorted({(s.entities[h][2], s.entities[t][2], label) for s in segments for h, t, label in s.relations})
    if not entity_labels:
        raise ConfigError(f"{train_path}: no entities to learn from")
    longest = max(e - s for seg in segments for s, e, _ in seg.entities)
    members, history, best_epochs = [], [], []

    def evaluate() -> dict[str, Any]:
        return score_relations(nlp, dev_docs)

    def choose(stage: str, chooser: Callable, known: dict[str, dict] | None = None) -> dict[str, Any]:
        """Set the decoder the dev split prefers (scores in `known` are not measured again); record
        every decoder's scores; return the chosen one's."""
        decoder, by_decoder = chooser(extractor, evaluate, known)
        history.extend({"stage": stage, "decoder": name, "dev_relation_f1": scores["relations"]["micro"]["f1"],
                        "dev_entity_f1": scores["entities"]["micro"]["f1"]} for name, scores in by_decoder.items())
        return by_decoder[decoder]

    for k, encoder in enumerate(encoders):  # each member trained alone (seed + k), early stopping on its own dev score
        extractor.initialize(encoder, entity_labels, sorted({label for *_, label in signatures}), signatures,
                             hidden_width=4 * settings.hidden_width, dropout=settings.encoder_dropout,
                             hint_labels=hint_labels, tensor_width=tensor_width,
                             max_span=min(settings.max_span, longest) if settings.span_entities else 0,
                             pair_width=settings.pair_width if settings.pair_attention else 0)
        stage = "joint" if len(encoders) == 1 else f"joint {k + 1}"

        def report(row: dict[str, Any], stage: str = stage) -> None:
            if progress:
                progress({**row, "stage": stage})

        # dev scores as fit leaves the model: spans decode while they train, relations are pooled
        rows, best_epoch, dev = fit(nlp, extractor, segments, replace(settings, seed=settings.seed + k), evaluate, report)
        history += [{**row, "stage": stage} for row in rows]
        if settings.span_entities:  # entities first: relations, and the reader's early stopping, are scored on them
            dev = choose(f"{stage}, entity decoder" if len(encoders) > 1 else "entity decoder", choose_entity_decoder, {"spans": dev})
        if settings.marked_relations:
            marked_stage = f"{stage}, marked relations"
            rows, _, marked_dev = fit_reader(extractor, segments, replace(settings, seed=settings.seed + k), evaluate,
                                             lambda row: report(row, marked_stage))
            history += [{**row, "stage": marked_stage} for row in rows]
            known_relations = {"pooled": dev, "marked": marked_dev}
        best_epochs.append(best_epoch)
        members += extractor.members
    extractor.members = members
    if len(members) > 1:  # an ensemble has not been scored whole yet
        dev = choose("entity decoder", choose_entity_decoder) if settings.span_entities else None
    if settings.marked_relations:  # a single member's pooled and marked scores are known; an ensemble's are not
        dev = choose("relation decoder", choose_relation_decoder, known_relations if len(members) == 1 else None)
    if dev is None:
        dev = score_relations(nlp, dev_docs)
    _save(nlp, output, settings, extractor.cfg["relation_labels"], entity_labels, train_path, dev_path, best_epochs[0], dev, history)
    return TrainResult(len([row for row in history if "epoch" in row]), best_epochs[0], time.perf_counter() - started, dev, history)


def _save(nlp: Any, output: Path, settings: TrainSettings, relation_labels: list[str], entity_labels: list[str],
          train_path: Path, dev_path: Path, best_epoch: int, dev: dict[str, Any], history: list[dict[str, Any]]) -> None:
    nlp.meta.setdefault(META_KEY, {}).update({
        "base_model": settings.base_model, "encoder": settings.encoders[0] if settings.encoders else None, "encoders": list(settings.encoders),
        "relation_labels": relation_labels, "entity_labels": entity_labels,
        "entity_types": settings.entity_types, "train": str(train_path), "dev": str(dev_path),
        "best_epoch": best_epoch, "dev_scores": dev, "seed": settings.seed,
    })
    output = check_output(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-"))
    old = None
    try:  # written whole beside the target, then swapped in: no half-written model, and nothing but a kg model replaced
        nlp.to_disk(staging)
        (staging / "training.json").write_text(json.dumps({"history": history, "dev": dev}, indent=1))
        check_output(output)  # again: the folder may have changed while the model trained
        if output.exists():
            old = Path(tempfile.mkdtemp(dir=output.parent, prefix=f".{output.name}-old-"))
            os.replace(output, old)
        try:
            os.replace(staging, output)
        except OSError:
            if old is not None and not output.exists():
                os.replace(old, output)
                old = None
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def check_output(output: str | Path) -> Path:
    """The folder kg train may save a model in: a new or empty folder, or a model kg train saved.

    Anything else is refused before training starts, so kg never deletes what it did not write:
    a folder holding other files, a file, a symbolic link, the working directory, the home folder
    and any folder above the working directory.
    """
    output = Path(output)
    try:
        target, cwd, home = output.resolve(), Path.cwd().resolve(), Path.home().resolve()
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"{output}: cannot use this output folder ({exc})") from None
    if target == home or cwd.is_relative_to(target):
        what = "the home folder" if target == home else "the working directory" if target == cwd else "a folder above the working directory"
        raise ConfigError(f"{output}: is {what}; kg train replaces its output folder, so give a new folder for the model")
    if output.is_symlink():
        raise ConfigError(f"{output}: is a symbolic link; give the model folder itself")
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{output}: exists and is not a folder")
    try:
        foreign = output.is_dir() and any(output.iterdir()) and not is_trained_model(output)
    except OSError as exc:
        raise ConfigError(f"{output}: cannot read the output folder ({exc.strerror})") from None
    if foreign:
        raise ConfigError(f"{output}: is not empty and holds no kg model; kg train replaces only a model it saved, so give a new or empty folder")
    return output


def is_trained_model(path: str | Path) -> bool:
    """Whether `path` is a pipeline saved by kg train."""
    meta = Path(path) / "meta.json"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get(META_KEY), dict)
