// Where an op's results come from. By default each result is a fresh Float64Array; V8 gives every
// one of more than a few entries a buffer of its own outside the heap, about as long to allocate,
// zero and collect as a small product takes to compute. A caller that runs the same graph over and
// over (training steps, the benchmark) and keeps nothing from one run to the next can let the
// engine hand the buffers of the previous run's results back to the ops (engine/run.ts,
// Execution.recycleResults): the same memory every run, zeroed as a fresh one. A pool may also take
// its large buffers from the arena of tensors resident in the GEMM kernel's memory (resident.ts),
// which products read and write in place; it hands them back when cleared.
import type { ResidentArena } from './resident';

/**
 * Results of at least this many entries come from the arena in a resident pool (and leaves that
 * products read, residentLeaves.ts): smaller ones' copies cost less than the call (and the arena's
 * memory is never given back to the system, only to the next owner). deep's activations, 32×64,
 * resident: 11% off its pass (4096 before); 256 measured no different from 1024.
 */
export const RESIDENT_MIN = 1024;

/** The buffers of one run's results, ready to be handed out again in the next. */
export class ResultPool {
  /** The last run's buffers by length: on the heap, and (a resident pool's) in the arena. */
  private free = new Map<number, Float64Array[]>();
  private freeResident = new Map<number, Float64Array[]>();
  private issued: Float64Array[] = [];
  /** Blocks adopted for an analysis' leaves (handed back by the next adopt round or clear). */
  private adopted: Float64Array[] = [];
  /**
   * Whether new buffers come from the arena now (a resident pool's owner turns it off around the
   * work that only JavaScript reads: a loop over the shared memory is slower than over the heap).
   */
  residentNow = true;

  /** Bytes of arena blocks this pool holds (results and adopted ones). */
  private residentBytes = 0;

  /**
   * `onReissue(buf)` is told of every buffer handed out again, before its new owner writes it:
   * whatever was remembered about its old numbers (statsOf's cache) must be forgotten. `arena`:
   * where buffers of RESIDENT_MIN entries and more come from (the heap when it is full); the
   * pool's owner must then clear() it once no result of its runs is read any more. `residentCap`:
   * at most this many bytes of arena blocks (a wasm memory never shrinks: what a pool takes stays
   * committed to the process after it lets go), past which results come from the heap.
   */
  constructor(
    private readonly onReissue?: (buf: Float64Array) => void,
    private readonly arena: ResidentArena | null = null,
    private readonly residentCap = Infinity,
  ) {}

  /**
   * A buffer of `n` entries: one of the previous run's if one of that length is left, else a fresh
   * one. Zeroed, unless `written` (the caller writes every entry: a reused buffer keeps the numbers
   * of the run before until then).
   */
  take(n: number, written: boolean): Float64Array {
    const resident = this.arena !== null && this.residentNow && n >= RESIDENT_MIN;
    const d = resident ? (this.freeResident.get(n)?.pop() ?? this.takeBlock(n) ?? this.free.get(n)?.pop()) : this.free.get(n)?.pop();
    if (d) this.onReissue?.(d);
    const buf = d ? (written ? d : d.fill(0)) : new Float64Array(n);
    this.issued.push(buf);
    return buf;
  }

  /**
   * A new run starts: every buffer handed out since the last call may be handed out again; those
   * of older runs that no run took are let go (a pool holds at most one run's results).
   */
  nextRun(): void {
    // The arena's blocks the run left untaken go back to the arena (the heap's to the collector).
    for (const list of this.freeResident.values()) for (const d of list) this.releaseBlock(d);
    const free = new Map<number, Float64Array[]>();
    const freeResident = new Map<number, Float64Array[]>();
    for (const d of this.issued) {
      const lists = this.arena && this.arena.offsetOf(d) >= 0 ? freeResident : free;
      let list = lists.get(d.length);
      if (!list) lists.set(d.length, (list = []));
      list.push(d);
    }
    this.free = free;
    this.freeResident = freeResident;
    this.issued = [];
  }

  /** Whether large results come from the kernel's memory (the pool was given an arena). */
  get resident(): boolean {
    return this.arena !== null;
  }

  /**
   * A block of the arena for a tensor that must outlive the runs' turnover (an analysis' resident
   * leaves, made before its pass starts a run): the pool holds it until the next adopt() or
   * clear(), which hand it back. Null when the pool is not resident or the arena is full.
   */
  adopt(n: number): Float64Array | null {
    const block = this.takeBlock(n);
    if (block) this.adopted.push(block);
    return block;
  }

  /** Hands back the blocks adopted for the last analysis (the next one adopts its own). */
  releaseAdopted(): void {
    for (let i = this.adopted.length - 1; i >= 0; i--) this.releaseBlock(this.adopted[i]);
    this.adopted = [];
  }

  /** A new block of the arena (its numbers are its last owner's), or null past the cap or when it is full. */
  private takeBlock(n: number): Float64Array | null {
    if (!this.arena || this.residentBytes + n * 8 > this.residentCap) return null;
    const block = this.arena.take(n);
    if (block) this.residentBytes += block.byteLength;
    return block;
  }

  private releaseBlock(block: Float64Array): void {
    this.residentBytes -= block.byteLength;
    this.arena?.release(block);
  }

  /** Bytes the pool holds for the next run (the last run's results, once it has ended). */
  heldBytes(): number {
    let n = 0;
    for (const d of this.adopted) n += d.byteLength;
    for (const d of this.issued) n += d.byteLength;
    for (const list of [...this.free.values(), ...this.freeResident.values()]) for (const d of list) n += d.byteLength;
    return n;
  }

  /** Lets every buffer go, and hands the arena's back: no result of this pool may be read after. */
  clear(): void {
    // The arena's blocks are the resident ones of the last run and those left for the next.
    for (const d of this.issued) if (this.arena && this.arena.offsetOf(d) >= 0) this.releaseBlock(d);
    for (const list of this.freeResident.values()) for (const d of list) this.releaseBlock(d);
    this.free.clear();
    this.freeResident.clear();
    this.issued = [];
    this.releaseAdopted();
  }
}

/** Results of fewer entries live on V8's heap (no buffer of their own): nothing to save. */
const POOL_MIN = 16;

let active: ResultPool | null = null;

/** The storage of a result of `n` entries (Tensor.result): from the active pool, else fresh (zeroed). */
export function resultBuffer(n: number, written: boolean): Float64Array {
  return active && n >= POOL_MIN ? active.take(n, written) : new Float64Array(n);
}

/**
 * The storage of a result that only products and WebAssembly kernels read or write: from the
 * active pool's arena when it has one (whatever the pool's residentNow), else as resultBuffer.
 */
export function productBuffer(n: number, written: boolean): Float64Array {
  if (!active || !active.resident || n < POOL_MIN) return resultBuffer(n, written);
  const previous = active.residentNow;
  active.residentNow = true;
  try {
    return active.take(n, written);
  } finally {
    active.residentNow = previous;
  }
}

/** Makes `pool` the source of results until `leavePool(previous)`, which it returns. */
export function enterPool(pool: ResultPool | null): ResultPool | null {
  const previous = active;
  active = pool;
  return previous;
}

export function leavePool(previous: ResultPool | null): void {
  active = previous;
}
