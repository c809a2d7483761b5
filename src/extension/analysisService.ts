// Keeps an up-to-date Analysis for every open .grad document: debounced on edits, the latest
// text always wins (a run for stale text is dropped), unchanged text is not re-run, and runs
// over 300 ms show progress. Providers read results from here and listen to its event.
import * as vscode from 'vscode';
import type { Analysis } from '../core/analysis';
import type { GradCheckThresholds } from '../core/defaults';
import { analyzeOptions, checkOptions, readConfig } from './config';
import { WorkerClient, type WorkerFailure } from './workerClient';

export interface DocumentAnalysis {
  uri: vscode.Uri;
  version: number;
  text: string;
  analysis: Analysis;
  /** Wall-clock time of the run in the worker. */
  ms: number;
  /** The verdict thresholds the gradient checks ran with (the hover, sidebar and dashboard show them). */
  thresholds: GradCheckThresholds;
}

interface DocState {
  /** When the latest edit arrived (for the edit → result latency). */
  editedAt?: number;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** Text waiting for the running analysis to finish (the latest edit wins). */
  queued?: { text: string; version: number };
  /** Stops the running analysis (its text is stale once a newer one is queued). */
  cancelRunning?: () => void;
  /** The document version the running analysis will be published as. */
  runningVersion?: number;
  lastKey?: string;
  result?: DocumentAnalysis;
  waiters: { resolve(r: DocumentAnalysis): void; reject(e: Error): void }[];
  /** The next run checks gradients whatever the settings say. */
  forceChecks?: boolean;
}

export const LANGUAGE_ID = 'grad';

export class AnalysisService implements vscode.Disposable {
  private readonly states = new Map<string, DocState>();
  private readonly emitter = new vscode.EventEmitter<DocumentAnalysis>();
  readonly onDidAnalyze = this.emitter.event;
  private readonly busyEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChangeBusy = this.busyEmitter.event;
  readonly worker: WorkerClient;
  /** Per-document dimension overrides set with "Set Dimension Sizes". */
  readonly dimOverrides = new Map<string, Record<string, number>>();
  /** Per-document seed overrides set with "Re-seed". */
  readonly seedOverrides = new Map<string, number>();
  private failureReported = false;
  /** Recent edit → result latencies (ms), newest last. */
  readonly latencies: number[] = [];
  /** Runs stopped because a newer text arrived (tests and the editor stats read it). */
  cancelledRuns = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    workerScript: string,
    private readonly log: vscode.OutputChannel,
  ) {
    this.worker = new WorkerClient(workerScript, (e) => this.onWorkerFailure(e), () => ({ maxOldGenerationSizeMb: readConfig().workerMemoryMb }));
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.onOpen(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.onChange(e.document)),
      vscode.workspace.onDidSaveTextDocument((d) => this.onSave(d)),
      vscode.workspace.onDidCloseTextDocument((d) => this.states.delete(d.uri.toString())),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('gradlens')) this.rerunAll();
      }),
    );
    for (const d of vscode.workspace.textDocuments) this.onOpen(d);
  }

  private onWorkerFailure(e: WorkerFailure): void {
    this.log.appendLine(`[worker] ${e.message}; restarting it (restart #${this.worker.restarts})`);
    // Report once per session, not on every keystroke that hits the same problem.
    if (!this.failureReported) {
      this.failureReported = true;
      void vscode.window.showWarningMessage(`GradLens: ${e.message}. The analysis worker was restarted; see "GradLens: Show Output" for details.`);
    }
  }

  private state(uri: vscode.Uri): DocState {
    const key = uri.toString();
    let s = this.states.get(key);
    if (!s) {
      s = { running: false, waiters: [] };
      this.states.set(key, s);
    }
    return s;
  }

  private onOpen(doc: vscode.TextDocument): void {
    if (doc.languageId !== LANGUAGE_ID) return;
    if (readConfig().run !== 'off') this.schedule(doc, 0);
  }

  private onChange(doc: vscode.TextDocument): void {
    if (doc.languageId !== LANGUAGE_ID) return;
    this.state(doc.uri).editedAt = performance.now();
    const cfg = readConfig();
    if (cfg.run === 'onType') this.schedule(doc, cfg.debounceMs);
  }

  private onSave(doc: vscode.TextDocument): void {
    if (doc.languageId !== LANGUAGE_ID) return;
    if (readConfig().run === 'onSave') this.schedule(doc, 0);
  }

  rerunAll(): void {
    for (const d of vscode.workspace.textDocuments) {
      if (d.languageId !== LANGUAGE_ID) continue;
      const s = this.state(d.uri);
      s.lastKey = undefined;
      this.schedule(d, 0);
    }
  }

  /** Runs after `delayMs` of quiet; each new edit restarts the wait. */
  schedule(doc: vscode.TextDocument, delayMs: number): void {
    const s = this.state(doc.uri);
    if (s.timer) clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.start(doc.uri, doc.getText(), doc.version);
    }, delayMs);
  }

  /**
   * The analysis of the document's current text (runs it now if needed). `forceChecks` runs the
   * gradient checks even when the setting turns them off.
   */
  analyzeNow(doc: vscode.TextDocument, opts: { forceChecks?: boolean } = {}): Promise<DocumentAnalysis> {
    const s = this.state(doc.uri);
    // The cached result stands only for the same text *and* settings (seed and dims overrides included).
    const fresh = s.result && s.lastKey === this.optionsKey(doc.uri, doc.getText()) && !s.running && !s.timer;
    if (!opts.forceChecks && s.result && fresh) return Promise.resolve(s.result);
    const p = new Promise<DocumentAnalysis>((resolve, reject) => s.waiters.push({ resolve, reject }));
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    s.lastKey = undefined;
    s.forceChecks = opts.forceChecks;
    this.start(doc.uri, doc.getText(), doc.version);
    return p;
  }

  get(uri: vscode.Uri): DocumentAnalysis | undefined {
    return this.states.get(uri.toString())?.result;
  }

  /**
   * The analysis of the document's current text: at once if it is there, else when the pending
   * run finishes (at most `timeoutMs`, then whatever is there). Providers use it so that the
   * editor's first request after an edit already gets the new values.
   */
  whenCurrent(doc: vscode.TextDocument, timeoutMs: number): Promise<DocumentAnalysis | undefined> {
    const s = this.states.get(doc.uri.toString());
    if (!s) return Promise.resolve(undefined);
    const pending = s.running || s.timer !== undefined || s.queued !== undefined;
    if (!pending || (s.result && s.result.version >= doc.version)) return Promise.resolve(s.result);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(s.result);
      }, timeoutMs);
      const sub = this.onDidAnalyze((r) => {
        if (r.uri.toString() !== doc.uri.toString() || r.version < doc.version) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  private optionsKey(uri: vscode.Uri, text: string): string {
    return JSON.stringify([text, readConfig(), this.dimOverrides.get(uri.toString()), this.seedOverrides.get(uri.toString())]);
  }

  private start(uri: vscode.Uri, text: string, version: number): void {
    const s = this.state(uri);
    if (s.running) {
      if (this.optionsKey(uri, text) === s.lastKey) {
        // The running text is the latest again (an edit undone): its result will do.
        s.queued = undefined;
        s.runningVersion = version;
        return;
      }
      s.queued = { text, version };
      // The running text is stale: stop it between steps (the checks it finished stay in the
      // worker's cache).
      s.cancelRunning?.();
      return;
    }
    const key = this.optionsKey(uri, text);
    if (key === s.lastKey && s.result) {
      // Unchanged text and settings: the cached result stands (with the new version number).
      s.result = { ...s.result, version };
      this.resolveWaiters(s);
      return;
    }
    s.running = true;
    s.lastKey = key;
    this.busyEmitter.fire(true);
    const cfg = readConfig();
    const options = analyzeOptions(cfg, this.dimOverrides.get(uri.toString()));
    if (s.forceChecks && options.gradcheck === false) options.gradcheck = checkOptions(cfg);
    s.forceChecks = undefined;
    const seed = this.seedOverrides.get(uri.toString());
    if (seed !== undefined) options.seed = seed;
    const started = Date.now();
    const progressTimer = setTimeout(() => this.showProgress(s), 300);
    const task = this.worker.task('analyze', { text, fileName: uri.path.split('/').pop() ?? 'file.grad', options }, cfg.workerTimeoutMs);
    s.cancelRunning = task.cancel;
    s.runningVersion = version;
    task.promise
      .then((analysis) => {
        if (analysis.cancelled) {
          this.cancelledRuns++;
          s.lastKey = undefined;
          // Stopped, but its text came back (an undo) before it stopped: run it again.
          if (!s.queued) s.queued = { text, version: s.runningVersion ?? version };
          return;
        }
        const result: DocumentAnalysis = { uri, version: s.runningVersion ?? version, text, analysis, ms: Date.now() - started, thresholds: cfg.gradientCheck.thresholds };
        if (!s.queued && s.editedAt !== undefined) {
          this.latencies.push(performance.now() - s.editedAt);
          if (this.latencies.length > 200) this.latencies.shift();
          s.editedAt = undefined;
        }
        if (!s.queued) {
          s.result = result;
          this.emitter.fire(result);
          this.resolveWaiters(s);
        }
      })
      .catch((e: Error) => {
        s.lastKey = undefined;
        this.log.appendLine(`[analysis] ${uri.fsPath}: ${e.message}`);
        // Callers waiting for this text learn that it failed (a newer text may still succeed).
        if (!s.queued) for (const w of s.waiters.splice(0)) w.reject(e);
      })
      .finally(() => {
        clearTimeout(progressTimer);
        s.running = false;
        s.cancelRunning = undefined;
        this.busyEmitter.fire(false);
        const next = s.queued;
        s.queued = undefined;
        if (next) this.start(uri, next.text, next.version);
      });
  }

  private resolveWaiters(s: DocState): void {
    const r = s.result;
    if (!r) return;
    for (const w of s.waiters.splice(0)) w.resolve(r);
  }

  private showProgress(s: DocState): void {
    if (!s.running) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'GradLens: analysing' }, () => new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (!s.running) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    }));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const s of this.states.values()) if (s.timer) clearTimeout(s.timer);
    this.worker.dispose();
    this.emitter.dispose();
    this.busyEmitter.dispose();
  }
}
