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
 * Results of at least this many entries come from the arena in a resident pool: a product's copies
 * of smaller operands cost less than the call (and the arena's memory is never given back to the
 * system, only to the next owner).
 */
export const RESIDENT_MIN = 4096;

/** The buffers of one run's results, ready to be handed out again in the next. */
export class ResultPool {
  private free = new Map<number, Float64Array[]>();
  private issued: Float64Array[] = [];
  /** Every block this pool took from the arena (handed back by clear). */
  private blocks: Float64Array[] = [];
  /**
   * Whether new buffers come from the arena now (a resident pool's owner turns it off around the
   * work that only JavaScript reads: a loop over the shared memory is slower than over the heap).
   */
  residentNow = true;

  /**
   * `onReissue(buf)` is told of every buffer handed out again, before its new owner writes it:
   * whatever was remembered about its old numbers (statsOf's cache) must be forgotten. `arena`:
   * where buffers of RESIDENT_MIN entries and more come from (the heap when it is full); the
   * pool's owner must then clear() it once no result of its runs is read any more.
   */
  constructor(
    private readonly onReissue?: (buf: Float64Array) => void,
    private readonly arena: ResidentArena | null = null,
  ) {}

  /**
   * A buffer of `n` entries: one of the previous run's if one of that length is left, else a fresh
   * one. Zeroed, unless `written` (the caller writes every entry: a reused buffer keeps the numbers
   * of the run before until then).
   */
  take(n: number, written: boolean): Float64Array {
    const d = this.free.get(n)?.pop() ?? this.fromArena(n);
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
    const free = new Map<number, Float64Array[]>();
    for (const d of this.issued) {
      let list = free.get(d.length);
      if (!list) free.set(d.length, (list = []));
      list.push(d);
    }
    this.free = free;
    this.issued = [];
  }

  /** A new block of the arena (its numbers are its last owner's), or null. */
  private fromArena(n: number): Float64Array | null {
    if (!this.arena || !this.residentNow || n < RESIDENT_MIN) return null;
    const block = this.arena.take(n);
    if (block) this.blocks.push(block);
    return block;
  }

  /** Bytes the pool holds for the next run (the last run's results, once it has ended). */
  heldBytes(): number {
    let n = 0;
    for (const d of this.issued) n += d.byteLength;
    for (const list of this.free.values()) for (const d of list) n += d.byteLength;
    return n;
  }

  /** Lets every buffer go, and hands the arena's back: no result of this pool may be read after. */
  clear(): void {
    this.free.clear();
    this.issued = [];
    // Last taken first: the arena's top comes down with them.
    for (let i = this.blocks.length - 1; i >= 0; i--) this.arena?.release(this.blocks[i]);
    this.blocks = [];
  }
}

/** Results of fewer entries live on V8's heap (no buffer of their own): nothing to save. */
const POOL_MIN = 16;

let active: ResultPool | null = null;

/** The storage of a result of `n` entries (Tensor.result): from the active pool, else fresh (zeroed). */
export function resultBuffer(n: number, written: boolean): Float64Array {
  return active && n >= POOL_MIN ? active.take(n, written) : new Float64Array(n);
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
