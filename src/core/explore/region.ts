// Re-running the part of a graph that depends on the parameters, with their values overridden.
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { downstreamOf } from '../checks/gradcheck';
import type { Tensor } from '../tensor/tensor';

export interface ParamSlot {
  name: string;
  id: number;
  base: Tensor;
}

/** The params that reach the root (they have a gradient), in declaration order. */
export function trainableParams(graph: Graph, ex: Execution): ParamSlot[] {
  const out: ParamSlot[] = [];
  for (const [name, id] of graph.named) {
    const n = graph.nodes[id];
    if (n.kind !== 'param' || !ex.grads[id] || !ex.values[id]) continue;
    out.push({ name, id, base: ex.values[id] as Tensor });
  }
  return out;
}

/** Evaluates the root with each param set to `values[k]` (re-running only what depends on them). */
export function rootWith(graph: Graph, ex: Execution, params: ParamSlot[], values: Tensor[], region: number[]): number {
  params.forEach((p, k) => (ex.values[p.id] = values[k]));
  for (const id of region) ex.evalNode(id);
  const r = ex.values[graph.root as number];
  return r ? r.data[0] : NaN;
}

export function paramRegion(graph: Graph, params: ParamSlot[]): number[] {
  return downstreamOf(
    graph,
    params.map((p) => p.id),
  );
}

/** Lets the event loop run other callbacks during a long computation (a caller on the same thread may cancel from one). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
