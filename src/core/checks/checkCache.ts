// Gradient-check results kept across analyses, keyed by what they depend on (structural
// fingerprints of the graph, the seed, the check settings) and never by source positions. The
// checks are most of an analysis' time (90–98 % on the examples), so an edit re-runs only the
// checks it can change: an edit after a gate keeps that gate's check; a comment, an `expect` line
// or a reformatting keeps them all. Results are immutable once stored.

/** A bounded least-recently-used store for check results. */
export class CheckCache {
  private readonly entries = new Map<string, unknown>();
  /** Lookups answered from the cache / computed, since creation (tests and benchmarks read them). */
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 512) {}

  /** The stored value for `key`, or `compute()`'s, stored. */
  getOrCompute<T>(key: string, compute: () => T): T {
    if (this.entries.has(key)) {
      const value = this.entries.get(key) as T;
      // Refresh its place in the eviction order.
      this.entries.delete(key);
      this.entries.set(key, value);
      this.hits++;
      return value;
    }
    this.misses++;
    const value = compute();
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}
