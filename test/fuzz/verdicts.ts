// The verdict property (issue 18): on a random well-typed program, GradLens' analytic gradients
// are cross-checked here, independently of the checker, with central and one-sided differences
// at several steps; when they agree, the analysis must report no `gradcheck-failed` and no
// `gradcheck-warning` (a false alarm). Shared by test/unit/gradcheck-verdicts.test.ts and the
// long fuzz (scripts/fuzz.ts).
import { analyzeSession, type AnalyzeOptions } from '../../src/core/analyze';
import { Execution } from '../../src/core/engine/run';
import type { Graph } from '../../src/core/engine/graph';
import { Tensor } from '../../src/core/tensor/tensor';

/** The checker's settings in the property: the defaults but small samples, so a run stays quick. */
export const VERDICT_OPTIONS: AnalyzeOptions = { maxElements: 200_000, maxFlops: 2e8, gradcheck: { fullLimit: 64, samples: 16 } };

/**
 * Steps of the cross-check: large ones see through round-off, small ones through truncation; and
 * steps relative to the entry (a function of s = 1e-9 varies on the scale of 1e-9).
 */
const STEPS = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7];
const RELATIVE_STEPS = [1e-2, 1e-3, 1e-4, 1e-5];
/** Relative agreement asked of the best difference (10× stricter than the checker's `warn`). */
const TOLERANCE = 1e-5;
/** Entries cross-checked per tensor (all of a smaller one). */
const ENTRIES = 48;

export type VerdictOutcome =
  /** Did not run to the checks, or its values are not finite: nothing to judge. */
  | { kind: 'skipped' }
  /** The gradients agree; `alarms` are the checker's failed/warning diagnostics (false alarms). */
  | { kind: 'agree'; alarms: string[] }
  /** Some entry's analytic gradient disagrees with every difference tried (a wrong gradient, or a limit of the cross-check). */
  | { kind: 'disagree'; alarms: string[]; entry: string };

export function verdictOutcome(text: string, options: AnalyzeOptions = VERDICT_OPTIONS): VerdictOutcome {
  const s = analyzeSession(text, options);
  const a = s.analysis;
  const graph = s.graph;
  const ex = s.execution;
  if (!graph || !ex || graph.root === null || a.cancelled) return { kind: 'skipped' };
  // Run-time problems (non-finite values, bad labels, limits) leave nothing to cross-check.
  if (a.diagnostics.some((d) => (d.severity === 'error' && !d.code.startsWith('gradcheck')) || d.code === 'non-finite')) return { kind: 'skipped' };
  if (!a.gradchecks.length) return { kind: 'skipped' };
  const alarms = a.diagnostics.filter((d) => d.code === 'gradcheck-failed' || d.code === 'gradcheck-warning').map((d) => `${d.code}: ${d.message}`);
  const root = graph.root;
  const rootValue = ex.values[root];
  if (!rootValue || !Number.isFinite(rootValue.item())) return { kind: 'skipped' };
  for (const [name, id] of graph.named) {
    const n = graph.nodes[id];
    if ((n.kind !== 'param' && n.kind !== 'input') || !n.requiresGrad) continue;
    const g = ex.grads[id];
    if (!g) continue;
    if (!g.data.every(Number.isFinite)) return { kind: 'skipped' };
    const off = crossCheck(graph, s.analysis.seed, id, root, g);
    if (off) return { kind: 'disagree', alarms, entry: `${name}${off}` };
  }
  return { kind: 'agree', alarms };
}

/** The first entry whose analytic gradient agrees with no difference tried, or null. */
function crossCheck(graph: Graph, seed: number, id: number, root: number, grad: Tensor): string | null {
  // A fresh execution of its own: nothing the checker did can leak into the cross-check.
  const ex = new Execution(graph, seed);
  ex.forward();
  const base = ex.values[id] as Tensor;
  const work = base.clone();
  ex.values[id] = work;
  const reachable = new Set([id]);
  const downstream = graph.order.filter((k) => {
    const node = graph.nodes[k];
    if (node.kind !== 'op' || !node.inputs.some((i) => reachable.has(i))) return false;
    reachable.add(k);
    return true;
  });
  // What round-off can reach: ε times the largest magnitude the downstream computation holds
  // (a loss of 1e-12 computed as 1 + 1e-12 − 1 carries the round-off of 1).
  let scale = 0;
  for (const k of [id, ...downstream]) for (const v of (ex.values[k] as Tensor).data) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const f = (i: number, x: number): number => {
    work.data[i] = x;
    for (const k of downstream) ex.evalNode(k);
    return (ex.values[root] as Tensor).item();
  };
  const stride = Math.max(1, Math.floor(base.size / ENTRIES));
  for (let i = 0; i < base.size; i += stride) {
    const x0 = base.data[i];
    const f0 = f(i, x0);
    const a = grad.data[i];
    let agrees = false;
    const steps = x0 === 0 ? STEPS : [...STEPS, ...RELATIVE_STEPS.map((r) => r * Math.abs(x0)).filter((h) => h < STEPS[STEPS.length - 1])];
    for (const h of steps) {
      const fp = f(i, x0 + h);
      const fm = f(i, x0 - h);
      // Round-off of the differences: a generous 100·ε per evaluation, of the largest magnitude.
      const noise = (100 * Number.EPSILON * 3 * Math.max(scale, Math.abs(fp), Math.abs(fm))) / h;
      const near = (d: number) => Math.abs(a - d) <= TOLERANCE * (Math.abs(a) + Math.abs(d)) + noise;
      // Central, forward and backward: one of them is right beside a kink or a step.
      if (near((fp - fm) / (2 * h)) || near((fp - f0) / h) || near((f0 - fm) / h)) {
        agrees = true;
        break;
      }
    }
    work.data[i] = x0;
    if (!agrees) return `[${i}] analytic ${a}`;
  }
  return null;
}
