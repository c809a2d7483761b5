// Tensors that live in the GEMM kernel's memory. A product's operands are normally copied into
// the kernel's WebAssembly memory and its result copied out: for mlp2's 3072×100 weights that is
// 2.4 MB each way, about 55 µs, nine times a pass (a third of mlp2's run, 40% of mlp2-N8's). A
// buffer taken from this arena is a Float64Array view on the kernel's shared memory itself, so
// gemm (matmul.ts) reads and writes it in place: no copies.
//
// The arena sits at the bottom of the shared kernel memory, after the job block; a product's
// workspace starts past its highest block. The memory is shared, so growing it for a new block or
// a larger workspace detaches nothing: every view handed out stays valid (a shared memory's older
// buffers stay readable; they are only shorter than the new one).
//
// Blocks are handed back explicitly (release): a caller that takes one owns it, and must not keep
// any view of it, or of its data, after releasing it. Only owners that know when their results die
// take blocks: a ResultPool given the arena (Train's and the bench's loops, the language server's
// analysis workers), the leaves a loop or an analysis installs (engine/residentLeaves.ts), a
// gradient check's x ± h copy (checks/differences.ts, workTensor) and an elementwise call's
// temporaries; the elementwise kernels' tables are kept for the process in a fixed region at the
// bottom (takeFixed).
// A view on a shared memory must never be posted to another thread (postMessage would share it):
// nothing that leaves the analysing thread comes from here.
import type { WasmMemory } from './wasm/runtime';

/** Blocks start on a cache line. */
const ALIGN = 64;
/** At most this many bytes of blocks (the rest of the memory is the products' workspace). */
const ARENA_MAX_BYTES = 512 * 2 ** 20;
/**
 * Bytes at the bottom for blocks kept for the process (takeFixed: the elementwise kernels' gelu
 * tables), so that none pins the top of the arena above blocks that come and go.
 */
const FIXED_BYTES = 16384;

export class ResidentArena {
  private top: number;
  private fixedTop: number;
  private readonly fixedEnd: number;
  private held = 0;
  /** Free blocks: their offsets by size, and each one's offset by its end (to lower the top past them). */
  private readonly free = new Map<number, number[]>();
  private readonly freeByEnd = new Map<number, number>();
  /** Every buffer object the memory has had (each growth gives a new one; views keep the old). */
  private readonly buffers = new WeakSet<object>();

  /**
   * `base`: the first byte the arena may use. `reserve(bytes)`: makes the memory at least that
   * long, false if it cannot grow.
   */
  constructor(
    /** The kernel's shared memory (the elementwise kernels' resident instance imports it too). */
    readonly memory: WasmMemory,
    base: number,
    private readonly reserve: (bytes: number) => boolean,
  ) {
    this.fixedTop = roundUp(base);
    this.fixedEnd = this.fixedTop + FIXED_BYTES;
    this.top = this.fixedEnd;
    this.buffers.add(memory.buffer);
  }

  /** A block kept for the process (never released), from the fixed region; null when it is full. */
  takeFixed(n: number): Float64Array | null {
    const bytes = roundUp(Math.max(1, n) * 8);
    if (this.fixedTop + bytes > this.fixedEnd || !this.reserve(this.fixedEnd)) return null;
    const offset = this.fixedTop;
    this.fixedTop += bytes;
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return new Float64Array(buffer as ArrayBuffer, offset, n);
  }

  /**
   * A block of `n` float64 entries (its numbers are whatever its last owner left: the caller
   * zeroes it if it needs to), or null when the arena is full or the memory cannot grow.
   */
  take(n: number): Float64Array | null {
    const bytes = roundUp(Math.max(1, n) * 8);
    let offset = this.free.get(bytes)?.pop();
    if (offset !== undefined) this.freeByEnd.delete(offset + bytes);
    else {
      if (this.top + bytes > ARENA_MAX_BYTES || !this.reserve(this.top + bytes)) return null;
      offset = this.top;
      this.top += bytes;
    }
    this.held += bytes;
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return new Float64Array(buffer as ArrayBuffer, offset, n);
  }

  /** Hands a block taken from this arena back (its owner keeps no view of it). */
  release(block: Float64Array): void {
    const offset = this.offsetOf(block);
    if (offset < this.fixedEnd) return;
    const bytes = roundUp(Math.max(1, block.length) * 8);
    this.held -= bytes;
    if (offset + bytes !== this.top) {
      let list = this.free.get(bytes);
      if (!list) this.free.set(bytes, (list = []));
      list.push(offset);
      this.freeByEnd.set(offset + bytes, offset);
      return;
    }
    // The top block: the top comes down past it and every free block right below it, so the
    // arena's end (where products' workspace starts) returns to where its live blocks end.
    this.top = offset;
    for (let below = this.freeByEnd.get(this.top); below !== undefined; below = this.freeByEnd.get(this.top)) {
      const size = this.top - below;
      const list = this.free.get(size) as number[];
      list.splice(list.lastIndexOf(below), 1);
      this.freeByEnd.delete(this.top);
      this.top = below;
    }
  }

  /** `data` copied into a new block, or null when the arena has no room. */
  copyOf(data: Float64Array): Float64Array | null {
    const block = this.take(data.length);
    block?.set(data);
    return block;
  }

  /** The byte offset in the kernel memory of `view`'s first entry, or -1 if it is not in this memory. */
  offsetOf(view: Float64Array): number {
    return this.buffers.has(view.buffer) ? view.byteOffset : -1;
  }

  /** The first byte past every block: a product's workspace starts here. */
  end(): number {
    return this.top;
  }

  /** Bytes of blocks handed out and not released (the memory guard counts them). */
  heldBytes(): number {
    return this.held;
  }
}

function roundUp(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}
