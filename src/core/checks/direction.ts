// The random directions of fast-mode checks (fastCheck.ts): seeded, one stream per checked tensor.
//
// A tensor that is not a matrix gets a dense direction, one draw per entry. A matrix [R, C] gets
// the outer product u = p qᵀ of two random unit vectors p (R entries) and q (C entries): R + C draws
// instead of R·C, and a product A @ W along it is (A p) qᵀ, a matrix-vector product instead of a
// GEMM (linearReaders.ts). Its strength as a check is that of a dense direction:
//   - an error E ≠ 0 of the gradient (analytic minus true) shows in the projection as ⟨E, pqᵀ⟩ =
//     pᵀEq, a nonzero bilinear form in (p, q): it vanishes only on a set of measure zero, like
//     ⟨E, u⟩ for a dense u;
//   - for entries drawn independently with zero mean and variance σ², E[(pᵀEq)²] = σ⁴‖E‖² and
//     ‖pqᵀ‖² = ‖p‖²‖q‖² ≈ σ⁴RC, against E[⟨E, u⟩²] = σ²‖E‖² and ‖u‖² ≈ σ²RC for a dense u: the
//     error the projection sees, relative to the length of the direction, has the same mean square
//     (‖E‖²/RC); so does the gradient's own projection, which the error is compared with;
//   - every entry of u is nonzero, |p_i q_j| ≥ 0.25/(‖p‖‖q‖) with magnitudes in [0.5, 1.5), so a
//     single wrong entry always shows, as with a dense direction (≥ 0.5/‖u‖).
// The draws are the dense direction's law (a random sign times a magnitude uniform in [0.5, 1.5)):
// p from the first R draws of the stream, q from the next C.
import { Prng } from '../engine/prng';
import { simdDotRows } from '../tensor/simdElementwise';

/** Fills `out` with the next `out.length` draws of `rng` (sign times magnitude), normalised; returns `out`. */
function drawUnit(rng: Prng, out: Float64Array): Float64Array {
  const size = out.length;
  let norm = 0;
  for (let i = 0; i < size; i++) {
    const r = rng.nextU32();
    const magnitude = 0.5 + (r >>> 1) / 2147483648;
    // ±1 times the magnitude (exact): a branch on a random bit is mispredicted half the time (3× slower).
    const v = (1 - 2 * (r & 1)) * magnitude;
    out[i] = v;
    norm += v * v;
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < size; i++) out[i] /= norm;
  return out;
}

/**
 * A seeded random unit direction of `size` entries: a random sign times a magnitude uniform in
 * [0.5, 1.5), normalised. One 32-bit draw per entry (a Gaussian's logarithm and cosine cost 0.4 s
 * for the 307,200 entries of mlp2's W1); magnitudes that vary continuously keep errors of equal
 * size and opposite sign (a transposed gradient) from cancelling, as plain ±1 signs could.
 */
export function unitDirection(size: number, seed: number, stream: string): Float64Array {
  return drawUnit(new Prng(seed, `gradcheck:fast:${stream}`), new Float64Array(size));
}

/** A unit direction: dense, or for a matrix the outer product of `rows` and `cols` (flat entry i·C + j is rows[i]·cols[j]). */
export class Direction {
  private constructor(
    readonly size: number,
    readonly dense: Float64Array | null,
    readonly rows: Float64Array | null,
    readonly cols: Float64Array | null,
  ) {}

  /** The direction of a tensor of `shape` (see the head of this file). */
  static of(shape: readonly number[], seed: number, stream: string): Direction {
    if (shape.length === 2) {
      const rng = new Prng(seed, `gradcheck:fast:${stream}`);
      const rows = drawUnit(rng, new Float64Array(shape[0]));
      const cols = drawUnit(rng, new Float64Array(shape[1]));
      return new Direction(shape[0] * shape[1], null, rows, cols);
    }
    let size = 1;
    for (const d of shape) size *= d;
    return new Direction(size, unitDirection(size, seed, stream), null, null);
  }

  /** Every entry (for the bisection of a failing projection). */
  entries(): Float64Array {
    if (this.dense) return this.dense;
    const rows = this.rows as Float64Array;
    const cols = this.cols as Float64Array;
    const C = cols.length;
    const u = new Float64Array(this.size);
    for (let i = 0; i < rows.length; i++) {
      const p = rows[i];
      for (let j = 0; j < C; j++) u[i * C + j] = p * cols[j];
    }
    return u;
  }

  /** ⟨g, u⟩ and ‖u‖² in one pass over g. */
  dotAndNorm(g: Float64Array): { dot: number; norm2: number } {
    if (this.dense) return { dot: dotRows(g, this.dense, new Float64Array(1))[0], norm2: sumSquares(this.dense) };
    const rows = this.rows as Float64Array;
    const cols = this.cols as Float64Array;
    const perRow = dotRows(g, cols, new Float64Array(rows.length));
    let sum = 0;
    for (let i = 0; i < rows.length; i++) sum += rows[i] * perRow[i];
    return { dot: sum, norm2: sumSquares(rows) * sumSquares(cols) };
  }

  /** out = base + t·u, entry by entry. */
  step(out: Float64Array, base: Float64Array, t: number): void {
    if (this.dense) {
      const u = this.dense;
      for (let i = 0; i < u.length; i++) out[i] = base[i] + t * u[i];
      return;
    }
    const rows = this.rows as Float64Array;
    const cols = this.cols as Float64Array;
    const C = cols.length;
    for (let i = 0; i < rows.length; i++) {
      const tp = t * rows[i];
      for (let j = 0, o = i * C; j < C; j++) out[o + j] = base[o + j] + tp * cols[j];
    }
  }
}

function sumSquares(v: Float64Array): number {
  return dot(v, 0, v, v.length);
}

/**
 * out[r] = dot(a, r·n, b, n) for every row r of `a` (rows of n = b.length entries): on WebAssembly
 * SIMD when it can (the same sums in the same order: the same bits), else in this loop. Returns `out`.
 */
export function dotRows(a: Float64Array, b: Float64Array, out: Float64Array): Float64Array {
  if (simdDotRows(a, b, out)) return out;
  const n = b.length;
  for (let r = 0; r < out.length; r++) out[r] = dot(a, r * n, b, n);
  return out;
}

/**
 * Σ a[off + j]·b[j] for j < n, in four interleaved sums: one running sum waits for each add before
 * the next (a latency chain: 0.45 against 0.33 ms on the 307,200 entries of mlp2's W1). The order
 * is simdDotRows' too (dotRows).
 */
export function dot(a: Float64Array, off: number, b: Float64Array, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < n; j += 4) {
    s0 += a[off + j] * b[j];
    s1 += a[off + j + 1] * b[j + 1];
    s2 += a[off + j + 2] * b[j + 2];
    s3 += a[off + j + 3] * b[j + 3];
  }
  for (; j < n; j++) s0 += a[off + j] * b[j];
  return s0 + s1 + (s2 + s3);
}
