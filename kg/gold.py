"""Gold data and strict scores, shared by kg eval (kg.evaluate) and kg train (kg.training).

The gold format is the common one of ../shared/data (see its README): one object per line with
"id", "text", "entities" [{start, end, label, cluster}] and "relations" [{head, tail, label}], where
head/tail index the entities (sentence-level data) or name clusters (document-level data).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.errors import ConfigError, DocumentLoadError

RELATIONS_KEY = "kg_relations"  # where a kg train pipeline leaves a Doc's relations, in doc.user_data


@dataclass(frozen=True, slots=True)
class GoldEntity:
    start: int
    end: int
    label: str
    cluster: str | None


@dataclass(frozen=True, slots=True)
class GoldDocument:
    id: str
    text: str
    entities: tuple[GoldEntity, ...]
    relations: tuple[tuple[Any, Any, str], ...]  # (head, tail, label): entity indexes or cluster ids


def read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file; a missing or unreadable one is a DocumentLoadError naming it."""
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DocumentLoadError(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentLoadError(str(path), f"cannot read as UTF-8 text ({exc})") from None


def load_gold(path: Path, limit: int = 0) -> list[GoldDocument]:
    """Read and check a gold file; a bad line is a ConfigError naming the file and line."""
    path = Path(path)
    lines = read_lines(path)
    docs = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            raw = json.loads(line)
            text = raw["text"]
            entities = tuple(
                GoldEntity(int(e["start"]), int(e["end"]), str(e["label"]), e.get("cluster")) for e in raw["entities"]
            )
            relations = tuple((r["head"], r["tail"], str(r["label"])) for r in raw.get("relations", []))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where}: invalid JSON ({exc.msg})") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: not a gold document ({exc.__class__.__name__}: {exc})") from None
        for e in entities:
            if not 0 <= e.start < e.end <= len(text):
                raise ConfigError(
                    f"{where}: entity offsets {e.start}-{e.end} outside the text ({len(text)} characters)"
                )
        clusters = {e.cluster for e in entities}
        for head, tail, _ in relations:
            for end in (head, tail):
                if not (isinstance(end, int) and 0 <= end < len(entities)) and end not in clusters:
                    raise ConfigError(f"{where}: relation end {end!r} is neither an entity index nor a cluster")
        docs.append(GoldDocument(str(raw.get("id", lineno)), text, entities, relations))
        if limit and len(docs) >= limit:
            break
    if not docs:
        raise DocumentLoadError(str(path), "no gold documents")
    return docs


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class LabelledScores:
    micro: PRF = field(default_factory=PRF)
    labels: dict[str, PRF] = field(default_factory=lambda: defaultdict(PRF))

    def add(self, gold: set[tuple], predicted: set[tuple]) -> None:
        """Items are tuples whose last element is the label."""
        for item in predicted & gold:
            self.micro.tp += 1
            self.labels[item[-1]].tp += 1
        for item in predicted - gold:
            self.micro.fp += 1
            self.labels[item[-1]].fp += 1
        for item in gold - predicted:
            self.micro.fn += 1
            self.labels[item[-1]].fn += 1

    def as_dict(self) -> dict[str, Any]:
        return {"micro": self.micro.as_dict(), "labels": {k: v.as_dict() for k, v in sorted(self.labels.items())}}


def score_pipeline(nlp: Any, docs: list[GoldDocument]) -> dict[str, Any]:
    """Strict scores of a kg train pipeline on gold documents: entities (span and label) and
    relations (both entities' spans and the label), as {"entities": ..., "relations": ...}."""
    entities, relations = LabelledScores(), LabelledScores()
    for doc, gold in zip(nlp.pipe(d.text for d in docs), docs):
        entities.add(
            {(e.start, e.end, e.label) for e in gold.entities}, {(e.start_char, e.end_char, e.label_) for e in doc.ents}
        )
        ends = {n: (e.start, e.end) for n, e in enumerate(gold.entities)}
        truth = {(*ends[h], *ends[t], label) for h, t, label in gold.relations if isinstance(h, int)}
        found = {(h1, h2, t1, t2, label) for h1, h2, t1, t2, label, _ in doc.user_data.get(RELATIONS_KEY, [])}
        relations.add(truth, found)
    return {"entities": entities.as_dict(), "relations": relations.as_dict()}
