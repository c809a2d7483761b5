// The second core: one helper thread (a Node worker_threads worker) that instantiates the GEMM
// kernel (wasm/gemm.wat) and the elementwise kernels (simd/elementwise.wat) on the same shared
// WebAssembly memory and claims chunks of a job alongside the calling thread, which stays
// synchronous: it publishes a job in the memory's first bytes, wakes the helper (unless it is still
// polling after the last job: HELPER_SPIN_MS), and either computes chunks itself until none are left
// (a large product split in two: runTiles; a large gelu: runGelu) or first computes a product of
// its own (the other of a pair: matmul.ts' gemmPair) and then takes the chunks left; it waits
// (Atomics.wait) only for the chunks the helper claimed. A helper that is not running yet, or wakes
// late on a loaded machine, claims nothing and costs nothing. Every tile is summed by one thread in
// ascending k, and every gelu entry computed by the same code, so the bits are the same with one
// thread or two (tests: gemm-threads, gemm-pairs, helper-gelu).
//
// No helper where there are no workers (worker_threads is reached through
// process.getBuiltinModule, Node >= 20.16: the core imports no Node module) or no shared memory,
// with GRADLENS_THREADS=1, or after setGemmThreads(1). The helper is unref'd (it never keeps the
// process alive) and holds no tensors: it works in the caller's kernel memory, which is not duplicated.

/** Byte layout of the job block at the start of the kernel memory (see "work" in wasm/gemm.wat). */
export const JOB_BYTES = 128;
const NEXT64 = 0; // BigInt64 index: seq << 32 | next chunk
const DONE = 2; // Int32 indices from here
const FIELDS = 3; // n (chunks, of either kind of job), per, a, ars, acs, b, bps, brs, pc, ldc, K, mp, np, kc, mcp
const WAKE = 18;
const FAILED = 19;
const READY = 20;
/** Test only: the helper claims a chunk and fails without computing it (see failHelperForTest). */
const FAULT = 21;
/** A's panel stride (after the control words: see "work" in wasm/gemm.wat). */
const APS = 22;
/** 1 while the helper polls for the next job after one (HELPER_SPIN_MS): the caller need not wake it. */
const SPINNING = 23;
/** What the job is: 0 a product's tiles (wasm/gemm.wat's "work"), 1 gelu over a range of entries (runGelu). */
const KIND = 24;
/** A gelu job: byte offsets of x, out, slope and the tables, the entries, and the entries a chunk. */
const MAP_X = 25;
const MAP_OUT = 26;
const MAP_SLOPE = 27;
const MAP_TABLES = 28;
const MAP_N = 29;
const MAP_CHUNK = 30;
/** 1 once the helper has its instance of the elementwise kernels (runGelu's jobs need it). */
const GELU_READY = 31;
/**
 * How long the helper stays awake after a job, polling for the next. A pass runs its large
 * products a fraction of a millisecond apart (mlp2: X·W1 forward, dX and dW1 back to back), and
 * waking a sleeping helper cost the caller 20-28 µs (Atomics.notify, a futex call in a VM) and the
 * product the helper's wake-up: mlp2 0.96-0.98x and mlp2-N512 0.96x their time with it (paired).
 * At most this much of the other core after a pass's last product.
 */
const HELPER_SPIN_MS = 1;

/** What the helper needs of the kernel (gemmKernel.ts' Kernel). */
export interface ThreadKernel {
  work(job: number, seq: number): number;
  memory: { readonly buffer: ArrayBufferLike };
  module: object;
  /** The elementwise kernels compiled for the shared memory (simd/elementwise.wat), for runGelu's chunks; null without. */
  elementwise(): object | null;
}

/** One product's tiles as the kernel's "tiles" takes them (bytes), and its blocking. */
export interface TileJob {
  a: number;
  aps: number;
  ars: number;
  acs: number;
  b: number;
  bps: number;
  brs: number;
  pc: number;
  ldc: number;
  K: number;
  mp: number;
  np: number;
  kc: number;
  mcp: number;
}

/**
 * Products of at least this many multiply-adds (about 0.8 ms on one core) are split. Measured with
 * the second core free: 1-4 million multiply-adds ran 0.82-1.05x with two threads (waking the
 * helper costs about as much as it saves), 8 million 1.23-1.42x, 16 million and up 1.5-1.9x
 * (README, "Both cores").
 */
export const THREAD_MIN_WORK = 1 << 23;
/**
 * Products of at least this many multiply-adds each, two of them independent (the two gradients of
 * a product: gemmPair), run one on each thread. Below it the hand-over (the second one's packs
 * before the first starts, the job, the helper reading what the caller has just written) costs
 * about what the second core saves: deep's pairs of 131 k (at 2^17) ran 0.87x in one quiet window
 * and 1.05-1.14x in others; convnet's and the transformer block's (262 k to 2 M) 0.76-0.93x.
 */
export const PAIR_MIN_WORK = 1 << 18;

/** Chunks per block of rows when split: a few more than two, so a late or slow helper costs little. */
const CHUNKS_PER_BLOCK = 4;
/** Multiply-adds of large products on one thread before the helper is started (about 8 ms of them). */
const SPAWN_AFTER_WORK = 1 << 26;
/** Reads of the done count before the caller sleeps (Atomics.wait) while the helper finishes. */
const SPINS = 2000;

/** The running helper thread and its control words. */
export interface Helper {
  readonly kernel: ThreadKernel;
  readonly ctl: Int32Array;
  readonly next: BigInt64Array;
  readonly worker: { terminate(): unknown; unref(): void };
  alive: boolean;
}

/** Node's process object where there is one (the core never assumes it: a browser has none). */
const node = (globalThis as { process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown } }).process;

let wanted = node?.env?.GRADLENS_THREADS === '1' ? 1 : 2;
let minWork = THREAD_MIN_WORK;
let pairMin = PAIR_MIN_WORK;
let helper: Helper | null = null;
let unavailable = false;
let seq = 0;
let splits = 0;
let pairs = 0;
let maps = 0;
let chunks = 0;
let helperChunks = 0;
let waitMs = 0;
let wakes = 0;
let pendingWork = 0;

/**
 * Uses one thread (1) or two (2) for products of at least `threshold` multiply-adds from now on
 * (a running helper stays, idle: stopGemmThreads stops it). The threshold is for tests and the
 * bench: the default is measured.
 */
export function setGemmThreads(n: 1 | 2, threshold = THREAD_MIN_WORK, pairThreshold = PAIR_MIN_WORK): void {
  wanted = n;
  minWork = threshold;
  pairMin = pairThreshold;
}

/**
 * Products split between two threads so far in this thread, pairs of products whose second went
 * to the helper (gemmPair), elementwise passes shared with it (runGelu), their chunks (every kind), how many of them the helper computed, how
 * long the caller waited for the helper, and how many times it had to wake the helper (not when
 * the helper was still polling after the job before) (tests, the bench).
 */
export function splitProducts(): { products: number; pairs: number; maps: number; chunks: number; helperChunks: number; waitMs: number; wakes: number } {
  return { products: splits, pairs, maps, chunks, helperChunks, waitMs, wakes };
}

/** How many threads large products, pairs and large gelus use now (2 only once the helper is running). */
export function gemmThreads(): 1 | 2 {
  return helper?.alive && Atomics.load(helper.ctl, READY) === 1 ? 2 : 1;
}

/**
 * Test only: from the next job on (a split product, a pair, a gelu), the helper claims a chunk and
 * fails without computing it, as a helper that died mid-chunk would. The caller must then compute
 * the job alone.
 */
export function failHelperForTest(): void {
  if (helper) Atomics.store(helper.ctl, FAULT, 1);
}

/** Whether a helper thread is starting or running. */
export function helperStarted(): boolean {
  return helper !== null && helper.alive;
}

/** Stops the helper thread (it is also stopped by the process' exit; nothing waits for it). */
export function stopGemmThreads(): void {
  const h = helper;
  helper = null;
  if (!h) return;
  h.alive = false;
  Atomics.store(h.ctl, WAKE, -1);
  Atomics.notify(h.ctl, WAKE);
  void h.worker.terminate();
}

/** Whether a product of `work` multiply-adds is too small ever to be split (it needs no shared memory). */
export function belowSplitting(work: number): boolean {
  return work < minWork;
}

/**
 * Whether a product of `work` multiply-adds on this kernel runs on two threads: starts the helper
 * once such products add up to SPAWN_AFTER_WORK (they, and any until the helper is ready, run on
 * one thread).
 */
export function splitsWork(k: ThreadKernel, work: number): boolean {
  return work >= minWork && helperFor(k, work);
}

/**
 * Whether two independent products of `work` multiply-adds each (the smaller one's) run one on each
 * thread: too small to be split alone, large enough to pay for the hand-over. Their work counts
 * towards starting the helper, as a large product's does.
 */
export function pairsWork(k: ThreadKernel, work: number): boolean {
  return work >= pairMin && helperFor(k, work);
}

/** Whether the helper is ready for `k`'s products, starting it once such work adds up to SPAWN_AFTER_WORK. */
function helperFor(k: ThreadKernel, work: number): boolean {
  if (wanted < 2 || unavailable) return false;
  if (helper && helper.kernel !== k) stopGemmThreads();
  if (!helper) {
    // Starting a worker costs about 5 ms on this thread and 100+ ms of CPU on the other: not for a
    // short run (a CLI check with a large product or two), only once large products add up.
    pendingWork += work;
    if (pendingWork < SPAWN_AFTER_WORK) return false;
    pendingWork = 0;
    helper = spawn(k);
  }
  return helper !== null && helper.alive && Atomics.load(helper.ctl, READY) === 1;
}

/**
 * Runs a product's tiles on this thread and the helper. Returns false if the helper failed (the
 * caller then computes the whole product again on its own: its tiles may be half summed).
 */
export function runTiles(k: ThreadKernel, job: TileJob): boolean {
  const handle = publishTiles(job, false);
  return handle !== null && joinTiles(k, handle);
}

/** A job published to the helper and not yet joined (publishTiles). */
export interface PublishedTiles {
  readonly helper: Helper;
  readonly seq: number;
  readonly chunks: number;
  /** One product of a pair (matmul.ts' gemmPair), not a product split in two. */
  readonly pair: boolean;
}

/**
 * Publishes a product's tiles to the helper, which starts claiming chunks at once; the caller may
 * compute something else meanwhile (another product, on a workspace of its own: gemmPair) and then
 * must call joinTiles before it touches the job's memory or publishes another. Null without a helper.
 */
export function publishTiles(job: TileJob, pair: boolean): PublishedTiles | null {
  const h = helper;
  if (!h) return null;
  const blocks = Math.ceil(job.mp / job.mcp);
  const per = Math.min(CHUNKS_PER_BLOCK, job.mp * job.np);
  const n = blocks * per;
  const fields = [n, per, job.a, job.ars, job.acs, job.b, job.bps, job.brs, job.pc, job.ldc, job.K, job.mp, job.np, job.kc, job.mcp];
  return { helper: h, seq: publish(h, 0, (ctl) => {
    for (let i = 0; i < fields.length; i++) Atomics.store(ctl, FIELDS + i, fields[i]);
    Atomics.store(ctl, APS, job.aps);
  }), chunks: n, pair };
}

/** Publishes a job of `kind` whose fields `write` stores, and wakes the helper; returns its sequence number. */
function publish(h: Helper, kind: number, write: (ctl: Int32Array) => void): number {
  const ctl = h.ctl;
  seq = seq >= 0x7ffffffe ? 1 : seq + 1;
  // Close the old job before rewriting the fields: a helper that woke late for it claims nothing.
  Atomics.store(h.next, NEXT64, BigInt(0));
  write(ctl);
  Atomics.store(ctl, KIND, kind);
  Atomics.store(ctl, DONE, 0);
  Atomics.store(h.next, NEXT64, BigInt(seq) << BigInt(32));
  Atomics.store(ctl, WAKE, seq);
  // A helper still polling sees the new sequence number; one asleep is woken. (If it stops polling
  // just after this read, its wait compares WAKE, already stored, and returns at once.)
  if (Atomics.load(ctl, SPINNING) !== 1) {
    wakes++;
    Atomics.notify(ctl, WAKE);
  }
  return seq;
}

/**
 * Computes the published job's chunks the helper has not claimed, then waits for the helper's.
 * Returns false if the helper failed (the caller then computes the whole product on its own).
 */
export function joinTiles(k: ThreadKernel, job: PublishedTiles): boolean {
  const { helper: h, chunks: n } = job;
  const mine = k.work(0, job.seq);
  if (job.pair) pairs++;
  else splits++;
  chunks += n;
  helperChunks += n - mine;
  return waitForHelper(h, n);
}

/** Waits until `n` chunks of the job are done; false if the helper failed (it is then stopped). */
function waitForHelper(h: Helper, n: number): boolean {
  const ctl = h.ctl;
  if (Atomics.load(ctl, DONE) >= n) return true;
  // The helper is finishing a chunk: spin briefly (this core has nothing else to do), then sleep.
  const t0 = performance.now();
  for (let spins = 0; ; spins++) {
    const done = Atomics.load(ctl, DONE);
    if (done >= n) break;
    if (Atomics.load(ctl, FAILED) === 1) {
      unavailable = true;
      stopGemmThreads();
      return false;
    }
    if (spins >= SPINS) Atomics.wait(ctl, DONE, done, 50);
  }
  waitMs += performance.now() - t0;
  return true;
}

/**
 * Entries of gelu at least for the helper to take part (about 150 µs on one core: waking the
 * helper and the chunks' hand-over cost a few µs), and the entries of a chunk: even, since the
 * kernel computes entries two at a time and writes the second of a pair past an odd count's end
 * (a chunk of the other thread's).
 */
export const GELU_SPLIT_MIN = 8192;
const GELU_CHUNK = 2048;

/**
 * gelu keeping its slope (simd/elementwise.wat's "gelu") over `n` entries of the shared memory, in
 * chunks that this thread (`here(start, count)`, its own instance of the module) and the helper
 * claim: every entry is computed by the same code whichever thread takes it (same bits). Byte
 * offsets of x, out, slope and the tables. False (nothing computed) where the helper is not running
 * or `n` is under GELU_SPLIT_MIN; false too if the helper failed midway (the caller then computes
 * every entry again itself).
 */
export function runGelu(x: number, out: number, slope: number, tables: number, n: number, here: (start: number, count: number) => void): boolean {
  const h = helper;
  if (!h || n < GELU_SPLIT_MIN || wanted < 2 || !h.alive || Atomics.load(h.ctl, READY) !== 1 || Atomics.load(h.ctl, GELU_READY) !== 1) return false;
  const total = Math.ceil(n / GELU_CHUNK);
  const s = publish(h, 1, (ctl) => {
    // FIELDS holds the chunks, as for a product's tiles (the helper's claims and the test's fault read it there).
    Atomics.store(ctl, FIELDS, total);
    Atomics.store(ctl, MAP_X, x);
    Atomics.store(ctl, MAP_OUT, out);
    Atomics.store(ctl, MAP_SLOPE, slope);
    Atomics.store(ctl, MAP_TABLES, tables);
    Atomics.store(ctl, MAP_N, n);
    Atomics.store(ctl, MAP_CHUNK, GELU_CHUNK);
  });
  let mine = 0;
  for (;;) {
    const v = Atomics.load(h.next, NEXT64);
    const c = Number(v & BigInt(0xffffffff));
    if (Number(v >> BigInt(32)) !== s || c >= total) break;
    if (Atomics.compareExchange(h.next, NEXT64, v, v + BigInt(1)) !== v) continue;
    here(c * GELU_CHUNK, Math.min(GELU_CHUNK, n - c * GELU_CHUNK));
    Atomics.add(h.ctl, DONE, 1);
    mine++;
  }
  maps++;
  chunks += total;
  helperChunks += total - mine;
  return waitForHelper(h, total);
}

/** The helper's whole program (a CommonJS script: it works the same from tsx, the bundle or a worker). */
const HELPER_SOURCE = `'use strict';
const { workerData } = require('node:worker_threads');
const { module, memory, elementwise } = workerData;
const { work } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, 0, ${JOB_BYTES / 4});
// The elementwise kernels too (gelu jobs), when they load: without them the helper still takes tiles.
let map = null;
try {
  map = elementwise ? new WebAssembly.Instance(elementwise, { env: { memory } }).exports : null;
} catch {}
if (map) Atomics.store(ctl, ${GELU_READY}, 1);
const next = new BigInt64Array(memory.buffer, 0, 1);
// gelu's chunks of the job (runGelu), claimed as "work" claims tiles.
function gelu(seq) {
  const total = Atomics.load(ctl, ${FIELDS});
  const [x, o, s, tab, n, chunk] = [${MAP_X}, ${MAP_OUT}, ${MAP_SLOPE}, ${MAP_TABLES}, ${MAP_N}, ${MAP_CHUNK}].map((i) => Atomics.load(ctl, i));
  for (;;) {
    const v = Atomics.load(next, 0);
    const c = Number(v & 0xffffffffn);
    if (Number(v >> 32n) !== seq || c >= total) break;
    if (Atomics.compareExchange(next, 0, v, v + 1n) !== v) continue;
    const start = c * chunk;
    map.gelu(x + 8 * start, o + 8 * start, s + 8 * start, Math.min(chunk, n - start), tab);
    Atomics.add(ctl, ${DONE}, 1);
  }
}
let seen = Atomics.load(ctl, ${WAKE});
Atomics.store(ctl, ${READY}, 1);
for (;;) {
  Atomics.wait(ctl, ${WAKE}, seen);
  seen = Atomics.load(ctl, ${WAKE});
  if (seen < 0) break;
  try {
    if (Atomics.load(ctl, ${FAULT}) === 1) {
      const v = Atomics.load(next, 0);
      if (v >> 32n === BigInt(seen) && (v & 0xffffffffn) < BigInt(Atomics.load(ctl, ${FIELDS})) && Atomics.compareExchange(next, 0, v, v + 1n) === v) throw new Error('fault');
    }
    if (Atomics.load(ctl, ${KIND}) === 1) gelu(seen);
    else work(0, seen);
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
    Atomics.notify(ctl, ${DONE});
    break;
  }
  Atomics.notify(ctl, ${DONE});
  // Awake a while for the next job: polling costs the caller nothing, waking from a sleep does.
  Atomics.store(ctl, ${SPINNING}, 1);
  const until = performance.now() + ${HELPER_SPIN_MS};
  for (let i = 1; Atomics.load(ctl, ${WAKE}) === seen; i++) if ((i & 255) === 0 && performance.now() > until) break;
  Atomics.store(ctl, ${SPINNING}, 0);
}
`;

interface WorkerThreads {
  Worker: new (
    source: string,
    options: { eval: boolean; workerData: unknown; execArgv: string[]; resourceLimits: Record<string, number>; stdout: boolean; stderr: boolean },
  ) => { terminate(): unknown; unref(): void; on(event: string, f: (...args: unknown[]) => void): void };
}

function spawn(k: ThreadKernel): Helper | null {
  try {
    const wt = node?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
    if (!wt || typeof SharedArrayBuffer === 'undefined' || !(k.memory.buffer instanceof SharedArrayBuffer)) {
      unavailable = true;
      return null;
    }
    const ctl = new Int32Array(k.memory.buffer, 0, JOB_BYTES / 4);
    const next = new BigInt64Array(k.memory.buffer, 0, JOB_BYTES / 8);
    Atomics.store(ctl, READY, 0);
    Atomics.store(ctl, GELU_READY, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, WAKE, 0);
    Atomics.store(ctl, FAULT, 0);
    Atomics.store(ctl, SPINNING, 0);
    // execArgv []: not the parent's loaders (tsx) or flags; a small heap: the helper allocates next to nothing (a gelu job's loop some numbers).
    const worker = new wt.Worker(HELPER_SOURCE, {
      eval: true,
      workerData: { module: k.module, memory: k.memory, elementwise: k.elementwise() },
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1, stackSizeMb: 1 },
      stdout: true,
      stderr: true,
    });
    worker.unref();
    const h: Helper = { kernel: k, ctl, next, worker, alive: true };
    const lost = () => {
      h.alive = false;
      if (helper === h) helper = null;
      unavailable = true;
    };
    worker.on('error', lost);
    worker.on('exit', () => {
      if (helper === h) lost();
    });
    return h;
  } catch {
    unavailable = true;
    return null;
  }
}
