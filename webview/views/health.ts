// The gradient-health list of the Gradients tab: one row per finding (dead ReLUs, saturated units,
// vanishing or exploding gradients, badly scaled inits, collapsed attention, saturated LSTM forget
// gates, norms of constant rows), with the dead units of each layer listed
// by index — the editor's note says how many, this says which. A row's line button shows it in the editor.
import type { Analysis, HealthItem, Range } from '../../src/core/browser';
import { formatNumber } from '../../src/core/browser';
import { h, on, replace } from '../dom';

const KIND_TEXT: Record<HealthItem['kind'], string> = {
  'dead-relu': 'dead units',
  saturated: 'saturated',
  'vanishing-gradient': 'vanishing gradient',
  'exploding-gradient': 'exploding gradient',
  'init-scale': 'init scale',
  'attention-collapse': 'attention collapsed',
  'lstm-gate-saturated': 'forget gate saturated',
  'constant-norm-input': 'norm of a constant row',
};

/** Findings whose figure is a fraction (of units, outputs, rows or gates), shown as a percentage. */
const FRACTIONS = new Set<HealthItem['kind']>(['dead-relu', 'saturated', 'attention-collapse', 'lstm-gate-saturated', 'constant-norm-input']);

/** Dead units shown before "… and N more" (the core lists up to 256). */
const SHOWN_UNITS = 64;

/** "0, 3, 4" for units of a vector layer, "[0, 1, 2], [1, 0, 0]" for a feature map's; then "… and N more". */
export function deadUnitsText(d: NonNullable<HealthItem['deadUnits']>): string {
  const shown = d.indices.slice(0, SHOWN_UNITS).map((ix) => (d.unitShape.length === 1 ? String(ix[0]) : `[${ix.join(', ')}]`));
  const more = d.dead - shown.length;
  return shown.join(', ') + (more > 0 ? ` … and ${more} more` : '');
}

function figureText(item: HealthItem): string {
  if (item.kind === 'dead-relu' && item.deadUnits) return `${item.deadUnits.dead} of ${item.deadUnits.units} (${Math.round(item.value * 100)}%)`;
  if (FRACTIONS.has(item.kind)) return `${Math.round(item.value * 100)}%`;
  // A gradient ratio against a layer whose gradient is exactly 0 is infinite.
  return Number.isFinite(item.value) ? `ratio ${formatNumber(item.value)}` : 'ratio ∞';
}

export class HealthList {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;

  constructor(private readonly reveal: (range: Range) => void) {
    this.body = h('div', { class: 'table-wrap' });
    this.el = h('div', { class: 'health', id: 'health' }, h('h3', { class: 'section-title' }, 'Gradient health'), this.body);
  }

  update(a: Analysis): void {
    if (!a.health) {
      replace(this.body, h('p', { class: 'muted' }, 'Checked once the forward and backward passes have run.'));
      return;
    }
    if (a.health.length === 0) {
      replace(this.body, h('p', { class: 'muted' }, 'No findings: no dead or saturated units, no vanishing or exploding gradients, every init suits its activation.'));
      return;
    }
    const textColumn = new Set(['node', 'finding', 'which units']);
    const head = h('tr', {}, ...['', 'node', 'finding', 'figure', 'which units', ''].map((t) => h('th', { scope: 'col', class: textColumn.has(t) ? 'text' : null }, t)));
    const rows = a.health.map((item) => {
      const line = h('button', { type: 'button', class: 'link-button', title: item.message }, `line ${item.range.start.line + 1}`);
      on(line, 'click', () => this.reveal(item.range));
      const tr = h(
        'tr',
        { class: `health-row health-${item.kind}`, title: item.message },
        h('td', {}, h('span', { class: `tag ${item.severity}` }, item.severity)),
        h('td', { class: 'text' }, item.node),
        h('td', { class: 'text' }, KIND_TEXT[item.kind]),
        h('td', { class: 'num' }, figureText(item)),
        h('td', { class: 'text units' }, item.deadUnits ? deadUnitsText(item.deadUnits) : ''),
        h('td', {}, line),
      );
      if (item.severity === 'warning') tr.classList.add('bad');
      return tr;
    });
    replace(this.body, h('table', { class: 'data-table' }, h('thead', {}, head), h('tbody', {}, ...rows)));
  }
}
