// The unit of the cost model: what an op's `cost` and `backwardCost` count. One unit is about a
// nanosecond of one core (measured on a 2020s x86 machine, Node 20): the plan's operation budget
// is a time budget, and test/unit/op-cost.test.ts times every op's kernels at several sizes
// against their estimates (within a factor of 2 of the common rate). The constants below are
// what the kernels' inner loops cost per entry, memory traffic included.
import { usesPackedKernel } from '../tensor/matmul';
import { sizeOf } from '../tensor/tensor';
import type { Attrs, OpDef } from './op';

export const COST = {
  /**
   * Each evaluation of a node, whatever its size: dispatch, the output's allocation, bookkeeping,
   * and the garbage collection of what it allocated. Measured on chains of small nodes re-run by a
   * gradient check (issue 15's hang inputs: 24,574 three-entry nodes): 0.85–1.3 µs a node (it was
   * 400, and a check of those regions took 4× its budget).
   */
  node: 1000,
  /** One call of a kernel inside an op (a GEMM, a band of a convolution): dispatch and the output's allocation. */
  call: 400,
  /** Reading, combining and writing one entry in a simple loop (an add, a copy, a compare). */
  entry: 3,
  /** One multiply-add of the blocked GEMM kernels (tensor/matmul.ts): several per nanosecond. */
  fma: 0.15,
  /** One call of Math.exp, log, tanh, pow or log1p (with its loop). */
  transcendental: 12,
  /** Starting one inner run of a strided loop (broadcasts, slices, windows): index arithmetic. */
  run: 12,
  /** Drawing one seeded random initial value (a normal takes two PRNG steps and a log). */
  init: 70,
  /** One entry of a new array of zeros that is mostly left untouched (the pages are mapped lazily). */
  zeros: 0.5,
  /**
   * What an analysis does per graph node besides its kernels: lowering it (a gate call's shape
   * inference, the node's record), the run's bookkeeping of both passes, the health notes, the
   * statistics and the results. Measured on issue 15's exponential gates (98,303 nodes): 21–29 µs
   * lowering, 16–25 µs running, 4–12 µs results, at a load of 5 on two cores.
   */
  graphNode: 30_000,
} as const;

/** Entries of a shape. */
export const entries = sizeOf;

/** Inner runs of a broadcasting loop over `out`: one per row of its last axis (none for a scalar). */
export function runsOf(out: readonly number[]): number {
  const n = sizeOf(out);
  const inner = out.length ? out[out.length - 1] : 1;
  return inner > 0 ? n / inner : 0;
}

/**
 * A GEMM of [M, K]·[K, N] (tensor/matmul.ts): on the packed kernel, the multiply-adds, packing
 * both operands and the call; below its threshold the scalar loop, about a multiply-add per unit.
 */
export function gemmCost(M: number, N: number, K: number): number {
  if (!usesPackedKernel(M, N, K)) return 3 * M * N * K + COST.entry * M * N + COST.run;
  return COST.fma * M * N * K + M * K + K * N + COST.entry * M * N + COST.call;
}

/** The forward work of `op` at these shapes (its `cost`, or one unit per output entry). */
export function forwardCost(op: OpDef, shapes: readonly (readonly number[])[], out: readonly number[], attrs: Attrs): number {
  return op.cost ? op.cost(shapes, out, attrs) : sizeOf(out);
}

/** The backward work of `op` when the inputs in `needs` take a gradient (its `backwardCost`, or twice the forward). */
export function backwardCost(op: OpDef, shapes: readonly (readonly number[])[], out: readonly number[], attrs: Attrs, needs?: readonly boolean[]): number {
  return op.backwardCost ? op.backwardCost(shapes, out, attrs, needs) : 2 * forwardCost(op, shapes, out, attrs);
}

/** Whether input `k` takes a gradient (all do when `needs` is not given). */
export function needed(needs: readonly boolean[] | undefined, k: number): boolean {
  return needs === undefined || needs[k] === true;
}
