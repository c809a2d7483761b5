// temporal_affine and temporal_softmax_ce (cs231n's captioning layers): finite differences at
// random sizes with size-1 axes, the mask's effect, the loss by hand, shape rules and run-time errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { temporalAffine, temporalSoftmaxCe } from '../../src/core/ops/temporal';
import { named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
import { checkOpGradient, fixedContext, randomTensor, testRng } from './helpers/opcheck';
import { f, failure, int } from './helpers/shapeRule';

const ctx = fixedContext();

function labels(shape: number[], V: number, rng: () => number): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.floor(rng() * V);
  return t;
}

function mask(shape: number[], rng: () => number): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng() < 0.7 ? 1 : 0;
  return t;
}

describe('temporal_affine', () => {
  for (const [N, T, D, M] of [
    [2, 3, 4, 5],
    [1, 1, 1, 1],
    [3, 1, 2, 1],
    [1, 4, 1, 3],
  ]) {
    it(`passes the gradient check for N=${N}, T=${T}, D=${D}, M=${M}`, () => {
      const rng = testRng(50 + N * 7 + T * 5 + D * 3 + M);
      checkOpGradient(temporalAffine, [randomTensor([N, T, D], rng), randomTensor([D, M], rng), randomTensor([M], rng)], {});
    });
  }
  it('equals x_t @ w + b at every step', () => {
    const rng = testRng(2);
    const [x, w, b] = [randomTensor([2, 3, 2], rng), randomTensor([2, 4], rng), randomTensor([4], rng)];
    const out = temporalAffine.forward([x, w, b], {}, ctx).value;
    for (let r = 0; r < 6; r++)
      for (let j = 0; j < 4; j++) {
        const want = x.data[r * 2] * w.data[j] + x.data[r * 2 + 1] * w.data[4 + j] + b.data[j];
        assert.ok(Math.abs(out.data[r * 4 + j] - want) < 1e-15);
      }
  });
  it('shape rule: x as [N, T, D], w [D, M], b [M]', () => {
    const [N, T, D, M] = [named('N', 2), named('T', 3), named('D', 4), named('M', 5)];
    const good = temporalAffine.shape({ label: 'temporal_affine', types: [f([N, T, D]), f([D, M]), f([M])] }, {});
    assert.ok(good.ok);
    assert.deepEqual(good.shape.map((d) => d.sym), ['N', 'T', 'M']);
    assert.match(failure(temporalAffine.shape({ label: 'temporal_affine', types: [f([N, D]), f([D, M]), f([M])] }, {})).message, /for \[N, D\] use x @ w \+ b/);
    assert.equal(failure(temporalAffine.shape({ label: 'temporal_affine', types: [f([N, T, D]), f([M, D]), f([M])] }, {})).argIndex, 1);
    assert.equal(failure(temporalAffine.shape({ label: 'temporal_affine', types: [f([N, T, D]), f([D, M]), f([D])] }, {})).argIndex, 2);
  });
});

describe('temporal_softmax_ce', () => {
  for (const [N, T, V] of [
    [2, 3, 4],
    [1, 1, 1],
    [3, 1, 5],
    [1, 4, 2],
  ]) {
    it(`passes the gradient check for N=${N}, T=${T}, V=${V} with a mask`, () => {
      const rng = testRng(70 + N * 7 + T * 5 + V);
      checkOpGradient(temporalSoftmaxCe, [randomTensor([N, T, V], rng, 2), labels([N, T], V, rng), mask([N, T], rng)], {});
    });
  }
  it('is −Σ mask·log p[y] / N, and a masked step gets no gradient', () => {
    const rng = testRng(9);
    const [N, T, V] = [2, 3, 4];
    const x = randomTensor([N, T, V], rng, 3);
    const y = labels([N, T], V, rng);
    const m = new Tensor([N, T], Float64Array.from([1, 1, 0, 1, 0, 0]));
    const r = temporalSoftmaxCe.forward([x, y, m], {}, ctx);
    let want = 0;
    for (let s = 0; s < N * T; s++) {
      if (!m.data[s]) continue;
      const row = Array.from(x.data.subarray(s * V, s * V + V));
      want += Math.log(row.reduce((a, v) => a + Math.exp(v), 0)) - row[y.data[s]];
    }
    assert.ok(Math.abs(r.value.data[0] - want / N) < 1e-13, `${r.value.data[0]} vs ${want / N}`);
    const [dx] = temporalSoftmaxCe.backward({ inputs: [x, y, m], out: r.value, grad: Tensor.full([], 1), saved: r.saved, attrs: {}, needs: [true, false, false] });
    for (const s of [2, 4, 5]) for (let j = 0; j < V; j++) assert.equal(dx!.data[s * V + j], 0);
  });
  it('run-time problems are data: a word outside the vocabulary, a mask value other than 0/1', () => {
    const x = randomTensor([1, 2, 3], testRng(1));
    const ok = new Tensor([1, 2], Float64Array.from([1, 1]));
    assert.match(temporalSoftmaxCe.forward([x, new Tensor([1, 2], Float64Array.from([0, 3])), ok], {}, ctx).error ?? '', /the index at \[0, 1\] is 3, outside the table's rows 0…2/);
    assert.match(temporalSoftmaxCe.forward([x, new Tensor([1, 2], Float64Array.from([0, 1])), new Tensor([1, 2], Float64Array.from([1, 0.5]))], {}, ctx).error ?? '', /the mask at \[0, 1\] is 0.5/);
  });
  it('shape rule: x [N, T, V], integer y and a mask [N, T]', () => {
    const [N, T, V] = [named('N', 2), named('T', 3), named('V', 4)];
    assert.ok(temporalSoftmaxCe.shape({ label: 'temporal_softmax_ce', types: [f([N, T, V]), int([N, T]), f([N, T])] }, {}).ok);
    const fy = failure(temporalSoftmaxCe.shape({ label: 'temporal_softmax_ce', types: [f([N, T, V]), f([N, T]), f([N, T])] }, {}));
    assert.equal(fy.argIndex, 1);
    assert.match(fy.message, /declare it as `int\[N, T\] in 0\.\.V`/);
    assert.equal(failure(temporalSoftmaxCe.shape({ label: 'temporal_softmax_ce', types: [f([N, T, V]), int([N, T]), f([T, N])] }, {})).argIndex, 2);
    assert.equal(failure(temporalSoftmaxCe.shape({ label: 'temporal_softmax_ce', types: [f([N, V]), int([N]), f([N])] }, {})).argIndex, 0);
  });
});
