// The memory guard (src/core/memoryGuard.ts): the plan counts every allocation before the run, and
// the guard measures what the thread really holds while it runs, so an estimate that falls short
// still ends in a diagnostic instead of growing the process (in the editor, the extension host's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, MemoryBudgetExceeded } from '../../src/core';
import { MemoryGuard } from '../../src/core/memoryGuard';
import { analyzeSession } from '../../src/core/analyze';
import { DiagnosticSink } from '../../src/core/diagnostics';
import { planRun, REGION_COPIES } from '../../src/core/pipeline/plan';
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

test('the plan counts three copies of the forward values and what they keep for the gradient checks (measured on lstm)', () => {
  // Measured on examples/lstm.grad with T 48, N 24, D 32, H 40, G 160, C 16 and no room for
  // batches, the checks' held bytes with garbage collected at every step: 8.0 MB, where the plan
  // counted 4.2 MB (1.5 copies); evaluations under way and up to two earlier ones not yet swept
  // by V8 hold three copies. The measurement itself takes a minute (a collection per step), so
  // this checks the count the plan makes.
  const text = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'lstm.grad'), 'utf8');
  const dims = { T: 48, N: 24, D: 32, H: 40, G: 160, C: 16 };
  const graph = analyzeSession(text, { dims, gradcheck: false }).graph;
  assert.ok(graph);
  const plan = planRun(graph, { dims, gradcheck: { fast: 'off' }, maxElements: 250e6 }, new DiagnosticSink());
  assert.ok(plan);
  const order = new Set(graph.order);
  let forward = 0;
  let maxLeaf = 0;
  for (const n of graph.nodes) {
    const size = n.sizes.reduce((a, b) => a * b, 1);
    if (n.kind === 'param' || n.kind === 'input') maxLeaf = Math.max(maxLeaf, size);
    if (!order.has(n.id) || !n.op) continue; // leaves are not re-evaluated
    forward += size + (n.op?.workspace?.(n.inputs.map((i) => graph.nodes[i].sizes), n.sizes, n.attrs).saved ?? 0);
  }
  assert.equal(REGION_COPIES, 3);
  assert.ok(plan.checkElements - plan.batchElements >= 3 * forward + maxLeaf, `${plan.checkElements - plan.batchElements} < 3 × ${forward} + ${maxLeaf}`);
});

/** Waits past the guard's measuring interval (2 ms). */
function after(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* busy: the guard reads performance.now() */
  }
}

test('garbage never stops a run: over the budget shortly after a collection, the guard waits for the next one', () => {
  // A run that really holds 60 MB of a 100 MB budget and makes 50 MB of garbage between collections.
  const MB = 2 ** 20;
  let live = 0;
  let garbage = 0;
  let collections = 0;
  const probe = {
    heldBytes: () => live + garbage,
    collect: () => {
      collections++;
      garbage = 0;
    },
  };
  const guard = new MemoryGuard(probe, 100 * MB);
  live = 60 * MB;
  for (let i = 0; i < 6; i++) {
    garbage = 50 * MB; // 110 MB "held": over the budget, but only because of garbage
    after(3 + (i % 2) * 30);
    assert.doesNotThrow(() => guard.check(), `check ${i}`);
  }
  assert.ok(collections >= 1);
  // Memory really held past the budget still stops the run, measured after a collection.
  live = 120 * MB;
  garbage = 0;
  after(210);
  assert.throws(() => guard.check(), MemoryBudgetExceeded);
  // And far past it (twice the budget), it stops without waiting for the collection interval.
  const guard2 = new MemoryGuard(probe, 100 * MB);
  garbage = 150 * MB;
  after(3);
  assert.doesNotThrow(() => guard2.check(), 'collected: garbage only');
  live += 250 * MB;
  after(3);
  assert.throws(() => guard2.check(), MemoryBudgetExceeded);
});
