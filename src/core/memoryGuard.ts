// The run's memory, measured: the plan counts every allocation before the run, and this guard
// watches what the thread really holds while it runs, so an estimate that falls short still stops
// cleanly (a `too-large` diagnostic) instead of growing the process — in the editor, the extension
// host's — until the system kills it. The host measures (a Node worker or the CLI: the isolate's
// array buffers); the core only compares.

import { residentHeldBytes } from './tensor/matmul';

/** Bytes of typed arrays the analysing thread holds, and garbage collection when the host allows it. */
export interface MemoryProbe {
  heldBytes(): number;
  /** Frees unreachable buffers now (so that garbage is not counted as held); optional. */
  collect?(): void;
}

/** Memory past the budget while running: turned into a `too-large` diagnostic by analyzeSession. */
export class MemoryBudgetExceeded extends Error {
  constructor(
    readonly heldBytes: number,
    readonly limitBytes: number,
  ) {
    super(`the run holds ${Math.round(heldBytes / 2 ** 20)} MB of tensors, over its budget of ${Math.round(limitBytes / 2 ** 20)} MB`);
  }
}

/** Slack above the planned budget before the guard stops a run: temporaries and the engine's own arrays. */
export const GUARD_MARGIN_BYTES = 64 * 2 ** 20;

/** Measure at most this often (ms): a measurement costs microseconds, a step may be shorter. */
const INTERVAL_MS = 2;
/** Collect garbage at most this often (ms) before deciding that the budget is really exceeded. */
const COLLECT_INTERVAL_MS = 200;

export class MemoryGuard {
  private readonly base: number;
  private lastCheck = -Infinity;
  private lastCollect = -Infinity;

  constructor(
    private readonly probe: MemoryProbe,
    /** Bytes the run may hold beyond what the thread held when it started. */
    readonly limitBytes: number,
  ) {
    this.base = this.held();
  }

  /**
   * What the thread holds: the probe's typed arrays, and the blocks of the kernel memory's arena
   * (tensor/resident.ts), which Node counts nowhere (a WebAssembly memory is not an ArrayBuffer of
   * the isolate's).
   */
  private held(): number {
    return this.probe.heldBytes() + residentHeldBytes();
  }

  /**
   * Throws MemoryBudgetExceeded when the run holds more than its budget — measured right after a
   * collection when the host can collect: uncollected garbage never stops a run. Collections are
   * at most one per COLLECT_INTERVAL_MS; over the budget between two, the check waits for the next
   * one (the run goes on for at most that long), unless the figure is past twice the budget.
   */
  check(): void {
    const now = performance.now();
    if (now - this.lastCheck < INTERVAL_MS) return;
    this.lastCheck = now;
    const held = this.held() - this.base;
    if (held <= this.limitBytes) return;
    if (!this.probe.collect) throw new MemoryBudgetExceeded(held, this.limitBytes);
    if (now - this.lastCollect < COLLECT_INTERVAL_MS && held <= 2 * this.limitBytes) return;
    this.probe.collect();
    this.lastCollect = performance.now();
    const live = this.held() - this.base;
    if (live > this.limitBytes) throw new MemoryBudgetExceeded(live, this.limitBytes);
  }
}
