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
import type { CancelCheck } from '../cancel';
import { DEFAULT_GRADCHECK_OPTIONS, DEFAULT_THRESHOLDS, type FastMode } from '../defaults';
import { Prng } from '../engine/prng';
import { COST, forwardCost } from '../ops/cost';
import type { Span } from '../text';
import { entryCounts, entryIsOff, judgedError } from './thresholds';

export interface GradCheckOptions {
  /**
   * Floats a batched check may stack at once (the plan's room beside the run; default the batched
   * checker's own cap). Fewer means smaller batches, never other results.
   */
  batchElements?: number;
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
  /** True when the checked function contains kinks (relu, max, abs, hinge, …) or steps (comparisons, sign). */
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
    let cost = n.op ? COST.node + forwardCost(n.op, n.inputs.map((i) => graph.nodes[i].sizes), n.sizes, n.attrs) : size;
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
  const maxOf = (list: GradCheckEntry[]) =>
    list.reduce((m, e) => {
      const r = judgedError(e);
      return r > m || Number.isNaN(r) ? r : m;
    }, 0);
  // Kink (and step) crossings are not errors, and neither are differences below the round-off
  // of f or within an entry's confirmed error budget: the verdict is about the rest, judged by
  // the confirmed estimate where there is one. The reported maximum leaves out kink crossings only.
  const plain = entries.filter((e) => !e.kinkCrossed);
  const counted = entries.filter(entryCounts);
  const failing = counted.filter((e) => entryIsOff(e, opts.thresholds)).length;
  const worst = worstOf(entries, opts.worstCount);
  return { target, maxRelError: maxOf(plain), verdict: verdictOf(maxOf(counted), hasKinks, opts.thresholds), checked: entries.length, failing, h: opts.h, worst, hasKinks };
}

export function regionHasKinks(graph: Graph, ids: number[]): boolean {
  return ids.some((id) => graph.nodes[id].op?.kinks !== undefined || graph.nodes[id].op?.steps !== undefined);
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
