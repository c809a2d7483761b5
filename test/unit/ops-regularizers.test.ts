import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ForwardContext, OpDef } from '../../src/core/ops/op';
import { elastic, l1, l2, REGULARIZER_OPS } from '../../src/core/ops/regularizers';
import { named } from '../../src/core/shapes/shape';
import { Tensor } from '../../src/core/tensor/tensor';
// checkOpGradient asserts every entry itself (relative error < 1e-7, or both gradients within 1e-9).
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';

const ctx = fixedContext();
const kinkCtx: ForwardContext = { ...fixedContext(), trackKinks: true };
const W = tensorOf([2, 3], [1, -2, 0, 0.5, -0.25, 3]);

function grad(op: OpDef, x: Tensor, attrs: Record<string, number> = {}, g = 1): number[] {
  const r = op.forward([x], attrs, ctx);
  const [d] = op.backward({ inputs: [x], out: r.value, grad: Tensor.scalar(g), saved: r.saved, attrs, needs: [true] });
  return [...d!.data];
}

/** Random weights kept at least 0.1 away from the kink at 0. */
function awayFromZero(shape: number[], seed: number): Tensor {
  const t = randomTensor(shape, testRng(seed));
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]) < 0.1) t.data[i] += t.data[i] < 0 ? -0.1 : 0.1;
  return t;
}

describe('REGULARIZER_OPS', () => {
  it('lists l2, l1, elastic in the regularizers group', () => {
    assert.deepEqual(
      REGULARIZER_OPS.map((o) => o.id),
      ['l2', 'l1', 'elastic'],
    );
    for (const op of REGULARIZER_OPS) assert.equal(op.group, 'regularizers');
    assert.ok(l1.kinks && elastic.kinks && !l2.kinks);
  });

  it('all return scalars', () => {
    for (const op of REGULARIZER_OPS) {
      const r = op.shape({ label: op.name, types: [{ shape: [named('D', 3), named('H', 5)], isInt: false }] }, { beta: 0.5 });
      assert.ok(r.ok && r.shape.length === 0, op.id);
    }
  });
});

describe('l2', () => {
  it('is Σ W² (not halved) with gradient 2W', () => {
    assert.equal(l2.forward([W], {}, ctx).value.item(), 1 + 4 + 0 + 0.25 + 0.0625 + 9);
    assert.deepEqual(grad(l2, W, {}, 3), [6, -12, 0, 3, -1.5, 18]);
  });

  it('passes the gradient check', () => {
    checkOpGradient(l2, [randomTensor([4, 3], testRng(1))], {});
    checkOpGradient(l2, [randomTensor([5], testRng(2))], {});
  });
});

describe('l1', () => {
  it('is Σ |W| with gradient sign(W), 0 at 0', () => {
    assert.equal(l1.forward([W], {}, ctx).value.item(), 1 + 2 + 0 + 0.5 + 0.25 + 3);
    assert.deepEqual(grad(l1, W, {}, 2), [2, -2, 0, 2, -2, 2]);
  });

  it('records the side of the kink for each weight', () => {
    assert.deepEqual([...(l1.forward([W], {}, kinkCtx).kinks ?? [])], [1, -1, 0, 1, -1, 1]);
    assert.equal(l1.forward([W], {}, ctx).kinks, undefined);
  });

  it('passes the gradient check away from 0', () => {
    checkOpGradient(l1, [awayFromZero([4, 3], 3)], {});
  });
});

describe('elastic', () => {
  it('is beta·Σ W² + Σ |W| with gradient 2·beta·W + sign(W)', () => {
    near(elastic.forward([W], { beta: 0.5 }, ctx).value.item(), 0.5 * 14.3125 + 6.75);
    assert.deepEqual(grad(elastic, W, { beta: 0.5 }), [2, -3, 0, 1.5, -1.25, 4]);
    assert.deepEqual([...(elastic.forward([W], { beta: 0.5 }, kinkCtx).kinks ?? [])], [1, -1, 0, 1, -1, 1]);
  });

  it('passes the gradient check away from 0', () => {
    checkOpGradient(elastic, [awayFromZero([3, 4], 4)], { beta: 0.7 });
  });

  it('requires beta', () => {
    const r = elastic.shape({ label: 'elastic', types: [{ shape: [named('D', 3)], isInt: false }] }, {});
    assert.ok(!r.ok);
    assert.equal(r.code, 'bad-argument');
    assert.match(r.message, /elastic needs beta, the weight of the L2 term/);
    assert.equal(elastic.signature[1].default, undefined);
  });
});

function near(a: number, b: number): void {
  assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
}
