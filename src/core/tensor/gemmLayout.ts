// How the WebAssembly kernel (wasm/gemm.wat) lays a product out: its tile, its cache blocking,
// which operands it packs into panels and whether it computes the product transposed. Planning
// only (sizes and strides in, decisions out): gemmKernel.ts runs the kernel, matmul.ts the products.

/** Tile of the micro-kernel (must match wasm/gemm.wat). */
export const MR = 4;
export const NR = 4;
/** Cache blocking: k steps per block, and row panels per block (at most 64: 256 rows of A). */
export const KC = 256;
const MC_PANELS = 64;
/**
 * The A block's bytes at most (row panels × kc steps): half of a 512 KB L2 cache (Zen 3's), the
 * rest for the B panels that pass over it and C. Blocks of this size took 0.95-0.96x the time of
 * whole 512 KB blocks (256 rows × 256 steps) on mlp2-N512's X·W1 and on 512² with 2 threads, and
 * 0.96-1.01x on one (paired rounds). The blocking never changes a sum's order (same bits).
 */
const MC_BYTES = 256 * 1024;

/** Row panels per block for blocks of `kc` steps of k (see MC_BYTES). */
export function rowPanels(kc: number): number {
  return Math.max(1, Math.min(MC_PANELS, Math.floor(MC_BYTES / (MR * kc * 8))));
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
