// Keeps an up-to-date Analysis for every open .grad document: debounced on edits, the latest text
// always wins (a run for stale text is stopped between steps through shared memory, and its
// finished checks stay in the worker's cache), unchanged text and options are not re-run. The
// LSP features read results from here and listen to `onDidAnalyze`, which fires for each phase of
// a run: shapes, values (before the gradient checks) and the finished analysis (`analysis.phase`).
// While the worker is busy with an older text, the values lane (analysis/valuesLane.ts) brings the
// new text's values from a second worker, and the worker starts the new text's checks once they
// are in (so the lane has a core to itself); each version's phases are published only forward.
import type { Analysis } from '../core';
import type { GradCheckThresholds } from '../core';
import type { Task, WorkerClient } from './analysis/workerClient';
import { mainOptions, type ValuesLane } from './analysis/valuesLane';
import { fileNameOf } from './analysis/workerProtocol';
import { analyzeOptions, type GradLensConfig } from './settings';

export interface DocumentAnalysis {
  uri: string;
  version: number;
  text: string;
  analysis: Analysis;
  /** Wall-clock time of the run in the worker. */
  ms: number;
  /** Edit → result time, when an edit started this run. */
  latencyMs: number | null;
  /** The verdict thresholds the gradient checks ran with (hovers, trees and the dashboard show them). */
  thresholds: GradCheckThresholds;
}

/** The text of a document as the server holds it (vscode-languageserver's TextDocument fits). */
export interface DocumentText {
  uri: string;
  version: number;
  getText(): string;
}

interface DocState {
  /** When the latest edit arrived (for the edit → result latency). */
  editedAt?: number;
  /** When the latest edit arrived, kept after its result (the debounce measures the quiet since). */
  lastEditAt?: number;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** Text waiting for the running analysis to finish (the latest edit wins). */
  queued?: { text: string; version: number };
  cancelRunning?: () => void;
  /** The document version the running analysis will be published as. */
  runningVersion?: number;
  lastKey?: string;
  /** The analysis options part of `lastKey` (a settings change that leaves it alone re-runs nothing). */
  lastAnalysisKey?: string;
  result?: DocumentAnalysis;
  /** The latest result published, of any phase (shapes included: what needs only shapes answers from it). */
  latest?: DocumentAnalysis;
  waiters: { resolve(r: DocumentAnalysis): void; reject(e: Error): void }[];
  forceChecks?: boolean;
  seed: number | null;
  dims: Record<string, number> | null;
  /** Counts the values lane's runs: only the latest one's result is used. */
  laneRun: number;
  /** The latest lane run has not answered yet. */
  laneBusy?: boolean;
  /** Text the worker will run once the lane's values of it are in (the lane keeps a core to itself meanwhile). */
  deferred?: { text: string; version: number };
  /** Starts the deferred text's run, a moment after the lane showed its values. */
  checksTimer?: NodeJS.Timeout;
  /**
   * What was last published: the version, the text and options (`optionsKey`), and how far along
   * (shapes 1, values 2, finished 3). A result for an older version, or an earlier phase of the same
   * text and options, does not replace it; a re-run of the same version with new options does.
   */
  shown?: { version: number; key: string; rank: number };
}

const PHASE_RANK = { shapes: 1, values: 2 } as const;
const rankOf = (a: Analysis): number => (a.phase ? PHASE_RANK[a.phase] : 3);

type Listener = (r: DocumentAnalysis) => void;

export class DocumentAnalyses {
  private readonly states = new Map<string, DocState>();
  private readonly listeners = new Set<Listener>();
  private readonly busyListeners = new Set<(busy: boolean) => void>();
  private readonly failListeners = new Set<(uri: string, version: number) => void>();
  /** Recent edit → result latencies (ms), newest last. */
  readonly latencies: number[] = [];
  /** Runs stopped because a newer text arrived. */
  cancelledRuns = 0;

  constructor(
    private readonly worker: WorkerClient,
    private readonly settings: () => GradLensConfig,
    private readonly log: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
    /** Computes a new text's values while the worker is busy with an older text (absent: the worker's own phases only). */
    private readonly lane?: ValuesLane,
  ) {}

  onDidAnalyze(f: Listener): { dispose(): void } {
    this.listeners.add(f);
    return { dispose: () => this.listeners.delete(f) };
  }

  /** A document's run failed (crashed, timed out) and no newer text is on its way: nothing more comes for `version`. */
  onDidFail(f: (uri: string, version: number) => void): { dispose(): void } {
    this.failListeners.add(f);
    return { dispose: () => this.failListeners.delete(f) };
  }

  onDidChangeBusy(f: (busy: boolean) => void): { dispose(): void } {
    this.busyListeners.add(f);
    return { dispose: () => this.busyListeners.delete(f) };
  }

  private state(uri: string): DocState {
    let s = this.states.get(uri);
    if (!s) {
      s = { running: false, waiters: [], seed: null, dims: null, laneRun: 0 };
      this.states.set(uri, s);
    }
    return s;
  }

  opened(doc: DocumentText): void {
    if (this.settings().run === 'off') return;
    this.schedule(doc, 0);
    // The lane's first run would otherwise start a thread and load the bundle after a keystroke.
    this.lane?.prestart();
  }

  changed(doc: DocumentText): void {
    const st = this.state(doc.uri);
    const now = this.now();
    const quietMs = st.lastEditAt === undefined ? Infinity : now - st.lastEditAt;
    st.editedAt = now;
    st.lastEditAt = now;
    const s = this.settings();
    if (s.run !== 'onType') return;
    // The debounce coalesces keystrokes that follow one another: the first edit after a quiet
    // moment has nothing to wait for, so it runs at once (its values then follow the keystroke by
    // one forward and backward pass); an edit within the debounce of the previous one, or while a
    // run is still waiting to start, waits for the quiet again.
    this.schedule(doc, quietMs >= s.debounceMs && !st.timer ? 0 : s.debounceMs);
  }

  saved(doc: DocumentText): void {
    if (this.settings().run === 'onSave') this.schedule(doc, 0);
  }

  closed(uri: string): void {
    const s = this.states.get(uri);
    if (s?.timer) clearTimeout(s.timer);
    s?.cancelRunning?.();
    if (s?.checksTimer) clearTimeout(s.checksTimer);
    this.lane?.cancel(uri);
    this.states.delete(uri);
    // A request waiting for its analysis gets an answer (its runs' results are dropped from now).
    for (const w of s?.waiters.splice(0) ?? []) w.reject(new Error(`${uri} was closed`));
  }

  /**
   * The settings changed: every open document whose analysis they change runs again. A change
   * that only alters how results are shown or scheduled (line-end values, lenses, the run mode,
   * the debounce) re-runs nothing: the latest result is published again, and a document edited
   * since waits for its own run (as you type, or on save).
   */
  rerunAll(docs: Iterable<DocumentText>): void {
    for (const d of docs) {
      const s = this.state(d.uri);
      if (s.lastKey !== undefined && s.lastAnalysisKey === this.analysisKey(d.uri)) {
        const r = s.result;
        if (r && !s.running && r.version === d.version && s.shown?.version === r.version) for (const f of this.listeners) f(r);
        continue;
      }
      s.lastKey = undefined;
      this.schedule(d, 0);
    }
  }

  overrides(uri: string): { seed: number | null; dims: Record<string, number> | null } {
    const s = this.state(uri);
    return { seed: s.seed, dims: s.dims };
  }

  setOverrides(uri: string, o: { seed?: number | null; dims?: Record<string, number> | null }): void {
    const s = this.state(uri);
    if (o.seed !== undefined) s.seed = o.seed;
    if (o.dims !== undefined) s.dims = o.dims;
  }

  /** Runs after `delayMs` of quiet; each new edit restarts the wait. */
  schedule(doc: DocumentText, delayMs: number): void {
    const s = this.state(doc.uri);
    if (s.timer) clearTimeout(s.timer);
    const text = doc.getText();
    const version = doc.version;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      this.start(doc.uri, text, version);
    }, delayMs);
  }

  /** The analysis of the document's current text (runs it now if needed). */
  analyzeNow(doc: DocumentText, opts: { forceChecks?: boolean } = {}): Promise<DocumentAnalysis> {
    const s = this.state(doc.uri);
    const key = this.optionsKey(doc.uri, doc.getText());
    const fresh = s.result && s.lastKey === key && !s.running && !s.timer;
    if (!opts.forceChecks && s.result && fresh) return Promise.resolve(s.result.version === doc.version ? s.result : { ...s.result, version: doc.version });
    const p = new Promise<DocumentAnalysis>((resolve, reject) => s.waiters.push({ resolve, reject }));
    if (!opts.forceChecks && s.running && s.lastKey === key && !s.queued) {
      // This very text is running (its checks, often): its result answers this request too, rather
      // than a new run that throws away the checks done so far.
      s.runningVersion = doc.version;
      return p;
    }
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    s.lastKey = undefined;
    s.forceChecks = opts.forceChecks;
    this.start(doc.uri, doc.getText(), doc.version);
    return p;
  }

  get(uri: string): DocumentAnalysis | undefined {
    return this.states.get(uri)?.result;
  }

  /**
   * The analysis of version `version` or newer: at once if it is there, else when the pending run
   * (or the values lane) brings it (at most `timeoutMs`, then whatever is there). `needs`: whether
   * the caller needs values (a values phase or the finished analysis) or shapes alone will do.
   */
  whenCurrent(uri: string, version: number, timeoutMs: number, needs: 'values' | 'shapes' = 'values'): Promise<DocumentAnalysis | undefined> {
    const s = this.states.get(uri);
    if (!s) return Promise.resolve(undefined);
    // With `shapes`, the shapes phase will do (it comes first, long before the values on a big net).
    const current = () => (needs === 'shapes' ? s.latest : s.result);
    // A deferred text waits for the lane's values of it: they are on their way.
    const pending = s.running || s.timer !== undefined || s.queued !== undefined || s.deferred !== undefined;
    const now = current();
    if (!pending || (now && now.version >= version)) return Promise.resolve(now);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        sub.dispose();
        resolve(current());
      }, timeoutMs);
      const sub = this.onDidAnalyze((r) => {
        if (r.uri !== uri || r.version < version || (needs === 'values' && r.analysis.phase === 'shapes')) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(r);
      });
    });
  }

  /** What a run's result depends on besides the text: the analysis options, overrides included, and the worker's limits. */
  private analysisKey(uri: string): string {
    const s = this.state(uri);
    const settings = this.settings();
    return JSON.stringify([analyzeOptions(settings, { seed: s.seed, dims: s.dims }), settings.gradientCheck, settings.workerTimeoutMs, settings.workerMemoryMb]);
  }

  private optionsKey(uri: string, text: string, analysisKey = this.analysisKey(uri)): string {
    return JSON.stringify([text, analysisKey]);
  }

  private start(uri: string, text: string, version: number): void {
    const s = this.state(uri);
    if (s.running) {
      // The worker is busy with an older text (its checks, often): the lane brings this text's values meanwhile.
      this.startLane(uri, s, text, version);
      if (this.optionsKey(uri, text) === s.lastKey) {
        // The running text is the latest again (an edit undone): its result will do.
        s.queued = undefined;
        s.runningVersion = version;
        return;
      }
      s.queued = { text, version };
      // The running text is stale: stop it between steps.
      s.cancelRunning?.();
      return;
    }
    if (s.deferred) {
      // The worker waits for the lane's values of a text that this one replaces: the lane runs it instead.
      s.deferred = { text, version };
      this.startLane(uri, s, text, version);
      return;
    }
    const analysisKey = this.analysisKey(uri);
    const key = this.optionsKey(uri, text, analysisKey);
    if (key === s.lastKey && s.result) {
      // Unchanged text and settings: the cached result stands (with the new version number).
      s.result = { ...s.result, version };
      s.latest = s.result;
      this.resolveWaiters(s);
      return;
    }
    // The worker is busy with another task (a recheck, a landscape, another file): this run waits
    // behind it there, so the lane brings its values meanwhile.
    if (this.worker.busy) this.startLane(uri, s, text, version);
    s.running = true;
    s.lastKey = key;
    s.lastAnalysisKey = analysisKey;
    this.fireBusy(true);
    const settings = this.settings();
    // Beside a values lane, the lane's share of the element budget is not the main worker's.
    const all = analyzeOptions(settings, { seed: s.seed, dims: s.dims }, s.forceChecks);
    const options = this.lane ? mainOptions(all) : all;
    s.forceChecks = undefined;
    const started = Date.now();
    const thresholds = settings.gradientCheck.thresholds;
    // The early phases (shapes, then values before the checks) are published as they come, unless
    // a newer text is already waiting.
    const early = (partial: unknown) => {
      const analysis = partial as Analysis;
      if (s.queued || this.states.get(uri) !== s || !s.running || !this.publishable(s, s.runningVersion ?? version, key, analysis)) return;
      const r: DocumentAnalysis = { uri, version: s.runningVersion ?? version, text, analysis, ms: Date.now() - started, latencyMs: analysis.phase === 'values' ? this.takeLatency(s) : null, thresholds };
      this.publish(s, key, r);
    };
    // The run takes the buffers of this worker's last run (worker.ts): its results were copied out
    // (postMessage) before, and check results are cached as numbers, never as tensors.
    const task: Task<Analysis> = this.worker.task('analyze', { text, fileName: fileNameOf(uri), options, recycleResults: true }, settings.workerTimeoutMs, (_d, _t, partial) => early(partial));
    s.cancelRunning = task.cancel;
    s.runningVersion = version;
    // Not running any more as soon as the result is in, before anyone hears of it: a caller that
    // asks again in reaction gets this result instead of a second run.
    const settle = () => {
      s.running = false;
      s.cancelRunning = undefined;
    };
    task.promise
      .then((analysis) => {
        settle();
        if (analysis.cancelled) {
          this.cancelledRuns++;
          s.lastKey = undefined;
          // Stopped, but its text came back (an undo) before it stopped: run it again.
          if (!s.queued) s.queued = { text, version: s.runningVersion ?? version };
          return;
        }
        if (s.queued || this.states.get(uri) !== s) return;
        this.lane?.cancel(uri);
        const latencyMs = this.takeLatency(s);
        this.publish(s, key, { uri, version: s.runningVersion ?? version, text, analysis, ms: Date.now() - started, latencyMs, thresholds });
        this.resolveWaiters(s);
      })
      .catch((e: Error) => {
        settle();
        s.lastKey = undefined;
        this.log(`[analysis] ${uri}: ${e.message}`);
        // Callers waiting for this text learn that it failed (a newer text may still succeed).
        if (!s.queued) {
          for (const w of s.waiters.splice(0)) w.reject(e);
          for (const f of this.failListeners) f(uri, s.runningVersion ?? version);
        }
      })
      .finally(() => {
        this.fireBusy(false);
        const next = s.queued;
        s.queued = undefined;
        if (!next || this.states.get(uri) !== s) return;
        // The lane is computing this text's values: the checks start when they are in, not beside
        // them (a moment after, when the lane's values of it came first).
        s.deferred = next;
        if (!s.laneBusy) this.releaseDeferred(uri, s, s.shown?.version === next.version && s.shown.rank === PHASE_RANK.values);
      });
  }

  /**
   * Runs `text` in the values lane; its values are published unless a newer text came, or the
   * worker's own values (or finished result) for this version got there first.
   */
  private startLane(uri: string, s: DocState, text: string, version: number): void {
    const lane = this.lane;
    if (!lane) return;
    const run = ++s.laneRun;
    s.laneBusy = true;
    const key = this.optionsKey(uri, text);
    const settings = this.settings();
    const options = analyzeOptions(settings, { seed: s.seed, dims: s.dims });
    const started = Date.now();
    void lane.values(uri, text, fileNameOf(uri), options, settings.workerTimeoutMs).then((analysis) => {
      if (this.states.get(uri) !== s || s.laneRun !== run) return;
      s.laneBusy = false;
      if (analysis && this.publishable(s, version, key, analysis)) {
        this.publish(s, key, { uri, version, text, analysis, ms: Date.now() - started, latencyMs: this.takeLatency(s), thresholds: settings.gradientCheck.thresholds });
      }
      // Now the worker may start on the checks: a moment later when the lane's values are on their
      // way to the screen, at once when the lane declined or failed (everything is left to it).
      this.releaseDeferred(uri, s, analysis !== null);
    });
  }

  /**
   * Starts the run of the deferred text: `lane.checksDelayMs` later when the lane's values were
   * just shown (they are on their way to the screen; a keystroke meanwhile replaces the text),
   * at once otherwise.
   */
  private releaseDeferred(uri: string, s: DocState, valuesShown: boolean): void {
    if (s.checksTimer) clearTimeout(s.checksTimer);
    s.checksTimer = undefined;
    const release = () => {
      s.checksTimer = undefined;
      const next = s.deferred;
      s.deferred = undefined;
      if (next && !s.running && this.states.get(uri) === s) this.start(uri, next.text, next.version);
    };
    const delay = this.lane?.checksDelayMs ?? 0;
    if (valuesShown && s.deferred && delay > 0) s.checksTimer = setTimeout(release, delay);
    else release();
  }

  /** Whether `analysis` (for `version`) is newer, or further along, than what was last published. */
  private publishable(s: DocState, version: number, key: string, analysis: Analysis): boolean {
    const shown = s.shown;
    return !shown || version > shown.version || (version === shown.version && (key !== shown.key || rankOf(analysis) > shown.rank));
  }

  private publish(s: DocState, key: string, r: DocumentAnalysis): void {
    s.shown = { version: r.version, key, rank: rankOf(r.analysis) };
    s.latest = r;
    // Hovers and lenses may answer from values; shapes alone would take the old values away.
    if (r.analysis.phase !== 'shapes') s.result = r;
    for (const f of this.listeners) f(r);
  }

  /** Edit → result time of the first result (early or final) after an edit. */
  private takeLatency(s: DocState): number | null {
    if (s.editedAt === undefined) return null;
    const latencyMs = this.now() - s.editedAt;
    this.latencies.push(latencyMs);
    if (this.latencies.length > 200) this.latencies.shift();
    s.editedAt = undefined;
    return latencyMs;
  }

  private fireBusy(busy: boolean): void {
    for (const f of this.busyListeners) f(busy);
  }

  private resolveWaiters(s: DocState): void {
    const r = s.result;
    if (!r) return;
    for (const w of s.waiters.splice(0)) w.resolve(r);
  }

  dispose(): void {
    for (const s of this.states.values()) {
      if (s.timer) clearTimeout(s.timer);
      if (s.checksTimer) clearTimeout(s.checksTimer);
      s.cancelRunning?.();
    }
    this.states.clear();
    this.listeners.clear();
  }
}
