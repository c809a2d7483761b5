// Draws a laid-out graph as SVG: boxes by kind, edges with the forward value above (green) and the
// gradient below (red), the root's stub, and error/warning borders. Text goes in as text nodes.
import { s } from '../dom';
import type { Direction, GraphLayout, PlacedEdge, PlacedFrame, PlacedNode, Point } from './layout';
import { METRICS, stackedLines } from './layout';
import { GROUP_PREFIX, REF_PREFIX } from './fold';
import { nodeAriaLabel, valueLine, type EdgeText } from './labels';

export interface RenderedGraph {
  layer: SVGGElement;
  nodes: Map<string, SVGGElement>;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A path through the points along the flow (left to right, or top to bottom): S-curves with level
 * (upright) tangents between them, smooth at every point, and a straight piece from `straight` to
 * the next point (between the labels).
 */
function pathOf(pts: Point[], dir: Direction, straight = -1): string {
  let d = `M${r1(pts[0].x)},${r1(pts[0].y)}`;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (i - 1 === straight || (dir === 'LR' ? a.y === b.y : a.x === b.x)) {
      d += ` L${r1(b.x)},${r1(b.y)}`;
      continue;
    }
    if (dir === 'LR') {
      const dx = (b.x - a.x) / 2;
      d += ` C${r1(a.x + dx)},${r1(a.y)} ${r1(b.x - dx)},${r1(b.y)} ${r1(b.x)},${r1(b.y)}`;
    } else {
      const dy = (b.y - a.y) / 2;
      d += ` C${r1(a.x)},${r1(a.y + dy)} ${r1(b.x)},${r1(b.y - dy)} ${r1(b.x)},${r1(b.y)}`;
    }
  }
  return d;
}

/** The value above a level edge and the gradient below it; stacked on the right of an upright one. */
function edgeLabels(at: Point, t: EdgeText, dir: Direction): SVGElement[] {
  const out: SVGElement[] = [];
  const gap = METRICS.labelGap;
  const value = valueLine(t);
  if (dir === 'LR') {
    if (value) out.push(s('text', { class: 'edge-value', x: r1(at.x), y: r1(at.y - gap), 'text-anchor': 'middle' }, value));
    if (t.grad) out.push(s('text', { class: 'edge-grad', x: r1(at.x), y: r1(at.y + gap + METRICS.lineHeight - 3), 'text-anchor': 'middle' }, t.grad));
    return out;
  }
  // Stacked to the right of the upright edge, centred on `at`: shape, value, then gradient.
  const lines = stackedLines(t);
  const x = r1(at.x + gap);
  let y = at.y - (lines.length * METRICS.lineHeight) / 2 + METRICS.lineHeight - 3.5;
  if (t.shape || t.value) {
    const parts = [t.shape, t.value].filter(Boolean);
    out.push(
      s(
        'text',
        { class: 'edge-value', x, y: r1(y), 'text-anchor': 'start' },
        ...parts.map((p, i) => s('tspan', { x, dy: i === 0 ? null : METRICS.lineHeight, class: p === t.shape ? 'edge-shape' : null }, p)),
      ),
    );
    y += parts.length * METRICS.lineHeight;
  }
  if (t.grad) out.push(s('text', { class: 'edge-grad', x, y: r1(y), 'text-anchor': 'start' }, t.grad));
  return out;
}

function drawEdge(e: PlacedEdge, dir: Direction): SVGGElement {
  return s(
    'g',
    { class: 'edge', 'data-from': e.edge.from, 'data-to': e.edge.to },
    s('path', { class: 'edge-line', d: pathOf(e.points, dir, e.labelSegment), 'marker-end': 'url(#gl-arrow)' }),
    ...edgeLabels(e.label, e.text, dir),
  );
}

function drawNode(p: PlacedNode, dir: Direction): SVGGElement {
  const n = p.node;
  const t = p.text;
  const classes = ['node', `kind-${n.kind}`, `shape-${t.shape}`, `status-${n.status}`];
  if (n.isRoot) classes.push('root');
  if (n.id.startsWith(GROUP_PREFIX)) classes.push('group');
  if (n.id.startsWith(REF_PREFIX)) classes.push('ref');
  const g = s('g', {
    class: classes.join(' '),
    'data-id': n.id,
    'data-name': n.name ?? undefined,
    transform: `translate(${r1(p.x)} ${r1(p.y)})`,
    tabindex: 0,
    role: 'button',
    'aria-label': nodeAriaLabel(n),
  });
  const w = r1(p.w);
  const hgt = r1(p.h);
  if (t.shape === 'circle') g.appendChild(s('circle', { class: 'node-shape', r: w / 2 }));
  else g.appendChild(s('rect', { class: 'node-shape', x: -w / 2, y: -hgt / 2, width: w, height: hgt, rx: t.shape === 'pill' ? hgt / 2 : 4 }));
  if (t.detail) {
    g.appendChild(s('text', { class: 'node-title', y: -3, 'text-anchor': 'middle' }, t.title));
    g.appendChild(s('text', { class: 'node-detail', y: 12, 'text-anchor': 'middle' }, t.detail));
  } else {
    g.appendChild(s('text', { class: 'node-title', y: 4.5, 'text-anchor': 'middle' }, t.title));
  }
  if (t.caption) {
    const at = dir === 'LR' ? { y: r1(-hgt / 2 - 5), 'text-anchor': 'middle' } : { x: r1(w / 2 + METRICS.captionGap), y: 4, 'text-anchor': 'start' };
    g.appendChild(s('text', { class: 'node-caption', ...at }, t.caption));
  }
  // Not by colour alone: a failing or unhealthy node also carries a mark.
  if (n.status !== 'ok') {
    g.appendChild(s('text', { class: 'node-badge', x: r1(w / 2 - 2), y: r1(-hgt / 2 + 4), 'text-anchor': 'middle', 'aria-hidden': 'true' }, n.status === 'error' ? '✕' : '!'));
  }
  return g;
}

/** An opened gate call or unrolled op: a frame behind its nodes, its title a button that closes it. */
function drawFrame(f: PlacedFrame): SVGGElement {
  const x = r1(f.x - f.w / 2);
  const y = r1(f.y - f.h / 2);
  const what = f.frame.kind === 'gate' ? `gate ${f.frame.label}` : f.frame.label;
  return s(
    'g',
    { class: `frame frame-${f.frame.kind}`, 'data-key': f.frame.key },
    s('rect', { class: 'frame-shape', x, y, width: r1(f.w), height: r1(f.h), rx: 6 }),
    s(
      'g',
      { class: 'frame-title', tabindex: 0, role: 'button', 'data-key': f.frame.key, 'aria-label': `Close ${what}`, 'aria-expanded': 'true' },
      s('text', { x: r1(x + 2 * METRICS.framePad), y: r1(y + 4), 'text-anchor': 'start' }, `▾ ${f.frame.label}`),
    ),
  );
}

export function renderGraph(layout: GraphLayout): RenderedGraph {
  const layer = s('g', { class: 'graph-layer' });
  const frames = s('g', { class: 'frames' });
  for (const f of layout.frames) frames.appendChild(drawFrame(f));
  const edges = s('g', { class: 'edges' });
  for (const e of layout.edges) edges.appendChild(drawEdge(e, layout.dir));
  if (layout.stub) {
    const st = layout.stub;
    edges.appendChild(
      s(
        'g',
        { class: 'edge stub', 'data-from': 'root' },
        s('path', { class: 'edge-line', d: pathOf([st.from, st.to], layout.dir), 'marker-end': 'url(#gl-arrow)' }),
        ...edgeLabels(layout.dir === 'LR' ? { x: (st.from.x + st.to.x) / 2 + 4, y: st.from.y } : { x: st.from.x + 2, y: (st.from.y + st.to.y) / 2 }, st.text, layout.dir),
      ),
    );
  }
  const nodes = s('g', { class: 'nodes' });
  const map = new Map<string, SVGGElement>();
  for (const p of layout.nodes) {
    const g = drawNode(p, layout.dir);
    map.set(p.node.id, g);
    nodes.appendChild(g);
  }
  layer.append(frames, edges, nodes);
  layer.dataset.dir = layout.dir;
  return { layer, nodes: map };
}

/** The <defs> every graph needs (the arrow head). */
export function graphDefs(): SVGDefsElement {
  return s(
    'defs',
    {},
    s(
      'marker',
      { id: 'gl-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse', markerUnits: 'strokeWidth' },
      s('path', { class: 'arrow-head', d: 'M0,1 L10,5 L0,9 z' }),
    ),
  );
}
