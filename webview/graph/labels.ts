// What the graph shows as text: the lines inside each box and the two labels of each edge (the
// forward value above, the gradient below, as in the lecture figures). Pure, so layout can size
// boxes before anything is drawn.
import type { ViewEdge, ViewNode } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { shapeText } from '../format';
import { GROUP_PREFIX } from './fold';

export type BoxShape = 'circle' | 'pill' | 'rect';

export interface NodeText {
  shape: BoxShape;
  /** Main text (operator, leaf name, gate name, literal). */
  title: string;
  /** Second line inside the box (shape of a tensor leaf, "gate"). */
  detail: string | null;
  /** The user's name above an op or gate box (`q`, `h1`). */
  caption: string | null;
}

export function nodeText(n: ViewNode): NodeText {
  const tensor = n.shape.length > 0;
  if (n.id.startsWith(GROUP_PREFIX)) return { shape: 'rect', title: n.label, detail: '▸ click to open', caption: n.name };
  switch (n.kind) {
    case 'op': {
      if (n.steps && n.steps.count > 0) return { shape: 'rect', title: n.label, detail: `${n.steps.count} steps ▸`, caption: n.name };
      const short = [...n.label].length <= 3;
      return { shape: short ? 'circle' : 'pill', title: n.label, detail: null, caption: n.name };
    }
    case 'gate':
      return { shape: 'rect', title: n.label, detail: 'gate ▸', caption: n.name };
    case 'literal':
      return { shape: 'rect', title: n.label, detail: null, caption: null };
    default:
      return { shape: 'rect', title: n.name ?? n.label, detail: tensor ? shapeText(n.dims, n.shape) : null, caption: null };
  }
}

export interface EdgeText {
  /** A tensor's shape ('' for a scalar), drawn with the value. */
  shape: string;
  /** Forward value (scalar) or norm (tensor), drawn above the edge (or beside it, above the gradient) in green. */
  value: string;
  /** Gradient that flowed back along the edge (or its norm), below in red; '' when none flows. */
  grad: string;
}

export function edgeText(e: ViewEdge): EdgeText {
  if (e.dims.length === 0) return { shape: '', value: e.value === null ? '' : formatNumber(e.value), grad: e.grad === null ? '' : formatNumber(e.grad) };
  return {
    shape: `[${e.dims.join(', ')}]`,
    value: e.valueNorm === null ? '' : `‖v‖ ${formatNumber(e.valueNorm)}`,
    grad: e.gradNorm === null ? '' : `‖∂‖ ${formatNumber(e.gradNorm)}`,
  };
}

/** The value side on one line (level edges): `[N, H] ‖v‖ 3.2`. */
export function valueLine(t: EdgeText): string {
  return [t.shape, t.value].filter(Boolean).join(' ');
}

/** Labels of the root's outgoing stub: its own value and the seed gradient (1). */
export function rootText(n: ViewNode): EdgeText {
  if (n.shape.length === 0) return { shape: '', value: n.value === null ? '' : formatNumber(n.value), grad: n.grad === null ? '' : formatNumber(n.grad) };
  return {
    shape: '',
    value: n.valueStats ? `‖v‖ ${formatNumber(n.valueStats.norm)}` : '',
    grad: n.gradStats ? `‖∂‖ ${formatNumber(n.gradStats.norm)}` : '',
  };
}

/** What a screen reader says for a node. */
export function nodeAriaLabel(n: ViewNode): string {
  const t = nodeText(n);
  const parts = [n.kind === 'op' ? `operation ${n.label}` : `${n.kind} ${t.title}`];
  if (n.name && n.kind !== 'input' && n.kind !== 'param' && n.kind !== 'const') parts.push(`named ${n.name}`);
  parts.push(shapeText(n.dims, n.shape));
  if (n.value !== null) parts.push(`value ${formatNumber(n.value)}`);
  else if (n.valueStats) parts.push(`value norm ${formatNumber(n.valueStats.norm)}`);
  if (n.grad !== null) parts.push(`gradient ${formatNumber(n.grad)}`);
  else if (n.gradStats) parts.push(`gradient norm ${formatNumber(n.gradStats.norm)}`);
  if (n.problem) parts.push(`${n.status}: ${n.problem}`);
  return parts.join(', ');
}
