// Batched re-evaluation for gradient checks: f at many perturbations of one tensor, run together.
//
// Checking a tensor entry by entry re-runs the part of the graph downstream of it twice per entry;
// for small networks the cost is the per-op overhead, not arithmetic. Here every node of that
// region is evaluated once for a batch of perturbations, its value stacked along a new leading
// axis:
//   - elementwise and broadcasting ops and matrix products run once on the stacked values (the
//     stacked operand broadcasts against the unchanged ones, as numpy would);
//   - a matrix product that reads the perturbed tensor directly starts from its unperturbed output
//     and recomputes only the row (or column) that the changed entry touches;
//   - any other op runs once per perturbation on its slice.
// Every entry is computed by the same arithmetic, in the same order, as an unbatched run (the GEMM
// kernels sum in a fixed order whatever the tiling), so f is bit-identical to re-running the region
// one perturbation at a time; test/unit/gradcheck-batched.test.ts checks that.
import type { Graph, GraphNode } from '../engine/graph';
import type { Execution } from '../engine/run';
import type { ForwardContext, OpDef } from '../ops/op';
import { gemm } from '../tensor/matmul';
import { sizeOf, Tensor } from '../tensor/tensor';

/** Ops that accept a stacked operand unchanged: elementwise, with one tensor input. */
const UNARY = new Set(['exp', 'log', 'sqrt', 'abs', 'square', 'tanh', 'sigmoid', 'relu', 'leaky_relu', 'elu', 'clip', 'sign', 'neg', 'identity']);
/** Broadcasting binary ops: a stacked operand [B, 1…, shape] broadcasts against the others. */
const BINARY = new Set(['add', 'sub', 'mul', 'div', 'gt', 'lt', 'ge', 'le', 'eq', 'maximum', 'minimum']);

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

type Source = { kind: 'fixed'; value: Tensor } | { kind: 'stacked'; value: Tensor } | { kind: 'target' };

/** Kinks of one node: one array for all perturbations (stride `len`), or one per perturbation. */
type NodeKinks = { stacked: Int32Array; len: number } | { slices: (Int32Array | undefined)[] };

export class BatchedRegion {
  private readonly targetSize: number;

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
      return n.op?.id === 'matmul' && n.sizes.length === 2 && n.inputs.filter((i) => i === this.target).length === 1 && n.inputs.every((i) => this.graph.nodes[i].sizes.length === 2);
    });
    let perSlice = rowsOrColumns ? 0 : this.targetSize;
    for (const id of this.region) perSlice += sizeOf(this.graph.nodes[id].sizes);
    return Math.floor(BATCH_BUDGET / Math.max(1, perSlice));
  }

  /** Whether the root is read from this region (otherwise the caller's unbatched path applies). */
  applies(): boolean {
    return this.region.length > 0 && this.region.includes(this.root) && sizeOf(this.graph.nodes[this.root].sizes) === 1;
  }

  /** f at every perturbation of `base` (the target's unperturbed value). */
  evaluate(base: Tensor, perts: Perturbation[]): BatchOutcome {
    const B = perts.length;
    const stacked = new Map<number, Tensor>();
    const kinks = new Map<number, NodeKinks>();
    const work = base.clone();
    let targetStack: Tensor | null = null;
    const stackTarget = (): Tensor => {
      if (!targetStack) {
        targetStack = new Tensor([B, ...base.shape]);
        const n = base.size;
        for (let b = 0; b < B; b++) {
          targetStack.data.set(base.data, b * n);
          targetStack.data[b * n + perts[b].index] = perts[b].value;
        }
      }
      return targetStack;
    };
    const source = (id: number): Source => {
      if (id === this.target) return { kind: 'target' };
      const s = stacked.get(id);
      return s ? { kind: 'stacked', value: s } : { kind: 'fixed', value: this.ex.values[id] as Tensor };
    };

    for (const id of this.region) {
      const node = this.graph.nodes[id];
      const op = node.op as OpDef;
      const srcs = node.inputs.map(source);
      const out = new Tensor([B, ...node.sizes]);
      const done =
        this.matmulOfTarget(node, op, srcs, base, work, perts, out) ||
        this.together(node, op, srcs, stackTarget, out, kinks);
      if (!done) this.sliceBySlice(node, op, srcs, work, perts, out, kinks);
      stacked.set(id, out);
    }

    const rootStack = stacked.get(this.root) as Tensor;
    const f = Float64Array.from(rootStack.data.subarray(0, B));
    const region = this.region;
    return {
      f,
      kinksDiffer(p: number, q: number): boolean {
        for (const id of region) {
          const k = kinks.get(id);
          if (!k) continue;
          if ('stacked' in k) {
            const { stacked: s, len } = k;
            for (let i = 0; i < len; i++) if (s[p * len + i] !== s[q * len + i]) return true;
          } else {
            const x = k.slices[p];
            const y = k.slices[q];
            if (!x || !y) continue;
            if (x.length !== y.length) return true;
            for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return true;
          }
        }
        return false;
      },
    };
  }

  /**
   * A 2-D product with the perturbed tensor as one operand: one changed entry of A changes one
   * row of A·B, one of B one column. Start from the unperturbed product and recompute that part.
   */
  private matmulOfTarget(node: GraphNode, op: OpDef, srcs: Source[], base: Tensor, work: Tensor, perts: Perturbation[], out: Tensor): boolean {
    // Each recomputed row or column has the bits it has in the full product: every entry of a
    // product is the same k-ordered sum whatever else is computed with it.
    if (op.id !== 'matmul' || srcs.length !== 2) return false;
    const [sa, sb] = srcs;
    const aIsTarget = sa.kind === 'target' && sb.kind === 'fixed';
    const bIsTarget = sb.kind === 'target' && sa.kind === 'fixed';
    if (!aIsTarget && !bIsTarget) return false;
    const other = (aIsTarget ? sb : sa) as { value: Tensor };
    const prior = this.ex.values[node.id];
    if (base.rank !== 2 || other.value.rank !== 2 || !prior || prior.rank !== 2) return false;
    const [M, N] = prior.shape;
    const K = aIsTarget ? base.shape[1] : base.shape[0];
    const B = perts.length;
    const MN = M * N;
    const od = out.data;
    for (let b = 0; b < B; b++) od.set(prior.data, b * MN);
    const w = work.data;
    if (aIsTarget) {
      // The perturbed rows of A, one per perturbation, times B in one product: [B, K] · [K, N].
      const rows = new Float64Array(B * K);
      for (let b = 0; b < B; b++) {
        const i = Math.floor(perts[b].index / K);
        rows.set(w.subarray(i * K, (i + 1) * K), b * K);
        rows[b * K + (perts[b].index - i * K)] = perts[b].value;
      }
      const res = new Float64Array(B * N);
      gemm(B, N, K, rows, 0, K, 1, other.value.data, 0, N, 1, res, 0, false);
      for (let b = 0; b < B; b++) {
        const i = Math.floor(perts[b].index / K);
        od.set(res.subarray(b * N, (b + 1) * N), b * MN + i * N);
      }
    } else {
      // The perturbed columns of B side by side, and A times them in one product: [M, K] · [K, B].
      const cols = new Float64Array(K * B);
      for (let b = 0; b < B; b++) {
        const j = perts[b].index % N;
        for (let k = 0; k < K; k++) cols[k * B + b] = w[k * N + j];
        cols[Math.floor(perts[b].index / N) * B + b] = perts[b].value;
      }
      const res = new Float64Array(M * B);
      gemm(M, B, K, other.value.data, 0, K, 1, cols, 0, B, 1, res, 0, false);
      for (let b = 0; b < B; b++) {
        const j = perts[b].index % N;
        for (let i = 0; i < M; i++) od[b * MN + i * N + j] = res[i * B + b];
      }
    }
    return true;
  }

  /** Ops that take the stacked operands as they are: one call for the whole batch. */
  private together(node: GraphNode, op: OpDef, srcs: Source[], stackTarget: () => Tensor, out: Tensor, kinks: Map<number, NodeKinks>): boolean {
    const unary = UNARY.has(op.id) && srcs.length === 1;
    const binary = BINARY.has(op.id) && srcs.length === 2;
    // A stacked matrix operand: [B, M, K] @ [K, N] and [M, K] @ [B, K, N] are batched products.
    const matmul = op.id === 'matmul' && srcs.length === 2 && node.inputs.every((i, k) => srcs[k].kind === 'fixed' || this.graph.nodes[i].sizes.length >= 2);
    if (!unary && !binary && !matmul) return false;
    if (srcs.some((s) => s.kind === 'target') && this.targetSize * (out.shape[0] ?? 1) > BATCH_BUDGET) return false;
    const B = out.shape[0];
    const rank = node.sizes.length;
    const inputs = node.inputs.map((id, k) => {
      const s = srcs[k];
      if (s.kind === 'fixed') return s.value;
      const v = s.kind === 'stacked' ? s.value : stackTarget();
      const sizes = this.graph.nodes[id].sizes;
      // [B, 1…1, sizes] of rank `rank` + 1, so it broadcasts against unstacked operands.
      const pad = matmul ? 0 : Math.max(0, rank - sizes.length);
      return v.reshaped([B, ...new Array<number>(pad).fill(1), ...sizes]);
    });
    const r = op.forward(inputs, node.attrs, this.context(node.id, true));
    if (r.error || r.value.size !== out.size) return false;
    out.data.set(r.value.data);
    if (r.kinks) kinks.set(node.id, { stacked: r.kinks, len: r.kinks.length / B });
    return true;
  }

  /** Any other op: once per perturbation, on that perturbation's slice of each stacked operand. */
  private sliceBySlice(node: GraphNode, op: OpDef, srcs: Source[], work: Tensor, perts: Perturbation[], out: Tensor, kinks: Map<number, NodeKinks>): void {
    const slices: (Int32Array | undefined)[] = [];
    const n = sizeOf(node.sizes);
    const ctx = this.context(node.id, true);
    for (let b = 0; b < perts.length; b++) {
      const { index, value } = perts[b];
      const x0 = work.data[index];
      work.data[index] = value;
      const inputs = node.inputs.map((id, k) => {
        const s = srcs[k];
        if (s.kind === 'fixed') return s.value;
        if (s.kind === 'target') return work;
        const sizes = this.graph.nodes[id].sizes;
        const m = sizeOf(sizes);
        return new Tensor(sizes, s.value.data.subarray(b * m, (b + 1) * m));
      });
      const r = op.forward(inputs, node.attrs, ctx);
      // Copy before restoring the entry: the value may be `work` itself (identity, reshape).
      out.data.set(r.value.data.subarray(0, n), b * n);
      work.data[index] = x0;
      slices.push(r.kinks);
    }
    if (slices.some((k) => k)) kinks.set(node.id, { slices });
  }

  private context(id: number, trackKinks: boolean): ForwardContext {
    return { trackKinks, forwardOnly: true, random: (count: number) => this.ex.randomFor(id, count) };
  }
}
