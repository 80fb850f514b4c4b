// The HTML view of a kg graph: sigma.js draws a graphology graph laid out by ForceAtlas2.
// The data come from the JSON block #kg-data that kg.export.html writes; everything is offline.
(function () {
  "use strict";
  const started = performance.now();
  const data = JSON.parse(document.getElementById("kg-data").textContent);
  const parsed = performance.now();
  const $ = (id) => document.getElementById(id);
  const GREY = "#c8c8c8", FADED = "#e6e6e6";
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324",
    "#469990", "#800000", "#808000", "#000075", "#bfef45", "#fabed4", "#dcbeff", "#aaffc3"];

  // node i: [id, label, type, aliases, community, documents, shortLabel]
  // edge j: [source i, target i, relation, layer, status, confidence, extractor, [[document k, sentence], ...]]
  // document k: [id, title, date]
  const nodes = data.nodes, edges = data.edges, documents = data.documents;
  const degree = new Int32Array(nodes.length), incident = nodes.map(() => []);
  edges.forEach((e, j) => {
    degree[e[0]] += 1; degree[e[1]] += 1; incident[e[0]].push(j);
    if (e[1] !== e[0]) incident[e[1]].push(j);
  });
  const communitySize = new Map();
  nodes.forEach((n) => communitySize.set(n[4], (communitySize.get(n[4]) || 0) + 1));
  const colourOf = (n) => (state.colour === "community"
    ? (n[4] < PALETTE.length && communitySize.get(n[4]) > 1 ? PALETTE[n[4]] : GREY)
    : (data.colours[n[2]] || GREY));

  const state = {
    colour: "type", types: new Set(Object.keys(data.colours)), relations: new Set(), layers: new Set(["schema"]),
    minDegree: 0, isolated: !!data.focus || edges.length === 0, selected: null, selectedEdge: null,  // a neighbourhood: all shown
  };
  const relationCounts = new Map(), layerCounts = new Map(), typeCounts = new Map();
  edges.forEach((e) => {
    relationCounts.set(e[2], (relationCounts.get(e[2]) || 0) + 1);
    layerCounts.set(e[3], (layerCounts.get(e[3]) || 0) + 1);
  });
  nodes.forEach((n) => typeCounts.set(n[2], (typeCounts.get(n[2]) || 0) + 1));
  relationCounts.forEach((_, r) => state.relations.add(r));
  if (!layerCounts.has("schema")) layerCounts.forEach((_, l) => state.layers.add(l));  // a graph of the open layer only

  // ---- the graph and its layout ----
  const graph = new graphology.MultiDirectedGraph();
  const random = (() => { let s = 7; return () => { s = (s + 0x6d2b79f5) | 0; let t = Math.imul(s ^ (s >>> 15), 1 | s); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; })();
  const centre = new Map();
  const GOLDEN = Math.PI * (3 - Math.sqrt(5));
  [...communitySize.keys()].sort((a, b) => a - b).forEach((c, i) => {
    const r = 12 * Math.sqrt(i); centre.set(c, [r * Math.cos(i * GOLDEN), r * Math.sin(i * GOLDEN)]);
  });
  const ranked = nodes.map((_, i) => i).sort((a, b) => degree[b] - degree[a] || (nodes[a][1] < nodes[b][1] ? -1 : 1));
  // a small graph: every label; a large one: sigma's label grid shows the biggest (best connected) node of each cell
  const labelled = new Set(data.focus ? ranked : []);
  nodes.forEach((n, i) => {
    const [cx, cy] = centre.get(n[4]), spread = 3 * Math.sqrt(communitySize.get(n[4]));
    graph.addNode(String(i), {
      x: cx + spread * (random() - 0.5), y: cy + spread * (random() - 0.5),
      size: data.focus ? 6 + 3 * Math.sqrt(degree[i]) : 2 + 1.6 * Math.sqrt(degree[i]), label: n[6], color: data.colours[n[2]] || GREY,
      forceLabel: labelled.has(i),
    });
  });
  edges.forEach((e, j) => graph.addEdgeWithKey(String(j), String(e[0]), String(e[1]), {
    size: Math.min(4, 0.6 + 0.4 * e[7].length), color: "#b9b9b9", label: e[2],
  }));
  const made = performance.now();
  // ForceAtlas2 on the nodes that have relations, a few iterations at a time, so the page draws at
  // once and settles as it goes; the same graph always ends in the same picture
  const connected = graph.copy();
  graph.forEachNode((key) => { if (graph.degree(key) === 0) connected.dropNode(key); });
  const fa2 = graphologyLibrary.layoutForceAtlas2;
  const settings = connected.order > 1 ? Object.assign(fa2.inferSettings(connected),
    { barnesHutOptimize: connected.order > 400, strongGravityMode: true, gravity: 0.05 }) : null;
  const iterations = connected.order < 2 ? 0 : connected.order > 2000 ? 60 : connected.order > 400 ? 120 : 300;
  const perStep = connected.order > 2000 ? 2 : connected.order > 400 ? 6 : 30;  // fixed: the same steps on any machine
  let minX = 0, maxX = 1, minY = 0, maxY = 1;
  const alone = [];
  graph.forEachNode((key) => { if (graph.degree(key) === 0) alone.push(key); });
  function layoutStep(done) {
    const n = Math.min(perStep, iterations - done);
    if (n > 0) fa2.assign(connected, { iterations: n, settings });
    graph.updateEachNodeAttributes((key, attrs) => (connected.hasNode(key)
      ? Object.assign(attrs, { x: connected.getNodeAttribute(key, "x"), y: connected.getNodeAttribute(key, "y") }) : attrs));
    return done + n;
  }
  function placeAlone() {  // nodes with no relation at all: a grid below the rest (hidden until "show" is ticked)
    if (connected.order) {
      minX = minY = Infinity; maxX = maxY = -Infinity;
      connected.forEachNode((_, a) => { minX = Math.min(minX, a.x); maxX = Math.max(maxX, a.x); minY = Math.min(minY, a.y); maxY = Math.max(maxY, a.y); });
    }
    const columns = Math.max(1, Math.ceil(Math.sqrt(alone.length * 4))), step = (maxX - minX || 1) / columns;
    alone.forEach((key, k) => graph.mergeNodeAttributes(key, { x: minX + step * (k % columns), y: minY - step * (2 + Math.floor(k / columns)) }));
  }

  // ---- what is shown ----
  let shownNodes = new Uint8Array(nodes.length), shownEdges = new Uint8Array(edges.length);
  let shownDegree = new Int32Array(nodes.length);
  function applyFilters() {
    shownDegree = new Int32Array(nodes.length);
    const edgeOk = edges.map((e) => state.relations.has(e[2]) && state.layers.has(e[3])
      && state.types.has(nodes[e[0]][2]) && state.types.has(nodes[e[1]][2]));
    edgeOk.forEach((ok, j) => { if (ok) { shownDegree[edges[j][0]] += 1; shownDegree[edges[j][1]] += 1; } });
    shownNodes = Uint8Array.from(nodes, (n, i) => state.types.has(n[2]) && shownDegree[i] >= state.minDegree
      && (state.isolated || shownDegree[i] > 0) ? 1 : 0);
    if (state.selected !== null) shownNodes[state.selected] = 1;
    shownEdges = Uint8Array.from(edgeOk, (ok, j) => (ok && shownNodes[edges[j][0]] && shownNodes[edges[j][1]] ? 1 : 0));
    const n = shownNodes.reduce((a, b) => a + b, 0), m = shownEdges.reduce((a, b) => a + b, 0);
    $("status").textContent = `${n.toLocaleString()} of ${nodes.length.toLocaleString()} nodes and ${m.toLocaleString()} of ${edges.length.toLocaleString()} relations shown`;
    if (renderer) renderer.refresh();
  }

  const neighbours = () => {
    const near = new Set();
    if (state.selected !== null) incident[state.selected].forEach((j) => { if (shownEdges[j]) { near.add(edges[j][0]); near.add(edges[j][1]); } });
    return near;
  };
  let near = new Set();
  const renderer = new Sigma(graph, $("graph"), {
    defaultEdgeType: "arrow", enableEdgeEvents: true, stagePadding: data.focus ? 90 : 30, renderEdgeLabels: !!data.focus, zIndex: true,
    labelRenderedSizeThreshold: data.focus ? 0 : 7, labelDensity: 0.5, labelGridCellSize: 150, labelSize: 12,
    labelFont: "system-ui, sans-serif", edgeLabelSize: 10, minCameraRatio: 0.02, maxCameraRatio: 8,
    nodeReducer(key, attrs) {
      const i = +key, out = Object.assign({}, attrs, { color: colourOf(nodes[i]) });
      if (!shownNodes[i]) return Object.assign(out, { hidden: true });
      if (state.selected !== null) {
        if (i === state.selected) Object.assign(out, { forceLabel: true, zIndex: 2, highlighted: true });
        else if (near.has(i)) Object.assign(out, { forceLabel: !!data.focus, zIndex: 1 });
        else Object.assign(out, { color: FADED, label: "", forceLabel: false, zIndex: 0 });
      }
      return out;
    },
    edgeReducer(key, attrs) {
      const j = +key;
      if (!shownEdges[j]) return Object.assign({}, attrs, { hidden: true });
      if (state.selected !== null && edges[j][0] !== state.selected && edges[j][1] !== state.selected) return Object.assign({}, attrs, { color: "#f0f0f0", label: "" });
      if (state.selected !== null || state.selectedEdge === j) return Object.assign({}, attrs, { color: "#555", forceLabel: true, zIndex: 1 });
      return attrs;
    },
  });

  // ---- the facts panel ----
  const escape = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  const nodeLink = (i) => `<a data-node="${i}">${escape(nodes[i][1])}</a>`;
  function factHtml(j) {
    const [s, t, relation, layer, status, confidence, extractor, evidence] = edges[j];
    const sentences = evidence.slice(0, 3).map(([k, sentence]) => {
      const [, title, date] = documents[k];
      return `<div class="evidence"><q>${escape(sentence)}</q><span class="doc">${escape(title)}${date ? " · " + escape(date) : ""}</span></div>`;
    }).join("");
    const more = evidence.length > 3 ? `<div class="muted">and ${evidence.length - 3} more sentence(s)</div>` : "";
    const tags = [layer === "open" ? "open layer" : "", status, `confidence ${confidence.toFixed(2)}`, extractor].filter(Boolean)
      .map((x) => `<span class="tag">${escape(x)}</span>`).join("");
    return `<div class="fact">${nodeLink(s)} <span class="rel">${escape(relation)}</span> ${nodeLink(t)}<div>${tags}</div>${sentences}${more}</div>`;
  }
  function showFacts(list, header) {
    const shown = list.filter((j) => shownEdges[j]), hidden = list.length - shown.length;
    shown.sort((a, b) => edges[b][7].length - edges[a][7].length || a - b);
    const limit = 200;
    $("facts").innerHTML = header + (shown.length ? shown.slice(0, limit).map(factHtml).join("") : '<p class="muted">No relation shown.</p>')
      + (shown.length > limit ? `<p class="muted">and ${shown.length - limit} more</p>` : "")
      + (hidden ? `<p class="muted">${hidden} more relation(s) in hidden types, relations or layers.</p>` : "");
  }
  function showNode(i) {
    const [, label, type, aliases, community, documentCount] = nodes[i];
    const header = `<h3>${escape(label)}</h3><div><span class="swatch" style="background:${data.colours[type] || GREY}"></span> ${escape(type)}`
      + ` · community ${community} · ${documentCount} document(s) · ${degree[i]} relation(s)</div>`
      + (aliases.length ? `<div class="muted">also: ${aliases.map(escape).join("; ")}</div>` : "");
    showFacts(incident[i], header);
  }
  function showEdge(j) {
    const [s, t] = edges[j];
    const pair = incident[s].filter((k) => (edges[k][0] === s && edges[k][1] === t) || (edges[k][0] === t && edges[k][1] === s));
    showFacts(pair, `<h3>${escape(nodes[s][1])} – ${escape(nodes[t][1])}</h3>`);
  }
  function select(i, moveCamera) {
    state.selected = i; state.selectedEdge = null;
    applyFilters(); near = neighbours(); renderer.refresh();
    if (i === null) return;
    showNode(i);
    if (moveCamera) {
      const at = renderer.getNodeDisplayData(String(i));
      if (at) renderer.getCamera().animate({ x: at.x, y: at.y, ratio: Math.min(renderer.getCamera().ratio, 0.35) }, { duration: 400 });
    }
  }
  $("facts").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-node]");
    if (link) select(+link.dataset.node, true);
  });
  renderer.on("clickNode", ({ node }) => select(+node, false));
  renderer.on("clickEdge", ({ edge }) => { state.selected = null; near = new Set(); state.selectedEdge = +edge; applyFilters(); showEdge(+edge); });
  renderer.on("clickStage", () => { if (state.selected !== null || state.selectedEdge !== null) { state.selectedEdge = null; select(null); } });
  renderer.on("enterNode", () => { $("graph").style.cursor = "pointer"; });
  renderer.on("leaveNode", () => { $("graph").style.cursor = ""; });

  // ---- search by name and alias ----
  const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const names = nodes.map((n) => [fold(n[1]), n[3].map(fold)]);
  let results = [];
  function search(text) {
    const q = fold(text.trim());
    results = [];
    if (q) {
      nodes.forEach((n, i) => {
        const [label, aliases] = names[i];
        let rank = label === q ? 0 : label.startsWith(q) ? 1 : label.includes(q) ? 2 : -1, via = "";
        if (rank < 0) { const k = aliases.findIndex((a) => a.includes(q)); if (k >= 0) { rank = aliases[k] === q ? 1.5 : 3; via = n[3][k]; } }
        if (rank >= 0) results.push([rank, -degree[i], i, via]);
      });
      results.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
      results = results.slice(0, 15);
    }
    $("results").innerHTML = results.map(([, , i, via], k) => `<li data-node="${i}"${k === 0 ? ' class="active"' : ""}>${escape(nodes[i][1])}`
      + ` <span class="muted">${escape(nodes[i][2])}${via ? " · as " + escape(via) : ""}</span></li>`).join("")
      + (q && !results.length ? '<li class="muted">no name or alias matches</li>' : "");
  }
  $("search").addEventListener("input", (event) => search(event.target.value));
  $("search").addEventListener("keydown", (event) => { if (event.key === "Enter" && results.length) select(results[0][2], true); });
  $("results").addEventListener("click", (event) => { const li = event.target.closest("li[data-node]"); if (li) select(+li.dataset.node, true); });

  // ---- filters and legend ----
  const sortedCounts = (counts) => [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  function checkboxes(target, counts, chosen, swatch) {
    $(target).innerHTML = sortedCounts(counts).map(([name, count]) => `<label class="filter"><input type="checkbox" value="${escape(name)}"`
      + `${chosen.has(name) ? " checked" : ""}>${swatch ? `<span class="swatch" style="background:${swatch(name)}"></span>` : ""}`
      + `${escape(name)}<span class="count">${count.toLocaleString()}</span></label>`).join("");
    $(target).addEventListener("change", (event) => {
      if (event.target.checked) chosen.add(event.target.value); else chosen.delete(event.target.value);
      applyFilters(); near = neighbours(); renderer.refresh();
    });
  }
  checkboxes("types", typeCounts, state.types, (t) => data.colours[t] || GREY);
  checkboxes("layers", layerCounts, state.layers, null);
  checkboxes("relations", relationCounts, state.relations, null);
  const setAll = (on) => {
    document.querySelectorAll("#relations input").forEach((box) => { box.checked = on; if (on) state.relations.add(box.value); else state.relations.delete(box.value); });
    applyFilters(); near = neighbours();
  };
  $("relations-all").addEventListener("click", () => setAll(true));
  $("relations-none").addEventListener("click", () => setAll(false));
  $("degree").max = String(Math.max(1, Math.min(50, ...Array.from(degree).concat([1]))));
  $("degree").addEventListener("input", (event) => { state.minDegree = +event.target.value; $("degree-value").textContent = event.target.value; applyFilters(); near = neighbours(); });
  $("isolated").checked = state.isolated;
  $("isolated").addEventListener("change", (event) => { state.isolated = event.target.checked; applyFilters(); near = neighbours(); });
  function communityLegend() {
    if (state.colour !== "community") { $("communities").innerHTML = ""; return; }
    const top = [...communitySize.entries()].filter(([c, size]) => c < PALETTE.length && size > 1).sort((a, b) => a[0] - b[0]);
    $("communities").innerHTML = top.map(([c, size]) => {
      const members = ranked.filter((i) => nodes[i][4] === c).slice(0, 3).map((i) => escape(nodes[i][1])).join(", ");
      return `<div class="filter"><span class="swatch" style="background:${PALETTE[c]}"></span>${members}<span class="count">${size}</span></div>`;
    }).join("") + '<div class="filter muted"><span class="swatch" style="background:' + GREY + '"></span>smaller communities</div>';
  }
  document.querySelectorAll('input[name="colour"]').forEach((radio) => radio.addEventListener("change", (event) => {
    state.colour = event.target.value; communityLegend(); renderer.refresh();
  }));
  $("zoom-in").addEventListener("click", () => renderer.getCamera().animatedZoom({ duration: 300 }));
  $("zoom-out").addEventListener("click", () => renderer.getCamera().animatedUnzoom({ duration: 300 }));
  $("zoom-reset").addEventListener("click", () => renderer.getCamera().animatedReset({ duration: 300 }));

  $("summary").textContent = `${data.summary}`;
  applyFilters();
  renderer.refresh();
  const firstFrame = performance.now();
  // for scripts (tests, bench/html_view.py): the renderer, the graph, the counts shown, `settled` (a
  // promise kept when the layout is done) and the timings in ms: parse the data, make the graph,
  // first frame (since the script started; `ready`: since the page began to load), the layout
  const timings = { parse: parsed - started, graph: made - parsed, firstFrame: firstFrame - started, ready: firstFrame };
  const settled = new Promise((resolve) => {
    let done = 0;
    function next() {
      done = layoutStep(done);
      if (done < iterations) { setTimeout(next, 0); return; }
      placeAlone();
      // fit the camera to the related nodes: the grid of unrelated ones lies outside it until shown
      if (connected.order > 1 && alone.length) renderer.setCustomBBox({ x: [minX, maxX], y: [minY, maxY] });
      renderer.refresh();
      timings.layout = performance.now() - firstFrame;
      timings.settled = performance.now();
      resolve(timings);
    }
    setTimeout(next, 0);
  });
  window.kgView = {
    renderer, graph, settled, timings, select: (id) => select(nodes.findIndex((n) => n[0] === id), true),
    shown: () => ({ nodes: shownNodes.reduce((a, b) => a + b, 0), edges: shownEdges.reduce((a, b) => a + b, 0) }),
  };
})();
