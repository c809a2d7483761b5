// Batched re-evaluation for gradient checks: f at many perturbations of one tensor, run together.
//
// Checking a tensor entry by entry re-runs the part of the graph downstream of it twice per entry;
// for small networks the cost is per-op overhead, and most of what is recomputed does not change.
// Here each node of that region is evaluated once for a whole batch of perturbations, and its value
// under each perturbation is kept as a difference from its unperturbed value: the entries that
// differ (bit for bit) and their new values. Each op recomputes only the entries that can differ:
//   - elementwise and broadcasting ops: the entries whose operands changed, every perturbation in
//     one call of the op on those entries;
//   - a 2-D matrix product with one changed operand: the rows (or columns) of the output whose
//     operand row (column) changed, every perturbation in one product;
//   - a sum of per-block terms (OpDef.termSum: softmax_ce, l2): the changed blocks' terms, summed
//     again from the first changed block on;
//   - reshape and identity: the same entries;
//   - any other op: once per perturbation on the whole perturbed operands, compared with the
//     unperturbed output.
// An entry is recomputed by the same arithmetic as an unbatched run computes it (the GEMM kernels
// sum in a fixed order whatever the tiling or the rows computed with it), and an entry whose
// operands did not change has the bits it had, so f is bit-identical to re-running the region one
// perturbation at a time; test/unit/gradcheck-batched.test.ts checks that. Kink sides are kept the
// same way: per perturbation, the positions whose side differs from the unperturbed one.
import type { Graph, GraphNode } from '../engine/graph';
import type { Execution } from '../engine/run';
import { elementwiseKernels, type ElementwiseKernels } from '../ops/kit';
import type { ForwardContext, OpDef } from '../ops/op';
import { gemm } from '../tensor/matmul';
import { broadcastStrides, sizeOf, Tensor } from '../tensor/tensor';

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
}

/**
 * Working memory of one evaluation, handed out as views of a few large buffers: a fresh typed
 * array costs an allocation outside the heap (about 0.75 µs even for a small one) and zeroing, on
 * every call. Views are not zeroed; every user writes before it reads. Valid until the next
 * evaluation.
 */
class Arena {
  private f = new Float64Array(1 << 15);
  private i = new Int32Array(1 << 15);
  private fTop = 0;
  private iTop = 0;

  reset(): void {
    this.fTop = 0;
    this.iTop = 0;
  }

  // Views are made with the constructor: subarray() goes through the species protocol and costs
  // twice as much, and a fresh small array (off the heap) fifty times as much.
  floats(n: number): Float64Array {
    if (this.fTop + n > this.f.length) {
      // Earlier views keep the old buffer alive; later ones come from a larger one.
      this.f = new Float64Array(Math.max(2 * this.f.length, 2 * n));
      this.fTop = 0;
    }
    const v = new Float64Array(this.f.buffer, this.fTop * 8, n);
    this.fTop += n;
    return v;
  }

  ints(n: number): Int32Array {
    if (this.iTop + n > this.i.length) {
      this.i = new Int32Array(Math.max(2 * this.i.length, 2 * n));
      this.iTop = 0;
    }
    const v = new Int32Array(this.i.buffer, this.iTop * 4, n);
    this.iTop += n;
    return v;
  }

  /** Floats held (for dropping a buffer grown by an unusually large check). */
  size(): number {
    return this.f.length + this.i.length;
  }
}

/** Above this many elements (8–16 MB) the arena is not kept for the next check. */
const ARENA_KEEP = 1 << 21;
let arena = new Arena();

/**
 * Per perturbation b, the entries idx[start[b] … start[b+1]) with values val[…]: for a node's
 * value, the entries that differ from the unperturbed value; for kinks, the positions whose side
 * differs from the unperturbed side. Filled perturbation by perturbation.
 */
class Sparse {
  constructor(
    readonly start: Int32Array,
    public idx: Int32Array,
    public val: Float64Array,
    public n: number,
  ) {}

  /** Empty, with room for `capacity` entries (more grow it). */
  static make(B: number, capacity: number): Sparse {
    const start = arena.ints(B + 1);
    start[0] = 0;
    return new Sparse(start, arena.ints(Math.max(16, capacity)), arena.floats(Math.max(16, capacity)), 0);
  }

  push(i: number, v: number): void {
    if (this.n === this.idx.length) this.grow();
    this.idx[this.n] = i;
    this.val[this.n++] = v;
  }

  private grow(): void {
    const idx = arena.ints(2 * this.n);
    idx.set(this.idx);
    this.idx = idx;
    const val = arena.floats(2 * this.n);
    val.set(this.val);
    this.val = val;
  }

  /** Ends perturbation b's entries. */
  close(b: number): void {
    this.start[b + 1] = this.n;
  }
}

/** Bitwise equality of two float64 values (0 and −0 differ; NaN counts as changed). */
function same(a: number, b: number): boolean {
  return a === b && (a !== 0 || 1 / a === 1 / b);
}

type Unary = NonNullable<ElementwiseKernels['unary']>;
type Binary = NonNullable<ElementwiseKernels['binary']>;

/** Kinks of one node: the unperturbed sides and, per perturbation, the sides that differ. */
interface NodeKinks {
  base: Int32Array;
  d: Sparse;
  /** A perturbation whose kink array had another length than the unperturbed one. */
  odd: Set<number> | null;
}

interface IndexMap {
  /** Output entry → operand entry. */
  fwd: Int32Array;
  /** Operand entry i → output entries inv[invStart[i] … invStart[i+1]). */
  invStart: Int32Array;
  inv: Int32Array;
}

export class BatchedRegion {
  private readonly targetSize: number;
  /** Copies of unperturbed values, perturbed in place and restored after each use. */
  private readonly scratch = new Map<number, Float64Array>();
  private readonly baseKinkCache = new Map<number, Int32Array | null>();
  private readonly termCache = new Map<number, { terms: Float64Array; before: Float64Array }>();
  private readonly maps = new Map<string, IndexMap | null>();

  constructor(
    private readonly graph: Graph,
    private readonly ex: Execution,
    /** The perturbed node (a param or an input). */
    private readonly target: number,
    /** The nodes downstream of it, in evaluation order; the root is the last one read. */
    private readonly region: number[],
    private readonly root: number,
  ) {
    this.targetSize = sizeOf(graph.nodes[target].sizes);
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
    return Math.floor(BATCH_BUDGET / Math.max(1, perSlice));
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
  evaluate(base: Tensor, perts: Perturbation[]): BatchOutcome {
    if (arena.size() > ARENA_KEEP) arena = new Arena();
    arena.reset();
    const B = perts.length;
    const deltas = new Map<number, Sparse>();
    const kinks = new Map<number, NodeKinks>();
    const t = Sparse.make(B, B);
    for (let b = 0; b < B; b++) {
      t.push(perts[b].index, perts[b].value);
      t.close(b);
    }
    deltas.set(this.target, t);
    if (!this.scratch.has(this.target)) this.scratch.set(this.target, base.data.slice());

    for (const id of this.region) {
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
      else if (kern?.unary && changed.length === 1) out = this.unary(node, kern.unary, changed[0] as Sparse, B, kinks);
      else if (kern?.binary && changed.length === 2) out = this.binary(node, kern.binary, changed, B, kinks);
      else out = this.terms(node, op, changed, B) ?? this.product(node, op, changed, B) ?? this.whole(node, op, changed, B, kinks);
      deltas.set(id, out);
    }

    const f = arena.floats(B).fill((this.ex.values[this.root] as Tensor).data[0]);
    const rd = deltas.get(this.root);
    if (rd) for (let b = 0; b < B; b++) if (rd.start[b + 1] > rd.start[b]) f[b] = rd.val[rd.start[b]];
    const recs = [...kinks.values()];
    return { f, kinksDiffer: (p, q) => recs.some((k) => sidesDiffer(k, p, q)) };
  }

  /** Elementwise op of one changed operand: the changed entries of every perturbation in one call. */
  private unary(node: GraphNode, kern: Unary, d: Sparse, B: number, kinks: Map<number, NodeKinks>): Sparse {
    const xs = d.val.subarray(0, d.n);
    const ys = arena.floats(d.n);
    kern.forward(xs, ys, node.attrs);
    let k: Int32Array | undefined;
    if (kern.kinkSide) {
      k = arena.ints(d.n);
      kern.kinkSide(xs, k, node.attrs);
    }
    return this.collect(node, B, d.start, d.idx, ys, k, kinks);
  }

  /**
   * Keeps the recomputed entries `ys` (output positions `pos`, perturbation b's at
   * [starts[b], starts[b+1])) that differ from the unperturbed output, and the kink sides that do.
   */
  private collect(node: GraphNode, B: number, starts: Int32Array, pos: Int32Array, ys: Float64Array, k: Int32Array | undefined, kinks: Map<number, NodeKinks>): Sparse {
    const bk = k ? this.baseKinks(node) : null;
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
    const baseOut = (this.ex.values[node.id] as Tensor).data;
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
  private binary(node: GraphNode, kern: Binary, changed: (Sparse | null)[], B: number, kinks: Map<number, NodeKinks>): Sparse {
    if (changed[0] === null || changed[1] === null) return this.binaryOneSide(node, kern, changed[0] ? 0 : 1, changed[0] ?? (changed[1] as Sparse), B, kinks);
    const outSize = sizeOf(node.sizes);
    const [ia, ib] = node.inputs;
    const ma = this.indexMap(node, 0);
    const mb = this.indexMap(node, 1);
    const baseA = (this.ex.values[ia] as Tensor).data;
    const baseB = (this.ex.values[ib] as Tensor).data;
    const da = changed[0];
    const db = changed[1];
    // The same node on both sides (x * x) shares one scratch copy.
    const curA = this.scratchOf(ia);
    const curB = this.scratchOf(ib);
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
    return this.runBinary(node, kern, av.subarray(0, n), 1, bv.subarray(0, n), 1, B, starts, pos, kinks);
  }

  /**
   * Broadcasting op with one changed operand (side k): its changed entries are the new operand
   * values as they are; the other operand is read where they land.
   */
  private binaryOneSide(node: GraphNode, kern: Binary, k: number, d: Sparse, B: number, kinks: Map<number, NodeKinks>): Sparse {
    const mine = this.indexMap(node, k);
    const theirs = this.indexMap(node, 1 - k);
    const fixed = (this.ex.values[node.inputs[1 - k]] as Tensor).data;
    let pos: Int32Array;
    let starts: Int32Array;
    let xs: Float64Array;
    if (!mine) {
      // Output entry = operand entry: the positions are the delta's own.
      pos = d.idx;
      starts = d.start;
      xs = d.val.subarray(0, d.n);
    } else {
      const fan = sizeOf(node.sizes) / sizeOf(this.graph.nodes[node.inputs[k]].sizes);
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
    if (fixed.length === 1) return k === 0 ? this.runBinary(node, kern, x, 1, fixed, 0, B, starts, pos, kinks) : this.runBinary(node, kern, fixed, 0, x, 1, B, starts, pos, kinks);
    const ys = arena.floats(n);
    if (theirs) {
      const fwd = theirs.fwd;
      for (let j = 0; j < n; j++) ys[j] = fixed[fwd[pos[j]]];
    } else for (let j = 0; j < n; j++) ys[j] = fixed[pos[j]];
    return k === 0 ? this.runBinary(node, kern, x, 1, ys, 1, B, starts, pos, kinks) : this.runBinary(node, kern, ys, 1, x, 1, B, starts, pos, kinks);
  }

  /** The op's kernel on gathered operands (stride 0: one value for all), then collect. */
  private runBinary(node: GraphNode, kern: Binary, a: Float64Array, as: number, b: Float64Array, bs: number, B: number, starts: Int32Array, pos: Int32Array, kinks: Map<number, NodeKinks>): Sparse {
    const n = starts[B];
    const out = arena.floats(n);
    kern.run(a, 0, as, b, 0, bs, out, 0, n);
    let k: Int32Array | undefined;
    if (kern.kinkSide) {
      // kinkSide reads whole tensors: a value read in place is spread out first.
      const full = (v: Float64Array, s: number) => new Tensor([n], s === 1 ? v : new Float64Array(n).fill(v[0]));
      k = kern.kinkSide(full(a, as), full(b, bs), new Tensor([n], out));
    }
    return this.collect(node, B, starts, pos, out, k, kinks);
  }

  /**
   * A scalar that sums per-block terms of its first operand (OpDef.termSum): the changed blocks'
   * terms are recomputed, and the sum resumed from the first changed block.
   */
  private terms(node: GraphNode, op: OpDef, changed: (Sparse | null)[], B: number): Sparse | null {
    const form = op.termSum;
    const d = changed[0];
    if (!form || op.kinks !== undefined || !d || changed.some((c, k) => k > 0 && c !== null)) return null;
    const inputs = node.inputs.map((i) => this.ex.values[i] as Tensor);
    const bs = form.block(inputs);
    const nb = inputs[0].size / bs;
    if (!Number.isInteger(nb) || nb < 1) return null;
    let cache = this.termCache.get(node.id);
    if (!cache) {
      // The unperturbed terms, and the running sum before each block (the forward's own bits).
      const terms = new Float64Array(nb);
      const before = new Float64Array(nb + 1);
      let acc = 0;
      for (let k = 0; k < nb; k++) {
        before[k] = acc;
        terms[k] = form.term(inputs[0].data, k * bs, inputs, k, node.attrs);
        acc += terms[k];
      }
      before[nb] = acc;
      cache = { terms, before };
      this.termCache.set(node.id, cache);
    }
    const src = this.scratchOf(node.inputs[0]);
    const base = inputs[0].data;
    // Per perturbation b: its changed blocks in ascending order, with their recomputed terms,
    // at [cs[b], cs[b+1]).
    const cb = arena.ints(d.n);
    const cv = arena.floats(d.n);
    const cs = arena.ints(B + 1);
    cs[0] = 0;
    const tag = arena.ints(nb).fill(-1);
    let m = 0;
    for (let b = 0; b < B; b++) {
      const m0 = m;
      const t0 = d.start[b];
      const t1 = d.start[b + 1];
      // When b changes whole blocks, each as a run of its entries in order (rows of a product, a
      // single weight), a term reads its block straight from the changed values; otherwise from
      // the perturbed copy of the input.
      const whole = wholeBlocks(d.idx, t0, t1, bs);
      if (!whole) apply(src, d, b);
      for (let t = t0; t < t1; t += whole ? bs : 1) {
        const e = d.idx[t];
        const k = bs === 1 ? e : Math.floor(e / bs);
        if (tag[k] === b) continue;
        tag[k] = b;
        // Insertion into the sorted list: there are few changed blocks per perturbation.
        let u = m++;
        while (u > m0 && cb[u - 1] > k) {
          cb[u] = cb[u - 1];
          cv[u] = cv[u - 1];
          u--;
        }
        cb[u] = k;
        cv[u] = whole ? form.term(d.val, t, inputs, k, node.attrs) : form.term(src, k * bs, inputs, k, node.attrs);
      }
      if (!whole) restore(src, base, d, b);
      cs[b + 1] = m;
    }
    const sums = arena.floats(B);
    sumTerms(cache.terms, cache.before, nb, cb, cv, cs, B, sums);
    const out = Sparse.make(B, B);
    const baseOut = (this.ex.values[node.id] as Tensor).data[0];
    for (let b = 0; b < B; b++) {
      const y = form.finish(sums[b], inputs, node.attrs);
      if (!same(y, baseOut)) out.push(0, y);
      out.close(b);
    }
    return out;
  }

  /**
   * A 2-D product with one changed operand: a changed entry of A changes one row of A·B, one of B
   * one column. The changed rows (columns) of every perturbation go through one product.
   */
  private product(node: GraphNode, op: OpDef, changed: (Sparse | null)[], B: number): Sparse | null {
    if (!op.matrixProduct || node.inputs.length !== 2 || node.inputs[0] === node.inputs[1]) return null;
    const [ia, ib] = node.inputs;
    const sa = this.graph.nodes[ia].sizes;
    const sb = this.graph.nodes[ib].sizes;
    if (sa.length !== 2 || sb.length !== 2 || (changed[0] !== null) === (changed[1] !== null)) return null;
    const a = (this.ex.values[ia] as Tensor).data;
    const bm = (this.ex.values[ib] as Tensor).data;
    const baseOut = (this.ex.values[node.id] as Tensor).data;
    const [M, K] = sa;
    const N = sb[1];
    // Separate functions for rows and columns: each keeps its own stable type feedback.
    if (changed[0]) return productRows(M, N, K, changed[0], a, bm, baseOut, B);
    return productColumns(M, N, K, changed[1] as Sparse, bm, a, baseOut, B);
  }

  /** Any other op: once per perturbation on its whole perturbed operands. */
  private whole(node: GraphNode, op: OpDef, changed: (Sparse | null)[], B: number, kinks: Map<number, NodeKinks>): Sparse {
    const inputs = node.inputs.map((i, k) => {
      const v = this.ex.values[i] as Tensor;
      return changed[k] ? new Tensor(v.shape, this.scratchOf(i)) : v;
    });
    const baseOut = (this.ex.values[node.id] as Tensor).data;
    const ctx = this.context(node.id);
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
        const bk = this.baseKinks(node);
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
      for (let k = 0; k < inputs.length; k++) if (changed[k]) restore(inputs[k].data, (this.ex.values[node.inputs[k]] as Tensor).data, changed[k] as Sparse, b);
    }
    if (rec) kinks.set(node.id, rec);
    return out;
  }

  /** The unperturbed value's kink sides (computed once per node). */
  private baseKinks(node: GraphNode): Int32Array | null {
    let k = this.baseKinkCache.get(node.id);
    if (k === undefined) {
      const inputs = node.inputs.map((i) => this.ex.values[i] as Tensor);
      k = (node.op as OpDef).forward(inputs, node.attrs, this.context(node.id)).kinks ?? null;
      this.baseKinkCache.set(node.id, k);
    }
    return k;
  }

  private scratchOf(id: number): Float64Array {
    let s = this.scratch.get(id);
    if (!s) {
      s = (this.ex.values[id] as Tensor).data.slice();
      this.scratch.set(id, s);
    }
    return s;
  }

  /** Operand k's entry for each output entry under broadcasting (null when they coincide). */
  private indexMap(node: GraphNode, k: number): IndexMap | null {
    const key = `${node.id}:${k}`;
    let m = this.maps.get(key);
    if (m === undefined) {
      m = buildIndexMap(this.graph.nodes[node.inputs[k]].sizes, node.sizes);
      this.maps.set(key, m);
    }
    return m;
  }

  private context(id: number): ForwardContext {
    return { trackKinks: true, forwardOnly: true, random: (count: number) => this.ex.randomFor(id, count) };
  }
}

function buildIndexMap(shape: readonly number[], outShape: readonly number[]): IndexMap | null {
  const size = sizeOf(shape);
  const n = sizeOf(outShape);
  // No axis is stretched: flat positions coincide (leading 1s do not move anything).
  if (size === n) return null;
  const rank = outShape.length;
  const st = broadcastStrides(shape, outShape);
  const fwd = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < n; o++) {
    fwd[o] = off;
    for (let a = rank - 1; a >= 0; a--) {
      idx[a]++;
      off += st[a];
      if (idx[a] < outShape[a]) break;
      off -= st[a] * outShape[a];
      idx[a] = 0;
    }
  }
  const invStart = new Int32Array(size + 1);
  for (let o = 0; o < n; o++) invStart[fwd[o] + 1]++;
  for (let i = 0; i < size; i++) invStart[i + 1] += invStart[i];
  const fill = invStart.slice(0, size);
  const inv = new Int32Array(n);
  for (let o = 0; o < n; o++) inv[fill[fwd[o]]++] = o;
  return { fwd, invStart, inv };
}

/**
 * The sum of all terms for every perturbation b: from the running sum before its first changed
 * block, each block's term added in ascending order (b's recomputed one where it changed it).
 * Four perturbations at a time, so that four independent sums keep the adder busy; between
 * changed blocks they all add the same unperturbed terms.
 */
function sumTerms(terms: Float64Array, before: Float64Array, nb: number, cb: Int32Array, cv: Float64Array, cs: Int32Array, B: number, sums: Float64Array): void {
  const ptr = new Int32Array(4);
  const end = new Int32Array(4);
  const acc = new Float64Array(4);
  for (let g = 0; g < B; g += 4) {
    // A short last group repeats its last perturbation.
    let kmax = 0;
    for (let q = 0; q < 4; q++) {
      const b = Math.min(g + q, B - 1);
      ptr[q] = cs[b];
      end[q] = cs[b + 1];
      const first = ptr[q] < end[q] ? cb[ptr[q]] : nb;
      acc[q] = before[first];
      if (first > kmax) kmax = first;
    }
    // Each sum alone up to the latest first changed block of the group.
    for (let q = 0; q < 4; q++) {
      let a = acc[q];
      let p = ptr[q];
      for (let k = p < end[q] ? cb[p] : nb; k < kmax; k++) {
        if (p < end[q] && cb[p] === k) a += cv[p++];
        else a += terms[k];
      }
      acc[q] = a;
      ptr[q] = p;
    }
    let a0 = acc[0];
    let a1 = acc[1];
    let a2 = acc[2];
    let a3 = acc[3];
    let k = kmax;
    while (k < nb) {
      let next = nb;
      for (let q = 0; q < 4; q++) if (ptr[q] < end[q] && cb[ptr[q]] < next) next = cb[ptr[q]];
      for (; k < next; k++) {
        const t = terms[k];
        a0 += t;
        a1 += t;
        a2 += t;
        a3 += t;
      }
      if (k === nb) break;
      // Block k changed for some of them: each adds its own term.
      a0 += ptr[0] < end[0] && cb[ptr[0]] === k ? cv[ptr[0]++] : terms[k];
      a1 += ptr[1] < end[1] && cb[ptr[1]] === k ? cv[ptr[1]++] : terms[k];
      a2 += ptr[2] < end[2] && cb[ptr[2]] === k ? cv[ptr[2]++] : terms[k];
      a3 += ptr[3] < end[3] && cb[ptr[3]] === k ? cv[ptr[3]++] : terms[k];
      k++;
    }
    sums[g] = a0;
    if (g + 1 < B) sums[g + 1] = a1;
    if (g + 2 < B) sums[g + 2] = a2;
    if (g + 3 < B) sums[g + 3] = a3;
  }
}

/** Whether positions idx[t0 … t1) are whole blocks of `bs`, each as the run k·bs, k·bs+1, … in order. */
function wholeBlocks(idx: Int32Array, t0: number, t1: number, bs: number): boolean {
  if ((t1 - t0) % bs !== 0) return false;
  for (let t = t0; t < t1; t += bs) {
    const e = idx[t];
    if (e % bs !== 0) return false;
    for (let q = 1; q < bs; q++) if (idx[t + q] !== e + q) return false;
  }
  return true;
}

/** Changed entries of A [M, K] in `d`: the rows they touch of A·B, one product for every perturbation. */
function productRows(M: number, N: number, K: number, d: Sparse, base: Float64Array, other: Float64Array, baseOut: Float64Array, B: number): Sparse {
  // Per perturbation, each touched row once: the unperturbed row with the changed entries written in.
  const seen = arena.ints(M).fill(-1);
  const slot = arena.ints(M);
  const which = arena.ints(d.n);
  const starts = arena.ints(B + 1);
  starts[0] = 0;
  const rows = arena.floats(d.n * K);
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
  const which = arena.ints(d.n);
  const starts = arena.ints(B + 1);
  starts[0] = 0;
  // Each column gathered as a row of K values: read back as a transposed operand.
  const cols = arena.floats(d.n * K);
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

/** Writes perturbation b's changed entries into `s`. */
function apply(s: Float64Array, d: Sparse, b: number): void {
  const idx = d.idx;
  const val = d.val;
  for (let t = d.start[b], end = d.start[b + 1]; t < end; t++) s[idx[t]] = val[t];
}

/** Puts back the unperturbed values of perturbation b's changed entries. */
function restore(s: Float64Array, base: Float64Array, d: Sparse, b: number): void {
  const idx = d.idx;
  for (let t = d.start[b], end = d.start[b + 1]; t < end; t++) s[idx[t]] = base[idx[t]];
}

/** Whether the kink sides of perturbations p and q differ anywhere in this node. */
function sidesDiffer(k: NodeKinks, p: number, q: number): boolean {
  if (k.odd && (k.odd.has(p) || k.odd.has(q))) return true;
  const { start, idx, val } = k.d;
  const p0 = start[p];
  const p1 = start[p + 1];
  const q0 = start[q];
  const q1 = start[q + 1];
  // Both lists hold distinct positions whose side differs from the unperturbed one: the sides
  // agree everywhere exactly when the two lists hold the same (position, side) pairs.
  if (p1 - p0 !== q1 - q0) return true;
  if (p1 - p0 > 32) {
    const sides = new Map<number, number>();
    for (let u = q0; u < q1; u++) sides.set(idx[u], val[u]);
    for (let s = p0; s < p1; s++) if (sides.get(idx[s]) !== val[s]) return true;
    return false;
  }
  for (let s = p0; s < p1; s++) {
    let found = false;
    for (let u = q0; u < q1; u++) {
      if (idx[u] === idx[s]) {
        if (val[u] !== val[s]) return true;
        found = true;
        break;
      }
    }
    if (!found) return true;
  }
  return false;
}
