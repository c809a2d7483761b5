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

/** Entries of one check confirmed at most (confirm.ts; worst first); the others keep their verdict at h. */
export const CONFIRM_LIMIT = 32;

/**
 * How many of a check's `checked` entries may be confirmed: at 4 evaluations each against the
 * check's 2 per entry, confirmation at most doubles a check's cost (plus 16 evaluations for a
 * check of a handful of entries), so it stays within a small factor of the budget it was planned in.
 */
export function confirmLimit(checked: number): number {
  return Math.min(CONFIRM_LIMIT, Math.max(4, Math.ceil(checked / 2)));
}
/**
 * Evaluations of the checked region a check of `n` entries may take at most: one at the
 * unperturbed values (the kink sides each perturbation is compared with), two per entry, and
 * four more for each entry confirmation may pick (every one of them suspicious, at worst). The
 * budget plans with it (shareBudget, affordable), so that confirmation never takes a check past
 * what it was given.
 */
export function checkEvaluations(n: number): number {
  return n <= 0 ? 0 : 1 + 2 * n + 4 * Math.min(n, confirmLimit(n));
}

/** The most entries `n` ≤ `cap` whose `cost(n)` fits in `budget` (cost increasing in n; 0 when even one does not). */
export function mostThatFit(cost: (n: number) => number, budget: number, cap: number): number {
  if (cap <= 0 || cost(1) > budget) return 0;
  let lo = 1;
  let hi = Math.max(1, Math.floor(cap));
  if (cost(hi) <= budget) return hi;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (cost(mid) <= budget) lo = mid;
    else hi = mid;
  }
  return lo;
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

/** A check the budget is shared among: entries wanted, and what `n` of them cost (default n · perEntry). */
export interface BudgetItem {
  wanted: number;
  perEntry: number;
  cost?: (n: number) => number;
}

/** What `n` entries of `item` cost. */
export function itemCost(item: BudgetItem, n: number): number {
  return n <= 0 ? 0 : item.cost ? item.cost(n) : n * item.perEntry;
}

/**
 * Shares `total` operations among checks that want `wanted` entries at `cost(n)` for n entries.
 * First one entry for each check, cheapest first, while it fits: every tensor is covered unless
 * even that is over the budget (then the costliest get 0: skipped, and reported). Then the rest is
 * water-filled: the smallest remaining needs are met in full, the others share what is left
 * equally. Deterministic: the same graph always gets the same plan.
 */
export function shareBudget(items: readonly BudgetItem[], total: number): number[] {
  if (items.reduce((a, i) => a + itemCost(i, i.wanted), 0) <= total) return items.map((i) => i.wanted);
  const out = items.map(() => 0);
  let left = total;
  const first = (k: number) => itemCost(items[k], 1);
  const byEntryCost = items.map((_, k) => k).sort((a, b) => first(a) - first(b) || a - b);
  for (const k of byEntryCost) {
    if (first(k) > left) break;
    out[k] = 1;
    left -= first(k);
  }
  const extra = (k: number, n: number) => itemCost(items[k], n) - first(k);
  const open = byEntryCost.filter((k) => out[k] === 1 && items[k].wanted > 1).sort((a, b) => extra(a, items[a].wanted) - extra(b, items[b].wanted) || a - b);
  let remaining = open.length;
  for (const k of open) {
    const share = left / remaining;
    const n = extra(k, items[k].wanted) <= share ? items[k].wanted : Math.max(1, mostThatFit((m) => extra(k, m), share, items[k].wanted));
    out[k] = n;
    left -= extra(k, n);
    remaining--;
  }
  return out;
}

/** How many entries fit in the per-target budget (their evaluations with confirmation's: checkEvaluations). */
export function affordable(graph: Graph, region: number[], opts: GradCheckOptions, target?: number): number {
  const perEvaluation = regionCost(graph, region, target);
  return mostThatFit((n) => checkEvaluations(n) * perEvaluation, opts.maxFlopsPerTarget, Math.floor(opts.maxFlopsPerTarget / (2 * perEvaluation)));
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
