// Fast-mode projections through products linear in the checked matrix (src/core/checks/linearReaders.ts):
// the product moves by a rank-one term instead of being re-run. The projection must agree with
// re-running the region (up to round-off), and a wrong gradient must still fail, narrowed to it.
// (Batched and unbatched checks both take the shortcut, so gradcheck-batched's bit-for-bit
// comparison holds; here the shortcut is compared with re-running the region directly.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { DEFAULT_GRADCHECK, type GradCheckOptions } from '../../src/core/checks/gradcheck';
import { checkTensors } from '../../src/core/checks/tensorChecks';
import { Direction } from '../../src/core/checks/direction';
import { downstreamOf } from '../../src/core/checks/gradcheck';
import { LinearReaders } from '../../src/core/checks/linearReaders';
import { checkByProjection, type ProjectionCheck } from '../../src/core/checks/fastCheck';
import { RegionRunner } from '../../src/core/checks/differences';
import type { Graph } from '../../src/core/engine/graph';
import type { Execution } from '../../src/core/engine/run';
import type { Tensor } from '../../src/core/tensor/tensor';

// W1 is read by a product on the right (X @ W1) and by l2; W2 on the right of a product whose
// left operand depends on W1 (not W2); V on the left (V @ h2ᵀ-like use through .T is not a product reader).
const TEXT = `seed 4
dims N = 8, D = 20, H = 16, C = 5
const X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.01)
param W2: [H, C] ~ xavier
param V: [N, N] ~ xavier
const reg = 1e-3

h1     = tanh(X @ W1 + b1)
scores = V @ (h1 @ W2)
loss   = softmax_ce(scores, y) + reg * (l2(W1) + l2(W2))
`;

// A heavier penalty that also reads a vector (b1): its reader is l2 alone, beside the add that reads b1 too.
const PENALISED = TEXT.replace('const reg = 1e-3', 'const reg = 0.3').replace('l2(W2))', 'l2(W2) + l2(b1))');

function session(text = TEXT): { graph: Graph; ex: Execution; seed: number } {
  const s = analyzeSession(text, { gradcheck: false });
  assert.deepEqual(s.analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const graph = s.graph as Graph;
  const ex = s.execution as Execution;
  ex.forward();
  ex.backward(graph.root as number);
  return { graph, ex, seed: s.analysis.seed };
}

const opts: GradCheckOptions = { ...DEFAULT_GRADCHECK, fast: 'on' };

/** The projection check of `name`, through the shortcut or re-running the whole region; `edit` may spoil the analytic gradient first. */
function project(name: string, shortcut: boolean, edit?: (g: Tensor, x: Tensor) => void, text = TEXT): ProjectionCheck {
  const { graph, ex, seed } = session(text);
  const id = graph.named.get(name) as number;
  const root = graph.root as number;
  const grad = ex.grads[id] as Tensor;
  const base = ex.values[id] as Tensor;
  edit?.(grad, base);
  const region = downstreamOf(graph, [id]);
  const read = () => (ex.values[root] as Tensor).item();
  const runner = new RegionRunner(ex, region, read);
  const linear = shortcut ? LinearReaders.of(graph, ex, id, region, read) : null;
  if (shortcut) assert.ok(linear, `${name} has a reader with a closed form`);
  const pc = checkByProjection(base, grad, opts, seed, name, (t) => (ex.values[id] = t), runner, undefined, linear ?? undefined);
  linear?.restore();
  runner.restore();
  return pc;
}

test('a matrix direction is the outer product of two unit vectors, drawn from the tensor’s seeded stream', () => {
  const d = Direction.of([30, 7], 5, 'W');
  assert.ok(d.rows && d.cols && !d.dense);
  const u = d.entries();
  assert.equal(u.length, 210);
  assert.ok(Math.abs(u.reduce((a, x) => a + x * x, 0) - 1) < 1e-12, 'unit norm');
  assert.ok(u.every((x) => Math.abs(x) > 0), 'no zero entry: a single wrong entry always shows');
  assert.deepEqual(Direction.of([30, 7], 5, 'W').entries(), u, 'seeded');
  assert.notDeepEqual(Direction.of([30, 7], 5, 'V').entries(), u, 'one stream per tensor');
  assert.ok(Direction.of([210], 5, 'W').dense, 'other shapes get a dense direction');
});

test('the shortcut applies to the products reading a matrix on either side, not to a vector', () => {
  const { graph, ex } = session();
  const of = (name: string) => {
    const id = graph.named.get(name) as number;
    return LinearReaders.of(graph, ex, id, downstreamOf(graph, [id]), () => 0);
  };
  for (const name of ['W1', 'W2', 'V']) {
    const linear = of(name);
    assert.ok(linear, `${name} has a product reader`);
    // W1 and W2 are read by a product and by l2, V by a product only: nothing left reads them.
    assert.equal(linear.readsSlot, false, `${name}: every reader has a closed form`);
  }
  assert.equal(of('b1'), null);
});

test('l2 has a closed form along the direction of any tensor; the add beside it still reads the vector', () => {
  const { graph, ex } = session(PENALISED);
  const id = graph.named.get('b1') as number;
  const linear = LinearReaders.of(graph, ex, id, downstreamOf(graph, [id]), () => 0);
  assert.ok(linear, 'l2(b1) is a reader with a closed form');
  assert.equal(linear.readsSlot, true, 'X @ W1 + b1 reads b1 itself');
  for (const name of ['W1', 'b1']) {
    const a = project(name, true, undefined, PENALISED);
    const b = project(name, false, undefined, PENALISED);
    assert.equal(a.projection.analytic, b.projection.analytic, 'the same direction');
    assert.ok(a.projection.relError < 1e-6 && b.projection.relError < 1e-6, `${name}: ${a.projection.relError}, ${b.projection.relError}`);
    assert.ok(Math.abs(a.projection.numeric - b.projection.numeric) <= 1e-7 * Math.abs(b.projection.numeric), `${name}: ${a.projection.numeric} vs ${b.projection.numeric}`);
  }
});

test('a gradient that forgot the penalty fails through the closed form of l2', () => {
  // The analytic gradient without l2's 2·reg·x: what a hand-written backward that drops the penalty gives.
  const forget = (g: Tensor, x: Tensor) => {
    for (let i = 0; i < g.size; i++) g.data[i] -= 2 * 0.3 * x.data[i];
  };
  for (const name of ['W1', 'b1']) {
    for (const shortcut of [true, false]) {
      const pc = project(name, shortcut, forget, PENALISED);
      assert.ok(pc.projection.relError > 1e-2, `${name} (${shortcut ? 'shortcut' : 're-run'}): relative error ${pc.projection.relError}`);
    }
  }
});

test('the rank-one shortcut gives the projection of re-running the region, up to round-off', () => {
  for (const name of ['W1', 'W2', 'V']) {
    const a = project(name, true);
    const b = project(name, false);
    assert.equal(a.projection.analytic, b.projection.analytic, 'the same direction');
    assert.ok(!a.projection.kinkCrossed && !b.projection.kinkCrossed);
    // Both are central differences at h = 1e-5 of the same f along the same direction.
    assert.ok(a.projection.relError < 1e-6 && b.projection.relError < 1e-6, `${name}: ${a.projection.relError}, ${b.projection.relError}`);
    assert.ok(Math.abs(a.projection.numeric - b.projection.numeric) <= 1e-7 * Math.abs(b.projection.numeric), `${name}: ${a.projection.numeric} vs ${b.projection.numeric}`);
    assert.equal(a.evaluations, 3);
    assert.deepEqual(a.narrowed, []);
  }
});

for (const [name, index, cols] of [['W1', 37, 16], ['W2', 50, 5], ['V', 9, 8]] as const) {
  test(`a wrong entry of ${name}'s gradient fails through the shortcut and is narrowed to it`, () => {
    const spoil = (g: Tensor) => {
      g.data[index] = -3 * g.data[index] + 0.1;
    };
    for (const shortcut of [true, false]) {
      const pc = project(name, shortcut, spoil);
      assert.ok(pc.projection.relError > 1e-3, `${name} (${shortcut ? 'shortcut' : 're-run'}): relative error ${pc.projection.relError}`);
      const worst = [...pc.narrowed].sort((a, b) => b.relError - a.relError)[0];
      assert.deepEqual(worst.index, [Math.floor(index / cols), index % cols]);
    }
  });
}

test('checks through the shortcut: every tensor passes in fast mode', () => {
  const { graph, ex, seed } = session();
  const checks = checkTensors(graph, ex, seed, opts, new Map()).checks;
  assert.deepEqual(checks.map((c) => c.target).sort(), ['V', 'W1', 'W2', 'b1']);
  for (const c of checks) assert.ok(c.verdict === 'pass' && c.fast, `${c.target}: ${c.verdict}`);
});
