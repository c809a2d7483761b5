// The error function, for gelu (Φ(x) = (1 + erf(x/√2))/2). Math has no erf: polynomial fits
// computed with mpmath (scripts/special-functions.py, specialFunctions.generated.ts) —
//   |x| < 0.5:      erf(x)  = x·S(x²)            (erf only; erfc and Φ there use the pieces below)
//   0 ≤ x < 4:      erfc(x) = e^(−x²)·M_k(x − m_k), eight pieces of width 1/2
//   x ≥ 4:          erfc(x) = e^(−x²)/x·T(1/x²)
// with e^(−x²) taken from the exact square of x (split in two doubles), so the rounding of x² does
// not grow into the tails' error. A few units in the last place at most, no iteration:
// test/unit/special-functions.test.ts measures the error against mpmath at 40 digits.
import { expNonPositive } from './elementary';
import { ERF_SMALL, ERFC_MID_START, ERFC_MID_TERMS, ERFC_MID_WIDTH, ERFC_PIECES, ERFC_TAIL_START } from './specialFunctions.generated';

/** Past this erfc(x) is below half the smallest subnormal: 0. */
const ERFC_ZERO = 27.3;
/** 1/√(2π), φ(0). */
const INV_SQRT_2PI = 0.3989422804014327;
/** 2^27 + 1, Veltkamp's splitting constant for doubles. */
const SPLITTER = 134217729;

/** x·S(x²), erf for |x| < 0.5. */
function erfSmall(x: number): number {
  const u = x * x;
  const s = ERF_SMALL;
  let p = s[0];
  for (let i = 1; i < s.length; i++) p = p * u + s[i];
  return x * p;
}

/**
 * Σ c[i+k]·t^k for k < 16: the twelve highest terms by Estrin's scheme (three levels of independent
 * products instead of a chain of twelve — the chain's latency, not its arithmetic, was gelu's cost),
 * the four lowest by Horner's rule, whose last steps keep the rounding error near half an ulp.
 */
function poly16(c: Float64Array, i: number, t: number): number {
  const t2 = t * t;
  const t4 = t2 * t2;
  const b0 = c[i + 4] + c[i + 5] * t + (c[i + 6] + c[i + 7] * t) * t2;
  const b1 = c[i + 8] + c[i + 9] * t + (c[i + 10] + c[i + 11] * t) * t2;
  const b2 = c[i + 12] + c[i + 13] * t + (c[i + 14] + c[i + 15] * t) * t2;
  const high = b0 + (b1 + b2 * t4) * t4;
  return c[i] + t * (c[i + 1] + t * (c[i + 2] + t * (c[i + 3] + t * high)));
}

/**
 * erfc(z)·e^(z²) for 0 ≤ z < ERFC_ZERO (z ≥ 4 through T(1/z²)/z). One call of poly16 for all the
 * pieces: a second call site would not be inlined any more, and a call that is not inlined returns
 * its double boxed (an allocation per element).
 */
function erfcScaled(z: number): number {
  const tail = z >= ERFC_TAIL_START;
  // k is the tail's index (the piece after the last middle one) from z = ERFC_TAIL_START on.
  const k = Math.floor((Math.min(z, ERFC_TAIL_START) - ERFC_MID_START) / ERFC_MID_WIDTH) | 0; // NaN reads piece 0
  const t = tail ? 1 / (z * z) : z - (ERFC_MID_START + (k + 0.5) * ERFC_MID_WIDTH);
  const p = poly16(ERFC_PIECES, k * ERFC_MID_TERMS, t);
  return tail ? p / z : p;
}

/**
 * t² − fl(t²) exactly (Dekker's product: t split in two halves of 26 bits), for t < 2^500. With
 * it e^(−t²) = e^(−fl(t²))·(1 − lo) to far below an ulp — the rounding of t² alone would put a
 * relative error of t²·2^-53 into the tails (25 ulp at t = 5).
 */
function squareLow(t: number, hi: number): number {
  const c = SPLITTER * t;
  const th = c - (c - t);
  const tl = t - th;
  return th * th - hi + 2 * th * tl + tl * tl;
}

/** e^(−t²·scale)·f for t ≥ 0 and scale 1 or 1/2, with f·(1 − lo·scale) in one rounding. */
function expNegSquareTimes(t: number, scale: number, f: number): number {
  const hi = t * t;
  const lo = squareLow(t, hi) * scale;
  return expNonPositive(-hi * scale) * (f - f * lo);
}

export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 0.5) return erfSmall(x);
  if (!(z < ERFC_ZERO)) return x !== x ? x : Math.sign(x);
  const q = expNegSquareTimes(z, 1, erfcScaled(z));
  return x > 0 ? 1 - q : q - 1;
}

export function erfc(x: number): number {
  const z = Math.abs(x);
  if (z < 0.5) return 1 - erfSmall(x);
  if (!(z < ERFC_ZERO)) return x !== x ? x : x > 0 ? 0 : 2;
  const q = expNegSquareTimes(z, 1, erfcScaled(z));
  return x > 0 ? q : 2 - q;
}

/** Past ±this Φ is 0 or 1 and φ is 0 (in doubles); the Φ kernels clamp x there. */
const NORMAL_SATURATED = 40;

// The Φ kernels work on arrays, with the per-element formula written in the loop itself: V8
// inlines the small helpers above into the loop, but not a per-element function that it has
// already compiled on its own (its inlined size counts), and a call that is not inlined returns
// its double boxed — an allocation per element. The same goes for a branch returning a small
// integer (say `return 1`): the results are then merged as tagged values and boxed. So every
// number but NaN takes one path, its input clamped to ±40.

/**
 * Φ's two branches, 1 − q for x > 0 and q otherwise, are both computed and one is read from here by
 * index: a branch on the sign of x was mispredicted on half of a layer's entries (8 ns an entry of
 * gelu's 26, with Math.round's branch in expNonPositive).
 */
const PICK = new Float64Array(2);

/** out[i] = Φ(x[i]), the standard normal CDF: from erfc(|x|/√2)/2, with e^(−x²/2) taken from x itself (not the rounded x/√2). */
export function normalCdfInto(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = Math.min(Math.abs(v), NORMAL_SATURATED);
    const q = expNegSquareTimes(t, 0.5, 0.5 * erfcScaled(t * Math.SQRT1_2));
    PICK[0] = q;
    PICK[1] = 1 - q;
    out[i] = v !== v ? v : PICK[+(v > 0)];
  }
}

/**
 * out[i] = Φ(x[i]) + x[i]·φ(x[i]), the derivative of x·Φ(x) (gelu), from one exponential: the
 * same values as normalCdf(x) + x·normalPdf(x).
 */
export function normalCdfSlopeInto(x: Float64Array, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const xc = Math.max(-NORMAL_SATURATED, Math.min(v, NORMAL_SATURATED));
    const t = Math.abs(xc);
    const hi = t * t;
    const lo = squareLow(t, hi) * 0.5;
    const e = expNonPositive(-hi * 0.5);
    const f = 0.5 * erfcScaled(t * Math.SQRT1_2);
    const q = e * (f - f * lo);
    PICK[0] = q;
    PICK[1] = 1 - q;
    const cdf = PICK[+(v > 0)];
    out[i] = v !== v ? v : cdf + xc * (e * (INV_SQRT_2PI - INV_SQRT_2PI * lo));
  }
}

/**
 * gelu's forward, keeping its slope for backward: out[i] = x·Φ(x) and slope[i] = Φ(x) + x·φ(x),
 * the exponential and the polynomial taken once for both, each with the bits of normalCdfInto (times
 * x) and normalCdfSlopeInto (the same operations on the same values). Written out in one loop (the
 * square's low part too): inlined into a caller, a loop of calls ran out of V8's inlining budget
 * and its calls returned boxed doubles.
 */
export function geluKeepingSlopeInto(x: Float64Array, out: Float64Array, slope: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const xc = Math.max(-NORMAL_SATURATED, Math.min(v, NORMAL_SATURATED));
    const t = Math.abs(xc);
    const hi = t * t;
    const split = SPLITTER * t;
    const th = split - (split - t);
    const tl = t - th;
    const lo = (th * th - hi + 2 * th * tl + tl * tl) * 0.5;
    const e = expNonPositive(-hi * 0.5);
    const f = 0.5 * erfcScaled(t * Math.SQRT1_2);
    const q = e * (f - f * lo);
    PICK[0] = q;
    PICK[1] = 1 - q;
    const c = PICK[+(v > 0)];
    out[i] = (v !== v ? v : c) * v;
    slope[i] = v !== v ? v : c + xc * (e * (INV_SQRT_2PI - INV_SQRT_2PI * lo));
  }
}

const ONE = new Float64Array(1);

/** Φ(x), one value (normalCdfInto). */
export function normalCdf(x: number): number {
  ONE[0] = x;
  normalCdfInto(ONE, ONE);
  return ONE[0];
}

/** Φ(x) + x·φ(x), one value (normalCdfSlopeInto). */
export function normalCdfSlope(x: number): number {
  ONE[0] = x;
  normalCdfSlopeInto(ONE, ONE);
  return ONE[0];
}

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  const t = Math.abs(x);
  if (!(t < NORMAL_SATURATED)) return x !== x ? x : 0;
  return expNegSquareTimes(t, 0.5, INV_SQRT_2PI);
}
