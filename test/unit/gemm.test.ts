// The matrix-product kernels: the WebAssembly SIMD path and the reference order give identical
// bits (so results never depend on which path ran, or on the tiling), agree with a plain triple
// loop, and the committed wasm module is the one the .wat source compiles to. The reference is the
// scalar path, or with fused arithmetic (relaxed SIMD) an exact fused multiply-add in BigInt:
// gemm-fused.test.ts runs this file again in a process where the products fuse.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { gemm, gemmArithmetic, gemmBackend, gemmLayout, gemmNN, gemmNT, gemmTileLoop, gemmTN, observeGemm, relaxedMadd, type GemmCall } from '../../src/core/tensor/matmul';
import { gemmReference } from './helpers/fusedReference';
import { xorshiftUniforms } from './helpers/xorshift';

const ROOT = join(__dirname, '..', '..');

/** Deterministic values in [-1, 1) with a few exact zeros, negative zeros and round numbers. */
function values(n: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  const uniform = xorshiftUniforms(seed);
  for (let i = 0; i < n; i++) {
    const u = uniform();
    out[i] = u < 0.03 ? 0 : u < 0.05 ? -0 : u < 0.08 ? Math.round(u * 100) : 2 * u - 1;
  }
  return out;
}

type Layout = 'NN' | 'NT' | 'TN';

function strides(layout: Layout, M: number, N: number, K: number): [number, number, number, number] {
  const [ars, acs] = layout === 'TN' ? [1, M] : [K, 1];
  const [brs, bcs] = layout === 'NT' ? [1, K] : [N, 1];
  return [ars, acs, brs, bcs];
}

function sameBits(a: Float64Array, b: Float64Array): boolean {
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

/**
 * One product through gemm() and through the reference order from the same random operands — A and B
 * at an offset with spare entries after them, C inside a padded array: the same bits, and nothing
 * outside C's region touched.
 */
function assertLikeScalar(
  M: number,
  N: number,
  K: number,
  layout: Layout,
  accumulate: boolean,
  at: { aOff: number; aTail: number; bOff: number; bTail: number; cOff: number; cTail: number },
  [seedA, seedB, seedC]: [number, number, number],
): void {
  const [ars, acs, brs, bcs] = strides(layout, M, N, K);
  const A = values(at.aOff + M * K + at.aTail, seedA);
  const B = values(at.bOff + K * N + at.bTail, seedB);
  const C0 = values(at.cOff + M * N + at.cTail, seedC);
  const viaWasm = C0.slice();
  const viaScalar = C0.slice();
  gemm(M, N, K, A, at.aOff, ars, acs, B, at.bOff, brs, bcs, viaWasm, at.cOff, accumulate);
  gemmReference(M, N, K, A, at.aOff, ars, acs, B, at.bOff, brs, bcs, viaScalar, at.cOff, accumulate);
  assert.ok(sameBits(viaWasm, viaScalar), `${layout} ${M}×${N}×${K} accumulate=${accumulate} (${gemmArithmetic()})`);
  // Untouched outside C's region.
  assert.equal(viaWasm[0], C0[0]);
  assert.equal(viaWasm[C0.length - 1], C0[C0.length - 1]);
}

test('the committed wasm module is what gemm.wat compiles to', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-wasm.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the WebAssembly kernel is in use on Node', () => {
  assert.equal(gemmBackend(), process.env.GRADLENS_NO_WASM === '1' ? 'scalar' : 'wasm-simd');
});

test('Node 20 has relaxed SIMD behind its flag: with it the products fuse where the CPU has FMA, and match the exact fused reference; GRADLENS_ARITHMETIC=separate keeps the scalar bits', () => {
  // V8 11.3 (Node 20) has it behind the flag; later ones by default (and may not know the flag).
  const flagged = process.versions.v8.startsWith('11.3.');
  const flag = flagged ? ['--experimental-wasm-relaxed-simd'] : [];
  if (flagged && !process.execArgv.includes('--experimental-wasm-relaxed-simd')) {
    assert.equal(relaxedMadd(), 'absent');
    assert.equal(gemmArithmetic(), 'separate');
  }
  const code = (enable: boolean) => `
    const m = require('./src/core/tensor/matmul');
    const { gemmReference } = require('./test/unit/helpers/fusedReference');
    ${enable ? 'm.enableRelaxedSimd();' : ''}
    const [M, N, K] = [37, 29, 300];
    const A = Float64Array.from({ length: M * K }, (_, i) => Math.sin(i));
    const B = Float64Array.from({ length: K * N }, (_, i) => Math.cos(i));
    const x = new Float64Array(M * N), y = new Float64Array(M * N), z = new Float64Array(M * N);
    m.gemmNN(M, N, K, A, 0, B, 0, x, 0, false);
    gemmReference(M, N, K, A, 0, K, 1, B, 0, N, 1, y, 0, false);
    m.gemmScalar(M, N, K, A, 0, K, 1, B, 0, N, 1, z, 0, false);
    const same = (a, b) => a.every((v, i) => Object.is(v, b[i]));
    console.log(JSON.stringify({ relaxed: m.relaxedMadd(), arithmetic: m.gemmArithmetic(), reference: same(x, y), scalar: same(x, z) }));`;
  const run = (args: string[], enable: boolean, env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [...args, '--import', 'tsx', '-e', code(enable)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, GRADLENS_ARITHMETIC: '', ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim()) as { relaxed: string; arithmetic: string; reference: boolean; scalar: boolean };
  };
  const wasm = process.env.GRADLENS_NO_WASM !== '1';
  for (const [args, enable] of [[flag, false], [[], true]] as [string[], boolean][]) {
    const got = run(args, enable);
    assert.notEqual(got.relaxed, 'absent', 'the flag (or enableRelaxedSimd) turns relaxed SIMD on');
    assert.equal(got.arithmetic, wasm && got.relaxed === 'fused' ? 'fused' : 'separate');
    assert.equal(got.reference, true, 'the kernel has the bits of the reference in its arithmetic');
    // Fused sums differ from the scalar path's somewhere in 1073 sums of 300 products.
    assert.equal(got.scalar, got.arithmetic === 'separate');
  }
  const kept = run([], true, { GRADLENS_ARITHMETIC: 'separate' });
  assert.equal(kept.arithmetic, 'separate');
  assert.equal(kept.scalar, true);
});

test('a process with relaxed SIMD on, on a CPU that fuses it, computes its products fused (else the fused run of these tests would check nothing new)', () => {
  const on = relaxedMadd() === 'fused' && process.env.GRADLENS_NO_WASM !== '1' && process.env.GRADLENS_ARITHMETIC !== 'separate';
  assert.equal(gemmArithmetic(), on ? 'fused' : 'separate');
  if (process.env.GRADLENS_EXPECT_FUSED === '1') assert.equal(gemmArithmetic(), 'fused', 'the fused run of this file');
});

test('wasm products have the reference bits, for every layout, edge size and offset', () => {
  const sizes: [number, number, number][] = [
    [4, 6, 90],
    [5, 7, 64],
    [2, 4, 300],
    [33, 65, 17],
    [64, 100, 31],
    [9, 130, 1],
    [17, 11, 0],
    [128, 6, 40],
    [70, 12, 300],
    [40, 130, 9],
    // Sizes the separate arithmetic keeps on the scalar loop and the fused one sends to the kernel.
    [1, 1, 1],
    [1, 3, 7],
    [3, 1, 300],
    [1, 5, 2],
    [2, 3, 260],
  ];
  let n = 0;
  for (const [M, N, K] of sizes) {
    for (const layout of ['NN', 'NT', 'TN'] as Layout[]) {
      for (const accumulate of [false, true]) {
        assertLikeScalar(M, N, K, layout, accumulate, { aOff: 3, aTail: 2, bOff: 5, bTail: 1, cOff: 2, cTail: 2 }, [7 + n, 11 + n, 13 + n]);
        n++;
      }
    }
  }
});

test('products whose operands the kernel packs (transposed, rows 4 KB apart, strided columns) keep the reference bits', () => {
  // [M, N, K, layout, what the layout must pack]: the reference shapes of mlp2 and 512², and edges
  // (row and column counts that leave a partial panel, several blocks of k and of rows).
  const cases: [number, number, number, Layout, '' | 'X' | 'Y' | 'XY'][] = [
    [3072, 100, 64, 'TN', 'X'], // mlp2's dW1 = Xᵀ·dH: rows of 3072 values a step of k
    [512, 512, 300, 'NN', 'Y'], // rows of B 4 KB apart
    [37, 1024, 45, 'NN', 'Y'],
    [514, 42, 260, 'TN', 'X'], // computed as Cᵀ = Bᵀ·Aᵀ: Bᵀ packed, a partial panel
    [1030, 62, 70, 'TN', 'X'],
    [1030, 6, 70, 'TN', ''], // as Cᵀ = Bᵀ·Aᵀ: Bᵀ fits the L1 cache, A's rows 8240 bytes apart spread over the sets
    [6, 515, 300, 'NT', 'Y'], // B's columns strided: always packed
    [512, 512, 270, 'TN', 'XY'],
  ];
  let n = 0;
  for (const [M, N, K, layout, packs] of cases) {
    const [ars, acs, brs, bcs] = strides(layout, M, N, K);
    const plan = gemmLayout(M, N, K, ars, acs, brs, bcs);
    assert.equal((plan.packX ? 'X' : '') + (plan.packY ? 'Y' : ''), packs, `${layout} ${M}×${N}×${K} packs ${packs}`);
    for (const accumulate of [false, true]) {
      assertLikeScalar(M, N, K, layout, accumulate, { aOff: 1, aTail: 0, bOff: 2, bTail: 0, cOff: 1, cTail: 2 }, [21 + n, 23 + n, 29 + n]);
      n++;
    }
  }
});

test('a product is computed transposed (Cᵀ = Bᵀ·Aᵀ) only when that saves more packing than writing C out transposed costs', () => {
  // [M, N, K, layout, swapped]: the transposed store is a strided pass over M·N entries, like a pack.
  const cases: [number, number, number, Layout, boolean][] = [
    [3072, 100, 8, 'TN', false], // mlp2-N8's dW1: packing Xᵀ (24 k entries) beats transposing 307 k (0.97 → 0.39 ms)
    [32, 64, 64, 'NT', false], // deep's dX = dY·Wᵀ: packing Wᵀ (4 k) against 2 k packed + 2 k transposed: a tie keeps C
    [512, 3072, 100, 'NT', false], // mlp2-N512's dX: packing W1ᵀ (307 k) beats 51 k packed + 1.6 M transposed
    [64, 3072, 100, 'NT', true], // mlp2's dX: 6 k packed + 197 k transposed beats packing W1ᵀ (307 k)
    [6, 515, 300, 'NT', true],
    [1030, 6, 70, 'TN', true],
  ];
  for (const [M, N, K, layout, swapped] of cases) {
    const [ars, acs, brs, bcs] = strides(layout, M, N, K);
    assert.equal(gemmLayout(M, N, K, ars, acs, brs, bcs).swap, swapped, `${layout} ${M}×${N}×${K}`);
  }
});

test('a product too small to split whose operands outgrow the unshared kernel memory (16 MB) runs on the shared one, same bits', () => {
  // 2×4×600000: 4.8 M multiply-adds (below the split threshold), operands of about 29 MB.
  const [M, N, K] = [2, 4, 600000];
  for (const layout of ['NN', 'TN'] as Layout[]) {
    const [ars, acs, brs, bcs] = strides(layout, M, N, K);
    const A = values(M * K, 3);
    const B = values(K * N, 5);
    const viaWasm = new Float64Array(M * N);
    gemm(M, N, K, A, 0, ars, acs, B, 0, brs, bcs, viaWasm, 0, false);
    // Each entry as a 1×1 product of its own (operands that fit the unshared memory, or the scalar
    // path's dot product with separate arithmetic): the same bits.
    const entries = new Float64Array(M * N);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) gemm(1, 1, K, A, i * ars, ars, acs, B, j * bcs, brs, bcs, entries, i * N + j, false);
    assert.ok(sameBits(viaWasm, entries), layout);
  }
});

test('a row or a column recomputed on its own has the bits of the full product', () => {
  const [M, N, K] = [40, 50, 70];
  const A = values(M * K, 3);
  const B = values(K * N, 4);
  const full = new Float64Array(M * N);
  gemmNN(M, N, K, A, 0, B, 0, full, 0, false);
  const row = new Float64Array(N);
  gemm(1, N, K, A, 17 * K, K, 1, B, 0, N, 1, row, 0, false);
  assert.ok(sameBits(row, full.subarray(17 * N, 18 * N)));
  const col = new Float64Array(M);
  gemm(M, 1, K, A, 0, K, 1, B, 23, N, 1, col, 0, false);
  assert.ok(sameBits(col, Float64Array.from({ length: M }, (_, i) => full[i * N + 23])));
});

test('products agree with a plain triple loop; NaN and Inf propagate', () => {
  const [M, N, K] = [13, 29, 37];
  const A = values(M * K, 5);
  const B = values(K * N, 6);
  A[4 * K + 2] = Infinity;
  B[3 * N + 7] = Number.NaN;
  const ref = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) ref[i * N + j] += A[i * K + k] * B[k * N + j];
  const At = new Float64Array(K * M);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) At[k * M + i] = A[i * K + k];
  const Bt = new Float64Array(N * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) Bt[j * K + k] = B[k * N + j];
  const outs = [new Float64Array(M * N), new Float64Array(M * N), new Float64Array(M * N)];
  gemmNN(M, N, K, A, 0, B, 0, outs[0], 0, false);
  gemmNT(M, N, K, A, 0, Bt, 0, outs[1], 0, false);
  gemmTN(M, N, K, At, 0, B, 0, outs[2], 0, false);
  for (const out of outs) {
    assert.ok(sameBits(out, outs[0]), 'the three layouts give the same bits');
    for (let i = 0; i < M * N; i++) {
      if (Number.isNaN(ref[i])) assert.ok(Number.isNaN(out[i]), `NaN at ${i}`);
      else if (!Number.isFinite(ref[i])) assert.equal(out[i], ref[i]);
      else assert.ok(Math.abs(out[i] - ref[i]) <= 1e-12 * K, `${out[i]} vs ${ref[i]} at ${i}`);
    }
  }
});

test('an observer of the products hears each one with its sizes, strides and accumulation, until it is removed (the bench replays them)', () => {
  const heard: GemmCall[] = [];
  const A = values(6 * 5, 1);
  const B = values(5 * 4, 2);
  const C = new Float64Array(6 * 4);
  observeGemm((c) => heard.push(c));
  try {
    gemmNN(6, 4, 5, A, 0, B, 0, C, 0, false);
    gemmTN(5, 4, 6, A, 0, values(6 * 4, 3), 0, new Float64Array(5 * 4), 0, true);
  } finally {
    observeGemm(null);
  }
  gemmNN(6, 4, 5, A, 0, B, 0, C, 0, false);
  assert.deepEqual(heard, [
    { M: 6, N: 4, K: 5, ars: 5, acs: 1, brs: 4, bcs: 1, accumulate: false, resident: [false, false, false] },
    { M: 5, N: 4, K: 6, ars: 1, acs: 5, brs: 4, bcs: 1, accumulate: true, resident: [false, false, false] },
  ]);
});

test("the bench's tile loop runs the products' kernel over its panels (its first entry is their dot product)", () => {
  const loop = gemmTileLoop();
  assert.ok(loop, 'the kernel runs here');
  // 256 tiles of 4×4 entries, KC steps each: KC from the flops.
  const kc = loop.flops / (2 * 16 * 256);
  assert.ok(Number.isInteger(kc) && kc >= 64, `KC = ${kc}`);
  // A's panel holds A(i, k) at 4k + i, B's (after A's 4·KC entries) B(k, j) at 4k + j; entry j of both is 1e-3·(j mod 7 + 1).
  const value = (j: number) => 1e-3 * ((j % 7) + 1);
  let expected = 0;
  for (let k = 0; k < kc; k++) expected += value(4 * k) * value(4 * kc + 4 * k);
  assert.ok(Math.abs(loop.corner - expected) <= 1e-12 * expected, `C(0, 0) = ${loop.corner}, Σ_k A(0, k)·B(k, 0) = ${expected}`);
  // A second call finds the same panels and the same sum (the workspace is rewritten each time).
  assert.equal(gemmTileLoop()?.corner, loop.corner);
});
