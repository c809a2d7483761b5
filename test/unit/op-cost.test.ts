// The cost model against counted work. Timing every kernel is a benchmark (`npm run
// bench:op-cost`, bench/opCost.ts: every op, forward and backward, at three sizes, within a factor
// of 2 of the common rate); here the work of the ops whose work depends on their attributes is
// counted, deterministically: their forward kernels run on inputs whose entries count their reads,
// and an op's estimate, divided by the reads it really did, must stay within a factor of 2 across
// sizes and attributes. An estimate that ignores an attribute (a pooling window, a kernel's size)
// drifts by far more: issue 15's max_pool2d with a 200×200 window was estimated at 4e5 operations
// and reads its input 1.6e9 times. (Reads are not the whole work of a backward pass, which mostly
// writes, nor of a loop's overhead: those are calibrated by the benchmark.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backwardCost, forwardCost } from '../../src/core/ops/cost';
import { ALL_OPS, OPS_BY_ID } from '../../src/core/ops/registry';
import type { Attrs } from '../../src/core/ops/op';
import { Tensor } from '../../src/core/tensor/tensor';
import { OP_CASES } from './helpers/opCases';

test('every op has a case in the cost-model benchmark', () => {
  const covered = new Set(OP_CASES.map((c) => c.op));
  assert.deepEqual(
    ALL_OPS.map((op) => op.id).filter((id) => !covered.has(id)),
    [],
  );
});

/**
 * A tensor whose entries count the reads made of them (methods act on the real array); a view
 * taken with subarray (to be copied at once) counts a read per entry it spans.
 */
function counted(shape: number[], reads: { n: number }, fill: (i: number) => number): Tensor {
  const data = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  const proxy = new Proxy(data, {
    get(target, key) {
      if (typeof key === 'string' && key.length && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57) reads.n++;
      if (key === 'subarray') {
        return (begin: number, end = data.length) => {
          reads.n += Math.max(0, end - begin);
          return data.subarray(begin, end);
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return new Tensor(shape, proxy);
}

interface Sample {
  what: string;
  estimate: number;
  reads: number;
}

/** The forward (and, for backward, the backward) pass of `id` on counted inputs. */
function measure(id: string, shapes: number[][], attrs: Attrs, pass: 'forward' | 'backward'): Sample {
  const op = OPS_BY_ID.get(id);
  assert.ok(op, id);
  const reads = { n: 0 };
  const inputs = shapes.map((s, k) => counted(s, reads, (i) => Math.sin(i * 0.37 + k)));
  const ctx = { trackKinks: false, random: (n: number) => new Float64Array(n) };
  const r = op.forward(inputs, attrs, ctx);
  const out = r.value.shape;
  if (pass === 'forward') return { what: `${id} forward ${JSON.stringify(shapes)} ${JSON.stringify(attrs)}`, estimate: forwardCost(op, shapes, out, attrs), reads: reads.n };
  const grad = counted([...out], reads, () => 1);
  reads.n = 0;
  const needs = shapes.map(() => true);
  op.backward({ inputs, out: r.value, grad, saved: r.saved, attrs, needs });
  return { what: `${id} backward ${JSON.stringify(shapes)} ${JSON.stringify(attrs)}`, estimate: backwardCost(op, shapes, out, attrs, needs), reads: reads.n };
}

/** Estimate per counted read, the same within a factor of 2 over every sample of one op. */
function assertProportional(samples: Sample[]): void {
  const rates = samples.map((s) => s.estimate / s.reads);
  const lo = Math.min(...rates);
  const hi = Math.max(...rates);
  assert.ok(hi <= 2 * lo, samples.map((s, k) => `${s.what}: ${s.estimate.toExponential(2)} units for ${s.reads} reads (${rates[k].toFixed(2)} per read)`).join('\n'));
}

const POOLS: [number, number][] = [
  // [image side, window]: small and large windows, overlapping (stride 1) or not.
  [16, 2],
  [24, 4],
  [40, 10],
  [64, 20],
];

for (const id of ['max_pool2d', 'avg_pool2d']) {
  test(`${id}: its cost follows the window visits it counts, whatever the window and stride`, () => {
    const samples: Sample[] = [];
    for (const [side, size] of POOLS) {
      for (const stride of [1, size]) samples.push(measure(id, [[1, 2, side, side]], { size, stride }, 'forward'));
    }
    // max_pool2d's 2×2 window has a kernel of its own (unrolled, branch-free): its own rate.
    const special = (s: Sample) => id === 'max_pool2d' && s.what.includes('"size":2,');
    assertProportional(samples.filter(special));
    assertProportional(samples.filter((s) => !special(s)));
  });
}

test('conv2d: its cost follows the patch reads it counts, for kernel sizes, strides and paddings', () => {
  const samples: Sample[] = [];
  for (const [side, k, stride, pad] of [
    [12, 3, 1, 1],
    [24, 3, 1, 0],
    [24, 5, 2, 2],
    [40, 10, 1, 0],
    [60, 15, 1, 0],
  ]) {
    samples.push(measure('conv2d', [[1, 2, side, side], [3, 2, k, k], [3]], { stride, pad }, 'forward'));
  }
  assertProportional(samples);
});

test('issue 15: max_pool2d(x[1,1,400,400], size=200, stride=1) is estimated at its 1.6e9 window visits, not 4e5', () => {
  const op = OPS_BY_ID.get('max_pool2d');
  assert.ok(op);
  const estimate = forwardCost(op, [[1, 1, 400, 400]], [1, 1, 201, 201], { size: 200, stride: 1 });
  assert.ok(estimate >= 201 * 201 * 200 * 200, estimate.toExponential(2));
});
