// The leaves a loop of runs reads on every pass (Train's steps, the benchmark's loop), copied once
// into the GEMM kernel's memory (tensor/resident.ts) so that every product that reads them — mlp2's
// X·W1 forward, dW1 = Xᵀ·dH and dX = dH·W1ᵀ backward — reads them in place instead of copying
// them in each time. The copies are installed as the leaves' values (`init`, which every forward
// pass reads) until the loop ends.
import { residentArena } from '../tensor/matmul';
import { RESIDENT_MIN, type ResultPool } from '../tensor/results';
import { Tensor } from '../tensor/tensor';
import type { Graph } from './graph';

/**
 * Installs resident copies of the leaves `ids` (by default all of residentLeafIds: a leaf only
 * JavaScript loops read, as im2col does a convolution's input, is read faster on the heap), and
 * returns the function that puts the originals back and hands the copies' memory back. Between
 * the two, writes to a leaf's value (Train's updates, a check's ±h) go to the copy; the caller
 * reads and writes `graph.nodes[id].init` as it finds it, and keeps no view of a copy after
 * restoring. Restoring twice does nothing the second time.
 */
export function installResidentLeaves(graph: Graph, ids: readonly number[] = residentLeafIds(graph)): () => void {
  const arena = residentArena();
  if (!arena) return () => undefined;
  const installed: { id: number; original: Tensor; block: Float64Array }[] = [];
  for (const id of ids) {
    const original = graph.nodes[id].init as Tensor;
    const block = arena.copyOf(original.data);
    if (!block) break;
    graph.nodes[id].init = new Tensor(original.shape, block);
    installed.push({ id, original, block });
  }
  return () => {
    for (const { id, original, block } of installed.splice(0).reverse()) {
      graph.nodes[id].init = original;
      arena.release(block);
    }
  };
}

/**
 * An analysis with a resident pool (the language server's worker): its leaves that products read
 * are made resident for the analysis, in blocks the pool holds until the next analysis adopts its
 * own (the graph is the analysis' own: nothing restores the originals).
 */
export function adoptResidentLeaves(graph: Graph, pool: ResultPool): void {
  pool.releaseAdopted();
  for (const id of residentLeafIds(graph)) {
    const original = graph.nodes[id].init as Tensor;
    const block = pool.adopt(original.size);
    if (!block) return;
    block.set(original.data);
    graph.nodes[id].init = new Tensor(original.shape, block);
  }
}

/** The graph's leaves of RESIDENT_MIN entries or more that a matrix product reads (or an op made of products). */
export function residentLeafIds(graph: Graph): number[] {
  const productOperands = new Set(graph.nodes.flatMap((n) => (n.op?.matrixProduct || n.op?.productsInside ? n.inputs : [])));
  return graph.nodes
    .filter((node) => productOperands.has(node.id) && node.kind !== 'op' && node.kind !== 'dout' && node.init !== null && node.init.size >= RESIDENT_MIN)
    .map((node) => node.id);
}
