// Param and input checks: every param and float input against the root, all entries or a seeded
// covering sample, sharing one budget per analysis.
import type { Graph } from '../engine/graph';
import type { Fingerprints } from '../engine/fingerprint';
import { type CancelCheck } from '../cancel';
import { BatchedRegion } from './batched';
import { checkByProjection, fastCheck, fastModeFor, projectionEvaluations } from './fastCheck';
import type { Execution } from '../engine/run';
import { Tensor } from '../tensor/tensor';
import type { GradCheckEntry } from '../model';
import type { Span } from '../text';
import { affordable, checkEvaluations, downstreamOf, entriesToCheck, entryCount, regionCost, regionHasKinks, shareBudget, summarise, type CheckContext, type GradCheckOptions, type SpanCheck } from './gradcheck';
import { batchedProbe, entriesAt, evaluatorProbe, kinkNamer, RegionRunner, type Probe } from './differences';
import { confirmEntries } from './confirm';
import { LinearReaders } from './linearReaders';

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
  /** What n entries may cost at most: their evaluations, confirmation's and a projection's (fast mode). */
  cost: (n: number) => number;
}

/** Checks the gradient of every param and float input against the root. */
export function checkTensors(graph: Graph, ex: Execution, seed: number, opts: GradCheckOptions, spans: Map<string, Span>, ctx: CheckContext = {}, budget = opts.maxFlopsTotal): TensorChecks {
  const { memo, cancelled } = ctx;
  const root = graph.root;
  if (root === null) return { checks: [], skipped: [], minimumOps: 0, plannedOps: 0 };
  // GRADLENS_GRADCHECK_UNBATCHED=1 forces one evaluation per perturbation (tests compare the two).
  const unbatched = process.env.GRADLENS_GRADCHECK_UNBATCHED === '1';
  const plans: TensorPlan[] = [];
  for (const [name, id] of graph.named) {
    const n = graph.nodes[id];
    if ((n.kind !== 'param' && n.kind !== 'input') || !n.requiresGrad) continue;
    if (!ex.grads[id]) continue; // does not affect the root (reported as unused)
    const region = downstreamOf(graph, [id]);
    const batched = new BatchedRegion(graph, ex, id, region, root, opts.batchElements);
    const useBatches = batched.applies() && batched.batchSize() >= 2 && !unbatched;
    const size = (ex.values[id] as Tensor).size;
    const wanted = entryCount(size, opts, affordable(graph, region, opts, useBatches ? id : undefined));
    const perEvaluation = regionCost(graph, region, useBatches ? id : undefined);
    // A projection (fast mode) re-runs the whole region, unbatched; on top of a sample only when
    // the sample is not cut (checkTensor).
    const fast = fastModeFor(opts, size);
    const projection = fast ? projectionEvaluations(size) * regionCost(graph, region) : 0;
    const cost = (n: number) => checkEvaluations(n) * perEvaluation + (fast === 'projection' || n >= wanted ? projection : 0);
    plans.push({ name, id, region, batched, useBatches, wanted, perEntry: 2 * perEvaluation, cost });
  }
  const allowed = shareBudget(plans, budget);
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
  return { checks, skipped, minimumOps: plans.reduce((a, p) => a + p.cost(1), 0), plannedOps: plans.reduce((a, p, k) => a + (allowed[k] ? p.cost(allowed[k]) : 0), 0) };
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
  /** Operations the checks were planned to take at most (within the budget they were given). */
  plannedOps: number;
}

function checkTensor(graph: Graph, ex: Execution, seed: number, opts: GradCheckOptions, plan: TensorPlan, count: number, root: number, cancelled?: CancelCheck): ReturnType<typeof summarise> {
  const { id, name, region } = plan;
  const grad = ex.grads[id] as Tensor;
  const base = ex.values[id] as Tensor;
  const kinkName = kinkNamer(graph, region);
  const sampled = (): GradCheckEntry[] => {
    const indices = entriesToCheck(base.size, opts, seed, name, count);
    const run = (probe: Probe) => confirmEntries(entriesAt(probe, base, indices, grad, opts.h, kinkName), indices, probe, opts.h, opts.thresholds, kinkName);
    if (plan.useBatches) return run(batchedProbe(base, plan.batched, region, cancelled));
    const runner = new RegionRunner(ex, region, () => (ex.values[root] as Tensor).item());
    try {
      return run(evaluatorProbe(base, (t) => (ex.values[id] = t), runner, cancelled));
    } finally {
      ex.values[id] = base;
      runner.restore();
    }
  };
  const hasKinks = regionHasKinks(graph, region);
  // Fast mode (fastCheck.ts): a projection on a random direction, with or instead of the sample.
  // On top of a sample the budget already cut, it is left out: the budget bounds the analysis.
  const fast = fastModeFor(opts, base.size);
  if (fast === 'projection' || (fast === 'projection+sample' && count >= plan.wanted)) {
    const projection = () => {
      const read = () => (ex.values[root] as Tensor).item();
      const runner = new RegionRunner(ex, region, read);
      // Products linear in the tensor move by a rank-one term along its direction (linearReaders.ts).
      // Both the batched and the unbatched runs take it: their checks stay bit-identical.
      const linear = LinearReaders.of(graph, ex, id, region, read);
      try {
        return checkByProjection(base, grad, opts, seed, name, (t) => (ex.values[id] = t), runner, cancelled, linear ?? undefined);
      } finally {
        linear?.restore();
        runner.restore();
      }
    };
    return fastCheck(fast, name, base.size, opts, hasKinks, projection, sampled);
  }
  return summarise(name, sampled(), opts, hasKinks);
}
