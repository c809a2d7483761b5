// Output of `gradlens check`: the human-readable report and the JSON object described in
// docs/language-reference.md, section 10.
import type { Analysis, NodeResult } from '../core';
import { formatNumber } from '../core';

/** JSON numbers cannot be NaN/Inf: those become null. */
function num(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function nums(v: number[] | null): (number | null)[] | null {
  return v ? v.map(num) : null;
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
      worst: g.worst.map((w) => ({
        index: w.index,
        analytic: num(w.analytic),
        numeric: num(w.numeric),
        absError: num(w.absError),
        relError: num(w.relError),
        kinkCrossed: w.kinkCrossed,
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

export function formatHuman(a: Analysis, displayName: string): string {
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
      const worst = w ? `[${w.index.join(', ')}] analytic ${formatNumber(w.analytic)} numeric ${formatNumber(w.numeric)}${w.kinkCrossed ? ' (kink crossed)' : ''}` : '';
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
