// Large products on two threads (src/core/tensor/gemmThreads.ts): the same bits as one thread for
// every layout, accumulation and shape (tiles split unevenly, a single tile, several blocks of rows
// and of k) and every example's CLI output, the helper never keeps the process alive, and
// GRADLENS_THREADS=1 keeps one thread.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../../src/cli/main';
import { Prng } from '../../src/core/engine/prng';
import { gemm, gemmBackend, gemmThreads, runsOnKernel, setGemmThreads, splitProducts, startGemmThreads, stopGemmThreads } from '../../src/core/tensor/matmul';
import { runScript } from './helpers/childScript';
import { gemmReference } from './helpers/fusedReference';

const MATMUL = join(__dirname, '..', '..', 'src', 'core', 'tensor', 'matmul.ts');
const wasm = gemmBackend() === 'wasm-simd';

after(() => stopGemmThreads());

/** The engine's own seeded generator, uniform in [0, 1). */
function rng(seed: number): () => number {
  const p = new Prng(seed, 'gemm-threads');
  return () => p.uniform();
}

function values(n: number, next: () => number): Float64Array {
  return Float64Array.from({ length: n }, () => {
    const u = next();
    return u < 0.03 ? 0 : u < 0.05 ? -0 : 2 * u - 1;
  });
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

type Layout = 'NN' | 'NT' | 'TN';

/** One product with the given threads; returns C. */
function product(threads: 1 | 2, M: number, N: number, K: number, layout: Layout, A: Float64Array, B: Float64Array, C0: Float64Array, acc: boolean): Float64Array {
  // threshold 1: every product the kernel takes is split, down to a single tile.
  setGemmThreads(threads, 1);
  const [ars, acs] = layout === 'TN' ? [1, M] : [K, 1];
  const [brs, bcs] = layout === 'NT' ? [1, K] : [N, 1];
  const C = C0.slice();
  gemm(M, N, K, A, 0, ars, acs, B, 0, brs, bcs, C, 0, acc);
  return C;
}

test('two threads give the bits of one thread on random products of many shapes', { skip: !wasm && 'no WebAssembly (GRADLENS_NO_WASM=1): products never split' }, async () => {
  setGemmThreads(2, 1);
  assert.equal(await startGemmThreads(), true, 'the helper thread starts on Node');
  assert.equal(gemmThreads(), 2);
  const next = rng(17);
  const shapes: [number, number, number][] = [
    [64, 100, 3072], // mlp2's X·W1: 12 blocks of k
    [3072, 100, 64], // its dW1 shape: 3 blocks of rows
    [2, 4, 2048], // one tile
    [5, 9, 700],
    [257, 4, 300], // more row panels than a block, one column panel
    [4, 513, 100],
    [300, 77, 513],
  ];
  for (let i = 0; i < 12; i++) shapes.push([2 + Math.floor(next() * 300), 4 + Math.floor(next() * 300), 1 + Math.floor(next() * 600)]);
  let compared = 0;
  let packed = 0;
  const split0 = splitProducts();
  for (const [M, N, K] of shapes) {
    for (const layout of ['NN', 'NT', 'TN'] as const) {
      const A = values(M * K, next);
      const B = values(K * N, next);
      const C0 = values(M * N, next);
      for (const acc of [false, true]) {
        const one = product(1, M, N, K, layout, A, B, C0, acc);
        const two = product(2, M, N, K, layout, A, B, C0, acc);
        assert.ok(sameBits(one, two), `${M}×${K} @ ${K}×${N} ${layout}${acc ? ' accumulating' : ''}: 1 and 2 threads differ`);
        compared++;
        if (runsOnKernel(M, N, K)) packed++;
      }
    }
  }
  assert.equal(gemmThreads(), 2, 'the helper is still running after every product');
  const stats = splitProducts();
  assert.equal(stats.products - split0.products, packed, 'every 2-thread product on the kernel was split');
  assert.ok(stats.helperChunks > split0.helperChunks, 'the helper computed some of the chunks');
  assert.ok(packed >= compared - 12);
  // One thread is the reference order too (in the process's arithmetic: test/unit/helpers/fusedReference.ts).
  const [M, N, K] = [24, 20, 520];
  const A = values(M * K, next);
  const B = values(K * N, next);
  const ref = new Float64Array(M * N);
  gemmReference(M, N, K, A, 0, K, 1, B, 0, N, 1, ref, 0, false);
  assert.ok(sameBits(ref, product(2, M, N, K, 'NN', A, B, new Float64Array(M * N), false)));
  assert.equal(compared, shapes.length * 6);
});

test('the helper polls a while after a product: the next ones, back to back, need not wake it', { skip: !wasm && 'no WebAssembly' }, async () => {
  setGemmThreads(2, 1);
  assert.equal(await startGemmThreads(), true);
  const next = rng(9);
  const [M, N, K] = [64, 64, 256];
  const A = values(M * K, next);
  const B = values(K * N, next);
  const one = product(1, M, N, K, 'NN', A, B, new Float64Array(M * N), false);
  const s0 = splitProducts();
  for (let i = 0; i < 20; i++) assert.ok(sameBits(one, product(2, M, N, K, 'NN', A, B, new Float64Array(M * N), false)));
  const s1 = splitProducts();
  assert.equal(s1.products - s0.products, 20);
  // The first may find it asleep, and on a loaded machine a descheduled helper misses more; but
  // some of 20 products a few microseconds apart find it polling (20 of 20 without the polling).
  assert.ok(s1.wakes - s0.wakes < 20, `woken for ${s1.wakes - s0.wakes} of 20 products`);
});

test('after the helper is stopped products run on one thread, with the same bits', { skip: !wasm && 'no WebAssembly' }, async () => {
  setGemmThreads(2, 1);
  assert.equal(await startGemmThreads(), true);
  const next = rng(5);
  const [M, N, K] = [96, 64, 800];
  const A = values(M * K, next);
  const B = values(K * N, next);
  const two = product(2, M, N, K, 'NN', A, B, new Float64Array(M * N), false);
  stopGemmThreads();
  assert.equal(gemmThreads(), 1);
  const split0 = splitProducts();
  assert.ok(sameBits(two, product(1, M, N, K, 'NN', A, B, new Float64Array(M * N), false)));
  assert.equal(splitProducts().products, split0.products);
});

/** Runs a script that imports matmul.ts in a fresh process; returns its output and how long it took. */
function runChild(body: string, env: Record<string, string> = {}, preamble = ''): { status: number | null; out: string; ms: number } {
  const source = preamble ? `${preamble}\nvoid import(${JSON.stringify(MATMUL)}).then((m) => {\n${body}\n});\n` : `import * as m from ${JSON.stringify(MATMUL)};\n${body}\n`;
  return runScript(source, env);
}

test('the helper thread never keeps the process alive', { skip: !wasm && 'no WebAssembly' }, () => {
  // The process has nothing left to do once the product is done: it must exit on its own, with the
  // helper still waiting for work (an unref'd worker).
  const r = runChild(`
    m.startGemmThreads().then((ok) => {
      const A = new Float64Array(256 * 256).fill(1), C = new Float64Array(256 * 256);
      m.gemmNN(256, 256, 256, A, 0, A, 0, C, 0, false);
      console.log('threads', m.gemmThreads(), ok, C[0]);
    });`);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /threads 2 true 256/);
});

test('GRADLENS_THREADS=1 keeps every product on one thread', () => {
  const r = runChild(`m.startGemmThreads().then((ok) => console.log('threads', m.gemmThreads(), ok));`, { GRADLENS_THREADS: '1' });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /threads 1 false/);
});

test('every example\'s CLI --json is the same with every product split between two threads', { skip: !wasm && 'no WebAssembly' }, async () => {
  const root = join(__dirname, '..', '..');
  const examples = readdirSync(join(root, 'examples'))
    .filter((f) => f.endsWith('.grad'))
    .sort();
  assert.ok(examples.length >= 20);
  const cli = (file: string) => {
    let out = '';
    const code = main(['check', '--json', join('examples', file)], { out: (s) => (out += s), err: (s) => (out += `[stderr] ${s}`) });
    return `${out}[exit ${code}]`;
  };
  setGemmThreads(2, 1);
  assert.equal(await startGemmThreads(), true);
  const before = splitProducts();
  const cwd = process.cwd();
  process.chdir(root);
  try {
    for (const f of examples) {
      setGemmThreads(1);
      const one = cli(f);
      setGemmThreads(2, 1);
      const two = cli(f);
      assert.equal(two, one, `${f}: the output differs with two threads`);
    }
  } finally {
    process.chdir(cwd);
    setGemmThreads(2);
  }
  const after = splitProducts();
  assert.ok(after.products - before.products > 100, `products were split (${after.products - before.products})`);
  assert.ok(after.helperChunks > before.helperChunks, 'the helper computed some of the chunks');
});

test('without worker_threads (no process.getBuiltinModule) products stay on one thread, with the same bits', () => {
  const r = runChild(
    `
    m.startGemmThreads().then((ok) => {
      const A = Float64Array.from({ length: 200 * 300 }, (_, i) => Math.sin(i)), C = new Float64Array(200 * 200), R = new Float64Array(200 * 200);
      m.gemmNN(200, 200, 300, A, 0, A, 0, C, 0, false);
      m.gemmScalar(200, 200, 300, A, 0, 300, 1, A, 0, 200, 1, R, 0, false);
      console.log('threads', m.gemmThreads(), ok, m.splitProducts().products, Buffer.from(C.buffer).equals(Buffer.from(R.buffer)));
    });`,
    {},
    '(process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;',
  );
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /threads 1 false 0 true/);
});

test('a helper that fails mid-product (a chunk claimed, never computed) leaves the caller to compute the product alone', { skip: !wasm && 'no WebAssembly' }, () => {
  const threads = join(__dirname, '..', '..', 'src', 'core', 'tensor', 'gemmThreads.ts');
  const r = runChild(`
    const { failHelperForTest } = require(${JSON.stringify(threads)});
    m.setGemmThreads(2, 1);
    m.startGemmThreads().then((ok) => {
      failHelperForTest();
      const n = 256;
      const A = Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)), R = new Float64Array(n * n);
      m.gemmScalar(n, n, n, A, 0, n, 1, A, 0, n, 1, R, 0, false);
      let same = true, tries = 0;
      // The helper must wake in time to claim a chunk; once it has failed, products stay on one thread.
      while (m.gemmThreads() === 2 && tries < 200) {
        const C = new Float64Array(n * n);
        m.gemmNN(n, n, n, A, 0, A, 0, C, 0, false);
        same &&= Buffer.from(C.buffer).equals(Buffer.from(R.buffer));
        tries++;
      }
      const C = new Float64Array(n * n);
      m.gemmNN(n, n, n, A, 0, A, 0, C, 0, false);
      same &&= Buffer.from(C.buffer).equals(Buffer.from(R.buffer));
      console.log('threads', m.gemmThreads(), ok, 'same', same, 'tries', tries);
    });`);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /threads 1 true same true tries \d+/);
  assert.doesNotMatch(r.out, /tries 200/);
});

test('the helper starts only once large products add up (a short run never pays for a worker)', { skip: !wasm && 'no WebAssembly' }, () => {
  const threads = join(__dirname, '..', '..', 'src', 'core', 'tensor', 'gemmThreads.ts');
  const r = runChild(`
    const { helperStarted } = require(${JSON.stringify(threads)});
    const n = 256; // 16.8M multiply-adds: above the split threshold
    const A = new Float64Array(n * n).fill(1), C = new Float64Array(n * n);
    m.gemmNN(n, n, n, A, 0, A, 0, C, 0, false);
    const afterOne = helperStarted();
    let products = 1;
    while (!helperStarted() && products < 1000) {
      m.gemmNN(n, n, n, A, 0, A, 0, C, 0, false);
      products++;
    }
    console.log('after one', afterOne, 'started after', products);`);
  assert.equal(r.status, 0, r.out);
  const found = /after one false started after (\d+)/.exec(r.out);
  assert.ok(found, r.out);
  assert.ok(Number(found[1]) > 2 && Number(found[1]) < 1000, r.out);
});
