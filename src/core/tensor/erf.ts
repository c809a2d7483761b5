// The error function, for gelu (Φ(x) = (1 + erf(x/√2))/2). Math has no erf: near 0 a series of
// positive terms (no cancellation), in the tails the continued fraction of erfc — both
// within a few units in the last place of double precision (test/unit/ops-activations.test.ts
// compares them with Python's math.erf/erfc).

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/** erf(z) for |z| < 2.5: 2/√π · e^(−z²) · Σ (2z²)ⁿ z / (1·3·…·(2n+1)). */
function erfSeries(z: number): number {
  const z2 = 2 * z * z;
  let term = z;
  let sum = z;
  for (let n = 1; n < 200; n++) {
    term *= z2 / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-z * z) * sum;
}

/**
 * erfc(z) for z ≥ 1.5: e^(−z²)/√π / (z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), 120 levels below
 * z = 2.5 and 60 above (both converged to double precision there).
 */
function erfcFraction(z: number): number {
  let f = z;
  for (let n = z < 2.5 ? 120 : 60; n >= 1; n--) f = z + n / 2 / f;
  return (ONE_OVER_SQRT_PI * Math.exp(-z * z)) / f;
}

export function erf(z: number): number {
  if (z !== z) return z;
  if (Math.abs(z) < 2.5) return erfSeries(z);
  return z > 0 ? 1 - erfcFraction(z) : erfcFraction(-z) - 1;
}

export function erfc(z: number): number {
  if (z !== z) return z;
  if (Math.abs(z) < 1.5) return 1 - erfSeries(z);
  return z > 0 ? erfcFraction(z) : 2 - erfcFraction(-z);
}

/** Φ(x), the standard normal CDF, accurate in both tails (through erfc). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** φ(x), the standard normal density. */
export function normalPdf(x: number): number {
  return 0.3989422804014327 * Math.exp(-0.5 * x * x);
}
