// Numeric gradient checks: central differences in float64, compared entry by entry with the
// analytic gradient, with the cs231n verdicts and kink tracking. This file holds what every check
// shares (options, verdicts, sampling, budget, the entry loop); the checks themselves are
// gateChecks.ts, tensorChecks.ts and stepSweep.ts.
//  1. every gate with a hand-written backward, in isolation, at the inputs it really received,
//     against a random upstream gradient;
//  2. every param and float input against the root, all entries or a seeded covering sample.
// Only the part of the graph downstream of the perturbed tensor is re-run.
import type { GradCheckEntry, GradCheckResult, Verdict } from '../model';
import type { Graph } from '../engine/graph';
import type { Fingerprints } from '../engine/fingerprint';
import type { CheckCache } from './checkCache';
import { throwIfCancelled, type CancelCheck } from '../cancel';
import { DEFAULT_GRADCHECK_OPTIONS, DEFAULT_THRESHOLDS, type FastMode } from '../defaults';
import { Prng } from '../engine/prng';
import { BatchedRegion, type Perturbation } from './batched';
import type { Execution } from '../engine/run';
import { Tensor, unravel } from '../tensor/tensor';
import type { Span } from '../text';

export interface GradCheckOptions {
  /** Step of the central differences. */
  h: number;
  /** Tensors up to this many entries are checked entirely. */
  fullLimit: number;
  /** Entries sampled from each larger tensor. */
  samples: number;
  /** How many worst entries a result lists. */
  worstCount: number;
  /**
   * Floating-point operations one target's check may spend (2 evaluations of its downstream
   * region per entry); beyond it fewer entries are checked and the result says so.
   */
  maxFlopsPerTarget: number;
  /**
   * Floating-point operations the param/input checks of one analysis may spend together. Past
   * it each tensor gets fewer sampled entries (at least one: every tensor stays covered), the
   * cheapest checks keeping all they wanted first. Keeps a deep network's analysis short.
   */
  maxFlopsTotal: number;
  /** Verdict thresholds on the relative error (cs231n's by default). */
  thresholds: Thresholds;
  /** Fast mode: directional derivatives instead of entries (fastCheck.ts); 'off' when absent. */
  fast?: FastMode;
}

export interface Thresholds {
  /** Above: fail. */
  fail: number;
  /** Above: warn. */
  warn: number;
  /** Above: ok if the function has kinks, warn if it is smooth; below: pass. */
  kinked: number;
}

export const THRESHOLDS: Thresholds = DEFAULT_THRESHOLDS;

export const DEFAULT_GRADCHECK: GradCheckOptions = DEFAULT_GRADCHECK_OPTIONS;

/** A check's result with the source location it maps back to (converted to a range later). */
export interface SpanCheck extends Omit<GradCheckResult, 'range'> {
  span: Span;
  /** 'gate': a hand-written backward in isolation; 'tensor': a param/input against the root. */
  kind: 'gate' | 'tensor';
  /** For gate checks: the gate call (index into graph.gateCalls). */
  gateCall?: number;
  /** True when the checked function contains kinks (relu, max, abs, hinge, …). */
  hasKinks: boolean;
}

export function relativeError(a: number, n: number): number {
  if (a === n) return 0; // both 0 (or identical): passes
  return Math.abs(a - n) / Math.max(1e-8, Math.abs(a) + Math.abs(n));
}

export function verdictOf(maxRel: number, hasKinks: boolean, t: Thresholds = THRESHOLDS): Verdict {
  if (!(maxRel <= t.fail)) return 'fail'; // NaN fails too
  if (maxRel > t.warn) return 'warn';
  if (maxRel > t.kinked) return hasKinks ? 'ok-if-kinked' : 'warn';
  return 'pass';
}

/** The forward-order positions of every node downstream of `start` (inclusive of consumers only). */
export function downstreamOf(graph: Graph, starts: number[]): number[] {
  const marked = new Uint8Array(graph.nodes.length);
  for (const s of starts) marked[s] = 1;
  const out: number[] = [];
  for (const id of graph.order) {
    const n = graph.nodes[id];
    if (marked[id]) continue;
    if (n.inputs.some((i) => marked[i])) {
      marked[id] = 1;
      out.push(id);
    }
  }
  return out;
}

/** How many entries of a tensor of `size` are checked: all or the sample, within what is affordable, at least one. */
export function entryCount(size: number, opts: GradCheckOptions, affordable = Infinity): number {
  const wanted = size <= opts.fullLimit ? size : Math.min(opts.samples, size);
  return Math.max(1, Math.min(wanted, affordable));
}

/** Entries to check: all of them for small tensors, else a seeded sample without repeats. */
export function entriesToCheck(size: number, opts: GradCheckOptions, seed: number, stream: string, affordable = Infinity): number[] {
  const count = entryCount(size, opts, affordable);
  if (count === size) {
    const all = new Array<number>(size);
    for (let i = 0; i < size; i++) all[i] = i;
    return all;
  }
  const rng = new Prng(seed, `gradcheck:${stream}`);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(rng.int(0, size));
  return [...picked].sort((a, b) => a - b);
}

/**
 * Estimated operations of one evaluation of `region`. With the perturbed node `target`, a 2-D
 * product that reads it directly costs one row or column (the batched check recomputes only that).
 */
export function regionCost(graph: Graph, region: number[], target?: number): number {
  const changed = new Set(region);
  let c = 0;
  for (const id of region) {
    const n = graph.nodes[id];
    const size = n.sizes.reduce((a, b) => a * b, 1);
    let cost = n.op?.cost ? n.op.cost(n.inputs.map((i) => graph.nodes[i].sizes), n.sizes) : size;
    // Only when the other operand is unchanged: then a perturbation moves one row or column.
    if (target !== undefined && n.op?.matrixProduct && n.sizes.length === 2 && graph.nodes[target].sizes.length === 2) {
      const [a, b] = n.inputs;
      if (a === target && b !== target && !changed.has(b)) cost = size + cost / n.sizes[0];
      else if (b === target && a !== target && !changed.has(a)) cost = size + cost / n.sizes[1];
    }
    c += cost;
  }
  return Math.max(1, c);
}

/**
 * Shares `total` operations among checks that want `wanted` entries at `perEntry` operations each.
 * First one entry for each check, cheapest first, while it fits: every tensor is covered unless
 * even that is over the budget (then the costliest get 0: skipped, and reported). Then the rest is
 * water-filled: the smallest remaining needs are met in full, the others share what is left
 * equally. Deterministic: the same graph always gets the same plan.
 */
export function shareBudget(items: readonly { wanted: number; perEntry: number }[], total: number): number[] {
  if (items.reduce((a, i) => a + i.wanted * i.perEntry, 0) <= total) return items.map((i) => i.wanted);
  const out = items.map(() => 0);
  let left = total;
  const byEntryCost = items.map((_, k) => k).sort((a, b) => items[a].perEntry - items[b].perEntry || a - b);
  for (const k of byEntryCost) {
    if (items[k].perEntry > left) break;
    out[k] = 1;
    left -= items[k].perEntry;
  }
  const extra = (k: number) => (items[k].wanted - out[k]) * items[k].perEntry;
  const open = byEntryCost.filter((k) => out[k] === 1 && items[k].wanted > 1).sort((a, b) => extra(a) - extra(b) || a - b);
  let remaining = open.length;
  for (const k of open) {
    const share = left / remaining;
    const more = extra(k) <= share ? items[k].wanted - 1 : Math.floor(share / items[k].perEntry);
    out[k] += more;
    left -= more * items[k].perEntry;
    remaining--;
  }
  return out;
}

/** How many entries fit in the per-target budget (two evaluations each). */
export function affordable(graph: Graph, region: number[], opts: GradCheckOptions, target?: number): number {
  return Math.floor(opts.maxFlopsPerTarget / (2 * regionCost(graph, region, target)));
}

export interface Evaluator {
  /** f at the current values (after the perturbation was written). */
  evaluate(trackKinks: boolean): { f: number; kinks: (Int32Array | undefined)[] };
}

/** Re-runs `ids` and reads a scalar from them. Saves and restores everything it overwrites. */
export class RegionRunner implements Evaluator {
  private readonly savedValues: (Tensor | null)[];
  private readonly savedState: unknown[];
  private readonly savedKinks: (Int32Array | undefined)[];

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
    for (const id of this.ids) this.ex.evalNode(id, trackKinks);
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

export function kinksDiffer(a: (Int32Array | undefined)[], b: (Int32Array | undefined)[]): boolean {
  for (let k = 0; k < a.length; k++) {
    const x = a[k];
    const y = b[k];
    if (!x || !y) continue;
    if (x.length !== y.length) return true;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return true;
  }
  return false;
}

/**
 * Central differences for the chosen entries of `base` (written into `slot` while evaluating).
 * Returns one entry per index with the analytic value from `analytic`.
 */
export function checkEntries(base: Tensor, indices: number[], analytic: Tensor, h: number, setSlot: (t: Tensor) => void, ev: Evaluator, cancelled?: CancelCheck): GradCheckEntry[] {
  const work = base.clone();
  setSlot(work);
  const out: GradCheckEntry[] = [];
  for (const i of indices) {
    // A cancelled run is thrown away whole, so the perturbed slot need not be restored.
    throwIfCancelled(cancelled);
    const x0 = base.data[i];
    work.data[i] = x0 + h;
    const plus = ev.evaluate(true);
    work.data[i] = x0 - h;
    const minus = ev.evaluate(true);
    work.data[i] = x0;
    const numeric = (plus.f - minus.f) / (2 * h);
    const a = analytic.data[i];
    out.push({
      roundOff: (10 * Number.EPSILON * (Math.abs(plus.f) + Math.abs(minus.f))) / (2 * h),
      index: unravel(i, base.shape),
      analytic: a,
      numeric,
      absError: Math.abs(a - numeric),
      relError: relativeError(a, numeric),
      kinkCrossed: kinksDiffer(plus.kinks, minus.kinks),
    });
  }
  setSlot(base);
  return out;
}

/** checkEntries with the region run for many perturbations at once (same f, bit for bit). */
export function checkEntriesBatched(base: Tensor, indices: number[], analytic: Tensor, h: number, region: BatchedRegion, cancelled?: CancelCheck): GradCheckEntry[] {
  const out: GradCheckEntry[] = [];
  const per = Math.max(1, Math.floor(region.batchSize() / 2));
  for (let start = 0; start < indices.length; start += per) {
    throwIfCancelled(cancelled);
    const chunk = indices.slice(start, start + per);
    const perts: Perturbation[] = [];
    for (const i of chunk) perts.push({ index: i, value: base.data[i] + h }, { index: i, value: base.data[i] - h });
    const r = region.evaluate(base, perts);
    chunk.forEach((i, k) => {
      const plus = r.f[2 * k];
      const minus = r.f[2 * k + 1];
      const numeric = (plus - minus) / (2 * h);
      const a = analytic.data[i];
      out.push({
        roundOff: (10 * Number.EPSILON * (Math.abs(plus) + Math.abs(minus))) / (2 * h),
        index: unravel(i, base.shape),
        analytic: a,
        numeric,
        absError: Math.abs(a - numeric),
        relError: relativeError(a, numeric),
        kinkCrossed: r.kinksDiffer(2 * k, 2 * k + 1),
      });
    });
  }
  return out;
}

/**
 * The `count` entries with the largest relative error (NaN first), ties in entry order: what a
 * stable sort would put first, without sorting every entry of a large check.
 */
export function worstOf(entries: GradCheckEntry[], count: number): GradCheckEntry[] {
  const key = (e: GradCheckEntry) => (Number.isNaN(e.relError) ? Infinity : e.relError);
  if (count <= 0) return [];
  if (count >= entries.length) return [...entries].sort((a, b) => key(b) - key(a));
  const top: GradCheckEntry[] = [];
  for (const e of entries) {
    const k = key(e);
    if (top.length === count && !(k > key(top[count - 1]))) continue;
    // After every kept entry with a key ≥ k: equal keys stay in entry order.
    let at = top.length;
    while (at > 0 && key(top[at - 1]) < k) at--;
    top.splice(at, 0, e);
    if (top.length > count) top.pop();
  }
  return top;
}

export function summarise(target: string, entries: GradCheckEntry[], opts: GradCheckOptions, hasKinks: boolean): Omit<SpanCheck, 'span' | 'kind'> {
  const maxOf = (list: GradCheckEntry[]) => list.reduce((m, e) => (e.relError > m || Number.isNaN(e.relError) ? e.relError : m), 0);
  // Kink crossings are not errors, and neither are differences below the round-off of f: the
  // verdict is about the rest. The reported maximum is the plain one (without kink crossings).
  const plain = entries.filter((e) => !e.kinkCrossed);
  const counted = plain.filter((e) => !(e.absError <= e.roundOff));
  const failing = counted.filter((e) => !(e.relError <= opts.thresholds.warn)).length;
  const worst = worstOf(entries, opts.worstCount);
  return { target, maxRelError: maxOf(plain), verdict: verdictOf(maxOf(counted), hasKinks, opts.thresholds), checked: entries.length, failing, h: opts.h, worst, hasKinks };
}

export function regionHasKinks(graph: Graph, ids: number[]): boolean {
  return ids.some((id) => graph.nodes[id].op?.kinks !== undefined);
}

/**
 * Reuses checks across analyses: results keyed by the structural fingerprints of what they read
 * (see checkCache.ts). Without it every check runs.
 */
export interface CheckMemo {
  cache: CheckCache;
  fingerprints: Fingerprints;
}

/** How a run of checks is carried out: with reuse across analyses, and stoppable between entries. */
export interface CheckContext {
  memo?: CheckMemo;
  cancelled?: CancelCheck;
}
