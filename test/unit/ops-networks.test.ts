import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ForwardContext } from '../../src/core/ops/op';
import { oneHot, pick } from '../../src/core/ops/labels';
import { batchnorm, dropout, maxout, NETWORK_OPS } from '../../src/core/ops/networks';
import { logSoftmax, softmax } from '../../src/core/ops/softmax';
import { lit, named, type Shape } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { f, failure, int, syms } from './helpers/shapeRule';

const ctx = fixedContext();
const kinkCtx: ForwardContext = { ...fixedContext(), trackKinks: true };

function close(actual: ArrayLike<number>, expected: number[], tol = 1e-8): void {
  assert.equal(actual.length, expected.length, 'length');
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `entry ${i}: ${actual[i]} vs ${expected[i]}`);
}
function labels(shape: number[], values: number[]): Tensor {
  return tensorOf(shape, values);
}

const N = named('N', 4);
const D = named('D', 3);
const H = named('H', 5);
const C = named('C', 3);

describe('NETWORK_OPS', () => {
  it('lists every op of the group once, with explanations', () => {
    assert.deepEqual(
      NETWORK_OPS.map((o) => o.id),
      ['softmax', 'log_softmax', 'maxout', 'dropout', 'batchnorm', 'one_hot', 'pick'],
    );
    for (const op of NETWORK_OPS) {
      assert.equal(op.group, 'networks');
      assert.ok(op.summary.length > 10 && op.explain.length > 10, op.id);
    }
    assert.ok(maxout.kinks);
  });
});

describe('softmax', () => {
  it('matches hand-computed values on [1, 2, 3]', () => {
    const out = softmax.forward([tensorOf([3], [1, 2, 3])], { axis: -1 }, ctx).value;
    close(out.data, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219], 1e-15);
  });

  it('does not overflow on [1000, 1001]', () => {
    const out = softmax.forward([tensorOf([2], [1000, 1001])], { axis: -1 }, ctx).value;
    close(out.data, [0.2689414213699951, 0.7310585786300049], 1e-15);
    const ls = logSoftmax.forward([tensorOf([2], [1000, 1001])], { axis: -1 }, ctx).value;
    close(ls.data, [-1.3132616875182228, -0.3132616875182228], 1e-12);
  });

  it('normalises along the requested axis', () => {
    const x = randomTensor([3, 4], testRng(1));
    const p0 = softmax.forward([x], { axis: 0 }, ctx).value;
    for (let j = 0; j < 4; j++) close([p0.data[j] + p0.data[4 + j] + p0.data[8 + j]], [1], 1e-12);
    const p1 = softmax.forward([x], { axis: -1 }, ctx).value;
    for (let i = 0; i < 3; i++) close([p1.data.slice(i * 4, i * 4 + 4).reduce((a, b) => a + b, 0)], [1], 1e-12);
  });

  it('treats a scalar as a one-element vector (softmax 1, log_softmax 0)', () => {
    assert.equal(softmax.forward([Tensor.scalar(5)], { axis: -1 }, ctx).value.item(), 1);
    assert.equal(logSoftmax.forward([Tensor.scalar(5)], { axis: 0 }, ctx).value.item(), 0);
  });

  it('log_softmax equals log(softmax)', () => {
    const x = randomTensor([2, 3, 4], testRng(2), 3);
    const p = softmax.forward([x], { axis: 1 }, ctx).value;
    const lp = logSoftmax.forward([x], { axis: 1 }, ctx).value;
    close(lp.data, [...p.data].map(Math.log), 1e-12);
  });

  for (const [shape, axis] of [
    [[5], -1],
    [[3, 4], -1],
    [[3, 4], 0],
    [[2, 3, 4], 1],
    [[2, 3, 4], -3],
  ] as [number[], number][]) {
    it(`passes the gradient check on [${shape}] axis=${axis}`, () => {
      const x = randomTensor(shape, testRng(shape.length * 10 + axis + 5), 2);
      checkOpGradient(softmax, [x], { axis });
      checkOpGradient(logSoftmax, [x], { axis });
    });
  }

  it('shape rule keeps the shape and rejects axes out of range', () => {
    assert.deepEqual(syms(softmax.shape({ label: 'softmax', types: [f([N, C])] }, { axis: -1 })), ['N', 'C']);
    const e = failure(softmax.shape({ label: 'softmax', types: [f([N, C])] }, { axis: 2 }));
    assert.equal(e.code, 'bad-argument');
    assert.match(e.message, /axis 2 is out of range for x \[N, C\] of rank 2 \(valid: -2…1\)/);
    const l = failure(logSoftmax.shape({ label: 'log_softmax', types: [f([N, C])] }, { axis: -3 }));
    assert.match(l.message, /^log_softmax: axis -3/);
  });
});

describe('maxout', () => {
  it('computes max(x@W1+b1, x@W2+b2) and routes each unit to its winner', () => {
    const x = tensorOf([1, 2], [1, 2]);
    const W1 = tensorOf([2, 2], [1, 0, 0, 1]); // z1 = [1, 2] + b1
    const b1 = tensorOf([2], [0, 0]);
    const W2 = tensorOf([2, 2], [0, 1, 1, 0]); // z2 = [2, 1] + b2
    const b2 = tensorOf([2], [0, 0.5]);
    const r = maxout.forward([x, W1, b1, W2, b2], {}, kinkCtx);
    close(r.value.data, [2, 2]); // unit 0: z2 = 2 wins; unit 1: z1 = 2 beats z2 = 1.5
    assert.deepEqual([...(r.kinks ?? [])], [-1, 1]);
    const [dx, dW1, db1, dW2, db2] = maxout.backward({
      inputs: [x, W1, b1, W2, b2],
      out: r.value,
      grad: tensorOf([1, 2], [1, 10]),
      saved: r.saved,
      attrs: {},
      needs: [true, true, true, true, true],
    });
    close(db1!.data, [0, 10]);
    close(db2!.data, [1, 0]);
    close(dW1!.data, [0, 10, 0, 20]);
    close(dW2!.data, [1, 0, 2, 0]);
    // dx = [0, 10]·W1ᵀ + [1, 0]·W2ᵀ = [0, 10] + [0, 1]
    close(dx!.data, [0, 11]);
  });

  it('splits the gradient evenly between tied pieces (as torch.maximum)', () => {
    const rng = testRng(3);
    const x = randomTensor([2, 3], rng);
    const W = randomTensor([3, 2], rng);
    const b = randomTensor([2], rng);
    const r = maxout.forward([x, W, b, W, b], {}, kinkCtx);
    assert.deepEqual([...(r.kinks ?? [])], [0, 0, 0, 0]);
    const g = randomTensor([2, 2], rng);
    const [, dW1, db1, dW2, db2] = maxout.backward({ inputs: [x, W, b, W, b], out: r.value, grad: g, saved: r.saved, attrs: {}, needs: [true, true, true, true, true] });
    close(db1!.data, [(g.data[0] + g.data[2]) / 2, (g.data[1] + g.data[3]) / 2], 1e-12);
    close(db2!.data, [...db1!.data], 0);
    close(dW1!.data, [...dW2!.data], 0);
  });

  for (const shape of [[4, 3], [3]]) {
    it(`passes the gradient check with x [${shape}]`, () => {
      const rng = testRng(20 + shape.length);
      const inputs = [randomTensor(shape, rng), randomTensor([3, 5], rng), randomTensor([5], rng), randomTensor([3, 5], rng), randomTensor([5], rng)];
      checkOpGradient(maxout, inputs, {});
    });
  }

  it('honours needs', () => {
    const rng = testRng(4);
    const inputs = [randomTensor([2, 3], rng), randomTensor([3, 2], rng), randomTensor([2], rng), randomTensor([3, 2], rng), randomTensor([2], rng)];
    const r = maxout.forward(inputs, {}, ctx);
    const grads = maxout.backward({ inputs, out: r.value, grad: randomTensor([2, 2], rng), saved: r.saved, attrs: {}, needs: [false, true, false, false, true] });
    assert.deepEqual(
      grads.map((g) => g !== null),
      [false, true, false, false, true],
    );
  });

  it('shape rule: [N, D] with W [D, H] gives [N, H]; [D] gives [H]', () => {
    const types = (x: Shape, W1: Shape = [D, H]) => [f(x), f(W1), f([H]), f([D, H]), f([H])];
    assert.deepEqual(syms(maxout.shape({ label: 'maxout', types: types([N, D]) }, {})), ['N', 'H']);
    assert.deepEqual(syms(maxout.shape({ label: 'maxout', types: types([D]) }, {})), ['H']);
    const e = failure(maxout.shape({ label: 'maxout', types: types([N, D], [H, D]) }, {}));
    assert.equal(e.code, 'matmul-shape');
    assert.equal(e.argIndex, 1);
    assert.match(e.message, /x \[N, D\] has D features but W1 \[H, D\] expects H \(N=4, D=3, H=5\)/);
    const bad = failure(maxout.shape({ label: 'maxout', types: [f([N, D]), f([D, H]), f([H]), f([D, named('K', 2)]), f([named('K', 2)])] }, {}));
    assert.match(bad.message, /same number of output units/);
    const rank = failure(maxout.shape({ label: 'maxout', types: types([N, D, D]) }, {}));
    assert.match(rank.message, /expects x as \[N, D\].*found \[N, D, D\]/);
  });

  it('shape rule reports names that only match by size', () => {
    const D5 = named('D', 5);
    const r = maxout.shape({ label: 'maxout', types: [f([N, D5]), f([H, H]), f([H]), f([H, H]), f([H])] }, {});
    assert.ok(r.ok);
    assert.ok(r.conflicts?.some(([a, b]) => a.sym === 'D' && b.sym === 'H'));
  });
});

describe('dropout', () => {
  const x = randomTensor([4, 5], testRng(5), 1, 3);

  it('keeps u >= p, scales survivors by 1/(1−p), and is deterministic', () => {
    const p = 0.3;
    const u = ctx.random(x.size);
    const a = dropout.forward([x], { p }, ctx);
    const b = dropout.forward([x], { p }, fixedContext());
    assert.deepEqual([...a.value.data], [...b.value.data]);
    let dropped = 0;
    for (let i = 0; i < x.size; i++) {
      const expected = u[i] >= p ? x.data[i] / (1 - p) : 0;
      assert.ok(Math.abs(a.value.data[i] - expected) < 1e-12, `entry ${i}`);
      if (u[i] < p) dropped++;
    }
    assert.ok(dropped > 0 && dropped < x.size);
    const other = dropout.forward([x], { p }, fixedContext(99)).value;
    assert.notDeepEqual([...other.data], [...a.value.data]);
  });

  it('p = 0 is the identity; p is the drop probability', () => {
    assert.deepEqual([...dropout.forward([x], { p: 0 }, ctx).value.data], [...x.data]);
    const big = randomTensor([4000], testRng(6), 0, 1); // all ones
    const out = dropout.forward([big], { p: 0.75 }, ctx).value;
    const kept = out.data.filter((v) => v !== 0).length / big.size;
    assert.ok(Math.abs(kept - 0.25) < 0.03, `kept fraction ${kept}`);
    assert.ok(out.data.every((v) => v === 0 || Math.abs(v - 4) < 1e-12));
    const meanOut = out.data.reduce((a2, v) => a2 + v, 0) / big.size;
    assert.ok(Math.abs(meanOut - 1) < 0.15, `mean ${meanOut}`);
  });

  it('passes the gradient check and uses the forward mask', () => {
    checkOpGradient(dropout, [x], { p: 0.5 });
    const r = dropout.forward([x], { p: 0.5 }, ctx);
    const [dx] = dropout.backward({ inputs: [x], out: r.value, grad: Tensor.full(x.shape, 1), saved: r.saved, attrs: { p: 0.5 }, needs: [true] });
    for (let i = 0; i < x.size; i++) assert.equal(dx!.data[i], r.value.data[i] === 0 ? 0 : 2);
  });

  it('shape rule validates 0 ≤ p < 1', () => {
    assert.deepEqual(syms(dropout.shape({ label: 'dropout', types: [f([N, D])] }, { p: 0.5 })), ['N', 'D']);
    for (const p of [1, -0.1, 1.5]) {
      const e = failure(dropout.shape({ label: 'dropout', types: [f([N, D])] }, { p }));
      assert.equal(e.code, 'bad-argument');
      assert.match(e.message, new RegExp(`probability of dropping a unit and must satisfy 0 ≤ p < 1, found p=${p}`));
    }
  });
});

describe('batchnorm', () => {
  it('normalises each column with the biased variance', () => {
    // column 0: [1, 3] → mean 2, var 1; column 1: [0, 0] → var 0
    const x = tensorOf([2, 2], [1, 0, 3, 0]);
    const gamma = tensorOf([2], [2, 1]);
    const beta = tensorOf([2], [0.5, -1]);
    const out = batchnorm.forward([x, gamma, beta], { eps: 1e-5 }, ctx).value;
    const s = 1 / Math.sqrt(1 + 1e-5);
    close(out.data, [-2 * s + 0.5, -1, 2 * s + 0.5, -1], 1e-12);
  });

  it('gives zero-mean, unit-variance columns before the affine part', () => {
    const x = randomTensor([6, 3], testRng(8), 4, 2);
    const out = batchnorm.forward([x, Tensor.full([3], 1), Tensor.zeros([3])], { eps: 0 }, ctx).value;
    for (let j = 0; j < 3; j++) {
      const col = [0, 1, 2, 3, 4, 5].map((i) => out.data[i * 3 + j]);
      const m = col.reduce((a, b) => a + b, 0) / 6;
      const v = col.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      close([m, v], [0, 1], 1e-12);
    }
  });

  for (const shape of [[4, 3], [5, 2, 3], [3]]) {
    it(`passes the gradient check for x [${shape}] (x, gamma and beta)`, () => {
      const rng = testRng(30 + shape.length);
      const feat = shape.slice(1);
      const inputs = [randomTensor(shape, rng, 2, 1), randomTensor(feat, rng, 1, 1), randomTensor(feat, rng)];
      checkOpGradient(batchnorm, inputs, { eps: 1e-5 });
    });
  }

  it('x gradient sums to zero over the batch; needs is honoured', () => {
    const rng = testRng(9);
    const inputs = [randomTensor([5, 2], rng), randomTensor([2], rng), randomTensor([2], rng)];
    const r = batchnorm.forward(inputs, { eps: 1e-5 }, ctx);
    const [dx, dg, db] = batchnorm.backward({ inputs, out: r.value, grad: randomTensor([5, 2], rng), saved: r.saved, attrs: { eps: 1e-5 }, needs: [true, false, false] });
    assert.equal(dg, null);
    assert.equal(db, null);
    for (let j = 0; j < 2; j++) assert.ok(Math.abs([0, 1, 2, 3, 4].reduce((a, i) => a + dx!.data[i * 2 + j], 0)) < 1e-12);
  });

  it('shape rule: gamma and beta shaped like one example; batch of one rejected', () => {
    const ok = batchnorm.shape({ label: 'batchnorm', types: [f([N, D]), f([D]), f([D])] }, { eps: 1e-5 });
    assert.deepEqual(syms(ok), ['N', 'D']);
    const e = failure(batchnorm.shape({ label: 'batchnorm', types: [f([N, D]), f([N]), f([D])] }, { eps: 1e-5 }));
    assert.equal(e.argIndex, 1);
    assert.match(e.message, /gamma must have the shape of one example of x \[N, D\], i.e. x.shape\[1:\] = \[D\], found \[N\] \(N=4, D=3\)/);
    const one = failure(batchnorm.shape({ label: 'batchnorm', types: [f([named('N', 1), D]), f([D]), f([D])] }, { eps: 1e-5 }));
    assert.match(one.message, /batch of one/);
    const eps = failure(batchnorm.shape({ label: 'batchnorm', types: [f([N, D]), f([D]), f([D])] }, { eps: -1 }));
    assert.equal(eps.code, 'bad-argument');
  });
});

describe('one_hot', () => {
  it('encodes labels of any shape as y.shape + [C]', () => {
    const y = labels([2, 2], [0, 2, 1, 0]);
    const out = oneHot.forward([y], { C: lit(3) }, ctx);
    assert.equal(out.error, undefined);
    assert.deepEqual([...out.value.shape], [2, 2, 3]);
    assert.deepEqual([...out.value.data], [1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
    assert.equal(oneHot.noGrad, true);
  });

  it('returns an error for labels outside [0, C), naming the first bad index and value', () => {
    const out = oneHot.forward([labels([4], [0, 3, 1, -1])], { C: named('C', 3) }, ctx);
    assert.deepEqual([...out.value.shape], [4, 3]);
    assert.equal(out.error, 'one_hot: the label at index [1] is 3, outside the valid range [0, 3) (2 of 4 labels are invalid); labels are class indices 0…2 for 3 classes.');
    const frac = oneHot.forward([labels([2], [0, 1.5])], { C: lit(3) }, ctx);
    assert.match(frac.error ?? '', /index \[1\] is 1.5, which is not an integer/);
  });

  it('shape rule appends C and insists on integer labels', () => {
    assert.deepEqual(syms(oneHot.shape({ label: 'one_hot', types: [int([N])] }, { C })), ['N', 'C']);
    assert.deepEqual(syms(oneHot.shape({ label: 'one_hot', types: [int([])] }, { C: lit(10) })), ['10']);
    const e = failure(oneHot.shape({ label: 'one_hot', types: [f([N])] }, { C }));
    assert.equal(e.code, 'bad-argument');
    assert.match(e.message, /y must hold integer class labels, found a float tensor \[N\]; declare it as `int\[N\]`/);
  });
});

describe('pick', () => {
  const x = tensorOf([3, 4], [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]);

  it('picks x[i, y[i]] like numpy x[arange(N), y]', () => {
    const r = pick.forward([x, labels([3], [3, 0, 2])], {}, ctx);
    assert.deepEqual([...r.value.data], [3, 10, 22]);
    const s = pick.forward([tensorOf([4], [5, 6, 7, 8]), Tensor.scalar(2)], {}, ctx);
    assert.deepEqual([...s.value.shape], []);
    assert.equal(s.value.item(), 7);
  });

  it('scatters the gradient back to the picked entries', () => {
    const y = labels([3], [3, 0, 3]);
    const r = pick.forward([x, y], {}, ctx);
    const [dx, dy] = pick.backward({ inputs: [x, y], out: r.value, grad: tensorOf([3], [1, 2, 3]), saved: r.saved, attrs: {}, needs: [true, false] });
    assert.equal(dy, null);
    assert.deepEqual([...dx!.data], [0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 3]);
    checkOpGradient(pick, [randomTensor([5, 3], testRng(10)), labels([5], [0, 2, 1, 1, 0])], {});
    checkOpGradient(pick, [randomTensor([2, 3, 4], testRng(11)), labels([2, 3], [0, 3, 1, 2, 2, 0])], {});
  });

  it('reports a label out of range as a run-time error', () => {
    const r = pick.forward([x, labels([3], [0, 1, 4])], {}, ctx);
    assert.deepEqual([...r.value.shape], [3]);
    assert.equal(r.error, 'pick: the label at index [2] is 4, outside the valid range [0, 4); labels are class indices 0…3 for 4 classes.');
  });

  it('shape rule: [N, C] with int[N] gives [N]; mismatched labels fail', () => {
    assert.deepEqual(syms(pick.shape({ label: 'pick', types: [f([N, C]), int([N])] }, {})), ['N']);
    assert.deepEqual(syms(pick.shape({ label: 'pick', types: [f([C]), int([])] }, {})), []);
    const e = failure(pick.shape({ label: 'pick', types: [f([N, C]), int([named('M', 5)])] }, {}));
    assert.equal(e.argIndex, 1);
    assert.match(e.message, /one label per row of scores \[N, C\]: labels of shape \[N\], found \[M\] \(N=4, C=3, M=5\)/);
    const notInt = failure(pick.shape({ label: 'pick', types: [f([N, C]), f([N])] }, {}));
    assert.equal(notInt.code, 'bad-argument');
  });
});
