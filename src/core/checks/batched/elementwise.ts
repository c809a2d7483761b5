// Strategy for elementwise and broadcasting ops (made by defineUnary / defineBinary, whose buffer
// kernels the gradient checks may run on any entries): only the entries whose operands changed
// are recomputed, every perturbation in one call of the kernel.
import type { GraphNode } from '../../engine/graph';
import type { ElementwiseKernels } from '../../ops/kit';
import type { OpDef } from '../../ops/op';
import { sizeOf, Tensor } from '../../tensor/tensor';
import { arena } from './arena';
import type { RegionState } from './regionState';
import { apply, restore, same, Sparse, type NodeKinks } from './sparseDeltas';

type Unary = NonNullable<ElementwiseKernels['unary']>;
type Binary = NonNullable<ElementwiseKernels['binary']>;

/** Elementwise op of one changed operand: the changed entries of every perturbation in one call. */
export function unaryEntries(state: RegionState, node: GraphNode, kern: Unary, d: Sparse, B: number, kinks: Map<number, NodeKinks>): Sparse {
  const xs = d.val.subarray(0, d.n);
  const ys = arena.floats(d.n);
  kern.forward(xs, ys, node.attrs);
  let k: Int32Array | undefined;
  if (kern.kinkSide) {
    k = arena.ints(d.n);
    kern.kinkSide(xs, k, node.attrs);
  }
  return collect(state, node, B, d.start, d.idx, ys, k, kinks);
}

/**
 * Keeps the recomputed entries `ys` (output positions `pos`, perturbation b's at
 * [starts[b], starts[b+1])) that differ from the unperturbed output, and the kink sides that do.
 */
function collect(state: RegionState, node: GraphNode, B: number, starts: Int32Array, pos: Int32Array, ys: Float64Array, k: Int32Array | undefined, kinks: Map<number, NodeKinks>): Sparse {
  const bk = k ? state.baseKinks(node) : null;
  if (k && bk) {
    const kd = Sparse.make(B, 16);
    for (let b = 0; b < B; b++) {
      for (let t = starts[b]; t < starts[b + 1]; t++) {
        const o = pos[t];
        if (k[t] !== bk[o]) kd.push(o, k[t]);
      }
      kd.close(b);
    }
    kinks.set(node.id, { base: bk, d: kd, odd: null });
  }
  // Smooth ops change every entry whose operands changed (but for rare round-off): keeping the
  // candidates as they are is cheaper than comparing. Kinked ones (relu) and piecewise constant
  // ones (comparisons) often leave an entry unchanged, and dropping it spares everything downstream.
  const op = node.op as OpDef;
  if (op.kinks === undefined && !op.noGrad) return new Sparse(starts, pos, ys, starts[B]);
  const baseOut = (state.ex.values[node.id] as Tensor).data;
  const out = Sparse.make(B, starts[B]);
  // Capacity is the number of candidates: no growth check needed.
  const idx = out.idx;
  const val = out.val;
  let n = 0;
  for (let b = 0; b < B; b++) {
    for (let t = starts[b]; t < starts[b + 1]; t++) {
      const o = pos[t];
      const y = ys[t];
      if (!same(y, baseOut[o])) {
        idx[n] = o;
        val[n++] = y;
      }
    }
    out.start[b + 1] = n;
  }
  out.n = n;
  return out;
}

/** Broadcasting op with both operands changed: each output entry either one feeds, per perturbation. */
export function binaryEntries(state: RegionState, node: GraphNode, kern: Binary, changed: (Sparse | null)[], B: number, kinks: Map<number, NodeKinks>): Sparse {
  if (changed[0] === null || changed[1] === null) return binaryOneSide(state, node, kern, changed[0] ? 0 : 1, changed[0] ?? (changed[1] as Sparse), B, kinks);
  const outSize = sizeOf(node.sizes);
  const [ia, ib] = node.inputs;
  const ma = state.indexMap(node, 0);
  const mb = state.indexMap(node, 1);
  const baseA = (state.ex.values[ia] as Tensor).data;
  const baseB = (state.ex.values[ib] as Tensor).data;
  const da = changed[0];
  const db = changed[1];
  // The same node on both sides (x * x) shares one scratch copy.
  const curA = state.scratchOf(ia);
  const curB = state.scratchOf(ib);
  // Each changed operand entry feeds outSize / size output entries.
  const cap = da.n * (outSize / baseA.length) + db.n * (outSize / baseB.length);
  const pos = arena.ints(cap);
  const av = arena.floats(cap);
  const bv = arena.floats(cap);
  const starts = arena.ints(B + 1);
  starts[0] = 0;
  // An output entry may be reached from either operand: keep it once.
  const seen = arena.ints(outSize).fill(-1);
  let n = 0;
  for (let b = 0; b < B; b++) {
    const first = n;
    apply(curA, da, b);
    apply(curB, db, b);
    for (let k = 0; k < 2; k++) {
      const d = k === 0 ? da : db;
      const m = k === 0 ? ma : mb;
      for (let t = d.start[b]; t < d.start[b + 1]; t++) {
        const i = d.idx[t];
        const u0 = m ? m.invStart[i] : 0;
        const u1 = m ? m.invStart[i + 1] : 1;
        for (let u = u0; u < u1; u++) {
          const o = m ? m.inv[u] : i;
          if (seen[o] === b) continue;
          seen[o] = b;
          pos[n++] = o;
        }
      }
    }
    const fa = ma ? ma.fwd : null;
    const fb = mb ? mb.fwd : null;
    for (let j = first; j < n; j++) {
      const o = pos[j];
      av[j] = curA[fa ? fa[o] : o];
      bv[j] = curB[fb ? fb[o] : o];
    }
    restore(curA, baseA, da, b);
    restore(curB, baseB, db, b);
    starts[b + 1] = n;
  }
  return runBinary(state, node, kern, av.subarray(0, n), 1, bv.subarray(0, n), 1, B, starts, pos, kinks);
}

/**
 * Broadcasting op with one changed operand (side k): its changed entries are the new operand
 * values as they are; the other operand is read where they land.
 */
function binaryOneSide(state: RegionState, node: GraphNode, kern: Binary, k: number, d: Sparse, B: number, kinks: Map<number, NodeKinks>): Sparse {
  const mine = state.indexMap(node, k);
  const theirs = state.indexMap(node, 1 - k);
  const fixed = (state.ex.values[node.inputs[1 - k]] as Tensor).data;
  let pos: Int32Array;
  let starts: Int32Array;
  let xs: Float64Array;
  if (!mine) {
    // Output entry = operand entry: the positions are the delta's own.
    pos = d.idx;
    starts = d.start;
    xs = d.val.subarray(0, d.n);
  } else {
    const fan = sizeOf(node.sizes) / sizeOf(state.graph.nodes[node.inputs[k]].sizes);
    pos = arena.ints(d.n * fan);
    xs = arena.floats(d.n * fan);
    starts = arena.ints(B + 1);
    starts[0] = 0;
    let n = 0;
    for (let b = 0; b < B; b++) {
      for (let t = d.start[b]; t < d.start[b + 1]; t++) {
        const i = d.idx[t];
        const v = d.val[t];
        for (let u = mine.invStart[i]; u < mine.invStart[i + 1]; u++) {
          pos[n] = mine.inv[u];
          xs[n++] = v;
        }
      }
      starts[b + 1] = n;
    }
  }
  const n = starts[B];
  const x = xs.subarray(0, n);
  // A scalar operand is read in place (stride 0); any other is gathered where the entries land.
  if (fixed.length === 1) return k === 0 ? runBinary(state, node, kern, x, 1, fixed, 0, B, starts, pos, kinks) : runBinary(state, node, kern, fixed, 0, x, 1, B, starts, pos, kinks);
  const ys = arena.floats(n);
  if (theirs) {
    const fwd = theirs.fwd;
    for (let j = 0; j < n; j++) ys[j] = fixed[fwd[pos[j]]];
  } else for (let j = 0; j < n; j++) ys[j] = fixed[pos[j]];
  return k === 0 ? runBinary(state, node, kern, x, 1, ys, 1, B, starts, pos, kinks) : runBinary(state, node, kern, ys, 1, x, 1, B, starts, pos, kinks);
}

/** The op's kernel on gathered operands (stride 0: one value for all), then collect. */
function runBinary(state: RegionState, node: GraphNode, kern: Binary, a: Float64Array, as: number, b: Float64Array, bs: number, B: number, starts: Int32Array, pos: Int32Array, kinks: Map<number, NodeKinks>): Sparse {
  const n = starts[B];
  const out = arena.floats(n);
  kern.run(a, 0, as, b, 0, bs, out, 0, n);
  let k: Int32Array | undefined;
  if (kern.kinkSide) {
    // kinkSide reads whole tensors: a value read in place is spread out first.
    const full = (v: Float64Array, s: number) => new Tensor([n], s === 1 ? v : new Float64Array(n).fill(v[0]));
    k = kern.kinkSide(full(a, as), full(b, bs), new Tensor([n], out));
  }
  return collect(state, node, B, starts, pos, out, k, kinks);
}

