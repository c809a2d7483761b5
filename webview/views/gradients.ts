// The Gradients tab: gradient norms per tensor, the gradient-health findings (dead units listed),
// the value and gradient histograms of a chosen tensor, and (for an rnn) the gradient norm per
// time step — first, where an rnn's user looks.
import type { Analysis } from '../../src/core/browser';
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

  constructor(
    private readonly store: Store,
    focusNode: (name: string) => void,
    reveal: (range: Range) => void,
  ) {
    this.norms = new ChartBox('Gradient norm per tensor', (p) => (this.analysis ? gradNormsChart(this.analysis, p, (name) => this.pick(name)) : { empty: '' }), {
      id: 'grad-norms',
      description: 'log scale · shaded: vanishing (< 10⁻³ × the largest) and exploding (> 10³ × the median) · click a bar for its histogram',
    });
    this.values = new ChartBox('Values', (p) => histogramChart(this.node()?.valueStats ?? null, 'values', p.green, p), { id: 'hist-values' });
    this.grads = new ChartBox('Gradients', (p) => histogramChart(this.node()?.gradStats ?? null, 'gradients', p.red, p), { id: 'hist-grads' });
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
    this.health = new HealthList(reveal);
    this.el = h('section', { class: 'view gradients' }, this.norms.el, this.health.el, this.pickerRow, this.pair, this.steps.el);
  }

  update(a: Analysis): void {
    this.analysis = a;
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
  }

  /** Chooses the tensor the histograms show (from the picker, a bar, or the graph's selection). */
  pick(name: string): void {
    if (!this.analysis?.nodes.some((n) => n.name === name && n.valueStats !== null)) return;
    this.picker.value = name;
    this.store.set('histogramNode', name);
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
