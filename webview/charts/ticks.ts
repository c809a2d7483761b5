// Ticks people can read on a linear axis: steps of 1, 2 or 5 × 10ᵏ, so a histogram spanning
// -0.08492 … 0.001233 is labelled -0.08, -0.06, …, 0 and not with the bins' own centres.
// No DOM, no chart.js: unit-tested in node.

/** The 1-2-5 step that cuts `span` into at most `count` intervals. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9));
  return step ?? 10 * magnitude;
}

/** Removes float noise: 0.30000000000000004 → 0.3 (a tick is a multiple of its step). */
function clean(v: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const r = Number(v.toFixed(Math.min(20, decimals)));
  return Object.is(r, -0) ? 0 : r;
}

/** Multiples of a nice step within [min, max] (at most count + 1 of them, at least 2 when min < max). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max < min) [min, max] = [max, min];
  if (max === min) return [clean(min, Math.abs(min) || 1)];
  for (let c = count; c <= 4 * count; c++) {
    const step = niceStep(max - min, c);
    const first = Math.ceil(min / step - 1e-9);
    const last = Math.floor(max / step + 1e-9);
    const ticks: number[] = [];
    for (let k = first; k <= last; k++) ticks.push(clean(k * step, step));
    if (ticks.length >= 2) return ticks;
  }
  return [clean(min, max - min), clean(max, max - min)];
}
