// The WebAssembly SIMD elementwise kernels (tensor/simdElementwise.ts) give the bits of the scalar
// loops they stand in for (relu, its backward, sums, scaled copies), on every kind of entry (±0, ±Inf, NaN, subnormals), on odd lengths and
// odd rows; the finiteness scan finds any NaN or Inf; tensors too small for them are the caller's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simdAddRows, simdAllFinite, simdDotRows, simdGelu, simdRelu, simdReluBackward, simdScale, simdSumSquares8, simdTanhRows } from '../../src/core/tensor/simdElementwise';
import { tanh } from '../../src/core/tensor/elementary';
import { geluKeepingSlopeInto } from '../../src/core/tensor/erf';
import { dot } from '../../src/core/checks/direction';
import { xorshiftUniforms } from './helpers/xorshift';

const SPECIAL = [0, -0, 1, -1, Infinity, -Infinity, NaN, 5e-324, -5e-324, 1.7e308, -1.7e308];

/** Deterministic entries: mostly in [-1, 1), every special value among them. */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  const uniform = xorshiftUniforms(seed);
  for (let i = 0; i < n; i++) {
    const u = uniform();
    out[i] = u < 0.1 ? SPECIAL[i % SPECIAL.length] : 2 * u - 1;
  }
  return out;
}

/** GRADLENS_NO_WASM=1 turns the kernels off: every call is then left to the caller. */
const WASM = process.env.GRADLENS_NO_WASM !== '1';

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

for (const n of [256, 257, 1000, 2048, 4099]) {
  test(`relu and its backward on ${n} entries: the scalar loop's bits`, () => {
    const x = values(n, n);
    const g = values(n, n + 1);
    const want = x.map((v) => (v > 0 ? v : 0));
    const o = new Float64Array(n).fill(7);
    if (!WASM) return assert.equal(simdRelu(x, o), false);
    assert.equal(simdRelu(x, o), true);
    assert.deepEqual(bits(o), bits(want));
    const wantDx = new Float64Array(n);
    for (let i = 0; i < n; i++) wantDx[i] = x[i] > 0 ? g[i] : 0;
    const dx = new Float64Array(n).fill(7);
    assert.equal(simdReluBackward(x, g, dx), true);
    assert.deepEqual(bits(dx), bits(wantDx));
  });
}

for (const n of [256, 257, 1001, 4099]) {
  test(`a scaled copy (a weight penalty's backward) of ${n} entries: the scalar loop's bits`, () => {
    const x = values(n, n + 7);
    for (const k of [2e-3, -0.5, 0, -0, 3e300, NaN]) {
      const o = new Float64Array(n).fill(7);
      if (!WASM) return assert.equal(simdScale(x, k, o), false);
      assert.equal(simdScale(x, k, o), true);
      assert.deepEqual(bits(o), bits(x.map((v) => k * v)), `k = ${k}`);
    }
  });
}

for (const [rows, n] of [[1, 256], [1, 1001], [64, 3072], [7, 41], [9, 258], [5, 1003], [300, 1], [3, 3]] as const) {
  test(`dot products of ${rows} rows of ${n} with one vector: checks/direction.ts' dot, bit for bit`, () => {
    const a = values(rows * n, rows + n);
    const b = values(n, n + 3);
    const out = new Float64Array(rows).fill(7);
    if (rows * n < 256 || !WASM) return assert.equal(simdDotRows(a, b, out), false);
    assert.equal(simdDotRows(a, b, out), true);
    const want = new Float64Array(rows);
    for (let r = 0; r < rows; r++) want[r] = dot(a, r * n, b, n);
    // Equal as numbers (Object.is: −0 is not +0); a NaN's sign bit is not the same operation's to keep.
    assert.deepEqual([...out], [...want]);
    const finite = values(rows * n, rows + n).map((v) => (Number.isFinite(v) ? v : 0.5));
    simdDotRows(finite, b.map((v) => (Number.isFinite(v) ? v : -0.25)), out);
    for (let r = 0; r < rows; r++) want[r] = dot(finite, r * n, b.map((v) => (Number.isFinite(v) ? v : -0.25)), n);
    assert.deepEqual(bits(out), bits(want), 'finite entries: the same bits');
  });
}

/** l2's forward in blocks of 8 (ops/regularizers.ts): each block's squares summed pairwise, blocks in order from +0. */
function sumSquaresByEights(w: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < w.length; i += 8) {
    const [a, b, c, d, e, f, g, h] = w.subarray(i, i + 8);
    acc += a * a + b * b + (c * c + d * d) + (e * e + f * f + (g * g + h * h));
  }
  return acc;
}

// Lengths on either side of a chunk (8192 entries: the sum carries from one chunk into the next).
for (const n of [256, 264, 1000, 8192, 8200, 3 * 8192 + 16]) {
  test(`the sum of the squares of ${n} entries in blocks of 8 (l2's forward): the scalar loop's bits`, () => {
    const finite = values(n, n + 11).map((v) => (Math.abs(v) <= 1 ? v : -0.75)); // 1.7e308² would make every sum Inf
    if (!WASM) return assert.equal(simdSumSquares8(finite), null);
    // Varied magnitudes, so that a sum in another order would round differently.
    const w = finite.map((v, i) => v * 10 ** ((i % 13) - 6));
    assert.ok(Object.is(simdSumSquares8(w), sumSquaresByEights(w)));
    w[n - 3] = -Infinity;
    assert.equal(simdSumSquares8(w), Infinity);
    w[5] = NaN;
    assert.ok(Number.isNaN(simdSumSquares8(w)));
  });
}

test('a sum of squares whose length is not a multiple of 8, or of fewer than 256 entries, is the caller’s', () => {
  assert.equal(simdSumSquares8(new Float64Array(1001)), null);
  assert.equal(simdSumSquares8(new Float64Array(248)), null);
});

test('a scaled copy of fewer than 256 entries is the caller’s', () => {
  assert.equal(simdScale(new Float64Array(255), 2, new Float64Array(255)), false);
});

for (const [rows, inner] of [[1, 300], [32, 64], [50, 7], [3, 1001]]) {
  test(`a bias added to ${rows} rows of ${inner}, and a plain sum: the scalar loop's bits`, () => {
    const a = values(rows * inner, rows);
    const b = values(inner, inner);
    const want = new Float64Array(rows * inner);
    for (let r = 0; r < rows; r++) for (let k = 0; k < inner; k++) want[r * inner + k] = a[r * inner + k] + b[k];
    const o = new Float64Array(rows * inner);
    if (!WASM) return assert.equal(simdAddRows(a, b, o, inner), false);
    assert.equal(simdAddRows(a, b, o, inner), true);
    assert.deepEqual(bits(o), bits(want));
    const c = values(rows * inner, rows + 5);
    const sum = new Float64Array(rows * inner);
    assert.equal(simdAddRows(a, c, sum, a.length), true);
    assert.deepEqual(bits(sum), bits(a.map((v, i) => v + c[i])));
  });
}

test('tensors too small to pay for the copies are left to the caller', () => {
  const x = values(100, 3);
  assert.equal(simdRelu(x, new Float64Array(100)), false);
  assert.equal(simdReluBackward(x, x, new Float64Array(100)), false);
  assert.equal(simdAddRows(x, x, new Float64Array(100), 100), false);
});

// Tensors larger than a chunk (8192 entries) pass through the module's memory a chunk at a time:
// lengths on either side of chunk edges, rows that straddle them, rows longer than a chunk, and a
// tensor larger than the whole fixed memory (32 MB).
for (const n of [8191, 8192, 8193, 16385, 24576 + 3]) {
  test(`${n} entries, chunk by chunk: relu, its backward, a scaled copy and a sum keep the scalar loops' bits`, () => {
    const x = values(n, n);
    const g = values(n, n + 1);
    const o = new Float64Array(n).fill(7);
    if (!WASM) return assert.equal(simdRelu(x, o), false);
    assert.equal(simdRelu(x, o), true);
    assert.deepEqual(bits(o), bits(x.map((v) => (v > 0 ? v : 0))));
    assert.equal(simdReluBackward(x, g, o), true);
    assert.deepEqual(bits(o), bits(x.map((v, i) => (v > 0 ? g[i] : 0))));
    assert.equal(simdScale(x, -3e-3, o), true);
    assert.deepEqual(bits(o), bits(x.map((v) => -3e-3 * v)));
    assert.equal(simdAddRows(x, g, o, n), true);
    assert.deepEqual(bits(o), bits(x.map((v, i) => v + g[i])));
  });
}

for (const [rows, inner] of [[200, 100], [3, 3000], [5, 8193], [2, 20000], [1000, 9]]) {
  test(`a bias added to ${rows} rows of ${inner}, whole rows a chunk: the scalar loop's bits`, () => {
    const a = values(rows * inner, rows + inner);
    const b = values(inner, inner + 1);
    const o = new Float64Array(rows * inner).fill(7);
    if (!WASM) return assert.equal(simdAddRows(a, b, o, inner), false);
    assert.equal(simdAddRows(a, b, o, inner), true);
    assert.deepEqual(bits(o), bits(a.map((v, i) => v + b[i % inner])));
  });
}

test('a tensor larger than the kernels’ fixed memory (32 MB) is computed too, chunk by chunk', () => {
  const n = 5_000_000;
  const x = values(n, 9);
  const o = new Float64Array(n);
  if (!WASM) return assert.equal(simdRelu(x, o), false);
  assert.equal(simdRelu(x, o), true);
  assert.deepEqual(bits(o), bits(x.map((v) => (v > 0 ? v : 0))));
  assert.equal(simdReluBackward(x, x, o), true);
  assert.deepEqual(bits(o), bits(x.map((v) => (v > 0 ? v : 0))));
  // A row broadcast over rows a chunk at a time needs the row and two spans of whole rows at once:
  // rows of 1.5 M entries do not fit, and are left to the caller.
  const rows = x.subarray(0, 3_000_000);
  assert.equal(simdAddRows(rows, x.subarray(0, 1_500_000), new Float64Array(rows.length), 1_500_000), false);
  const finite = x.map((v) => (Number.isFinite(v) ? v : 0));
  assert.equal(simdAllFinite(finite), true);
  finite[n - 1] = NaN;
  assert.equal(simdAllFinite(finite), false, 'a NaN in the last chunk');
});

test('the finiteness scan finds one NaN or Inf wherever it is, and passes finite buffers', () => {
  for (const n of [256, 263, 4096, 8192 + 77]) {
    const d = values(n, n).map((v) => (Number.isFinite(v) ? v : 0.5));
    d[7] = -0;
    if (!WASM) return assert.equal(simdAllFinite(d), null);
    assert.equal(simdAllFinite(d), true);
    for (const at of [0, 1, 9, n - 9, n - 1, ...(n > 8192 ? [8191, 8192] : [])]) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const e = d.slice();
        e[at] = bad;
        assert.equal(simdAllFinite(e), false, `${bad} at ${at} of ${n}`);
      }
    }
  }
  assert.equal(simdAllFinite(new Float64Array(100)), null);
});

test("gelu keeping its slope, two entries at a time: erf.ts' geluKeepingSlopeInto, bit for bit", () => {
  // Every piece of erfc (z = t/√2 on both sides of each edge k/2 and of the tail at 4), the clamp at
  // ±40, the exponential's underflow near t = 38.6, and the special values; then values of [−1, 1)
  // at several scales. Odd and chunk-straddling lengths.
  const xs: number[] = [0, -0, NaN, Infinity, -Infinity, 40, -40, 40.0000001, -40.0000001, 5e-324, -5e-324, 1e-300, 1.7e308, -1.7e308];
  for (let k = 0; k <= 9; k++) for (const d of [-1e-15, 0, 1e-15]) xs.push((k * 0.5 + d) * Math.SQRT2, -(k * 0.5 + d) * Math.SQRT2);
  // Just below the tail (z < 4, piece 7); then one entry so that the pairs below mix a tail lane and
  // a piece lane; NaNs with payloads and signs.
  xs.push(4 * Math.SQRT2 * (1 - 2 ** -52), -4 * Math.SQRT2 * (1 - 2 ** -52), 1.25);
  const nan = new Float64Array(new BigUint64Array([0x7ff0000000000001n, 0xfff8000000000000n, 0x7ff80000deadbeefn, 0xffffffffffffffffn]).buffer);
  xs.push(...nan, 6, 0.3, 7, -0.2, -9, 2.9);
  for (let t = 38.55; t < 38.65; t += 0.001) xs.push(t, -t);
  const normal = values(40000, 31).map((v) => (Number.isFinite(v) ? v : 0.3));
  for (const scale of [1e-3, 1, 3, 10, 30]) for (const v of normal.subarray(0, 8000)) xs.push(v * scale * 3);
  for (const n of [xs.length, 8193, 257]) {
    const x = Float64Array.from(xs.slice(0, n));
    const out = new Float64Array(n).fill(7);
    const slope = new Float64Array(n).fill(7);
    if (!WASM) return assert.equal(simdGelu(x, out, slope), false);
    assert.equal(simdGelu(x, out, slope), true);
    const wantOut = new Float64Array(n);
    const wantSlope = new Float64Array(n);
    geluKeepingSlopeInto(x, wantOut, wantSlope);
    // Equal as numbers (Object.is): a NaN's payload is not the operation's to keep.
    assert.deepEqual([...out], [...wantOut], `out, ${n} entries`);
    assert.deepEqual([...slope], [...wantSlope], `slope, ${n} entries`);
  }
});

test("tanh, two entries at a time (the tanh op; an rnn step with its bias row): elementary.ts' tanh, bit for bit", () => {
  // The linear edge 2^−27, the saturation at 20, both sides of every rounding edge of expm1's
  // reduction (2a·log2e = k + 1/2, k = 0 … 57), the special values, NaNs with payloads; then values
  // of [−1, 1) at several scales. Odd, chunk-straddling lengths.
  const xs: number[] = [0, -0, NaN, Infinity, -Infinity, 20, -20, 20.000001, -19.999999, 5e-324, -5e-324, 1e-300, 1.7e308, -1.7e308];
  for (const e of [2 ** -27, 2 ** -26]) for (const d of [1 - 2 ** -52, 1, 1 + 2 ** -52]) xs.push(e * d, -e * d);
  for (let k = 0; k <= 57; k++) {
    const a = (k + 0.5) / (2 * Math.LOG2E);
    for (const d of [1 - 2 ** -50, 1, 1 + 2 ** -50]) xs.push(a * d, -a * d);
  }
  const nan = new Float64Array(new BigUint64Array([0x7ff0000000000001n, 0xfff8000000000000n, 0x7ff80000deadbeefn]).buffer);
  xs.push(...nan);
  const normal = values(40000, 37).map((v) => (Number.isFinite(v) ? v : 0.3));
  for (const scale of [1e-9, 1e-3, 1, 3, 10]) for (const v of normal.subarray(0, 8000)) xs.push(v * scale * 3);
  const want = (a: Float64Array, b: Float64Array | null, inner: number) => a.map((v, i) => tanh(b ? v + b[i % inner] : v));
  for (const n of [xs.length, 8193, 257]) {
    const x = Float64Array.from(xs.slice(0, n));
    const out = new Float64Array(n).fill(7);
    if (!WASM) return assert.equal(simdTanhRows(x, null, out, n), false);
    assert.equal(simdTanhRows(x, null, out, n), true);
    // Equal as numbers (Object.is): a NaN's payload is not the operation's to keep.
    assert.deepEqual([...out], [...want(x, null, n)], `tanh, ${n} entries`);
  }
  // A bias row added first: rows of 64 (the bench's rnn), of 7 (odd: each row ends with one lane),
  // rows whose chunks straddle the module's slots, and in place (the rnn step's own use).
  for (const [rows, inner] of [[8, 64], [300, 7], [40, 1001]]) {
    const n = rows * inner;
    const x = Float64Array.from(xs.slice(0, n));
    const b = values(inner, inner).map((v, i) => (i === 1 ? -0 : Number.isFinite(v) ? v * 2 : -0.5));
    const expected = want(x, b, inner);
    const out = new Float64Array(n).fill(7);
    assert.equal(simdTanhRows(x, b, out, inner), true);
    assert.deepEqual([...out], [...expected], `bias rows ${rows}×${inner}`);
    assert.equal(simdTanhRows(x, b, x, inner), true);
    assert.deepEqual([...x], [...expected], `bias rows ${rows}×${inner}, in place`);
  }
});

test('tanh of fewer than 256 entries is the caller’s', () => {
  assert.equal(simdTanhRows(new Float64Array(255), null, new Float64Array(255), 255), false);
});
