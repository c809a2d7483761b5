// The h sweep: the relative error of one entry at every step size.
import type { StepSweep, SweepPoint } from '../model';
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { Tensor, unravel } from '../tensor/tensor';
import { downstreamOf, regionCost } from './gradcheck';
import { checkEntries, RegionRunner } from './differences';

export const SWEEP_STEPS = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10];

/** Operations of a sweep of node `id`: two evaluations of everything downstream per step. */
export function sweepCost(graph: Graph, id: number): number {
  return 2 * SWEEP_STEPS.length * regionCost(graph, downstreamOf(graph, [id]));
}

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
