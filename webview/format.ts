// Number and shape formatting for labels, tooltips and tables. Integers print as written in the
// lecture (-12, not -1.200e+1); everything else with 4 significant digits.

export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e6) return String(x);
  if (a >= 1e-3 && a < 1e5) return String(Number(x.toPrecision(4)));
  return x.toExponential(2).replace('e+', 'e');
}

/** Scientific, for errors and norms on log axes: 1.2e-7. */
export function sci(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return fmt(x);
  return x.toExponential(1).replace('e+', 'e');
}

export function pct(fraction: number): string {
  const p = fraction * 100;
  return `${p === 0 || p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** `[N, H]` (symbolic dims where known), `[4, 5]` otherwise; scalars are "scalar". */
export function shapeText(dims: string[], shape: number[]): string {
  if (shape.length === 0) return 'scalar';
  const parts = shape.map((n, i) => dims[i] ?? String(n));
  return `[${parts.join(', ')}]`;
}

export function sizeText(shape: number[]): string {
  return shape.length === 0 ? '' : `[${shape.join(', ')}]`;
}

/** A duration as people say it: 840 ms, 2.3 s. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One-line description of a Range (1-based, as the editor shows it). */
export function lineText(line: number): string {
  return `line ${line + 1}`;
}
