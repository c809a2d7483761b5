// gelu over the GEMM kernel's shared memory in chunks that the calling thread and the helper thread
// share (gemmThreads.ts' runGelu): the same bits as one thread for sizes around the chunk and the
// threshold, nothing handed over below the threshold, and a helper that fails midway leaves the
// caller to compute every entry itself.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Prng } from '../../src/core/engine/prng';
import { GELU_SPLIT_MIN } from '../../src/core/tensor/gemmThreads';
import { gemmBackend, residentArena, setGemmThreads, splitProducts, startGemmThreads, stopGemmThreads } from '../../src/core/tensor/matmul';
import { simdGelu } from '../../src/core/tensor/simdElementwise';
import { bitsOf } from './helpers/bits';
import { runScript } from './helpers/childScript';

const no = gemmBackend() !== 'wasm-simd' && 'no WebAssembly (GRADLENS_NO_WASM=1)';

after(() => {
  setGemmThreads(2);
  stopGemmThreads();
});

/** gelu's input: wide normal values with zeros, tiny and huge ones among them. */
function inputs(n: number, seed: number): Float64Array {
  const p = new Prng(seed, 'helper-gelu');
  return Float64Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? 1e-300 : i % 83 === 0 ? -40 : 6 * (2 * p.uniform() - 1)));
}

/** simdGelu on x resident in the kernel's memory, with the given threads: [out, slope] as bits. */
function gelu(threads: 1 | 2, data: Float64Array): [string, string] {
  const arena = residentArena();
  assert.ok(arena, 'the shared kernel has an arena');
  const x = arena.copyOf(data);
  assert.ok(x, 'the arena takes x');
  try {
    setGemmThreads(threads);
    const out = new Float64Array(data.length);
    const slope = new Float64Array(data.length);
    assert.ok(simdGelu(x, out, slope), 'the kernel computes gelu');
    return [bitsOf(out), bitsOf(slope)];
  } finally {
    arena.release(x);
    setGemmThreads(2);
  }
}

test('gelu shared with the helper gives the bits of one thread, in chunks or whole', { skip: no }, async () => {
  setGemmThreads(2);
  assert.equal(await startGemmThreads(), true);
  const s0 = splitProducts();
  let shared = 0;
  for (const n of [GELU_SPLIT_MIN, GELU_SPLIT_MIN + 1, 10001, 2048 * 7 + 3, 32768]) {
    const data = inputs(n, n);
    const one = gelu(1, data);
    const two = gelu(2, data);
    shared++;
    assert.deepEqual(two, one, `${n} entries`);
  }
  const s1 = splitProducts();
  assert.equal(s1.maps - s0.maps, shared, 'each gelu of at least GELU_SPLIT_MIN entries was shared');
  // On a loaded machine the helper may wake too late for a few gelus (it then claims nothing): some
  // of many more it takes part in, and each gives the bits of one thread.
  const data = inputs(32768, 5);
  const one = gelu(1, data);
  for (let i = 0; i < 50 && splitProducts().helperChunks === s1.helperChunks && s1.helperChunks === s0.helperChunks; i++) assert.deepEqual(gelu(2, data), one);
  assert.ok(splitProducts().helperChunks > s0.helperChunks, 'the helper computed some of the chunks');
});

test('gelu under GELU_SPLIT_MIN entries stays on the calling thread', { skip: no }, async () => {
  setGemmThreads(2);
  assert.equal(await startGemmThreads(), true);
  const s0 = splitProducts();
  const data = inputs(GELU_SPLIT_MIN - 1, 3);
  assert.deepEqual(gelu(2, data), gelu(1, data));
  assert.equal(splitProducts().maps, s0.maps);
});

test('a helper that fails during gelu (a chunk claimed, never computed) leaves the caller to compute every entry', { skip: no }, () => {
  const src = join(__dirname, '..', '..', 'src', 'core', 'tensor');
  const { status, out } = runScript(
    `import * as m from ${JSON.stringify(join(src, 'matmul.ts'))};
import { failHelperForTest } from ${JSON.stringify(join(src, 'gemmThreads.ts'))};
import { simdGelu } from ${JSON.stringify(join(src, 'simdElementwise.ts'))};
const n = 20000;
const data = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 5);
const run = () => {
  const x = m.residentArena()!.copyOf(data)!;
  const out = new Float64Array(n), slope = new Float64Array(n);
  simdGelu(x, out, slope);
  m.residentArena()!.release(x);
  return Buffer.concat([Buffer.from(out.buffer), Buffer.from(slope.buffer)]);
};
void m.startGemmThreads().then((ok) => {
  m.setGemmThreads(1);
  const ref = run();
  m.setGemmThreads(2);
  failHelperForTest();
  let same = true, tries = 0;
  // The helper must wake in time to claim a chunk; once it has failed, gelu stays on one thread.
  while (m.gemmThreads() === 2 && tries < 200) { same &&= run().equals(ref); tries++; }
  same &&= run().equals(ref);
  console.log('threads', m.gemmThreads(), ok, 'same', same, 'tries', tries);
});
`,
  );
  assert.equal(status, 0, out);
  assert.match(out, /threads 1 true same true tries \d+/);
  assert.doesNotMatch(out, /tries 200/);
});

test('a helper without the elementwise kernels takes no gelu, and keeps taking products', { skip: no }, () => {
  const src = join(__dirname, '..', '..', 'src', 'core', 'tensor');
  const { status, out } = runScript(
    `import * as m from ${JSON.stringify(join(src, 'matmul.ts'))};
import { kernel } from ${JSON.stringify(join(src, 'gemmKernel.ts'))};
import { simdGelu } from ${JSON.stringify(join(src, 'simdElementwise.ts'))};
// The helper starts without the module (as if it had not compiled or loaded there).
kernel()!.elementwise = () => null;
void m.startGemmThreads().then((ok) => {
  const n = 20000;
  const data = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 5);
  const x = m.residentArena()!.copyOf(data)!;
  const out = new Float64Array(n), slope = new Float64Array(n);
  const s0 = m.splitProducts();
  simdGelu(x, out, slope);
  const A = new Float64Array(256 * 256).fill(1), C = new Float64Array(256 * 256);
  m.gemmNN(256, 256, 256, A, 0, A, 0, C, 0, false);
  const s1 = m.splitProducts();
  console.log('threads', m.gemmThreads(), ok, 'maps', s1.maps - s0.maps, 'split', s1.products - s0.products, Number.isFinite(out[n - 1]) && out[n - 1] !== 0);
});
`,
  );
  assert.equal(status, 0, out);
  assert.match(out, /threads 2 true maps 0 split 1 true/);
});
