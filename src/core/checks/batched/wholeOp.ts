// The strategy for any other op: its forward once per perturbation on the whole perturbed
// operands, compared entry by entry with the unperturbed output.
import type { GraphNode } from '../../engine/graph';
import type { OpDef } from '../../ops/op';
import { Tensor } from '../../tensor/tensor';
import type { RegionState } from './regionState';
import { apply, restore, same, Sparse, type NodeKinks } from './sparseDeltas';

/** Any other op: once per perturbation on its whole perturbed operands. */
export function wholeOpEntries(state: RegionState, node: GraphNode, op: OpDef, changed: (Sparse | null)[], B: number, kinks: Map<number, NodeKinks>): Sparse {
  const inputs = node.inputs.map((i, k) => {
    const v = state.ex.values[i] as Tensor;
    return changed[k] ? new Tensor(v.shape, state.scratchOf(i)) : v;
  });
  const baseOut = (state.ex.values[node.id] as Tensor).data;
  const ctx = state.context(node.id);
  const out = Sparse.make(B, 16);
  let rec: NodeKinks | null = null;
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < inputs.length; k++) if (changed[k]) apply(inputs[k].data, changed[k] as Sparse, b);
    const r = op.forward(inputs, node.attrs, ctx);
    // Compare before restoring the operands: the value may be one of them (identity-like ops).
    const y = r.value.data;
    for (let o = 0; o < baseOut.length; o++) if (!same(y[o], baseOut[o])) out.push(o, y[o]);
    out.close(b);
    if (r.kinks) {
      const bk = state.baseKinks(node);
      if (bk) {
        if (!rec) {
          // Started late: no entries for the perturbations before.
          rec = { base: bk, d: Sparse.make(B, 16), odd: null };
          rec.d.start.fill(0, 0, b + 1);
        }
        if (r.kinks.length !== bk.length) (rec.odd ??= new Set()).add(b);
        else for (let i = 0; i < bk.length; i++) if (r.kinks[i] !== bk[i]) rec.d.push(i, r.kinks[i]);
      }
    }
    rec?.d.close(b);
    for (let k = 0; k < inputs.length; k++) if (changed[k]) restore(inputs[k].data, (state.ex.values[node.inputs[k]] as Tensor).data, changed[k] as Sparse, b);
  }
  if (rec) kinks.set(node.id, rec);
  return out;
}

