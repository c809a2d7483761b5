// One-line texts about a statement or a gate: its value and gradient (line ends, value lenses) and
// a gate's check verdict (lenses, line ends).
import { formatNumber, reportedEntry } from '../../core';
import type { Analysis, GateSummary, GradCheckEntry, GradCheckResult, NodeResult } from '../../core';
import type { LineValue } from '../serverProtocol';
import { entryNote, percent, shapeText, sizesText, VERDICT_MARK, worstVerdict } from './text';

/** How much a value lens says: shape only, or norms and % zeros too. */
export type LensDetail = 'off' | 'minimal' | 'full';

/**
 * A statement's value and gradient in one line. `symbolic: false` leaves out the symbolic shape
 * (`[N, H] = `) where the line already shows it, written or as an inlay hint.
 */
export function nodeLensTitle(n: NodeResult, root: string | null, detail: LensDetail, symbolic = true): string {
  const d = root ? `∂${root}` : '∂';
  if (!n.value && !n.valueStats) return `${shapeText(n.dims)} · not computed`;
  if (n.shape.length === 0 && n.value) {
    const grad = n.grad ? `${d} ${formatNumber(n.grad[0])}` : n.isInt ? 'int' : n.kind === 'const' ? 'const' : 'no gradient';
    return `value ${formatNumber(n.value[0])} · ${grad}`;
  }
  const shape = symbolic ? `${shapeText(n.dims)} = ${sizesText(n.shape)}` : sizesText(n.shape);
  if (detail === 'minimal') return shape;
  const parts = [shape, `‖v‖ ${formatNumber(n.valueStats?.norm)}`];
  if (n.gradStats) parts.push(`‖${d}‖ ${formatNumber(n.gradStats.norm)}`);
  else parts.push(n.isInt ? 'int' : n.kind === 'const' ? 'const' : 'no gradient');
  if (n.valueStats && n.valueStats.zeros > 0) parts.push(`${percent(n.valueStats.zeros)} zeros`);
  return parts.join(' · ');
}

export function gateVerdictTitle(g: GateSummary, a: Analysis): string | null {
  const checks = a.gradchecks.filter((c) => c.target.startsWith(`${g.name}.`));
  if (!g.backwardRange) return 'autodiff (no backward block)';
  // An early phase: the checks are still running.
  if (a.phase) return g.calls === 0 ? 'not called' : 'checking…';
  if (checks.length === 0) return g.calls === 0 ? 'not called' : 'not checked';
  if (checks.some((c) => c.notRun)) return `${VERDICT_MARK.fail} backward has an error · autodiff in its place`;
  const v = worstVerdict(checks);
  if (v === 'pass' || v === 'ok-if-kinked') return `${VERDICT_MARK.pass} gradcheck ${formatNumber(Math.max(...checks.map((c) => c.maxRelError)))}`;
  const worst = checks.filter((c) => c.verdict === v).sort((x, y) => y.maxRelError - x.maxRelError)[0];
  const w = reportedEntry(worst.worst);
  const at = w && w.index.length ? ` at [${w.index.join(',')}]` : '';
  return `${VERDICT_MARK[worst.verdict]} ${worst.target.split('.')[1]} rel err ${formatNumber(worst.maxRelError)}${at}`;
}

/** What the code lenses above the lines show, so the values at the line ends can say something else. */
export interface LensesShown {
  /** Value lenses above statements (`gradlens.codeLens.values`), with their detail. */
  values: boolean;
  detail: LensDetail;
  /** Shape hints after each inferred name (`gradlens.inlayHints.enabled`): every line then shows its symbolic shape. */
  shapeHints?: boolean;
}

const NO_LENSES: LensesShown = { values: false, detail: 'off' };

/**
 * A statement's text at its line end when a value lens above it already shows `detail`: what the
 * lens does not — the ranges of the value and the gradient under a full lens, the norms under a
 * minimal one — and nothing for a scalar, whose lens says all there is.
 */
export function complementTitle(n: NodeResult, root: string | null, detail: LensDetail): string | null {
  if (n.shape.length === 0 || !n.valueStats) return null;
  const d = root ? `∂${root}` : '∂';
  if (detail === 'minimal') {
    const full = nodeLensTitle(n, root, 'full').split(' · ');
    return full.slice(1).join(' · ');
  }
  const range = (s: { min: number; max: number }) => (s.min === s.max ? formatNumber(s.min) : `${formatNumber(s.min)} … ${formatNumber(s.max)}`);
  const parts = [`v ∈ ${range(n.valueStats)}`];
  if (n.gradStats) parts.push(`${d} ∈ ${range(n.gradStats)}`);
  return parts.join(' · ');
}

/** Each gradient's verdict (`dW ✓ · db ✗`): the gate lens above the header names only the worst. */
function gateChecksLine(g: GateSummary, a: Analysis): string | null {
  const checks = a.gradchecks.filter((c) => c.target.startsWith(`${g.name}.`));
  if (!checks.length) return null;
  return checks.map((c) => `${c.target.split('.')[1]} ${VERDICT_MARK[c.verdict]}`).join(' · ');
}

/**
 * One text per line: a statement's values at the end of its last line, a gate's verdict after its
 * header. `lenses`: what the code lenses show, which the line ends then complement instead of repeat.
 */
export function lineValues(a: Analysis, lenses: LensesShown = NO_LENSES): LineValue[] {
  const byLine = new Map<number, string[]>();
  const add = (line: number, text: string) => {
    const texts = byLine.get(line) ?? [];
    texts.push(text);
    byLine.set(line, texts);
  };
  const valueLenses = lenses.values && lenses.detail !== 'off';
  for (const n of a.nodes) {
    // Lines whose value could not be computed carry a diagnostic already; a placeholder would be noise.
    if (!n.value && !n.valueStats) continue;
    // A narrow editor (the dashboard beside it) cuts the line end: it leaves out the symbolic shape
    // the line already shows, so the norms come sooner.
    const text = valueLenses ? complementTitle(n, a.root, lenses.detail) : nodeLensTitle(n, a.root, 'full', !(n.shapeWritten || lenses.shapeHints));
    if (text) add(n.statementRange.end.line, `${n.name}: ${text}`);
  }
  for (const g of a.gates) {
    // The gate's lens (shown unless lenses are off) has the worst verdict: the line end lists each gradient's.
    const verdict = lenses.detail === 'off' ? gateVerdictTitle(g, a) : gateChecksLine(g, a);
    if (verdict) add(g.headerRange.start.line, verdict);
  }
  return [...byLine.entries()].sort((x, y) => x[0] - y[0]).map(([line, texts]) => ({ line, text: texts.join('   ') }));
}

/**
 * A check's row in the sidebar: short enough for the default sidebar width next to its name (the
 * icon says the verdict; the tooltip has the rest): the error, and how many entries are off when
 * any are.
 */
export function checkRowText(c: GradCheckResult): string {
  const err = `err ${formatNumber(c.maxRelError, { digits: 2 })}`;
  return c.failing > 0 ? `${c.failing}/${c.checked} off · ${err}` : err;
}

/** An entry's row under its check: its relative error (analytic and numeric are in the tooltip). */
export function entryRowText(e: GradCheckEntry): string {
  return `rel ${formatNumber(e.relError, { digits: 2 })}${e.kinkCrossed ? ' · kink' : ''}`;
}

/** An entry's tooltip: every figure, at full precision. */
export function entryTooltip(e: GradCheckEntry, h: number): string {
  return `[${e.index.join(', ')}]: analytic ${formatNumber(e.analytic)} · numeric ${formatNumber(e.numeric)} · relative error ${formatNumber(e.relError)} (h = ${h})${entryNote(e) ? ` · ${entryNote(e)}` : ''}${e.kinkCrossed ? ' (the step crossed it: the numeric gradient is not to be trusted here)' : ''}`;
}
