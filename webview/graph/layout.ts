// Layered layout of the computational graph with dagre, in either direction: left to right like the
// lecture figures (inputs on the left, the root on the right; for a wide panel) or top to bottom
// (for a tall one). Edge labels are laid out as dagre label nodes, so the value and the gradient of
// each edge (above and below a level edge, stacked beside an upright one) get their own space
// and never overlap boxes. Pure (text widths come from `measure`), so it can run and be tested anywhere.
import dagre, { type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import type { GraphViewModel, ViewEdge, ViewNode } from '../../src/core/browser';
import { edgeText, nodeText, rootText, valueLine, type EdgeText, type NodeText } from './labels';

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
  /** Index in `points` where the straight piece between the labels starts (-1: none). */
  labelSegment: number;
}

export interface RootStub {
  from: Point;
  to: Point;
  text: EdgeText;
}

export type Direction = 'LR' | 'TB';
/** dagre's alignment of each rank's nodes (which neighbour a node lines up with). */
export type Align = 'UL' | 'UR' | 'DL' | 'DR';

/** A frame around what an opened gate call or an unrolled op became; its title closes it. */
export interface FrameSpec {
  key: string;
  label: string;
  kind: 'gate' | 'steps';
  members: string[];
  parent: string | null;
}

export interface PlacedFrame {
  frame: FrameSpec;
  /** Centre and size of the frame (its title sits on its top edge). */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphLayout {
  dir: Direction;
  nodes: PlacedNode[];
  /** Frames, outermost first. */
  frames: PlacedFrame[];
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
  /** Between a shape and its caption beside it (top-to-bottom layouts). */
  captionGap: 6,
  /** How far a frame reaches beyond dagre's cluster box; its title sits on the top border, like a legend. */
  framePad: 6,
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
 * Where an edge meets a shape: on the side facing the flow (incoming: left or top, outgoing: right
 * or bottom), `off` from the centre along that side, so the edge's level (or upright) tangent and
 * its arrow head meet the shape square on.
 */
function port(p: PlacedNode, side: -1 | 1, off: number, dir: Direction): Point {
  if (p.text.shape === 'circle') {
    const r = p.w / 2;
    const o = Math.max(-r * 0.8, Math.min(r * 0.8, off));
    const across = side * Math.sqrt(r * r - o * o);
    return dir === 'LR' ? { x: p.x + across, y: p.y + o } : { x: p.x + o, y: p.y + across };
  }
  if (dir === 'LR') {
    const hh = p.h / 2 - 3;
    return { x: p.x + (side * p.w) / 2, y: p.y + Math.max(-hh, Math.min(hh, off)) };
  }
  const hw = p.w / 2 - (p.text.shape === 'pill' ? p.h / 2 : 4);
  return { x: p.x + Math.max(-hw, Math.min(hw, off)), y: p.y + (side * p.h) / 2 };
}

interface PortUse {
  node: PlacedNode;
  /** Where the edge comes from across the flow (y for LR, x for TB): ports are ordered by it. */
  at: number;
  set: (off: number) => void;
}

/** Spreads the edges meeting one side of a shape along it, in the order they arrive. */
function spread(edges: PortUse[], dir: Direction): void {
  const byNode = new Map<PlacedNode, PortUse[]>();
  for (const e of edges) byNode.set(e.node, [...(byNode.get(e.node) ?? []), e]);
  for (const [node, list] of byNode) {
    list.sort((a, b) => a.at - b.at);
    const side = dir === 'LR' ? node.h : node.w;
    const gap = Math.min(dir === 'LR' ? 10 : 16, (side * 0.8) / Math.max(1, list.length));
    list.forEach((e, k) => e.set((k - (list.length - 1) / 2) * gap));
  }
}

/** The lines of an edge's labels beside an upright edge: shape, value, gradient (those there are). */
export function stackedLines(t: EdgeText): string[] {
  return [t.shape, t.value, t.grad].filter(Boolean);
}

/**
 * Room for an edge's labels: the value above a level edge and the gradient below it (LR); beside
 * an upright edge, stacked on its right (TB; the edge runs along the room's left side, so a fan of
 * edges into one node needs only one label's width each).
 */
function labelBox(t: EdgeText, measure: Measure, dir: Direction): { width: number; height: number } {
  // An edge with nothing to say (a shared weight's further uses in unrolled steps) takes no room.
  if (!t.shape && !t.value && !t.grad) return { width: 0, height: 0 };
  if (dir === 'LR') return { width: Math.max(measure(valueLine(t), 'edge'), measure(t.grad, 'edge'), 16) + 8, height: 2 * METRICS.lineHeight + 2 * METRICS.labelGap };
  const lines = stackedLines(t);
  return { width: Math.max(8, ...lines.map((l) => measure(l, 'edge'))) + METRICS.labelGap + 6, height: Math.max(1, lines.length) * METRICS.lineHeight + 6 };
}

export function layoutGraph(view: GraphViewModel, measure: Measure, dir: Direction = 'LR', align: Align = dir === 'LR' ? 'UR' : 'UL', frames: readonly FrameSpec[] = []): GraphLayout {
  const g = new dagre.graphlib.Graph<GraphLabel, NodeLabel, EdgeLabel>({ multigraph: true, compound: frames.length > 0 });
  // An explicit alignment keeps a long chain of layers straight (the default lets it drift diagonally).
  const seps = dir === 'LR' ? { nodesep: 16, ranksep: 32, edgesep: 12 } : { nodesep: 20, ranksep: 14, edgesep: 16 };
  g.setGraph({ rankdir: dir, align, ...seps, marginx: METRICS.margin, marginy: METRICS.margin });
  g.setDefaultEdgeLabel(() => ({}));

  const placed = new Map<string, PlacedNode>();
  for (const n of view.nodes) {
    const text = nodeText(n);
    const { w, h } = shapeSize(text, measure);
    placed.set(n.id, { node: n, text, x: 0, y: 0, w, h });
    const caption = text.caption ? measure(text.caption, 'caption') : 0;
    if (dir === 'LR') {
      // The caption goes above the shape; the same room below keeps the shape at dagre's centre.
      const extra = text.caption ? 2 * METRICS.captionHeight : 0;
      g.setNode(n.id, { width: Math.max(w, caption + 4), height: h + extra });
    } else {
      // Above the shape it would sit on the incoming edges: it goes on the right, and the same room
      // on the left keeps the shape centred.
      const extra = text.caption ? 2 * (caption + METRICS.captionGap) : 0;
      g.setNode(n.id, { width: w + extra, height: h });
    }
  }
  // Each frame is a dagre cluster: its nodes are laid out together, the frame around them.
  const drawn = frames.map((f) => ({ f, members: f.members.filter((m) => placed.has(m)) })).filter((c) => c.members.length > 0);
  const frameId = (key: string) => `frame:${key}`;
  for (const { f } of drawn) g.setNode(frameId(f.key), { width: 0, height: 0 });
  for (const { f, members } of drawn) {
    if (f.parent !== null && drawn.some((c) => c.f.key === f.parent)) g.setParent(frameId(f.key), frameId(f.parent));
    // A node belongs to the innermost frame that lists it (frames come outermost first).
    for (const m of members) g.setParent(m, frameId(f.key));
  }
  const texts: EdgeText[] = [];
  view.edges.forEach((e, i) => {
    if (!placed.has(e.from) || !placed.has(e.to)) return;
    const t = edgeText(e);
    // A leaf's box already shows its shape: its edges carry only the numbers.
    const leaf = placed.get(e.from)?.node.kind;
    if (leaf === 'input' || leaf === 'param' || leaf === 'const') t.shape = '';
    texts[i] = t;
    g.setEdge(e.from, e.to, { ...labelBox(t, measure, dir), labelpos: 'c' }, String(i));
  });
  dagre.layout(g);

  for (const p of placed.values()) {
    const n = g.node(p.node.id);
    p.x = n.x ?? 0;
    p.y = n.y ?? 0;
  }
  const edges: PlacedEdge[] = [];
  const ins: PortUse[] = [];
  const outs: PortUse[] = [];
  const across = (q: Point) => (dir === 'LR' ? q.y : q.x);
  view.edges.forEach((e, i) => {
    const from = placed.get(e.from);
    const to = placed.get(e.to);
    if (!from || !to) return;
    const label = g.edge({ v: e.from, w: e.to, name: String(i) });
    const pts = (label.points ?? []).map((p) => ({ x: p.x, y: p.y }));
    const at = { x: label.x ?? (from.x + to.x) / 2, y: label.y ?? (from.y + to.y) / 2 };
    const inner = pts.length > 2 ? pts.slice(1, -1) : [at];
    // Between the labels the edge runs straight along the flow (text on either side never touches
    // the line); dagre reserved the label's room there.
    let k = 0;
    inner.forEach((q, j) => (Math.hypot(q.x - at.x, q.y - at.y) < Math.hypot(inner[k].x - at.x, inner[k].y - at.y) ? (k = j) : 0));
    if (dir === 'LR') {
      const half = (label.width ?? 0) / 2;
      inner.splice(k, 1, { x: at.x - half, y: at.y }, { x: at.x + half, y: at.y });
    } else {
      // The edge runs down the left side of its label room, the labels to its right.
      const half = (label.height ?? 0) / 2;
      at.x -= (label.width ?? 0) / 2 - 2;
      inner.splice(k, 1, { x: at.x, y: at.y - half }, { x: at.x, y: at.y + half });
    }
    // dagre ends edges on the layout box (caption room included): end them on the drawn shape instead.
    const points = [port(from, 1, 0, dir), ...inner, port(to, -1, 0, dir)];
    outs.push({ node: from, at: across(inner[0]), set: (o) => (points[0] = port(from, 1, o, dir)) });
    ins.push({ node: to, at: across(inner[inner.length - 1]), set: (o) => (points[points.length - 1] = port(to, -1, o, dir)) });
    edges.push({ edge: e, text: texts[i], points, label: at, labelSegment: k + 1 });
  });
  spread(ins, dir);
  spread(outs, dir);

  const placedFrames: PlacedFrame[] = drawn.map(({ f }) => {
    const n = g.node(frameId(f.key));
    // dagre's cluster box, a little larger, and wide enough for its title.
    const w = Math.max((n.width ?? 0) + 2 * METRICS.framePad, measure(`▾ ${f.label}`, 'title') + 6 * METRICS.framePad);
    const h = (n.height ?? 0) + 2 * METRICS.framePad;
    return { frame: f, x: n.x ?? 0, y: n.y ?? 0, w, h };
  });
  const graph = g.graph();
  let width = graph.width ?? 0;
  let height = graph.height ?? 0;
  for (const f of placedFrames) {
    // A frame's title may reach past dagre's box: keep it on the canvas.
    width = Math.max(width, f.x + f.w / 2 + METRICS.margin / 2);
    height = Math.max(height, f.y + f.h / 2 + METRICS.margin / 2);
  }
  let stub: RootStub | null = null;
  const root = [...placed.values()].find((p) => p.node.isRoot);
  if (root) {
    const text = rootText(root.node);
    if (dir === 'LR') {
      const len = Math.max(measure(text.value, 'edge'), measure(text.grad, 'edge'), 16) + 36;
      const from = { x: root.x + root.w / 2, y: root.y };
      stub = { from, to: { x: from.x + len, y: root.y }, text };
      width = Math.max(width, stub.to.x + METRICS.margin);
    } else {
      const from = { x: root.x, y: root.y + root.h / 2 };
      stub = { from, to: { x: root.x, y: from.y + 2 * METRICS.lineHeight + 12 }, text };
      height = Math.max(height, stub.to.y + METRICS.margin);
      const side = Math.max(measure(text.value, 'edge'), measure(text.grad, 'edge')) + METRICS.labelGap + METRICS.margin;
      width = Math.max(width, root.x + side);
    }
  }
  return { dir, nodes: [...placed.values()], frames: placedFrames, edges, stub, width, height };
}
