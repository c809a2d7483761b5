// The Landscape tab: "Plot loss landscape" asks the extension for L(θ + α·d1 + β·d2) on a grid,
// shows progress with Cancel, and draws the heatmap.
import type { Analysis } from '../../src/core/browser';
import { LIMITS, type FromWebview, type LandscapeResult } from '../../src/shared/webviewProtocol';
import { Heatmap } from '../charts/landscape';
import { h, on, show } from '../dom';
import { duration } from '../format';
import type { Store } from '../state';
import { NumberField } from './numberField';
import { TaskStatus } from './task';

export class LandscapeView {
  readonly el: HTMLElement;
  readonly heatmap = new Heatmap();
  readonly status: TaskStatus;
  private readonly run: HTMLButtonElement;
  private readonly grid: NumberField;
  private readonly span: NumberField;
  private readonly reason: HTMLElement;
  private readonly stale: HTMLElement;
  private analysis: Analysis | null = null;
  private version: number | null = null;
  private resultVersion: number | null = null;
  private requestVersion: number | null = null;

  constructor(
    private readonly store: Store,
    private readonly post: (m: FromWebview) => void,
  ) {
    this.status = new TaskStatus('landscape', post, () => this.refresh());
    this.grid = new NumberField('landscape-grid', 'Grid', store.state.landscape.grid, { ...LIMITS.grid, integer: true }, () => this.refresh());
    this.span = new NumberField('landscape-span', 'Span ±', store.state.landscape.span, LIMITS.span, () => this.refresh());
    this.run = h('button', { type: 'button', class: 'primary' }, 'Plot loss landscape');
    on(this.run, 'click', () => this.start());
    this.reason = h('p', { class: 'muted', hidden: true });
    this.stale = h('p', { class: 'stale status-warning', hidden: true }, 'The file changed since this landscape was computed. Plot again to update it.');
    this.el = h(
      'section',
      { class: 'view landscape' },
      h('p', { class: 'intro muted' }, 'The loss on a 2-D slice L(θ + α·d1 + β·d2) through the current parameters θ, along two random filter-normalised directions. A bowl is easy to optimise; ridges, plateaus and cliffs are not.'),
      h('div', { class: 'controls' }, this.grid.el, this.span.el, this.run),
      this.reason,
      this.status.el,
      this.stale,
      this.heatmap.el,
    );
  }

  update(a: Analysis, version: number): void {
    this.analysis = a;
    this.version = version;
    this.refresh();
  }

  progress(done: number, total: number): void {
    this.status.progress(done, total);
  }

  result(r: LandscapeResult): void {
    this.resultVersion = this.requestVersion;
    this.heatmap.draw(r);
    this.status.done(`${r.alphas.length}×${r.betas.length} losses in ${duration(r.ms)}.`);
  }

  error(message: string): void {
    this.status.error(`${message} Fix the file (or use a smaller grid) and plot again.`);
  }

  cancelled(): void {
    this.status.cancelled();
  }

  private params(): string[] {
    return this.analysis?.nodes.filter((n) => n.kind === 'param' && n.gradStats !== null).map((n) => n.name) ?? [];
  }

  private start(): void {
    const grid = this.grid.validate();
    const span = this.span.validate();
    if (grid === null || span === null) return;
    this.store.set('landscape', { grid, span });
    this.requestVersion = this.version;
    this.post({ type: 'runLandscape', grid, span });
    this.status.start(`Computing ${grid}×${grid} losses…`);
  }

  private refresh(): void {
    const running = this.status.phase === 'running';
    let why = '';
    if (!this.analysis) why = 'Open a .grad file first.';
    else if (this.analysis.root === null) why = 'The landscape needs a scalar loss: the last assignment of the file must be a scalar.';
    else if (this.params().length === 0) why = 'The landscape moves the parameters: declare at least one param that the loss depends on.';
    this.reason.textContent = why;
    show(this.reason, why !== '');
    const valid = this.grid.validate() !== null && this.span.validate() !== null;
    this.run.disabled = running || why !== '' || !valid;
    show(this.stale, this.resultVersion !== null && this.version !== null && this.resultVersion !== this.version && !running);
  }
}
