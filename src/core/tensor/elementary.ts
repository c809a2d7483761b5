// e^w and e^w − 1 for w ≤ 0, and tanh, in plain arithmetic: Math.exp and Math.tanh are calls out
// of the compiled loop (about 7 and 12 ns each here), these are inlined (about 4 and 6 ns).
// test/unit/special-functions.test.ts measures them against mpmath at 40 digits. The tables and
// fits come from scripts/special-functions.py.
import { EXP2_HI, EXP2_LO, EXPM1_Q, INV_LN2_32, LN2_32_HI, LN2_32_LO, LN2_HI, LN2_LO } from './specialFunctions.generated';

/** Below this e^w is below half the smallest subnormal: 0. */
const EXP_ZERO = -745.2;
/** Past this tanh(x) rounds to ±1 (1 − tanh(x) ≈ 2e^(−2x) < 2^−54). */
const TANH_ONE = 20;
/** Below this tanh(x) rounds to x (x³/3 below half an ulp of x); ±0 returns itself there. */
const TANH_LINEAR = 2 ** -27;

/** 2^(i − POW2_BIAS) for i = 0 … POW2_BIAS: exact powers of two, subnormal ones included. */
export const POW2_BIAS = 1100;
export const POW2 = new Float64Array(POW2_BIAS + 1);
{
  let p = 1;
  for (let i = POW2_BIAS; i >= 0; i--) {
    POW2[i] = p;
    p *= 0.5;
  }
}

/**
 * e^w for w ≤ 0 (Tang's table method): w = n·ln2/32 + r with n = 32m + j and |r| ≤ ln2/64, then
 * e^w = 2^m·2^(j/32)·(1 + p(r)), p a degree-6 Taylor polynomial (error below 2^−58 there) and
 * 2^(j/32) held in two doubles so that only the last addition rounds.
 */
export function expNonPositive(w: number): number {
  if (!(w >= EXP_ZERO)) return w !== w ? w : 0;
  // Math.round(y) for y ≤ 0, without its branch (random arguments mispredicted it: gelu took 26 ns
  // an entry, now 20): y + 0.5 is exact for y ≤ −1/4, and above that both give a zero, at most of
  // the other sign, which r and the result never see (test: elementary-round).
  const n = Math.floor(w * INV_LN2_32 + 0.5);
  const j = n & 31;
  const r = w - n * LN2_32_HI - n * LN2_32_LO;
  const p = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))));
  const hi = EXP2_HI[j];
  const lo = EXP2_LO[j];
  return POW2[(n >> 5) + POW2_BIAS] * (hi + (lo + (hi + lo) * p));
}

/** Below this e^w − 1 rounds to −1 (e^−40 is below half an ulp of 1). */
const EXPM1_FLOOR = -40;

/**
 * e^w − 1 for w ≤ 0, accurate where it is small: w = n·ln2 + r with |r| ≤ ln2/2 and no table,
 * then (2^n − 1) + 2^n·(r + r²·Q(r)) — for n = 0 that is the polynomial itself (no cancellation),
 * for n < 0 the result is at least 0.29 in size and 2^n − 1 exact.
 */
export function expm1NonPositive(w: number): number {
  const v = Math.max(w, EXPM1_FLOOR);
  const n = Math.round(v * Math.LOG2E);
  const r = v - n * LN2_HI - n * LN2_LO;
  // Q (its 11 coefficients) by Estrin's scheme: three levels of independent products, not a
  // chain of ten — the chain's latency was most of the cost.
  const c = EXPM1_Q;
  const r2 = r * r;
  const r4 = r2 * r2;
  const q0 = c[10] + c[9] * r + (c[8] + c[7] * r) * r2;
  const q1 = c[6] + c[5] * r + (c[4] + c[3] * r) * r2;
  const q2 = c[2] + c[1] * r + c[0] * r2;
  const q = q0 + (q1 + q2 * r4) * r4;
  const s = POW2[(n | 0) + POW2_BIAS]; // NaN | 0 is 0: a NaN reads inside the table (and is returned below)
  return w !== w ? w : s - 1 + s * (r + r * r * q);
}

/**
 * tanh(x) = −sign(x)·m/(2 + m) with m = e^(−2|x|) − 1: one formula for every x (a branch on the
 * size of x would be mispredicted half the time in a layer of mixed values).
 */
export function tanh(x: number): number {
  const a = Math.min(Math.abs(x), TANH_ONE);
  if (a < TANH_LINEAR) return x;
  const m = expm1NonPositive(-2 * a);
  const t = m / (2 + m);
  return x !== x ? x : x < 0 ? t : -t;
}

/** out[i] = tanh(x[i]) for from ≤ i < to (x and out may be the same array). */
export function tanhInto(x: Float64Array, out: Float64Array, from = 0, to = x.length): void {
  for (let i = from; i < to; i++) out[i] = tanh(x[i]);
}
