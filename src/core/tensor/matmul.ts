// Matrix-product kernels on row-major float64 buffers. The three variants cover the forward pass
// (A·B) and both backward products (dA = dC·Bᵀ, dB = Aᵀ·dC) without materialising a transpose:
// all three are one strided product, `gemm`.
//
// Large products run on a WebAssembly SIMD micro-kernel (wasm/gemm.wat) over packed panels; small
// ones, and any machine without WebAssembly, on a scalar loop. Both compute every entry the same
// way — one accumulator from +0, adding A[i,k]·B[k,j] in ascending k, multiply then add, and C is
// then set to the sum (or to C + sum when accumulating) — so they give identical bits, whatever
// the path, the tiling, or whether a caller recomputes one row or column on its own. Large products
// share their tiles with a helper thread (gemmThreads.ts); each tile is still summed by one thread
// in that order, so one thread or two give the same bits too.
//
// Where the runtime fuses WebAssembly relaxed SIMD's multiply-add (relaxedSimd.ts: a CPU with FMA,
// and VS Code's host, or the CLI, which sets Node 20's flag) the kernel's fused
// variant runs instead (its peak loop 1.25–1.3× the separate one's on AMD EPYC, the kernel 0–5%
// faster there) and then every product goes to the kernel, small ones too: JavaScript has no fused
// multiply-add, and the same order with one rounding a step keeps every property above (tiling,
// threads, a row on its own) — except for a product whose workspace (copies of both operands, a
// packed one, C) passes MAX_WORKSPACE (1 GB: operands of tens of millions of entries, within the
// memory budget only near its limits) or that the memory cannot grow to, which falls back to the
// scalar loop and its separate arithmetic. The bits differ from
// the separate arithmetic's in the last places: `gemmArithmetic()` says which one a process uses
// (the bench and `gradlens --version` print it); GRADLENS_ARITHMETIC=separate keeps the separate one.
import { GEMM_FUSED_LOCAL_WASM_BASE64, GEMM_FUSED_WASM_BASE64, GEMM_LOCAL_WASM_BASE64, GEMM_WASM_BASE64 } from './wasm/gemm.generated';
import { fromBase64, wasmApi, type WasmMemory } from './wasm/runtime';
import { relaxedMadd } from './relaxedSimd';
import { belowSplitting, gemmThreads, helperStarted, JOB_BYTES, runTiles, splitsWork } from './gemmThreads';
import { ResidentArena } from './resident';

export { gemmThreads, setGemmThreads, splitProducts, stopGemmThreads } from './gemmThreads';
export { enableRelaxedSimd, relaxedMadd, type RelaxedMadd } from './relaxedSimd';

/** C[M,N] (+)= A[M,K] · B[K,N] */
export function gemmNN(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
  gemm(M, N, K, A, aOff, K, 1, B, bOff, N, 1, C, cOff, accumulate);
}

/** C[M,N] (+)= A[M,K] · B[N,K]ᵀ */
export function gemmNT(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
  gemm(M, N, K, A, aOff, K, 1, B, bOff, 1, K, C, cOff, accumulate);
}

/** C[M,N] (+)= A[K,M]ᵀ · B[K,N] */
export function gemmTN(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
  gemm(M, N, K, A, aOff, 1, M, B, bOff, N, 1, C, cOff, accumulate);
}

/** One product as `gemm` was asked for it: its sizes, the operands' strides, and whether it accumulates. */
export interface GemmCall {
  M: number;
  N: number;
  K: number;
  ars: number;
  acs: number;
  brs: number;
  bcs: number;
  accumulate: boolean;
  /** Which of A, B and C live in the kernel's memory (resident.ts): read and written there in place. */
  resident: [boolean, boolean, boolean];
}

let gemmObserver: ((call: GemmCall) => void) | null = null;

/**
 * While set, `observer` hears of every product `gemm` computes (the bench replays one run's
 * products alone, to time the floor the kernel sets under a workload). Null stops it.
 */
export function observeGemm(observer: ((call: GemmCall) => void) | null): void {
  gemmObserver = observer;
}

/**
 * C[M,N] (row-major at cOff) = (C +) Σ_k A(i,k)·B(k,j), where A(i,k) = A[aOff + i·ars + k·acs] and
 * B(k,j) = B[bOff + k·brs + j·bcs]. A and B may share a buffer with C as long as the regions do
 * not overlap.
 */
export function gemm(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  B: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  if (M <= 0 || N <= 0) return;
  if (gemmObserver) {
    const at = (t: Float64Array) => (kernel()?.arena?.offsetOf(t) ?? -1) >= 0;
    gemmObserver({ M, N, K, ars, acs, brs, bcs, accumulate, resident: [at(A), at(B), at(C)] });
  }
  const k = runsOnKernel(M, N, K) ? kernel() : null;
  if (k) {
    // A product split between two threads runs on the shared memory; one on this thread alone on
    // the kernel's unshared instance when its workspace fits (copies into a shared memory cost
    // several times more): too small to split, or while the helper is off or not started yet.
    // Operands that live in the shared memory (resident.ts) are read there in place: no copies.
    const split = !belowSplitting(M * N * K) && splitsWork(k, M * N * K);
    // Where each operand lives in the shared memory (a float64 index), or -1: looked up once.
    const arena = k.arena;
    const at: Residency = arena ? [residentIndex(arena, A, aOff), residentIndex(arena, B, bOff), residentIndex(arena, C, cOff)] : NOT_RESIDENT;
    const local = split || at[0] >= 0 || at[1] >= 0 || at[2] >= 0 ? null : localKernel();
    if (local && gemmWasm(local, false, M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate, NOT_RESIDENT)) return;
    if (gemmWasm(k, split, M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate, at)) return;
  }
  gemmScalar(M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate);
}

const WASM_MIN_WORK = 2048;

/**
 * Whether a product of these sizes runs on the packed WebAssembly kernel (when the machine has
 * it): below this many multiply-adds, packing and the call into wasm cost more than they save.
 * The cost model (ops/cost.ts) prices the two paths apart — by this rule alone, so that budgets
 * and what they allow never depend on the runtime (fused arithmetic sends small products to the
 * kernel too).
 */
export function usesPackedKernel(M: number, N: number, K: number): boolean {
  return M * N * K >= WASM_MIN_WORK && M >= 2 && N >= 4;
}

/**
 * Whether gemm sends a product of these sizes to the WebAssembly kernel here: by usesPackedKernel,
 * or every product with a sum where the arithmetic is fused (the scalar loop cannot fuse).
 */
export function runsOnKernel(M: number, N: number, K: number): boolean {
  return K > 0 && (usesPackedKernel(M, N, K) ? kernel() !== null : fusedKernel());
}

let rowScratch = new Float64Array(256);

/** The reference order: for each row, one accumulator per column, ascending k. */
export function gemmScalar(
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  B: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
): void {
  if (N === 1) {
    // One column: plain dot products, the same order as below without the row of accumulators.
    for (let i = 0; i < M; i++) {
      const ai = aOff + i * ars;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += A[ai + k * acs] * B[bOff + k * brs];
      if (accumulate) C[cOff + i] += acc;
      else C[cOff + i] = acc;
    }
    return;
  }
  if (rowScratch.length < N) rowScratch = new Float64Array(N);
  const acc = rowScratch;
  for (let i = 0; i < M; i++) {
    acc.fill(0, 0, N);
    const ai = aOff + i * ars;
    for (let k = 0; k < K; k++) {
      const a = A[ai + k * acs];
      const bk = bOff + k * brs;
      if (bcs === 1) for (let j = 0; j < N; j++) acc[j] += a * B[bk + j];
      else for (let j = 0; j < N; j++) acc[j] += a * B[bk + j * bcs];
    }
    const ci = cOff + i * N;
    if (accumulate) for (let j = 0; j < N; j++) C[ci + j] += acc[j];
    else for (let j = 0; j < N; j++) C[ci + j] = acc[j];
  }
}

// ------------------------------------------------------------------ WebAssembly path

/** Tile of the micro-kernel (must match wasm/gemm.wat). */
const MR = 4;
const NR = 4;
const PAGE = 65536;
/** Cache blocking: k steps per block, and row panels per block (at most 64: 256 rows of A). */
const KC = 256;
const MC_PANELS = 64;
/**
 * The A block's bytes at most (row panels × kc steps): half of a 512 KB L2 cache (Zen 3's), the
 * rest for the B panels that pass over it and C. Blocks of this size took 0.95-0.96x the time of
 * whole 512 KB blocks (256 rows × 256 steps) on mlp2-N512's X·W1 and on 512² with 2 threads, and
 * 0.96-1.01x on one (paired rounds). The blocking never changes a sum's order (same bits).
 */
const MC_BYTES = 256 * 1024;

/** Row panels per block for blocks of `kc` steps of k (see MC_BYTES). */
function rowPanels(kc: number): number {
  return Math.max(1, Math.min(MC_PANELS, Math.floor(MC_BYTES / (MR * kc * 8))));
}
/** Operands larger than this stay on the scalar path (wasm32 addresses, and memory we keep). */
const MAX_WORKSPACE = 1 << 30;

/**
 * The unshared instance's memory (float64 workspace for products on one thread, about 2 M
 * entries): fixed, since growing an unshared memory detaches its ArrayBuffer (see wasm/gemm.wat).
 * Pages a product never touched cost no resident memory.
 */
const LOCAL_PAGES = 256;

interface Kernel {
  tiles(a: number, aps: number, ars: number, acs: number, b: number, bps: number, brs: number, pc: number, ldc: number, K: number, mp: number, t0: number, t1: number, load: number): void;
  pack(s: number, rs: number, cs: number, n: number, K: number, d: number): void;
  store(t: number, ldc: number, d: number, M: number, N: number, swap: number, acc: number): void;
  peak(rounds: number): number;
  work(job: number, seq: number): number;
  memory: WasmMemory;
  module: object;
  f64: Float64Array;
  /** Whether reserve() may grow the memory (the shared one: growing it detaches nothing). */
  grows: boolean;
  /** The shared kernel's resident tensors (below its workspace); null on an unshared instance. */
  arena: ResidentArena | null;
}

let loaded: Kernel | null | undefined;
let loadedLocal: Kernel | null | undefined;
let loadedFused = false;

/** The arithmetic of a process's products: fused multiply-adds (relaxed SIMD) or a multiply then an add. */
export type GemmArithmetic = 'fused' | 'separate';

function kernel(): Kernel | null {
  if (loaded === undefined) {
    loaded = null;
    if (process.env.GRADLENS_NO_WASM !== '1') {
      // Fused where the runtime fuses relaxed_madd; a runtime that has relaxed SIMD without FMA
      // computes the same bits as the separate kernel, so it keeps that one.
      const fused = process.env.GRADLENS_ARITHMETIC !== 'separate' && relaxedMadd() === 'fused' ? instantiate(GEMM_FUSED_WASM_BASE64, true) : null;
      loadedFused = fused !== null;
      loaded = fused ?? instantiate(GEMM_WASM_BASE64, true);
    }
  }
  return loaded;
}

function fusedKernel(): boolean {
  return kernel() !== null && loadedFused;
}

/** Which arithmetic this process's products use (fixed at the first product). */
export function gemmArithmetic(): GemmArithmetic {
  return fusedKernel() ? 'fused' : 'separate';
}

/**
 * The same kernel on a memory of its own, not shared, for products on one thread: V8 copies into
 * and out of a shared memory word by word, several times slower than a plain copy, and for a
 * small product those copies cost about as much as its arithmetic. Same code, same bits.
 */
function localKernel(): Kernel | null {
  if (loadedLocal === undefined) loadedLocal = instantiate(fusedKernel() ? GEMM_FUSED_LOCAL_WASM_BASE64 : GEMM_LOCAL_WASM_BASE64, false);
  return loadedLocal;
}

function instantiate(base64: string, shared: boolean): Kernel | null {
  const api = wasmApi();
  if (!api) return null;
  try {
    // The memory is the kernel's import so that the helper thread (gemmThreads.ts) can share it.
    const module = new api.Module(fromBase64(base64));
    const memory = shared
      ? new api.Memory({ initial: 1, maximum: MAX_WORKSPACE / PAGE, shared: true })
      : new api.Memory({ initial: LOCAL_PAGES, maximum: LOCAL_PAGES, shared: false });
    const inst = new api.Instance(module, { env: { memory } });
    const tiles = inst.exports.tiles as Kernel['tiles'];
    const store = inst.exports.store as Kernel['store'];
    const peak = inst.exports.peak as Kernel['peak'];
    const work = inst.exports.work as Kernel['work'];
    const pack = inst.exports.pack as Kernel['pack'];
    const k: Kernel = { tiles, pack, store, peak, work, memory, module, f64: new Float64Array(memory.buffer), grows: shared, arena: null };
    if (shared) k.arena = new ResidentArena(memory, JOB_BYTES, (bytes) => reserve(k, bytes));
    return k;
  } catch {
    // No WebAssembly SIMD here (an old engine): the scalar path gives the same results.
    return null;
  }
}

/**
 * The arena of tensors resident in the kernel's memory (resident.ts), or null where products do
 * not run on the WebAssembly kernel.
 */
export function residentArena(): ResidentArena | null {
  return kernel()?.arena ?? null;
}

/** Bytes the arena's blocks hold now (0 before the kernel is loaded: loading it is not the caller's business). */
export function residentHeldBytes(): number {
  return loaded?.arena?.heldBytes() ?? 0;
}

/** Makes the kernel's memory at least `bytes` long; false if it cannot. */
function reserve(k: Kernel, bytes: number): boolean {
  const have = k.memory.buffer.byteLength;
  if (bytes <= have) return true;
  if (bytes > MAX_WORKSPACE || !k.grows) return false;
  try {
    k.memory.grow(Math.ceil((bytes - have) / PAGE));
  } catch {
    return false;
  }
  k.f64 = new Float64Array(k.memory.buffer);
  return true;
}

/** The first float64 index of a product's workspace: past the job block and the arena's blocks. */
function workspaceStart(k: Kernel): number {
  return align((k.arena ? Math.max(JOB_BYTES, k.arena.end()) : JOB_BYTES) / 8);
}

/** Rounds a float64 offset up to a 64-byte boundary. */
function align(n: number): number {
  return (n + 7) & ~7;
}

function gemmWasm(
  k: Kernel,
  share: boolean,
  M: number,
  N: number,
  K: number,
  A: Float64Array,
  aOff: number,
  ars: number,
  acs: number,
  B: Float64Array,
  bOff: number,
  brs: number,
  bcs: number,
  C: Float64Array,
  cOff: number,
  accumulate: boolean,
  at: Residency,
): boolean {
  // The kernel reads 4 rows of its left operand X and 4 consecutive columns of its right operand Y
  // a step of k. An operand whose layout makes those reads stride through memory is packed first
  // (see packsLeft / packsRight). Computing Cᵀ = Bᵀ·Aᵀ instead swaps the roles (and transposes the
  // result on the way out): take the orientation with fewer strided passes (gemmLayout).
  const { swap, packX, packY } = gemmLayout(M, N, K, ars, acs, brs, bcs);
  const m = swap ? N : M;
  const n = swap ? M : N;
  const X = swap ? B : A;
  const xOff = swap ? bOff : aOff;
  const xrs = swap ? bcs : ars;
  const xcs = swap ? brs : acs;
  const Y = swap ? A : B;
  const yOff = swap ? aOff : bOff;
  const yrs = swap ? acs : brs;
  const ycs = swap ? ars : bcs;
  const mp = Math.ceil(m / MR);
  const np = Math.ceil(n / NR);
  const ldc = np * NR;
  // Layout (float64 offsets): X as stored, then packed if it is; Y likewise; the padded C tiles;
  // then C as M×N rows (when the tiles cannot be copied out as they are). Padded rows and columns
  // of an operand the kernel reads as stored read past its extent: the slack keeps those reads
  // inside the memory. An operand resident in the memory (resident.ts) is read where it is, and a
  // resident C is written where it is; the workspace starts past the arena's blocks.
  const xExt = (m - 1) * xrs + (K - 1) * xcs + 1;
  const yExt = (K - 1) * yrs + (n - 1) * ycs + 1;
  const [xIn, yIn] = swap ? [at[1], at[0]] : [at[0], at[1]];
  const cIn = at[2];
  let w = workspaceStart(k);
  const x0 = xIn >= 0 ? xIn : w;
  if (xIn < 0) w = align(x0 + xExt + (MR - 1) * xrs);
  const px = w;
  if (packX) w = align(px + mp * MR * K);
  const y0 = yIn >= 0 ? yIn : w;
  if (yIn < 0) w = align(y0 + yExt + NR);
  const py = w;
  if (packY) w = align(py + np * NR * K);
  // The tiles are C itself when they are not transposed, not added to C and have no padded columns
  // (nor, for a resident C, padded rows: they would be written past its end).
  const inPlace = !swap && !accumulate && ldc === N;
  const tilesInC = inPlace && cIn >= 0 && mp * MR === M;
  const c0 = tilesInC ? cIn : w;
  if (!tilesInC) w = align(c0 + mp * MR * ldc);
  const d0 = cIn >= 0 ? cIn : w;
  let end = inPlace || cIn >= 0 ? w : d0 + M * N;
  if (xIn >= 0) end = Math.max(end, x0 + xExt + (MR - 1) * xrs);
  if (yIn >= 0) end = Math.max(end, y0 + yExt + NR);
  if (!reserve(k, end * 8)) return false;
  const f = k.f64;
  if (xIn < 0) f.set(X.subarray(xOff, xOff + xExt), x0);
  if (yIn < 0) f.set(Y.subarray(yOff, yOff + yExt), y0);
  if (packX) k.pack(x0 * 8, xrs * 8, xcs * 8, m, K, px * 8);
  if (packY) k.pack(y0 * 8, ycs * 8, yrs * 8, n, K, py * 8);
  const a = (packX ? px : x0) * 8;
  const aps = packX ? MR * K * 8 : MR * xrs * 8;
  const arsBytes = packX ? 8 : xrs * 8;
  const acsBytes = packX ? MR * 8 : xcs * 8;
  const b = (packY ? py : y0) * 8;
  const bps = packY ? NR * K * 8 : NR * 8;
  const brsBytes = packY ? NR * 8 : yrs * 8;
  // Blocks of KC steps of k and MC rows keep the A block in L2 while every column panel passes
  // over it; later k blocks continue each entry's sum from the stored tile (same order, same bits).
  // Large products are split between this thread and a helper (gemmThreads.ts): chunks of tiles,
  // each tile summed by one thread in the same order.
  const mcp = rowPanels(Math.min(KC, K));
  const split =
    share &&
    runTiles(k, { a, aps, ars: arsBytes, acs: acsBytes, b, bps, brs: brsBytes, pc: c0 * 8, ldc, K, mp, np, kc: KC, mcp });
  for (let k0 = 0; k0 < K && !split; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    for (let p0 = 0; p0 < mp; p0 += mcp) {
      const mpb = Math.min(mcp, mp - p0);
      k.tiles(a + p0 * aps + k0 * acsBytes, aps, arsBytes, acsBytes, b + k0 * brsBytes, bps, brsBytes, (c0 + p0 * MR * ldc) * 8, ldc, kc, mpb, 0, mpb * np, k0 > 0 ? 1 : 0);
    }
  }
  if (tilesInC) return true;
  if (inPlace && cIn < 0) {
    C.set(f.subarray(c0, c0 + M * N), cOff);
    return true;
  }
  // Block copies in and out of the wasm memory, and the entries (transposed, added to C) in wasm:
  // an element loop in JavaScript over the shared memory cost up to half of a small product.
  if (accumulate && cIn < 0) f.set(C.subarray(cOff, cOff + M * N), d0);
  k.store(c0 * 8, ldc, d0 * 8, M, N, swap ? 1 : 0, accumulate ? 1 : 0);
  if (cIn < 0) C.set(f.subarray(d0, d0 + M * N), cOff);
  return true;
}

/** The float64 indices in the shared kernel memory of A, B and C at their offsets (-1: not resident). */
type Residency = readonly [number, number, number];
const NOT_RESIDENT: Residency = [-1, -1, -1];

/** The float64 index in the kernel memory of `view[offset]`, or -1 when `view` is not resident. */
function residentIndex(arena: ResidentArena, view: Float64Array, offset: number): number {
  const at = arena.offsetOf(view);
  return at < 0 ? -1 : at / 8 + offset;
}

/**
 * Whether the kernel's left operand X (m rows, K steps; element strides) is packed. Stored with a
 * step of k that is not the next value (a transposed operand: mlp2's dW1 = Xᵀ·dH steps a row of
 * 3072 values), each of a tile's steps reads new cache lines; past the L1 cache (32 KB) they miss,
 * more so when the lines share a few L1 sets.
 */
function packsLeft(m: number, K: number, kStride: number): boolean {
  return kStride !== 1 && (m * K * 8 > L1_BYTES || crowdsL1(kStride, K));
}

/**
 * Whether the kernel's right operand Y (K steps, n columns; element strides) is packed: when its 4
 * columns are not side by side (the kernel needs them so), or when a column panel's steps crowd
 * into a few L1 sets and evict one another while every row panel passes over them (512²: rows 4 KB
 * apart, all in one set).
 */
function packsRight(K: number, kStride: number, colStride: number): boolean {
  return colStride !== 1 || crowdsL1(kStride, K);
}

/** L1 data cache size and ways assumed (the smallest of current x64 cores: 32 KB, 8 ways, 64 B lines). */
const L1_BYTES = 32768;
const L1_WAYS = 8;

const crowded = new Map<number, boolean>();
const setLines = new Uint16Array(64);

/**
 * Whether the lines a panel's steps read (a block of up to KC steps, `stride` values apart) crowd
 * into L1 sets past their ways, evicting one another: 4 KB of addresses map onto the 64 sets once,
 * so a stride of a multiple of 4 KB puts every step in the same set. Counted once per stride.
 */
function crowdsL1(stride: number, K: number): boolean {
  const bytes = stride * 8;
  const kc = Math.min(K, KC);
  if (bytes <= 64 || kc <= L1_WAYS) return false;
  const key = bytes * (KC + 1) + kc;
  let c = crowded.get(key);
  if (c === undefined) {
    setLines.fill(0);
    let most = 0;
    for (let k = 0; k < kc; k++) most = Math.max(most, ++setLines[Math.floor((k * bytes) / 64) % 64]);
    c = most > L1_WAYS;
    if (crowded.size < 1024) crowded.set(key, c);
  }
  return c;
}

/**
 * How the WebAssembly kernel runs a product (element strides as gemm takes them): whether it
 * computes Cᵀ = Bᵀ·Aᵀ instead (swap), and whether it packs its left operand X (A, or Bᵀ when
 * swapped) and its right one Y. Of the two orientations, the one that moves fewer values through
 * strided passes: the packs, and for a swapped product its M×N result, which it writes out
 * transposed (mlp2-N8's dW1 = Xᵀ·dH, 3072×100×8, took 0.97 ms swapped and 0.39 ms as is, its
 * 24 k-entry pack against a 307 k-entry transposed store). A tie keeps C as it is. Exported for tests.
 */
export function gemmLayout(M: number, N: number, K: number, ars: number, acs: number, brs: number, bcs: number): { swap: boolean; packX: boolean; packY: boolean } {
  const directX = packsLeft(M, K, acs);
  const directY = packsRight(K, brs, bcs);
  const swappedX = packsLeft(N, K, brs);
  const swappedY = packsRight(K, acs, ars);
  const direct = (directX ? M * K : 0) + (directY ? K * N : 0);
  const swapped = (swappedX ? N * K : 0) + (swappedY ? K * M : 0) + M * N;
  return swapped < direct ? { swap: true, packX: swappedX, packY: swappedY } : { swap: false, packX: directX, packY: directY };
}

const peakKernels = new Map<GemmArithmetic, Kernel | null>();

/**
 * For the benchmark: runs an arithmetic's multiply-adds with no memory traffic (wasm/gemm.wat's
 * "peak"; the process's own by default, or the other one, which its module is loaded for) and
 * returns its flops, 40 a round; null where that arithmetic has no kernel.
 */
export function gemmPeak(rounds: number, arithmetic: GemmArithmetic = gemmArithmetic()): number | null {
  let k = peakKernels.get(arithmetic);
  if (k === undefined) {
    const fusedHere = process.env.GRADLENS_NO_WASM !== '1' && relaxedMadd() === 'fused';
    k = arithmetic === 'separate' ? instantiate(GEMM_LOCAL_WASM_BASE64, false) : fusedHere ? instantiate(GEMM_FUSED_LOCAL_WASM_BASE64, false) : null;
    peakKernels.set(arithmetic, k);
  }
  if (!k) return null;
  k.peak(rounds);
  return 40 * rounds;
}

/** Row and column panels of the tile loop's product (gemmTileLoop): 256 tiles a call. */
const TILE_LOOP_PANELS = 16;

/**
 * For the benchmark: the kernel's own tile loop ("tiles", the products' kernel) over operands that
 * never leave the L1 cache: every tile reads the same packed 4×KC panel of A and KC×4 panel of B
 * (panel strides 0), so what it measures is the loop itself — its loads, multiply-adds and each
 * tile's store — with no packing, copy or cache miss: the most a product can reach on one core.
 * Returns its flops (256 tiles of KC steps) and the first entry of C (Σ_k A(0, k)·B(k, 0) with
 * A's and B's panels filled with 1e-3·(j mod 7 + 1), j counting from A's first entry through B's:
 * a test checks it), or null where there is no kernel.
 */
export function gemmTileLoop(): { flops: number; corner: number } | null {
  const k = kernel();
  if (!k) return null;
  const w = workspaceStart(k);
  const a = w;
  const b = a + MR * KC;
  const c = b + NR * KC;
  const ldc = TILE_LOOP_PANELS * NR;
  if (!reserve(k, (c + TILE_LOOP_PANELS * MR * ldc) * 8)) return null;
  // Small finite values (a product's workspace holds whatever the last product left there).
  const f = k.f64;
  for (let j = 0; j < c - a; j++) f[a + j] = 1e-3 * ((j % 7) + 1);
  k.tiles(a * 8, 0, 8, MR * 8, b * 8, 0, NR * 8, c * 8, ldc, KC, TILE_LOOP_PANELS, 0, TILE_LOOP_PANELS * TILE_LOOP_PANELS, 0);
  return { flops: 2 * MR * NR * KC * TILE_LOOP_PANELS * TILE_LOOP_PANELS, corner: f[c] };
}

/**
 * Starts the helper thread now instead of at the first large product, and resolves when it is
 * ready: true if large products now use two threads (tests, the bench; a host may warm it up).
 */
export async function startGemmThreads(timeoutMs = 10000): Promise<boolean> {
  const k = kernel();
  if (!k || !splitsWork(k, Infinity)) {
    const t0 = Date.now();
    while (gemmThreads() < 2) {
      if (!helperStarted() || Date.now() - t0 > timeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (k) splitsWork(k, Infinity);
    }
  }
  return true;
}

/** Whether products run on the WebAssembly kernel here (for the benchmark's machine notes). */
export function gemmBackend(): 'wasm-simd' | 'scalar' {
  return kernel() ? 'wasm-simd' : 'scalar';
}
