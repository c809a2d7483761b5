// An op that keeps part of its forward for backward (UnarySpec.keeps: gelu's slope) must give the
// bits of the op that keeps nothing: the same values, and the same gradient whether backward reads
// the kept buffer or recomputes it (a forward run with forwardOnly keeps nothing).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gelu } from '../../src/core/ops/elementwise';
import type { ForwardContext } from '../../src/core/ops/op';
import { Tensor } from '../../src/core/tensor/tensor';
import { xorshiftUniforms } from './helpers/xorshift';

const context = (forwardOnly: boolean): ForwardContext => ({ trackKinks: false, forwardOnly, random: (n) => new Float64Array(n) });

test('gelu keeps its slope for backward: same value and gradient bits as recomputing it, and its workspace counts the kept entries', () => {
  const n = 3000;
  const next = xorshiftUniforms(7);
  const u = Float64Array.from({ length: 2 * n }, () => next());
  const x = new Tensor([n / 10, 10], Float64Array.from({ length: n }, (_, i) => (u[i] - 0.5) * (i % 3 === 0 ? 90 : 8)));
  x.data[0] = NaN;
  x.data[1] = -0;
  x.data[2] = Infinity;
  assert.ok(x.data.slice(3).every((v) => Number.isFinite(v)) && new Set(x.data).size > n / 2, 'finite, varied inputs');
  const g = new Tensor(x.shape, Float64Array.from({ length: n }, (_, i) => u[n + i] - 0.5));
  const kept = gelu.forward([x], {}, context(false));
  const plain = gelu.forward([x], {}, context(true));
  assert.ok(kept.saved instanceof Tensor, 'the full forward keeps the slope');
  assert.equal(plain.saved, undefined, 'a forward with no backward after it keeps nothing');
  assert.deepEqual([...kept.value.data].map(String), [...plain.value.data].map(String));
  const args = (r: typeof kept) => ({ inputs: [x], out: r.value, grad: g, saved: r.saved, attrs: {}, needs: [true] });
  const [dKept] = gelu.backward(args(kept));
  const [dPlain] = gelu.backward(args(plain));
  assert.ok(dKept && dPlain);
  dKept.data.forEach((v, i) => assert.ok(Object.is(v, dPlain.data[i]), `entry ${i} (x = ${x.data[i]}): ${v} vs ${dPlain.data[i]}`));
  assert.deepEqual(gelu.workspace?.([x.shape], x.shape, {}), { saved: n });
});
