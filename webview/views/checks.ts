// The Checks tab: relative error of every gradient check against the thresholds, the worst entries
// of the selected check, and the h sweep of one entry (asked of the extension with `sweep`).
import type { Analysis, GradCheckResult, StepSweep } from '../../src/core/browser';
import { entryIsOff } from '../../src/core/browser';
import { DEFAULT_THRESHOLDS, type GradCheckThresholds } from '../../src/core/browser';
import type { FromWebview } from '../../src/shared/webviewProtocol';
import { gradcheckChart, verdictText } from '../charts/gradcheck';
import { ChartBox } from '../charts/setup';
import { sweepChart } from '../charts/sweep';
import { h, on, replace } from '../dom';
import { formatNumber } from '../../src/core/browser';
import type { Store } from '../state';

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ChecksView {
  readonly el: HTMLElement;
  readonly chart: ChartBox;
  readonly sweepChart: ChartBox;
  private readonly targetPicker: HTMLSelectElement;
  private readonly table: HTMLElement;
  private readonly sweepTarget: HTMLSelectElement;
  private readonly sweepIndex: HTMLElement;
  private readonly sweepStatus: HTMLElement;
  private analysis: Analysis | null = null;
  /** The thresholds the checks ran with (the setting), for the bands and the rows marked off. */
  private thresholds: GradCheckThresholds = DEFAULT_THRESHOLDS;
  private sweep: StepSweep | null = null;

  constructor(
    private readonly store: Store,
    private readonly post: (m: FromWebview) => void,
  ) {
    this.chart = new ChartBox('Gradient checks', (p) => (this.analysis ? gradcheckChart(this.analysis, this.thresholds, p, this.selected()?.target ?? null, (t) => this.select(t)) : { empty: '' }), {
      id: 'gradcheck',
      description: 'worst relative error |a − n| / max(|a|, |n|) per checked tensor, coloured by the verdict (which allows for round-off) · click a bar for its worst entries',
    });
    this.sweepChart = new ChartBox('Step-size sweep', (p) => sweepChart(this.sweep, this.usedH(), p), {
      id: 'sweep',
      description: 'relative error against h, log–log: truncation error on the left, round-off on the right',
    });
    this.targetPicker = h('select', { id: 'check-target', class: 'picker' });
    on(this.targetPicker, 'change', () => this.select(this.targetPicker.value));
    this.table = h('div', { class: 'table-wrap' });
    this.sweepTarget = h('select', { id: 'sweep-target', class: 'picker' });
    on(this.sweepTarget, 'change', () => this.renderIndexInputs(null));
    this.sweepIndex = h('span', { class: 'index-inputs' });
    this.sweepStatus = h('span', { class: 'muted', role: 'status' });
    const run = h('button', { type: 'button' }, 'Sweep h');
    on(run, 'click', () => this.requestSweep());
    this.el = h(
      'section',
      { class: 'view checks' },
      this.chart.el,
      h('div', { class: 'picker-row' }, h('label', { for: 'check-target' }, 'Worst entries of'), this.targetPicker),
      this.table,
      h('div', { class: 'picker-row' }, h('label', { for: 'sweep-target' }, 'Sweep h at'), this.sweepTarget, this.sweepIndex, run, this.sweepStatus),
      this.sweepChart.el,
    );
  }

  update(a: Analysis, thresholds: GradCheckThresholds): void {
    this.analysis = a;
    this.thresholds = thresholds;
    this.sweep = a.sweep;
    replace(this.targetPicker, ...a.gradchecks.map((c) => h('option', { value: c.target }, `${c.target} · ${verdictText(c)}`)));
    const want = this.store.state.checkTarget;
    const chosen = a.gradchecks.find((c) => c.target === want) ?? [...a.gradchecks].sort((x, y) => y.maxRelError - x.maxRelError)[0];
    if (chosen) this.targetPicker.value = chosen.target;
    const targets = a.nodes.filter((n) => n.gradStats !== null && PLAIN_NAME.test(n.name) && (n.kind === 'param' || n.kind === 'input'));
    replace(this.sweepTarget, ...targets.map((n) => h('option', { value: n.name }, n.name)));
    if (a.sweep && targets.some((n) => n.name === a.sweep?.target)) {
      this.sweepTarget.value = a.sweep.target;
      this.renderIndexInputs(a.sweep.index);
    } else this.renderIndexInputs(null);
    this.sweepStatus.textContent = '';
    this.renderTable();
    this.chart.invalidate();
    this.sweepChart.invalidate();
  }

  /** The extension's answer to a `sweep` request. */
  setSweep(sweep: StepSweep | null): void {
    this.sweep = sweep;
    this.sweepStatus.textContent = sweep ? '' : 'No sweep for that entry: it has no gradient, or checks are off.';
    this.sweepChart.invalidate();
  }

  shown(): void {
    this.chart.render();
    this.sweepChart.render();
  }

  select(target: string): void {
    if (!this.analysis?.gradchecks.some((c) => c.target === target)) return;
    this.targetPicker.value = target;
    this.store.set('checkTarget', target);
    this.renderTable();
    this.chart.invalidate();
  }

  private selected(): GradCheckResult | null {
    return this.analysis?.gradchecks.find((c) => c.target === this.targetPicker.value) ?? null;
  }

  private usedH(): number | null {
    return this.analysis?.gradchecks.find((c) => c.target === this.sweep?.target)?.h ?? this.analysis?.gradchecks[0]?.h ?? null;
  }

  private renderTable(): void {
    const c = this.selected();
    if (!c) {
      replace(this.table, h('p', { class: 'muted' }, 'No gradient checks to show.'));
      return;
    }
    const sweepable = PLAIN_NAME.test(c.target) && this.analysis?.nodes.some((n) => n.name === c.target && n.gradStats !== null);
    const head = h('tr', {}, ...['index', 'analytic', 'numeric', '|a − n|', 'relative error', 'round-off', ''].map((t) => h('th', { scope: 'col' }, t)));
    const rows = c.worst.map((e) => {
      const cells = [
        h('td', { class: 'num' }, `[${e.index.join(', ')}]`),
        h('td', { class: 'num' }, formatNumber(e.analytic)),
        h('td', { class: 'num' }, formatNumber(e.numeric)),
        h('td', { class: 'num' }, formatNumber(e.absError)),
        h('td', { class: 'num' }, formatNumber(e.relError)),
        h('td', { class: 'num muted' }, formatNumber(e.roundOff)),
      ];
      const action = h('td', {}, e.kinkCrossed ? h('span', { class: 'tag', title: 'the ± h step crossed a kink (relu, max, abs): the numeric gradient is unreliable here' }, 'kink') : null);
      if (sweepable) {
        const b = h('button', { type: 'button', class: 'link-button', title: 'Sweep h at this entry' }, 'sweep h');
        on(b, 'click', () => {
          this.sweepTarget.value = c.target;
          this.renderIndexInputs(e.index);
          this.requestSweep();
        });
        action.appendChild(b);
      }
      const tr = h('tr', {}, ...cells, action);
      if (entryIsOff(e, this.thresholds)) tr.classList.add('bad');
      return tr;
    });
    const caption = h('caption', {}, `${c.target}: ${verdictText(c)} · ${c.failing} of ${c.checked} checked entries off · h = ${c.h}`);
    replace(this.table, h('table', { class: 'data-table' }, caption, h('thead', {}, head), h('tbody', {}, ...rows)));
  }

  private renderIndexInputs(index: number[] | null): void {
    const node = this.analysis?.nodes.find((n) => n.name === this.sweepTarget.value);
    const shape = node?.shape ?? [];
    const inputs = shape.map((size, d) => h('input', { type: 'number', class: 'index-input', min: 0, max: size - 1, step: 1, value: index?.[d] ?? 0, 'aria-label': `index ${d} (0 … ${size - 1})` }));
    replace(this.sweepIndex, ...(inputs.length ? ['[', ...inputs.flatMap((el, i) => (i ? [', ', el] : [el])), ']'] : []));
  }

  private requestSweep(): void {
    const target = this.sweepTarget.value;
    const node = this.analysis?.nodes.find((n) => n.name === target);
    if (!node) return;
    const inputs = [...this.sweepIndex.querySelectorAll('input')];
    const index = inputs.map((el, d) => Math.min(node.shape[d] - 1, Math.max(0, Math.trunc(Number(el.value) || 0))));
    inputs.forEach((el, d) => (el.value = String(index[d])));
    this.sweepStatus.textContent = 'Computing…';
    this.post({ type: 'sweep', target, index });
  }
}
