// The cost model against the work the kernels really do: every op's forward and backward pass
// (and every gradient function) is timed at three sizes and compared with its `cost` /
// `backwardCost`. The estimates are in units of about a nanosecond (src/core/ops/cost.ts); each
// measured time, divided by its estimate, must lie within a factor of 2 of the common rate (the
// median over every op and size). An op whose estimate ignores an attribute (a pooling window) or
// a loop (a broadcast's runs) is off by far more. The timing runs in a child process
// (helpers/opCostMeasure.ts) with an allocator that reuses freed memory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ALL_OPS } from '../../src/core/ops/registry';
import { OP_CASES } from './helpers/opCases';

test('every op has a case in the cost-model test', () => {
  const covered = new Set(OP_CASES.map((c) => c.op));
  assert.deepEqual(
    ALL_OPS.map((op) => op.id).filter((id) => !covered.has(id)),
    [],
  );
});

test('every op costs what its kernels take, within a factor of 2, at three sizes', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'helpers', 'opCostMeasure.ts')], {
    encoding: 'utf8',
    // Freed memory stays with the process (no fresh pages to fault in), up to glibc's largest threshold.
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30), MALLOC_TOP_PAD_: String(64 << 20) },
    timeout: 300_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { rate: number; samples: number; off: string[] };
  assert.ok(out.samples > 300, `${out.samples} samples`);
  assert.deepEqual(out.off, [], `common rate ${out.rate.toFixed(2)} ns per unit`);
});
