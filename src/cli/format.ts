// Output of `gradlens check`: the human-readable report and the JSON object described in
// docs/language-reference.md, section 10.
import type { Analysis, NodeResult } from '../core';
import { formatNumber } from '../core';
import { entryNote } from '../shared/present/text';

/** JSON numbers cannot be NaN/Inf: those become null. */
function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function nums(v: ArrayLike<number> | null): (number | null)[] | null {
  return v ? Array.from(v, num) : null;
}

/** The `--json` object (docs/language-reference.md, section 10): stable, field for field. */
export function toSpecJson(a: Analysis) {
  return {
    version: 1 as const,
    file: a.file,
    dims: a.dims,
    root: a.root,
    diagnostics: a.diagnostics.map((d) => ({ severity: d.severity, code: d.code, message: d.message, range: d.range })),
    nodes: a.nodes.map((n) => ({ name: n.name, kind: n.kind, shape: n.shape, value: nums(n.value), grad: nums(n.grad) })),
    gradchecks: a.gradchecks.map((g) => ({
      target: g.target,
      maxRelError: num(g.maxRelError),
      verdict: g.verdict,
      checked: g.checked,
      failing: g.failing,
      h: g.h,
      ...(g.fast ? { fast: { projections: g.fast.projections, relError: num(g.fast.relError), kinkCrossed: g.fast.kinkCrossed } } : {}),
      worst: g.worst.map((w) => ({
        index: w.index,
        analytic: num(w.analytic),
        numeric: num(w.numeric),
        absError: num(w.absError),
        relError: num(w.relError),
        kinkCrossed: w.kinkCrossed,
        ...(w.kink ? { kink: { op: w.kink.op, index: w.kink.index, line: w.kink.range ? w.kink.range.start.line + 1 : null } } : {}),
        ...(w.budget ? { budget: { ...w.budget, estimate: num(w.budget.estimate), relError: num(w.budget.relError), numerics: w.budget.numerics.map(num) } } : {}),
      })),
    })),
  };
}

function cellValue(n: NodeResult, which: 'value' | 'grad'): string {
  const data = n[which];
  const stats = which === 'value' ? n.valueStats : n.gradStats;
  if (!data || !stats) return '—';
  if (data.length === 1) return formatNumber(data[0]);
  return `‖·‖ ${formatNumber(stats.norm)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...r[c]].length)));
  return rows.map((r) => r.map((cell, c) => cell + ' '.repeat(widths[c] - [...cell].length)).join('  ').trimEnd()).join('\n');
}

/**
 * Text from a file (its name, source quoted in messages) made safe for a terminal: control
 * characters (ESC would start an escape sequence, NUL, carriage returns), C1 controls and the
 * bidirectional overrides (which reorder what is shown) are written as escapes, `\x1b`, `\u202e`.
 * Newlines and tabs stay.
 */
export function terminalSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function formatHuman(a: Analysis, displayName: string): string {
  return terminalSafe(formatReport(a, displayName));
}

function formatReport(a: Analysis, displayName: string): string {
  const out: string[] = [];
  for (const d of a.diagnostics) {
    out.push(`${displayName}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message} [${d.code}]`);
  }
  if (out.length) out.push('');
  const dims = Object.entries(a.dims)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  out.push(`root: ${a.root ?? '(none)'} · seed ${a.seed}${dims ? ` · ${dims}` : ''}`);
  if (a.nodes.length) {
    const rows = [['name', 'kind', 'shape', 'value', 'grad']];
    for (const n of a.nodes) {
      const shape = n.dims.length ? `[${n.dims.join(', ')}]` : 'scalar';
      rows.push([n.name, n.isInt ? `${n.kind} (int)` : n.kind, shape, cellValue(n, 'value'), cellValue(n, 'grad')]);
    }
    out.push('', table(rows));
  }
  if (a.gradchecks.length) {
    const rows = [['gradient check', 'verdict', 'max rel error', 'failing', 'worst entry']];
    for (const g of a.gradchecks) {
      const w = g.worst[0];
      const note = w ? entryNote(w) : '';
      const worst = w ? `[${w.index.join(', ')}] analytic ${formatNumber(w.analytic)} numeric ${formatNumber(w.numeric)}${note ? ` (${note})` : ''}` : '';
      // A check that could not run (its backward block has an error) has no numbers to show.
      if (g.notRun) rows.push([g.target, g.verdict, '—', '—', g.notRun]);
      else rows.push([g.target, g.verdict, formatNumber(g.maxRelError), `${g.failing}/${g.checked}`, worst]);
    }
    out.push('', table(rows));
  }
  const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = a.diagnostics.filter((d) => d.severity === 'warning').length;
  out.push('', `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${a.timings.totalMs.toFixed(0)} ms)`);
  return out.join('\n');
}
