// Layered layout of the computational graph with dagre, left to right like the lecture figures:
// inputs on the left, the root on the right. Edge labels are laid out as dagre label nodes, so
// the value above and the gradient below each edge get their own space and never overlap boxes.
// Pure (text widths come from `measure`), so it can run and be tested anywhere.
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import type { GraphViewModel, ViewEdge, ViewNode } from '../../src/core/browser';
import { edgeText, nodeText, rootText, type EdgeText, type NodeText } from './labels';

export type TextRole = 'title' | 'detail' | 'caption' | 'edge';
export type Measure = (text: string, role: TextRole) => number;

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode {
  node: ViewNode;
  text: NodeText;
  /** Centre of the drawn shape. */
  x: number;
  y: number;
  /** Size of the drawn shape (the caption sits above it). */
  w: number;
  h: number;
}

export interface PlacedEdge {
  edge: ViewEdge;
  text: EdgeText;
  points: Point[];
  /** Where the labels go: value above this point, gradient below. */
  label: Point;
  /** Index in `points` where the straight, horizontal piece under the labels starts (-1: none). */
  labelSegment: number;
}

export interface RootStub {
  from: Point;
  to: Point;
  text: EdgeText;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  stub: RootStub | null;
  width: number;
  height: number;
}

export const METRICS = {
  lineHeight: 14,
  captionHeight: 16,
  circle: 32,
  boxHeight: 28,
  boxHeightTwoLines: 40,
  padX: 12,
  labelGap: 4,
  margin: 24,
};

function shapeSize(t: NodeText, measure: Measure): { w: number; h: number } {
  const title = measure(t.title, 'title');
  if (t.shape === 'circle') {
    const d = Math.max(METRICS.circle, title + 14);
    return { w: d, h: d };
  }
  const detail = t.detail ? measure(t.detail, 'detail') : 0;
  return { w: Math.max(title, detail) + 2 * METRICS.padX, h: t.detail ? METRICS.boxHeightTwoLines : METRICS.boxHeight };
}

/**
 * Where an edge meets a shape: on its left (incoming) or right (outgoing) side, at height `dy` from
 * the centre, so the level tangent of the edge's curve (and its arrow head) meets the shape square on.
 */
function port(p: PlacedNode, side: -1 | 1, dy: number): Point {
  if (p.text.shape === 'circle') {
    const r = p.w / 2;
    const y = Math.max(-r * 0.8, Math.min(r * 0.8, dy));
    return { x: p.x + side * Math.sqrt(r * r - y * y), y: p.y + y };
  }
  const hh = p.h / 2 - 3;
  return { x: p.x + (side * p.w) / 2, y: p.y + Math.max(-hh, Math.min(hh, dy)) };
}

/** Spreads the edges meeting one side of a shape over its height, in the order they arrive. */
function spread(edges: { node: PlacedNode; y: number; set: (dy: number) => void }[]): void {
  const byNode = new Map<PlacedNode, typeof edges>();
  for (const e of edges) byNode.set(e.node, [...(byNode.get(e.node) ?? []), e]);
  for (const [node, list] of byNode) {
    list.sort((a, b) => a.y - b.y);
    const gap = Math.min(10, (node.h * 0.8) / Math.max(1, list.length));
    list.forEach((e, k) => e.set((k - (list.length - 1) / 2) * gap));
  }
}

export function layoutGraph(view: GraphViewModel, measure: Measure): GraphLayout {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true });
  // align 'UR' keeps a long chain of layers level (the default alignment lets it drift diagonally).
  g.setGraph({ rankdir: 'LR', align: 'UR', nodesep: 16, ranksep: 32, edgesep: 12, marginx: METRICS.margin, marginy: METRICS.margin });
  g.setDefaultEdgeLabel(() => ({}));

  const placed = new Map<string, PlacedNode>();
  for (const n of view.nodes) {
    const text = nodeText(n);
    const { w, h } = shapeSize(text, measure);
    placed.set(n.id, { node: n, text, x: 0, y: 0, w, h });
    // The caption goes above the shape; the same room below keeps the shape at dagre's centre.
    const caption = text.caption ? measure(text.caption, 'caption') : 0;
    const extra = text.caption ? 2 * METRICS.captionHeight : 0;
    g.setNode(n.id, { width: Math.max(w, caption + 4), height: h + extra });
  }
  const texts: EdgeText[] = [];
  view.edges.forEach((e, i) => {
    if (!placed.has(e.from) || !placed.has(e.to)) return;
    const t = edgeText(e);
    texts[i] = t;
    const width = Math.max(measure(t.value, 'edge'), measure(t.grad, 'edge'), 16) + 8;
    g.setEdge(e.from, e.to, { width, height: 2 * METRICS.lineHeight + 2 * METRICS.labelGap, labelpos: 'c' }, String(i));
  });
  dagre.layout(g);

  for (const p of placed.values()) {
    const n = g.node(p.node.id);
    p.x = n.x ?? 0;
    p.y = n.y ?? 0;
  }
  const edges: PlacedEdge[] = [];
  const ins: { node: PlacedNode; y: number; set: (dy: number) => void }[] = [];
  const outs: { node: PlacedNode; y: number; set: (dy: number) => void }[] = [];
  view.edges.forEach((e, i) => {
    const from = placed.get(e.from);
    const to = placed.get(e.to);
    if (!from || !to) return;
    const label = g.edge({ v: e.from, w: e.to, name: String(i) });
    const pts = (label.points ?? []).map((p) => ({ x: p.x, y: p.y }));
    const at = { x: label.x ?? (from.x + to.x) / 2, y: label.y ?? (from.y + to.y) / 2 };
    const inner = pts.length > 2 ? pts.slice(1, -1) : [at];
    // Under the labels the edge runs straight and level (text above and below it never touches the
    // line); dagre reserved the label's width there.
    let k = 0;
    inner.forEach((q, j) => (Math.hypot(q.x - at.x, q.y - at.y) < Math.hypot(inner[k].x - at.x, inner[k].y - at.y) ? (k = j) : 0));
    const half = (label.width ?? 0) / 2;
    inner.splice(k, 1, { x: at.x - half, y: at.y }, { x: at.x + half, y: at.y });
    // dagre ends edges on the layout box (caption room included): end them on the drawn shape instead.
    const points = [port(from, 1, 0), ...inner, port(to, -1, 0)];
    outs.push({ node: from, y: inner[0].y, set: (dy) => (points[0] = port(from, 1, dy)) });
    ins.push({ node: to, y: inner[inner.length - 1].y, set: (dy) => (points[points.length - 1] = port(to, -1, dy)) });
    edges.push({ edge: e, text: texts[i], points, label: at, labelSegment: k + 1 });
  });
  spread(ins);
  spread(outs);

  const graph = g.graph();
  let width = graph.width ?? 0;
  const height = graph.height ?? 0;
  let stub: RootStub | null = null;
  const root = [...placed.values()].find((p) => p.node.isRoot);
  if (root) {
    const text = rootText(root.node);
    const len = Math.max(measure(text.value, 'edge'), measure(text.grad, 'edge'), 16) + 36;
    const from = { x: root.x + root.w / 2, y: root.y };
    stub = { from, to: { x: from.x + len, y: root.y }, text };
    width = Math.max(width, stub.to.x + METRICS.margin);
  }
  return { nodes: [...placed.values()], edges, stub, width, height };
}
