// Batched re-evaluation for gradient checks: f at many perturbations of one tensor, run together.
//
// Checking a tensor entry by entry re-runs the part of the graph downstream of it twice per entry;
// for small networks the cost is per-op overhead, and most of what is recomputed does not change.
// Here each node of that region is evaluated once for a whole batch of perturbations, and its value
// under each perturbation is kept as a difference from its unperturbed value: the entries that
// differ (bit for bit) and their new values (sparseDeltas.ts). Each op recomputes only the entries
// that can differ, by a strategy its definition selects:
//   - elementwise and broadcasting ops (defineUnary / defineBinary): the entries whose operands
//     changed, every perturbation in one call of the op on those entries (elementwise.ts);
//   - a 2-D matrix product (OpDef.matrixProduct) with one changed operand: the rows (or columns)
//     of the output whose operand row (column) changed, every perturbation in one product
//     (matrixProduct.ts);
//   - a sum of per-block terms (OpDef.termSum: softmax_ce, l2): the changed blocks' terms, summed
//     again from the first changed block on (termSum.ts);
//   - ops whose output holds the input's entries in order (OpDef.sameEntries: reshape, identity):
//     the same entries;
//   - any other op: once per perturbation on the whole perturbed operands, compared with the
//     unperturbed output (wholeOp.ts).
// An entry is recomputed by the same arithmetic as an unbatched run computes it (the GEMM kernels
// sum in a fixed order whatever the tiling or the rows computed with it), and an entry whose
// operands did not change has the bits it had, so f is bit-identical to re-running the region one
// perturbation at a time; test/unit/gradcheck-batched.test.ts checks that. Kink sides are kept the
// same way: per perturbation, the positions whose side differs from the unperturbed one. Working
// memory comes from one reused arena (arena.ts); what a region keeps between its evaluations is
// in regionState.ts.
import { throwIfCancelled, type CancelCheck } from '../../cancel';
import type { Graph } from '../../engine/graph';
import type { Execution } from '../../engine/run';
import { elementwiseKernels } from '../../ops/kit';
import type { OpDef } from '../../ops/op';
import { sizeOf, type Tensor } from '../../tensor/tensor';
import { arena } from './arena';
import { binaryEntries, unaryEntries } from './elementwise';
import { matrixProductEntries } from './matrixProduct';
import { RegionState } from './regionState';
import { sideDifference, sideFromBase, Sparse, type NodeKinks } from './sparseDeltas';
import { termSumEntries } from './termSum';
import { wholeOpEntries } from './wholeOp';

/** Stacked values kept at once (floats); beyond it the perturbations are split into batches. */
const BATCH_BUDGET = 1 << 22;

export interface Perturbation {
  index: number;
  value: number;
}

export interface BatchOutcome {
  f: Float64Array;
  /** Whether perturbations p and q took different sides of some kink in the region. */
  kinksDiffer(p: number, q: number): boolean;
  /** Where they did: the node (a graph id) and the element of its output; null if nowhere. */
  kinkAt(p: number, q: number): { node: number; element: number } | null;
  /** The first place (region order) where p or q took another side than the unperturbed values (differences.ts: crossingFromBase). */
  crossingFromBase(p: number, q: number): { node: number; element: number } | null;
}

export class BatchedRegion {
  private readonly targetSize: number;
  private readonly state: RegionState;

  constructor(
    private readonly graph: Graph,
    private readonly ex: Execution,
    /** The perturbed node (a param or an input). */
    private readonly target: number,
    /** The nodes downstream of it, in evaluation order; the root is the last one read. */
    private readonly region: number[],
    private readonly root: number,
    /** Floats a batch may hold, its arena included (GradCheckOptions.batchElements). */
    private readonly budget: number = 2 * BATCH_BUDGET,
  ) {
    this.targetSize = sizeOf(graph.nodes[target].sizes);
    this.state = new RegionState(graph, ex);
  }

  /** How many perturbations fit in one batch (below 2, batching does not pay). */
  batchSize(): number {
    // The perturbed tensor is only stacked when an op other than a 2-D product reads it.
    const readers = this.region.filter((id) => this.graph.nodes[id].inputs.includes(this.target));
    const rowsOrColumns = readers.every((id) => {
      const n = this.graph.nodes[id];
      return n.op?.matrixProduct === true && n.sizes.length === 2 && n.inputs.filter((i) => i === this.target).length === 1 && n.inputs.every((i) => this.graph.nodes[i].sizes.length === 2);
    });
    let perSlice = rowsOrColumns ? 0 : this.targetSize;
    for (const id of this.region) perSlice += sizeOf(this.graph.nodes[id].sizes);
    // Half of the room for the stacked values, half for the arena they are computed in.
    return Math.floor(Math.min(BATCH_BUDGET, this.budget / 2) / Math.max(1, perSlice));
  }

  /** Whether the root is read from this region (otherwise the caller's unbatched path applies). */
  applies(): boolean {
    if (this.region.length === 0 || !this.region.includes(this.root) || sizeOf(this.graph.nodes[this.root].sizes) !== 1) return false;
    // Every difference is taken against the unperturbed values of the last forward pass.
    return this.region.every((id) => this.ex.values[id] && this.graph.nodes[id].inputs.every((i) => this.ex.values[i]));
  }

  /**
   * f at every perturbation of `base` (the target's unperturbed value, as in the execution). The
   * outcome is valid until the next evaluation of any region.
   */
  evaluate(base: Tensor, perts: Perturbation[], cancelled?: CancelCheck): BatchOutcome {
    arena.begin();
    const state = this.state;
    const B = perts.length;
    const deltas = new Map<number, Sparse>();
    const kinks = new Map<number, NodeKinks>();
    const t = Sparse.make(B, B);
    for (let b = 0; b < B; b++) {
      t.push(perts[b].index, perts[b].value);
      t.close(b);
    }
    deltas.set(this.target, t);
    if (!state.scratch.has(this.target)) state.scratch.set(this.target, base.data.slice());

    for (const id of this.region) {
      // A batch through a deep region takes hundreds of milliseconds: a newer text must not wait for it.
      throwIfCancelled(cancelled);
      const node = this.graph.nodes[id];
      const op = node.op as OpDef;
      const changed = node.inputs.map((i) => {
        const d = deltas.get(i);
        return d && d.n > 0 ? d : null;
      });
      // No operand differs under any perturbation: neither does the output.
      if (changed.every((c) => c === null)) continue;
      // Ops made by defineUnary / defineBinary are elementwise by construction.
      const kern = elementwiseKernels(op);
      let out: Sparse;
      if (op.sameEntries && changed.length === 1) out = changed[0] as Sparse;
      else if (kern?.unary && changed.length === 1) out = unaryEntries(state, node, kern.unary, changed[0] as Sparse, B, kinks);
      else if (kern?.binary && changed.length === 2) out = binaryEntries(state, node, kern.binary, changed, B, kinks);
      else out = termSumEntries(state, node, op, changed, B) ?? matrixProductEntries(state, node, op, changed, B) ?? wholeOpEntries(state, node, op, changed, B, kinks);
      deltas.set(id, out);
    }

    const f = arena.floats(B).fill((this.ex.values[this.root] as Tensor).data[0]);
    const rd = deltas.get(this.root);
    if (rd) for (let b = 0; b < B; b++) if (rd.start[b + 1] > rd.start[b]) f[b] = rd.val[rd.start[b]];
    const recs = [...kinks];
    const kinkAt = (p: number, q: number) => {
      // In region order, so the first crossing reported is the first the forward pass meets.
      for (const id of this.region) {
        const k = kinks.get(id);
        const at = k ? sideDifference(k, p, q) : -1;
        if (at >= 0) return { node: id, element: at };
      }
      return null;
    };
    const crossingFromBase = (p: number, q: number) => {
      for (const id of this.region) {
        const k = kinks.get(id);
        if (!k) continue;
        const atP = sideFromBase(k, p);
        const at = atP >= 0 ? atP : sideFromBase(k, q);
        if (at >= 0) return { node: id, element: at };
      }
      return null;
    };
    return { f, kinksDiffer: (p, q) => recs.some(([, k]) => sideDifference(k, p, q) >= 0), kinkAt, crossingFromBase };
  }
}
