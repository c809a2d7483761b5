import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { naiveSoftmaxLoss, negSamplingLoss } from '../../src/core/ops/word2vec';
import { named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { f, failure, int } from './helpers/shapeRule';

const ctx = fixedContext();
const scalarIdx = (k: number) => tensorOf([], [k]);

describe('naive_softmax_loss', () => {
  it('is log V when every word scores the same, and −log softmax(U v)[o] by hand', () => {
    const flat = naiveSoftmaxLoss.forward([tensorOf([2], [1, 2]), Tensor.zeros([5, 2]), scalarIdx(3)], {}, ctx).value.data[0];
    assert.ok(Math.abs(flat - Math.log(5)) < 1e-15);
    // U v = [1, 2, 0]: −log(e² / (e + e² + 1)) for o = 1
    const U = tensorOf([3, 2], [1, 0, 0, 1, 0, 0]);
    const got = naiveSoftmaxLoss.forward([tensorOf([2], [1, 2]), U, scalarIdx(1)], {}, ctx).value.data[0];
    const want = -Math.log(Math.exp(2) / (Math.E + Math.exp(2) + 1));
    assert.ok(Math.abs(got - want) < 1e-14, `${got} vs ${want}`);
  });

  it('sums over a window of outside words; stays finite for huge scores', () => {
    const v = tensorOf([2], [0.3, -0.2]);
    const U = randomTensor([4, 2], testRng(2));
    const one = (k: number) => naiveSoftmaxLoss.forward([v, U, scalarIdx(k)], {}, ctx).value.data[0];
    const window = naiveSoftmaxLoss.forward([v, U, tensorOf([3], [2, 0, 2])], {}, ctx).value.data[0];
    assert.ok(Math.abs(window - (2 * one(2) + one(0))) < 1e-14);
    const huge = naiveSoftmaxLoss.forward([tensorOf([1], [1e4]), tensorOf([2, 1], [1, -1]), scalarIdx(1)], {}, ctx).value.data[0];
    assert.ok(Math.abs(huge - 2e4) < 1e-9, String(huge));
  });

  for (const [V, D, o] of [
    [5, 3, [2]],
    [4, 2, [1, 3, 1]],
    [1, 1, [0]],
    [3, 1, []],
  ] as [number, number, number[]][]) {
    it(`passes the gradient check for U [${V}, ${D}] and o ${o.length ? `[${o}]` : 'a scalar'}`, () => {
      const rng = testRng(80 + V * 5 + D);
      const idx = o.length ? tensorOf([o.length], o) : scalarIdx(V - 1);
      checkOpGradient(naiveSoftmaxLoss, [randomTensor([D], rng), randomTensor([V, D], rng), idx], {});
    });
  }

  it('shape rule: v_c [D], U [V, D], o an int or int[K]; a transposed U is named', () => {
    const [V, D, K] = [named('V', 7), named('D', 3), named('K', 2)];
    assert.ok(naiveSoftmaxLoss.shape({ label: 'naive_softmax_loss', types: [f([D]), f([V, D]), int([])] }, {}).ok);
    assert.ok(naiveSoftmaxLoss.shape({ label: 'naive_softmax_loss', types: [f([D]), f([V, D]), int([K])] }, {}).ok);
    const t = failure(naiveSoftmaxLoss.shape({ label: 'naive_softmax_loss', types: [f([D]), f([D, V]), int([])] }, {}));
    assert.equal(t.argIndex, 1);
    assert.match(t.message, /U looks transposed/);
    assert.equal(failure(naiveSoftmaxLoss.shape({ label: 'naive_softmax_loss', types: [f([D]), f([V, D]), f([])] }, {})).argIndex, 2);
    assert.equal(failure(naiveSoftmaxLoss.shape({ label: 'naive_softmax_loss', types: [f([K, D]), f([V, D]), int([])] }, {})).argIndex, 0);
  });
});

describe('neg_sampling_loss', () => {
  it('is (K + 1)·log 2 when every score is 0', () => {
    const r = negSamplingLoss.forward([tensorOf([2], [1, 2]), Tensor.zeros([5, 2]), scalarIdx(0), tensorOf([3], [1, 2, 3])], {}, ctx).value.data[0];
    assert.ok(Math.abs(r - 4 * Math.log(2)) < 1e-15);
  });

  it('a negative drawn twice (and the outside word among the negatives) adds its contributions to the row of U', () => {
    const rng = testRng(4);
    const [v, U] = [randomTensor([3], rng), randomTensor([4, 3], rng)];
    const grads = (neg: number[]) => {
      const inputs = [v, U, scalarIdx(1), tensorOf([neg.length], neg)];
      const out = negSamplingLoss.forward(inputs, {}, ctx).value;
      return negSamplingLoss.backward({ inputs, out, grad: Tensor.scalar(1), saved: undefined, attrs: {}, needs: [true, true, false, false] })[1]!;
    };
    const once = grads([2]);
    const twice = grads([2, 2]);
    const withO = grads([2, 1]);
    const only = grads([]);
    // Row 1 as a negative pushes with σ(u_1·v)·v on top of its pull as the outside word.
    const s1 = 1 / (1 + Math.exp(-[0, 1, 2].reduce((a, j) => a + U.data[3 + j] * v.data[j], 0)));
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(twice.data[2 * 3 + j] - 2 * once.data[2 * 3 + j]) < 1e-15);
      assert.ok(Math.abs(withO.data[3 + j] - (only.data[3 + j] + s1 * v.data[j])) < 1e-15);
    }
  });

  for (const [V, D, neg] of [
    [6, 3, [2, 4, 2, 0]],
    [3, 2, [1]],
    [2, 1, [0, 0]],
    [1, 2, [0]],
  ] as [number, number, number[]][]) {
    it(`passes the gradient check for U [${V}, ${D}] and negatives [${neg}]`, () => {
      const rng = testRng(90 + V * 5 + D);
      checkOpGradient(negSamplingLoss, [randomTensor([D], rng), randomTensor([V, D], rng), scalarIdx(0), tensorOf([neg.length], neg)], {});
    });
  }

  it('reports a negative outside the vocabulary, and a float o or a scalar negatives statically', () => {
    const r = negSamplingLoss.forward([tensorOf([1], [1]), Tensor.zeros([3, 1]), scalarIdx(0), tensorOf([2], [1, 5])], {}, ctx);
    assert.match(r.error ?? '', /neg_sampling_loss: the index at \[1\] is 5, outside the table's rows 0…2/);
    const [V, D, K] = [named('V', 7), named('D', 3), named('K', 2)];
    assert.equal(failure(negSamplingLoss.shape({ label: 'neg_sampling_loss', types: [f([D]), f([V, D]), f([]), int([K])] }, {})).argIndex, 2);
    const s = failure(negSamplingLoss.shape({ label: 'neg_sampling_loss', types: [f([D]), f([V, D]), int([]), int([])] }, {}));
    assert.equal(s.argIndex, 3);
    assert.match(s.message, /expects negatives as int\[K\], found \[\]/);
  });
});
