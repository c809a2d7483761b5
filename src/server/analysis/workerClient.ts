// Talks to the analysis worker (from the language server). A worker that crashes, exits or overruns its time limit is
// killed and replaced; the callers of what it was running get a rejected promise, and the problem is reported once.
// Requests still queued behind it did nothing wrong: they go to the new worker (once: a request that was
// queued twice through a failure is given up, so no request can keep killing workers).
import { Worker } from 'node:worker_threads';
import { NUMBER_SETTINGS } from '../../core';
import type { WorkerCalls, WorkerKind, WorkerRequest, WorkerResponse } from './workerProtocol';

interface Pending {
  /** The message, kept to send it again to a new worker if this one fails before starting it. */
  request: WorkerRequest;
  /** The worker said it started this request (a failure now is this request's). */
  started: boolean;
  /** Already moved to a new worker once after a failure. */
  moved: boolean;
  resolve(v: unknown): void;
  reject(e: Error): void;
  /** The time limit (0: none); its timer starts when the worker starts the request. */
  timeoutMs: number;
  timer: NodeJS.Timeout | undefined;
  onProgress?(done: number, total: number, partial: unknown): void;
}

export interface Task<T> {
  promise: Promise<T>;
  cancel(): void;
}

export class WorkerFailure extends Error {
  constructor(
    message: string,
    readonly reason: 'crash' | 'timeout' | 'error' | 'disposed',
  ) {
    super(message);
  }
}

/** The nice value of the checks' worker (its checks run behind the editor and the values lane). */
export const CHECKS_NICENESS = 10;

export class WorkerClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Times the worker was restarted after a failure (shown in the output channel). */
  restarts = 0;
  lastDurationMs = 0;
  /** Shared with the worker: a cancelled request's id in slot id % 64 (see worker.ts). */
  private readonly cancelSlots = new Int32Array(new SharedArrayBuffer(64 * Int32Array.BYTES_PER_ELEMENT));

  constructor(
    private readonly scriptPath: string,
    private readonly onFailure: (e: WorkerFailure) => void,
    /** Read at each (re)start, so a changed memory setting applies to the next worker. */
    private readonly resourceLimits: () => { maxOldGenerationSizeMb: number } = () => ({ maxOldGenerationSizeMb: NUMBER_SETTINGS['worker.memoryLimitMb'].default }),
    /** The worker thread's nice value (0: as the process; higher: it yields the CPU to the rest). */
    private readonly niceness = 0,
  ) {}

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.scriptPath, { resourceLimits: this.resourceLimits(), workerData: { cancelSlots: this.cancelSlots, niceness: this.niceness } });
    // A replaced worker's late messages (it was stopped mid-run) are not about the requests now.
    w.on('message', (res: WorkerResponse) => {
      if (this.worker === w) this.settle(res);
    });
    w.on('error', (err) => {
      const oom = (err as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.fail(new WorkerFailure(oom ? `the analysis worker ran out of memory (limit: the gradlens.worker.memoryLimitMb setting)` : `the analysis worker crashed: ${err.message}`, 'crash'));
    });
    w.on('exit', (code) => {
      if (this.worker === w && code !== 0) this.fail(new WorkerFailure(`the analysis worker exited with code ${code}`, 'crash'));
    });
    this.worker = w;
    return w;
  }

  private settle(res: WorkerResponse): void {
    const p = this.pending.get(res.id);
    if (!p) return;
    if ('started' in res) {
      p.started = true;
      if (p.timeoutMs > 0) p.timer = setTimeout(() => this.fail(new WorkerFailure(`the analysis took longer than ${Math.round(p.timeoutMs / 1000)} s and was stopped`, 'timeout')), p.timeoutMs);
      return;
    }
    if ('progress' in res) {
      p.onProgress?.(res.progress.done, res.progress.total, res.progress.partial);
      return;
    }
    this.pending.delete(res.id);
    clearTimeout(p.timer);
    if (res.ok) {
      this.lastDurationMs = res.ms;
      p.resolve(res.result);
    } else p.reject(new WorkerFailure(res.error, 'error'));
  }

  /**
   * Drops the worker; what it had started fails with `e`, what was queued behind it goes to a new
   * worker (everything fails when the client is disposed).
   */
  private fail(e: WorkerFailure): void {
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
    const failed: Pending[] = [];
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      if (e.reason === 'disposed' || p.started || p.moved) {
        failed.push(p);
        this.pending.delete(id);
      }
    }
    for (const p of failed) p.reject(e);
    if (e.reason === 'disposed') return;
    this.restarts++;
    this.onFailure(e);
    if (this.pending.size === 0) return;
    // In the order they were asked for (a Map iterates in insertion order).
    const worker = this.ensure();
    for (const p of this.pending.values()) {
      p.moved = true;
      p.timer = undefined;
      worker.postMessage(p.request);
    }
  }

  request<K extends WorkerKind>(kind: K, params: WorkerCalls[K]['params'], timeoutMs: number): Promise<WorkerCalls[K]['result']> {
    return this.task(kind, params, timeoutMs).promise;
  }

  /**
   * A request that reports progress and can be cancelled (landscape, training). `timeoutMs` 0
   * means no limit: such tasks yield regularly and are stopped by cancel().
   */
  task<K extends WorkerKind>(kind: K, params: WorkerCalls[K]['params'], timeoutMs: number, onProgress?: Pending['onProgress']): Task<WorkerCalls[K]['result']> {
    const worker = this.ensure();
    const id = this.nextId++;
    const promise = new Promise<WorkerCalls[K]['result']>((resolve, reject) => {
      const request = { id, kind, params } as WorkerRequest;
      this.pending.set(id, { request, started: false, moved: false, resolve: resolve as (v: unknown) => void, reject, timeoutMs, timer: undefined, onProgress });
      worker.postMessage(request);
    });
    return { promise, cancel: () => Atomics.store(this.cancelSlots, id % this.cancelSlots.length, id) };
  }

  /** Starts the worker now (thread and bundle), so the first request does not wait for it. */
  prestart(): void {
    this.ensure();
  }

  /** Kills the worker (tests use it to prove recovery). */
  kill(): void {
    void this.worker?.terminate();
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  dispose(): void {
    this.fail(new WorkerFailure('disposed', 'disposed'));
  }
}
