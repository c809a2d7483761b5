// Strategy for a matrix product of 2-D operands (OpDef.matrixProduct) with one changed operand:
// only the output rows (columns) whose operand row (column) changed are recomputed, every
// perturbation in one product, by the same GEMM kernel and so with the same bits.
import type { GraphNode } from '../../engine/graph';
import type { OpDef } from '../../ops/op';
import { gemm } from '../../tensor/matmul';
import type { Tensor } from '../../tensor/tensor';
import { arena } from './arena';
import type { RegionState } from './regionState';
import { same, Sparse } from './sparseDeltas';

/**
 * A 2-D product with one changed operand: a changed entry of A changes one row of A·B, one of B
 * one column. The changed rows (columns) of every perturbation go through one product.
 */
export function matrixProductEntries(state: RegionState, node: GraphNode, op: OpDef, changed: (Sparse | null)[], B: number): Sparse | null {
  if (!op.matrixProduct || node.inputs.length !== 2 || node.inputs[0] === node.inputs[1]) return null;
  const [ia, ib] = node.inputs;
  const sa = state.graph.nodes[ia].sizes;
  const sb = state.graph.nodes[ib].sizes;
  if (sa.length !== 2 || sb.length !== 2 || (changed[0] !== null) === (changed[1] !== null)) return null;
  const a = (state.ex.values[ia] as Tensor).data;
  const bm = (state.ex.values[ib] as Tensor).data;
  const baseOut = (state.ex.values[node.id] as Tensor).data;
  const [M, K] = sa;
  const N = sb[1];
  // Separate functions for rows and columns: each keeps its own stable type feedback.
  if (changed[0]) return productRows(M, N, K, changed[0], a, bm, baseOut, B);
  return productColumns(M, N, K, changed[1] as Sparse, bm, a, baseOut, B);
}

/** Changed entries of A [M, K] in `d`: the rows they touch of A·B, one product for every perturbation. */
function productRows(M: number, N: number, K: number, d: Sparse, base: Float64Array, other: Float64Array, baseOut: Float64Array, B: number): Sparse {
  // Per perturbation, each touched row once: the unperturbed row with the changed entries written in.
  const seen = arena.ints(M).fill(-1);
  const slot = arena.ints(M);
  // Each perturbation touches at most M rows, however many of their entries changed (a dense
  // change of a [16, 64] activation is 1,024 entries on 16 rows): room for d.n rows of K was
  // K times too much on a deep net (134 MB for one evaluation where the plan counted 32).
  const most = Math.min(d.n, B * M);
  const which = arena.ints(most);
  const starts = arena.ints(B + 1);
  starts[0] = 0;
  const rows = arena.floats(most * K);
  let R = 0;
  for (let b = 0; b < B; b++) {
    for (let t = d.start[b]; t < d.start[b + 1]; t++) {
      const e = d.idx[t];
      const line = Math.floor(e / K);
      if (seen[line] !== b) {
        seen[line] = b;
        slot[line] = R;
        which[R] = line;
        for (let k = 0, s = line * K, at = R * K; k < K; k++) rows[at + k] = base[s + k];
        R++;
      }
      rows[slot[line] * K + (e - line * K)] = d.val[t];
    }
    starts[b + 1] = R;
  }
  const res = arena.floats(R * N);
  gemm(R, N, K, rows, 0, K, 1, other, 0, N, 1, res, 0, false);
  const out = Sparse.make(B, R * N);
  const idx = out.idx;
  const val = out.val;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let r = starts[b]; r < starts[b + 1]; r++) {
      for (let j = 0, o = which[r] * N, q = r * N; j < N; j++, o++, q++) {
        const y = res[q];
        if (!same(y, baseOut[o])) {
          idx[n] = o;
          val[n++] = y;
        }
      }
    }
    out.start[b + 1] = n;
  }
  out.n = n;
  return out;
}

/** Changed entries of B [K, N] in `d`: the columns they touch of A·B, one product for every perturbation. */
function productColumns(M: number, N: number, K: number, d: Sparse, base: Float64Array, other: Float64Array, baseOut: Float64Array, B: number): Sparse {
  const seen = arena.ints(N).fill(-1);
  const slot = arena.ints(N);
  // At most N columns per perturbation (see productRows).
  const most = Math.min(d.n, B * N);
  const which = arena.ints(most);
  const starts = arena.ints(B + 1);
  starts[0] = 0;
  // Each column gathered as a row of K values: read back as a transposed operand.
  const cols = arena.floats(most * K);
  let R = 0;
  for (let b = 0; b < B; b++) {
    for (let t = d.start[b]; t < d.start[b + 1]; t++) {
      const e = d.idx[t];
      const line = e % N;
      if (seen[line] !== b) {
        seen[line] = b;
        slot[line] = R;
        which[R] = line;
        for (let k = 0, s = line, at = R * K; k < K; k++, s += N) cols[at + k] = base[s];
        R++;
      }
      cols[slot[line] * K + (e - line) / N] = d.val[t];
    }
    starts[b + 1] = R;
  }
  const res = arena.floats(M * R);
  gemm(M, R, K, other, 0, K, 1, cols, 0, 1, K, res, 0, false);
  const out = Sparse.make(B, R * M);
  const idx = out.idx;
  const val = out.val;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let r = starts[b]; r < starts[b + 1]; r++) {
      for (let i = 0, o = which[r], q = r; i < M; i++, o += N, q += R) {
        const y = res[q];
        if (!same(y, baseOut[o])) {
          idx[n] = o;
          val[n++] = y;
        }
      }
    }
    out.start[b + 1] = n;
  }
  out.n = n;
  return out;
}
