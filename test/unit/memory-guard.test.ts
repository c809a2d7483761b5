// The memory guard (src/core/memoryGuard.ts): the plan counts every allocation before the run, and
// the guard measures what the thread really holds while it runs, so an estimate that falls short
// still ends in a diagnostic instead of growing the process (in the editor, the extension host's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../src/core';
import { nodeMemoryProbe } from '../../src/server/analysis/memoryProbe';

const NET = 'dims N = 64\ninput X: [N, N] ~ randn\nparam W: [N, N] ~ xavier\nh = tanh(X @ W)\nloss = sum(h * h)\n';

/**
 * A probe that reports what the run allocated so far, scaled up by `factor` (an estimate `factor`
 * times short). Growth counts from the lowest figure seen: a collection of earlier tests' garbage
 * during the run must not hide what the run allocates after it.
 */
function inflating(factor: number): { heldBytes(): number } {
  const real = nodeMemoryProbe();
  const base = real.heldBytes();
  let low = base;
  return {
    heldBytes: () => {
      const now = real.heldBytes();
      low = Math.min(low, now);
      return base + factor * Math.max(0, now - low);
    },
  };
}

test('past the budget while running: a too-large error where the run was, never a throw', () => {
  const a = analyze(NET, { memory: inflating(1e6), maxElements: 100_000 });
  const d = a.diagnostics.find((x) => x.code === 'too-large');
  assert.ok(d, JSON.stringify(a.diagnostics));
  assert.match(d.message, /^stopped: the run holds \d+ MB of tensors, over its budget of \d+ MB/);
  assert.ok(!a.diagnostics.some((x) => x.code === 'internal-error'));
});

test('within the budget the guard changes nothing', () => {
  const guarded = analyze(NET, { memory: nodeMemoryProbe() });
  const plain = analyze(NET);
  assert.deepEqual(
    guarded.nodes.map((n) => n.value),
    plain.nodes.map((n) => n.value),
  );
  assert.deepEqual(guarded.diagnostics, plain.diagnostics);
});

test('the real probe counts typed arrays as they are allocated', () => {
  const p = nodeMemoryProbe();
  const before = p.heldBytes();
  const big = new Float64Array(1 << 20);
  assert.ok(p.heldBytes() - before >= big.byteLength);
});
