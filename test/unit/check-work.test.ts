// The gradient checks' work against their budget and their estimate (issue 15): two inputs the long
// fuzz grew towards the limits ran their checks for seconds under a budget of 0.2 s — the default
// h sweep and confirmation were outside the budget, the gate checks and the param/input checks
// each had a whole budget, and an evaluation of a small node cost ~4× what the model said. The
// work is counted here as the checks do it (every node evaluation, at the model's cost of that
// node), and the model's cost of an evaluation is timed against the CPU time it takes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze, analyzeSession, type AnalyzeOptions } from '../../src/core/analyze';
import { RegionRunner } from '../../src/core/checks/differences';
import { downstreamOf, regionCost } from '../../src/core/checks/gradcheck';
import { Execution } from '../../src/core/engine/run';
import type { Graph } from '../../src/core/engine/graph';
import { COST, forwardCost } from '../../src/core/ops/cost';
import type { Tensor } from '../../src/core/tensor/tensor';
import { GROWN_OPTIONS } from '../fuzz/harness';
import { withUnbatched } from './helpers/gradcheckAlarms';

const regression = (name: string) => readFileSync(join(__dirname, '..', 'fuzz', 'regressions', name), 'utf8');
/** Gates that each call the previous one twice, 12 levels: 24,574 three-entry nodes under `nest_in`. */
const GATES = regression('grown-hang-633cade8f2.grad');
/** Four 64-wide relu layers on a 4096-row input. */
const WIDE = regression('grown-hang-d8dde6f909.grad');

/** The model's cost of evaluating a node (as regionCost counts it). */
function nodeCost(graph: Graph, id: number): number {
  const n = graph.nodes[id];
  return n.op ? COST.node + forwardCost(n.op, n.inputs.map((i) => graph.nodes[i].sizes), n.sizes, n.attrs) : n.sizes.reduce((a, b) => a * b, 1);
}

/** The analysis, and the work of every node evaluation it did (at the model's cost of each). */
function counted(text: string, options: AnalyzeOptions): { work: number; checks: number } {
  const original = Execution.prototype.evalNode;
  let work = 0;
  Execution.prototype.evalNode = function (this: Execution, id: number, trackKinks?: boolean) {
    work += nodeCost(this.graph, id);
    return original.call(this, id, trackKinks);
  };
  // Unbatched: every evaluation of a check goes through evalNode (the batched path evaluates less).
  try {
    const a = withUnbatched(true, () => analyze(text, options));
    return { work, checks: a.gradchecks.length };
  } finally {
    Execution.prototype.evalNode = original;
  }
}

for (const [name, text] of [
  ['exponential gates', GATES],
  ['wide relu layers', WIDE],
] as const) {
  test(`issue 15, ${name}: every check of the analysis — gates, params and inputs, confirmation, projections, the h sweep — stays within the one budget`, () => {
    const budget = (GROWN_OPTIONS.gradcheck as { maxFlopsTotal: number }).maxFlopsTotal;
    const withChecks = counted(text, GROWN_OPTIONS);
    const without = counted(text, { ...GROWN_OPTIONS, gradcheck: false });
    const checkWork = withChecks.work - without.work;
    assert.ok(withChecks.checks > 0, 'something was checked');
    assert.ok(checkWork <= budget, `the checks did ${checkWork.toExponential(2)} of work, over their budget of ${budget.toExponential(2)}`);
    // And the budget is used, not left idle: at least a sixth of it (the plan reserves confirmation's
    // worst case, up to three times what a check of a handful of clean entries does).
    assert.ok(checkWork >= budget / 6, `the checks did ${checkWork.toExponential(2)} of a budget of ${budget.toExponential(2)}`);
  });
}

/** Best-of-N CPU time of one evaluation of the region under `target`, in ns, against its estimate. */
function timedEvaluation(text: string, target: string): { ns: number; estimate: number; nodes: number } {
  const s = analyzeSession(text, { ...GROWN_OPTIONS, gradcheck: false });
  const graph = s.graph as Graph;
  const ex = s.execution as Execution;
  const root = graph.root as number;
  const region = downstreamOf(graph, [graph.named.get(target) as number]);
  const runner = new RegionRunner(ex, region, () => (ex.values[root] as Tensor).item());
  let best = Infinity;
  for (let r = 0; r < 12; r++) {
    const t = process.cpuUsage();
    for (let k = 0; k < 3; k++) runner.evaluate(true);
    const c = process.cpuUsage(t);
    best = Math.min(best, ((c.user + c.system) * 1000) / 3);
  }
  runner.restore();
  return { ns: best, estimate: regionCost(graph, region), nodes: region.length };
}

test('issue 15: an evaluation of a region of many small nodes takes what the cost model says, within a factor of 2', () => {
  const t = timedEvaluation(GATES, 'nest_in');
  const ratio = t.ns / t.estimate;
  assert.ok(ratio <= 2 && ratio >= 0.5, `${t.nodes} nodes: ${(t.ns / 1e6).toFixed(1)} ms of CPU against an estimate of ${(t.estimate / 1e6).toFixed(1)} ms (×${ratio.toFixed(2)})`);
});

test('issue 15: an evaluation of a few large products takes what the cost model says, within a factor of 2', () => {
  const t = timedEvaluation(WIDE, 'X');
  const ratio = t.ns / t.estimate;
  assert.ok(ratio <= 2 && ratio >= 0.5, `${t.nodes} nodes: ${(t.ns / 1e6).toFixed(1)} ms of CPU against an estimate of ${(t.estimate / 1e6).toFixed(1)} ms (×${ratio.toFixed(2)})`);
});
