import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { embedding } from '../../src/core/ops/embedding';
import { named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { f, failure, int } from './helpers/shapeRule';

const ctx = fixedContext();

/** A table whose entry [v, d] is 10·v + d, so a looked-up row says which row it was. */
function table(V: number, D: number): Tensor {
  const W = new Tensor([V, D]);
  for (let v = 0; v < V; v++) for (let d = 0; d < D; d++) W.data[v * D + d] = 10 * v + d;
  return W;
}

describe('embedding', () => {
  it('looks up rows by index, for indices of any shape', () => {
    const out = embedding.forward([table(4, 2), tensorOf([2, 2], [3, 0, 3, 1])], {}, ctx);
    assert.equal(out.error, undefined);
    assert.deepEqual([...out.value.shape], [2, 2, 2]);
    assert.deepEqual([...out.value.data], [30, 31, 0, 1, 30, 31, 10, 11]);
    const one = embedding.forward([table(4, 2), tensorOf([], [2])], {}, ctx).value;
    assert.deepEqual([...one.shape], [2]);
    assert.deepEqual([...one.data], [20, 21]);
  });

  it('scatter-adds the gradient: a repeated index gets the sum, an unused row 0', () => {
    const idx = tensorOf([3], [2, 0, 2]);
    const W = table(4, 2);
    const r = embedding.forward([W, idx], {}, ctx);
    const grad = tensorOf([3, 2], [1, 2, 10, 20, 100, 200]);
    const [dW, didx] = embedding.backward({ inputs: [W, idx], out: r.value, grad, saved: r.saved, attrs: {}, needs: [true, false] });
    assert.equal(didx, null);
    assert.deepEqual([...dW!.data], [10, 20, 0, 0, 101, 202, 0, 0]);
  });

  for (const [V, D, idxShape] of [
    [5, 3, [4]],
    [3, 2, [2, 3]],
    [1, 1, [2]],
    [4, 1, []],
    [2, 3, [1, 1]],
  ] as [number, number, number[]][]) {
    it(`passes the gradient check for W [${V}, ${D}] and idx [${idxShape}] (repeats included)`, () => {
      const rng = testRng(70 + V * 7 + D);
      const idx = new Tensor(idxShape);
      for (let i = 0; i < idx.size; i++) idx.data[i] = Math.floor(rng() * V);
      checkOpGradient(embedding, [randomTensor([V, D], rng), idx], {});
    });
  }

  it('reports an index outside the table at run time, by position', () => {
    const r = embedding.forward([table(3, 2), tensorOf([2, 2], [0, 1, 3, -1])], {}, ctx);
    assert.equal(r.error, "embedding: the index at [1, 0] is 3, outside the table's rows 0…2 (2 of 4 indices are invalid); declare the indices with `in 0..V` for a table of V rows.");
  });

  it('shape rule: W [V, D] of floats, idx integers; output idx.shape + [D]', () => {
    const [V, D, N, T] = [named('V', 7), named('D', 3), named('N', 4), named('T', 2)];
    const r = embedding.shape({ label: 'embedding', types: [f([V, D]), int([T, N])] }, {});
    assert.ok(r.ok);
    assert.deepEqual(r.shape.map((d) => d.sym), ['T', 'N', 'D']);
    const flt = failure(embedding.shape({ label: 'embedding', types: [f([V, D]), f([N])] }, {}));
    assert.equal(flt.argIndex, 1);
    assert.match(flt.message, /idx must hold integer row indices, found a float tensor \[N\]; declare it as `int\[N\]`/);
    const swapped = failure(embedding.shape({ label: 'embedding', types: [int([N]), f([V, D])] }, {}));
    assert.equal(swapped.argIndex, 0);
    assert.match(failure(embedding.shape({ label: 'embedding', types: [f([V, D]), f([V, D])] }, {})).message, /integer row indices/);
    assert.match(failure(embedding.shape({ label: 'embedding', types: [int([V, D]), int([N])] }, {})).message, /must hold floats/);
  });
});
