// Fast-mode projections through the ops that are linear in the checked tensor W: a 2-D matrix
// product (OpDef.matrixProduct) reading W once, its other operand independent of W. Along the
// direction u = p qᵀ of a matrix (direction.ts) such a product moves by an outer product too:
//   A @ (W + t·pqᵀ) = A@W + t·(A p) qᵀ        (W on the right, A [M, K], p [K], q [N])
//   (W + t·pqᵀ) @ B = W@B + t·p (qᵀ B)        (W on the left,  B [K, N], p [M], q [K])
// so its value at x ± s·u is its unperturbed value plus a rank-one term: a matrix-vector product
// (M·K or K·N operations) instead of the whole GEMM (M·K·N) at each of the two evaluations. The
// rest of the region is re-run as usual on these values, and every other reader of W (l2(W), …)
// reads W ± s·u itself. f agrees with re-running the product up to round-off (the difference
// A@(W ± s·u) − A@W is no longer a difference of two rounded products: if anything, the central
// difference gets more accurate). A projection narrowed by bisection re-runs the whole region.
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { Tensor } from '../tensor/tensor';
import type { Direction } from './direction';
import { RegionRunner, type Evaluator } from './differences';

interface Reader {
  id: number;
  /** The operand that is not W, and whether W is the right operand. */
  other: number;
  right: boolean;
  /** The product's unperturbed value, and the buffer its perturbed values are written into. */
  base: Tensor;
  out: Tensor;
}

export class LinearReaders {
  /** The rank-one term of each reader for the direction last seen: out ± t·a bᵀ. */
  private forDir: Direction | null = null;
  private terms: { a: Float64Array; b: Float64Array }[] = [];

  private constructor(
    private readonly ex: Execution,
    private readonly readers: Reader[],
    /** The rest of the region, re-run after the readers' values are written. */
    private readonly rest: RegionRunner,
  ) {}

  /**
   * The readers of `target` in `region` that the rank-one shortcut applies to, or null when none
   * does (or the target is not a matrix, or values of the last forward pass are missing). A
   * product's other operand must lie outside `region` (every node that depends on the target is
   * in it; a region may hold more, as a gate's does: such products are re-run as usual).
   */
  static of(graph: Graph, ex: Execution, target: number, region: readonly number[], read: () => number): LinearReaders | null {
    if (graph.nodes[target].sizes.length !== 2) return null;
    const inRegion = new Set(region);
    const readers: Reader[] = [];
    for (const id of region) {
      const n = graph.nodes[id];
      if (!n.op?.matrixProduct || n.inputs.length !== 2 || !n.inputs.includes(target)) continue;
      const right = n.inputs[1] === target;
      const other = n.inputs[right ? 0 : 1];
      const base = ex.values[id];
      if (other === target || inRegion.has(other) || !ex.values[other] || !base) continue;
      if (n.sizes.length !== 2 || graph.nodes[other].sizes.length !== 2) continue;
      readers.push({ id, other, right, base, out: new Tensor(base.shape) });
    }
    if (readers.length === 0) return null;
    const skip = new Set(readers.map((r) => r.id));
    return new LinearReaders(ex, readers, new RegionRunner(ex, region.filter((id) => !skip.has(id)), read));
  }

  /** f at x + t·u once the slot holds it (fastCheck's AlongDirection). */
  readonly along = (dir: Direction, t: number): ReturnType<Evaluator['evaluate']> => {
    if (!dir.rows || !dir.cols) {
      // Not an outer product: the products are re-run (kept for completeness; a matrix's direction is one).
      for (const r of this.readers) this.ex.evalNode(r.id, true);
    } else {
      if (this.forDir !== dir) {
        this.terms = this.readers.map((r) => termOf(r, this.ex.values[r.other] as Tensor, dir.rows as Float64Array, dir.cols as Float64Array));
        this.forDir = dir;
      }
      this.readers.forEach((r, k) => {
        const { a, b } = this.terms[k];
        const y0 = r.base.data;
        const y = r.out.data;
        const N = b.length;
        for (let i = 0; i < a.length; i++) {
          const ta = t * a[i];
          for (let j = 0, o = i * N; j < N; j++) y[o + j] = y0[o + j] + ta * b[j];
        }
        this.ex.values[r.id] = r.out;
      });
    }
    return this.rest.evaluate(true);
  };

  /** Puts back what the shortcut overwrote (the caller's RegionRunner over the whole region restores the rest). */
  restore(): void {
    this.rest.restore();
    for (const r of this.readers) this.ex.values[r.id] = r.base;
  }
}

/** The rank-one term a bᵀ of the product along p qᵀ: (A p) qᵀ with W on the right, p (qᵀ B) with W on the left. */
function termOf(r: Reader, other: Tensor, p: Float64Array, q: Float64Array): { a: Float64Array; b: Float64Array } {
  const [rows, cols] = other.shape;
  const o = other.data;
  if (r.right) {
    // A [M, K] · p [K]
    const a = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let k = 0, off = i * cols; k < cols; k++) s += o[off + k] * p[k];
      a[i] = s;
    }
    return { a, b: q };
  }
  // qᵀ [K] · B [K, N]
  const b = new Float64Array(cols);
  for (let k = 0; k < rows; k++) {
    const qk = q[k];
    for (let j = 0, off = k * cols; j < cols; j++) b[j] += qk * o[off + j];
  }
  return { a: p, b };
}
