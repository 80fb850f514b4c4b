"""Pictures and views: kg plot, the HTML view (driven in headless Chromium), communities, Gephi files."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner
from corpus_graph import corpus_graph
from headless import Browser, find_chromium

from kg import registry
from kg.cli import cli
from kg.export import load_graph, write_outputs
from kg.export.communities import communities
from kg.export.gephi import TYPE_COLOURS, write_gexf, write_graphml
from kg.export.html import html_page, view_data
from kg.export.labels import cut_label
from kg.export.plot import place_labels, plot_graph
from kg.model import Entity, Evidence, KnowledgeGraph, Relation

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "kg" / "export" / "view" / "vendor"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def is_png(path) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        image.verify()
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


@pytest.fixture(scope="module")
def corpus_build(tmp_path_factory):
    """A built graph of 300 documents (made from kg.model's dataclasses, written as a build is)."""
    out = tmp_path_factory.mktemp("corpus-out")
    write_outputs(corpus_graph(300), out)
    return out


def test_views_plot_whole_graph_and_neighbourhood(sample_build, tmp_path):
    assert run("plot", sample_build, "-o", tmp_path / "all.png").exit_code == 0
    result = run("plot", sample_build, "--entity", "Joe Biden", "-o", tmp_path / "biden.png")
    assert result.exit_code == 0, result.output
    assert is_png(tmp_path / "all.png") and is_png(tmp_path / "biden.png")
    assert run("plot", sample_build, "-o", tmp_path / "x.svg").exit_code == 0
    svg = (tmp_path / "x.svg").read_text()
    assert svg.lstrip().startswith("<?xml")
    assert "Knowledge graph of 5 documents" in svg and str(sample_build) not in svg  # a real title, not the folder


def test_views_plot_of_a_corpus_labels_only_the_top_nodes_whole_words(corpus_build, tmp_path):
    graph = load_graph(corpus_build)
    graph.add_entity(
        Entity("organization/long", "Ministry of Foreign Affairs of the Federal Republic of Somewhere", "Organization")
    )
    hub = max(graph.entities, key=lambda n: sum(n in (r.subject, r.object) for r in graph.relations))
    for k in range(60):  # make the long name the best connected node
        graph.add_relation(
            Relation(
                "organization/long",
                "located_in",
                hub if k == 0 else sorted(graph.entities)[k],
                evidence=(Evidence("news/00000.txt", f"s{k}", 0, 1),),
            )
        )
    drawn = plot_graph(graph, tmp_path / "corpus.png")
    assert is_png(tmp_path / "corpus.png")
    assert 5 <= len(drawn) <= 30  # the top nodes only, of 1,200
    assert "Ministry of Foreign Affairs of…" in drawn  # cut after a whole word
    labels = {e.label for e in graph.entities.values()} | {d.title for d in graph.documents.values()}
    assert all(
        text in labels or (text.endswith("…") and any(name.startswith(text[:-1] + " ") for name in labels))
        for text in drawn
    )


def test_views_place_labels_leaves_out_overlapping_ones():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots()
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 10)
    positions = {"a": (5, 5), "b": (5.1, 5.05), "c": (1, 1)}
    assert place_labels(axes, positions, [("a", "Alpha Centauri"), ("b", "Beta Pictoris"), ("c", "Gamma")]) == [
        "Alpha Centauri",
        "Gamma",
    ]
    plt.close(figure)


def test_views_cut_label_at_word_boundaries():
    assert (
        cut_label("Ministry of Foreign Affairs of the People's Republic of China", 32)
        == "Ministry of Foreign Affairs of…"
    )
    assert cut_label("Tokyo", 32) == "Tokyo"
    assert cut_label("Pneumonoultramicroscopicsilicovolcanoconiosis", 20) == "Pneumonoultramicros…"
    assert cut_label("  spaced   out  ", 32) == "spaced out"
    assert all(len(cut_label("word " * n, 32)) <= 32 for n in range(20))


def test_views_plot_errors(sample_build, tmp_path):
    assert "must be .png, .svg or .pdf" in run("plot", sample_build, "-o", tmp_path / "x.gif").output
    assert (
        "no entity named 'Nobody'" in run("plot", sample_build, "--entity", "Nobody", "-o", tmp_path / "x.png").output
    )


def _page_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S).group(1))


def test_views_html_is_offline_and_has_evidence(sample_build, tmp_path):
    result = run("export", sample_build, "--format", "html", "-o", tmp_path / "g.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "g.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing from a network
    assert "sourceMappingURL" not in page and "node_modules" not in page
    assert "<title>Knowledge graph of 5 documents</title>" in page
    data = _page_data(page)
    assert "Joe Biden" in [n[1] for n in data["nodes"]]
    sentences = {s for e in data["edges"] for _, s in e[7]}
    assert "Tom Becker is a lecturer at the University of Sydney." in sentences
    for name in ("sigma.min.js", "graphology.umd.min.js", "graphology-library.min.js"):  # the libraries, inline
        assert (VENDOR / name).read_text().splitlines()[0][:200] in page


def test_views_html_neighbourhood_has_its_title_and_labels_everything(sample_build, tmp_path):
    result = run("export", sample_build, "--format", "html", "--entity", "Joe Biden", "-o", tmp_path / "b.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "b.html").read_text()
    data = _page_data(page)
    assert re.search(r"<title>Joe Biden and \d+ neighbours</title>", page)
    assert data["focus"] is True and 1 < len(data["nodes"]) < len(load_graph(sample_build).entities)


def test_views_html_data_escapes_the_script_block():
    graph = KnowledgeGraph()
    graph.add_entity(Entity("person/x", "</script><script>alert(1)</script>", "Person"))
    page = html_page(graph)
    template = (ROOT / "kg" / "export" / "view" / "template.html").read_text()
    assert page.lower().count("</script") == template.count("</script>")  # the name cannot close a block early
    assert _page_data(page)["nodes"][0][1] == "</script><script>alert(1)</script>"


def test_views_vendored_libraries_are_the_npm_packages_with_their_licences():
    modules = ROOT / "tests" / "js" / "node_modules"
    if not (modules / "sigma").exists():
        pytest.skip("node and tests/js/node_modules are needed (npm ci --prefix tests/js)")
    pinned = json.loads((ROOT / "tests" / "js" / "package.json").read_text())["dependencies"]
    for package, built in (
        ("sigma", "dist/sigma.min.js"),
        ("graphology", "dist/graphology.umd.min.js"),
        ("graphology-library", "dist/graphology-library.min.js"),
    ):
        assert (VENDOR / Path(built).name).read_bytes() == (modules / package / built).read_bytes(), package
        assert (VENDOR / f"LICENSE-{package}.txt").read_bytes() == (modules / package / "LICENSE.txt").read_bytes()
        assert json.loads((modules / package / "package.json").read_text())["version"] == pinned[package]
        assert pinned[package] in (VENDOR / "README.md").read_text()


def test_views_export_formats(sample_build, tmp_path):
    for fmt, name in (("gexf", "g.gexf"), ("graphml", "g.graphml"), ("ttl", "g.ttl"), ("csv", "tables")):
        assert run("export", sample_build, "--format", fmt, "-o", tmp_path / name).exit_code == 0, fmt
    assert (tmp_path / "tables" / "edges.csv").exists()
    small = run("export", sample_build, "--format", "gexf", "--entity", "Joe Biden", "-o", tmp_path / "b.gexf")
    read = nx.read_gexf(tmp_path / "b.gexf")
    assert (
        small.exit_code == 0
        and "person/biden-joe" in read
        and read.number_of_nodes() < len(load_graph(sample_build).entities)
    )


def test_views_export_formats_come_from_the_registry(sample_build, tmp_path):
    names = registry.names(registry.exporters)
    assert {"html", "gexf", "graphml", "csv", "ttl", "nt", "jsonld", "trig"} <= set(names)
    result = run("export", sample_build, "--format", "png", "-o", tmp_path / "x.png")
    assert result.exit_code == 2 and f"unknown format 'png'; use one of: {', '.join(names)}" in result.output
    assert not (tmp_path / "x.png").exists()
    assert "|".join(names) in run("export", "--help").output


def test_views_exporter_from_a_plugin_is_a_choice(sample_build, tmp_path):
    @registry.exporters.register("labels-txt")
    def write_labels(graph, output, layout=None, title=None):
        Path(output).write_text("\n".join(sorted(e.label for e in graph.entities.values())))

    try:
        result = run("export", sample_build, "--format", "labels-txt", "-o", tmp_path / "labels.txt")
        assert result.exit_code == 0, result.output
        assert "Joe Biden" in (tmp_path / "labels.txt").read_text().splitlines()
    finally:
        import catalogue

        catalogue.REGISTRY.pop(("kg", "exporters", "labels-txt"), None)  # catalogue would keep it for the session


# ---- communities ----


def two_cliques() -> KnowledgeGraph:
    """Two groups of four people, each group all met one another, one tie between the groups, and one loner."""
    graph = KnowledgeGraph()
    people = [f"person/{c}" for c in "abcdefgh"]
    for node in people + ["person/loner"]:
        graph.add_entity(Entity(node, node.split("/")[1].upper(), "Person"))
    for group in (people[:4], people[4:]):
        for i, s in enumerate(group):
            for o in group[i + 1 :]:
                graph.add_relation(Relation(s, "met_with", o, evidence=(Evidence("d", f"{s} met {o}.", 0, 1),)))
    graph.add_relation(Relation("person/d", "met_with", "person/e", evidence=(Evidence("d", "d met e.", 0, 1),)))
    return graph


def test_views_communities_are_found_numbered_by_size_and_deterministic():
    graph = two_cliques()
    found = communities(graph)
    assert set(found) == set(graph.entities)
    assert len({found[f"person/{c}"] for c in "abcd"}) == 1 and len({found[f"person/{c}"] for c in "efgh"}) == 1
    assert found["person/a"] != found["person/e"]
    assert {found["person/a"], found["person/e"]} == {0, 1} and found[
        "person/loner"
    ] == 2  # largest first; the loner alone
    assert all(communities(two_cliques()) == found for _ in range(3))


def test_views_communities_in_every_format(tmp_path, gexf_reader):
    graph = two_cliques()
    found = communities(graph)
    write_outputs(graph, tmp_path, ["ttl"])
    assert {n: d["community"] for n, d in nx.read_gexf(tmp_path / "graph.gexf").nodes(data=True)} == found
    assert {n: d["community"] for n, d in nx.read_graphml(tmp_path / "graph.graphml").nodes(data=True)} == found
    assert {n: a["community"] for n, a in gexf_reader(tmp_path / "graph.gexf")["nodes"].items()} == found
    with open(tmp_path / "nodes.csv", newline="") as handle:
        assert {row["Id"]: int(row["community"]) for row in csv.DictReader(handle)} == found
    rdf = rdflib.Graph().parse(tmp_path / "graph.ttl")
    community = rdflib.URIRef("http://kg.example/vocab#community")
    assert {
        str(s).removeprefix("http://kg.example/id/"): o.toPython() for s, o in rdf.subject_objects(community)
    } == found
    assert {n[0]: n[4] for n in view_data(graph, "t")["nodes"]} == found  # the view's colouring


def test_views_community_numbers_are_byte_identical_across_builds(tmp_path):
    for name in ("a", "b"):
        write_outputs(corpus_graph(120), tmp_path / name, ["ttl"])
    for name in ("nodes.csv", "graph.graphml", "graph.ttl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# ---- Gephi ----


def test_views_gephi_csv_columns(corpus_build):
    with open(corpus_build / "edges.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[:5] == ["Source", "Target", "Type", "Label", "Weight"]
    assert {"relation", "confidence", "layer", "evidence", "document"} <= set(rows[0])
    graph = load_graph(corpus_build)
    assert all(row["Type"] == "Directed" and row["Label"] == row["relation"] for row in rows)
    assert sorted((row["Source"], row["Label"], row["Target"], int(row["Weight"])) for row in rows) == sorted(
        (r.subject, r.predicate, r.object, len(r.evidence)) for r in graph.relations
    )
    with open(corpus_build / "nodes.csv", newline="") as handle:
        nodes = list(csv.DictReader(handle))
    assert list(nodes[0])[:2] == ["Id", "Label"] and "community" in nodes[0]
    assert {n["Id"] for n in nodes} == set(graph.entities) | set(graph.documents)
    assert {n["Source"] for n in rows} | {n["Target"] for n in rows} <= {n["Id"] for n in nodes}
    lower = {c.lower() for c in list(rows[0])}
    assert len(lower) == len(rows[0])  # Gephi reads column names in any case: none twice


def test_views_gephi_files_have_no_networkx_key_and_no_empty_values(tmp_path):
    graph = corpus_graph(40)
    write_gexf(graph, tmp_path / "g.gexf")
    write_graphml(graph, tmp_path / "g.graphml")
    for name in ("g.gexf", "g.graphml"):
        text = (tmp_path / name).read_text()
        assert "networkx_key" not in text, name
        assert not re.search(r'value=""|<data key="[^"]*" */>|<data key="[^"]*"></data>', text), name
    for read in (nx.read_gexf(tmp_path / "g.gexf"), nx.read_graphml(tmp_path / "g.graphml")):
        assert read.number_of_edges() == len(graph.relations)
        for _, data in read.nodes(data=True):
            assert "" not in data.values()
        for _, _, data in read.edges(data=True):
            assert "" not in data.values() and "networkx_key" not in data
        # a value the graph lacks is left out, not written empty: entities have no date, plain edges no status
        assert not any("date" in d for n, d in read.nodes(data=True) if not n.startswith("document/"))
        assert any("date" in d for n, d in read.nodes(data=True) if n.startswith("document/"))
        assert not any("status" in d for _, _, d in read.edges(data=True))


# ---- the HTML view in headless Chromium ----


@pytest.fixture(scope="module")
def chromium():
    binary = find_chromium()
    if binary is None:
        pytest.skip("headless Chromium is not installed (Debian package chromium; .ci/run installs it)")
    return binary


def _near(rgb, target) -> bool:
    return all(abs(a - b) < 30 for a, b in zip(rgb, target))


#: helpers the browser test installs in the page
PAGE_HELPERS = """
window.centre = (el) => { const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; };
window.result = (label) => [...document.querySelectorAll('#results li')].find((li) => li.textContent.startsWith(label));
window.pageData = JSON.parse(document.getElementById('kg-data').textContent);
window.label = (key) => pageData.nodes[+key][1];
window.shownOfType = (type) => kgView.graph.nodes()
  .filter((k) => pageData.nodes[+k][2] === type && !kgView.renderer.getNodeDisplayData(k).hidden).length;
// the drawn, not faded node farthest from any other (one click hits it): [key, x, y] on the page
window.loneLitNode = () => {
  const r = kgView.renderer, box = document.getElementById('graph').getBoundingClientRect();
  const at = (k) => r.framedGraphToViewport(r.getNodeDisplayData(k));
  const inside = (p) => p.x > 20 && p.y > 20 && p.x < box.width - 20 && p.y < box.height - 20;
  const shown = kgView.graph.nodes().filter((k) => !r.getNodeDisplayData(k).hidden)
    .map((k) => [k, at(k)]).filter(([, p]) => inside(p));
  const lit = shown.filter(([k]) => r.getNodeDisplayData(k).color !== '#e6e6e6');
  const room = ([k, p]) => Math.min(...shown.filter(([o]) => o !== k).map(([, q]) => Math.hypot(p.x - q.x, p.y - q.y)));
  const [k, p] = lit.sort((a, b) => room(b) - room(a))[0];
  return [k, p.x + box.x, p.y + box.y];
};
"""


def test_views_html_of_300_documents_in_headless_chromium(corpus_build, tmp_path, chromium):
    """Search a name by its alias, read its facts and their evidence, click a node, toggle a type filter."""
    from PIL import Image

    result = run("export", corpus_build, "--format", "html", "-o", tmp_path / "view.html")
    assert result.exit_code == 0, result.output
    graph = load_graph(corpus_build)
    assert len(graph.documents) == 300
    schema = [r for r in graph.relations if r.layer == "schema"]
    expected_nodes = {n for r in schema for n in (r.subject, r.object)}  # isolated nodes and the open layer hidden
    person = max(
        (e for e in graph.entities.values() if e.type == "Person"),
        key=lambda e: (sum(e.id in (r.subject, r.object) for r in schema), e.id),
    )
    alias = sorted(person.aliases)[0]
    facts = {ev.sentence for r in schema if person.id in (r.subject, r.object) for ev in r.evidence}
    with Browser(chromium, tmp_path / "profile") as browser:
        browser.open((tmp_path / "view.html").as_uri())
        browser.evaluate("kgView.settled")  # the layout is done
        browser.evaluate(PAGE_HELPERS)
        assert browser.evaluate("document.title") == "Knowledge graph of 300 documents"
        assert browser.evaluate("kgView.shown()") == {"nodes": len(expected_nodes), "edges": len(schema)}
        # search by alias: type into the box as a user would, then click the person's result
        browser.click(*browser.evaluate("centre(document.getElementById('search'))"))
        browser.type_text(alias)
        results = browser.evaluate("[...document.querySelectorAll('#results li')].map((li) => li.textContent)")
        assert any(text.startswith(person.label) for text in results), results
        browser.click(*browser.evaluate(f"centre(result({json.dumps(person.label)}))"))
        panel = browser.evaluate("document.getElementById('facts').innerText")
        assert person.label in panel.splitlines()[0]
        assert any(sentence in panel for sentence in facts), panel[:500]
        assert "Report " in panel  # the evidence's document titles
        browser.evaluate("new Promise((ok) => setTimeout(ok, 600))")  # the camera's move to the node
        browser.screenshot(tmp_path / "searched.png")
        # a real click on a node shows its facts
        key, x, y = browser.evaluate("loneLitNode()")
        browser.click(x, y)
        assert browser.evaluate("document.querySelector('#facts h3').textContent") == browser.evaluate(f"label({key})")
        # untick Person: every person leaves the picture
        shown_before = browser.evaluate("kgView.shown().nodes")
        browser.click(*browser.evaluate("centre(document.querySelector('#types input[value=Person]'))"))
        assert browser.evaluate("document.querySelector('#types input[value=Person]').checked") is False
        assert browser.evaluate("shownOfType('Person')") <= 1  # only a selected node stays in sight
        assert browser.evaluate("kgView.shown().nodes") < shown_before
        browser.screenshot(tmp_path / "filtered.png")
        assert browser.errors() == []
    for shot in ("searched.png", "filtered.png"):
        assert is_png(tmp_path / shot)
        image = Image.open(tmp_path / shot).convert("RGB")
        assert len(image.getcolors(maxcolors=2**24)) > 50, shot  # not blank
    left, right = image.width * 0.22, image.width * 0.74  # the drawing between the two side panels
    before = Image.open(tmp_path / "searched.png").convert("RGB").crop((int(left), 0, int(right), image.height))
    colours = before.getcolors(maxcolors=2**24)
    assert sum(count for count, rgb in colours if _near(rgb, TYPE_COLOURS["Person"])) > 50


def test_views_gexf_layout_and_timeline(sample_build, tmp_path, gexf_reader):
    graph = load_graph(sample_build)
    write_gexf(graph, tmp_path / "g.gexf", layout="forceatlas2")
    text = (tmp_path / "g.gexf").read_text()
    assert 'mode="dynamic"' in text and 'timeformat="date"' in text and "<viz:position" in text
    ours = nx.read_gexf(tmp_path / "g.gexf")
    theirs = gexf_reader(tmp_path / "g.gexf")
    assert (theirs["order"], theirs["size"]) == (ours.number_of_nodes(), ours.number_of_edges())
    for node, data in ours.nodes(data=True):  # identical attributes in both parsers
        other = theirs["nodes"][node]
        for key in ("label", "type", "aliases", "mention_count", "document_count", "degree", "community"):
            assert other.get(key) == data.get(key), (node, key)
        assert isinstance(other["x"], float)
    assert ours.nodes["person/biden-joe"]["start"] == "2022-05-24"  # first document that mentions him
    edge_relations = sorted(d["relation"] for _, _, d in ours.edges(data=True))
    assert edge_relations == sorted(e["attrs"]["relation"] for e in theirs["edges"])
