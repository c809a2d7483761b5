// The values lane: a second analysis worker that computes a new text's shapes, values and
// gradients — no gradient checks — while the main worker is still busy with an older text's
// checks. Without it a keystroke's values wait for the running checks to notice their
// cancellation (up to ~100 ms between their questions on a deep net) and then for a whole new
// run's early phases; with it they take one forward and backward pass, on the other core.
//
// It only runs what is cheap to run twice: a run is given a quarter of the element budget, and a
// text that needs more gets no lane result (the main worker's own values phase comes instead). The
// quarter comes out of the one budget: beside a lane, the main worker is given the other three
// quarters (mainOptions), so the two workers together hold at most the budget plus the guards'
// margins, whatever runs when.
import type { Analysis, AnalyzeOptions } from '../../core';
import type { Task, WorkerClient } from './workerClient';

/** Default of `ValuesLane.checksDelayMs`. */
export const CHECKS_DELAY_MS = 250;

/** The share of the element budget a values-lane run may use (the main worker has the rest). */
export const VALUES_LANE_SHARE = 0.25;

/** The lane's share of an element limit. */
export function laneElements(limit: number): number {
  return Math.floor(limit * VALUES_LANE_SHARE);
}

/**
 * The main worker's options beside a values lane: the element limit less the lane's share, with
 * the too-large messages saying so (the CLI, without a lane, has the whole limit).
 */
export function mainOptions(options: AnalyzeOptions): AnalyzeOptions {
  const limit = options.maxElements;
  if (limit === undefined) return options;
  const source = options.maxElementsSource ?? 'gradlens.maxElements';
  // The lane's own runs are given laneElements(limit) of the whole limit (values()).
  return { ...options, maxElements: limit - laneElements(limit), maxElementsSource: `${source}, less the quarter the editor's values lane may hold beside it` };
}

// A few layers of the ops most files use, small enough to cost nothing.
const WARM_UP = [
  'seed 0',
  'dims N = 4, D = 8, H = 8, C = 3',
  'input X: [N, D]',
  'input y: int[N] in 0..C',
  'param W1: [D, H] ~ he',
  'param b1: [H] = 0',
  'param W2: [H, C] ~ xavier',
  'h = relu(X @ W1 + b1)',
  'loss = softmax_ce(tanh(sigmoid(h)) @ W2, y) + 0.5 * sum(W1 * W1)',
  '',
].join('\n');

export class ValuesLane {
  /** The lane's run per document (a newer text cancels the older run). */
  private readonly running = new Map<string, Task<Analysis>>();
  /** Runs whose result came in time to be used, and runs given up for the main worker's (tests, logs). */
  used = 0;
  declined = 0;
  private started = false;

  constructor(
    private readonly worker: WorkerClient,
    /**
     * How long the checks of a text whose values the lane showed wait before they start: the
     * values are on their way to the screen meanwhile (a run of checks beside them costs the
     * editor a core on a two-core machine), and a keystroke within it stops nothing.
     */
    readonly checksDelayMs = CHECKS_DELAY_MS,
  ) {}

  /**
   * The shapes, values and gradients of `text`, as an early `values` snapshot, or null when the lane
   * cannot stand in for the main worker's values phase (over its share of the budget, cancelled,
   * failed). Never rejects.
   */
  async values(uri: string, text: string, fileName: string, options: AnalyzeOptions, timeoutMs: number): Promise<Analysis | null> {
    this.cancel(uri);
    const limit = options.maxElements;
    const laneOptions: AnalyzeOptions = {
      ...options,
      gradcheck: false,
      ...(limit !== undefined ? { maxElements: laneElements(limit) } : {}),
    };
    const task = this.worker.task('analyze', { text, fileName, options: laneOptions, recycleResults: true }, timeoutMs);
    this.running.set(uri, task);
    try {
      const a = await task.promise;
      // Over the lane's share (or any too-large): what it would say is not what the main run says.
      if (a.cancelled || a.diagnostics.some((d) => d.code === 'too-large')) {
        this.declined++;
        return null;
      }
      this.used++;
      // The checks are still to come from the main worker: this is its values phase, not a finished analysis.
      return { ...a, phase: 'values' };
    } catch {
      this.declined++;
      return null;
    } finally {
      if (this.running.get(uri) === task) this.running.delete(uri);
    }
  }

  /**
   * Starts the lane's worker ahead of its first use (a document was opened) and runs a small net
   * through it once, so the first keystroke's values do not pay for compiling the engine.
   */
  prestart(): void {
    if (this.started) return;
    this.started = true;
    this.worker.prestart();
    void this.worker.task('analyze', { text: WARM_UP, fileName: 'warm-up.grad', options: { gradcheck: false } }, 0).promise.catch(() => undefined);
  }

  cancel(uri: string): void {
    this.running.get(uri)?.cancel();
    this.running.delete(uri);
  }

  dispose(): void {
    for (const t of this.running.values()) t.cancel();
    this.running.clear();
    this.worker.dispose();
  }
}
