// The Training tab: "Train (SGD)" runs N steps in the extension; the loss, per-parameter gradient
// norms and update/weight ratios arrive step by step; afterwards the gradient check can be re-run
// at the trained parameters (a check at initialisation can mislead).
import type { Analysis } from '../../src/core/browser';
import { LIMITS, type FromWebview, type TrainingResult } from '../../src/shared/webviewProtocol';
import { ChartBox } from '../charts/setup';
import { lossChart, ratioChart, trainGradChart } from '../charts/training';
import { h, on, show } from '../dom';
import { formatNumber } from '../../src/core/browser';
import { duration } from '../format';
import type { Store } from '../state';
import { NumberField } from './numberField';
import { TaskStatus } from './task';

export class TrainingView {
  readonly el: HTMLElement;
  readonly status: TaskStatus;
  readonly loss: ChartBox;
  readonly grads: ChartBox;
  readonly ratios: ChartBox;
  private readonly run: HTMLButtonElement;
  private readonly recheck: HTMLButtonElement;
  private readonly steps: NumberField;
  private readonly lr: NumberField;
  private readonly momentum: NumberField;
  private readonly reason: HTMLElement;
  private result: TrainingResult | null = null;
  private analysis: Analysis | null = null;

  constructor(
    private readonly store: Store,
    private readonly post: (m: FromWebview) => void,
  ) {
    const t = store.state.training;
    this.status = new TaskStatus('training', post, () => this.refresh());
    this.steps = new NumberField('train-steps', 'Steps', t.steps, { ...LIMITS.steps, integer: true }, () => this.refresh());
    this.lr = new NumberField('train-lr', 'Learning rate', t.lr, LIMITS.lr, () => this.refresh());
    this.momentum = new NumberField('train-momentum', 'Momentum', t.momentum, LIMITS.momentum, () => this.refresh());
    this.run = h('button', { type: 'button', class: 'primary' }, 'Train (SGD)');
    on(this.run, 'click', () => this.start());
    this.recheck = h('button', { type: 'button', hidden: true, title: 'Check the gradients again at the trained parameters' }, 'Re-run gradient check');
    on(this.recheck, 'click', () => {
      this.post({ type: 'recheck' });
      this.recheck.disabled = true;
      this.recheck.textContent = 'Checking…';
    });
    this.reason = h('p', { class: 'muted', hidden: true });
    this.loss = new ChartBox('Loss', (p) => lossChart(this.result, p), { id: 'train-loss' });
    this.grads = new ChartBox('Gradient norm per parameter', (p) => trainGradChart(this.result, p), { id: 'train-grads', description: 'log scale' });
    this.ratios = new ChartBox('Update / weight ratio', (p) => ratioChart(this.result, p), { id: 'train-ratios', description: '‖lr · step‖ / ‖W‖ per parameter, log scale · healthy near 1e-3' });
    this.el = h(
      'section',
      { class: 'view training' },
      h('p', { class: 'intro muted' }, 'Runs stochastic gradient descent on this file (the inputs stay fixed) to see whether it learns, and whether the updates have a healthy size. The file itself is not changed.'),
      h('div', { class: 'controls' }, this.steps.el, this.lr.el, this.momentum.el, this.run, this.recheck),
      this.reason,
      this.status.el,
      this.loss.el,
      h('div', { class: 'chart-pair' }, this.grads.el, this.ratios.el),
    );
  }

  update(a: Analysis): void {
    this.analysis = a;
    this.recheck.disabled = false;
    this.recheck.textContent = 'Re-run gradient check';
    this.refresh();
  }

  progress(done: number, total: number): void {
    this.status.progress(done, total);
  }

  training(r: TrainingResult, final: boolean): void {
    this.result = r;
    if (final) {
      const first = r.losses[0];
      const last = r.losses[r.losses.length - 1];
      this.status.done(`${r.losses.length} steps in ${duration(r.ms)}: loss ${formatNumber(first)} → ${formatNumber(last)}. Gradient checks at initialisation can mislead; re-run them at the trained parameters.`);
      show(this.recheck, true);
    } else if (this.status.phase !== 'running') this.status.start('Training…');
    for (const c of [this.loss, this.grads, this.ratios]) c.invalidate();
  }

  error(message: string): void {
    this.status.error(`${message} Try a smaller learning rate or fewer steps, or fix the file, then train again.`);
  }

  cancelled(): void {
    this.status.cancelled();
  }

  shown(): void {
    for (const c of [this.loss, this.grads, this.ratios]) c.render();
  }

  private start(): void {
    const steps = this.steps.validate();
    const lr = this.lr.validate();
    const momentum = this.momentum.validate();
    if (steps === null || lr === null || momentum === null) return;
    this.store.set('training', { steps, lr, momentum });
    this.result = null;
    show(this.recheck, false);
    this.post({ type: 'runTraining', steps, lr, momentum });
    this.status.start(`Training ${steps} steps…`);
    for (const c of [this.loss, this.grads, this.ratios]) c.invalidate();
  }

  private refresh(): void {
    const running = this.status.phase === 'running';
    let why = '';
    if (!this.analysis) why = 'Open a .grad file first.';
    else if (this.analysis.root === null) why = 'Training needs a scalar loss: the last assignment of the file must be a scalar.';
    else if (!this.analysis.nodes.some((n) => n.kind === 'param' && n.gradStats !== null)) why = 'Nothing to train: declare a param that the loss depends on.';
    else if (this.analysis.diagnostics.some((d) => d.severity === 'error' && d.code !== 'gradcheck-failed')) why = 'Fix the errors in the file first.';
    this.reason.textContent = why;
    show(this.reason, why !== '');
    const valid = [this.steps, this.lr, this.momentum].every((f) => f.validate() !== null);
    this.run.disabled = running || why !== '' || !valid;
  }
}
