// The WebAssembly GEMM kernel (wasm/gemm.wat) as loaded here: its shared instance, whose memory
// holds the resident tensors (resident.ts) and every split product's workspace and which the helper
// thread shares (gemmThreads.ts), its unshared instance for products on one thread, the arithmetic
// they use, and the bench's peak and tile loops. matmul.ts lays products out on it.
import { GEMM_FUSED_LOCAL_WASM_BASE64, GEMM_FUSED_WASM_BASE64, GEMM_LOCAL_WASM_BASE64, GEMM_WASM_BASE64 } from './wasm/gemm.generated';
import { fromBase64, wasmApi, type WasmMemory } from './wasm/runtime';
import { ELEMENTWISE_SHARED_WASM_BASE64 } from './simd/elementwise.generated';
import { relaxedMadd } from './relaxedSimd';
import { gemmThreads, helperStarted, JOB_BYTES, splitsWork } from './gemmThreads';
import { KC, MR, NR } from './gemmLayout';
import { ResidentArena } from './resident';

const PAGE = 65536;
/** Operands larger than this stay on the scalar path (wasm32 addresses, and memory we keep). */
export const MAX_WORKSPACE = 1 << 30;

/**
 * The unshared instance's memory (float64 workspace for products on one thread, about 2 M
 * entries): fixed, since growing an unshared memory detaches its ArrayBuffer (see wasm/gemm.wat).
 * Pages a product never touched cost no resident memory.
 */
const LOCAL_PAGES = 256;

export interface Kernel {
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
  /** The elementwise kernels compiled for this memory, for the helper thread (gemmThreads.ts' runGelu); null without. */
  elementwise(): object | null;
}

let loaded: Kernel | null | undefined;
let loadedLocal: Kernel | null | undefined;
let loadedFused = false;

/** The arithmetic of a process's products: fused multiply-adds (relaxed SIMD) or a multiply then an add. */
export type GemmArithmetic = 'fused' | 'separate';

export function kernel(): Kernel | null {
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

export function fusedKernel(): boolean {
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
export function localKernel(): Kernel | null {
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
    let elementwise: object | null | undefined;
    const compileElementwise = (): object | null => {
      try {
        return new api.Module(fromBase64(ELEMENTWISE_SHARED_WASM_BASE64));
      } catch {
        return null;
      }
    };
    const k: Kernel = {
      tiles,
      pack,
      store,
      peak,
      work,
      memory,
      module,
      f64: new Float64Array(memory.buffer),
      grows: shared,
      arena: null,
      // Compiled when the helper starts (once), not by every process that multiplies.
      elementwise: () => (shared ? (elementwise ??= compileElementwise()) : null),
    };
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
export function reserve(k: Kernel, bytes: number): boolean {
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
export function workspaceStart(k: Kernel): number {
  return align((k.arena ? Math.max(JOB_BYTES, k.arena.end()) : JOB_BYTES) / 8);
}

/** Rounds a float64 offset up to a 64-byte boundary. */
export function align(n: number): number {
  return (n + 7) & ~7;
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
