import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lstm } from '../../src/core/ops/lstm';
import { THROUGH_FUNCTIONS } from '../../src/core/ops/vjp';
import { named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, testRng } from './helpers/opcheck';
import { f, failure } from './helpers/shapeRule';

const ctx = fixedContext();
const sig = (v: number) => 1 / (1 + Math.exp(-v));

function inputs(T: number, N: number, D: number, H: number, seed: number): Tensor[] {
  const rng = testRng(seed);
  return [randomTensor([T, N, D], rng), randomTensor([N, H], rng, 0.5), randomTensor([N, H], rng, 0.5), randomTensor([D, 4 * H], rng, 0.5), randomTensor([H, 4 * H], rng, 0.5), randomTensor([4 * H], rng, 0.3)];
}

describe('lstm', () => {
  it('one step with one unit, by hand: c = σ(f)·c0 + σ(i)·tanh(g), h = σ(o)·tanh(c)', () => {
    // D = H = 1: a = x·Wx + h0·Wh + b with gate columns i, f, g, o
    const [x, h0, c0] = [Tensor.full([1, 1, 1], 0.5), Tensor.full([1, 1], -0.3), Tensor.full([1, 1], 0.8)];
    const Wx = new Tensor([1, 4], Float64Array.from([0.1, 0.2, 0.3, 0.4]));
    const Wh = new Tensor([1, 4], Float64Array.from([-0.5, 0.6, -0.7, 0.8]));
    const b = new Tensor([4], Float64Array.from([0.01, 0.02, 0.03, 0.04]));
    const a = [0, 1, 2, 3].map((k) => 0.5 * Wx.data[k] - 0.3 * Wh.data[k] + b.data[k]);
    const c = sig(a[1]) * 0.8 + sig(a[0]) * Math.tanh(a[2]);
    const h = sig(a[3]) * Math.tanh(c);
    const out = lstm.forward([x, h0, c0, Wx, Wh, b], {}, ctx).value;
    assert.ok(Math.abs(out.data[0] - h) < 1e-15, `${out.data[0]} vs ${h}`);
  });

  for (const [T, N, D, H] of [
    [3, 2, 3, 2],
    [1, 1, 1, 1],
    [4, 1, 2, 3],
    [2, 3, 1, 1],
  ]) {
    it(`passes the gradient check for T=${T}, N=${N}, D=${D}, H=${H} (all six inputs)`, () => {
      checkOpGradient(lstm, inputs(T, N, D, H, 100 + T * 13 + N * 7 + D * 3 + H), {});
    });
  }

  it('reports the gradient norm reaching each step, and is derived through its gradient functions', () => {
    const ins = inputs(5, 2, 2, 3, 9);
    const r = lstm.forward(ins, {}, ctx);
    let norms: number[] = [];
    lstm.backward({ inputs: ins, out: r.value, grad: randomTensor([5, 2, 3], testRng(1)), saved: r.saved, attrs: {}, needs: ins.map(() => true), record: (n, v) => {
      if (n === 'timestepGradNorms') norms = v;
    } });
    assert.equal(norms.length, 5);
    assert.ok(norms.every((v) => v > 0));
    assert.ok(THROUGH_FUNCTIONS.includes(lstm));
  });

  it('shape rule: the gate columns must be 4H; c0 like h0; Wx rows like x features', () => {
    const [T, N, D, H, G] = [named('T', 3), named('N', 2), named('D', 4), named('H', 5), named('G', 20)];
    const good = lstm.shape({ label: 'lstm', types: [f([T, N, D]), f([N, H]), f([N, H]), f([D, G]), f([H, G]), f([G])] }, {});
    assert.ok(good.ok);
    assert.deepEqual(good.shape.map((d) => d.sym), ['T', 'N', 'H']);
    const notFour = failure(lstm.shape({ label: 'lstm', types: [f([T, N, D]), f([N, H]), f([N, H]), f([D, H]), f([H, G]), f([G])] }, {}));
    assert.equal(notFour.argIndex, 3);
    assert.match(notFour.message, /Wx \[D, H\] must have 4·H = 20 columns \(the gates i, f, g, o\), found 5/);
    assert.equal(failure(lstm.shape({ label: 'lstm', types: [f([T, N, D]), f([N, H]), f([N, D]), f([D, G]), f([H, G]), f([G])] }, {})).argIndex, 2);
    assert.equal(failure(lstm.shape({ label: 'lstm', types: [f([T, N, H]), f([N, H]), f([N, H]), f([D, G]), f([H, G]), f([G])] }, {})).argIndex, 3);
    assert.equal(failure(lstm.shape({ label: 'lstm', types: [f([N, D]), f([N, H]), f([N, H]), f([D, G]), f([H, G]), f([G])] }, {})).argIndex, 0);
  });
});
