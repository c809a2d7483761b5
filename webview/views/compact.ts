// The sidebar view: the headline numbers and charts only — the root value, gradient norms and
// gradient-check results. Everything else lives in the dashboard panel.
import type { Analysis } from '../../src/core/browser';
import { DEFAULT_THRESHOLDS, type GradCheckThresholds } from '../../src/core/browser';
import { gradcheckChart } from '../charts/gradcheck';
import { gradNormsChart } from '../charts/gradNorms';
import { ChartBox } from '../charts/setup';
import { h, replace } from '../dom';
import { formatNumber } from '../../src/core/browser';
import { checkSummary, fileName, rootValue } from './header';

export class CompactView {
  readonly el: HTMLElement;
  readonly norms: ChartBox;
  readonly checks: ChartBox;
  private readonly headline: HTMLElement;
  private analysis: Analysis | null = null;
  private thresholds: GradCheckThresholds = DEFAULT_THRESHOLDS;

  constructor() {
    this.headline = h('div', { class: 'headline' });
    this.norms = new ChartBox('Gradient norms', (p) => (this.analysis ? gradNormsChart(this.analysis, p, () => undefined) : { empty: '' }), { id: 'grad-norms' });
    this.checks = new ChartBox('Gradient checks', (p) => (this.analysis ? gradcheckChart(this.analysis, this.thresholds, p, null, () => undefined) : { empty: '' }), { id: 'gradcheck' });
    this.el = h('section', { class: 'view compact' }, this.headline, this.norms.el, this.checks.el);
  }

  update(a: Analysis, uri: string, thresholds: GradCheckThresholds): void {
    this.analysis = a;
    this.thresholds = thresholds;
    const v = rootValue(a);
    const cs = checkSummary(a);
    const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
    replace(
      this.headline,
      h('div', { class: 'headline-file muted' }, fileName(uri)),
      a.root === null ? h('div', { class: 'headline-value muted' }, 'no backward root') : h('div', { class: 'headline-value' }, h('span', { class: 'muted' }, `${a.root} = `), h('strong', { class: 'num' }, formatNumber(v))),
      h('div', { class: `headline-checks status-${cs.status}` }, cs.text),
      errors ? h('div', { class: 'status-error' }, `${errors} error${errors === 1 ? '' : 's'} — see the Problems panel`) : null,
    );
    this.norms.invalidate();
    this.checks.invalidate();
  }

  shown(): void {
    this.norms.render();
    this.checks.render();
  }
}
