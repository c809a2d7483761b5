// Runs the dashboard's long tasks (landscape, training, the h sweep) through the language server,
// and relays progress, results and cancellation to a webview. One task of each kind at a time per
// webview.
import * as vscode from 'vscode';
import type { TaskKind, ToWebview } from '../../shared/webviewProtocol';
import type { AnalysisClient, Task } from '../client/analysisClient';
import { Disposable } from '../disposable';

export class DashboardTasks extends Disposable {
  private readonly running = new Map<TaskKind, Task<unknown>>();
  /** Parameters after the last training, to re-run the gradient checks at them. */
  trainedParams: Record<string, number[]> | null = null;

  constructor(
    private readonly analyses: AnalysisClient,
    private readonly post: (m: ToWebview) => void,
  ) {
    super();
    // Tasks still running when the webview goes stop.
    this.register({ dispose: () => this.running.forEach((t) => t.cancel()) });
  }

  landscape(doc: vscode.TextDocument, grid: number, span: number): void {
    this.cancel('landscape');
    const task = this.analyses.landscape(doc, grid, span, (done, total) => this.post({ type: 'progress', task: 'landscape', done, total }));
    this.running.set('landscape', task);
    void this.withProgress('landscape', 'Plotting the loss landscape', task, (r) => {
      if (r === 'cancelled') this.post({ type: 'taskCancelled', task: 'landscape' });
      else if (typeof r === 'string') this.post({ type: 'taskError', task: 'landscape', message: r });
      else this.post({ type: 'landscape', result: r });
    });
  }

  training(doc: vscode.TextDocument, steps: number, lr: number, momentum: number): void {
    this.cancel('training');
    const task = this.analyses.train(doc, { steps, lr, momentum }, (done, total, partial) => {
      this.post({ type: 'progress', task: 'training', done, total });
      if (partial) this.post({ type: 'training', result: partial, final: false });
    });
    this.running.set('training', task);
    void this.withProgress('training', `Training ${steps} steps of SGD`, task, (r) => {
      if (r === 'cancelled') this.post({ type: 'taskCancelled', task: 'training' });
      else if (typeof r === 'string') this.post({ type: 'taskError', task: 'training', message: r });
      else {
        this.trainedParams = r.params;
        this.post({ type: 'training', result: r.result, final: true });
      }
    });
  }

  async sweep(doc: vscode.TextDocument, target: string, index: number[]): Promise<void> {
    const sweep = await this.analyses.sweep(doc, target, index).catch(() => null);
    this.post({ type: 'sweep', sweep });
  }

  private withProgress<T>(kind: TaskKind, title: string, task: Task<T>, done: (r: T) => void): Thenable<void> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `GradLens: ${title}`, cancellable: true }, async (_p, token) => {
      token.onCancellationRequested(() => task.cancel());
      try {
        done(await task.promise);
      } catch (e) {
        this.post({ type: 'taskError', task: kind, message: e instanceof Error ? e.message : String(e) });
      } finally {
        if (this.running.get(kind) === task) this.running.delete(kind);
      }
    });
  }

  cancel(kind: TaskKind): void {
    this.running.get(kind)?.cancel();
  }
}
