// e^w for w ≤ 0 and tanh, in plain arithmetic: Math.exp and Math.tanh are calls out of the
// compiled loop (about 7 and 14 ns each here), these are inlined (about 4 and 7 ns). Both within
// two units in the last place; test/unit/special-functions.test.ts measures them against mpmath
// at 40 digits. The tables and fits come from scripts/special-functions.py.
import { EXP2_HI, EXP2_LO, INV_LN2_32, LN2_32_HI, LN2_32_LO, TANH_SMALL } from './specialFunctions.generated';

/** Below this e^w is below half the smallest subnormal: 0. */
const EXP_ZERO = -745.2;
/** Past this tanh(x) rounds to ±1 (1 − tanh(x) ≈ 2e^(−2x) < 2^−54). */
const TANH_ONE = 20;
/** Below this tanh(x) rounds to x (x³/3 below half an ulp of x). */
const TANH_LINEAR = 2 ** -27;

/** 2^(i − POW2_BIAS) for i = 0 … POW2_BIAS: exact powers of two, subnormal ones included. */
const POW2_BIAS = 1100;
const POW2 = new Float64Array(POW2_BIAS + 1);
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
  const n = Math.round(w * INV_LN2_32);
  const j = n & 31;
  const r = w - n * LN2_32_HI - n * LN2_32_LO;
  const p = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))));
  const hi = EXP2_HI[j];
  const lo = EXP2_LO[j];
  return POW2[(n >> 5) + POW2_BIAS] * (hi + (lo + (hi + lo) * p));
}

/**
 * tanh(x): x + x³·P(x²) below 0.625, else (1 − e)/(1 + e) with e = e^(−2|x|) (no cancellation there:
 * e ≤ 0.29).
 */
export function tanh(x: number): number {
  const a = Math.abs(x);
  if (a < 0.625) {
    if (a < TANH_LINEAR) return x;
    const u = x * x;
    const c = TANH_SMALL;
    let p = c[0];
    for (let i = 1; i < c.length; i++) p = p * u + c[i];
    return x + x * u * p;
  }
  if (!(a < TANH_ONE)) return x !== x ? x : x > 0 ? 1 : -1;
  const e = expNonPositive(-2 * a);
  const t = (1 - e) / (1 + e);
  return x > 0 ? t : -t;
}
