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

export function tensorStats(data: ArrayLike<number>): TensorStats {
  const n = data.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sq = 0;
  let zeros = 0;
  let nonFinite = 0;
  let finite = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    finite++;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sq += v * v;
    if (v === 0) zeros++;
  }
  const histogram = new Array<number>(HISTOGRAM_BINS).fill(0);
  if (finite > 0) {
    const width = max - min;
    for (let i = 0; i < n; i++) {
      const v = data[i];
      if (!Number.isFinite(v)) continue;
      const b = width > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor(((v - min) / width) * HISTOGRAM_BINS)) : Math.floor(HISTOGRAM_BINS / 2);
      histogram[b]++;
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
