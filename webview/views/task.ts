// Progress, cancellation and outcome of a long task (landscape, training): a progress bar fed by
// `progress` messages, a Cancel button that posts `cancel`, and a status line that says what next.
import type { FromWebview, TaskKind } from '../../src/shared/webviewProtocol';
import { h, on, show } from '../dom';

export type TaskPhase = 'idle' | 'running' | 'done' | 'cancelled' | 'error';

export class TaskStatus {
  readonly el: HTMLElement;
  readonly cancel: HTMLButtonElement;
  phase: TaskPhase = 'idle';
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly label: HTMLElement;
  private readonly message: HTMLElement;

  constructor(
    task: TaskKind,
    post: (m: FromWebview) => void,
    private readonly onPhase: (phase: TaskPhase) => void,
  ) {
    this.fill = h('div', { class: 'progress-fill' });
    this.bar = h('div', { class: 'progress', role: 'progressbar', 'aria-label': `${task} progress`, 'aria-valuemin': 0, 'aria-valuemax': 100 }, this.fill);
    this.label = h('span', { class: 'progress-label muted' });
    this.cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    on(this.cancel, 'click', () => {
      post({ type: 'cancel', task });
      this.cancel.disabled = true;
      this.label.textContent = 'Cancelling…';
    });
    this.message = h('p', { class: 'task-message', role: 'status' });
    this.el = h('div', { class: 'task-status' }, h('div', { class: 'progress-row' }, this.bar, this.label, this.cancel), this.message);
    this.set('idle', false);
  }

  start(text: string): void {
    this.set('running');
    this.bar.classList.add('indeterminate');
    this.fill.style.width = '30%';
    this.bar.removeAttribute('aria-valuenow');
    this.label.textContent = text;
    this.message.textContent = '';
  }

  progress(done: number, total: number): void {
    if (this.phase !== 'running') this.set('running');
    const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
    this.bar.classList.remove('indeterminate');
    this.fill.style.width = `${(f * 100).toFixed(1)}%`;
    this.bar.setAttribute('aria-valuenow', String(Math.round(f * 100)));
    this.label.textContent = `${done} / ${total}`;
  }

  done(text: string): void {
    this.set('done');
    this.message.textContent = text;
    this.message.className = 'task-message muted';
  }

  cancelled(): void {
    this.set('cancelled');
    this.message.textContent = `Cancelled. What was computed so far is kept; start again when you are ready.`;
    this.message.className = 'task-message muted';
  }

  error(text: string): void {
    this.set('error');
    this.message.textContent = text;
    this.message.className = 'task-message status-error';
  }

  private set(phase: TaskPhase, notify = true): void {
    this.phase = phase;
    const running = phase === 'running';
    show(this.bar, running);
    show(this.label, running);
    show(this.cancel, running);
    this.cancel.disabled = !running;
    this.el.dataset.phase = phase;
    if (notify) this.onPhase(phase);
  }
}
