// Hover texts (Markdown): a tensor's shape with its dimension values, value and gradient
// statistics and a text histogram; an operation's explanation of how it routes gradients (from the
// op table); a gradient check's worst entries.
import { formatNumber, ide, type Analysis, type GateLocal, type GateSummary, type GradCheckResult, type GradCheckThresholds, type NodeResult, type OpDef } from '../../core';
import { shapeText, sizesText, sparkline, statsRow, VERDICT_MARK, worstTable } from './text';

function dimValues(dims: string[], a: Analysis): string {
  const known = dims.filter((d) => d in a.dims).map((d) => `${d}=${a.dims[d]}`);
  return known.length ? ` (${known.join(', ')})` : '';
}

function codeBlock(code: string): string {
  return `\`\`\`grad\n${code}\n\`\`\`\n`;
}

function statsTable(root: string | null, valueStats: NodeResult['valueStats'], gradStats: NodeResult['gradStats']): string {
  const g = root ? `∂${root}` : '∂';
  const lines = ['| | min | max | mean | ‖·‖ | zeros |', '| --- | --- | --- | --- | --- | --- |', statsRow('value', valueStats), statsRow(g, gradStats)];
  const spark: string[] = [];
  if (valueStats && valueStats.count > 1) spark.push(`value \`${sparkline(valueStats.histogram)}\``);
  if (gradStats && gradStats.count > 1) spark.push(`${g} \`${sparkline(gradStats.histogram)}\``);
  return `${lines.join('\n')}${spark.length ? `\n\n${spark.join(' · ')}` : ''}`;
}

export function nodeMarkdown(n: NodeResult, a: Analysis, t: GradCheckThresholds): string {
  let md = `**${n.name}** · ${n.kind}${n.isInt ? ' (int labels)' : ''} · \`${shapeText(n.dims)}\` = ${sizesText(n.shape)}${dimValues(n.dims, a)}\n\n`;
  if (n.shape.length === 0 && n.value) {
    md += `value **${formatNumber(n.value[0])}**${n.grad ? ` · ∂${a.root ?? ''}/∂${n.name} **${formatNumber(n.grad[0])}**` : ' · no gradient'}\n\n`;
  } else if (n.valueStats) {
    md += `${statsTable(a.root, n.valueStats, n.gradStats)}\n\n`;
  } else md += 'not computed (see the diagnostics)\n\n';
  if (!n.gradStats && n.valueStats) md += noGradientReason(n, a);
  const check = a.gradchecks.find((c) => c.target === n.name);
  if (check) md += checkMarkdown(check, t);
  return md;
}

function noGradientReason(n: NodeResult, a: Analysis): string {
  if (n.kind === 'const') return '_consts never receive gradients_\n\n';
  if (n.isInt) return '_integer labels never receive gradients_\n\n';
  return a.root ? `_\`${a.root}\` does not depend on it: no gradient_\n\n` : '_no backward root: no gradients_\n\n';
}

export function localMarkdown(l: GateLocal, gateName: string, a: Analysis, t: GradCheckThresholds): string {
  const role = { input: 'input', intermediate: 'intermediate', output: 'output', upstream: 'upstream gradient', backward: 'backward' }[l.role];
  let md = `**${l.name}** · ${role} of gate \`${gateName}\` · \`${shapeText(l.dims)}\`${l.shape ? ` = ${sizesText(l.shape)} at the first call` : ''}\n\n`;
  if (l.valueStats) md += `${statsTable(a.root, l.valueStats, l.gradStats)}\n\n`;
  const check = a.gradchecks.find((c) => c.target === `${gateName}.${l.name}`);
  if (check) md += checkMarkdown(check, t);
  return md;
}

export function gateMarkdown(g: GateSummary, a: Analysis, t: GradCheckThresholds): string {
  let md = codeBlock(`gate ${g.name}(${g.inputs.join(', ')}) -> ${g.output}`);
  md += `${g.backwardRange ? 'hand-written backward pass' : 'differentiated automatically'} · called ${g.calls}×\n\n`;
  for (const c of a.gradchecks.filter((x) => x.target.startsWith(`${g.name}.`))) md += checkMarkdown(c, t);
  return md;
}

/** A check's verdict and worst entries; `t`: the thresholds it ran with (the setting, printed as set). */
export function checkMarkdown(c: GradCheckResult, t: GradCheckThresholds): string {
  if (c.notRun) return `---\n\n${VERDICT_MARK.fail} **gradient check of \`${c.target}\`: fail** · ${c.notRun}; the gate is differentiated automatically until it is fixed\n\n`;
  return (
    `---\n\n${VERDICT_MARK[c.verdict]} **gradient check of \`${c.target}\`: ${c.verdict}** · max rel error ${formatNumber(c.maxRelError)} · ` +
    `${c.failing}/${c.checked} off by > ${t.warn} · h = ${c.h}\n\n${worstTable(c)}\n\n`
  );
}

/** An op's hover: its usage as the language reference prints it, what it computes, how it routes gradients. */
export function opHoverMarkdown(op: OpDef): string {
  return `${codeBlock(ide.opUsage(op))}${ide.opMarkdown(op)}\n\n`;
}
