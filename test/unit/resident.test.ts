// Tensors resident in the GEMM kernel's memory (tensor/resident.ts): products and the elementwise
// kernels read and write them in place instead of copying them. Everything computed on them must be
// the bits of the same work on ordinary arrays; their memory must be handed back when its owner is
// done (a pool cleared, leaves restored, Train finished); views must survive the memory's growth.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { installResidentLeaves } from '../../src/core/engine/residentLeaves';
import { Execution } from '../../src/core/engine/run';
import { train } from '../../src/core/explore/training';
import { gemm, observeGemm, residentArena, type GemmCall } from '../../src/core/tensor/matmul';
import type { ResidentArena } from '../../src/core/tensor/resident';
import { RESIDENT_MIN } from '../../src/core/tensor/results';
import { simdAddRows, simdAllFinite, simdDotRows, simdGelu, simdRelu, simdReluBackward, simdScale, simdSumSquares8, simdTanhRows } from '../../src/core/tensor/simdElementwise';
import { tanh } from '../../src/core/tensor/elementary';
import type { Tensor } from '../../src/core/tensor/tensor';
import { bitsOf } from './helpers/bits';
import { xorshiftUniforms } from './helpers/xorshift';

function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  const uniform = xorshiftUniforms(seed);
  for (let i = 0; i < n; i++) out[i] = 4 * uniform() - 2;
  return out;
}

function theArena(): ResidentArena {
  const arena = residentArena();
  assert.ok(arena, 'this Node has the WebAssembly kernel, so an arena');
  return arena;
}

/** `data` in a block of the arena (recorded in `blocks` to release), or as it is. */
function placed(arena: ResidentArena, data: Float64Array, resident: boolean, blocks: Float64Array[]): Float64Array {
  if (!resident) return data.slice();
  const block = arena.take(data.length);
  assert.ok(block, 'the arena has room');
  block.set(data);
  blocks.push(block);
  return block;
}

// [M, N, K, layout]: packed and unpacked operands, a transposed (swapped) product, rows and columns
// that are not a multiple of the 4×4 tile, and one product of more than one k block.
const SHAPES: [number, number, number, 'NN' | 'NT' | 'TN'][] = [
  [64, 100, 300, 'NN'],
  [30, 17, 64, 'NN'],
  [300, 100, 8, 'TN'],
  [13, 9, 40, 'NT'],
  [8, 64, 600, 'NT'],
];

/** The arena, its permanent blocks taken (the resident elementwise kernels' tables): what a test's blocks add to. */
function warmArena(): ResidentArena {
  const arena = theArena();
  const block = arena.take(4096);
  assert.ok(block);
  simdRelu(block, block);
  arena.release(block);
  return arena;
}

test('a product gives the same bits whichever of its operands and result are resident', () => {
  const arena = warmArena();
  const held = arena.heldBytes();
  for (const [M, N, K, layout] of SHAPES) {
    const [ars, acs] = layout === 'TN' ? [1, M] : [K, 1];
    const [brs, bcs] = layout === 'NT' ? [1, K] : [N, 1];
    const A = values(M * K + 3, M);
    const B = values(K * N + 5, N);
    const C0 = values(M * N + 2, K);
    for (const accumulate of [false, true]) {
      const want = C0.slice();
      gemm(M, N, K, A, 3, ars, acs, B, 5, brs, bcs, want, 2, accumulate);
      for (let mask = 1; mask < 8; mask++) {
        const blocks: Float64Array[] = [];
        const a = placed(arena, A, (mask & 1) !== 0, blocks);
        const b = placed(arena, B, (mask & 2) !== 0, blocks);
        const c = placed(arena, C0, (mask & 4) !== 0, blocks);
        gemm(M, N, K, a, 3, ars, acs, b, 5, brs, bcs, c, 2, accumulate);
        assert.equal(bitsOf(c), bitsOf(want), `${M}×${N}×${K} ${layout} accumulate=${accumulate} resident=${mask.toString(2)}`);
        assert.equal(bitsOf(a), bitsOf(A), 'A is read only');
        for (const block of blocks) arena.release(block);
      }
    }
  }
  assert.equal(arena.heldBytes(), held, 'every block was handed back');
});

test('the elementwise kernels give the same bits on resident, mixed and ordinary arrays', () => {
  const arena = theArena();
  const n = 7 * 1999; // rows of 1999: odd lengths, past RESIDENT_MIN
  const x = values(n, 1);
  const g = values(n, 2);
  const row = values(n / 7, 3);
  const want = {
    relu: new Float64Array(n),
    reluBackward: new Float64Array(n),
    add: new Float64Array(n),
    addRow: new Float64Array(n),
    scale: new Float64Array(n),
    gelu: [new Float64Array(n), new Float64Array(n)],
    dots: new Float64Array(7),
    // tanh (the op) and tanh after a bias row (an rnn step), from the scalar function itself.
    tanh: x.map((v) => tanh(v)),
    tanhRow: x.map((v, i) => tanh(v + row[i % (n / 7)])),
  };
  assert.ok(simdRelu(x, want.relu) && simdReluBackward(x, g, want.reluBackward) && simdAddRows(x, g, want.add, n));
  assert.ok(simdAddRows(x, row, want.addRow, n / 7) && simdScale(x, -0.37, want.scale));
  assert.ok(simdDotRows(x, row, want.dots));
  const geluRuns = simdGelu(x, want.gelu[0], want.gelu[1]);
  const squares = simdSumSquares8(x.subarray(0, n - (n % 8)));
  for (const mask of [1, 2, 3]) {
    const blocks: Float64Array[] = [];
    const xi = placed(arena, x, (mask & 1) !== 0, blocks);
    const gi = placed(arena, g, (mask & 2) !== 0, blocks);
    const out = () => placed(arena, new Float64Array(n), (mask & 2) !== 0, blocks);
    const check = (name: string, got: Float64Array, expected: Float64Array) => assert.equal(bitsOf(got), bitsOf(expected), `${name}, resident=${mask.toString(2)}`);
    let o = out();
    assert.ok(simdRelu(xi, o));
    check('relu', o, want.relu);
    o = out();
    assert.ok(simdReluBackward(xi, gi, o));
    check('relu backward', o, want.reluBackward);
    o = out();
    assert.ok(simdAddRows(xi, gi, o, n));
    check('add', o, want.add);
    o = out();
    assert.ok(simdAddRows(xi, row, o, n / 7));
    check('bias row', o, want.addRow);
    o = out();
    assert.ok(simdScale(xi, -0.37, o));
    check('scale', o, want.scale);
    const dots = new Float64Array(7);
    assert.ok(simdDotRows(xi, row, dots));
    check('dot rows', dots, want.dots);
    if (geluRuns) {
      const [go, gs] = [out(), out()];
      assert.ok(simdGelu(xi, go, gs));
      check('gelu', go, want.gelu[0]);
      check('gelu slope', gs, want.gelu[1]);
    }
    o = out();
    assert.ok(simdTanhRows(xi, null, o, n));
    assert.deepEqual([...o], [...want.tanh], `tanh, resident=${mask.toString(2)}`);
    o = out();
    assert.ok(simdTanhRows(xi, row, o, n / 7));
    assert.deepEqual([...o], [...want.tanhRow], `tanh after a bias row, resident=${mask.toString(2)}`);
    assert.ok(Object.is(simdSumSquares8(xi.subarray(0, n - (n % 8))), squares), 'sum of squares');
    assert.equal(simdAllFinite(xi), true);
    xi[n - 2] = NaN;
    assert.equal(simdAllFinite(xi), false, 'a NaN near the end is found');
    for (const block of blocks) arena.release(block);
  }
});

test('tanh on a resident row range with an odd row length writes nothing outside it', () => {
  const arena = theArena();
  const block = arena.take(3 + 5 * 63 + 3) as Float64Array;
  const guard = [-7.5, 123, Number.MAX_VALUE];
  block.set(guard, 0);
  block.set(guard, 3 + 5 * 63);
  const rows = block.subarray(3, 3 + 5 * 63);
  const x = values(5 * 63, 9).map((v) => (Number.isFinite(v) ? v : 0.25));
  rows.set(x);
  const bias = values(63, 10).map((v) => (Number.isFinite(v) ? v : -0.5));
  assert.ok(simdTanhRows(rows, bias, rows, 63), 'in place, resident');
  assert.deepEqual([...rows], [...x.map((v, i) => tanh(v + bias[i % 63]))]);
  assert.deepEqual([...block.subarray(0, 3)], guard, 'nothing written before the range');
  assert.deepEqual([...block.subarray(3 + 5 * 63)], guard, 'nothing written past the range');
  arena.release(block);
});

test('a view of the arena stays valid when the memory grows, and a released block is handed out again', () => {
  const arena = theArena();
  const first = arena.take(5000);
  assert.ok(first);
  first.fill(7.5);
  const big = arena.take(4 * 2 ** 20);
  assert.ok(big, 'the memory grows for a 32 MB block');
  big[big.length - 1] = 1;
  assert.ok(first.every((v) => v === 7.5) && first.length === 5000, 'the first view still reads its numbers');
  assert.ok(arena.offsetOf(first) >= 0 && arena.offsetOf(big) >= 0 && arena.offsetOf(new Float64Array(5000)) === -1);
  const at = arena.offsetOf(first);
  const middle = arena.take(300);
  assert.ok(middle);
  arena.release(first);
  const again = arena.take(5000);
  assert.ok(again);
  assert.equal(arena.offsetOf(again), at, 'the released block of that size is reused');
  // Released in any order, the blocks bring the end back to where it was.
  const end = arena.end();
  arena.release(again);
  assert.equal(arena.end(), end, 'a block below the top is kept for reuse');
  arena.release(middle);
  assert.equal(arena.end(), end - 2432, 'the top block comes off at once (300 entries, in 64-byte lines)');
  arena.release(big);
  assert.equal(arena.end(), at, 'and the free blocks right below the next top one with it');
});

// Products of more than RESIDENT_MIN entries, a weight read twice (product and penalty: its two
// gradients add up), relu and bias rows between them, and a transposed product.
const PROGRAM = `seed 5
dims N = 48, D = 200, H = 64, C = 10

input X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.1)
param W2: [H, C] ~ he
param P: [H, D] ~ normal(0.05)
h = relu(X @ W1 + b1)
r = h @ P
s = r @ r.T
loss = softmax_ce(h @ W2, y) + 0.001 * l2(W1) + 0.0001 * sum(s)
`;

function setUp() {
  const s = analyzeSession(PROGRAM, { gradcheck: false });
  assert.ok(s.graph && s.graph.root !== null && s.execution, 'the program runs');
  return { s, graph: s.graph, root: s.graph.root, seed: s.analysis.seed };
}

const bits = (ts: readonly (Tensor | null)[]) => ts.map(bitsOf);

test('resident runs give the bits of a fresh run, every run, and hand their memory back', () => {
  const { graph, root, seed } = setUp();
  const arena = warmArena();
  const held = arena.heldBytes();
  const end = arena.end();
  const fresh = new Execution(graph, seed);
  fresh.forward();
  fresh.backward(root);
  const originals = graph.nodes.map((n) => n.init);
  const restore = installResidentLeaves(graph);
  const installed = graph.nodes.filter((n) => n.init !== originals[n.id]);
  assert.deepEqual(
    installed.map((n) => n.name),
    ['X', 'W1', 'P', 'W2'].filter((name) => (graph.nodes.find((n) => n.name === name)?.init?.size ?? 0) >= RESIDENT_MIN),
    'the large leaves that products read are resident',
  );
  const ex = new Execution(graph, seed);
  ex.recycleResults(true, true);
  for (let run = 0; run < 3; run++) {
    ex.forward();
    ex.backward(root);
    assert.deepEqual(bits(ex.values), bits(fresh.values), `values of run ${run}`);
    assert.deepEqual(bits(ex.grads), bits(fresh.grads), `gradients of run ${run}`);
    assert.deepEqual(bits(ex.edgeGradients()), bits(fresh.edgeGradients()), `edge gradients of run ${run}`);
  }
  const residentResults = [...ex.values, ...ex.grads].filter((t) => t && arena.offsetOf(t.data) >= 0);
  assert.ok(residentResults.length >= 3, 'products and their gradients are resident');
  // The bias add and the relu between X @ W1 and the products that read h: their values and gradients too.
  const h = graph.nodes.find((n) => n.name === 'h') as { id: number; inputs: number[] };
  for (const id of [h.id, h.inputs[0]]) {
    assert.ok(arena.offsetOf((ex.values[id] as Tensor).data) >= 0, `the value of ${graph.nodes[id].label} is resident`);
    assert.ok(arena.offsetOf((ex.grads[id] as Tensor).data) >= 0, `the gradient of ${graph.nodes[id].label} is resident`);
  }
  ex.recycleResults(false);
  restore();
  assert.ok(graph.nodes.every((n) => n.init === originals[n.id]), 'the original leaves are back');
  assert.equal(arena.heldBytes(), held, 'the pool and the leaves handed their blocks back');
  assert.equal(arena.end(), end, "the arena's end (where products' workspace starts) is back too");
});

/** `program` analysed, the warm arena and its bytes held now, and a fresh run (no pool) to compare resident runs with. */
function againstFreshRun(program: string) {
  const s = analyzeSession(program, { gradcheck: false });
  assert.ok(s.graph && s.graph.root !== null && s.execution, 'the program runs');
  const { graph } = s;
  const root = graph.root as number;
  const arena = warmArena();
  const held = arena.heldBytes();
  const fresh = new Execution(graph, s.analysis.seed);
  fresh.forward();
  fresh.backward(root);
  return { s, graph, root, arena, held, fresh };
}

/**
 * Three runs of `program` on a recycled resident pool, each with a fresh run's bits; the products
 * of the last one, and `handBack` to end the pool and check that it gave its blocks back.
 */
function recycledRunsLikeFresh(program: string) {
  const { s, graph, root, arena, held, fresh } = againstFreshRun(program);
  const ex = new Execution(graph, s.analysis.seed);
  ex.recycleResults(true, true);
  const calls: GemmCall[] = [];
  for (let run = 0; run < 3; run++) {
    observeGemm(run === 2 ? (c) => calls.push(c) : null);
    try {
      ex.forward();
      ex.backward(root);
    } finally {
      observeGemm(null);
    }
    assert.deepEqual(bits(ex.values), bits(fresh.values), `values of run ${run}`);
    assert.deepEqual(bits(ex.grads), bits(fresh.grads), `gradients of run ${run}`);
  }
  const handBack = () => {
    ex.recycleResults(false);
    assert.equal(arena.heldBytes(), held, 'the pool handed its blocks back');
  };
  return { graph, arena, ex, calls, handBack };
}

// An rnn (its forward and backward are products inside one op): x, Wx and Wh past RESIDENT_MIN.
// H odd: each step's bias and tanh (SIMD, in place on the resident states) end every row with one
// lane, which must not reach the next step's states (they already hold its x_t·Wx).
const RNN_PROGRAM = `seed 6
dims T = 16, N = 8, D = 32, H = 63, C = 10

input x: [T, N, D]
input y: int[N] in 0..C
param h0: [N, H] = 0
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] ~ normal(0.1)
param Wy: [H, C] ~ xavier
hs = rnn(x, h0, Wx, Wh, b)
loss = softmax_ce(hs[-1] @ Wy, y) + 0.01 * sum(hs * hs)
`;

test('an rnn on resident leaves and results: the bits of a fresh run, its states and weight gradients in the kernel memory', () => {
  const { s, graph, root, arena, held, fresh } = againstFreshRun(RNN_PROGRAM);
  const originals = graph.nodes.map((n) => n.init);
  const restore = installResidentLeaves(graph);
  assert.deepEqual(
    graph.nodes.filter((n) => n.init !== originals[n.id]).map((n) => n.name),
    ['x', 'Wx', 'Wh'],
    "the rnn's leaves past RESIDENT_MIN are resident",
  );
  const ex = new Execution(graph, s.analysis.seed);
  ex.recycleResults(true, true);
  // Recycled buffers hold the last run's numbers; the runs without records (Train's, the bench's)
  // take the loop that skips the per-step norms.
  for (let run = 0; run < 4; run++) {
    ex.forward();
    ex.backward(root, undefined, run % 2 ? { detectNonFinite: false, records: false } : {});
    assert.deepEqual(bits(ex.values), bits(fresh.values), `values of run ${run}`);
    assert.deepEqual(bits(ex.grads), bits(fresh.grads), `gradients of run ${run}`);
  }
  const rnnNode = graph.nodes.find((n) => n.op?.id === 'rnn') as { id: number; inputs: number[] };
  assert.ok(arena.offsetOf((ex.values[rnnNode.id] as Tensor).data) >= 0, 'the states hs are resident');
  for (const name of ['Wx', 'Wh']) {
    const id = graph.nodes.findIndex((n) => n.name === name);
    assert.ok(arena.offsetOf((ex.grads[id] as Tensor).data) >= 0, `the gradient of ${name} is resident`);
  }
  ex.recycleResults(false);
  restore();
  assert.equal(arena.heldBytes(), held, 'the pool and the leaves handed their blocks back');
});

// A conv net small enough to keep its patches for backward (convolution.ts' keep), large enough
// that the patch matrices, conv2d's value and the gradient it receives pass RESIDENT_MIN: 3×3 taps
// on 2 channels plus the row of ones, 16×16 outputs of 8 filters, 2 images.
const CONV_PROGRAM = `seed 4
dims N = 2, C = 2, S = 16, F = 8, M = 512, Y = 4

input x: [N, C, S, S]
input y: int[N] in 0..Y
param w: [F, C, 3, 3] ~ he
param c: [F] ~ normal(0.1)
param W: [M, Y] ~ xavier
a = relu(conv2d(x, w, c, stride=1, pad=1))
p = max_pool2d(a, size=2, stride=2)
loss = softmax_ce(reshape(p, [N, M]) @ W, y)
`;

test('conv2d on a resident pool: the bits of a fresh run, its patches, value and upstream gradient read and written in place by the products', () => {
  const { graph, arena, ex, calls, handBack } = recycledRunsLikeFresh(CONV_PROGRAM);
  // Forward: [w | c] (8×19) · an image's patches (19×256); backward dw: the upstream (8×256) · its patches transposed.
  const forward = calls.filter((c) => c.M === 8 && c.N === 256 && c.K === 19);
  const dw = calls.filter((c) => c.M === 8 && c.N === 18 && c.K === 256);
  assert.equal(forward.length, 2, 'one forward product an image');
  assert.equal(dw.length, 2, 'one dw product an image');
  assert.ok([...forward, ...dw].every((c) => c.resident[1]), 'the patches are read where they are, in the kernel memory');
  // conv2d has products inside (its OpDef), so its value is written in place and the relu after it
  // (kernels that compute on that memory) keeps its value and the gradient it sends back there.
  assert.ok(forward.every((c) => c.resident[2]), "conv2d's value is written where it is");
  assert.ok(dw.every((c) => c.resident[0]), 'the upstream gradient is read where it is');
  const conv = graph.nodes.find((n) => n.op?.id === 'conv2d') as { id: number };
  const relu = graph.nodes.find((n) => n.op?.id === 'relu') as { id: number };
  assert.ok(arena.offsetOf((ex.values[conv.id] as Tensor).data) >= 0, "conv2d's value is resident");
  assert.ok(arena.offsetOf((ex.values[relu.id] as Tensor).data) >= 0, "the relu's value is resident");
  handBack();
});

// Multi-head attention past RESIDENT_MIN: 2 sequences of 16 tokens, 32 features, 4 heads.
const MHA_PROGRAM = `seed 5
dims N = 2, T = 16, D = 32

input x: [N, T, D]
input t: [N, T, D]
param Wq: [D, D] ~ xavier
param Wk: [D, D] ~ xavier
param Wv: [D, D] ~ xavier
param Wo: [D, D] ~ xavier
a = multihead_attention(x, Wq, Wk, Wv, Wo, heads=4, causal=true)
loss = mse(a, t)
`;

test('multihead_attention on a resident pool: the bits of a fresh run, its projections reading x and writing their results in the kernel memory', () => {
  const { graph, arena, ex, calls, handBack } = recycledRunsLikeFresh(MHA_PROGRAM);
  const mha = graph.nodes.find((n) => n.op?.id === 'multihead_attention') as { id: number };
  assert.ok(arena.offsetOf((ex.values[mha.id] as Tensor).data) >= 0, 'its value is resident');
  // The 32×32 products over the 32 rows: 3 projections and the output forward; dWo, dM, 3 dW and
  // 3 into dx backward. Every one writes its result where it is.
  const rowProducts = calls.filter((c) => c.M * c.N * c.K === 32 * 32 * 32 && (c.M === 32 || c.K === 32));
  assert.equal(rowProducts.length, 12);
  assert.ok(rowProducts.every((c) => c.resident[2]), 'each writes its result in the kernel memory');
  handBack();
});

test('Train runs on resident results and leaves, then puts back the session and hands the memory back', async () => {
  const { s, graph } = setUp();
  const arena = warmArena();
  const held = arena.heldBytes();
  const end = arena.end();
  const ex = s.execution as Execution;
  const before = { values: bits(ex.values), grads: bits(ex.grads), edges: bits(ex.edgeGradients()) };
  const leaves = graph.nodes.map((n) => n.init);
  const out = await train(s, { steps: 5, lr: 0.05, momentum: 0.9 }, { progress: () => undefined, cancelled: () => false });
  assert.ok(typeof out === 'object', String(out));
  assert.ok(out.result.losses[4] < out.result.losses[0], 'the loss goes down');
  assert.equal(out.params.W1.length, 200 * 64);
  assert.deepEqual(bits(ex.values), before.values);
  assert.deepEqual(bits(ex.grads), before.grads);
  assert.deepEqual(bits(ex.edgeGradients()), before.edges, "the session's edge gradients are put back too");
  assert.ok(graph.nodes.every((n, i) => n.init === leaves[i]));
  assert.equal(arena.heldBytes(), held);
  assert.equal(arena.end(), end);
});

test("analyses on a resident pool (the language server's worker) report what fresh analyses report, gradient checks included, and hand the memory back", async () => {
  const { analyze } = await import('../../src/core/analyze');
  const { newResultPool } = await import('../../src/core/engine/run');
  const arena = warmArena();
  const held = arena.heldBytes();
  const pool = newResultPool(true);
  assert.ok(pool.resident);
  // New numbers, other shapes, an error, back: fast-mode checks (projections on the resident
  // leaves' copies) and entry-by-entry ones.
  const texts = [PROGRAM, PROGRAM.replace('seed 5', 'seed 6'), PROGRAM.replace('N = 48', 'N = 40'), PROGRAM.replace('h = relu', 'h = relux'), PROGRAM];
  const strip = (a: object) => JSON.stringify(a, (k, v: unknown) => (k === 'timings' || k === 'totalMs' || k === 'ms' ? undefined : v));
  let residentSeen = 0;
  for (const fast of ['on', 'off'] as const) {
    for (const text of texts) {
      const options = { gradcheck: { fast } };
      const pooled = analyze(text, { ...options, resultPool: pool });
      residentSeen = Math.max(residentSeen, arena.heldBytes() - held);
      assert.equal(strip(pooled), strip(analyze(text, options)), `the analysis (fast ${fast}) of:\n${text}`);
    }
  }
  assert.ok(residentSeen > 200 * 64 * 8, 'the leaves and products were resident');
  pool.clear();
  assert.equal(arena.heldBytes(), held);
});

test("a resident pool takes the arena's blocks up to its cap, then the heap, and hands them back when cleared", async () => {
  const { ResultPool } = await import('../../src/core/tensor/results');
  const arena = warmArena();
  const held = arena.heldBytes();
  const pool = new ResultPool(undefined, arena, 100_000);
  const taken = [pool.take(5000, false), pool.take(5000, false), pool.take(5000, false), pool.take(100, false)];
  assert.deepEqual(
    taken.map((t) => arena.offsetOf(t) >= 0),
    [true, true, false, false],
    'two blocks of 40 KB fit the 100 KB cap, the third and the small result are on the heap',
  );
  assert.ok(taken.every((t) => t.every((v) => v === 0)), 'zeroed');
  pool.nextRun();
  const again = [pool.take(5000, false), pool.take(5000, false)];
  assert.deepEqual(new Set(again.map((t) => arena.offsetOf(t))), new Set([arena.offsetOf(taken[0]), arena.offsetOf(taken[1])]), "a resident result takes the last run's blocks");
  pool.residentNow = false;
  assert.equal(pool.take(5000, false), taken[2], 'a result JavaScript reads takes a heap buffer of the last run');
  // A run that takes none of the last run's blocks hands them back to the arena.
  pool.nextRun();
  pool.nextRun();
  assert.equal(arena.heldBytes(), held, 'blocks no run took are handed back at the next run');
  pool.residentNow = true;
  assert.ok(arena.offsetOf(pool.take(5000, false)) >= 0);
  pool.clear();
  assert.equal(arena.heldBytes(), held);
});
