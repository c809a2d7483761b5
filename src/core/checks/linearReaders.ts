// Fast-mode projections through the readers of the checked tensor W whose value along the
// direction u has a closed form, so that f at x ± s·u needs neither the whole op re-run nor, when
// every reader of W has one, W ± s·u written out at all:
//   - a 2-D matrix product (OpDef.matrixProduct) reading W once, its other operand independent of
//     W. Along the direction u = p qᵀ of a matrix (direction.ts) it moves by an outer product:
//       A @ (W + t·pqᵀ) = A@W + t·(A p) qᵀ        (W on the right, A [M, K], p [K], q [N])
//       (W + t·pqᵀ) @ B = W@B + t·p (qᵀ B)        (W on the left,  B [K, N], p [M], q [K])
//     a matrix-vector product (M·K or K·N operations) instead of the whole GEMM (M·K·N);
//   - a sum of squares (OpDef.sumOfSquares, l2): Σ(W + t·u)² = ΣW² + 2t·⟨W, u⟩ + t²·‖u‖², one pass
//     over W for the direction instead of one per evaluation (any shape of W).
// These are identities of the forward pass, not of the backward rule being checked: f still comes
// from evaluations of the forward at two points, and agrees with re-running the ops up to
// round-off (the change from the unperturbed value is no longer a difference of two rounded
// results: if anything, the central difference gets more accurate). The rest of the region is
// re-run as usual on these values. A projection narrowed by bisection re-runs the whole region.
import type { Graph } from '../engine/graph';
import type { Execution } from '../engine/run';
import { Tensor } from '../tensor/tensor';
import { dotRows, type Direction } from './direction';
import { RegionRunner, type Evaluator } from './differences';

interface ProductReader {
  kind: 'product';
  id: number;
  /** The operand that is not W, and whether W is the right operand. */
  other: number;
  right: boolean;
  /** The product's unperturbed value, and the buffer its perturbed values are written into. */
  base: Tensor;
  out: Tensor;
}

interface SquaresReader {
  kind: 'squares';
  id: number;
  /** ΣW², the op's value at the last forward pass. */
  base: Tensor;
}

type Reader = ProductReader | SquaresReader;

/** f at x + t·u along a direction, and whether the slot must hold x + t·u for it (fastCheck's projectWhole). */
export interface DirectionShortcut {
  along(dir: Direction, t: number): ReturnType<Evaluator['evaluate']>;
  /** Whether any op left to re-run reads the tensor's slot (else x ± s·u need not be written). */
  readonly readsSlot: boolean;
}

export class LinearReaders implements DirectionShortcut {
  /** What each reader needs of the direction last seen: a rank-one term a bᵀ, or ⟨W, u⟩ and ‖u‖². */
  private forDir: Direction | null = null;
  private terms: ({ a: Float64Array; b: Float64Array } | { dot: number; norm2: number })[] = [];

  private constructor(
    private readonly ex: Execution,
    /** The checked tensor's value x (the slot holds x ± s·u during the evaluations). */
    private readonly x: Tensor,
    private readonly readers: Reader[],
    /** The rest of the region, re-run after the readers' values are written. */
    private readonly rest: RegionRunner,
    readonly readsSlot: boolean,
  ) {}

  /**
   * The readers of `target` in `region` that a closed form applies to, or null when none does (or
   * values of the last forward pass are missing). A product's other operand must lie outside
   * `region` (every node that depends on the target is in it; a region may hold more, as a gate's
   * does: such products are re-run as usual).
   */
  static of(graph: Graph, ex: Execution, target: number, region: readonly number[], read: () => number): LinearReaders | null {
    if (!ex.values[target]) return null;
    const matrix = graph.nodes[target].sizes.length === 2;
    const inRegion = new Set(region);
    const readers: Reader[] = [];
    for (const id of region) {
      const n = graph.nodes[id];
      const base = ex.values[id];
      if (!base || !n.inputs.includes(target)) continue;
      if (n.op?.sumOfSquares && n.inputs.length === 1) {
        readers.push({ kind: 'squares', id, base });
        continue;
      }
      if (!matrix || !n.op?.matrixProduct || n.inputs.length !== 2) continue;
      const right = n.inputs[1] === target;
      const other = n.inputs[right ? 0 : 1];
      if (other === target || inRegion.has(other) || !ex.values[other]) continue;
      if (n.sizes.length !== 2 || graph.nodes[other].sizes.length !== 2) continue;
      readers.push({ kind: 'product', id, other, right, base, out: new Tensor(base.shape) });
    }
    if (readers.length === 0) return null;
    const skip = new Set(readers.map((r) => r.id));
    const rest = region.filter((id) => !skip.has(id));
    const readsSlot = rest.some((id) => graph.nodes[id].inputs.includes(target));
    return new LinearReaders(ex, ex.values[target] as Tensor, readers, new RegionRunner(ex, rest, read), readsSlot);
  }

  /** f at x + t·u; the slot holds x + t·u when readsSlot (DirectionShortcut.along). */
  readonly along = (dir: Direction, t: number): ReturnType<Evaluator['evaluate']> => {
    if (this.forDir !== dir) {
      // A matrix's direction is always an outer product (Direction.of): product readers exist only for matrices.
      this.terms = this.readers.map((r) => (r.kind === 'squares' ? dir.dotAndNorm(this.x.data) : termOf(r, this.ex.values[r.other] as Tensor, dir.rows as Float64Array, dir.cols as Float64Array)));
      this.forDir = dir;
    }
    this.readers.forEach((r, k) => {
      const term = this.terms[k];
      if (r.kind === 'squares') {
        const { dot, norm2 } = term as { dot: number; norm2: number };
        this.ex.values[r.id] = Tensor.scalar(r.base.data[0] + 2 * t * dot + t * t * norm2);
        return;
      }
      const { a, b } = term as { a: Float64Array; b: Float64Array };
      const y0 = r.base.data;
      const y = r.out.data;
      const N = b.length;
      for (let i = 0; i < a.length; i++) {
        const ta = t * a[i];
        for (let j = 0, o = i * N; j < N; j++) y[o + j] = y0[o + j] + ta * b[j];
      }
      this.ex.values[r.id] = r.out;
    });
    return this.rest.evaluate(true);
  };

  /** Puts back what the shortcut overwrote (the caller's RegionRunner over the whole region restores the rest). */
  restore(): void {
    this.rest.restore();
    for (const r of this.readers) this.ex.values[r.id] = r.base;
  }
}

/** The rank-one term a bᵀ of the product along p qᵀ: (A p) qᵀ with W on the right, p (qᵀ B) with W on the left. */
function termOf(r: ProductReader, other: Tensor, p: Float64Array, q: Float64Array): { a: Float64Array; b: Float64Array } {
  const [rows, cols] = other.shape;
  const o = other.data;
  if (r.right) {
    // A [M, K] · p [K]
    const a = dotRows(o, p, new Float64Array(rows));
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
