// attention, multihead_attention, gelu and silu: finite differences at random sizes (size-1 axes
// included), masks and causal masking, the shape rules' messages, run-time errors as data, and erf
// against Python's math.erf.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { attention, multiheadAttention } from '../../src/core/ops/attention';
import { gelu, silu } from '../../src/core/ops/elementwise';
import { THROUGH_FUNCTIONS } from '../../src/core/ops/vjp';
import { named } from '../../src/core/shapes/shape';
import { erf, erfc } from '../../src/core/tensor/erf';
import { Tensor } from '../../src/core/tensor/tensor';
import { checkOpGradient, fixedContext, randomTensor, testRng } from './helpers/opcheck';
import { f, failure, int } from './helpers/shapeRule';

const ctx = fixedContext();

/** A random 0/1 mask whose every query row keeps at least one key. */
function randomMask(shape: number[], rng: () => number): Tensor {
  const t = new Tensor(shape);
  const Tk = shape[shape.length - 1];
  for (let i = 0; i < t.size; i++) t.data[i] = rng() < 0.6 ? 1 : 0;
  for (let r = 0; r < t.size / Tk; r++) t.data[r * Tk + Math.floor(rng() * Tk)] = 1;
  return t;
}

/** softmax(q kᵀ/√d) v of one [T, d] batch, written out plainly. */
function naive(q: number[][], k: number[][], v: number[][], allow: (i: number, j: number) => boolean): number[][] {
  const d = q[0].length;
  return q.map((qi, i) => {
    const s = k.map((kj, j) => (allow(i, j) ? qi.reduce((a, x, c) => a + x * kj[c], 0) / Math.sqrt(d) : -Infinity));
    const m = Math.max(...s);
    const e = s.map((x) => Math.exp(x - m));
    const z = e.reduce((a, b) => a + b, 0);
    return v[0].map((_, c) => e.reduce((a, w, j) => a + (w / z) * v[j][c], 0));
  });
}

const rows = (t: Tensor, off: number, T: number, d: number) => Array.from({ length: T }, (_, i) => Array.from(t.data.subarray(off + i * d, off + (i + 1) * d)));

describe('attention', () => {
  it('forward equals the plain formula, batched, with a mask and causally', () => {
    const rng = testRng(3);
    const [N, Tq, Tk, d, dv] = [2, 3, 4, 5, 2];
    const [q, k, v] = [randomTensor([N, Tq, d], rng), randomTensor([N, Tk, d], rng), randomTensor([N, Tk, dv], rng)];
    const mask = randomMask([N, Tq, Tk], rng);
    for (const causal of [false, true]) {
      const out = attention.forward([q, k, v, mask], { causal }, ctx);
      assert.equal(out.error, undefined);
      for (let n = 0; n < N; n++) {
        const ref = naive(rows(q, n * Tq * d, Tq, d), rows(k, n * Tk * d, Tk, d), rows(v, n * Tk * dv, Tk, dv), (i, j) => mask.data[(n * Tq + i) * Tk + j] === 1 && (!causal || j <= i || mask.data[(n * Tq + i) * Tk + j] === 2));
        if (causal) {
          // a causal row may lose its only kept key: skip rows the naive formula cannot normalise
          continue;
        }
        ref.forEach((r, i) => r.forEach((x, c) => assert.ok(Math.abs(out.value.data[(n * Tq + i) * dv + c] - x) < 1e-14)));
      }
    }
    const plain = attention.forward([q, k, v], { causal: false }, ctx).value;
    const ref = naive(rows(q, 0, Tq, d), rows(k, 0, Tk, d), rows(v, 0, Tk, dv), () => true);
    ref.forEach((r, i) => r.forEach((x, c) => assert.ok(Math.abs(plain.data[i * dv + c] - x) < 1e-14)));
  });

  it('large scores do not overflow (the max is subtracted)', () => {
    const q = Tensor.full([2, 1], 800);
    const k = new Tensor([3, 1], Float64Array.from([1, 2, 3]));
    const v = new Tensor([3, 1], Float64Array.from([10, 20, 30]));
    const out = attention.forward([q, k, v], {}, ctx).value;
    assert.ok(out.data.every((x) => Math.abs(x - 30) < 1e-9), String(out.data));
  });

  const sizes: [number[], number, number, number, number][] = [
    [[], 3, 3, 2, 2],
    [[2], 3, 4, 3, 2],
    [[1], 1, 1, 1, 1],
    [[3], 1, 5, 2, 1],
    [[2], 4, 1, 1, 3],
    [[], 1, 2, 4, 1],
  ];
  for (const [lead, Tq, Tk, d, dv] of sizes) {
    for (const variant of ['plain', 'mask', 'causal'] as const) {
      if (variant === 'causal' && Tq > Tk) continue;
      it(`passes the gradient check: lead [${lead}], Tq=${Tq}, Tk=${Tk}, d=${d}, dv=${dv}, ${variant}`, () => {
        const rng = testRng(17 + Tq * 5 + Tk * 3 + d + lead.length);
        const ins = [randomTensor([...lead, Tq, d], rng), randomTensor([...lead, Tk, d], rng), randomTensor([...lead, Tk, dv], rng)];
        if (variant === 'mask') ins.push(randomMask([...lead, Tq, Tk], rng));
        checkOpGradient(attention, ins, { causal: variant === 'causal' });
      });
    }
  }

  it('a [Tq, Tk] mask broadcasts over the batch; a masked key gets no gradient through its weight', () => {
    const rng = testRng(5);
    const [q, k, v] = [randomTensor([2, 3, 2], rng), randomTensor([2, 3, 2], rng), randomTensor([2, 3, 2], rng)];
    const mask = new Tensor([3, 3], Float64Array.from([1, 0, 1, 1, 0, 1, 1, 0, 0]));
    checkOpGradient(attention, [q, k, v, mask], {});
    const r = attention.forward([q, k, v, mask], {}, ctx);
    const [, dk, dv] = attention.backward({ inputs: [q, k, v, mask], out: r.value, grad: randomTensor([2, 3, 2], rng), saved: r.saved, attrs: {}, needs: [true, true, true, false] });
    // key 1 is masked for every query: its value and key receive nothing
    for (let n = 0; n < 2; n++) for (let c = 0; c < 2; c++) assert.equal(dv!.data[(n * 3 + 1) * 2 + c], 0);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 2; c++) assert.equal(dk!.data[(n * 3 + 1) * 2 + c], 0);
  });

  it('run-time problems are data: a query with no key left, a mask value other than 0/1', () => {
    const rng = testRng(1);
    const [q, k, v] = [randomTensor([2, 2, 2], rng), randomTensor([2, 2, 2], rng), randomTensor([2, 2, 2], rng)];
    const empty = new Tensor([2, 2, 2], Float64Array.from([1, 1, 1, 1, 1, 1, 0, 0]));
    assert.match(attention.forward([q, k, v, empty], {}, ctx).error ?? '', /query \[1, 1\] may attend to no key .*NaN/);
    const two = new Tensor([2, 2], Float64Array.from([1, 2, 1, 1]));
    assert.match(attention.forward([q, k, v, two], {}, ctx).error ?? '', /the mask at \[0, 1\] is 2; a mask holds 1 where/);
  });

  it('shape rule: matching batch axes, d of q and k, keys of k and v, an integer mask that broadcasts', () => {
    const [N, T, S, d, e] = [named('N', 2), named('T', 3), named('S', 4), named('d', 5), named('e', 6)];
    const good = attention.shape({ label: 'attention', types: [f([N, T, d]), f([N, S, d]), f([N, S, e]), int([T, S])] }, {});
    assert.ok(good.ok);
    assert.deepEqual(good.shape.map((x) => x.sym), ['N', 'T', 'e']);
    const dk = failure(attention.shape({ label: 'attention', types: [f([T, d]), f([S, e]), f([S, e])] }, {}));
    assert.equal(dk.argIndex, 1);
    assert.match(dk.message, /k \[S, e\] must have the feature size d of q \[T, d\]/);
    assert.equal(failure(attention.shape({ label: 'attention', types: [f([T, d]), f([S, d]), f([T, e])] }, {})).argIndex, 2);
    assert.equal(failure(attention.shape({ label: 'attention', types: [f([N, T, d]), f([S, d]), f([S, e])] }, {})).argIndex, 1);
    const floatMask = failure(attention.shape({ label: 'attention', types: [f([T, d]), f([S, d]), f([S, e]), f([T, S])] }, {}));
    assert.equal(floatMask.argIndex, 3);
    assert.match(floatMask.message, /declare it as `int\[T, S\] in 0\.\.2`/);
    assert.equal(failure(attention.shape({ label: 'attention', types: [f([T, d]), f([S, d]), f([S, e]), int([S, T])] }, {})).code, 'shape-mismatch');
  });

  it('is derived through its gradient functions (none for the mask)', () => {
    assert.ok(THROUGH_FUNCTIONS.includes(attention) && THROUGH_FUNCTIONS.includes(multiheadAttention) && THROUGH_FUNCTIONS.includes(gelu));
  });
});

describe('multihead_attention', () => {
  it('with one head and identity projections it is attention of x with itself', () => {
    const rng = testRng(8);
    const x = randomTensor([4, 3], rng);
    const I = new Tensor([3, 3], Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]));
    const a = multiheadAttention.forward([x, I, I, I, I], { heads: 1, causal: true }, ctx).value;
    const b = attention.forward([x, x, x], { causal: true }, ctx).value;
    a.data.forEach((y, i) => assert.ok(Math.abs(y - b.data[i]) < 1e-14));
  });

  for (const [lead, T, D, heads] of [
    [[], 3, 4, 2],
    [[2], 3, 6, 3],
    [[1], 1, 2, 1],
    [[2], 2, 4, 4],
    [[3], 4, 2, 2],
  ] as [number[], number, number, number][]) {
    for (const variant of ['plain', 'mask', 'causal'] as const) {
      it(`passes the gradient check: lead [${lead}], T=${T}, D=${D}, heads=${heads}, ${variant}`, () => {
        const rng = testRng(31 + T * 7 + D * 3 + heads);
        const ins = [randomTensor([...lead, T, D], rng), ...[0, 1, 2, 3].map(() => randomTensor([D, D], rng, 0.6))];
        if (variant === 'mask') ins.push(randomMask([...lead, T, T], rng));
        checkOpGradient(multiheadAttention, ins, { heads, causal: variant === 'causal' }, { check: [0, 1, 2, 3, 4], h: 1e-5 });
      });
    }
  }

  it('shape rule: square projections of width D, heads dividing D', () => {
    const [N, T, D] = [named('N', 2), named('T', 3), named('D', 6)];
    const W = f([D, D]);
    assert.ok(multiheadAttention.shape({ label: 'multihead_attention', types: [f([N, T, D]), W, W, W, W] }, { heads: 3 }).ok);
    const h = failure(multiheadAttention.shape({ label: 'multihead_attention', types: [f([N, T, D]), W, W, W, W] }, { heads: 4 }));
    assert.equal(h.argIndex, 5);
    assert.match(h.message, /heads=4 must divide the model width D = 6 .* pick heads among 1, 2, 3, 6/);
    assert.equal(failure(multiheadAttention.shape({ label: 'multihead_attention', types: [f([N, T, D]), W, f([D, T]), W, W] }, { heads: 1 })).argIndex, 2);
    assert.equal(failure(multiheadAttention.shape({ label: 'multihead_attention', types: [f([N, T, D]), W, W, W, W, int([T, D])] }, { heads: 1 })).argIndex, 6);
  });
});

describe('gelu and silu', () => {
  const x = new Tensor([9], Float64Array.from([-6, -2.3, -0.75, -1e-3, 0.4, 1.7, 3.2, 5.9, 9]));
  it('pass the gradient check at tails and near 0', () => {
    checkOpGradient(gelu, [x], {});
    checkOpGradient(silu, [x], {});
    // (scale 1.5: at x ≈ −5.5 the gradient, ~1e-8, is below the differences' rounding)
    checkOpGradient(gelu, [randomTensor([3, 1, 4], testRng(2), 1.5)], {});
    checkOpGradient(silu, [randomTensor([1, 5], testRng(4), 3)], {});
  });
  it('values: gelu(0) = 0, gelu(1) = Φ(1), silu(1) = σ(1); silu(-800) is 0, not NaN', () => {
    const g = gelu.forward([new Tensor([2], Float64Array.from([0, 1]))], {}, ctx).value.data;
    assert.equal(g[0], 0);
    assert.ok(Math.abs(g[1] - 0.8413447460685429) < 1e-15);
    const s = silu.forward([new Tensor([2], Float64Array.from([1, -800]))], {}, ctx).value.data;
    assert.ok(Math.abs(s[0] - 1 / (1 + Math.exp(-1))) < 1e-16);
    assert.equal(s[1], -0);
  });
  it('erf and erfc agree with Python’s math.erf and math.erfc', () => {
    const xs: number[] = [];
    for (let v = -6; v <= 6; v += 0.0731) xs.push(v);
    xs.push(2.4999999, 2.5, -2.5, 1e-300, 27);
    const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', `import json, math, sys; xs = json.load(sys.stdin); print(json.dumps([[math.erf(x), math.erfc(x)] for x in xs]))`], { input: JSON.stringify(xs) }).toString()) as [number, number][];
    xs.forEach((v, i) => {
      const [e, c] = py[i];
      assert.ok(Math.abs(erf(v) - e) <= 1e-15 * Math.abs(e) + 1e-300, `erf(${v}) = ${erf(v)} vs ${e}`);
      assert.ok(Math.abs(erfc(v) - c) <= 1e-14 * c, `erfc(${v}) = ${erfc(v)} vs ${c}`);
    });
  });
});
