// Hovers: a tensor's shape with its dimension values, value and gradient statistics and a text
// histogram; an operation's explanation of how it routes gradients (from the op table); a
// gradient check's worst entries.
import * as vscode from 'vscode';
import type { Analysis, GateLocal, GradCheckResult, NodeResult } from '../../core/analysis';
import type { GradCheckThresholds } from '../../core/defaults';
import type { OpDef } from '../../core/ops/op';
import type { AnalysisService } from '../analysisService';
import { toRange } from '../convert';
import { formatNumber } from '../../core/format/number';
import { shapeText, sizesText, sparkline, statsRow, VERDICT_MARK, worstTable } from '../format';
import { symbolAt } from '../symbols';

function dimValues(dims: string[], a: Analysis): string {
  const known = dims.filter((d) => d in a.dims).map((d) => `${d}=${a.dims[d]}`);
  return known.length ? ` (${known.join(', ')})` : '';
}

function statsTable(root: string | null, valueStats: NodeResult['valueStats'], gradStats: NodeResult['gradStats']): string {
  const g = root ? `∂${root}` : '∂';
  const lines = ['| | min | max | mean | ‖·‖ | zeros |', '| --- | --- | --- | --- | --- | --- |', statsRow('value', valueStats), statsRow(g, gradStats)];
  const spark: string[] = [];
  if (valueStats && valueStats.count > 1) spark.push(`value \`${sparkline(valueStats.histogram)}\``);
  if (gradStats && gradStats.count > 1) spark.push(`${g} \`${sparkline(gradStats.histogram)}\``);
  return `${lines.join('\n')}${spark.length ? `\n\n${spark.join(' · ')}` : ''}`;
}

export function nodeMarkdown(n: NodeResult, a: Analysis, t: GradCheckThresholds): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${n.name}** · ${n.kind}${n.isInt ? ' (int labels)' : ''} · \`${shapeText(n.dims)}\` = ${sizesText(n.shape)}${dimValues(n.dims, a)}\n\n`);
  if (n.shape.length === 0 && n.value) {
    md.appendMarkdown(`value **${formatNumber(n.value[0])}**${n.grad ? ` · ∂${a.root ?? ''}/∂${n.name} **${formatNumber(n.grad[0])}**` : ' · no gradient'}\n\n`);
  } else if (n.valueStats) {
    md.appendMarkdown(`${statsTable(a.root, n.valueStats, n.gradStats)}\n\n`);
  } else md.appendMarkdown('not computed (see the diagnostics)\n\n');
  if (!n.gradStats && n.valueStats) md.appendMarkdown(noGradientReason(n, a));
  const check = a.gradchecks.find((c) => c.target === n.name);
  if (check) md.appendMarkdown(checkMarkdown(check, t));
  return md;
}

function noGradientReason(n: NodeResult, a: Analysis): string {
  if (n.kind === 'const') return '_consts never receive gradients_\n\n';
  if (n.isInt) return '_integer labels never receive gradients_\n\n';
  return a.root ? `_\`${a.root}\` does not depend on it: no gradient_\n\n` : '_no backward root: no gradients_\n\n';
}

function localMarkdown(l: GateLocal, gateName: string, a: Analysis, t: GradCheckThresholds): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const role = { input: 'input', intermediate: 'intermediate', output: 'output', upstream: 'upstream gradient', backward: 'backward' }[l.role];
  md.appendMarkdown(`**${l.name}** · ${role} of gate \`${gateName}\` · \`${shapeText(l.dims)}\`${l.shape ? ` = ${sizesText(l.shape)} at the first call` : ''}\n\n`);
  if (l.valueStats) md.appendMarkdown(`${statsTable(a.root, l.valueStats, l.gradStats)}\n\n`);
  const check = a.gradchecks.find((c) => c.target === `${gateName}.${l.name}`);
  if (check) md.appendMarkdown(checkMarkdown(check, t));
  return md;
}

/** A check's verdict and worst entries; `t`: the thresholds it ran with (the setting, printed as set). */
export function checkMarkdown(c: GradCheckResult, t: GradCheckThresholds): string {
  return (
    `---\n\n${VERDICT_MARK[c.verdict]} **gradient check of \`${c.target}\`: ${c.verdict}** · max rel error ${formatNumber(c.maxRelError)} · ` +
    `${c.failing}/${c.checked} off by > ${t.warn} · h = ${c.h}\n\n${worstTable(c)}\n\n`
  );
}

export function opMarkdown(op: OpDef): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const sig = op.signature.map((p) => (p.default !== undefined ? `${p.name}=${p.default === null ? 'none' : String(p.default)}` : p.name)).join(', ');
  const usage = /^[A-Za-z_]/.test(op.name) ? `${op.name}(${sig})` : op.name;
  md.appendCodeblock(usage, 'grad');
  md.appendMarkdown(`${op.summary}\n\n**Gradient:** ${op.explain}\n\n`);
  if (op.kinks) md.appendMarkdown(`**At kinks:** ${op.kinks}\n\n`);
  return md;
}

export class HoverProvider implements vscode.HoverProvider {
  constructor(private readonly service: AnalysisService) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const r = this.service.get(doc.uri);
    if (!r) return undefined;
    const a = r.analysis;
    const sym = symbolAt(doc, a, pos);
    if (sym) {
      switch (sym.kind) {
        case 'node':
          return new vscode.Hover(nodeMarkdown(sym.node, a, r.thresholds), sym.range);
        case 'local':
          return new vscode.Hover(localMarkdown(sym.local, sym.gate.name, a, r.thresholds), sym.range);
        case 'op':
          return new vscode.Hover(opMarkdown(sym.op), sym.range);
        case 'dim':
          return new vscode.Hover(new vscode.MarkdownString(`dimension **${sym.name}** = ${sym.size}`), sym.range);
        case 'gate': {
          const md = new vscode.MarkdownString();
          md.appendCodeblock(`gate ${sym.gate.name}(${sym.gate.inputs.join(', ')}) -> ${sym.gate.output}`, 'grad');
          md.appendMarkdown(`${sym.gate.backwardRange ? 'hand-written backward pass' : 'differentiated automatically'} · called ${sym.gate.calls}×\n\n`);
          for (const c of a.gradchecks.filter((x) => x.target.startsWith(`${sym.gate.name}.`))) md.appendMarkdown(checkMarkdown(c, r.thresholds));
          return new vscode.Hover(md, sym.range);
        }
      }
    }
    // Anywhere on a line a failing check points at: its worst entries.
    const check = a.gradchecks.find((c) => c.verdict !== 'pass' && c.verdict !== 'ok-if-kinked' && toRange(c.range).start.line === pos.line);
    if (check) return new vscode.Hover(new vscode.MarkdownString(checkMarkdown(check, r.thresholds)));
    return undefined;
  }
}
