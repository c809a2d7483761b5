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
import { belowSplitting, joinTiles, pairsWork, publishTiles, runTiles, splitsWork, type TileJob } from './gemmThreads';
import { fusedKernel, kernel, localKernel, reserve, workspaceStart, align, type Kernel } from './gemmKernel';
import { gemmLayout, KC, MR, NR, rowPanels } from './gemmLayout';
import type { ResidentArena } from './resident';

export { gemmThreads, setGemmThreads, splitProducts, stopGemmThreads } from './gemmThreads';
export { enableRelaxedSimd, relaxedMadd, type RelaxedMadd } from './relaxedSimd';
export { gemmArithmetic, gemmBackend, gemmPeak, gemmTileLoop, residentArena, residentHeldBytes, startGemmThreads, type GemmArithmetic } from './gemmKernel';
export { gemmLayout } from './gemmLayout';

/** C[M,N] (+)= A[M,K] · B[K,N] */
export function gemmNN(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
  gemmOf(productNN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate));
}

/** C[M,N] (+)= A[M,K] · B[N,K]ᵀ */
export function gemmNT(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
  gemmOf(productNT(M, N, K, A, aOff, B, bOff, C, cOff, accumulate));
}

/** C[M,N] (+)= A[K,M]ᵀ · B[K,N] */
export function gemmTN(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): void {
  gemmOf(productTN(M, N, K, A, aOff, B, bOff, C, cOff, accumulate));
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
  /** One of gemmPair's two products: computed on this thread, or handed to the helper meanwhile (this thread takes the chunks it has not started). */
  paired?: 'here' | 'helper';
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
  gemmOf({ M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate });
}

/** gemm of one product's arguments. */
export function gemmOf(g: GemmArgs): void {
  if (g.M <= 0 || g.N <= 0) return;
  if (gemmObserver) gemmObserver(callOf(g));
  compute(g, true, -1, true);
}

/** Which of A, B and C live in the kernel's memory (the observer's GemmCall.resident). */
function residentFlags(A: Float64Array, B: Float64Array, C: Float64Array): [boolean, boolean, boolean] {
  const at = (t: Float64Array) => (kernel()?.arena?.offsetOf(t) ?? -1) >= 0;
  return [at(A), at(B), at(C)];
}

/**
 * gemm's product: split over two threads when `share` allows and it is large enough; on the shared
 * kernel, its workspace from float64 index `floor` on (-1: the workspace's start). Where the kernel
 * takes the product but the memory cannot grow to it, the scalar loop computes it if `scalar`
 * allows (its separate arithmetic: other bits where the kernel's fuses), else nothing: false.
 */
function compute(g: GemmArgs, share: boolean, floor: number, scalar: boolean): boolean {
  const { M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate } = g;
  const k = runsOnKernel(M, N, K) ? kernel() : null;
  if (k) {
    // A product split between two threads runs on the shared memory; one on this thread alone on
    // the kernel's unshared instance when its workspace fits (copies into a shared memory cost
    // several times more): too small to split, or while the helper is off or not started yet.
    // Operands that live in the shared memory (resident.ts) are read there in place: no copies.
    const split = share && !belowSplitting(M * N * K) && splitsWork(k, M * N * K);
    const at = residency(k, g);
    const local = split || at[0] >= 0 || at[1] >= 0 || at[2] >= 0 ? null : localKernel();
    if (local && gemmWasm(local, false, g, NOT_RESIDENT)) return true;
    if (gemmWasm(k, split, g, at, floor < 0 ? workspaceStart(k) : floor)) return true;
    if (!scalar) return false;
  }
  gemmScalar(M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate);
  return true;
}

/** Where each operand lives in the shared memory (a float64 index), or -1: looked up once. */
function residency(k: Kernel, g: GemmArgs): Residency {
  const arena = k.arena;
  return arena ? [residentIndex(arena, g.A, g.aOff), residentIndex(arena, g.B, g.bOff), residentIndex(arena, g.C, g.cOff)] : NOT_RESIDENT;
}

/** gemmNN's product as gemmPair takes it: C[M,N] (+)= A[M,K] · B[K,N]. */
export function productNN(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): GemmArgs {
  return { M, N, K, A, aOff, ars: K, acs: 1, B, bOff, brs: N, bcs: 1, C, cOff, accumulate };
}

/** gemmNT's: C[M,N] (+)= A[M,K] · B[N,K]ᵀ. */
export function productNT(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): GemmArgs {
  return { M, N, K, A, aOff, ars: K, acs: 1, B, bOff, brs: 1, bcs: K, C, cOff, accumulate };
}

/** gemmTN's: C[M,N] (+)= A[K,M]ᵀ · B[K,N]. */
export function productTN(M: number, N: number, K: number, A: Float64Array, aOff: number, B: Float64Array, bOff: number, C: Float64Array, cOff: number, accumulate: boolean): GemmArgs {
  return { M, N, K, A, aOff, ars: 1, acs: M, B, bOff, brs: N, bcs: 1, C, cOff, accumulate };
}

/** One product as gemm takes it (gemmPair's two). */
export interface GemmArgs {
  M: number;
  N: number;
  K: number;
  A: Float64Array;
  aOff: number;
  ars: number;
  acs: number;
  B: Float64Array;
  bOff: number;
  brs: number;
  bcs: number;
  C: Float64Array;
  cOff: number;
  accumulate: boolean;
}

/**
 * Two independent products — neither reads what the other writes: a product's two gradients,
 * dA = dC·Bᵀ and dB = Aᵀ·dC, or a convolution's dW and patch gradients. Where each is too small to
 * be split on its own but both reach PAIR_MIN_WORK (gemmThreads.ts), `q` runs on the helper thread
 * while this thread computes `p`, and this thread then takes whatever of `q` the helper has not
 * started. Each is computed as gemm computes it alone (same tiles, each summed by one thread in
 * ascending k): the same bits as `gemm(p); gemm(q)`, which is what runs otherwise (and with one
 * of them null, the other alone).
 */
export function gemmPair(p: GemmArgs | null, q: GemmArgs | null): void {
  const k = p && q ? pairKernel(p, q) : null;
  const placed = k && q ? placeProduct(k, workspaceStart(k), q, residency(k, q)) : null;
  if (!k || !p || !q || !placed) {
    if (p) gemmOf(p);
    if (q) gemmOf(q);
    return;
  }
  if (gemmObserver) {
    gemmObserver({ ...callOf(p), paired: 'here' });
    gemmObserver({ ...callOf(q), paired: 'helper' });
  }
  // q laid out first, from the workspace's start, and published; p on this thread meanwhile, its
  // workspace (if it is on the shared kernel) past q's, which the helper reads while p runs.
  const published = publishTiles(placed.job, true);
  const pDone = compute(p, false, align(placed.end), false);
  // A helper that failed may have left tiles half summed: this thread computes them all again.
  if (!(published && joinTiles(k, published))) tilesHere(k, placed.job);
  finishProduct(k, placed);
  // Where the memory could not take p's workspace beside q's, p after q (the kernel's arithmetic still).
  if (!pDone) compute(p, false, -1, true);
}

/**
 * Entries of a paired product's operands and result at most: both products' workspaces are in the
 * kernel's memory at once (copies, packs, tiles: a few times this each), so a pair may take at most
 * some tens of MB more than the larger product alone would.
 */
const PAIR_MAX_ENTRIES = 1 << 21;

/** The shared kernel when gemmPair's two products run one on each thread, else null. */
function pairKernel(p: GemmArgs, q: GemmArgs): Kernel | null {
  if (p.M <= 0 || p.N <= 0 || q.M <= 0 || q.N <= 0) return null;
  const wp = p.M * p.N * p.K;
  const wq = q.M * q.N * q.K;
  const entries = (g: GemmArgs) => g.M * g.K + g.K * g.N + g.M * g.N;
  if (entries(p) > PAIR_MAX_ENTRIES || entries(q) > PAIR_MAX_ENTRIES) return null;
  if (!belowSplitting(wp) || !belowSplitting(wq) || !runsOnKernel(p.M, p.N, p.K) || !runsOnKernel(q.M, q.N, q.K)) return null;
  const k = kernel();
  return k && pairsWork(k, Math.min(wp, wq)) ? k : null;
}

function callOf(g: GemmArgs): GemmCall {
  return { M: g.M, N: g.N, K: g.K, ars: g.ars, acs: g.acs, brs: g.brs, bcs: g.bcs, accumulate: g.accumulate, resident: residentFlags(g.A, g.B, g.C) };
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

function gemmWasm(k: Kernel, share: boolean, g: GemmArgs, at: Residency, floor = workspaceStart(k)): boolean {
  const placed = placeProduct(k, floor, g, at);
  if (!placed) return false;
  // Large products are split between this thread and a helper (gemmThreads.ts): chunks of tiles,
  // each tile summed by one thread in the same order.
  if (!(share && runTiles(k, placed.job))) tilesHere(k, placed.job);
  finishProduct(k, placed);
  return true;
}

/** A product placed in the kernel's memory by placeProduct: its tiles' job, and what finishProduct needs. */
interface PlacedProduct {
  job: TileJob;
  M: number;
  N: number;
  C: Float64Array;
  cOff: number;
  accumulate: boolean;
  swap: boolean;
  /** Whether C is resident (written where it is), and where the tiles are (float64 index). */
  cIn: number;
  c0: number;
  d0: number;
  tilesInC: boolean;
  inPlace: boolean;
  /** The float64 index past everything the product uses of the workspace. */
  end: number;
}

/**
 * Lays a product out in the kernel's memory from float64 index `floor` on: copies its operands in
 * (where they are not resident) and packs them, and returns its tiles' job; null when the memory
 * cannot grow to it.
 */
function placeProduct(k: Kernel, floor: number, g: GemmArgs, at: Residency): PlacedProduct | null {
  const { M, N, K, A, aOff, ars, acs, B, bOff, brs, bcs, C, cOff, accumulate } = g;
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
  let w = floor;
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
  if (!reserve(k, end * 8)) return null;
  const f = k.f64;
  if (xIn < 0) f.set(X.subarray(xOff, xOff + xExt), x0);
  if (yIn < 0) f.set(Y.subarray(yOff, yOff + yExt), y0);
  if (packX) k.pack(x0 * 8, xrs * 8, xcs * 8, m, K, px * 8);
  if (packY) k.pack(y0 * 8, ycs * 8, yrs * 8, n, K, py * 8);
  const job: TileJob = {
    a: (packX ? px : x0) * 8,
    aps: packX ? MR * K * 8 : MR * xrs * 8,
    ars: packX ? 8 : xrs * 8,
    acs: packX ? MR * 8 : xcs * 8,
    b: (packY ? py : y0) * 8,
    bps: packY ? NR * K * 8 : NR * 8,
    brs: packY ? NR * 8 : yrs * 8,
    pc: c0 * 8,
    ldc,
    K,
    mp,
    np,
    kc: KC,
    mcp: rowPanels(Math.min(KC, K)),
  };
  return { job, M, N, C, cOff, accumulate, swap, cIn, c0, d0, tilesInC, inPlace, end };
}

/**
 * A placed product's tiles on this thread alone. Blocks of KC steps of k and MC rows keep the A
 * block in L2 while every column panel passes over it; later k blocks continue each entry's sum
 * from the stored tile (same order, same bits).
 */
function tilesHere(k: Kernel, job: TileJob): void {
  const { a, aps, ars, acs, b, bps, brs, pc, ldc, K, mp, np, mcp } = job;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    for (let p0 = 0; p0 < mp; p0 += mcp) {
      const mpb = Math.min(mcp, mp - p0);
      k.tiles(a + p0 * aps + k0 * acs, aps, ars, acs, b + k0 * brs, bps, brs, pc + p0 * MR * ldc * 8, ldc, kc, mpb, 0, mpb * np, k0 > 0 ? 1 : 0);
    }
  }
}

/** Writes a placed product's finished tiles to C (transposed, added to it, copied out: as placed). */
function finishProduct(k: Kernel, p: PlacedProduct): void {
  const { M, N, C, cOff, cIn, c0, d0 } = p;
  if (p.tilesInC) return;
  const f = k.f64;
  if (p.inPlace && cIn < 0) {
    C.set(f.subarray(c0, c0 + M * N), cOff);
    return;
  }
  // Block copies in and out of the wasm memory, and the entries (transposed, added to C) in wasm:
  // an element loop in JavaScript over the shared memory cost up to half of a small product.
  if (p.accumulate && cIn < 0) f.set(C.subarray(cOff, cOff + M * N), d0);
  k.store(c0 * 8, p.job.ldc, d0 * 8, M, N, p.swap ? 1 : 0, p.accumulate ? 1 : 0);
  if (cIn < 0) C.set(f.subarray(d0, d0 + M * N), cOff);
}

/** The float64 indices in the shared kernel memory of A, B and C at their offsets (-1: not resident). */
type Residency = readonly [number, number, number];
const NOT_RESIDENT: Residency = [-1, -1, -1];

/** The float64 index in the kernel memory of `view[offset]`, or -1 when `view` is not resident. */
function residentIndex(arena: ResidentArena, view: Float64Array, offset: number): number {
  const at = arena.offsetOf(view);
  return at < 0 ? -1 : at / 8 + offset;
}
