import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attrs, ShapeArg } from '../../src/core/ops/op';
import { concat, reshape, SHAPE_OPS, stack } from '../../src/core/ops/shapeOps';
import { lit, named, type Dim } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { f, failure, int, okShape, syms } from './helpers/shapeRule';

const ctx = fixedContext();
const target = (...dims: (Dim | 'infer')[]): Attrs => ({ shape: { kind: 'shape', dims } satisfies ShapeArg });
const sizes = (...dims: number[]): Attrs => target(...dims.map((d) => (d === -1 ? ('infer' as const) : lit(d))));

const N = named('N', 4);
const D = named('D', 6);
const H = named('H', 3);
const M = named('M', 2);

describe('SHAPE_OPS', () => {
  it('lists the shape ops; those that move values preserve integer labels', () => {
    assert.deepEqual(
      SHAPE_OPS.map((o) => o.id),
      ['reshape', 'concat', 'stack', 'expand_dims', 'ones_like', 'zeros_like'],
    );
    for (const op of SHAPE_OPS) {
      assert.equal(op.group, 'shape');
      assert.equal(op.preservesInt === true, !op.id.endsWith('_like'), op.id);
    }
    assert.equal(concat.signature[0].kind, 'tensors');
    assert.equal(reshape.signature[1].kind, 'shape');
  });
});

describe('reshape', () => {
  const x = tensorOf([2, 3], [1, 2, 3, 4, 5, 6]);

  it('keeps row-major order and infers -1', () => {
    const r = reshape.forward([x], sizes(3, -1), ctx).value;
    assert.deepEqual([...r.shape], [3, 2]);
    assert.deepEqual([...r.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...reshape.forward([x], sizes(-1), ctx).value.shape], [6]);
    assert.deepEqual([...reshape.forward([Tensor.scalar(7)], sizes(1, 1), ctx).value.shape], [1, 1]);
  });

  it('reshapes the gradient back', () => {
    const r = reshape.forward([x], sizes(6), ctx);
    const [dx] = reshape.backward({ inputs: [x], out: r.value, grad: tensorOf([6], [6, 5, 4, 3, 2, 1]), saved: r.saved, attrs: sizes(6), needs: [true] });
    assert.deepEqual([...dx!.shape], [2, 3]);
    assert.deepEqual([...dx!.data], [6, 5, 4, 3, 2, 1]);
    checkOpGradient(reshape, [randomTensor([2, 3, 4], testRng(1))], sizes(6, -1));
    checkOpGradient(reshape, [randomTensor([2, 3, 4], testRng(2))], sizes(4, 3, 2));
  });

  it('infers -1 symbolically: [N, D] → [N, -1] is [N, D]', () => {
    const s = okShape(reshape.shape({ label: 'reshape', types: [f([N, D])] }, target(N, 'infer')));
    assert.deepEqual(s, [N, D]);
  });

  it('infers -1 as a derived dimension: [N, D] → [H, -1] is [H, N*D/H]', () => {
    const s = okShape(reshape.shape({ label: 'reshape', types: [f([N, D])] }, target(H, 'infer')));
    assert.equal(s[1].sym, 'N*D/H');
    assert.equal(s[1].size, 8);
    assert.equal(s[1].origin, 'derived');
    const flat = okShape(reshape.shape({ label: 'reshape', types: [f([N, D])] }, target('infer')));
    assert.deepEqual([flat[0].sym, flat[0].size], ['N*D', 24]);
    // A flattened product cancels factor by factor.
    const back = okShape(reshape.shape({ label: 'reshape', types: [f(flat)] }, target(N, 'infer')));
    assert.deepEqual([back[1].sym, back[1].size], ['D', 6]);
  });

  it('infers a literal from literal sizes', () => {
    const s = okShape(reshape.shape({ label: 'reshape', types: [f([lit(4), lit(6)])] }, sizes(-1, 3)));
    assert.deepEqual(s[0], lit(8));
    const mixed = okShape(reshape.shape({ label: 'reshape', types: [f([named('N', null), lit(6)])] }, target(named('N', null), lit(2), 'infer')));
    assert.deepEqual(mixed[2], lit(3));
  });

  it('works symbolically when sizes are unknown (inside a gate)', () => {
    const n = named('N', null);
    const d = named('D', null);
    const h = named('H', null);
    assert.deepEqual(syms(reshape.shape({ label: 'reshape', types: [f([n, d])] }, target(d, n))), ['D', 'N']);
    assert.deepEqual(syms(reshape.shape({ label: 'reshape', types: [f([n, d])] }, target(h, 'infer'))), ['H', 'N*D/H']);
    const e = failure(reshape.shape({ label: 'reshape', types: [f([n, d])] }, target(n, h)));
    assert.match(e.message, /cannot reshape x \[N, D\] \(N\*D elements\) into \[N, H\] \(N\*H elements\)/);
  });

  it('fails when the element counts differ, naming the dimensions', () => {
    const e = failure(reshape.shape({ label: 'reshape', types: [f([N, H])] }, target(N, D)));
    assert.equal(e.code, 'shape-mismatch');
    assert.equal(e.argIndex, 1);
    assert.equal(
      e.message,
      'reshape cannot reshape x [N, H] (N*H = 12 elements) into [N, D] (N*D = 24 elements) (N=4, H=3, D=6); ' +
        'the element counts must agree — write -1 for one dimension to infer it, e.g. reshape(x, [N, -1])',
    );
    const nd = failure(reshape.shape({ label: 'reshape', types: [f([lit(5)])] }, sizes(2, -1)));
    assert.match(nd.message, /5 is not a multiple of 2/);
  });

  it('rejects two -1s', () => {
    const e = failure(reshape.shape({ label: 'reshape', types: [f([N, D])] }, sizes(-1, -1)));
    assert.equal(e.code, 'bad-argument');
    assert.match(e.message, /at most one dimension of the target can be -1, found 2 in \[-1, -1\]/);
  });

  it('reports differently named dimensions that only match by size', () => {
    const D5 = named('D', 5);
    const H5 = named('H', 5);
    const r = reshape.shape({ label: 'reshape', types: [f([N, D5])] }, target(N, H5));
    assert.ok(r.ok);
    assert.deepEqual(
      r.conflicts?.map(([a, b]) => [a.sym, b.sym]),
      [['D', 'H']],
    );
  });
});

describe('concat', () => {
  const a = tensorOf([2, 2], [1, 2, 3, 4]);
  const b = tensorOf([1, 2], [5, 6]);
  const c = tensorOf([2, 1], [7, 8]);

  it('joins along axis 0 and axis -1', () => {
    const r0 = concat.forward([a, b], { axis: 0 }, ctx).value;
    assert.deepEqual([...r0.shape], [3, 2]);
    assert.deepEqual([...r0.data], [1, 2, 3, 4, 5, 6]);
    const r1 = concat.forward([a, c], { axis: -1 }, ctx).value;
    assert.deepEqual([...r1.shape], [2, 3]);
    assert.deepEqual([...r1.data], [1, 2, 7, 3, 4, 8]);
  });

  it('slices the gradient back and honours needs', () => {
    const r = concat.forward([a, c], { axis: 1 }, ctx);
    const g = tensorOf([2, 3], [10, 20, 30, 40, 50, 60]);
    const [da, dc] = concat.backward({ inputs: [a, c], out: r.value, grad: g, saved: r.saved, attrs: { axis: 1 }, needs: [true, true] });
    assert.deepEqual([...da!.data], [10, 20, 40, 50]);
    assert.deepEqual([...dc!.data], [30, 60]);
    const partial = concat.backward({ inputs: [a, c], out: r.value, grad: g, saved: r.saved, attrs: { axis: 1 }, needs: [false, true] });
    assert.equal(partial[0], null);
  });

  for (const axis of [0, 1, -1]) {
    it(`passes the gradient check with three inputs on axis ${axis}`, () => {
      const rng = testRng(10 + axis);
      const shapeWith = (n: number) => [2, 3, 2].map((d, i) => (i === (axis + 3) % 3 ? n : d));
      checkOpGradient(concat, [randomTensor(shapeWith(1), rng), randomTensor(shapeWith(2), rng), randomTensor(shapeWith(3), rng)], { axis });
    });
  }

  it('shape rule adds the joined dimensions', () => {
    assert.deepEqual(syms(concat.shape({ label: 'concat', types: [f([N, D]), f([M, D])] }, { axis: 0 })), ['N+M', 'D']);
    assert.equal(okShape(concat.shape({ label: 'concat', types: [f([N, D]), f([M, D])] }, { axis: 0 }))[0].size, 6);
    assert.deepEqual(syms(concat.shape({ label: 'concat', types: [f([N, D]), f([N, D])] }, { axis: 0 })), ['2*N', 'D']);
    assert.deepEqual(syms(concat.shape({ label: 'concat', types: [f([N, D]), f([N, D]), f([N, D])] }, { axis: 0 })), ['3*N', 'D']);
    assert.deepEqual(syms(concat.shape({ label: 'concat', types: [f([N, D]), f([N, lit(3)])] }, { axis: -1 })), ['N', 'D+3']);
    assert.deepEqual(syms(concat.shape({ label: 'concat', types: [f([lit(2)]), f([lit(3)])] }, { axis: 0 })), ['5']);
    assert.deepEqual(syms(concat.shape({ label: 'concat', types: [f([N, D])] }, { axis: 0 })), ['N', 'D']);
  });

  it('shape rule failures name the shapes, the axis and the fix', () => {
    const e = failure(concat.shape({ label: 'concat', types: [f([N, D]), f([M, H])] }, { axis: 0 }));
    assert.equal(e.code, 'shape-mismatch');
    assert.match(e.message, /^concat along axis 0 needs equal dimensions on every other axis, but tensor 0 \[N, D\] and tensor 1 \[M, H\] differ on axis 1: D vs H \(N=4, D=6, M=2, H=3\); transpose or reshape/);
    assert.match(failure(concat.shape({ label: 'concat', types: [f([N, D]), f([N])] }, { axis: 0 })).message, /same rank/);
    const ax = failure(concat.shape({ label: 'concat', types: [f([N, D]), f([N, D])] }, { axis: 2 }));
    assert.equal(ax.code, 'bad-argument');
    assert.match(ax.message, /axis 2 is out of range for tensors of rank 2 like \[N, D\] \(valid: -2…1\)/);
    assert.match(failure(concat.shape({ label: 'concat', types: [f([]), f([])] }, { axis: 0 })).message, /cannot join scalars/);
    assert.match(failure(concat.shape({ label: 'concat', types: [int([N]), f([N])] }, { axis: 0 })).message, /mixes integer labels/);
    assert.ok(concat.shape({ label: 'concat', types: [int([N]), int([M])] }, { axis: 0 }).ok);
  });
});

describe('stack', () => {
  const a = tensorOf([2], [1, 2]);
  const b = tensorOf([2], [3, 4]);

  it('inserts a new axis', () => {
    const r0 = stack.forward([a, b], { axis: 0 }, ctx).value;
    assert.deepEqual([...r0.shape], [2, 2]);
    assert.deepEqual([...r0.data], [1, 2, 3, 4]);
    const r1 = stack.forward([a, b], { axis: -1 }, ctx).value;
    assert.deepEqual([...r1.data], [1, 3, 2, 4]);
    const s = stack.forward([Tensor.scalar(1), Tensor.scalar(2), Tensor.scalar(3)], { axis: 0 }, ctx).value;
    assert.deepEqual([...s.shape], [3]);
  });

  it('slices the gradient back', () => {
    const r = stack.forward([a, b], { axis: 1 }, ctx);
    const [da, db] = stack.backward({ inputs: [a, b], out: r.value, grad: tensorOf([2, 2], [1, 2, 3, 4]), saved: r.saved, attrs: { axis: 1 }, needs: [true, true] });
    assert.deepEqual([...da!.shape], [2]);
    assert.deepEqual([...da!.data], [1, 3]);
    assert.deepEqual([...db!.data], [2, 4]);
  });

  for (const axis of [0, 1, 2, -1]) {
    it(`passes the gradient check on axis ${axis}`, () => {
      const rng = testRng(20 + axis);
      checkOpGradient(stack, [randomTensor([2, 3], rng), randomTensor([2, 3], rng), randomTensor([2, 3], rng)], { axis });
    });
  }

  it('shape rule inserts a literal axis of length len(xs)', () => {
    const types = [f([N, D]), f([N, D]), f([N, D])];
    assert.deepEqual(syms(stack.shape({ label: 'stack', types }, { axis: 0 })), ['3', 'N', 'D']);
    assert.deepEqual(syms(stack.shape({ label: 'stack', types }, { axis: 1 })), ['N', '3', 'D']);
    assert.deepEqual(syms(stack.shape({ label: 'stack', types }, { axis: -1 })), ['N', 'D', '3']);
    assert.equal(okShape(stack.shape({ label: 'stack', types }, { axis: 0 }))[0].origin, 'literal');
  });

  it('shape rule requires equal shapes and a valid axis', () => {
    const e = failure(stack.shape({ label: 'stack', types: [f([N, D]), f([N, H])] }, { axis: 0 }));
    assert.match(e.message, /^stack needs tensors of the same shape: tensor 0 is \[N, D\] but tensor 1 is \[N, H\] \(N=4, D=6, H=3\); .*use concat/);
    const ax = failure(stack.shape({ label: 'stack', types: [f([N, D]), f([N, D])] }, { axis: 3 }));
    assert.equal(ax.code, 'bad-argument');
    assert.match(ax.message, /valid: -3…2/);
  });
});
