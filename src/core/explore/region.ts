// Re-running the part of a graph that depends on the parameters, with their values overridden.
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { downstreamOf } from '../checks/gradcheck';
import type { Tensor } from '../tensor/tensor';

export interface ParamSlot {
  name: string;
  id: number;
  base: Tensor;
}

/** The params that reach the root (they have a gradient), in declaration order. */
export function trainableParams(graph: Graph, ex: Execution): ParamSlot[] {
  const out: ParamSlot[] = [];
  for (const [name, id] of graph.named) {
    const n = graph.nodes[id];
    if (n.kind !== 'param' || !ex.grads[id] || !ex.values[id]) continue;
    out.push({ name, id, base: ex.values[id] as Tensor });
  }
  return out;
}

/** Evaluates the root with each param set to `values[k]` (re-running only what depends on them), pacing after every node. */
export async function rootWith(graph: Graph, ex: Execution, params: ParamSlot[], values: Tensor[], region: number[], pacer: Pacer): Promise<number> {
  params.forEach((p, k) => (ex.values[p.id] = values[k]));
  for (const id of region) {
    ex.evalNode(id);
    await pacer.pace();
  }
  const r = ex.values[graph.root as number];
  return r ? r.data[0] : NaN;
}

export function paramRegion(graph: Graph, params: ParamSlot[]): number[] {
  return downstreamOf(
    graph,
    params.map((p) => p.id),
  );
}

/** Lets the event loop run other callbacks during a long computation (a caller on the same thread may cancel from one). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Thrown by `Pacer.pace` when the task was cancelled at a yield; the task returns 'cancelled'. */
export class TaskCancelled extends Error {
  constructor() {
    super('task cancelled');
  }
}

/**
 * How a long task (the landscape, the training) shares its thread: `pace()` is awaited after every
 * node it evaluates, and yields to the event loop once `sliceMs` have passed since the last yield.
 * In the worker, that is where an analysis request waiting behind the task runs (so it waits at
 * most a slice and one node), and where cancellation is seen.
 */
export class Pacer {
  /** Longest time between two yields so far (ms), the node that ended it included. */
  longestGapMs = 0;
  yields = 0;
  private last = performance.now();

  constructor(
    private readonly cancelled: () => boolean,
    readonly sliceMs = PACE_SLICE_MS,
  ) {}

  async pace(): Promise<void> {
    if (performance.now() - this.last < this.sliceMs) return;
    await this.yieldNow();
  }

  /** Yields whatever the time (after a result is reported); throws TaskCancelled when the task was cancelled. */
  async yieldNow(): Promise<void> {
    this.longestGapMs = Math.max(this.longestGapMs, performance.now() - this.last);
    await tick();
    this.yields++;
    this.last = performance.now();
    if (this.cancelled()) throw new TaskCancelled();
  }
}

/** Runs `body(lo, hi)` over 0…n in chunks of a few thousand entries, pacing between them (a weight can have millions). */
export async function pacedChunks(n: number, pacer: Pacer, body: (lo: number, hi: number) => void): Promise<void> {
  for (let lo = 0; lo < n; lo += PACE_CHUNK) {
    body(lo, Math.min(n, lo + PACE_CHUNK));
    await pacer.pace();
  }
}

/** Entries an element-wise loop of a long task handles between two `pace()` calls. */
export const PACE_CHUNK = 4096;

/** A long task yields after this much work (ms): with one node's work after it, well under 100 ms for files whose ops are small (a yield costs microseconds). */
export const PACE_SLICE_MS = 10;
