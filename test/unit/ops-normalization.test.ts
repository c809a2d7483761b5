import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchnorm2d, groupnorm, layernorm, NORMALIZATION_OPS } from '../../src/core/ops/normalization';
import { THROUGH_FUNCTIONS } from '../../src/core/ops/vjp';
import type { OpDef } from '../../src/core/ops/op';
import { lit, named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { f, failure } from './helpers/shapeRule';

const ctx = fixedContext();

/** Mean and biased variance of the entries at `idx`. */
function stats(data: Float64Array, idx: number[]): [number, number] {
  const m = idx.reduce((a, i) => a + data[i], 0) / idx.length;
  return [m, idx.reduce((a, i) => a + (data[i] - m) ** 2, 0) / idx.length];
}

/** Forward with gamma = 1, beta = 0 and eps = 0: every listed set must come out with mean 0, variance 1. */
function assertStandardised(op: OpDef, shape: number[], C: number, attrs: Record<string, number>, sets: number[][]): void {
  const x = randomTensor(shape, testRng(shape.length + C), 3, 2);
  const out = op.forward([x, Tensor.full([C], 1), Tensor.zeros([C])], { ...attrs, eps: 0 }, ctx).value;
  for (const s of sets) {
    const [m, v] = stats(out.data, s);
    assert.ok(Math.abs(m) < 1e-12 && Math.abs(v - 1) < 1e-12, `set ${s.slice(0, 3)}…: mean ${m}, variance ${v}`);
  }
}

const range = (n: number, f: (k: number) => number) => Array.from({ length: n }, (_, k) => f(k));

describe('NORMALIZATION_OPS', () => {
  it('lists layernorm, batchnorm2d and groupnorm; groupnorm is derived through its gradient functions', () => {
    assert.deepEqual(
      NORMALIZATION_OPS.map((o) => o.id),
      ['layernorm', 'batchnorm2d', 'groupnorm'],
    );
    for (const op of NORMALIZATION_OPS) assert.ok(op.explain.includes('mean(gx)'), op.id);
    assert.ok(layernorm.derive && batchnorm2d.derive);
    assert.ok(THROUGH_FUNCTIONS.includes(groupnorm));
  });
});

describe('layernorm', () => {
  it('normalises a row by hand: [1, 2, 3] → [−√1.5, 0, √1.5], then gamma and beta', () => {
    const out = layernorm.forward([tensorOf([1, 3], [1, 2, 3]), tensorOf([3], [1, 2, 3]), tensorOf([3], [0, 1, 0])], { eps: 0 }, ctx).value;
    const s = Math.sqrt(1.5);
    const want = [-s, 1, 3 * s];
    want.forEach((w, i) => assert.ok(Math.abs(out.data[i] - w) < 1e-12, `${i}: ${out.data[i]} vs ${w}`));
  });

  it('standardises every row over the last axis, whatever the batch axes', () => {
    assertStandardised(layernorm, [2, 3, 5], 5, {}, range(6, (r) => r).map((r) => range(5, (j) => r * 5 + j)));
  });

  for (const shape of [[4, 3], [2, 3, 5], [6], [1, 4], [3, 1]]) {
    it(`passes the gradient check for x [${shape}] (x, gamma and beta)`, () => {
      const rng = testRng(40 + shape.reduce((a, b) => a * 7 + b, 0));
      const D = shape[shape.length - 1];
      checkOpGradient(layernorm, [randomTensor(shape, rng, 2, 1), randomTensor([D], rng, 1, 1), randomTensor([D], rng)], { eps: 1e-5 }, { h: 1e-5 });
    });
  }

  it('the gradient of x sums to 0 over each row; needs is honoured', () => {
    const rng = testRng(3);
    const inputs = [randomTensor([3, 4], rng), randomTensor([4], rng), randomTensor([4], rng)];
    const r = layernorm.forward(inputs, { eps: 1e-5 }, ctx);
    const [dx, dg, db] = layernorm.backward({ inputs, out: r.value, grad: randomTensor([3, 4], rng), saved: r.saved, attrs: { eps: 1e-5 }, needs: [true, false, false] });
    assert.equal(dg, null);
    assert.equal(db, null);
    for (let row = 0; row < 3; row++) assert.ok(Math.abs(range(4, (j) => dx!.data[row * 4 + j]).reduce((a, b) => a + b, 0)) < 1e-12);
  });

  it('backward: dgamma, dbeta and dx have the bits of one sum per entry in row order (the textbook passes, written out here)', () => {
    const rng = testRng(11);
    const [R, D] = [37, 24];
    const inputs = [randomTensor([R, D], rng, 2, 1), randomTensor([D], rng, 1, 1), randomTensor([D], rng)];
    const r = layernorm.forward(inputs, { eps: 1e-5 }, ctx);
    const grad = randomTensor([R, D], rng);
    const { xhat, invstd } = r.saved as { xhat: Float64Array; invstd: Float64Array };
    const g = grad.data;
    const gd = inputs[1].data;
    const wantG = new Float64Array(D);
    const wantB = new Float64Array(D);
    for (let row = 0; row < R; row++) for (let j = 0; j < D; j++) wantG[j] += g[row * D + j] * xhat[row * D + j];
    for (let row = 0; row < R; row++) for (let j = 0; j < D; j++) wantB[j] += g[row * D + j];
    const wantX = new Float64Array(R * D);
    for (let row = 0; row < R; row++) {
      let sumG = 0;
      let sumGX = 0;
      for (let j = 0; j < D; j++) sumG += g[row * D + j] * gd[j];
      for (let j = 0; j < D; j++) sumGX += g[row * D + j] * gd[j] * xhat[row * D + j];
      for (let j = 0; j < D; j++) wantX[row * D + j] = (invstd[row] / D) * (D * (g[row * D + j] * gd[j]) - sumG - xhat[row * D + j] * sumGX);
    }
    const bits = (v: Float64Array) => [...new BigUint64Array(v.buffer, v.byteOffset, v.length)];
    for (const needs of [
      [true, true, true],
      [false, true, false],
      [true, false, true],
    ]) {
      const out = layernorm.backward({ inputs, out: r.value, grad, saved: r.saved, attrs: { eps: 1e-5 }, needs });
      const want = [wantX, wantG, wantB];
      out.forEach((t, i) => (needs[i] ? assert.deepEqual(bits(t!.data), bits(want[i]), `gradient ${i} with needs ${needs}`) : assert.equal(t, null)));
    }
  });

  it('shape rule: gamma and beta are [D] for the last axis; a scalar and a negative eps are rejected', () => {
    const [N, D] = [named('N', 4), named('D', 3)];
    const r = layernorm.shape({ label: 'layernorm', types: [f([N, D]), f([D]), f([D])] }, { eps: 1e-5 });
    assert.ok(r.ok);
    const e = failure(layernorm.shape({ label: 'layernorm', types: [f([N, D]), f([N]), f([D])] }, { eps: 1e-5 }));
    assert.equal(e.argIndex, 1);
    assert.equal(e.code, 'shape-mismatch');
    assert.match(e.message, /gamma must hold one value per feature \(the last axis\) of x \[N, D\], i\.e\. \[D\], found \[N\] \(N=4, D=3\); declare gamma as \[D\]/);
    const beta = failure(layernorm.shape({ label: 'layernorm', types: [f([N, D]), f([D]), f([D, D])] }, {}));
    assert.equal(beta.argIndex, 2);
    assert.match(failure(layernorm.shape({ label: 'layernorm', types: [f([]), f([D]), f([D])] }, {})).message, /found a scalar/);
    assert.equal(failure(layernorm.shape({ label: 'layernorm', types: [f([N, D]), f([D]), f([D])] }, { eps: -1 })).argIndex, 3);
  });
});

describe('batchnorm2d', () => {
  it('standardises each channel over the batch and the pixels', () => {
    // x [2, 3, 2, 2]: channel c holds entries n·12 + c·4 + p
    assertStandardised(batchnorm2d, [2, 3, 2, 2], 3, {}, range(3, (c) => c).map((c) => [0, 1].flatMap((n) => range(4, (p) => n * 12 + c * 4 + p))));
  });

  for (const shape of [[2, 3, 2, 2], [3, 2, 1, 2], [1, 2, 3, 1], [2, 1, 2, 2]]) {
    it(`passes the gradient check for x [${shape}]`, () => {
      const rng = testRng(50 + shape.reduce((a, b) => a * 7 + b, 0));
      checkOpGradient(batchnorm2d, [randomTensor(shape, rng, 2, 1), randomTensor([shape[1]], rng, 1, 1), randomTensor([shape[1]], rng)], { eps: 1e-5 }, { h: 1e-5 });
    });
  }

  it('shape rule: x must be [N, C, H, W] with gamma [C]; one value per channel is rejected', () => {
    const [N, C, H] = [named('N', 2), named('C', 3), named('H', 4)];
    assert.ok(batchnorm2d.shape({ label: 'batchnorm2d', types: [f([N, C, H, H]), f([C]), f([C])] }, {}).ok);
    const rank = failure(batchnorm2d.shape({ label: 'batchnorm2d', types: [f([N, C]), f([C]), f([C])] }, {}));
    assert.equal(rank.argIndex, 0);
    assert.match(rank.message, /expects x as \[N, C, H, W\]/);
    const g = failure(batchnorm2d.shape({ label: 'batchnorm2d', types: [f([N, C, H, H]), f([H]), f([C])] }, {}));
    assert.match(g.message, /gamma must hold one value per channel \(axis 1\)/);
    const one = failure(batchnorm2d.shape({ label: 'batchnorm2d', types: [f([named('N', 1), C, lit(1), lit(1)]), f([C]), f([C])] }, {}));
    assert.match(one.message, /one value per channel/);
  });
});

describe('groupnorm', () => {
  it('standardises each example’s group of channels over its pixels', () => {
    // x [2, 4, 3] with G = 2: group k of example n holds channels 2k, 2k+1 → entries n·12 + 6k + p
    const sets = [0, 1].flatMap((n) => [0, 1].map((k) => range(6, (p) => n * 12 + 6 * k + p)));
    assertStandardised(groupnorm, [2, 4, 3], 4, { G: 2 }, sets);
  });

  it('G = C is instance norm and G = 1 layer norm over C·H·W (same values as layernorm on the flattened example)', () => {
    const rng = testRng(5);
    const x = randomTensor([2, 3, 4], rng, 2, 1);
    const one = groupnorm.forward([x, Tensor.full([3], 1), Tensor.zeros([3])], { G: 1, eps: 1e-5 }, ctx).value;
    const ln = layernorm.forward([x.reshaped([2, 12]), Tensor.full([12], 1), Tensor.zeros([12])], { eps: 1e-5 }, ctx).value;
    one.data.forEach((v, i) => assert.ok(Math.abs(v - ln.data[i]) < 1e-12));
  });

  for (const [shape, G] of [
    [[2, 4, 2, 2], 2],
    [[3, 6, 2, 1], 3],
    [[1, 2, 3, 3], 1],
    [[2, 3, 1, 1], 3],
    [[2, 4, 3], 4],
  ] as [number[], number][]) {
    it(`passes the gradient check for x [${shape}], G=${G}`, () => {
      const rng = testRng(60 + G + shape.reduce((a, b) => a * 7 + b, 0));
      checkOpGradient(groupnorm, [randomTensor(shape, rng, 2, 1), randomTensor([shape[1]], rng, 1, 1), randomTensor([shape[1]], rng)], { G, eps: 1e-5 }, { h: 1e-5 });
    });
  }

  it('shape rule: G must divide C, and is a positive integer', () => {
    const [N, C, H] = [named('N', 2), named('C', 6), named('H', 4)];
    assert.ok(groupnorm.shape({ label: 'groupnorm', types: [f([N, C, H, H]), f([C]), f([C])] }, { G: 3 }).ok);
    const e = failure(groupnorm.shape({ label: 'groupnorm', types: [f([N, C, H, H]), f([C]), f([C])] }, { G: 4 }));
    assert.equal(e.argIndex, 3);
    assert.equal(e.code, 'bad-argument');
    assert.match(e.message, /G=4 groups must divide the C channels of x \[N, C, H, H\] \(N=2, C=6, H=4\) evenly .*pick G among 1, 2, 3, 6/);
    assert.match(failure(groupnorm.shape({ label: 'groupnorm', types: [f([N, C, H, H]), f([C]), f([C])] }, { G: 0 })).message, /positive integer/);
    assert.equal(failure(groupnorm.shape({ label: 'groupnorm', types: [f([C]), f([C]), f([C])] }, { G: 1 })).argIndex, 0);
  });
});
