import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOSS_OPS, maxMargin, mse, sigmoidBce, softmaxCe, svm } from '../../src/core/ops/losses';
import type { ForwardContext, OpDef } from '../../src/core/ops/op';
import { lit, named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { f, failure, int, syms } from './helpers/shapeRule';

const ctx = fixedContext();
const kinkCtx: ForwardContext = { ...fixedContext(), trackKinks: true };

function near(a: number, b: number, tol = 1e-12): void {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
}
function grads(op: OpDef, inputs: Tensor[], attrs: Record<string, number> = {}, g = 1): (Tensor | null)[] {
  const r = op.forward(inputs, attrs, ctx);
  return op.backward({ inputs, out: r.value, grad: Tensor.scalar(g), saved: r.saved, attrs, needs: inputs.map(() => true) });
}

const N = named('N', 4);
const C = named('C', 3);

describe('LOSS_OPS', () => {
  it('lists the losses, all in the losses group', () => {
    assert.deepEqual(
      LOSS_OPS.map((o) => o.id),
      ['softmax_ce', 'svm', 'max_margin', 'mse', 'sigmoid_bce'],
    );
    for (const op of LOSS_OPS) assert.equal(op.group, 'losses');
    assert.equal(softmaxCe.signature[1].labels, true);
    assert.equal(svm.signature[1].labels, true);
  });
});

describe('softmax_ce', () => {
  const lse = Math.log(Math.E + Math.E ** 2 + Math.E ** 3);

  it('is the mean of logsumexp(s) − s[y]', () => {
    const s = tensorOf([2, 3], [1, 2, 3, 1, 2, 3]);
    const r = softmaxCe.forward([s, tensorOf([2], [2, 0])], {}, ctx);
    assert.deepEqual([...r.value.shape], []);
    near(r.value.item(), (lse - 3 + (lse - 1)) / 2);
    near(softmaxCe.forward([tensorOf([3], [1, 2, 3]), Tensor.scalar(1)], {}, ctx).value.item(), lse - 2);
  });

  it('is stable for huge scores', () => {
    const r = softmaxCe.forward([tensorOf([1, 2], [1000, 1001]), tensorOf([1], [0])], {}, ctx);
    near(r.value.item(), 1.3132616875182228);
  });

  it('has gradient (softmax − onehot)/N', () => {
    const s = tensorOf([2, 3], [1, 2, 3, 1, 2, 3]);
    const [ds, dy] = grads(softmaxCe, [s, tensorOf([2], [2, 0])]);
    assert.equal(dy, null);
    const p = [Math.E, Math.E ** 2, Math.E ** 3].map((v) => v / Math.exp(lse));
    const expected = [p[0] / 2, p[1] / 2, (p[2] - 1) / 2, (p[0] - 1) / 2, p[1] / 2, p[2] / 2];
    expected.forEach((v, i) => near(ds!.data[i], v));
  });

  it('passes the gradient check on [4, 3] and on [5] with a scalar label', () => {
    checkOpGradient(softmaxCe, [randomTensor([4, 3], testRng(1)), tensorOf([4], [0, 2, 1, 2])], {});
    checkOpGradient(softmaxCe, [randomTensor([5], testRng(2)), Tensor.scalar(4)], {});
  });

  it('returns a run-time error for labels outside [0, C)', () => {
    const r = softmaxCe.forward([randomTensor([4, 3], testRng(3)), tensorOf([4], [0, 1, 2, 3])], {}, ctx);
    assert.deepEqual([...r.value.shape], []);
    assert.equal(r.error, 'softmax_ce: the label at index [3] is 3, outside the valid range [0, 3); labels are class indices 0…2 for 3 classes.');
    const neg = softmaxCe.forward([randomTensor([3], testRng(3)), Tensor.scalar(-1)], {}, ctx);
    assert.equal(neg.error, 'softmax_ce: the label is -1, outside the valid range [0, 3); labels are class indices 0…2 for 3 classes.');
  });

  it('shape rule: scalar output; labels must be int[N]', () => {
    const good = softmaxCe.shape({ label: 'softmax_ce', types: [f([N, C]), int([N])] }, {});
    assert.deepEqual(syms(good), []);
    assert.deepEqual(syms(softmaxCe.shape({ label: 'softmax_ce', types: [f([C]), int([])] }, {})), []);
    const wrongN = failure(softmaxCe.shape({ label: 'softmax_ce', types: [f([N, C]), int([C])] }, {}));
    assert.equal(wrongN.argIndex, 1);
    assert.equal(wrongN.code, 'shape-mismatch');
    assert.match(wrongN.message, /^softmax_ce needs one label per row of scores \[N, C\]: labels of shape \[N\], found \[C\] \(N=4, C=3\)/);
    const rank3 = failure(softmaxCe.shape({ label: 'softmax_ce', types: [f([N, named('T', 2), C]), int([N])] }, {}));
    assert.match(rank3.message, /expects scores as \[N, C\].*found \[N, T, C\]; merge the leading axes first, e.g. reshape\(scores, \[-1, C\]\)/);
    const float = failure(softmaxCe.shape({ label: 'softmax_ce', types: [f([N, C]), f([N])] }, {}));
    assert.equal(float.code, 'bad-argument');
    assert.match(float.message, /integer class labels/);
  });

  it('shape rule warns when N and another name only match by size', () => {
    const r = softmaxCe.shape({ label: 'softmax_ce', types: [f([N, C]), int([named('B', 4)])] }, {});
    assert.ok(r.ok && r.conflicts?.length === 1);
  });
});

describe('svm', () => {
  // cs231n, "Linear classification": cat, car and frog images; losses 2.9, 0 and 12.9.
  const scores = tensorOf([3, 3], [3.2, 5.1, -1.7, 1.3, 4.9, 2.0, 2.2, 2.5, -3.1]);
  const y = tensorOf([3], [0, 1, 2]);

  it('matches the cs231n example (mean over examples, summed over classes, not divided by C)', () => {
    near(svm.forward([scores, y], { delta: 1 }, ctx).value.item(), (2.9 + 0 + 12.9) / 3, 1e-12);
  });

  it('routes +1/N to violating classes and −count/N to the correct class', () => {
    const [ds] = grads(svm, [scores, y], { delta: 1 });
    const e = [-1, 1, 0, 0, 0, 0, 1, 1, -2].map((v) => v / 3);
    e.forEach((v, i) => near(ds!.data[i], v));
  });

  it('gives 0 gradient at a margin of exactly 0 and reports kinks', () => {
    const s = tensorOf([1, 3], [1, 0, 5]);
    const r = svm.forward([s, tensorOf([1], [0])], { delta: 1 }, kinkCtx);
    near(r.value.item(), 5); // class 1: margin 0 exactly; class 2: 5 − 1 + 1
    assert.deepEqual([...(r.kinks ?? [])], [0, 0, 1]);
    const [ds] = grads(svm, [s, tensorOf([1], [0])], { delta: 1 });
    assert.deepEqual([...ds!.data], [-1, 0, 1]);
  });

  it('passes the gradient check away from kinks', () => {
    checkOpGradient(svm, [randomTensor([5, 4], testRng(4), 2), tensorOf([5], [0, 3, 1, 2, 0])], { delta: 1 });
    checkOpGradient(svm, [randomTensor([4], testRng(5), 2), Tensor.scalar(2)], { delta: 0.5 });
  });

  it('returns a run-time error for a bad label', () => {
    const r = svm.forward([scores, tensorOf([3], [0, 7, 2])], { delta: 1 }, ctx);
    assert.match(r.error ?? '', /^svm: the label at index \[1\] is 7, outside the valid range \[0, 3\)/);
  });

  it('shape rule mirrors softmax_ce', () => {
    assert.deepEqual(syms(svm.shape({ label: 'svm', types: [f([N, C]), int([N])] }, { delta: 1 })), []);
    assert.match(failure(svm.shape({ label: 'svm', types: [f([]), int([])] }, { delta: 1 })).message, /^svm expects scores as \[N, C\]/);
  });
});

describe('max_margin', () => {
  it('is mean(max(0, delta − s + s_c)) with broadcasting', () => {
    const s = tensorOf([2, 1], [2, 0]);
    const sc = tensorOf([2, 2], [0.5, 1.5, -2, 0]);
    // margins: [1-2+0.5, 1-2+1.5, 1-0-2, 1-0+0] = [-0.5, 0.5, -1, 1]
    near(maxMargin.forward([s, sc], { delta: 1 }, ctx).value.item(), (0.5 + 1) / 4);
    const [ds, dsc] = grads(maxMargin, [s, sc], { delta: 1 });
    assert.deepEqual([...ds!.shape], [2, 1]);
    assert.deepEqual([...ds!.data], [-0.25, -0.25]);
    assert.deepEqual([...dsc!.data], [0, 0.25, 0, 0.25]);
  });

  it('has gradient 0 at a margin of exactly 0 and tracks kinks', () => {
    const r = maxMargin.forward([Tensor.scalar(1), tensorOf([2], [0, 1])], { delta: 1 }, kinkCtx);
    assert.deepEqual([...(r.kinks ?? [])], [0, 1]);
    const [ds, dsc] = grads(maxMargin, [Tensor.scalar(1), tensorOf([2], [0, 1])], { delta: 1 });
    assert.equal(ds!.item(), -0.5);
    assert.deepEqual([...dsc!.data], [0, 0.5]);
  });

  it('passes the gradient check, including a broadcast operand', () => {
    checkOpGradient(maxMargin, [randomTensor([4], testRng(6)), randomTensor([4], testRng(7))], { delta: 1 });
    checkOpGradient(maxMargin, [randomTensor([3, 1], testRng(8)), randomTensor([3, 5], testRng(9))], { delta: 0.5 });
  });

  it('shape rule: scalar; broadcast failures name the shapes', () => {
    assert.deepEqual(syms(maxMargin.shape({ label: 'max_margin', types: [f([N, lit(1)]), f([N, named('K', 5)])] }, { delta: 1 })), []);
    const e = failure(maxMargin.shape({ label: 'max_margin', types: [f([N]), f([named('K', 5)])] }, { delta: 1 }));
    assert.match(e.message, /max_margin cannot broadcast \[N\] with \[K\]/);
  });
});

describe('mse', () => {
  it('is mean((pred − target)²) with gradients to both', () => {
    const p = tensorOf([2, 2], [1, 2, 3, 4]);
    const t = tensorOf([2, 2], [0, 2, 5, 4]);
    near(mse.forward([p, t], {}, ctx).value.item(), (1 + 0 + 4 + 0) / 4);
    const [dp, dt] = grads(mse, [p, t]);
    assert.deepEqual([...dp!.data], [0.5, 0, -1, 0]);
    assert.deepEqual([...dt!.data], [-0.5, 0, 1, 0]);
  });

  it('broadcasts a scalar target', () => {
    const [, dt] = grads(mse, [tensorOf([3], [1, 2, 3]), Tensor.scalar(2)]);
    near(mse.forward([tensorOf([3], [1, 2, 3]), Tensor.scalar(2)], {}, ctx).value.item(), 2 / 3);
    assert.deepEqual([...dt!.shape], []);
    near(dt!.item(), 0);
  });

  it('passes the gradient check', () => {
    checkOpGradient(mse, [randomTensor([3, 4], testRng(10)), randomTensor([3, 4], testRng(11))], {});
    checkOpGradient(mse, [randomTensor([3, 4], testRng(12)), randomTensor([4], testRng(13))], {});
  });

  it('rejects [N, 1] against [N], which would compare every pair', () => {
    assert.deepEqual(syms(mse.shape({ label: 'mse', types: [f([N, C]), f([N, C])] }, {})), []);
    assert.ok(mse.shape({ label: 'mse', types: [f([N, C]), f([])] }, {}).ok);
    const e = failure(mse.shape({ label: 'mse', types: [f([N, lit(1)]), f([N])] }, {}));
    assert.match(e.message, /^mse: pred \[N, 1\] and target \[N\] broadcast to \[N, N\], larger than either \(N=4\)/);
    assert.match(e.message, /reshape one of them/);
  });
});

describe('sigmoid_bce', () => {
  const naive = (x: number, t: number) => {
    const s = 1 / (1 + Math.exp(-x));
    return -t * Math.log(s) - (1 - t) * Math.log(1 - s);
  };

  it('matches the naive formula for moderate logits and stays finite for large ones', () => {
    const x = tensorOf([3], [0, 2, -3]);
    const t = tensorOf([3], [1, 0, 0.5]);
    near(sigmoidBce.forward([x, t], {}, ctx).value.item(), (naive(0, 1) + naive(2, 0) + naive(-3, 0.5)) / 3);
    near(sigmoidBce.forward([tensorOf([2], [1000, -1000]), tensorOf([2], [0, 0])], {}, ctx).value.item(), 500);
    near(sigmoidBce.forward([tensorOf([1], [-1000]), tensorOf([1], [1])], {}, ctx).value.item(), 1000);
  });

  it('has gradients (σ(x) − t)/n and −x/n', () => {
    const x = tensorOf([2], [0, 1000]);
    const t = tensorOf([2], [1, 0.25]);
    const [dx, dt] = grads(sigmoidBce, [x, t]);
    assert.deepEqual([...dx!.data], [(0.5 - 1) / 2, (1 - 0.25) / 2]);
    assert.deepEqual([...dt!.data], [0, -500]);
  });

  it('passes the gradient check (logits and targets)', () => {
    checkOpGradient(sigmoidBce, [randomTensor([3, 4], testRng(14), 2), randomTensor([3, 4], testRng(15), 0.2, 0.5)], {});
    checkOpGradient(sigmoidBce, [randomTensor([4, 2], testRng(16), 2), randomTensor([2], testRng(17), 0.2, 0.5)], {});
  });

  it('shape rule names logits and target', () => {
    const e = failure(sigmoidBce.shape({ label: 'sigmoid_bce', types: [f([N, lit(1)]), f([N])] }, {}));
    assert.match(e.message, /^sigmoid_bce: logits \[N, 1\] and target \[N\]/);
  });
});
