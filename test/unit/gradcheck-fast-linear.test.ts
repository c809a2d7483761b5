// Fast-mode projections through products linear in the checked matrix (src/core/checks/linearReaders.ts):
// the product moves by a rank-one term instead of being re-run. The projection must agree with
// re-running the region (up to round-off), and a wrong gradient must still fail, narrowed to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { DEFAULT_GRADCHECK, type GradCheckOptions } from '../../src/core/checks/gradcheck';
import { checkTensors } from '../../src/core/checks/tensorChecks';
import { Direction } from '../../src/core/checks/direction';
import { downstreamOf } from '../../src/core/checks/gradcheck';
import { LinearReaders } from '../../src/core/checks/linearReaders';
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

function session(): { graph: Graph; ex: Execution; seed: number } {
  const s = analyzeSession(TEXT, { gradcheck: false });
  assert.deepEqual(s.analysis.diagnostics.filter((d) => d.severity === 'error'), []);
  const graph = s.graph as Graph;
  const ex = s.execution as Execution;
  ex.forward();
  ex.backward(graph.root as number);
  return { graph, ex, seed: s.analysis.seed };
}

const opts: GradCheckOptions = { ...DEFAULT_GRADCHECK, fast: 'on' };

function run(unbatched: boolean, edit?: (graph: Graph, ex: Execution) => void) {
  const { graph, ex, seed } = session();
  edit?.(graph, ex);
  const before = process.env.GRADLENS_GRADCHECK_UNBATCHED;
  process.env.GRADLENS_GRADCHECK_UNBATCHED = unbatched ? '1' : '0';
  try {
    return checkTensors(graph, ex, seed, opts, new Map()).checks;
  } finally {
    if (before === undefined) delete process.env.GRADLENS_GRADCHECK_UNBATCHED;
    else process.env.GRADLENS_GRADCHECK_UNBATCHED = before;
  }
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
  for (const name of ['W1', 'W2', 'V']) assert.ok(of(name), `${name} has a product reader`);
  assert.equal(of('b1'), null);
});

test('the rank-one shortcut gives the projection of re-running the region, up to round-off', () => {
  const fast = run(false);
  const plain = run(true);
  assert.deepEqual(fast.map((c) => c.target), plain.map((c) => c.target));
  for (let k = 0; k < fast.length; k++) {
    const a = fast[k];
    const b = plain[k];
    assert.equal(a.verdict, 'pass', `${a.target}: ${a.verdict}`);
    assert.equal(a.verdict, b.verdict);
    assert.ok(a.fast && b.fast && !a.fast.kinkCrossed);
    // Both are central differences at h = 1e-5 of the same f along the same direction.
    assert.ok(Math.abs(a.fast.relError - b.fast.relError) < 1e-6, `${a.target}: ${a.fast.relError} vs ${b.fast.relError}`);
  }
});

for (const [name, index] of [['W1', 37], ['W2', 50], ['V', 9]] as const) {
  test(`a wrong entry of ${name}'s gradient fails through the shortcut and is narrowed to it`, () => {
    const edit = (graph: Graph, ex: Execution) => {
      const g = ex.grads[graph.named.get(name) as number] as Tensor;
      g.data[index] = -3 * g.data[index] + 0.1;
    };
    for (const unbatched of [false, true]) {
      const c = run(unbatched, edit).find((x) => x.target === name);
      assert.ok(c && c.fast, `${name} checked in fast mode`);
      assert.equal(c.verdict, 'fail', `${name} (${unbatched ? 'plain' : 'shortcut'}): ${c.verdict}`);
      const cols = name === 'W1' ? 16 : name === 'W2' ? 5 : 8;
      assert.deepEqual(c.worst[0].index, [Math.floor(index / cols), index % cols]);
    }
  });
}
