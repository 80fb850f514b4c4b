"""Feeding documents to spaCy: long texts in segments, and one failing document never stops the rest.

A text longer than `nlp.max_length` is cut into contiguous segments (after a paragraph break, else a
sentence end, else a line break or a space), the segments are annotated like any text, and joined
into one spaCy Doc with `Doc.from_docs`: its text is the document's text, so every character offset
(entities, sentences, tokens) refers to the whole document.

spaCy annotates in batches (and in worker processes). When a batch fails, its documents are
annotated again one by one, so only the document that fails is lost; it is handed to `on_error`
with the exception, the rest of the stream goes on.
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kg.model import Document

SEGMENT_CHARS = 100_000  # a long text is annotated in pieces of at most this many characters

_SENTENCE_END = re.compile(r"[.!?][\"'’”)\]]*\s+")


def split_segments(text: str, limit: int = SEGMENT_CHARS) -> list[tuple[int, int]]:
    """Contiguous (start, end) slices that cover `text`, none longer than `limit`, cut after a
    paragraph break where there is one in the second half of a piece, else after a sentence end,
    a line break or a space, else anywhere.

    >>> text = "One. Two.\\n\\nThree four five. Six."
    >>> [text[a:b] for a, b in split_segments(text, 18)]
    ['One. Two.\\n\\n', 'Three four five. ', 'Six.']
    """
    if limit < 2:
        raise ValueError("segment limit must be at least 2 characters")
    spans: list[tuple[int, int]] = []
    start = 0
    while len(text) - start > limit:
        end = start + limit
        low = start + limit // 2
        cut = text.rfind("\n\n", low, end)
        if cut >= 0:
            cut += 2
        else:
            ends = [m.end() for m in _SENTENCE_END.finditer(text, low, end)]
            if ends:
                cut = ends[-1]
            else:
                cut = max(text.rfind("\n", low, end), text.rfind(" ", low, end))
                cut = cut + 1 if cut >= 0 else end
        while cut < end and text[cut].isspace():  # a run of white space stays in one piece
            cut += 1
        spans.append((start, cut))
        start = cut
    spans.append((start, len(text)))
    return spans


def annotate(
    nlp: Any,
    documents: Iterable[Document],
    on_error: Callable[[Document, BaseException], None],
    batch_size: int = 32,
    n_process: int = 1,
    segment_chars: int = SEGMENT_CHARS,
) -> Iterator[tuple[Document, Any]]:
    """(document, spaCy Doc) for each document, in order. A document that cannot be annotated goes to
    `on_error(document, exception)` instead; texts over `nlp.max_length` are annotated in segments."""
    limit = max(2, min(segment_chars, nlp.max_length))
    pending: dict[int, tuple[Document, list[Any]]] = {}  # document number -> (document, its segments' Docs)
    failed: set[int] = set()
    fed: deque[tuple[str, tuple[int, int]]] = deque()  # handed to spaCy, not yet back
    source_error: list[BaseException] = []  # the documents' own iterator failed: not one document's fault
    counter = [0]  # items handed to spaCy so far

    def items() -> Iterator[tuple[str, tuple[int, int]]]:
        iterator = iter(documents)
        for number in itertools.count():
            try:
                document = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # noqa: BLE001 - re-raised once the documents before it are done
                source_error.append(exc)
                return
            text = document.text
            spans = split_segments(text, limit) if len(text) > nlp.max_length else [(0, len(text))]
            pending[number] = (document, [None] * len(spans))
            for k, (start, end) in enumerate(spans):
                item = (text[start:end], (number, k))
                fed.append(item)
                counter[0] += 1
                yield item

    def take(context: tuple[int, int], doc: Any) -> Iterator[tuple[Document, Any]]:
        number, k = context
        if number in failed:
            return
        document, parts = pending[number]
        parts[k] = doc
        if k == len(parts) - 1:  # segments come back in order: the last one completes the document
            del pending[number]
            try:
                yield document, _join(document, parts)
            except Exception as exc:  # noqa: BLE001 - one document's failure, reported
                on_error(document, exc)

    def one_by_one(item: tuple[str, tuple[int, int]]) -> Iterator[tuple[Document, Any]]:
        text, (number, k) = item
        if number in failed:
            return
        try:
            doc = nlp(text)
        except Exception as exc:  # noqa: BLE001 - one document's failure, reported
            failed.add(number)
            document, _ = pending.pop(number)
            on_error(document, exc)
            return
        yield from take((number, k), doc)

    stream = items()
    while True:
        before = counter[0]
        try:
            for doc, context in nlp.pipe(stream, as_tuples=True, batch_size=batch_size, n_process=n_process):
                while fed and fed[0][1] != context:  # dropped by a component's error handler
                    yield from one_by_one(fed.popleft())
                if fed:
                    fed.popleft()
                yield from take(context, doc)
            while fed:
                yield from one_by_one(fed.popleft())
            break
        except Exception:  # noqa: BLE001 - a batch failed: redo its documents one by one, then go on
            if counter[0] == before and not fed:
                raise  # spaCy failed before reading anything: not a document's fault
            while fed:
                yield from one_by_one(fed.popleft())
    if source_error:
        raise source_error[0]


def _join(document: Document, parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    doc_class = type(parts[0])  # spacy.tokens.Doc, without importing spaCy into this layer
    joined = doc_class.from_docs(parts, ensure_whitespace=False, exclude=["tensor"])
    if joined.text != document.text:
        raise ValueError("segments joined do not give back the text")
    return joined
