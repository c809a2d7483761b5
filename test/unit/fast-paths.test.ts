// The performance paths must compute exactly what the plain definitions compute, bit for bit,
// including the awkward values (NaN, ±0, ±Infinity, ties): branch-free relu, the 2×2 max-pool
// tournament (and its WebAssembly twin), conv2d with the forward pass's patches kept for the backward pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conv2d, maxPool2d } from '../../src/core/ops/convolution';
import { relu } from '../../src/core/ops/elementwise';
import { Tensor } from '../../src/core/tensor/tensor';

const AWKWARD = [0, -0, 1, -1, 0.5, 0.5, NaN, Infinity, -Infinity, 2, 2, -3];

function awkward(n: number, seed: number): Float64Array {
  let s = seed;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = AWKWARD[s % AWKWARD.length];
  }
  return out;
}

function sameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

const ctx = (trackKinks: boolean, forwardOnly = false) => ({ trackKinks, forwardOnly, random: () => new Float64Array(0) });

test('relu without branches: x > 0 ? x : +0, its gradient and kink sides, on NaN, ±0 and ±Infinity', () => {
  const x = new Tensor([AWKWARD.length * 8], awkward(AWKWARD.length * 8, 7));
  const r = relu.forward([x], {}, ctx(true));
  sameBits(r.value.data, x.data.map((v) => (v > 0 ? v : 0)), 'relu');
  assert.deepEqual([...(r.kinks as Int32Array)], [...x.data].map((v) => (v > 0 ? 1 : 0)));
  const g = new Tensor(x.shape, awkward(x.size, 11).map((v, i) => v + i));
  const [dx] = relu.backward({ inputs: [x], out: r.value, grad: g, saved: undefined, attrs: {}, needs: [true] });
  sameBits((dx as Tensor).data, x.data.map((v, i) => (v > 0 ? g.data[i] : 0)), 'drelu');
});

/** The first maximum of each window in row-major order; a NaN wins and stays. */
function referencePool(x: Tensor, size: number, stride: number): { out: Float64Array; at: Int32Array } {
  const [N, C, H, W] = x.shape;
  const Ho = Math.floor((H - size) / stride) + 1;
  const Wo = Math.floor((W - size) / stride) + 1;
  const out = new Float64Array(N * C * Ho * Wo);
  const at = new Int32Array(out.length);
  let o = 0;
  for (let p = 0; p < N * C; p++)
    for (let oy = 0; oy < Ho; oy++)
      for (let ox = 0; ox < Wo; ox++, o++) {
        const base = p * H * W + oy * stride * W + ox * stride;
        let best = x.data[base];
        let arg = base;
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++) {
            const v = x.data[base + i * W + j];
            if (v > best || (v !== v && best === best)) {
              best = v;
              arg = base + i * W + j;
            }
          }
        out[o] = best;
        at[o] = arg;
      }
  return { out, at };
}

test('max pooling: the 2×2 tournament (on WebAssembly SIMD at stride 2, two windows a step, from 256 entries with an even output width) and the general loop pick the first maximum, ties and NaN included', () => {
  for (const [size, stride, H, W] of [
    [2, 2, 6, 8],
    [2, 2, 9, 12],
    [2, 2, 32, 32],
    [2, 1, 5, 5],
    [2, 2, 7, 5],
    [3, 2, 7, 7],
    [1, 1, 3, 3],
  ]) {
    for (let seed = 1; seed <= 20; seed++) {
      const x = new Tensor([2, 3, H, W], awkward(2 * 3 * H * W, seed * 31 + size));
      const r = maxPool2d.forward([x], { size, stride }, ctx(true));
      const want = referencePool(x, size, stride);
      sameBits(r.value.data, want.out, `pool size=${size} stride=${stride}`);
      assert.deepEqual([...(r.kinks as Int32Array)], [...want.at], `winners size=${size} stride=${stride} seed=${seed}`);
    }
  }
});

test('conv2d: the backward pass gives the same bits with the forward patches kept or rebuilt', () => {
  let s = 3;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const x = new Tensor([3, 2, 6, 5], Float64Array.from({ length: 3 * 2 * 6 * 5 }, rnd));
  const w = new Tensor([4, 2, 3, 3], Float64Array.from({ length: 4 * 2 * 9 }, rnd));
  const b = new Tensor([4], Float64Array.from({ length: 4 }, rnd));
  for (const attrs of [
    { stride: 1, pad: 1 },
    { stride: 2, pad: 0 },
  ]) {
    const kept = conv2d.forward([x, w, b], attrs, ctx(false));
    const bare = conv2d.forward([x, w, b], attrs, ctx(false, true));
    assert.ok(kept.saved instanceof Float64Array, 'the patches are kept');
    assert.equal(bare.saved, undefined, 'a forward-only pass keeps nothing');
    sameBits(kept.value.data, bare.value.data, 'conv2d');
    const g = new Tensor(kept.value.shape, Float64Array.from({ length: kept.value.size }, rnd));
    const args = (saved: unknown) => ({ inputs: [x, w, b], out: kept.value, grad: g, saved, attrs, needs: [true, true, true] });
    const withPatches = conv2d.backward(args(kept.saved));
    const rebuilt = conv2d.backward(args(undefined));
    withPatches.forEach((d, k) => sameBits((d as Tensor).data, (rebuilt[k] as Tensor).data, `conv2d gradient ${k}`));
  }
});

test('conv2d: the bias added inside the product gives the bits of the sum over the patch, then + b', () => {
  let s = 5;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const [N, C, H, W, F, kh, kw] = [2, 3, 7, 6, 5, 3, 2];
  const x = new Tensor([N, C, H, W], Float64Array.from({ length: N * C * H * W }, rnd));
  const w = new Tensor([F, C, kh, kw], Float64Array.from({ length: F * C * kh * kw }, rnd));
  const b = new Tensor([F], Float64Array.from({ length: F }, rnd));
  for (const [stride, pad] of [
    [1, 1],
    [2, 0],
    [1, 2],
  ]) {
    const out = conv2d.forward([x, w, b], { stride, pad }, ctx(false)).value;
    const [, , Ho, Wo] = out.shape;
    const want = new Float64Array(out.size);
    let o = 0;
    for (let n = 0; n < N; n++)
      for (let f = 0; f < F; f++)
        for (let oy = 0; oy < Ho; oy++)
          for (let ox = 0; ox < Wo; ox++, o++) {
            // The product's order: taps (c, i, j) ascending from +0, padding read as 0; then + b.
            let acc = 0;
            for (let c = 0; c < C; c++)
              for (let i = 0; i < kh; i++)
                for (let j = 0; j < kw; j++) {
                  const iy = oy * stride - pad + i;
                  const ix = ox * stride - pad + j;
                  const v = iy >= 0 && iy < H && ix >= 0 && ix < W ? x.data[((n * C + c) * H + iy) * W + ix] : 0;
                  acc += w.data[((f * C + c) * kh + i) * kw + j] * v;
                }
            want[o] = acc + b.data[f];
          }
    sameBits(out.data, want, `conv2d stride=${stride} pad=${pad}`);
  }
});
