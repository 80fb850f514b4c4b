"""Pictures and views: kg plot, the offline HTML view (screenshot in headless Chromium), Gephi extras."""

from __future__ import annotations

import shutil
import subprocess

import networkx as nx
import pytest
from click.testing import CliRunner

from kg.cli import cli
from kg.export import load_graph
from kg.export.gephi import TYPE_COLOURS, write_gexf


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def is_png(path) -> bool:
    from PIL import Image

    with Image.open(path) as image:
        image.verify()
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_views_plot_whole_graph_and_neighbourhood(sample_build, tmp_path):
    assert run("plot", sample_build, "-o", tmp_path / "all.png").exit_code == 0
    result = run("plot", sample_build, "--entity", "Joe Biden", "-o", tmp_path / "biden.png")
    assert result.exit_code == 0, result.output
    assert is_png(tmp_path / "all.png") and is_png(tmp_path / "biden.png")
    assert run("plot", sample_build, "-o", tmp_path / "x.svg").exit_code == 0
    assert (tmp_path / "x.svg").read_text().lstrip().startswith("<?xml")


def test_views_plot_errors(sample_build, tmp_path):
    assert "must be .png, .svg or .pdf" in run("plot", sample_build, "-o", tmp_path / "x.gif").output
    assert "no entity named 'Nobody'" in run("plot", sample_build, "--entity", "Nobody", "-o", tmp_path / "x.png").output


def test_views_html_is_offline_and_has_evidence(sample_build, tmp_path):
    result = run("export", sample_build, "--format", "html", "-o", tmp_path / "g.html")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "g.html").read_text()
    assert 'src="http' not in page and 'href="http' not in page
    assert "vis.Network" in page and "Joe Biden" in page
    assert "Tom Becker is a lecturer at the University of Sydney." in page  # evidence on hover


def test_views_export_formats(sample_build, tmp_path):
    for fmt, name in (("gexf", "g.gexf"), ("graphml", "g.graphml"), ("ttl", "g.ttl"), ("csv", "tables")):
        assert run("export", sample_build, "--format", fmt, "-o", tmp_path / name).exit_code == 0, fmt
    assert (tmp_path / "tables" / "edges.csv").exists()
    small = run("export", sample_build, "--format", "gexf", "--entity", "Joe Biden", "-o", tmp_path / "b.gexf")
    read = nx.read_gexf(tmp_path / "b.gexf")
    assert small.exit_code == 0 and "person/biden-joe" in read and read.number_of_nodes() < len(load_graph(sample_build).entities)


@pytest.fixture(scope="module")
def chromium():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        pytest.skip("headless Chromium is not installed (Debian package chromium; .ci/run installs it)")
    return binary


def test_views_html_renders_the_seed_graph_in_headless_chromium(seed_build, tmp_path, chromium):
    from PIL import Image

    assert run("export", seed_build, "--format", "html", "-o", tmp_path / "seed.html").exit_code == 0
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000", "--virtual-time-budget=8000",
                    f"--screenshot={shot}", (tmp_path / "seed.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert is_png(shot)
    colours = Image.open(shot).convert("RGB").getcolors(maxcolors=2**24)  # (count, rgb) pairs

    def near(rgb, target):
        return all(abs(a - b) < 30 for a, b in zip(rgb, target))

    # the seed graph's people, organisations and places are drawn in their colours
    for type_ in ("Person", "Organization", "Place"):
        assert sum(count for count, rgb in colours if near(rgb, TYPE_COLOURS[type_])) > 50, type_


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
        for key in ("label", "type", "aliases", "mention_count", "document_count", "degree"):
            assert other[key] == data[key], (node, key)
        assert isinstance(other["x"], float)
    assert ours.nodes["person/biden-joe"]["start"] == "2022-05-24"  # first document that mentions him
    edge_relations = sorted(d["relation"] for _, _, d in ours.edges(data=True))
    assert edge_relations == sorted(e["attrs"]["relation"] for e in theirs["edges"])
