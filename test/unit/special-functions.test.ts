// erf, erfc, Φ, φ, gelu's slope Φ + x·φ (erf.ts), e^w and e^w − 1 for w ≤ 0 and tanh (elementary.ts) against
// mpmath at 40 digits, in units in the last place of the exact value: random points over each
// function's range, the edges of the polynomial pieces and the special values.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { expm1NonPositive, expNonPositive, tanh, tanhInto } from '../../src/core/tensor/elementary';
import { erf, erfc, normalCdf, normalCdfInto, geluKeepingSlopeInto, normalCdfSlope, normalCdfSlopeInto, normalPdf } from '../../src/core/tensor/erf';
import { testRng } from './helpers/opcheck';
import { EXP2_HI, EXP2_LO, INV_LN2_32, LN2_32_HI, LN2_32_LO } from '../../src/core/tensor/specialFunctions.generated';

const MIN_NORMAL = 2.2250738585072014e-308;

/** The spacing of doubles at |v| (the subnormal spacing below the normal range). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < MIN_NORMAL) return 2 ** -1074;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return 2 ** (e - 52);
}

/** Each point's exact value of every named mpmath expression (in x), rounded to double. */
function reference(exprs: string[], xs: number[]): number[][] {
  const py = `
import json, sys, mpmath as mp
mp.mp.dps = 40
xs = json.load(sys.stdin)
fs = [${exprs.map((e) => `lambda x: ${e}`).join(', ')}]
print(json.dumps([[float(f(mp.mpf(x))) for f in fs] for x in xs]))`;
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(xs), maxBuffer: 1 << 26 }).toString()) as number[][];
}

/** Random points in ±range and the pieces' edges (multiples of 1/2 up to 4) with their neighbours. */
function points(seed: number, ranges: number[], each: number, scale = 1): number[] {
  const rng = testRng(seed);
  const xs: number[] = [];
  for (const r of ranges) for (let i = 0; i < each; i++) xs.push((rng() * 2 - 1) * r);
  for (let k = 1; k <= 8; k++) {
    const b = (k / 2) * scale;
    for (const v of [b - ulp(b), b, b + ulp(b)]) xs.push(v, -v);
  }
  return xs;
}

/** The largest error, in ulps of the exact value (or of `scaleOf(x)` when given). */
function worstUlps(xs: number[], ref: number[], f: (x: number) => number, scaleOf?: (x: number, exact: number) => number): { ulps: number; at: number } {
  let worst = { ulps: 0, at: NaN };
  xs.forEach((x, i) => {
    const got = f(x);
    const unit = ulp(scaleOf ? scaleOf(x, ref[i]) : ref[i]);
    const e = Math.abs(got - ref[i]) / unit;
    assert.ok(Number.isFinite(got), `f(${x}) = ${got}`);
    if (e > worst.ulps) worst = { ulps: e, at: x };
  });
  return worst;
}

describe('erf, erfc and the normal distribution (erf.ts)', () => {
  // Up to 30: past 27.3 erfc is 0 and Φ(−x·√2) saturates; Φ's own argument goes to ±38.
  const xs = points(1, [0.7, 3, 8, 30], 600);
  const cdfXs = points(2, [1, 4, 11, 38], 600, Math.SQRT2);
  const ref = reference(['mp.erf(x)', 'mp.erfc(x)'], xs);
  const cdfRef = reference(['mp.ncdf(x)', 'mp.npdf(x)', 'mp.ncdf(x) + x * mp.npdf(x)'], cdfXs);
  const col = (r: number[][], j: number) => r.map((row) => row[j]);

  it('erf is within 2 ulp, erfc within 3', () => {
    const e = worstUlps(xs, col(ref, 0), erf);
    const c = worstUlps(xs, col(ref, 1), erfc);
    assert.ok(e.ulps <= 2, `erf: ${e.ulps} ulp at ${e.at}`);
    assert.ok(c.ulps <= 3, `erfc: ${c.ulps} ulp at ${c.at}`);
  });

  it('Φ is within 4 ulp (both tails), φ within 2', () => {
    const p = worstUlps(cdfXs, col(cdfRef, 0), normalCdf);
    const d = worstUlps(cdfXs, col(cdfRef, 1), normalPdf);
    assert.ok(p.ulps <= 4, `Φ: ${p.ulps} ulp at ${p.at}`);
    assert.ok(d.ulps <= 2, `φ: ${d.ulps} ulp at ${d.at}`);
  });

  it('gelu’s slope Φ + x·φ is within 3 ulp of its terms’ size (it crosses 0 near x = −0.75), and is normalCdf + x·normalPdf bit for bit', () => {
    const s = worstUlps(cdfXs, col(cdfRef, 2), normalCdfSlope, (x, exact) => Math.max(Math.abs(exact), cdfRef[cdfXs.indexOf(x)][0], Math.abs(x) * cdfRef[cdfXs.indexOf(x)][1]));
    assert.ok(s.ulps <= 3, `slope: ${s.ulps} ulp at ${s.at}`);
    for (const x of cdfXs) assert.equal(normalCdfSlope(x), normalCdf(x) + x * normalPdf(x), `x = ${x}`);
  });

  it('the array kernels give the scalar values', () => {
    const x = Float64Array.from(cdfXs);
    const a = new Float64Array(x.length);
    const b = new Float64Array(x.length);
    normalCdfInto(x, a);
    normalCdfSlopeInto(x, b);
    x.forEach((v, i) => {
      assert.equal(a[i], normalCdf(v));
      assert.equal(b[i], normalCdfSlope(v));
    });
  });

  it('gelu’s forward keeping its slope gives x·Φ(x) and the slope with each function’s bits, special values included', () => {
    const special = [0, -0, NaN, Infinity, -Infinity, 40, -40, 40.5, -40.5, 1e-300, -1e-300, 5e-324, 0.75, -0.75, 27.3, -27.3];
    const x = Float64Array.from([...cdfXs, ...special, ...Array.from({ length: 4000 }, (_, i) => (i - 2000) / 97)]);
    const cdf = new Float64Array(x.length);
    const slope = new Float64Array(x.length);
    const both = [new Float64Array(x.length), new Float64Array(x.length)];
    normalCdfInto(x, cdf);
    normalCdfSlopeInto(x, slope);
    geluKeepingSlopeInto(x, both[0], both[1]);
    x.forEach((v, i) => {
      assert.ok(Object.is(both[0][i], cdf[i] * v), `x·Φ at x = ${v}: ${both[0][i]} vs ${cdf[i] * v}`);
      assert.ok(Object.is(both[1][i], slope[i]), `slope at x = ${v}: ${both[1][i]} vs ${slope[i]}`);
    });
  });

  it('special values: ±0, ±Infinity, NaN, the far tails', () => {
    assert.ok(Object.is(erf(-0), -0) && Object.is(erf(0), 0));
    assert.equal(erf(Infinity), 1);
    assert.equal(erf(-Infinity), -1);
    assert.equal(erfc(Infinity), 0);
    assert.equal(erfc(-Infinity), 2);
    assert.equal(erfc(0), 1);
    assert.equal(erfc(27.3), 0);
    assert.ok(erfc(27.2) > 0, 'erfc(27.2) is a subnormal, not 0');
    assert.equal(normalCdf(0), 0.5);
    assert.equal(normalCdf(Infinity), 1);
    assert.equal(normalCdf(-Infinity), 0);
    assert.equal(normalCdfSlope(Infinity), 1);
    assert.equal(normalCdfSlope(-Infinity), 0);
    assert.equal(normalPdf(Infinity), 0);
    for (const f of [erf, erfc, normalCdf, normalPdf, normalCdfSlope]) assert.ok(Number.isNaN(f(NaN)));
  });
});

describe('e^w, e^w − 1 and tanh (elementary.ts)', () => {
  it('e^w for w ≤ 0 is within 1 ulp, down to the subnormals', () => {
    const rng = testRng(3);
    const ws = [0, -1e-300, -0.5, -1, -700, -745];
    for (let i = 0; i < 1500; i++) ws.push(-rng() * 2, -rng() * 750);
    const ref = reference(['mp.exp(x)'], ws).map((r) => r[0]);
    const e = worstUlps(ws, ref, expNonPositive);
    assert.ok(e.ulps <= 1, `exp: ${e.ulps} ulp at ${e.at}`);
    assert.equal(expNonPositive(0), 1);
    assert.equal(expNonPositive(-746), 0);
    assert.equal(expNonPositive(-Infinity), 0);
    assert.ok(Number.isNaN(expNonPositive(NaN)));
  });

  it('e^w − 1 for w ≤ 0 is within 1 ulp, small w included', () => {
    const rng = testRng(5);
    const ws = [-1e-300, -1e-12, -Math.LN2 / 2, -Math.LN2, -40, -41];
    for (let i = 0; i < 1500; i++) ws.push(-rng() * 0.05, -rng() * 3, -rng() * 45);
    const ref = reference(['mp.expm1(x)'], ws).map((r) => r[0]);
    const e = worstUlps(ws, ref, expm1NonPositive);
    assert.ok(e.ulps <= 1, `expm1: ${e.ulps} ulp at ${e.at}`);
    assert.equal(expm1NonPositive(-Infinity), -1);
    assert.ok(Number.isNaN(expm1NonPositive(NaN)));
  });

  it('tanh is within 2 ulp (as Math.tanh here), keeps −0, and saturates at ±1; tanhInto gives the same values', () => {
    const xs = points(4, [0.05, 0.7, 3, 25], 800);
    xs.push(1e-10, -1e-10, 2 ** -27, -(2 ** -27));
    const ref = reference(['mp.tanh(x)'], xs).map((r) => r[0]);
    const t = worstUlps(xs, ref, tanh);
    assert.ok(t.ulps <= 2, `tanh: ${t.ulps} ulp at ${t.at}`);
    const arr = Float64Array.from(xs);
    tanhInto(arr, arr, 1, arr.length - 1);
    assert.equal(arr[0], xs[0], 'outside [from, to) is left alone');
    for (let i = 1; i < xs.length - 1; i++) assert.equal(arr[i], tanh(xs[i]));
    assert.ok(Object.is(tanh(-0), -0));
    assert.equal(tanh(Infinity), 1);
    assert.equal(tanh(-Infinity), -1);
    assert.equal(tanh(20), 1);
    assert.ok(Number.isNaN(tanh(NaN)));
  });
});

describe('elementary-round', () => {
  it('e^w takes its table index from floor(y + 1/2), bit for bit what Math.round(y) gives, ties and neighbours included', () => {
    // The same method with Math.round (its former code): n, r, the polynomial and the table.
    const round = (w: number): number => {
      if (!(w >= -745.2)) return w !== w ? w : 0;
      const n = Math.round(w * INV_LN2_32);
      const r = w - n * LN2_32_HI - n * LN2_32_LO;
      const p = r + r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720)))));
      const hi = EXP2_HI[n & 31];
      const lo = EXP2_LO[n & 31];
      return 2 ** (n >> 5) * (hi + (lo + (hi + lo) * p));
    };
    const ws: number[] = [0, -0, NaN, -Infinity, -745.2, -745.1, -1e-300, -5e-324, -0.5, -1];
    // y = w·32/ln2 at every tie k − 1/2 down to the underflow, one ulp either side of it, and around ±1/4.
    for (let k = 0; k >= -34404; k--) {
      const w = (k - 0.5) / INV_LN2_32;
      ws.push(w, w * (1 + 2 ** -52), w * (1 - 2 ** -52));
    }
    for (const y of [-0.25, -0.5, -0.75]) for (const d of [-2, -1, 0, 1, 2]) ws.push((y + d * 2 ** -54) / INV_LN2_32);
    const rng = testRng(77);
    for (let i = 0; i < 200000; i++) ws.push(-(rng() ** 4) * 745, -rng() * 1e-2, -(2 ** (-1074 * rng())));
    let mismatches = 0;
    for (const w of ws) if (!Object.is(expNonPositive(w), round(w))) mismatches++;
    assert.equal(mismatches, 0);
  });
});
