// Shape, percentage and duration text for labels, tooltips and tables. Numbers go through the
// core's formatNumber (src/core/format/number.ts): the dashboard prints a value exactly as the
// editor, the Problems panel and the CLI do.

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
