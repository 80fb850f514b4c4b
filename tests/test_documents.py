"""Loading documents: every format, the metadata of the header, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kg.documents import find_sources, load_documents, read_file, readers_by_suffix
from kg.documents.markdown import FrontMatterError, front_matter, markdown_to_text
from kg.documents.metadata import (
    find_authors,
    find_date,
    find_title,
    find_venue,
    split_names,
)
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
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
        b">> >>",
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
    (tmp_path / "a.md").write_text(
        "---\ntitle: Front Title\ndate: 2023-03-13\nauthors: [A. Person, B. Person]\n---\n\n# Heading\n\nA *short* "
        "[link](http://x) text.\n"
    )
    [doc], _ = load(tmp_path)
    assert doc.info.title == "Front Title"
    assert doc.info.date == "2023-03-13"
    assert doc.info.authors == ("A. Person", "B. Person")
    assert "A short link text." in doc.text and "*" not in doc.text


def test_documents_html_meta_and_article_text(tmp_path):
    (
        tmp_path / "p.html"
    ).write_text("""<html><head><title>T | Site</title><meta property="og:title" content="The Title">
        <meta name="author" content="Jane Doe"><meta property="article:published_time" content="2023-07-12T10:00:00Z">
        <meta property="og:site_name" content="The Site"></head><body><nav>Menu</nav>
        <article><h1>The Title</h1><p>First <b>bold</b> paragraph.</p><p>Second.</p></article>
        <script>var x = 1;</script></body></html>""")
    [doc], _ = load(tmp_path)
    assert (doc.info.title, doc.info.date, doc.info.authors, doc.info.venue) == (
        "The Title",
        "2023-07-12",
        ("Jane Doe",),
        "The Site",
    )
    assert "First bold paragraph." in doc.text
    assert "Menu" not in doc.text and "var x" not in doc.text


def test_documents_pdf_text_and_metadata(tmp_path):
    (tmp_path / "a.pdf").write_bytes(minimal_pdf("Fumio Kishida met Joe Biden in Tokyo."))
    [doc], skipped = load(tmp_path)
    assert skipped == []
    assert "Fumio Kishida met Joe Biden in Tokyo." in doc.text
    assert (doc.info.title, doc.info.authors, doc.info.date) == ("A PDF Title", ("Jane Doe",), "2024-08-02")


def test_documents_jsonl_lines_and_metadata(tmp_path):
    lines = [
        {"id": 1, "text": "One.", "title": "T1", "authors": "A B"},
        {"id": "two", "text": "Two.", "metadata": {"date": "2020-01-02"}},
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(x) for x in lines))
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["1", "two"]
    assert docs[0].info.title == "T1" and docs[0].info.authors == ("A B",)
    assert docs[1].info.date == "2020-01-02"


@pytest.mark.parametrize(
    "name,content,problem",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"   \n\n ", "empty file"),
        ("binary.txt", b"\x00\x01\x02binary", "binary file"),
        ("latin1.txt", "caf\u00e9".encode("latin-1"), "not UTF-8"),
        ("fake.pdf", b"this is not a pdf", "not a PDF"),
        ("broken.pdf", b"%PDF-1.4\n garbage", "PDF"),
        ("bad.jsonl", b'{"id": 1, "text": }\n', "no valid document line"),
    ],
)
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
    (tmp_path / "x.odt").write_bytes(b"PK")
    docs, skipped = load(tmp_path / "x.odt")
    assert docs == [] and "unsupported file type .odt; use one of .docx, .htm, .html" in skipped[0].reason
    with pytest.raises(DocumentLoadError, match=r"x\.odt: unsupported file type \.odt; use one of .*\.txt"):
        read_file(tmp_path / "x.odt", "x.odt")


def test_documents_every_file_found_and_not_read_is_listed(tmp_path):
    for name in ("a.txt", "b.odt", "c.csv", "d", "e.DOCX"):
        (tmp_path / name).write_text("Some text.")
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["a.txt"]
    assert sorted(Path(s.source).name for s in skipped) == ["b.odt", "c.csv", "d", "e.DOCX"]
    assert {s.reason.split(";")[0] for s in skipped} == {
        "unsupported file type .odt",
        "unsupported file type .csv",
        "unsupported file type (none)",
        "not a .docx file (no ZIP package",
    }


def test_documents_missing_path_and_empty_folder_are_errors(tmp_path):
    with pytest.raises(DocumentLoadError, match="no such file or folder"):
        find_sources([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.csv").write_text("a,b")
    with pytest.raises(
        DocumentLoadError, match=r"no \.docx, \.htm, \.html, \.jsonl, \.markdown, \.md, \.pdf, \.text, \.txt files"
    ):
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


# -- Markdown through a Markdown parser, front matter through a YAML parser ---------------------------


def test_documents_markdown_front_matter_block_list_of_authors(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\nTitle: Alliance Notes\ndate: 2023-08-18\nauthors:\n  - Jane Q. Public\n  - name: John Roe\n"
        "publisher: The Diplomat\ntags: [a, b]\n---\nBody text.\n"
    )
    [doc], skipped = load(tmp_path)
    assert skipped == []
    assert (doc.info.title, doc.info.date, doc.info.authors, doc.info.venue) == (
        "Alliance Notes",
        "2023-08-18",
        ("Jane Q. Public", "John Roe"),
        "The Diplomat",
    )
    assert doc.text == "Body text."


@pytest.mark.parametrize(
    "yaml_text,expected",
    [
        ("author: Jane Doe and John Roe", {"authors": ["Jane Doe", "John Roe"]}),
        ("authors: [A. Person, B. Person]", {"authors": ["A. Person", "B. Person"]}),
        ("title: 1984\ndate: 2024-05-06 10:00:00", {"title": "1984", "date": "2024-05-06"}),
        ("url: not a url\ngenre: [x]\nauthors: 5", {"authors": ["5"]}),
        ("", {}),
    ],
)
def test_documents_front_matter_fields(yaml_text, expected):
    fields, body = front_matter(f"---\n{yaml_text}\n---\nBody")
    assert (fields, body) == (expected, "Body")


@pytest.mark.parametrize(
    "content,problem",
    [
        ("---\ntitle: [unclosed\n---\nBody", "a.md: front matter is not valid YAML (line 2"),
        ("---\n- just\n- a list\n---\nBody", "a.md: front matter is a YAML list, not a mapping"),
        ("---\ntitle: Only front matter\n---\n", "a.md: no text after the front matter"),
    ],
)
def test_documents_bad_markdown_is_one_line_naming_the_file(tmp_path, content, problem):
    (tmp_path / "a.md").write_text(content)
    (tmp_path / "good.txt").write_text("Good text.")
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["good.txt"]
    assert [str(s).replace(str(tmp_path) + "/", "") for s in skipped][0].startswith(problem)
    assert "\n" not in str(skipped[0])


def test_documents_markdown_parser_keeps_what_regexes_broke():
    text = markdown_to_text(
        "Intro with snake_case_name and 2 * 3 = 6.\n\n```\nkeep *this* code\n```\n\n"
        "| Name | Post |\n|---|---|\n| Jane Doe | Minister |\n\n<div>html</div>\n\n![a picture](x.png)\n\n"
        "> quoted [link](http://x) text\n\n1. first\n2. **second**"
    )
    assert text.split("\n\n") == [
        "Intro with snake_case_name and 2 * 3 = 6.",
        "keep *this* code",
        "Name; Post",
        "Jane Doe; Minister",
        "quoted link text",
        "first",
        "second",
    ]


@given(st.text())
def test_documents_front_matter_raises_only_its_own_error(text):
    try:
        fields, body = front_matter("---\n" + text)
    except FrontMatterError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(fields, dict) and isinstance(body, str)
        assert all(isinstance(v, str) for k, v in fields.items() if k != "authors")


# -- Word documents ---------------------------------------------------------------------------------


def make_docx(path: Path, author: str | None = "Jane Doe; John Roe", title: str = "Quad Brief") -> Path:
    import datetime

    import docx

    document = docx.Document()
    document.add_heading("The Quad in Tokyo", level=1)
    document.add_paragraph("Fumio Kishida met Joe Biden in Tokyo.")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Name", "Post"), ("Anthony Albanese", "Prime Minister")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph("Narendra Modi was there too.")
    if author is not None:
        document.core_properties.author = author
        document.core_properties.title = title
        document.core_properties.created = datetime.datetime(2022, 5, 24, 9, 0)
    document.save(path)
    return path


def test_documents_docx_text_in_order_and_metadata(tmp_path):
    make_docx(tmp_path / "brief.docx")
    [doc], skipped = load(tmp_path)
    assert skipped == []
    assert doc.text.split("\n\n") == [
        "The Quad in Tokyo",
        "Fumio Kishida met Joe Biden in Tokyo.",
        "Name; Post",
        "Anthony Albanese; Prime Minister",
        "Narendra Modi was there too.",
    ]
    assert (doc.info.title, doc.info.authors, doc.info.date) == ("Quad Brief", ("Jane Doe", "John Roe"), "2022-05-24")


def test_documents_docx_template_properties_are_no_metadata(tmp_path):
    make_docx(tmp_path / "plain.docx", author=None)  # python-docx's template says author "python-docx", created 2013
    [doc], _ = load(tmp_path)
    assert (doc.info.title, doc.info.authors, doc.info.date) == ("The Quad in Tokyo", (), None)


@pytest.mark.parametrize(
    "content,problem",
    [
        (b"\xd0\xcf\x11\xe0 an old .doc", "not a .docx file (no ZIP package"),
        (b"PK\x03\x04 broken zip", "not a readable .docx file (BadZipFile: File is not a zip file)"),
        ("zip", "not a readable .docx file ("),
        ("empty", "no text in the document"),
    ],
)
def test_documents_bad_docx_is_one_line_naming_the_file(tmp_path, content, problem):
    import zipfile

    path = tmp_path / "bad.docx"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hello.txt", "not a Word document")
    elif content == "empty":
        import docx

        docx.Document().save(path)
    else:
        path.write_bytes(content)
    (tmp_path / "good.txt").write_text("Good text.")
    docs, skipped = load(tmp_path)
    assert [d.id for d in docs] == ["good.txt"]
    assert len(skipped) == 1 and skipped[0].source.endswith("bad.docx") and skipped[0].reason.startswith(problem)
    assert "\n" not in str(skipped[0])


def test_documents_docx_and_markdown_authors_are_graph_nodes(tmp_path):
    from kg import build_graph

    make_docx(tmp_path / "brief.docx")
    (tmp_path / "notes.md").write_text(
        "---\ntitle: Summit Notes\nauthors:\n  - Zack Cooper\n  - Adam P. Liff\n---\n\n"
        "# Camp David\n\nJoe Biden hosted Yoon Suk Yeol at Camp David.\n"
    )
    graph = build_graph([tmp_path])
    assert graph.report.skipped == []
    authored = {
        (graph.documents[r.subject].id, graph.label_of(r.object), graph.type_of(r.object))
        for r in graph.relations
        if r.predicate == "authored_by"
    }
    assert authored == {
        ("brief.docx", "Jane Doe", "Person"),
        ("brief.docx", "John Roe", "Person"),
        ("notes.md", "Zack Cooper", "Person"),
        ("notes.md", "Adam P. Liff", "Person"),
    }
    titles = {info.id: (info.title, info.date) for info in graph.documents.values()}
    assert titles == {"brief.docx": ("Quad Brief", "2022-05-24"), "notes.md": ("Summit Notes", None)}


# -- Readers of other packages, through the registry's entry points -----------------------------------


def test_documents_reader_from_an_entry_point_reads_a_new_suffix(tmp_path):
    """A package of one's own, installed (here: on PYTHONPATH with its dist-info), adds a suffix with no
    change to kg."""
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "kg_notes_reader-0.1.dist-info").mkdir(parents=True)
    (site / "kg_notes_reader-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kg-notes-reader\nVersion: 0.1\n"
    )
    (site / "kg_notes_reader-0.1.dist-info" / "entry_points.txt").write_text(
        "[kg_readers]\nnote = kg_notes_reader:read_note\n"
    )
    (site / "kg_notes_reader.py").write_text(
        "from kg.model import Document, DocumentInfo\n"
        "def read_note(path, doc_id):\n"
        "    title, _, body = path.read_text().partition('\\n')\n"
        "    return [Document(doc_id, body.strip(), DocumentInfo(doc_id, str(path), title=title.removeprefix('NOTE: "
        "')))]\n"
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.note").write_text("NOTE: Meeting\nFumio Kishida met Joe Biden.")
    (docs / "b.txt").write_text("Plain text.")
    script = (
        "import json, sys; from kg.documents import load_documents, readers_by_suffix; skipped = [];"
        "docs = list(load_documents([sys.argv[1]], on_skip=skipped.append));"
        "print(json.dumps({'suffixes': list(readers_by_suffix()), 'skipped': [str(s) for s in skipped],"
        "'docs': [[d.id, d.text, d.info.title] for d in docs]}))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    out = subprocess.run(
        [sys.executable, "-c", script, str(docs)], capture_output=True, text=True, env=env, check=True, timeout=120
    )
    result = json.loads(out.stdout)
    assert ".note" in result["suffixes"] and result["skipped"] == []
    assert result["docs"] == [["a.note", "Fumio Kishida met Joe Biden.", "Meeting"], ["b.txt", "Plain text.", None]]
    assert ".note" not in readers_by_suffix()  # this process has no such package


def test_documents_readers_are_the_registry():
    from kg import registry

    assert list(readers_by_suffix()) == [
        ".docx",
        ".htm",
        ".html",
        ".jsonl",
        ".markdown",
        ".md",
        ".pdf",
        ".text",
        ".txt",
    ]
    assert registry.names(registry.readers) == [
        ".docx",
        ".htm",
        ".html",
        ".jsonl",
        ".markdown",
        ".md",
        ".pdf",
        ".text",
        ".txt",
    ]
