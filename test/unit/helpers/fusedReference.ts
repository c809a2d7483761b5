// The reference order of a matrix product in the arithmetic this process uses (core/tensor/matmul.ts):
// the scalar path's multiply-then-add, or — where the products fuse — the same order with each
// step a·b + acc rounded once, computed exactly here with BigInt (JavaScript has no fused
// multiply-add), so that the fused kernel is checked bit for bit against an independent model.
import { gemm, gemmArithmetic, gemmScalar } from '../../../src/core/tensor/matmul';

/** Past this many multiply-adds the exact model is too slow (0.6 µs each): see gemmReference. */
const EXACT_MAX_WORK = 400_000;

const view = new DataView(new ArrayBuffer(8));

/** x = m · 2^e exactly (m a signed integer); x finite. */
function exact(x: number): { m: bigint; e: number } {
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const field = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const m = field === 0 ? fraction : fraction | (1n << 52n);
  return { m: negative ? -m : m, e: field === 0 ? -1074 : field - 1075 };
}

/** a·b + c rounded once to the nearest double (ties to even), for finite operands of moderate size. */
export function fusedMultiplyAdd(a: number, b: number, c: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c)) return a * b + c;
  const x = exact(a);
  const y = exact(b);
  const z = exact(c);
  const p = x.m * y.m;
  const ep = x.e + y.e;
  // Zeros have no exponent to align to.
  const e = p === 0n ? z.e : z.m === 0n ? ep : Math.min(ep, z.e);
  const sum = (p === 0n ? 0n : p << BigInt(ep - e)) + (z.m === 0n ? 0n : z.m << BigInt(z.e - e));
  // An exact zero is +0 unless the product and c are both -0 (IEEE 754, rounding to nearest).
  if (sum === 0n) return Object.is(a * b, -0) && Object.is(c, -0) ? -0 : 0;
  if (e < -1000) throw new Error('fusedMultiplyAdd: operands too small for this reference');
  // Number(bigint) rounds to the nearest double; the power of two then scales it exactly.
  return Number(sum) * 2 ** e;
}

/**
 * gemm's contract in the process's arithmetic: each entry from +0 in ascending k, then C (+)= sum.
 * Fused products larger than EXACT_MAX_WORK are computed a row at a time through gemm instead —
 * other tiles and packing, the same arithmetic the smaller products check exactly.
 */
export function gemmReference(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  B: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  if (gemmArithmetic() === 'separate') {
    gemmScalar(M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate);
    return;
  }
  if (M * N * K > EXACT_MAX_WORK) {
    for (let i = 0; i < M; i++) gemm(1, N, K, A, aOff + i * ars, ars, acs, B, bOff, brs, bcs, C, cOff + i * N, accumulate);
    return;
  }
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc = fusedMultiplyAdd(A[aOff + i * ars + k * acs], B[bOff + k * brs + j * bcs], acc);
      const at = cOff + i * N + j;
      C[at] = accumulate ? C[at] + acc : acc;
    }
  }
}
