// Draws a laid-out graph as SVG: boxes by kind, edges with the forward value above (green) and the
// gradient below (red), the root's stub, and error/warning borders. Text goes in as text nodes.
import { s } from '../dom';
import type { GraphLayout, PlacedEdge, PlacedNode, Point } from './layout';
import { METRICS } from './layout';
import { nodeAriaLabel } from './labels';

export interface RenderedGraph {
  layer: SVGGElement;
  nodes: Map<string, SVGGElement>;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A left-to-right path through the points: S-curves with level tangents between them (smooth at
 * every point), and a straight piece from `straight` to the next point (under the labels).
 */
function pathOf(pts: Point[], straight = -1): string {
  let d = `M${r1(pts[0].x)},${r1(pts[0].y)}`;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (i - 1 === straight || a.y === b.y) {
      d += ` L${r1(b.x)},${r1(b.y)}`;
      continue;
    }
    const dx = (b.x - a.x) / 2;
    d += ` C${r1(a.x + dx)},${r1(a.y)} ${r1(b.x - dx)},${r1(b.y)} ${r1(b.x)},${r1(b.y)}`;
  }
  return d;
}

function edgeLabels(at: Point, value: string, grad: string): SVGElement[] {
  const out: SVGElement[] = [];
  if (value) out.push(s('text', { class: 'edge-value', x: r1(at.x), y: r1(at.y - METRICS.labelGap), 'text-anchor': 'middle' }, value));
  if (grad) out.push(s('text', { class: 'edge-grad', x: r1(at.x), y: r1(at.y + METRICS.labelGap + METRICS.lineHeight - 3), 'text-anchor': 'middle' }, grad));
  return out;
}

function drawEdge(e: PlacedEdge): SVGGElement {
  return s(
    'g',
    { class: 'edge', 'data-from': e.edge.from, 'data-to': e.edge.to },
    s('path', { class: 'edge-line', d: pathOf(e.points, e.labelSegment), 'marker-end': 'url(#gl-arrow)' }),
    ...edgeLabels(e.label, e.text.value, e.text.grad),
  );
}

function drawNode(p: PlacedNode): SVGGElement {
  const n = p.node;
  const t = p.text;
  const classes = ['node', `kind-${n.kind}`, `shape-${t.shape}`, `status-${n.status}`];
  if (n.isRoot) classes.push('root');
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
  if (t.caption) g.appendChild(s('text', { class: 'node-caption', y: r1(-hgt / 2 - 5), 'text-anchor': 'middle' }, t.caption));
  // Not by colour alone: a failing or unhealthy node also carries a mark.
  if (n.status !== 'ok') {
    g.appendChild(s('text', { class: 'node-badge', x: r1(w / 2 - 2), y: r1(-hgt / 2 + 4), 'text-anchor': 'middle', 'aria-hidden': 'true' }, n.status === 'error' ? '✕' : '!'));
  }
  return g;
}

export function renderGraph(layout: GraphLayout): RenderedGraph {
  const layer = s('g', { class: 'graph-layer' });
  const edges = s('g', { class: 'edges' });
  for (const e of layout.edges) edges.appendChild(drawEdge(e));
  if (layout.stub) {
    const st = layout.stub;
    edges.appendChild(
      s(
        'g',
        { class: 'edge stub', 'data-from': 'root' },
        s('path', { class: 'edge-line', d: pathOf([st.from, st.to]), 'marker-end': 'url(#gl-arrow)' }),
        ...edgeLabels({ x: (st.from.x + st.to.x) / 2 + 4, y: st.from.y }, st.text.value, st.text.grad),
      ),
    );
  }
  const nodes = s('g', { class: 'nodes' });
  const map = new Map<string, SVGGElement>();
  for (const p of layout.nodes) {
    const g = drawNode(p);
    map.set(p.node.id, g);
    nodes.appendChild(g);
  }
  layer.append(edges, nodes);
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
