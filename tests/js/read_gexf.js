// Reads a GEXF file with graphology-gexf (an independent parser) and prints its nodes and edges as JSON.
const fs = require("fs");
const Graph = require("graphology");
const gexf = require("graphology-gexf");

const xml = fs.readFileSync(process.argv[2], "utf-8");
const graph = gexf.parse(Graph, xml, { allowUndeclaredAttributes: false });
const nodes = {};
graph.forEachNode((key, attrs) => { nodes[key] = attrs; });
const edges = [];
graph.forEachEdge((key, attrs, source, target) => { edges.push({ source, target, attrs }); });
process.stdout.write(JSON.stringify({ order: graph.order, size: graph.size, multi: graph.multi, nodes, edges }));
