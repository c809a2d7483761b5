// Central differences of f at chosen entries of a tensor, for any step: a `Probe` runs f at x ± s,
// entry by entry through the region (RegionRunner) or many perturbations at once (BatchedRegion),
// and says where a perturbation changed the side of a kink or step. The checks build their
// entries at h from a probe, and confirmation (confirm.ts) asks the same probe for more steps.
import type { GradCheckEntry, KinkCrossing } from '../model';
import type { Graph } from '../engine/graph';
import { throwIfCancelled, type CancelCheck } from '../cancel';
import type { BatchedRegion, Perturbation } from './batched';
import { newResultPool, type Execution } from '../engine/run';
import { Tensor, unravel } from '../tensor/tensor';
import { residentArena } from '../tensor/matmul';
import { enterPool, leavePool } from '../tensor/results';
import { relativeError } from './gradcheck';

export interface Evaluator {
  /** f at the current values (after the perturbation was written). */
  evaluate(trackKinks: boolean): { f: number; kinks: (Int32Array | undefined)[] };
}

/** Re-runs `ids` and reads a scalar from them. Saves and restores everything it overwrites. */
export class RegionRunner implements Evaluator {
  private readonly savedValues: (Tensor | null)[];
  private readonly savedState: unknown[];
  private readonly savedKinks: (Int32Array | undefined)[];
  // An evaluation's results are read (f, the kink sides) before the next one starts: each takes the
  // buffers of the one before instead of fresh memory (zeroed, then collected) at every ±h. So a
  // runner must be built (it saves the values it restores) before any other runner's evaluations
  // install theirs, as every check does: restore() would otherwise put back pooled buffers.
  private readonly pool = newResultPool();

  constructor(
    private readonly ex: Execution,
    private readonly ids: number[],
    private readonly read: () => number,
  ) {
    this.savedValues = ids.map((i) => ex.values[i]);
    this.savedState = ids.map((i) => ex.saved[i]);
    this.savedKinks = ids.map((i) => ex.kinks[i]);
  }

  evaluate(trackKinks: boolean): { f: number; kinks: (Int32Array | undefined)[] } {
    this.pool.nextRun();
    const outer = enterPool(this.pool);
    try {
      // No backward pass reads an evaluation (restore() puts back what the analysis' pass saved).
      for (const id of this.ids) this.ex.evalNode(id, trackKinks, true);
    } finally {
      leavePool(outer);
    }
    return { f: this.read(), kinks: this.ids.map((i) => this.ex.kinks[i]) };
  }

  restore(): void {
    this.ids.forEach((id, k) => {
      this.ex.values[id] = this.savedValues[k];
      this.ex.saved[id] = this.savedState[k];
      this.ex.kinks[id] = this.savedKinks[k];
    });
  }
}

/** A kink or step whose side two evaluations took differently: the region position of its node, and the element. */
export interface KinkHit {
  at: number;
  element: number;
}

/** The first position (in region order) where two evaluations' kink sides differ, or null. */
export function kinkDifference(a: (Int32Array | undefined)[], b: (Int32Array | undefined)[]): KinkHit | null {
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (!x || !y) continue;
    if (x.length !== y.length) return { at: k, element: 0 };
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return { at: k, element: i };
  }
  return null;
}

export function kinksDiffer(a: (Int32Array | undefined)[], b: (Int32Array | undefined)[]): boolean {
  return kinkDifference(a, b) !== null;
}

/**
 * The first kink or step (in region order) where x + s or x − s took another side than x itself.
 * Comparing the two perturbations with each other is not enough: both may cross the same kink
 * the same way (a `max` whose winner both change when x is small beside s), and their difference
 * then spans the kink although their sides agree.
 */
export function crossingFromBase(base: (Int32Array | undefined)[], plus: (Int32Array | undefined)[], minus: (Int32Array | undefined)[]): KinkHit | null {
  const p = kinkDifference(base, plus);
  const m = kinkDifference(base, minus);
  if (!p || !m) return p ?? m;
  return m.at < p.at ? m : p;
}

/** f at x + s and x − s for one entry, and the first kink or step whose side differs from x's. */
export interface Difference {
  plus: number;
  minus: number;
  kink: KinkHit | null;
}

/** Central differences at `step` for the given flat entries (in the order given). */
export type Probe = (indices: number[], step: number) => Difference[];

/** A probe that writes each perturbation into a copy of `base` (through `setSlot`) and runs `ev`; `base` is back in the slot afterwards. */
export function evaluatorProbe(base: Tensor, setSlot: (t: Tensor) => void, ev: Evaluator, cancelled?: CancelCheck): Probe {
  // The sides x itself takes: one evaluation per probe (checkEvaluations counts it).
  let baseKinks: (Int32Array | undefined)[] | null = null;
  return (indices, step) => {
    const copy = workTensor(base);
    const work = copy.tensor;
    work.data.set(base.data);
    setSlot(work);
    try {
      baseKinks ??= ev.evaluate(true).kinks;
      const out: Difference[] = [];
      for (const i of indices) {
        throwIfCancelled(cancelled);
        const x0 = base.data[i];
        work.data[i] = x0 + step;
        const plus = ev.evaluate(true);
        work.data[i] = x0 - step;
        const minus = ev.evaluate(true);
        work.data[i] = x0;
        out.push({ plus: plus.f, minus: minus.f, kink: crossingFromBase(baseKinks, plus.kinks, minus.kinks) });
      }
      return out;
    } finally {
      setSlot(base);
      copy.release();
    }
  };
}

/**
 * A tensor of `base`'s shape (its entries unset) for a check's perturbations, where `base` lives:
 * in the kernel's memory when `base` is resident there (a product reads x ± h in place, as it reads
 * x), else on the heap. `release()` hands a resident one back once the slot holds `base` again.
 */
export function workTensor(base: Tensor): { tensor: Tensor; release(): void } {
  const arena = residentArena();
  const block = arena && arena.offsetOf(base.data) >= 0 ? arena.take(base.size) : null;
  if (!block) return { tensor: new Tensor(base.shape), release: () => undefined };
  return { tensor: new Tensor(base.shape, block), release: () => arena?.release(block) };
}

/** A probe over a batched region (same f, bit for bit, as evaluatorProbe); `region` lists its nodes in order. */
export function batchedProbe(base: Tensor, batched: BatchedRegion, region: number[], cancelled?: CancelCheck): Probe {
  return (indices, step) => {
    const out: Difference[] = [];
    const per = Math.max(1, Math.floor(batched.batchSize() / 2));
    for (let start = 0; start < indices.length; start += per) {
      throwIfCancelled(cancelled);
      const chunk = indices.slice(start, start + per);
      const perts: Perturbation[] = [];
      for (const i of chunk) perts.push({ index: i, value: base.data[i] + step }, { index: i, value: base.data[i] - step });
      const r = batched.evaluate(base, perts, cancelled);
      chunk.forEach((_, k) => {
        const hit = r.crossingFromBase(2 * k, 2 * k + 1);
        out.push({ plus: r.f[2 * k], minus: r.f[2 * k + 1], kink: hit ? { at: Math.max(0, region.indexOf(hit.node)), element: hit.element } : null });
      });
    }
    return out;
  };
}

/** Round-off bound of a central difference: 10·ε·(|f(x+s)| + |f(x−s)|)/(2s). */
export function roundOffOf(d: Difference, step: number): number {
  return (10 * Number.EPSILON * (Math.abs(d.plus) + Math.abs(d.minus))) / (2 * step);
}

/** Names a kink hit: the op as written and the element of its output (`region` as the probe ran it). */
export function kinkNamer(graph: Graph, region: readonly number[]): (hit: KinkHit) => KinkCrossing {
  return (hit) => {
    const node = graph.nodes[region[hit.at]];
    return { op: node.label, index: unravel(hit.element, node.sizes), at: hit.at };
  };
}

/** The check's entries at step h, one per index, against `analytic`. */
export function entriesAt(probe: Probe, base: Tensor, indices: number[], analytic: Tensor, h: number, name?: (hit: KinkHit) => KinkCrossing): GradCheckEntry[] {
  const diffs = probe(indices, h);
  return indices.map((i, k) => {
    const d = diffs[k];
    const numeric = (d.plus - d.minus) / (2 * h);
    const a = analytic.data[i];
    const entry: GradCheckEntry = {
      roundOff: roundOffOf(d, h),
      index: unravel(i, base.shape),
      analytic: a,
      numeric,
      absError: Math.abs(a - numeric),
      relError: relativeError(a, numeric),
      kinkCrossed: d.kink !== null,
    };
    if (d.kink && name) entry.kink = name(d.kink);
    return entry;
  });
}

/**
 * Central differences for the chosen entries of `base` (written into `slot` while evaluating).
 * Returns one entry per index with the analytic value from `analytic`.
 */
export function checkEntries(base: Tensor, indices: number[], analytic: Tensor, h: number, setSlot: (t: Tensor) => void, ev: Evaluator, cancelled?: CancelCheck): GradCheckEntry[] {
  return entriesAt(evaluatorProbe(base, setSlot, ev, cancelled), base, indices, analytic, h);
}
