// Text for lenses, hovers, hints and views: shapes, sparklines, verdicts. Numbers go through the
// core's formatNumber (src/core/format/number.ts), like the CLI, the dashboard and the messages.
import type { GradCheckEntry, GradCheckResult, NodeResult, TensorStats, Verdict } from '../../core';
import { formatNumber } from '../../core';


export function percent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** `[N, H]` (symbolic) and `4×5` (sizes). */
export function shapeText(dims: string[]): string {
  return `[${dims.join(', ')}]`;
}

export function sizesText(shape: number[]): string {
  return shape.length ? shape.join('×') : 'scalar';
}

const BARS = '▁▂▃▄▅▆▇█';

/** A text histogram: one bar per bin, scaled to the fullest bin. */
export function sparkline(histogram: number[]): string {
  const max = Math.max(...histogram);
  if (max <= 0) return '';
  return histogram.map((c) => (c === 0 ? ' ' : BARS[Math.min(BARS.length - 1, Math.floor((c / max) * (BARS.length - 1) + 0.5))])).join('');
}

export const VERDICT_MARK: Record<Verdict, string> = { pass: '✓', 'ok-if-kinked': '✓', warn: '⚠', fail: '✗' };

export function isScalar(n: NodeResult): boolean {
  return n.shape.length === 0;
}

export function statsRow(label: string, s: TensorStats | null): string {
  if (!s) return `| ${label} | — | — | — | — | — |`;
  return `| ${label} | ${formatNumber(s.min)} | ${formatNumber(s.max)} | ${formatNumber(s.mean)} | ${formatNumber(s.norm)} | ${percent(s.zeros)} |`;
}

/** Worst entries of a check as a markdown table, with each entry's verdict and error budget. */
export function worstTable(c: GradCheckResult): string {
  const rows = c.worst.map(
    (w) => `| [${w.index.join(', ')}] | ${formatNumber(w.analytic)} | ${formatNumber(w.numeric)} | ${formatNumber(w.absError)} | ${formatNumber(w.relError)} | ${entryNote(w)} |`,
  );
  return ['| index | analytic | numeric | abs err | rel err | verdict · error budget |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * What an entry's disagreement is: a kink or step crossed (the op, its element and line), or,
 * for an entry confirmed at more steps, its error budget (truncation, round-off) and the cause.
 */
export function entryNote(w: GradCheckEntry): string {
  if (w.kinkCrossed) {
    if (!w.kink) return 'kink crossed';
    const line = w.kink.range ? ` line ${w.kink.range.start.line + 1}` : '';
    return `kink: \`${w.kink.op}\`${w.kink.index.length ? ` [${w.kink.index.join(', ')}]` : ''}${line}`;
  }
  const b = w.budget;
  if (!b) return '';
  const budget = `truncation ${formatNumber(b.truncation)} · round-off ${formatNumber(b.roundOff)}`;
  return b.cause === 'genuine' ? `fail at every step: ${formatNumber(b.estimate)} extrapolated (rel ${formatNumber(b.relError)}) · ${budget}` : `${b.cause}: within budget (${budget})`;
}

/** The worst verdict of several checks (fail > warn > ok-if-kinked > pass). */
export function worstVerdict(checks: GradCheckResult[]): Verdict | null {
  const order: Verdict[] = ['fail', 'warn', 'ok-if-kinked', 'pass'];
  for (const v of order) if (checks.some((c) => c.verdict === v)) return v;
  return null;
}
