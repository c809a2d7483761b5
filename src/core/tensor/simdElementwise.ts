// The hottest elementwise loops on WebAssembly SIMD (simd/elementwise.wat): relu, its backward, a
// sum or bias add (and the engine's sum of two gradients of one tensor), a weight penalty's
// backward and l2's sum of squares, conv2d's col2im (runs of pixels) and 2×2 max pooling, gelu keeping its slope, tanh (with
// an rnn step's bias), the dot products of fast-mode checks' directions
// (checks/direction.ts), and the finiteness scan of every gradient (engine/nonFinite.ts). In JavaScript
// these cost 1–2.5 ns an entry (a scalar loop; relu's select per entry); two entries an
// instruction, the copies into the module's memory and back included, are several times faster
// on tensors of a few thousand entries. Each kernel does the same IEEE operations as the scalar
// loop it replaces: the same bits. Large tensors pass a chunk at a time (CHUNK), so any length fits
// the module's fixed memory, except a broadcast row or a dot product's vector of more than about
// 1.4 M entries. A caller falls back to its own loop when these return false (no WebAssembly SIMD,
// too few entries to pay for the copies, or such a row). An output may be one of the inputs (each
// chunk is read in full before it is written), but not overlap one at an offset.
import { ELEMENTWISE_SHARED_WASM_BASE64, ELEMENTWISE_WASM_BASE64 } from './simd/elementwise.generated';
import { residentArena } from './matmul';
import { runGelu } from './gemmThreads';
import type { ResidentArena } from './resident';
import { fromBase64, wasmApi } from './wasm/runtime';
import { POW2, POW2_BIAS } from './elementary';
import { ERFC_MID_START, ERFC_MID_TERMS, ERFC_MID_WIDTH, ERFC_PIECES, ERFC_TAIL_START, EXP2_HI, EXP2_LO, EXPM1_Q, INV_LN2_32, LN2_32_HI, LN2_32_LO, LN2_HI, LN2_LO } from './specialFunctions.generated';

/** Fewer entries than this stay in JavaScript: the call and the copies would cost more than they save. */
const MIN_ENTRIES = 256;

/**
 * Where gelu's tables sit in the module's memory (a float64 index): the last 64 KB, which no other
 * kernel's operands reach (withRoom). The layout is the one elementwise.wat's "gelu" reads.
 */
const TABLES = (32 * 2 ** 20 - 65536) / 8;
const TABLE_POW2 = 64;
const TABLE_PIECES = TABLE_POW2 + 1102;

/**
 * The constants elementwise.wat's "gelu" has written in (exp's reduction, erfc's 9 pieces of 16
 * terms, 0.5 wide from 0, the tail from 4) are still those of the generated tables: else (a new
 * fit from scripts/special-functions.py) gelu stays in JavaScript until the kernel follows.
 */
const GELU_CONSTANTS_MATCH =
  INV_LN2_32 === 46.16624130844683 &&
  LN2_32_HI === 0.021660834550857544 &&
  LN2_32_LO === 1.4841640746973977e-8 &&
  ERFC_MID_START === 0 &&
  ERFC_MID_WIDTH === 0.5 &&
  ERFC_MID_TERMS === 16 &&
  ERFC_TAIL_START === 4 &&
  ERFC_PIECES.length === 9 * 16 &&
  POW2_BIAS === 1100;

/**
 * The constants elementwise.wat's tanh has written in (expm1's reduction and its 11 coefficients)
 * are still those of the generated tables: else tanh stays in JavaScript until the kernel follows.
 */
const TANH_Q = [
  2.0914679376583935e-9, 2.510520637395701e-8, 2.7557273661348637e-7, 2.7557255425746435e-6, 2.4801587325533363e-5, 0.00019841269874800493, 0.0013888888888883752, 0.008333333333326141,
  0.04166666666666667, 0.1666666666666667, 0.5,
];
const TANH_CONSTANTS_MATCH = LN2_HI === 0.6931467056274414 && LN2_LO === 4.7493250390316726e-7 && EXPM1_Q.length === TANH_Q.length && EXPM1_Q.every((c, i) => c === TANH_Q[i]);

interface Calls {
  relu(x: number, o: number, n: number): void;
  reluBackward(x: number, g: number, dx: number, n: number): void;
  addRows(a: number, b: number, o: number, rows: number, inner: number): void;
  allFinite(p: number, n: number): number;
  sumSquares8(p: number, n: number, acc: number): number;
  addRuns(src: number, dst: number, runs: number, count: number): void;
  maxPool2(src: number, dst: number, arg: number, planes: number, H: number, W: number, Ho: number, Wo: number): void;
  scale(x: number, k: number, o: number, n: number): void;
  dotRows(a: number, rows: number, n: number, b: number, out: number): void;
  gelu(x: number, o: number, s: number, n: number, tab: number): void;
  tanhRows(a: number, b: number, o: number, rows: number, inner: number, bias: number): void;
}

interface Kernels extends Calls {
  /** The module's memory (fixed size, see elementwise.wat: never grown, so never detached). */
  f64: Float64Array;
}

/** The same kernels on the GEMM kernel's shared memory, for tensors resident there (resident.ts). */
interface ResidentKernels extends Calls {
  arena: ResidentArena;
  /** Byte offset of gelu's tables (a block of the arena this instance keeps). */
  tables: number;
}

let loaded: Kernels | null | undefined;

function kernels(): Kernels | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  const api = wasmApi();
  if (!api || (typeof process !== 'undefined' && process.env?.GRADLENS_NO_WASM === '1')) return null;
  try {
    const e = new api.Instance(new api.Module(fromBase64(ELEMENTWISE_WASM_BASE64)), {}).exports;
    const f = new Float64Array((e.memory as { buffer: ArrayBuffer }).buffer);
    writeTables(f, TABLES);
    loaded = { ...callsOf(e), f64: f };
  } catch {
    // No WebAssembly SIMD here (an old engine): the callers' loops give the same results.
  }
  return loaded;
}

/** gelu's tables at float64 index `at` of `f`, as elementwise.wat's "gelu" reads them. */
function writeTables(f: Float64Array, at: number): void {
  f.set(EXP2_HI, at);
  f.set(EXP2_LO, at + 32);
  f.set(POW2.subarray(0, POW2_BIAS + 1), at + TABLE_POW2);
  f.set(ERFC_PIECES.subarray(0, 9 * ERFC_MID_TERMS), at + TABLE_PIECES);
}

function callsOf(e: Record<string, unknown>): Calls {
  return {
    relu: e.relu as Calls['relu'],
    reluBackward: e.reluBackward as Calls['reluBackward'],
    addRows: e.addRows as Calls['addRows'],
    allFinite: e.allFinite as Calls['allFinite'],
    sumSquares8: e.sumSquares8 as Calls['sumSquares8'],
    addRuns: e.addRuns as Calls['addRuns'],
    maxPool2: e.maxPool2 as Calls['maxPool2'],
    scale: e.scale as Calls['scale'],
    dotRows: e.dotRows as Calls['dotRows'],
    gelu: e.gelu as Calls['gelu'],
    tanhRows: e.tanhRows as Calls['tanhRows'],
  };
}

let loadedResident: ResidentKernels | null | undefined;

function residentKernels(): ResidentKernels | null {
  if (loadedResident !== undefined) return loadedResident;
  loadedResident = null;
  const api = wasmApi();
  const arena = kernels() ? residentArena() : null;
  if (!api || !arena) return null;
  try {
    const e = new api.Instance(new api.Module(fromBase64(ELEMENTWISE_SHARED_WASM_BASE64)), { env: { memory: arena.memory } }).exports;
    const block = arena.takeFixed(TABLE_PIECES + 9 * ERFC_MID_TERMS);
    if (!block) return null;
    writeTables(block, 0);
    loadedResident = { ...callsOf(e), arena, tables: block.byteOffset };
  } catch {
    // The chunked path through the module's own memory gives the same results.
  }
  return loadedResident;
}

/**
 * When any of `inputs` and `outputs` is resident in the GEMM kernel's memory, runs `call` there
 * on the whole arrays at once, given their byte offsets (inputs first): the resident ones in place,
 * the others copied into blocks of the arena for the call (inputs in, outputs out). False when none
 * is resident, or the arena has no room: the caller takes its usual path.
 */
function inPlace(inputs: readonly Float64Array[], outputs: readonly Float64Array[], call: (k: ResidentKernels, at: number[]) => void): boolean {
  const arena = kernels() ? residentArena() : null;
  if (!arena) return false;
  const arrays = [...inputs, ...outputs];
  const at = arrays.map((a) => arena.offsetOf(a));
  if (at.every((x) => x < 0)) return false;
  const k = residentKernels();
  if (!k) return false;
  const copies: (Float64Array | null)[] = arrays.map(() => null);
  try {
    for (let i = 0; i < arrays.length; i++) {
      if (at[i] >= 0) continue;
      const block = k.arena.take(arrays[i].length);
      if (!block) return false;
      copies[i] = block;
      if (i < inputs.length) block.set(arrays[i]);
      at[i] = block.byteOffset;
    }
    call(k, at);
    for (let i = inputs.length; i < arrays.length; i++) {
      const copy = copies[i];
      if (copy) arrays[i].set(copy);
    }
    return true;
  } finally {
    for (const block of copies) if (block) k.arena.release(block);
  }
}

/** The kernels when `entries` float64s fit in their memory below gelu's tables, else null (none here, or too many). */
function withRoom(entries: number): Kernels | null {
  const k = kernels();
  return k && entries <= TABLES ? k : null;
}

/**
 * Entries per pass over a large tensor: copied in, computed and copied out a chunk at a time, its
 * operands stay in the L2 cache between the three (whole 2.4 MB tensors went out to L3 and back
 * between each). Elementwise, so the bits are the same.
 */
const CHUNK = 8192;

/** Bytes of one chunk's slot in the module's memory: slot i starts at i·SLOT. */
const SLOT = CHUNK * 8;

/** The kernels for an elementwise pass over n entries through `slots` chunk slots, else null. */
function chunked(n: number, slots: number): Kernels | null {
  return n >= MIN_ENTRIES ? withRoom(slots * CHUNK) : null;
}

/**
 * Runs `kernel(m)` over the entries of `inputs` a chunk of m at a time: input i copied into slot i,
 * output j copied out of the slot after the inputs' (every array as long as the first input).
 */
function byChunks(k: Kernels, inputs: readonly Float64Array[], outputs: readonly Float64Array[], kernel: (m: number) => void): true {
  const f = k.f64;
  const n = inputs[0].length;
  for (let s = 0; s < n; s += CHUNK) {
    const m = Math.min(CHUNK, n - s);
    for (let i = 0; i < inputs.length; i++) f.set(inputs[i].subarray(s, s + m), i * CHUNK);
    kernel(m);
    for (let j = 0, at = inputs.length * CHUNK; j < outputs.length; j++, at += CHUNK) outputs[j].set(f.subarray(at, at + m), s);
  }
  return true;
}

/** o[i] = x[i] > 0 ? x[i] : +0; false when the caller should loop itself. */
export function simdRelu(x: Float64Array, o: Float64Array): boolean {
  const n = x.length;
  if (n >= MIN_ENTRIES && inPlace([x], [o], (r, [px, po]) => r.relu(px, po, n))) return true;
  const k = chunked(x.length, 2);
  return k !== null && byChunks(k, [x], [o], (m) => k.relu(0, SLOT, m));
}

/** dx[i] = x[i] > 0 ? g[i] : +0; false when the caller should loop itself. */
export function simdReluBackward(x: Float64Array, g: Float64Array, dx: Float64Array): boolean {
  const n = g.length;
  if (n >= MIN_ENTRIES && inPlace([x, g], [dx], (r, [px, pg, pd]) => r.reluBackward(px, pg, pd, n))) return true;
  const k = chunked(g.length, 3);
  return k !== null && byChunks(k, [x, g], [dx], (m) => k.reluBackward(0, SLOT, 2 * SLOT, m));
}

/**
 * o[r·inner + k] = a[r·inner + k] + b[k] over the rows of `a` (b one row of `inner` entries, or as
 * long as `a` with inner = a.length); false when the caller should loop itself.
 */
export function simdAddRows(a: Float64Array, b: Float64Array, o: Float64Array, inner: number): boolean {
  const n = a.length;
  if (n < MIN_ENTRIES) return false;
  if (inPlace([a, b], [o], (r, [pa, pb, po]) => r.addRows(pa, pb, po, n / inner, inner))) return true;
  if (inner === n) {
    // Two tensors of one shape: a chunk of each.
    const k = chunked(n, 3);
    return k !== null && byChunks(k, [a, b], [o], (m) => k.addRows(0, SLOT, 2 * SLOT, 1, m));
  }
  return byRowSpans(a, b, o, inner, (k, pa, pb, po, rows) => k.addRows(pa, pb, po, rows, inner));
}

/**
 * Runs `kernel` over the rows of `a` with the row `b` broadcast down them, whole rows a chunk
 * (b first in the module's memory, then the chunk of a, then its output); false when b's row and
 * a chunk do not fit.
 */
function byRowSpans(a: Float64Array, b: Float64Array, o: Float64Array, inner: number, kernel: (k: Kernels, pa: number, pb: number, po: number, rows: number) => void): boolean {
  const n = a.length;
  const span = Math.max(1, Math.floor(CHUNK / inner)) * inner;
  const k = withRoom(inner + 2 * span);
  if (!k) return false;
  const f = k.f64;
  f.set(b, 0);
  for (let s = 0; s < n; s += span) {
    const m = Math.min(span, n - s);
    f.set(a.subarray(s, s + m), inner);
    kernel(k, inner * 8, 0, (inner + span) * 8, m / inner);
    o.set(f.subarray(inner + span, inner + span + m), s);
  }
  return true;
}

/**
 * out[i] = x·Φ(x) and slope[i] = Φ(x) + x·φ(x) (gelu keeping its slope): the bits of erf.ts'
 * geluKeepingSlopeInto; false when the caller should loop itself.
 */
export function simdGelu(x: Float64Array, out: Float64Array, slope: Float64Array): boolean {
  const n = x.length;
  if (!GELU_CONSTANTS_MATCH) return false;
  // In the shared memory, chunks of a large one also on the helper thread (runGelu), else all here.
  const inMemory = (r: ResidentKernels, [px, po, ps]: number[]) => {
    const here = (start: number, count: number) => r.gelu(px + 8 * start, po + 8 * start, ps + 8 * start, count, r.tables);
    if (!runGelu(px, po, ps, r.tables, n, here)) r.gelu(px, po, ps, n, r.tables);
  };
  if (n >= MIN_ENTRIES && inPlace([x], [out, slope], inMemory)) return true;
  const k = chunked(x.length, 3);
  return k !== null && byChunks(k, [x], [out, slope], (m) => k.gelu(0, SLOT, 2 * SLOT, m, TABLES * 8));
}

/** o[i] = k·x[i]; false when the caller should loop itself. */
export function simdScale(x: Float64Array, k: number, o: Float64Array): boolean {
  const n = x.length;
  if (n >= MIN_ENTRIES && inPlace([x], [o], (r, [px, po]) => r.scale(px, k, po, n))) return true;
  const kern = chunked(x.length, 2);
  return kern !== null && byChunks(kern, [x], [o], (m) => kern.scale(0, k, SLOT, m));
}

/**
 * out[r] = Σ_j a[r·n + j]·b[j] for the rows of `a` (rows of n entries; b of n), in the order of
 * checks/direction.ts' `dot`; false when the caller should loop itself.
 */
export function simdDotRows(a: Float64Array, b: Float64Array, out: Float64Array): boolean {
  const size = a.length;
  const n = b.length;
  const rows = out.length;
  if (size < MIN_ENTRIES || rows * n !== size) return false;
  if (inPlace([a, b], [out], (r, [pa, pb, po]) => r.dotRows(pa, rows, n, pb, po))) return true;
  const k = withRoom(size + n + rows);
  if (!k) return false;
  k.f64.set(a, 0);
  k.f64.set(b, size);
  k.dotRows(0, rows, n, size * 8, (size + n) * 8);
  out.set(k.f64.subarray(size + n, size + n + rows));
  return true;
}

/**
 * The sum of the squares of `w` (its length a multiple of 8) in blocks of 8 summed pairwise, the
 * blocks' sums added in order from +0: the bits of ops/regularizers.ts' l2 forward with blocks of 8
 * (a loop that JavaScript runs slower still over a resident tensor's shared memory). Null when the
 * caller should loop itself.
 */
export function simdSumSquares8(w: Float64Array): number | null {
  const n = w.length;
  if (n < MIN_ENTRIES || n % 8 !== 0) return null;
  let sum = 0;
  if (inPlace([w], [], (r, [p]) => (sum = r.sumSquares8(p, n, 0)))) return sum;
  const k = chunked(n, 1);
  // Each chunk (8192 entries, whole blocks of 8) continues the sum of the ones before.
  return k && byChunks(k, [w], [], (m) => (sum = k.sumSquares8(0, m, sum))) ? sum : null;
}

/**
 * dst[d + k] += src[s + k] for k < n, for each run (s, d, n) among the first `count` triples of
 * `runs` (float64 indices into src and dst), the runs in order: a scatter-add (conv2d's col2im)
 * with the additions of the JavaScript loop in its order, so the same bits. False when the caller
 * should loop itself (no WebAssembly SIMD, or more than the module's memory holds).
 */
export function simdAddRuns(src: Float64Array, dst: Float64Array, runs: Int32Array, count: number): boolean {
  const k = withRoom(src.length + dst.length + Math.ceil((3 * count) / 2));
  if (!k) return false;
  const f = k.f64;
  f.set(src, 0);
  f.set(dst, src.length);
  const runsAt = (src.length + dst.length) * 8;
  new Int32Array(f.buffer, runsAt, 3 * count).set(runs.subarray(0, 3 * count));
  k.addRuns(0, src.length * 8, runsAt, count);
  dst.set(f.subarray(src.length, src.length + dst.length));
  return true;
}

/**
 * max_pool2d with 2×2 windows at stride 2 over `planes` planes of H×W (`src`), Wo even: each
 * window's winner to `dst` and its index in `src` to `argmax`, by ops/pooling.ts' maxPool2x2
 * tournament (the same values and indices). False when the caller should loop itself.
 */
export function simdMaxPool2(src: Float64Array, planes: number, H: number, W: number, dst: Float64Array, argmax: Int32Array): boolean {
  const Ho = H >> 1;
  const Wo = W >> 1;
  const n = planes * Ho * Wo;
  if (Wo % 2 !== 0 || dst.length !== n || src.length !== planes * H * W || src.length < MIN_ENTRIES) return false;
  const k = withRoom(src.length + n + Math.ceil(n / 2));
  if (!k) return false;
  const f = k.f64;
  f.set(src, 0);
  const dstAt = src.length;
  const argAt = (src.length + n) * 8;
  k.maxPool2(0, dstAt * 8, argAt, planes, H, W, Ho, Wo);
  dst.set(f.subarray(dstAt, dstAt + n));
  argmax.set(new Int32Array(f.buffer, argAt, n));
  return true;
}

/** Whether every entry of `d` is finite; null when the caller should scan itself. */
export function simdAllFinite(d: Float64Array): boolean | null {
  const n = d.length;
  if (n < MIN_ENTRIES) return null;
  let finite = true;
  if (inPlace([d], [], (r, [p]) => (finite = r.allFinite(p, n) === 1))) return finite;
  const k = chunked(n, 1);
  // Chunks after a non-finite one are still copied (rare: the scan is for finite gradients), not scanned.
  return k && byChunks(k, [d], [], (m) => (finite &&= k.allFinite(0, m) === 1)) ? finite : null;
}

/**
 * o[r·inner + k] = tanh(a[r·inner + k] + b[k]) over the rows of `a` (an rnn step's bias and
 * nonlinearity), or tanh(a[i]) when b is null: the bits of elementary.ts' tanh (after the sum,
 * as the scalar loop adds it); false when the caller should loop itself.
 */
export function simdTanhRows(a: Float64Array, b: Float64Array | null, o: Float64Array, inner: number): boolean {
  const n = a.length;
  if (n < MIN_ENTRIES || !TANH_CONSTANTS_MATCH) return false;
  const rows = n / inner;
  if (b ? inPlace([a, b], [o], (r, [pa, pb, po]) => r.tanhRows(pa, pb, po, rows, inner, 1)) : inPlace([a], [o], (r, [pa, po]) => r.tanhRows(pa, 0, po, 1, n, 0))) return true;
  if (!b) {
    const k = chunked(n, 2);
    return k !== null && byChunks(k, [a], [o], (m) => k.tanhRows(0, 0, SLOT, 1, m, 0));
  }
  return byRowSpans(a, b, o, inner, (k, pa, pb, po, rows) => k.tanhRows(pa, pb, po, rows, inner, 1));
}
