// Two independent products at once (gemmPair, src/core/tensor/matmul.ts): the second on the helper
// thread while the caller computes the first. The same bits as one product after the other, for
// every layout, accumulation and place of the operands (the JavaScript heap or the kernel's memory,
// where the caller's product lays its workspace past the helper's); the ops that pair their
// products (a matrix product's two gradients, conv2d's images and its dw with its patch gradients,
// multihead_attention's projections, rnn's dWx and dx) give the bits of one thread; a helper that
// fails mid-pair leaves the caller to compute its product; small pairs stay on one thread.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { Prng } from '../../src/core/engine/prng';
import { Execution } from '../../src/core/engine/run';
import { gemm, gemmBackend, gemmPair, observeGemm, residentArena, setGemmThreads, splitProducts, startGemmThreads, stopGemmThreads, type GemmArgs, type GemmCall } from '../../src/core/tensor/matmul';
import { conv2d } from '../../src/core/ops/convolution';
import { Tensor } from '../../src/core/tensor/tensor';
import { bitsOf } from './helpers/bits';
import { runScript } from './helpers/childScript';

const wasm = gemmBackend() === 'wasm-simd';
const no = !wasm && 'no WebAssembly (GRADLENS_NO_WASM=1): products never pair';

after(() => {
  setGemmThreads(2);
  stopGemmThreads();
});

/** Every pair on two threads, no product split on its own (so that only pairs use the helper). */
const PAIRS_ONLY = () => setGemmThreads(2, 2 ** 40, 1);

function rng(seed: number): () => number {
  const p = new Prng(seed, 'gemm-pairs');
  return () => p.uniform();
}

type Layout = 'NN' | 'NT' | 'TN';
type Place = 'heap' | 'resident';

/** A product of the layout with random operands and C, each on the heap or in the kernel's memory. */
function randomProduct(next: () => number, M: number, N: number, K: number, layout: Layout, acc: boolean, places: [Place, Place, Place], taken: Float64Array[]): GemmArgs {
  const arena = residentArena();
  const make = (n: number, place: Place) => {
    const data = Float64Array.from({ length: n }, () => 2 * next() - 1);
    const block = place === 'resident' ? arena?.copyOf(data) : null;
    if (block) taken.push(block);
    return block ?? data;
  };
  const [ars, acs] = layout === 'TN' ? [1, M] : [K, 1];
  const [brs, bcs] = layout === 'NT' ? [1, K] : [N, 1];
  return { M, N, K, A: make(M * K, places[0]), aOff: 0, ars, acs, B: make(K * N, places[1]), bOff: 0, brs, bcs, C: make(M * N, places[2]), cOff: 0, accumulate: acc };
}

function run(g: GemmArgs, C: Float64Array): void {
  gemm(g.M, g.N, g.K, g.A, g.aOff, g.ars, g.acs, g.B, g.bOff, g.brs, g.bcs, C, g.cOff, g.accumulate);
}

test('a pair gives the bits of its two products one after the other, the second on the helper', { skip: no }, async () => {
  PAIRS_ONLY();
  assert.equal(await startGemmThreads(), true, 'the helper thread starts on Node');
  const next = rng(3);
  const arena = residentArena();
  assert.ok(arena, 'the shared kernel has an arena');
  const taken: Float64Array[] = [];
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const s0 = splitProducts();
  let pairs = 0;
  try {
    for (let i = 0; i < 60; i++) {
      const size = () => [2 + Math.floor(next() * 150), 4 + Math.floor(next() * 150), 1 + Math.floor(next() * 400)] as const;
      // Every third pair all resident: the caller's product then lays its workspace in the shared
      // memory, past the helper's product's (which it would overwrite if it started at the same place).
      const places = (): [Place, Place, Place] => (i % 3 === 0 ? ['resident', 'resident', 'resident'] : [pick(['heap', 'resident']), pick(['heap', 'resident']), pick(['heap', 'resident'])]);
      const [pM, pN, pK] = size();
      const [qM, qN, qK] = size();
      const p = randomProduct(next, pM, pN, pK, pick(['NN', 'NT', 'TN']), next() < 0.5, places(), taken);
      const q = randomProduct(next, qM, qN, qK, pick(['NN', 'NT', 'TN']), next() < 0.5, places(), taken);
      const pRef = p.C.slice();
      const qRef = q.C.slice();
      setGemmThreads(1);
      run(p, pRef);
      run(q, qRef);
      PAIRS_ONLY();
      gemmPair(p, q);
      pairs++;
      const what = `pair ${i}: ${pM}×${pK} @ ${pK}×${pN} and ${qM}×${qK} @ ${qK}×${qN}`;
      assert.equal(bitsOf(p.C), bitsOf(pRef), `${what}: the caller's product differs`);
      assert.equal(bitsOf(q.C), bitsOf(qRef), `${what}: the helper's product differs`);
    }
  } finally {
    for (const b of taken) arena.release(b);
    setGemmThreads(2);
  }
  const s1 = splitProducts();
  assert.equal(s1.pairs - s0.pairs, pairs, "every pair handed its second product to the helper's job");
  assert.equal(s1.products, s0.products, 'no product was split');
  assert.ok(s1.helperChunks > s0.helperChunks, 'the helper computed some of the chunks');
});

test('one product of a pair missing, or a pair too small (the default threshold), runs on this thread alone', { skip: no }, async () => {
  setGemmThreads(2);
  assert.equal(await startGemmThreads(), true);
  const next = rng(4);
  const taken: Float64Array[] = [];
  const small = () => randomProduct(next, 32, 32, 32, 'NN', false, ['heap', 'heap', 'heap'], taken);
  const s0 = splitProducts();
  const [p, q] = [small(), small()];
  const [pRef, qRef] = [p.C.slice(), q.C.slice()];
  run(p, pRef);
  run(q, qRef);
  gemmPair(p, q);
  gemmPair(null, q);
  gemmPair(p, null);
  assert.equal(bitsOf(p.C), bitsOf(pRef));
  assert.equal(bitsOf(q.C), bitsOf(qRef));
  const s1 = splitProducts();
  assert.equal(s1.pairs + s1.products, s0.pairs + s0.products, 'no job went to the helper');
});

test('pairs at the default thresholds: both products from 2^18 multiply-adds pair; one below, one large enough to split, or more than 2^21 entries, not', { skip: no }, async () => {
  setGemmThreads(2);
  assert.equal(await startGemmThreads(), true);
  const next = rng(8);
  const taken: Float64Array[] = [];
  // [M, N, K] of p and q: 64×64×64 is 2^18 multiply-adds; 64×64×63 and 64×63×64 just below;
  // 256×256×128 is 2^23 (split on its own); 2048×1024×1 has 2^21 + 3072 entries of operands and result.
  const cases: { p: [number, number, number]; q: [number, number, number]; pairs: boolean }[] = [
    { p: [64, 64, 64], q: [64, 64, 64], pairs: true },
    { p: [64, 64, 63], q: [64, 64, 64], pairs: false },
    { p: [64, 64, 64], q: [64, 63, 64], pairs: false },
    { p: [256, 256, 128], q: [64, 64, 64], pairs: false },
    { p: [64, 64, 64], q: [2048, 1024, 1], pairs: false },
  ];
  for (const { p: [pM, pN, pK], q: [qM, qN, qK], pairs } of cases) {
    const p = randomProduct(next, pM, pN, pK, 'NN', false, ['heap', 'heap', 'heap'], taken);
    const q = randomProduct(next, qM, qN, qK, 'NN', false, ['heap', 'heap', 'heap'], taken);
    const [pRef, qRef] = [p.C.slice(), q.C.slice()];
    setGemmThreads(1);
    run(p, pRef);
    run(q, qRef);
    setGemmThreads(2);
    const s0 = splitProducts();
    gemmPair(p, q);
    const s1 = splitProducts();
    const what = `${pM}×${pK} @ ${pK}×${pN} with ${qM}×${qK} @ ${qK}×${qN}`;
    assert.equal(s1.pairs - s0.pairs, pairs ? 1 : 0, `${what}: ${pairs ? 'paired' : 'not paired'}`);
    assert.equal(bitsOf(p.C), bitsOf(pRef), what);
    assert.equal(bitsOf(q.C), bitsOf(qRef), what);
  }
});

const MATMUL_NET = `seed 1
dims N = 48, D = 96, H = 80, C = 10

input x: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param W2: [H, C] ~ xavier

h = relu(x @ W1)
loss = softmax_ce(h @ W2, y)
`;

const CONV_NET = `seed 2
dims N = 4, C = 3, S = 16, F = 8, M = 512, Y = 5

input x: [N, C, S, S]
input y: int[N] in 0..Y
param w: [F, C, 3, 3] ~ he
param c: [F] ~ normal(0.01)
param W: [M, Y] ~ xavier

a = relu(conv2d(x, w, c, stride=1, pad=1))
p = max_pool2d(a, size=2, stride=2)
loss = softmax_ce(reshape(p, [N, M]) @ W, y)
`;

const MHA_NET = `seed 5
dims N = 4, T = 16, D = 64

input x: [N, T, D]
input t: [N, T, D]
param Wq: [D, D] ~ xavier
param Wk: [D, D] ~ xavier
param Wv: [D, D] ~ xavier
param Wo: [D, D] ~ xavier

loss = mse(multihead_attention(x, Wq, Wk, Wv, Wo, heads=4, causal=true), t)
`;

const RNN_NET = `seed 6
dims T = 16, N = 8, D = 32, H = 64, C = 10

input x: [T, N, D]
input y: int[N] in 0..C
param h0: [N, H] ~ zeros
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] ~ zeros
param Wy: [H, C] ~ xavier

hs = rnn(x, h0, Wx, Wh, b)
loss = softmax_ce(hs[-1] @ Wy, y)
`;

const bits = (ts: readonly (Tensor | null | undefined)[]) => ts.map((t) => bitsOf(t));

for (const [name, program] of [
  ['a matrix product (its two gradients)', MATMUL_NET],
  ["conv2d (two images at a time forward; an image's dw with its patch gradients back)", CONV_NET],
  ['multihead_attention (dWo with the heads\' gradient; each projection\'s dW with its part of dx)', MHA_NET],
  ['rnn (dWx with dx)', RNN_NET],
] as const) {
  test(`${name}: pairs on two threads give the values and gradients of one thread, fresh and on a recycled resident pool`, { skip: no }, async () => {
    PAIRS_ONLY();
    assert.equal(await startGemmThreads(), true);
    const s = analyzeSession(program, { gradcheck: false });
    assert.ok(s.graph && s.graph.root !== null, `the program runs: ${s.analysis.diagnostics.map((d) => d.message).join('; ')}`);
    const { graph } = s;
    const root = graph.root as number;
    const passOn = (threads: 1 | 2, recycled: boolean) => {
      if (threads === 1) setGemmThreads(1);
      else PAIRS_ONLY();
      const ex = new Execution(graph, s.analysis.seed);
      if (recycled) ex.recycleResults(true, true);
      const calls: GemmCall[] = [];
      try {
        // The second pass on a recycled pool reuses the first one's buffers.
        for (let pass = 0; pass < (recycled ? 2 : 1); pass++) {
          observeGemm((c) => calls.push(c));
          ex.forward();
          ex.backward(root);
          observeGemm(null);
        }
        return { values: bits(ex.values), grads: bits(ex.grads), calls };
      } finally {
        observeGemm(null);
        if (recycled) ex.recycleResults(false);
      }
    };
    try {
      const one = passOn(1, false);
      assert.ok(one.calls.every((c) => !c.paired), 'one thread pairs nothing');
      for (const recycled of [false, true]) {
        const s0 = splitProducts();
        const two = passOn(2, recycled);
        assert.deepEqual(two.values, one.values, `values (${recycled ? 'recycled' : 'fresh'})`);
        assert.deepEqual(two.grads, one.grads, `gradients (${recycled ? 'recycled' : 'fresh'})`);
        const paired = two.calls.filter((c) => c.paired === 'helper').length;
        assert.ok(paired > 0, 'some products were paired');
        assert.equal(splitProducts().pairs - s0.pairs, paired, 'each pair handed one product to the helper');
      }
    } finally {
      setGemmThreads(2);
    }
  });
}

test("conv2d's backward with its patches rebuilt a band at a time (none kept): pairs give the bits of one thread", { skip: no }, async () => {
  PAIRS_ONLY();
  assert.equal(await startGemmThreads(), true);
  const next = rng(11);
  const x = new Tensor([3, 4, 20, 20], Float64Array.from({ length: 3 * 4 * 400 }, () => 2 * next() - 1));
  const w = new Tensor([8, 4, 3, 3], Float64Array.from({ length: 8 * 36 }, () => 2 * next() - 1));
  const b = new Tensor([8], Float64Array.from({ length: 8 }, () => 2 * next() - 1));
  const attrs = { stride: 1, pad: 1 };
  const out = conv2d.forward([x, w, b], attrs, {} as never).value;
  const grad = new Tensor(out.shape, Float64Array.from({ length: out.size }, () => 2 * next() - 1));
  const backward = () => conv2d.backward({ inputs: [x, w, b], out, grad, saved: undefined, attrs, needs: [true, true, true] }).map((t) => bitsOf(t));
  try {
    setGemmThreads(1);
    const one = backward();
    PAIRS_ONLY();
    const calls: GemmCall[] = [];
    observeGemm((c) => calls.push(c));
    let two: string[];
    try {
      two = backward();
    } finally {
      observeGemm(null);
    }
    assert.deepEqual(two, one);
    assert.equal(calls.filter((c) => c.paired === 'helper').length, 3, "one pair an image: its dw with its patches' gradient");
  } finally {
    setGemmThreads(2);
  }
});

/** Runs a script that imports matmul.ts in a fresh process; returns its output. */
function runChild(body: string): { status: number | null; out: string } {
  const matmul = join(__dirname, '..', '..', 'src', 'core', 'tensor', 'matmul.ts');
  return runScript(`import * as m from ${JSON.stringify(matmul)};\n${body}\n`);
}

test("a helper that fails mid-pair (a chunk claimed, never computed) leaves the caller to compute the helper's product", { skip: no }, () => {
  const threads = join(__dirname, '..', '..', 'src', 'core', 'tensor', 'gemmThreads.ts');
  const r = runChild(`
    const { failHelperForTest } = require(${JSON.stringify(threads)});
    m.setGemmThreads(2, 2 ** 40, 1);
    m.startGemmThreads().then((ok) => {
      failHelperForTest();
      const n = 96;
      const A = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)), B = Float64Array.from({ length: n * n }, (_, i) => Math.cos(i));
      // The reference: the two products one after the other on this thread (the process' arithmetic).
      const P = new Float64Array(n * n), Q = new Float64Array(n * n);
      m.setGemmThreads(1);
      m.gemmNN(n, n, n, A, 0, B, 0, P, 0, false);
      m.gemmNN(n, n, n, B, 0, A, 0, Q, 0, false);
      m.setGemmThreads(2, 2 ** 40, 1);
      const same = (x, y) => Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
      let ok2 = true, tries = 0;
      const pair = () => {
        const p = m.productNN(n, n, n, A, 0, B, 0, new Float64Array(n * n), 0, false);
        const q = m.productNN(n, n, n, B, 0, A, 0, new Float64Array(n * n), 0, false);
        m.gemmPair(p, q);
        ok2 &&= same(p.C, P) && same(q.C, Q);
      };
      // The helper must wake in time to claim a chunk; once it has failed, pairs stay on one thread.
      while (m.gemmThreads() === 2 && tries < 200) { pair(); tries++; }
      pair();
      console.log('threads', m.gemmThreads(), ok, 'same', ok2, 'tries', tries);
    });`);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /threads 1 true same true tries \d+/);
  assert.doesNotMatch(r.out, /tries 200/);
});
