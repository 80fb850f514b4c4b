"""Loading documents: every format, the metadata of the header, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.documents import find_sources, load_documents
from kg.documents.metadata import (
    find_authors,
    find_date,
    find_title,
    find_venue,
    split_names,
)
from kg.documents.readers import markdown_to_text
from kg.errors import DocumentLoadError

HEADER = """Alliance Managers Meet in Tokyo

commentary

Aug 2, 2024

By Jane Q. Public, John Roe and Ann Example

This commentary originally appeared on The Diplomat on August 2, 2024.

Body text starts here.
"""


def minimal_pdf(text: str, title: str = "A PDF Title", author: str = "Jane Doe") -> bytes:
    """A one-page PDF with real text, built by hand (offsets computed, so readers accept it)."""
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) /Author ({author}) /CreationDate (D:20240802120000Z) >>".encode(),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def load(path: Path) -> tuple[list, list]:
    skipped: list = []
    return list(load_documents([path], on_skip=skipped.append)), skipped


def test_documents_text_header_metadata(tmp_path):
    (tmp_path / "a.txt").write_text(HEADER)
    [doc], skipped = load(tmp_path)
    info = doc.info
    assert skipped == []
    assert info.title == "Alliance Managers Meet in Tokyo"
    assert info.date == "2024-08-02"
    assert info.genre == "commentary"
    assert info.authors == ("Jane Q. Public", "John Roe", "Ann Example")
    assert info.venue == "The Diplomat"
    start, end = info.span_of("venue")
    assert doc.text[start:end] == "The Diplomat"
    assert [doc.text[s:e] for n, s, e in info.spans if n == "author"] == ["Jane Q. Public", "John Roe", "Ann Example"]


def test_documents_ids_are_paths_below_the_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Some text.")
    (tmp_path / "a.md").write_text("More text.")
    assert [doc_id for _, doc_id in find_sources([tmp_path])] == ["a.md", "sub/b.txt"]


def test_documents_markdown_front_matter(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: Front Title\ndate: 2023-03-13\nauthors: [A. Person, B. Person]\n---\n\n# Heading\n\nA *short* [link](http://x) text.\n")
    [doc], _ = load(tmp_path)
    assert doc.info.title == "Front Title"
    assert doc.info.date == "2023-03-13"
    assert doc.info.authors == ("A. Person", "B. Person")
    assert "A short link text." in doc.text and "*" not in doc.text


def test_documents_html_meta_and_article_text(tmp_path):
    (tmp_path / "p.html").write_text("""<html><head><title>T | Site</title><meta property="og:title" content="The Title">
        <meta name="author" content="Jane Doe"><meta property="article:published_time" content="2023-07-12T10:00:00Z">
        <meta property="og:site_name" content="The Site"></head><body><nav>Menu</nav>
        <article><h1>The Title</h1><p>First <b>bold</b> paragraph.</p><p>Second.</p></article>
        <script>var x = 1;</script></body></html>""")
    [doc], _ = load(tmp_path)
    assert (doc.info.title, doc.info.date, doc.info.authors, doc.info.venue) == ("The Title", "2023-07-12", ("Jane Doe",), "The Site")
    assert "First bold paragraph." in doc.text
    assert "Menu" not in doc.text and "var x" not in doc.text


def test_documents_pdf_text_and_metadata(tmp_path):
    (tmp_path / "a.pdf").write_bytes(minimal_pdf("Fumio Kishida met Joe Biden in Tokyo."))
    [doc], skipped = load(tmp_path)
    assert skipped == []
    assert "Fumio Kishida met Joe Biden in Tokyo." in doc.text
    assert (doc.info.title, doc.info.authors, doc.info.date) == ("A PDF Title", ("Jane Doe",), "2024-08-02")


def test_documents_jsonl_lines_and_metadata(tmp_path):
    lines = [{"id": 1, "text": "One.", "title": "T1", "authors": "A B"}, {"id": "two", "text": "Two.", "metadata": {"date": "2020-01-02"}}]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["1", "two"]
    assert docs[0].info.title == "T1" and docs[0].info.authors == ("A B",)
    assert docs[1].info.date == "2020-01-02"


@pytest.mark.parametrize("name,content,problem", [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"   \n\n ", "empty file"),
    ("binary.txt", b"\x00\x01\x02binary", "binary file"),
    ("latin1.txt", "caf\u00e9".encode("latin-1"), "not UTF-8"),
    ("fake.pdf", b"this is not a pdf", "not a PDF"),
    ("broken.pdf", b"%PDF-1.4\n garbage", "PDF"),
    ("bad.jsonl", b'{"id": 1, "text": }\n', "no valid document line"),
])
def test_documents_bad_file_is_skipped_with_reason(tmp_path, name, content, problem):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.txt").write_text("Good text.")
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["good.txt"]
    assert len(skipped) == 1 and name in skipped[0].source and problem in skipped[0].reason


def test_documents_malformed_jsonl_line_named_and_skipped(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"id": 1, "text": "One."}\nnot json\n{"id": 2}\n{"id": 3, "text": "Three."}\n')
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["1", "3"]
    assert [s.source.rsplit(":", 1)[1] for s in skipped] == ["2", "3"]
    assert "invalid JSON" in skipped[0].reason


def test_documents_duplicate_ids_skipped(tmp_path):
    (tmp_path / "d.jsonl").write_text('{"id": 1, "text": "One."}\n{"id": 1, "text": "Again."}\n')
    docs, skipped = load(tmp_path)
    assert len(docs) == 1 and "duplicate document id" in skipped[0].reason


def test_documents_unsupported_file_given_by_name(tmp_path):
    (tmp_path / "x.docx").write_bytes(b"PK")
    docs, skipped = load(tmp_path / "x.docx")
    assert docs == [] and "unsupported file type .docx" in skipped[0].reason


def test_documents_missing_path_and_empty_folder_are_errors(tmp_path):
    with pytest.raises(DocumentLoadError, match="no such file or folder"):
        find_sources([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.csv").write_text("a,b")
    with pytest.raises(DocumentLoadError, match="no .txt, .text, .md"):
        find_sources([tmp_path / "empty"])


def test_documents_metadata_absent_when_not_there():
    text = "It was a quiet week. Nothing happened.\n\nMore text."
    assert find_title(text) is None
    assert find_date(text) is None and find_authors(text) == [] and find_venue(text) is None


def test_documents_split_names():
    assert split_names("A, B, and C") == ["A", "B", "C"]
    assert split_names("Jeffrey W. Hornung & Zack Cooper") == ["Jeffrey W. Hornung", "Zack Cooper"]


@given(st.text())
def test_documents_header_parsers_accept_any_text(text):
    find_title(text), find_date(text), find_authors(text), find_venue(text)
    for found in find_authors(text):
        assert 0 <= found.start <= found.end <= len(text)


@given(st.text())
def test_documents_markdown_to_text_never_fails(text):
    assert isinstance(markdown_to_text(text), str)
