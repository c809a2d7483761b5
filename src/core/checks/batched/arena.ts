// The working memory of batched evaluations: one arena, reused by every evaluation of every region.

/** Floats (and ints) a fresh arena holds. */
const INITIAL_SIZE = 1 << 15;
/** Above this many elements (8–16 MB) the arena's buffers are not kept after a check run. */
const ARENA_KEEP = 1 << 21;

/**
 * Working memory of one evaluation, handed out as views of a few large buffers: a fresh typed
 * array costs an allocation outside the heap (about 0.75 µs even for a small one) and zeroing, on
 * every call. Views are not zeroed; every user writes before it reads. Valid until the next
 * evaluation.
 */
class Arena {
  private f = new Float64Array(INITIAL_SIZE);
  private i = new Int32Array(INITIAL_SIZE);
  private fTop = 0;
  private iTop = 0;
  /** Float64s (ints count half) handed out in the evaluation under way, and the most in any one (tests). */
  private used = 0;
  highWater = 0;

  /**
   * Starts an evaluation: earlier views are released. The buffers stay as large as the largest
   * evaluation so far (the plan counts the arena for the whole check run): dropping them here made
   * every evaluation of a deep region regrow them from 256 KB by doubling — 64 MB of fresh, zeroed
   * memory per batch, a third of the check's time in allocation and GC.
   */
  begin(): void {
    this.fTop = 0;
    this.iTop = 0;
    this.used = 0;
  }

  /** The check run is over: buffers grown by an unusually large check are dropped (the worker lives on). */
  release(): void {
    if (this.size() > ARENA_KEEP) {
      this.f = new Float64Array(INITIAL_SIZE);
      this.i = new Int32Array(INITIAL_SIZE);
    }
    this.fTop = 0;
    this.iTop = 0;
  }

  // Views are made with the constructor: subarray() goes through the species protocol and costs
  // twice as much, and a fresh small array (off the heap) fifty times as much.
  floats(n: number): Float64Array {
    if (this.fTop + n > this.f.length) {
      // Earlier views keep the old buffer alive; later ones come from a larger one.
      this.f = new Float64Array(Math.max(2 * this.f.length, 2 * n));
      this.fTop = 0;
    }
    const v = new Float64Array(this.f.buffer, this.fTop * 8, n);
    this.fTop += n;
    this.count(n);
    return v;
  }

  ints(n: number): Int32Array {
    if (this.iTop + n > this.i.length) {
      this.i = new Int32Array(Math.max(2 * this.i.length, 2 * n));
      this.iTop = 0;
    }
    const v = new Int32Array(this.i.buffer, this.iTop * 4, n);
    this.iTop += n;
    this.count(n / 2);
    return v;
  }

  private count(float64s: number): void {
    this.used += float64s;
    if (this.used > this.highWater) this.highWater = this.used;
  }

  /** Elements held (for dropping a buffer grown by an unusually large check). */
  private size(): number {
    return this.f.length + this.i.length;
  }
}

/** Shared by all regions: evaluations never overlap (each runs to its end before the next starts). */
export const arena = new Arena();
