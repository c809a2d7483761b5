// Numeric gradient checks (spec section 7): central differences in float64, compared entry by
// entry with the analytic gradient, with the cs231n verdicts and kink tracking.
//  1. every gate with a hand-written backward, in isolation, at the inputs it really received,
//     against a random upstream gradient;
//  2. every param and float input against the root, all entries or a seeded covering sample.
// Only the part of the graph downstream of the perturbed tensor is re-run.
import type { GradCheckEntry, GradCheckResult, StepSweep, SweepPoint, Verdict } from '../model';
import type { GateBackward, GateCall, Graph } from '../engine/graph';
import type { Fingerprints } from '../engine/fingerprint';
import type { CheckCache } from './checkCache';
import { throwIfCancelled, type CancelCheck } from '../cancel';
import { DEFAULT_GRADCHECK_OPTIONS, DEFAULT_THRESHOLDS } from '../defaults';
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
function entryCount(size: number, opts: GradCheckOptions, affordable = Infinity): number {
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
function affordable(graph: Graph, region: number[], opts: GradCheckOptions, target?: number): number {
  return Math.floor(opts.maxFlopsPerTarget / (2 * regionCost(graph, region, target)));
}

interface Evaluator {
  /** f at the current values (after the perturbation was written). */
  evaluate(trackKinks: boolean): { f: number; kinks: (Int32Array | undefined)[] };
}

/** Re-runs `ids` and reads a scalar from them. Saves and restores everything it overwrites. */
class RegionRunner implements Evaluator {
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

function kinksDiffer(a: (Int32Array | undefined)[], b: (Int32Array | undefined)[]): boolean {
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
function checkEntries(base: Tensor, indices: number[], analytic: Tensor, h: number, setSlot: (t: Tensor) => void, ev: Evaluator, cancelled?: CancelCheck): GradCheckEntry[] {
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
function checkEntriesBatched(base: Tensor, indices: number[], analytic: Tensor, h: number, region: BatchedRegion, cancelled?: CancelCheck): GradCheckEntry[] {
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
function worstOf(entries: GradCheckEntry[], count: number): GradCheckEntry[] {
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

function summarise(target: string, entries: GradCheckEntry[], opts: GradCheckOptions, hasKinks: boolean): Omit<SpanCheck, 'span' | 'kind'> {
  const maxOf = (list: GradCheckEntry[]) => list.reduce((m, e) => (e.relError > m || Number.isNaN(e.relError) ? e.relError : m), 0);
  // Kink crossings are not errors, and neither are differences below the round-off of f: the
  // verdict is about the rest. The reported maximum is the plain one (without kink crossings).
  const plain = entries.filter((e) => !e.kinkCrossed);
  const counted = plain.filter((e) => !(e.absError <= e.roundOff));
  const failing = counted.filter((e) => !(e.relError <= opts.thresholds.warn)).length;
  const worst = worstOf(entries, opts.worstCount);
  return { target, maxRelError: maxOf(plain), verdict: verdictOf(maxOf(counted), hasKinks, opts.thresholds), checked: entries.length, failing, h: opts.h, worst, hasKinks };
}

function regionHasKinks(graph: Graph, ids: number[]): boolean {
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

type GateCallResult = { input: number; summary: Omit<SpanCheck, 'span' | 'kind' | 'gateCall'> }[];

/** A gate some of whose calls were not checked: the budget ran out after its first ones. */
export interface SkippedCalls {
  gate: string;
  checked: number;
  calls: number;
  span: Span;
}

export interface GateChecks {
  checks: SpanCheck[];
  skippedCalls: SkippedCalls[];
}

/**
 * Checks every hand-written backward block in isolation, at the inputs each call received. The
 * first call of every gate is always checked; further calls share `maxFlopsTotal` (in call
 * order), so a gate called in every layer of a deep network cannot make the analysis unbounded.
 */
export function checkGates(graph: Graph, ex: Execution, seed: number, opts: GradCheckOptions, ctx: CheckContext = {}): GateChecks {
  const { memo, cancelled } = ctx;
  const results = new Map<string, SpanCheck>();
  const calls = new Map<string, { checked: number; calls: number; span: Span }>();
  let extraSpent = 0;
  for (const gc of graph.gateCalls) {
    const bw = gc.backward;
    if (!bw) continue;
    if (!ex.values[gc.outputNode] || gc.inputNodes.some((i) => !ex.values[i])) continue;
    const name = gc.gate.decl.name;
    const seen = calls.get(name) ?? { checked: 0, calls: 0, span: gc.gate.decl.nameSpan };
    calls.set(name, seen);
    seen.calls++;
    if (seen.checked > 0) {
      const cost = gateCallCost(graph, ex, gc, opts);
      if (extraSpent + cost > opts.maxFlopsTotal) continue;
      extraSpent += cost;
    }
    seen.checked++;
    const run = () => checkGateCall(graph, ex, gc, seed, opts, cancelled);
    const perInput = memo ? memo.cache.getOrCompute(gateCallKey(gc, seed, opts, memo.fingerprints), run) : run();
    for (const { input, summary } of perInput) {
      const prev = results.get(summary.target);
      // Several calls of one gate: keep the worst.
      if (!prev || summary.maxRelError > prev.maxRelError) {
        results.set(summary.target, { ...summary, span: bw.gradSpans[input] ?? gc.gate.decl.nameSpan, kind: 'gate', gateCall: gc.index });
      }
    }
  }
  const skippedCalls = [...calls].filter(([, c]) => c.checked < c.calls).map(([gate, c]) => ({ gate, ...c }));
  return { checks: [...results.values()], skippedCalls };
}

/** The forward nodes of one gate call, between its input and output markers. */
function gateRegion(graph: Graph, gc: GateCall): number[] {
  const first = graph.order.indexOf(gc.inputNodes[gc.inputNodes.length - 1]);
  const last = graph.order.indexOf(gc.outputNode);
  return graph.order.slice(first + 1, last + 1);
}

/** Estimated operations of checking one gate call (as checkGateCall will do it). */
function gateCallCost(graph: Graph, ex: Execution, gc: GateCall, opts: GradCheckOptions): number {
  const region = gateRegion(graph, gc);
  const perEntry = 2 * regionCost(graph, region);
  const each = affordable(graph, region, opts);
  return checkedInputs(gc).reduce((cost, k) => cost + entryCount((ex.values[gc.inputNodes[k]] as Tensor).size, opts, each) * perEntry, 0);
}

/** The inputs of a gate call whose hand-written gradient is checked (not int labels, not unassigned). */
function checkedInputs(gc: GateCall): number[] {
  const bw = gc.backward as GateBackward;
  return gc.inputNodes.map((_, k) => k).filter((k) => !gc.gate.decl.params[k].type.isInt && bw.grads[k] !== null);
}

/** What one call's check reads: the gate's forward and backward nodes at these inputs. */
function gateCallKey(gc: GateCall, seed: number, opts: GradCheckOptions, fp: Fingerprints): string {
  const bw = gc.backward as GateBackward;
  const params = gc.gate.decl.params.map((p) => `${p.name}:${p.type.isInt ? 'i' : 'f'}`).join(',');
  const grads = bw.grads.map((g) => (g === null ? '-' : fp.of(g))).join(',');
  return `gate|${seed}|${JSON.stringify(opts)}|${gc.gate.decl.name}#${gc.index}|${params}|${fp.of(gc.outputNode)}|${grads}`;
}

function checkGateCall(graph: Graph, ex: Execution, gc: GateCall, seed: number, opts: GradCheckOptions, cancelled?: CancelCheck): GateCallResult {
  const outVal = ex.values[gc.outputNode] as Tensor;
  const region = gateRegion(graph, gc);
  const prng = new Prng(seed, `gradcheck:dout:${gc.gate.decl.name}:${gc.index}`);
  const dout = new Tensor(outVal.shape);
  for (let i = 0; i < dout.size; i++) dout.data[i] = prng.normal();
  const analytic = ex.runBackwardBlock(gc, dout);
  const hasKinks = regionHasKinks(graph, region);
  return checkedInputs(gc).map((k) => {
    const inp = gc.inputNodes[k];
    const grad = analytic[k];
    const param = gc.gate.decl.params[k];
    const base = ex.values[inp] as Tensor;
    const runner = new RegionRunner(ex, region, () => {
      const y = ex.values[gc.outputNode] as Tensor;
      let s = 0;
      for (let i = 0; i < y.size; i++) s += y.data[i] * dout.data[i];
      return s;
    });
    const indices = entriesToCheck(base.size, opts, seed, `${gc.gate.decl.name}.${param.name}`, affordable(graph, region, opts));
    const entries = grad ? checkEntries(base, indices, grad, opts.h, (t) => (ex.values[inp] = t), runner, cancelled) : [];
    ex.values[inp] = base;
    runner.restore();
    return { input: k, summary: summarise(`${gc.gate.decl.name}.d${param.name}`, entries, opts, hasKinks) };
  });
}

/**
 * What every param/input check reads: the whole forward graph under the root, and the analytic
 * gradients, which also depend on every hand-written backward block.
 */
export function analyticKey(graph: Graph, fp: Fingerprints): string {
  if (graph.root === null) return '-';
  const blocks = graph.gateCalls.map((gc) => (gc.backward ? gc.backward.grads.map((g) => (g === null ? '-' : fp.of(g))).join(',') : '-'));
  return `${fp.of(graph.root)}|${blocks.join(';')}`;
}

/** One param/input check, planned before any runs so that they can share the budget. */
interface TensorPlan {
  name: string;
  id: number;
  region: number[];
  batched: BatchedRegion;
  useBatches: boolean;
  /** Entries wanted (all or the sample), within the per-target budget. */
  wanted: number;
  /** Operations per entry (two evaluations of the region). */
  perEntry: number;
}

/** Checks the gradient of every param and float input against the root. */
export function checkTensors(graph: Graph, ex: Execution, seed: number, opts: GradCheckOptions, spans: Map<string, Span>, ctx: CheckContext = {}): TensorChecks {
  const { memo, cancelled } = ctx;
  const root = graph.root;
  if (root === null) return { checks: [], skipped: [], minimumOps: 0 };
  // GRADLENS_GRADCHECK_UNBATCHED=1 forces one evaluation per perturbation (tests compare the two).
  const unbatched = process.env.GRADLENS_GRADCHECK_UNBATCHED === '1';
  const plans: TensorPlan[] = [];
  for (const [name, id] of graph.named) {
    const n = graph.nodes[id];
    if ((n.kind !== 'param' && n.kind !== 'input') || !n.requiresGrad) continue;
    if (!ex.grads[id]) continue; // does not affect the root (reported as unused)
    const region = downstreamOf(graph, [id]);
    const batched = new BatchedRegion(graph, ex, id, region, root);
    const useBatches = batched.applies() && batched.batchSize() >= 2 && !unbatched;
    const size = (ex.values[id] as Tensor).size;
    const wanted = entryCount(size, opts, affordable(graph, region, opts, useBatches ? id : undefined));
    plans.push({ name, id, region, batched, useBatches, wanted, perEntry: 2 * regionCost(graph, region, useBatches ? id : undefined) });
  }
  const allowed = shareBudget(plans, opts.maxFlopsTotal);
  const sharedKey = memo ? `tensor|${seed}|${JSON.stringify(opts)}|${unbatched ? 'u' : 'b'}|${analyticKey(graph, memo.fingerprints)}` : '';
  const checks: SpanCheck[] = [];
  const skipped: Skipped[] = [];
  plans.forEach((plan, k) => {
    const span = spans.get(plan.name) ?? graph.nodes[plan.id].span;
    if (allowed[k] === 0) {
      skipped.push({ name: plan.name, span, perEntry: plan.perEntry });
      return;
    }
    const run = () => checkTensor(graph, ex, seed, opts, plan, allowed[k], root, cancelled);
    const summary = memo ? memo.cache.getOrCompute(`${sharedKey}|${plan.name}`, run) : run();
    checks.push({ ...summary, span, kind: 'tensor' });
  });
  return { checks, skipped, minimumOps: plans.reduce((a, p) => a + p.perEntry, 0) };
}

/** A param/input whose check did not fit in the budget even at one entry. */
export interface Skipped {
  name: string;
  span: Span;
  perEntry: number;
}

export interface TensorChecks {
  checks: SpanCheck[];
  /** In declaration order. */
  skipped: Skipped[];
  /** Operations one entry of every check would take (what the budget must be to cover all). */
  minimumOps: number;
}

function checkTensor(graph: Graph, ex: Execution, seed: number, opts: GradCheckOptions, plan: TensorPlan, count: number, root: number, cancelled?: CancelCheck): ReturnType<typeof summarise> {
  const { id, name, region } = plan;
  const grad = ex.grads[id] as Tensor;
  const base = ex.values[id] as Tensor;
  const indices = entriesToCheck(base.size, opts, seed, name, count);
  let entries: GradCheckEntry[];
  if (plan.useBatches) entries = checkEntriesBatched(base, indices, grad, opts.h, plan.batched, cancelled);
  else {
    const runner = new RegionRunner(ex, region, () => (ex.values[root] as Tensor).item());
    entries = checkEntries(base, indices, grad, opts.h, (t) => (ex.values[id] = t), runner, cancelled);
    ex.values[id] = base;
    runner.restore();
  }
  return summarise(name, entries, opts, regionHasKinks(graph, region));
}

export const SWEEP_STEPS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];

/**
 * Relative error against the step size for one entry of a param/input (truncation error falls
 * with h, round-off grows as h shrinks): the data of the h-sweep chart.
 */
export function stepSweep(graph: Graph, ex: Execution, target: string, flatIndex: number): StepSweep | null {
  const id = graph.named.get(target);
  const root = graph.root;
  if (id === undefined || root === null) return null;
  const grad = ex.grads[id];
  const base = ex.values[id];
  if (!grad || !base || flatIndex < 0 || flatIndex >= base.size) return null;
  const region = downstreamOf(graph, [id]);
  const runner = new RegionRunner(ex, region, () => (ex.values[root] as Tensor).item());
  const points: SweepPoint[] = SWEEP_STEPS.map((h) => {
    const [e] = checkEntries(base, [flatIndex], grad, h, (t) => (ex.values[id] = t), runner);
    return { h, numeric: e.numeric, relError: e.relError };
  });
  ex.values[id] = base;
  runner.restore();
  return { target, index: unravel(flatIndex, base.shape), analytic: grad.data[flatIndex], points };
}
