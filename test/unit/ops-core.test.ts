// Arithmetic, elementwise and reduction ops: gradients against central differences (away from
// kinks), broadcasting gradients, kink subgradients, and the shape rules' messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { add, div, eq, ge, gt, le, lt, mul, pow, sub } from '../../src/core/ops/arithmetic';
import { index, transpose, transposeT } from '../../src/core/ops/indexing';
import { matmul } from '../../src/core/ops/matrixProduct';
import { abs, clip, elu, exp, leakyRelu, log, maximum, minimum, neg, relu, sigmoid, sign, sqrt, square, tanh } from '../../src/core/ops/elementwise';
import type { OpDef } from '../../src/core/ops/op';
import { ALL_OPS } from '../../src/core/ops/registry';
import { logsumexp, maxReduce, mean, minReduce, sum } from '../../src/core/ops/reductions';
import { lit, named } from '../../src/core/shapes/shape';
import { gemmNT, gemmTN } from '../../src/core/tensor/matmul';
import { Tensor } from '../../src/core/tensor/tensor';
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';

const rng = testRng(3);

/** Random values kept at least `gap` away from 0 (the kink of relu, abs, …). */
function awayFromZero(shape: number[], gap = 0.1): Tensor {
  const t = randomTensor(shape, rng);
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < gap) t.data[i] += t.data[i] >= 0 ? gap : -gap;
  return t;
}

function positive(shape: number[]): Tensor {
  const t = randomTensor(shape, rng);
  for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + Math.abs(t.data[i]);
  return t;
}

test('elementwise ops: backward matches central differences', () => {
  const cases: [OpDef, Tensor, Record<string, number>][] = [
    [exp, randomTensor([3, 4], rng), {}],
    [log, positive([5]), {}],
    [sqrt, positive([2, 3]), {}],
    [abs, awayFromZero([6]), {}],
    [square, randomTensor([2, 2, 2], rng), {}],
    [tanh, randomTensor([7], rng), {}],
    [sigmoid, randomTensor([3, 3], rng, 3), {}],
    [relu, awayFromZero([4, 5]), {}],
    [leakyRelu, awayFromZero([9]), { alpha: 0.1 }],
    [elu, awayFromZero([9]), { alpha: 0.7 }],
    [clip, randomTensor([12], rng), { lo: -0.5, hi: 0.7 }],
    [neg, randomTensor([2, 3], rng), {}],
  ];
  for (const [op, x, attrs] of cases) {
    if (op === clip) for (let i = 0; i < x.size; i++) if (Math.abs(x.data[i] + 0.5) < 0.05 || Math.abs(x.data[i] - 0.7) < 0.05) x.data[i] += 0.1;
    checkOpGradient(op, [x], attrs);
  }
});

test('kinks use the subgradients PyTorch uses', () => {
  const x = tensorOf([5], [-1, 0, 0, 2, -0]);
  const g = tensorOf([5], [1, 1, 1, 1, 1]);
  const back = (op: OpDef, attrs = {}) => Array.from(op.backward({ inputs: [x], out: op.forward([x], attrs, fixedContext()).value, grad: g, saved: undefined, attrs, needs: [true] })[0]!.data);
  assert.deepEqual(back(relu), [0, 0, 0, 1, 0]);
  assert.deepEqual(back(abs), [-1, 0, 0, 1, 0]);
  assert.deepEqual(back(leakyRelu, { alpha: 0.1 }), [0.1, 0.1, 0.1, 1, 0.1]);
  assert.deepEqual(back(clip, { lo: 0, hi: 2 }), [0, 1, 1, 1, 1]);
  // max(a, b) on a tie splits the gradient evenly (torch.maximum)
  const a = tensorOf([3], [1, 2, 3]);
  const b = tensorOf([3], [1, 5, 0]);
  const [ga, gb] = maximum.backward({ inputs: [a, b], out: maximum.forward([a, b], {}, fixedContext()).value, grad: tensorOf([3], [1, 1, 1]), saved: undefined, attrs: {}, needs: [true, true] });
  assert.deepEqual(Array.from(ga!.data), [0.5, 0, 1]);
  assert.deepEqual(Array.from(gb!.data), [0.5, 1, 0]);
  // max over an axis splits ties too (torch.amax)
  const m = tensorOf([2, 3], [4, 4, 1, 0, 2, 7]);
  const f = maxReduce.forward([m], { axis: 1, keepdims: false }, fixedContext());
  const [gm] = maxReduce.backward({ inputs: [m], out: f.value, grad: tensorOf([2], [1, 1]), saved: f.saved, attrs: { axis: 1, keepdims: false }, needs: [true] });
  assert.deepEqual(Array.from(gm!.data), [0.5, 0.5, 0, 0, 0, 1]);
});

test('kink sides are recorded when asked for', () => {
  const x = tensorOf([4], [-1, 0.5, 2, -3]);
  const r = relu.forward([x], {}, { ...fixedContext(), trackKinks: true });
  assert.deepEqual(Array.from(r.kinks!), [0, 1, 1, 0]);
  const r2 = maxReduce.forward([x], { axis: null, keepdims: false }, { ...fixedContext(), trackKinks: true });
  assert.deepEqual(Array.from(r2.kinks!), [0, 0, 1, 0]);
});

test('binary ops with broadcasting: gradients sum over the broadcast axes', () => {
  const shapes: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[3, 4], [4]], // bias
    [[3, 4], [3, 1]],
    [[2, 1, 4], [3, 1]],
    [[], [2, 3]], // scalar
    [[5], []],
  ];
  for (const [sa, sb] of shapes) {
    for (const op of [add, sub, mul]) checkOpGradient(op, [randomTensor(sa, rng), randomTensor(sb, rng)], {});
    checkOpGradient(div, [randomTensor(sa, rng), positive(sb)], {});
    checkOpGradient(maximum, [randomTensor(sa, rng), randomTensor(sb, rng)], {});
    checkOpGradient(minimum, [randomTensor(sa, rng), randomTensor(sb, rng)], {});
  }
  // the bias of X @ W + b gets the column sums of the upstream gradient
  const g = tensorOf([2, 3], [1, 2, 3, 4, 5, 6]);
  const [, db] = add.backward({ inputs: [new Tensor([2, 3]), new Tensor([3])], out: new Tensor([2, 3]), grad: g, saved: undefined, attrs: {}, needs: [true, true] });
  assert.deepEqual(Array.from(db!.data), [5, 7, 9]);
});

test('pow: base and scalar exponent', () => {
  checkOpGradient(pow, [positive([3, 2]), Tensor.scalar(1.7)], {});
  checkOpGradient(pow, [randomTensor([4], rng), Tensor.scalar(3)], {}, { check: [0] });
  const r = pow.shape({ label: '**', types: [{ shape: [named('N', 3)], isInt: false }, { shape: [named('N', 3)], isInt: false }] }, {});
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /needs a scalar exponent, found \[N\]/);
});

test('matmul: all numpy rank combinations, forward and backward', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 5]],
    [[4], [4, 5]],
    [[3, 4], [4]],
    [[4], [4]],
    [[2, 3, 4], [4, 5]],
    [[2, 3, 4], [2, 4, 5]],
    [[3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [5, 4, 2]],
  ];
  for (const [sa, sb] of cases) checkOpGradient(matmul, [randomTensor(sa, rng), randomTensor(sb, rng)], {});
  const a = tensorOf([2, 3], [1, 2, 3, 4, 5, 6]);
  const b = tensorOf([3, 2], [7, 8, 9, 10, 11, 12]);
  assert.deepEqual(Array.from(matmul.forward([a, b], {}, fixedContext()).value.data), [58, 64, 139, 154]);
  const v = tensorOf([3], [1, 0, -1]);
  const mv = matmul.forward([a, v], {}, fixedContext()).value;
  assert.deepEqual([...mv.shape], [2]);
  assert.deepEqual(Array.from(mv.data), [-2, -2]);
});

test('matmul backward: setting a fresh gradient with its first product has the bits of adding it to +0', () => {
  // Entries that cancel exactly, zeros and negative zeros: every product sum that could end on ±0.
  const vals = (n: number, seed: number) => Float64Array.from({ length: n }, (_, i) => [0, -0, 1, -1, 2, -2, 0.5, 3][(i * 7 + seed) % 8]);
  const bits = (v: Float64Array) => [...new BigUint64Array(v.buffer, v.byteOffset, v.length)];
  // [M, K] @ [K, N] (one batch, on the WebAssembly kernel) and [M, K] @ [B, K, N] (dA sums the batches).
  for (const [M, K, N, B] of [
    [40, 36, 24, 1],
    [3, 4, 5, 1],
    [24, 20, 16, 3],
  ]) {
    const a = new Tensor([M, K], vals(M * K, 1));
    const b = new Tensor(B === 1 ? [K, N] : [B, K, N], vals(B * K * N, 2));
    const fwd = matmul.forward([a, b], {}, fixedContext());
    const out = fwd.value;
    const grad = new Tensor(out.shape, vals(out.size, 3));
    const [da, db] = matmul.backward({ inputs: [a, b], out, grad, saved: fwd.saved, attrs: {}, needs: [true, true] }) as Tensor[];
    const wantA = new Float64Array(M * K);
    const wantB = new Float64Array(B * K * N);
    for (let t = 0; t < B; t++) {
      gemmNT(M, K, N, grad.data, t * M * N, b.data, t * K * N, wantA, 0, true);
      gemmTN(K, N, M, a.data, 0, grad.data, t * M * N, wantB, t * K * N, true);
    }
    assert.deepEqual(bits(da.data), bits(wantA), `dA ${M}×${K}×${N}×${B}`);
    assert.deepEqual(bits(db.data), bits(wantB), `dB ${M}×${K}×${N}×${B}`);
  }
});

test('matmul backward: a batch of matrices times one matrix sums dB over the stacked rows in one product, as PyTorch folds the batch', () => {
  const bits = (v: Float64Array) => [...new BigUint64Array(v.buffer, v.byteOffset, v.length)];
  // [B, T, K] @ [K, N]: dB = (the B·T rows of a)ᵀ · (the B·T rows of the gradient), one sum per entry.
  const [B, T, K, N] = [8, 16, 24, 20];
  const a = randomTensor([B, T, K], rng);
  const b = randomTensor([K, N], rng);
  const fwd = matmul.forward([a, b], {}, fixedContext());
  const grad = randomTensor([...fwd.value.shape], rng);
  const [da, db] = matmul.backward({ inputs: [a, b], out: fwd.value, grad, saved: fwd.saved, attrs: {}, needs: [true, true] }) as Tensor[];
  const wantB = new Float64Array(K * N);
  gemmTN(K, N, B * T, a.data, 0, grad.data, 0, wantB, 0, false);
  assert.deepEqual(bits(db.data), bits(wantB));
  // Summing per batch then adding the batches rounds differently: the test tells the two apart.
  const perBatch = new Float64Array(K * N);
  for (let t = 0; t < B; t++) gemmTN(K, N, T, a.data, t * T * K, grad.data, t * T * N, perBatch, 0, t > 0);
  assert.notDeepEqual(bits(perBatch), bits(wantB));
  const wantA = new Float64Array(B * T * K);
  gemmNT(B * T, K, N, grad.data, 0, b.data, 0, wantA, 0, false);
  assert.deepEqual(bits(da.data), bits(wantA));
  // Only dB wanted: the same product.
  const [noA, dbOnly] = matmul.backward({ inputs: [a, b], out: fwd.value, grad, saved: fwd.saved, attrs: {}, needs: [false, true] }) as (Tensor | null)[];
  assert.equal(noA, null);
  assert.deepEqual(bits(dbOnly!.data), bits(wantB));
});

test('matmul shape errors name the operator, both shapes and the dimensions', () => {
  const N = named('N', 4);
  const D = named('D', 10);
  const H = named('H', 5);
  const r = matmul.shape({ label: '@', types: [{ shape: [N, D], isInt: false }, { shape: [H, D], isInt: false }] }, {});
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.message, '@ cannot multiply [N, D] by [H, D]: inner dimensions D and H differ (N=4, D=10, H=5)');
  assert.equal(!r.ok && r.code, 'matmul-shape');
  const ok = matmul.shape({ label: '@', types: [{ shape: [N, D], isInt: false }, { shape: [D, H], isInt: false }] }, {});
  assert.ok(ok.ok && ok.shape.map((d) => d.sym).join() === 'N,H');
  // same sizes, different names: runs, but reported as a conflict
  const H10 = named('H', 10);
  const c = matmul.shape({ label: '@', types: [{ shape: [N, D], isInt: false }, { shape: [H10, N], isInt: false }] }, {});
  assert.ok(c.ok && c.conflicts?.length === 1);
  const scalar = matmul.shape({ label: '@', types: [{ shape: [], isInt: false }, { shape: [D], isInt: false }] }, {});
  assert.match(!scalar.ok ? scalar.message : '', /use \* to scale by a scalar/);
});

test('transposes and indexing', () => {
  checkOpGradient(transposeT, [randomTensor([3, 5], rng)], {});
  checkOpGradient(transposeT, [randomTensor([2, 3, 4], rng)], {});
  checkOpGradient(transpose, [randomTensor([2, 3, 4], rng)], { axes: [1, 2, 0] });
  checkOpGradient(index, [randomTensor([4, 5], rng)], { items: [{ kind: 'at', value: -1 }] });
  checkOpGradient(index, [randomTensor([4, 5, 2], rng)], { items: [{ kind: 'slice', start: 1, stop: 3 }, { kind: 'at', value: 2 }] });
  const x = tensorOf([2, 3], [1, 2, 3, 4, 5, 6]);
  const t = transposeT.forward([x], {}, fixedContext()).value;
  assert.deepEqual([...t.shape], [3, 2]);
  assert.deepEqual(Array.from(t.data), [1, 4, 2, 5, 3, 6]);
  const row = index.forward([x], { items: [{ kind: 'at', value: 1 }] }, fixedContext()).value;
  assert.deepEqual(Array.from(row.data), [4, 5, 6]);
  const bad = index.shape({ label: 'indexing', types: [{ shape: [named('N', 4)], isInt: false }] }, { items: [{ kind: 'at', value: 4 }] });
  assert.match(!bad.ok ? bad.message : '', /index 4 is out of range for axis 0 of \[N\] \(size 4, N=4\)/);
  const perm = transpose.shape({ label: 'transpose', types: [{ shape: [lit(2), lit(3)], isInt: false }] }, { axes: [0, 0] });
  assert.match(!perm.ok ? perm.message : '', /not a permutation/);
});

test('reductions over all axes, one axis, several axes, with and without keepdims', () => {
  for (const op of [sum, mean, logsumexp]) {
    for (const attrs of [{ axis: null, keepdims: false }, { axis: 0, keepdims: false }, { axis: -1, keepdims: true }, { axis: [0, 2], keepdims: false }]) {
      checkOpGradient(op, [randomTensor([3, 4, 2], rng)], attrs);
    }
  }
  for (const op of [maxReduce, minReduce]) checkOpGradient(op, [randomTensor([3, 4], rng)], { axis: 1, keepdims: true });
  const x = tensorOf([2, 3], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(sum.forward([x], { axis: 0, keepdims: false }, fixedContext()).value.data), [5, 7, 9]);
  assert.deepEqual(Array.from(mean.forward([x], { axis: 1, keepdims: false }, fixedContext()).value.data), [2, 5]);
  const big = tensorOf([2], [1000, 1001]);
  const lse = logsumexp.forward([big], { axis: null, keepdims: false }, fixedContext()).value.item();
  assert.ok(Math.abs(lse - (1001 + Math.log(1 + Math.exp(-1)))) < 1e-12, 'logsumexp does not overflow');
  const r = sum.shape({ label: 'sum', types: [{ shape: [named('N', 2), named('D', 3)], isInt: false }] }, { axis: 2, keepdims: false });
  assert.match(!r.ok ? r.message : '', /axis 2 is out of range for a tensor of rank 2 \(valid: -2…1\)/);
});

test('comparisons and sign produce masks and carry no gradient', () => {
  const a = tensorOf([4], [-1, 0, 1, 2]);
  const z = Tensor.scalar(0);
  const vals = (op: OpDef) => Array.from(op.forward([a, z], {}, fixedContext()).value.data);
  assert.deepEqual(vals(gt), [0, 0, 1, 1]);
  assert.deepEqual(vals(lt), [1, 0, 0, 0]);
  assert.deepEqual(vals(ge), [0, 1, 1, 1]);
  assert.deepEqual(vals(le), [1, 1, 0, 0]);
  assert.deepEqual(vals(eq), [0, 1, 0, 0]);
  for (const op of [gt, lt, ge, le, eq, sign]) assert.equal(op.noGrad, true);
});

test('the op table: unique ids, and every op states how it routes gradients', () => {
  const ids = ALL_OPS.map((o) => o.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const op of ALL_OPS) {
    assert.ok(op.summary.length > 10, `${op.id} summary`);
    assert.ok(op.explain.length > 20, `${op.id} explain`);
    for (const p of op.signature) assert.ok(p.doc.length > 0, `${op.id}.${p.name} doc`);
  }
  // every spec section 5 name is present
  const names = new Set(ALL_OPS.map((o) => o.name));
  const spec = '+ - * / ** @ .T transpose exp log sqrt abs square tanh sigmoid relu leaky_relu elu max min clip sum mean logsumexp reshape concat stack softmax log_softmax maxout dropout batchnorm conv2d max_pool2d avg_pool2d rnn softmax_ce svm max_margin mse sigmoid_bce l2 l1 elastic';
  for (const n of spec.split(' ')) assert.ok(names.has(n), `missing op ${n}`);
});
