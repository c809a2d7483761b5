// Execution.recycleResults: a loop of passes that keeps nothing of one run into the next gets the
// previous run's result buffers back (tensor/results.ts). The results must be the same bits as a
// fresh execution's, every run; the buffers must really be reused; and results made before
// recycling was turned on (the analysis' own, which Train puts back) must never be touched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { RegionRunner } from '../../src/core/checks/differences';
import { downstreamOf } from '../../src/core/checks/gradcheck';
import { Execution } from '../../src/core/engine/run';
import type { OpDef } from '../../src/core/ops/op';
import { elementwiseKernels } from '../../src/core/ops/kit';
import { ALL_OPS, OPS_BY_ID } from '../../src/core/ops/registry';
import { enterPool, leavePool, ResultPool } from '../../src/core/tensor/results';
import { Tensor } from '../../src/core/tensor/tensor';
import { bitsOf } from './helpers/bits';

// Bias rows, relu, a value used twice (its two gradients add up), products and a loss.
const PROGRAM = `seed 3
dims N = 6, D = 8, H = 10, C = 4

input X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.1)
param W2: [H, C] ~ he
h = relu(X @ W1 + b1)
g = relu(h) + h
loss = softmax_ce(g @ W2, y)
`;

function setUp() {
  const s = analyzeSession(PROGRAM, { gradcheck: false });
  assert.ok(s.graph && s.graph.root !== null && s.execution, 'the program runs');
  return { graph: s.graph, root: s.graph.root, seed: s.analysis.seed, ex: s.execution };
}

function bits(ts: readonly (Tensor | null)[]): string[] {
  return ts.map(bitsOf);
}

test('recycled runs give the bits of a fresh run, every run, and reuse the buffers of the run before', () => {
  const { graph, root, seed } = setUp();
  const fresh = new Execution(graph, seed);
  fresh.forward();
  fresh.backward(root);
  const ex = new Execution(graph, seed);
  ex.recycleResults(true);
  let previous: Set<Float64Array> | null = null;
  for (let run = 0; run < 4; run++) {
    ex.forward();
    ex.backward(root);
    assert.deepEqual(bits(ex.values), bits(fresh.values), `values of run ${run}`);
    assert.deepEqual(bits(ex.grads), bits(fresh.grads), `gradients of run ${run}`);
    // Every value of an op comes from a buffer of the run before (one of its values or gradients).
    const values = graph.nodes.flatMap((n) => {
      const v = ex.values[n.id];
      return n.kind === 'op' && v && v.size >= 16 ? [v.data] : [];
    });
    assert.ok(values.length >= 4, 'the program has results large enough to be pooled');
    if (previous) for (const b of values) assert.ok(previous.has(b), `run ${run}: a value in a buffer the run before did not have`);
    previous = new Set([...values, ...[...ex.grads, ...ex.edgeGradients()].flatMap((t) => (t ? [t.data] : []))]);
  }
});

test('results made before recycling was turned on are never handed out again', () => {
  const { root, ex } = setUp();
  // The analysis ran its pass without recycling: what Train keeps and puts back.
  const kept = [...ex.values];
  const keptGrads = [...ex.grads];
  const before = bits(kept);
  const beforeGrads = bits(keptGrads);
  ex.recycleResults(true);
  for (let run = 0; run < 3; run++) {
    ex.forward();
    ex.backward(root);
  }
  ex.recycleResults(false);
  assert.deepEqual(bits(kept), before);
  assert.deepEqual(bits(keptGrads), beforeGrads);
  const keptBuffers = new Set(kept.map((t) => t?.data));
  assert.ok(ex.values.every((t, i) => !t || t === kept[i] || !keptBuffers.has(t.data)), 'no recycled result lives in a kept buffer');
});

test('without recycling every run allocates its own results', () => {
  const { graph, root, seed } = setUp();
  const ex = new Execution(graph, seed);
  ex.forward();
  ex.backward(root);
  const first = new Set(ex.values.map((t) => t?.data));
  ex.forward();
  const op = graph.nodes.filter((n) => n.kind === 'op');
  assert.ok(op.every((n) => !first.has(ex.values[n.id]?.data)), 'a second plain run reused a buffer');
});

/** A pool whose next buffers of each length hold NaN: what a result that skips an entry would show. */
function poisonedPool(lengths: number[]): ResultPool {
  const pool = new ResultPool();
  for (const n of lengths) for (let k = 0; k < 4; k++) pool.take(n, true).fill(NaN);
  pool.nextRun();
  return pool;
}

test('the ops that skip zeroing a recycled result write every entry (a NaN-filled buffer gives the fresh bits)', () => {
  const n = 24;
  const x = new Tensor([4, 6]);
  const y = new Tensor([4, 6]);
  const m = new Tensor([6, 6]);
  const row = new Tensor([6]);
  for (let i = 0; i < n; i++) {
    x.data[i] = Math.sin(1 + 1.3 * i) * (i % 5 === 0 ? 0 : 1.5);
    y.data[i] = 0.2 + Math.abs(Math.cos(2 * i));
  }
  for (let i = 0; i < 36; i++) m.data[i] = Math.cos(0.7 * i);
  for (let i = 0; i < 6; i++) row.data[i] = 0.1 * i - 0.2;
  const attrs = { alpha: 0.1, lo: -0.5, hi: 0.5, beta: 0.3 };
  const ctx = { trackKinks: false, random: (count: number) => new Float64Array(count) };
  const cases: [OpDef, Tensor[]][] = ALL_OPS.filter((op) => elementwiseKernels(op)?.unary).map((op) => [op, [x]]);
  for (const id of ['add', 'sub', 'mul', 'div']) cases.push([OPS_BY_ID.get(id) as OpDef, [x, y]], [OPS_BY_ID.get(id) as OpDef, [x, row]]);
  cases.push([OPS_BY_ID.get('matmul') as OpDef, [x, m]]);
  // The weight penalties' backward writes every weight's gradient (and zeros: x has some).
  for (const id of ['l2', 'l1', 'elastic']) cases.push([OPS_BY_ID.get(id) as OpDef, [x]]);
  assert.ok(cases.length > 15);
  for (const [op, inputs] of cases) {
    const fresh = op.forward(inputs, attrs, ctx).value;
    const grad = Tensor.full(fresh.shape, 0.75);
    const args = { inputs, out: fresh, grad, saved: undefined, attrs, needs: inputs.map(() => true) };
    const freshGrads = op.noGrad ? [] : op.backward(args);
    const outer = enterPool(poisonedPool([n, 6, 36]));
    try {
      assert.equal(bitsOf(op.forward(inputs, attrs, ctx).value), bitsOf(fresh), `${op.id} forward`);
      if (!op.noGrad) assert.deepEqual(op.backward(args).map(bitsOf), freshGrads.map(bitsOf), `${op.id} backward`);
    } finally {
      leavePool(outer);
    }
  }
});

test('batched matrix products set every block of their value and of both gradients (a NaN-filled pooled buffer gives the fresh bits)', () => {
  const ctx = { trackKinks: false, random: (count: number) => new Float64Array(count) };
  const filled = (shape: number[], seed: number) => {
    const t = new Tensor(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = Math.sin(seed + 0.37 * i);
    return t;
  };
  const matmul = OPS_BY_ID.get('matmul') as OpDef;
  // Rows stacked, one batch each, a broadcast left operand, and a batch of 1 against 2; every
  // operand of at least POOL_MIN (16) entries, so that each gradient comes from the poisoned pool.
  const cases: [number[], number[]][] = [
    [[2, 3, 4], [4, 5]],
    [[2, 3, 4], [2, 4, 5]],
    [[4, 4], [2, 4, 5]],
    [[1, 4, 4], [2, 4, 5]],
  ];
  for (const [sa, sb] of cases) {
    const inputs = [filled(sa, 1), filled(sb, 2)];
    const fresh = matmul.forward(inputs, {}, ctx).value;
    const args = { inputs, out: fresh, grad: filled([...fresh.shape], 3), saved: undefined, attrs: {}, needs: [true, true] };
    const freshGrads = matmul.backward(args);
    const outer = enterPool(poisonedPool([fresh.size, inputs[0].size, inputs[1].size]));
    try {
      assert.equal(bitsOf(matmul.forward(inputs, {}, ctx).value), bitsOf(fresh), `${sa} @ ${sb} forward`);
      assert.deepEqual(matmul.backward(args).map(bitsOf), freshGrads.map(bitsOf), `${sa} @ ${sb} backward`);
    } finally {
      leavePool(outer);
    }
  }
});

test('convolutions and pooling take their results and scratch from a recycled pool and write every entry they do not zero', () => {
  // Every buffer length the ops take, recorded on a first pooled run, then handed out NaN-filled.
  class Recording extends ResultPool {
    readonly lengths: number[] = [];
    override take(n: number, written: boolean): Float64Array {
      this.lengths.push(n);
      return super.take(n, written);
    }
  }
  const x = new Tensor([2, 3, 6, 6]);
  for (let i = 0; i < x.size; i++) x.data[i] = Math.sin(1 + 0.37 * i);
  const w = new Tensor([4, 3, 3, 3]);
  for (let i = 0; i < w.size; i++) w.data[i] = Math.cos(0.5 * i);
  const b = new Tensor([4]);
  b.data.set([0.1, -0.2, 0.3, 0]);
  const ctx = { trackKinks: false, random: (count: number) => new Float64Array(count) };
  const cases: [string, Tensor[], Record<string, number>][] = [
    ['conv2d', [x, w, b], { stride: 1, pad: 1 }],
    ['conv2d', [x, w, b], { stride: 2, pad: 0 }],
    ['max_pool2d', [x], { size: 2, stride: 2 }],
    ['max_pool2d', [x], { size: 3, stride: 1 }],
    ['avg_pool2d', [x], { size: 2, stride: 2 }],
  ];
  for (const [id, inputs, attrs] of cases) {
    const op = OPS_BY_ID.get(id) as OpDef;
    const run = () => {
      const { value, saved } = op.forward(inputs, attrs, ctx);
      const grad = new Tensor([...value.shape]);
      for (let i = 0; i < grad.size; i++) grad.data[i] = Math.sin(3 * i);
      return [value, ...op.backward({ inputs, out: value, grad, saved, attrs, needs: inputs.map(() => true) })].map(bitsOf);
    };
    const fresh = run();
    const recording = new Recording();
    let outer = enterPool(recording);
    try {
      run();
    } finally {
      leavePool(outer);
    }
    assert.ok(recording.lengths.some((n) => n >= 16), `${id} takes its buffers from the pool`);
    outer = enterPool(poisonedPool(recording.lengths));
    try {
      assert.deepEqual(run(), fresh, `${id} ${JSON.stringify(attrs)}`);
    } finally {
      leavePool(outer);
    }
  }
});

test('analyses sharing a result pool (the values lane) report what fresh analyses report, statistics included', async () => {
  const { analyze } = await import('../../src/core/analyze');
  const { newResultPool } = await import('../../src/core/engine/run');
  const pool = newResultPool();
  // Same shapes with new numbers (a seed edit), other shapes (a dims edit), an error, then back.
  const texts = [PROGRAM, PROGRAM.replace('seed 3', 'seed 4'), PROGRAM.replace('N = 6', 'N = 5'), PROGRAM.replace('h = relu', 'h = relux'), PROGRAM.replace('seed 3', 'seed 9'), PROGRAM];
  const strip = (a: object) => JSON.stringify(a, (k, v: unknown) => (k === 'timings' || k === 'totalMs' ? undefined : v));
  let reused = 0;
  const seen = new Set<Float64Array>();
  for (const text of texts) {
    const pooled = analyzeSession(text, { gradcheck: false, resultPool: pool });
    for (const t of [...(pooled.execution?.values ?? []), ...(pooled.execution?.grads ?? [])]) {
      if (t && t.size >= 16 && seen.has(t.data)) reused++;
      if (t) seen.add(t.data);
    }
    assert.equal(strip(pooled.analysis), strip(analyze(text, { gradcheck: false })), `the analysis of:\n${text}`);
  }
  assert.ok(reused > 10, `the runs took the buffers of the runs before (${reused} reused)`);
  assert.ok(pool.heldBytes() > 0);
  pool.clear();
  assert.equal(pool.heldBytes(), 0);
});

test("a check's region evaluations reuse the evaluation before's buffers, give a fresh evaluation's f, and restore the originals", () => {
  const { graph, root, ex } = setUp();
  const W1 = graph.named.get('W1') as number;
  const region = downstreamOf(graph, [W1]);
  const originals = region.map((id) => ex.values[id]);
  const originalBits = bits(originals);
  const runner = new RegionRunner(ex, region, () => (ex.values[root] as Tensor).item());
  const w = ex.values[W1] as Tensor;
  const w3 = w.data[3];
  const fAt = (delta: number): number => {
    w.data[3] = w3 + delta;
    const f = runner.evaluate(true).f;
    w.data[3] = w3;
    return f;
  };
  const f1 = fAt(1e-3);
  const first = region.map((id) => ex.values[id]?.data);
  const f2 = fAt(-1e-3);
  const second = region.map((id) => ex.values[id]?.data);
  // Results of 16 entries or more (the pool's floor) come back to the next evaluation — by length,
  // so a buffer may change hands (softmax_ce keeps a 24-entry buffer too, besides the values).
  const pooled = first.filter((d, k) => d && d.length >= 16 && d !== originals[k]?.data);
  const reused = pooled.filter((d) => second.includes(d));
  assert.ok(pooled.length >= 5 && reused.length >= pooled.length - 1, `${reused.length} of ${pooled.length} results of the first evaluation reused by the second`);
  runner.restore();
  assert.deepEqual(bits(region.map((id) => ex.values[id])), originalBits, 'restore() puts back the original values, untouched');
  // The same evaluations on a fresh execution without any pool: the same f, bit for bit (the
  // batched checks' test, gradcheck-batched, compares pooled and unpooled checks over every op).
  const fresh = setUp();
  const freshW = fresh.ex.values[W1] as Tensor;
  const freshW3 = freshW.data[3];
  const freshAt = (delta: number): number => {
    freshW.data[3] = freshW3 + delta;
    for (const id of region) fresh.ex.evalNode(id, true);
    freshW.data[3] = freshW3;
    return (fresh.ex.values[root] as Tensor).item();
  };
  assert.equal(f1, freshAt(1e-3));
  assert.equal(f2, freshAt(-1e-3));
});
