// The Gradients tab: gradient norms per tensor, the gradient-health findings (dead units listed),
// the value and gradient histograms of a chosen tensor, and (for an rnn) the gradient norm per
// time step — first, where an rnn's user looks.
import type { Analysis, TensorStats } from '../../src/core/browser';
import type { FromWebview, TensorDetail } from '../../src/shared/webviewProtocol';
import { formatNumber } from '../../src/core/browser';
import { gradNormsChart } from '../charts/gradNorms';
import { histogramChart } from '../charts/histogram';
import { defaultHistogramNode } from '../charts/histogramPick';
import { ChartBox } from '../charts/setup';
import { rnnSeries, timestepChart } from '../charts/timesteps';
import type { Range } from '../../src/core/browser';
import { h, on, replace, show } from '../dom';
import { shapeText } from '../format';
import type { Store } from '../state';
import { HealthList } from './health';

export class GradientsView {
  readonly el: HTMLElement;
  readonly norms: ChartBox;
  readonly values: ChartBox;
  readonly grads: ChartBox;
  readonly steps: ChartBox;
  private readonly picker: HTMLSelectElement;
  private readonly pickerRow: HTMLElement;
  private readonly pair: HTMLElement;
  readonly health: HealthList;
  private analysis: Analysis | null = null;
  /** The chosen tensor's histograms and first values, fetched when it is shown (the model has none). */
  private detail: TensorDetail | null = null;
  private asked: string | null = null;
  private readonly entries: HTMLElement;
  private readonly omitted: HTMLElement;

  constructor(
    private readonly store: Store,
    focusNode: (name: string) => void,
    reveal: (range: Range) => void,
    private readonly post: (m: FromWebview) => void = () => undefined,
  ) {
    this.norms = new ChartBox('Gradient norm per tensor', (p) => (this.analysis ? gradNormsChart(this.analysis, p, (name) => this.pick(name)) : { empty: '' }), {
      id: 'grad-norms',
      description: 'log scale · shaded: vanishing (< 10⁻³ × the largest) and exploding (> 10³ × the median) · click a bar for its histogram',
    });
    this.values = new ChartBox('Values', (p) => this.histogram('valueStats', 'values', p.green, p), { id: 'hist-values' });
    this.grads = new ChartBox('Gradients', (p) => this.histogram('gradStats', 'gradients', p.red, p), { id: 'hist-grads' });
    this.steps = new ChartBox('Gradient norm per time step (rnn)', (p) => (this.analysis ? timestepChart(this.analysis, p) : { empty: '' }), {
      id: 'rnn-steps',
      description: 'backprop through time: a line falling towards t = 0 means vanishing gradients',
    });
    this.picker = h('select', { id: 'hist-node', class: 'picker' });
    on(this.picker, 'change', () => this.pick(this.picker.value));
    const showNode = h('button', { type: 'button', class: 'secondary', title: 'Select this tensor in the graph' }, 'Show in graph');
    on(showNode, 'click', () => focusNode(this.picker.value));
    this.pickerRow = h('div', { class: 'picker-row' }, h('label', { for: 'hist-node' }, 'Histograms of'), this.picker, showNode);
    this.pair = h('div', { class: 'chart-pair' }, this.values.el, this.grads.el);
    this.entries = h('div', { class: 'tensor-entries muted', id: 'tensor-entries' });
    this.omitted = h('p', { class: 'muted', id: 'omitted-nodes', hidden: true });
    this.health = new HealthList(reveal);
    this.el = h('section', { class: 'view gradients' }, this.norms.el, this.health.el, this.omitted, this.pickerRow, this.pair, this.entries, this.steps.el);
  }

  /** A chosen tensor's statistics with their histogram: the model's when it has one, else the fetched tensor's. */
  private stats(which: 'valueStats' | 'gradStats'): TensorStats | null | undefined {
    const n = this.node();
    if (!n) return null;
    const own = n[which];
    if (!own || own.histogram.length > 0) return own;
    return this.detail?.name === n.name ? this.detail[which] : undefined;
  }

  private histogram(which: 'valueStats' | 'gradStats', what: 'values' | 'gradients', color: string, p: Parameters<typeof histogramChart>[3]) {
    const st = this.stats(which);
    return st === undefined ? { empty: 'Loading…' } : histogramChart(st, what, color, p);
  }

  /** Asks for the chosen tensor's histograms and values when the model left them out. */
  private fetch(): void {
    const n = this.node();
    this.drawEntries();
    if (!n || this.detail?.name === n.name || this.asked === n.name) return;
    const slim = (n.valueStats && n.valueStats.histogram.length === 0) || (n.gradStats && n.gradStats.histogram.length === 0);
    if (!slim) return;
    this.asked = n.name;
    this.post({ type: 'tensor', name: n.name });
  }

  /** The fetched tensor (from the analysis shown: the app drops replies for an older one). */
  tensor(detail: TensorDetail | null, name: string): void {
    if (name !== this.asked) return;
    this.asked = null;
    this.detail = detail;
    this.drawEntries();
    this.values.invalidate();
    this.grads.invalidate();
  }

  private drawEntries(): void {
    const n = this.node();
    const d = n && this.detail?.name === n.name ? this.detail : null;
    const first = (label: string, xs: number[] | null, count: number) => (xs && xs.length > 0 ? `${label} ${xs.slice(0, 8).map((x) => formatNumber(x)).join(', ')}${count > 8 ? ` … (${count} entries)` : ''}` : null);
    const lines = d ? [first('value', d.value, d.count), first('gradient', d.grad, d.count)].filter((x): x is string => x !== null) : [];
    this.entries.textContent = lines.join(' · ');
  }

  update(a: Analysis): void {
    this.analysis = a;
    this.detail = null;
    this.asked = null;
    const omitted = (a as { omittedNodes?: number }).omittedNodes ?? 0;
    this.omitted.textContent = omitted > 0 ? `${omitted} more statements are not listed: the dashboard lists ${a.nodes.length} (the params, inputs and the root first).` : '';
    show(this.omitted, omitted > 0);
    const named = a.nodes.filter((n) => n.valueStats !== null);
    replace(this.picker, ...named.map((n) => h('option', { value: n.name }, `${n.name} · ${n.kind} ${shapeText(n.dims, n.shape)}`)));
    const want = this.store.state.histogramNode;
    const chosen = named.find((n) => n.name === want) ?? defaultHistogramNode(named);
    if (chosen) this.picker.value = chosen.name;
    this.health.update(a);
    const rnn = rnnSeries(a).length > 0;
    show(this.steps.el, rnn);
    // An rnn's question is whether the gradient vanishes through time: that chart comes first.
    if (rnn && this.el.firstChild !== this.steps.el) this.el.prepend(this.steps.el);
    else if (!rnn && this.el.lastChild !== this.steps.el) this.el.append(this.steps.el);
    for (const c of [this.norms, this.values, this.grads, this.steps]) c.invalidate();
    this.fetch();
  }

  /** Chooses the tensor the histograms show (from the picker, a bar, or the graph's selection). */
  pick(name: string): void {
    if (!this.analysis?.nodes.some((n) => n.name === name && n.valueStats !== null)) return;
    this.picker.value = name;
    this.store.set('histogramNode', name);
    this.fetch();
    this.values.invalidate();
    this.grads.invalidate();
  }

  shown(): void {
    for (const c of [this.norms, this.values, this.grads, this.steps]) c.render();
  }

  private node() {
    return this.analysis?.nodes.find((n) => n.name === this.picker.value) ?? null;
  }
}
