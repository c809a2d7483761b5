// The hover/focus card of a graph node: kind, shape, its problem, and value/gradient statistics.
import type { TensorStats } from '../../src/core/browser';
import type { ViewNode } from '../../src/core/browser';
import { h } from '../dom';
import { formatNumber } from '../../src/core/browser';
import { pct, shapeText } from '../format';
import { isSynthetic } from './expand';

function statsRow(label: string, st: TensorStats | null, scalar: number | null): HTMLTableRowElement {
  if (!st) return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { colspan: 5, class: 'muted' }, label === 'gradient' ? 'no gradient flows here' : 'not computed'));
  if (st.count === 1) return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { colspan: 5, class: 'num' }, formatNumber(scalar ?? st.mean)));
  const cells = [formatNumber(st.min), formatNumber(st.max), formatNumber(st.mean), formatNumber(st.norm), pct(st.zeros)];
  const row = h('tr', {}, h('th', { scope: 'row' }, label), ...cells.map((c) => h('td', { class: 'num' }, c)));
  if (st.nonFinite > 0) row.classList.add('bad');
  return row;
}

export function tooltipContent(n: ViewNode): HTMLElement {
  const title = isSynthetic(n) ? n.label : n.kind === 'op' ? (n.name ? `${n.name} = ${n.label}(…)` : n.label) : n.kind === 'gate' ? `gate ${n.label}` : (n.name ?? n.label);
  const head = h('div', { class: 'tt-head' }, h('strong', {}, title), h('span', { class: 'muted' }, ` ${n.kind} · ${shapeText(n.dims, n.shape)}`));
  const parts: HTMLElement[] = [head];
  if (isSynthetic(n)) {
    // A time step of an unrolled op: its norms, read from the op's per-step series.
    parts.push(...n.note.map((line) => h('div', { class: 'tt-note' }, line)));
    parts.push(h('div', { class: 'tt-hint muted' }, `Line ${n.range.start.line + 1} · the frame's title folds the steps back`));
    return h('div', {}, ...parts);
  }
  if (n.steps) parts.push(h('div', { class: 'tt-note' }, `${n.steps.formula} over ${n.steps.count} steps · click to unroll`));
  if (n.kind === 'gate') parts.push(h('div', { class: 'tt-note' }, 'Click to open the gate and see its forward body'));
  if (n.problem) parts.push(h('div', { class: `tt-problem status-${n.status}` }, n.problem));
  const multi = (n.valueStats?.count ?? 1) > 1 || (n.gradStats?.count ?? 1) > 1;
  const table = h('table', { class: 'tt-stats' });
  if (multi) table.appendChild(h('tr', {}, h('th'), ...['min', 'max', 'mean', 'norm', 'zeros'].map((c) => h('th', { scope: 'col' }, c))));
  table.append(statsRow('value', n.valueStats, n.value), statsRow('gradient', n.gradStats, n.grad));
  parts.push(table);
  const nonFinite = (n.valueStats?.nonFinite ?? 0) + (n.gradStats?.nonFinite ?? 0);
  if (nonFinite > 0) parts.push(h('div', { class: 'tt-problem status-error' }, `${nonFinite} NaN/Inf entries`));
  parts.push(h('div', { class: 'tt-hint muted' }, `Line ${n.range.start.line + 1} · click or Enter to reveal`));
  return h('div', {}, ...parts);
}
