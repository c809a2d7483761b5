// Summary statistics of a tensor, for lenses, hovers and charts.
import type { TensorStats } from './model';

export const HISTOGRAM_BINS = 16;

const cache = new WeakMap<object, TensorStats>();

/** Statistics of a tensor's data, computed once per buffer (nodes, gates and the graph view share them). */
export function statsOf(t: { data: Float64Array }): TensorStats {
  let s = cache.get(t.data);
  if (!s) {
    s = tensorStats(t.data);
    cache.set(t.data, s);
  }
  return s;
}

/** Forgets the statistics of a buffer whose numbers are about to be replaced (a recycled result). */
export function forgetStats(data: Float64Array): void {
  cache.delete(data);
}

export function tensorStats(data: ArrayLike<number>): TensorStats {
  // Two passes over the data (the histogram needs the range), each with one test per entry: it
  // runs for every value and gradient of every analysis, on the keystroke's way to the screen.
  const n = data.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let zeros = 0;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    // v - v is 0 for every finite number, NaN for NaN and ±Infinity.
    if (v - v !== 0) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
    if (v === 0) zeros++;
  }
  const finite = n - nonFinite;
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  if (finite > 0) {
    const width = max - min;
    if (width > 0) {
      const counts = new Int32Array(HISTOGRAM_BINS);
      for (let i = 0; i < n; i++) {
        const v = data[i];
        if (v - v !== 0) continue;
        const b = ((v - min) / width) * HISTOGRAM_BINS;
        counts[b >= HISTOGRAM_BINS - 1 ? HISTOGRAM_BINS - 1 : Math.floor(b)]++;
      }
      for (let b = 0; b < HISTOGRAM_BINS; b++) histogram[b] = counts[b];
    } else {
      histogram[Math.floor(HISTOGRAM_BINS / 2)] = finite;
    }
  }
  return {
    count: n,
    min: finite ? min : NaN,
    max: finite ? max : NaN,
    mean: finite ? sum / finite : NaN,
    norm: Math.sqrt(sq),
    zeros: n ? zeros / n : 0,
    nonFinite,
    histogram,
  };
}
