// Gate checks: every gate with a hand-written backward block, in isolation, at the inputs each
// call really received, against a random upstream gradient; the first call always, further calls
// within the budget.
import type { GateBackward, GateCall, Graph } from '../engine/graph';
import type { Fingerprints } from '../engine/fingerprint';
import { type CancelCheck } from '../cancel';
import { Prng } from '../engine/prng';
import { checkByProjection, fastCheck, fastModeFor, projectionEvaluations } from './fastCheck';
import { LinearReaders } from './linearReaders';
import type { Execution } from '../engine/run';
import { Tensor } from '../tensor/tensor';
import type { Span } from '../text';
import { affordable, checkEvaluations, entriesToCheck, entryCount, regionCost, regionHasKinks, summarise, type CheckContext, type GradCheckOptions, type SpanCheck } from './gradcheck';
import { entriesAt, evaluatorProbe, kinkNamer, RegionRunner } from './differences';
import { confirmEntries } from './confirm';

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

/** A gate call a check may run on, with what it may cost at most; the first call of each gate first. */
export interface PlannedCall {
  gc: GateCall;
  cost: number;
  first: boolean;
}

/** Every gate call with a hand-written backward whose inputs were computed: the first call of each gate (in call order), then the others. */
export function planGateCalls(graph: Graph, ex: Execution, opts: GradCheckOptions): PlannedCall[] {
  const ready = graph.gateCalls.filter((gc) => gc.backward && ex.values[gc.outputNode] && gc.inputNodes.every((i) => ex.values[i]));
  const seen = new Set<string>();
  const firsts: GateCall[] = [];
  const rest: GateCall[] = [];
  for (const gc of ready) {
    if (seen.has(gc.gate.decl.name)) rest.push(gc);
    else {
      seen.add(gc.gate.decl.name);
      firsts.push(gc);
    }
  }
  return [...firsts.map((gc) => ({ gc, first: true })), ...rest.map((gc) => ({ gc, first: false }))].map((c) => ({ ...c, cost: gateCallCost(graph, ex, c.gc, opts) }));
}

/** Adds to `into` the calls of `planned` (the first calls, or the others) that fit in `budget`, in order; returns the operations they may take. */
export function selectGateCalls(planned: readonly PlannedCall[], first: boolean, budget: number, into: Set<GateCall>): number {
  let spent = 0;
  for (const c of planned) {
    if (c.first !== first || spent + c.cost > budget) continue;
    spent += c.cost;
    into.add(c.gc);
  }
  return spent;
}

/**
 * Checks every hand-written backward block in isolation, at the inputs each call received: the
 * calls in `selected`, by default the first call of every gate first (in call order), then further
 * calls, within `maxFlopsTotal`, so neither many gates nor a gate called in every layer of a deep
 * network can make the analysis unbounded. A call that does not fit is left out and counted.
 */
export function checkGates(graph: Graph, ex: Execution, seed: number, opts: GradCheckOptions, ctx: CheckContext = {}, selected?: ReadonlySet<GateCall>): GateChecks {
  const { memo, cancelled } = ctx;
  const planned = planGateCalls(graph, ex, opts);
  let chosen = selected;
  if (!chosen) {
    const into = new Set<GateCall>();
    const spent = selectGateCalls(planned, true, opts.maxFlopsTotal, into);
    selectGateCalls(planned, false, opts.maxFlopsTotal - spent, into);
    chosen = into;
  }
  const results = new Map<string, SpanCheck>();
  const calls = new Map<string, { checked: number; calls: number; span: Span }>();
  for (const { gc } of planned) {
    const name = gc.gate.decl.name;
    const seen = calls.get(name) ?? { checked: 0, calls: 0, span: gc.gate.decl.nameSpan };
    seen.calls++;
    calls.set(name, seen);
  }
  for (const { gc } of planned) {
    if (!chosen.has(gc)) continue;
    const bw = gc.backward as GateBackward;
    const seen = calls.get(gc.gate.decl.name) as { checked: number };
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

/** Each node's position in the forward order, computed once per graph (gate regions are slices of it). */
const positions = new WeakMap<Graph, Map<number, number>>();

/** The forward nodes of one gate call, between its input and output markers. */
function gateRegion(graph: Graph, gc: GateCall): number[] {
  let at = positions.get(graph);
  if (!at) {
    at = new Map(graph.order.map((id, k) => [id, k]));
    positions.set(graph, at);
  }
  const first = at.get(gc.inputNodes[gc.inputNodes.length - 1]) ?? -1;
  const last = at.get(gc.outputNode) ?? -1;
  return graph.order.slice(first + 1, last + 1);
}

/**
 * What checking one gate call may cost at most (as checkGateCall will do it): per checked input,
 * its entries with confirmation's evaluations and, in fast mode, a projection; and the backward
 * block run once with the random upstream gradient.
 */
function gateCallCost(graph: Graph, ex: Execution, gc: GateCall, opts: GradCheckOptions): number {
  const region = gateRegion(graph, gc);
  const perEvaluation = regionCost(graph, region);
  const each = affordable(graph, region, opts);
  const block = regionCost(graph, (gc.backward as GateBackward).nodes);
  return checkedInputs(gc).reduce((cost, k) => {
    const size = (ex.values[gc.inputNodes[k]] as Tensor).size;
    const projection = fastModeFor(opts, size) ? projectionEvaluations(size) : 0;
    return cost + (checkEvaluations(entryCount(size, opts, each)) + projection) * perEvaluation;
  }, block);
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
  prng.fillNormal(dout.data, 1);
  // The block's values with the real upstream gradient stay the run's (the graph view shows them):
  // the check's own are kept only as the tensors it reads (the engine never writes into them).
  const bw = gc.backward as GateBackward;
  const kept = [bw.doutNode, ...bw.nodes].map((id) => [id, ex.values[id]] as const);
  const analytic = ex.runBackwardBlock(gc, dout);
  for (const [id, v] of kept) ex.values[id] = v;
  const hasKinks = regionHasKinks(graph, region);
  return checkedInputs(gc).map((k) => {
    const inp = gc.inputNodes[k];
    const grad = analytic[k];
    const param = gc.gate.decl.params[k];
    const base = ex.values[inp] as Tensor;
    const read = () => {
      const y = ex.values[gc.outputNode] as Tensor;
      let s = 0;
      for (let i = 0; i < y.size; i++) s += y.data[i] * dout.data[i];
      return s;
    };
    const runner = new RegionRunner(ex, region, read);
    const name = kinkNamer(graph, region);
    const sampled = () => {
      const indices = entriesToCheck(base.size, opts, seed, `${gc.gate.decl.name}.${param.name}`, affordable(graph, region, opts));
      const probe = evaluatorProbe(base, (t) => (ex.values[inp] = t), runner, cancelled);
      // Restored also when cancelled or past the memory budget mid-way: the analysis then
      // publishes the execution's values, which must be the unperturbed ones.
      try {
        return grad ? confirmEntries(entriesAt(probe, base, indices, grad, opts.h, name), indices, probe, opts.h, opts.thresholds, name) : [];
      } finally {
        ex.values[inp] = base;
        runner.restore();
      }
    };
    const target = `${gc.gate.decl.name}.d${param.name}`;
    // Fast mode (fastCheck.ts): a projection vᵀJu (v = dout), with or instead of the sample.
    const fast = grad ? fastModeFor(opts, base.size) : null;
    if (fast && grad) {
      const projection = () => {
        // Products linear in the input move by a rank-one term along its direction (linearReaders.ts);
        // the gate's region holds nodes that do not depend on it too: the shortcut passes over products with those.
        const linear = LinearReaders.of(graph, ex, inp, region, read);
        try {
          return checkByProjection(base, grad, opts, seed, `${gc.gate.decl.name}.${param.name}`, (t) => (ex.values[inp] = t), runner, cancelled, linear ?? undefined);
        } finally {
          linear?.restore();
          ex.values[inp] = base;
          runner.restore();
        }
      };
      return { input: k, summary: fastCheck(fast, target, base.size, opts, hasKinks, projection, sampled) };
    }
    return { input: k, summary: summarise(target, sampled(), opts, hasKinks) };
  });
}

/** The nodes a gate call's check re-evaluates (where a kink it reports sits). */
export function gateCallRegion(graph: Graph, gc: GateCall): number[] {
  return gateRegion(graph, gc);
}
