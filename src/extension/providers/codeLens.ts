// Code lenses: each statement's value and gradient above its line, and above each gate its check
// verdict with the actions Check, Derive backward and Show in graph.
import * as vscode from 'vscode';
import type { Analysis, GateSummary, NodeResult } from '../../core/analysis';
import type { AnalysisService } from '../analysisService';
import { readConfig, type LensDetail } from '../config';
import { toRange } from '../convert';
import { ProviderRefresh } from './providerRefresh';
import { formatNumber } from '../../core/format/number';
import { percent, shapeText, sizesText, VERDICT_MARK, worstVerdict } from '../format';

export function nodeLensTitle(n: NodeResult, root: string | null, detail: LensDetail): string {
  const d = root ? `∂${root}` : '∂';
  if (!n.value && !n.valueStats) return `${shapeText(n.dims)} · not computed`;
  if (n.shape.length === 0 && n.value) {
    const grad = n.grad ? `${d} ${formatNumber(n.grad[0])}` : n.isInt ? 'int' : n.kind === 'const' ? 'const' : 'no gradient';
    return `value ${formatNumber(n.value[0])} · ${grad}`;
  }
  const shape = `${shapeText(n.dims)} = ${sizesText(n.shape)}`;
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
  if (checks.length === 0) return g.calls === 0 ? 'not called' : 'not checked';
  const v = worstVerdict(checks);
  if (v === 'pass' || v === 'ok-if-kinked') return `${VERDICT_MARK.pass} gradcheck ${formatNumber(Math.max(...checks.map((c) => c.maxRelError)))}`;
  const worst = checks.filter((c) => c.verdict === v).sort((x, y) => y.maxRelError - x.maxRelError)[0];
  const w = worst.worst.find((e) => !e.kinkCrossed) ?? worst.worst[0];
  const at = w && w.index.length ? ` at [${w.index.join(',')}]` : '';
  return `${VERDICT_MARK[worst.verdict]} ${worst.target.split('.')[1]} rel err ${formatNumber(worst.maxRelError)}${at}`;
}

export class CodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly refresh: ProviderRefresh;
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly service: AnalysisService) {
    this.refresh = new ProviderRefresh(service);
    this.onDidChangeCodeLenses = this.refresh.onDidChange;
  }

  dispose(): void {
    this.refresh.dispose();
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const cfg = readConfig();
    if (cfg.codeLensDetail === 'off') return [];
    const r = await this.refresh.serve(doc, () => this.service.whenCurrent(doc, 1000));
    if (!r) return [];
    const a = r.analysis;
    const lenses: vscode.CodeLens[] = [];
    for (const n of a.nodes) {
      const range = toRange(n.statementRange);
      lenses.push(new vscode.CodeLens(range, { title: nodeLensTitle(n, a.root, cfg.codeLensDetail), command: 'gradlens.showInGraph', arguments: [doc.uri, n.name], tooltip: 'Show in the computational graph' }));
    }
    for (const g of a.gates) {
      const range = toRange(g.headerRange);
      const verdict = gateVerdictTitle(g, a);
      if (verdict) lenses.push(new vscode.CodeLens(range, { title: verdict, command: 'gradlens.checkGate', arguments: [doc.uri, g.name], tooltip: 'Gradient check of this gate' }));
      lenses.push(new vscode.CodeLens(range, { title: 'Check', command: 'gradlens.checkGate', arguments: [doc.uri, g.name] }));
      lenses.push(new vscode.CodeLens(range, { title: 'Derive backward', command: 'gradlens.deriveBackward', arguments: [doc.uri, g.name] }));
      lenses.push(new vscode.CodeLens(range, { title: 'Show in graph', command: 'gradlens.showInGraph', arguments: [doc.uri, g.name] }));
      if (cfg.codeLensDetail !== 'full') continue;
      // Values at the first call, above the gate's own lines.
      for (const l of g.locals) {
        if (l.role === 'input' || l.role === 'upstream' || !l.valueStats || !l.shape) continue;
        const v = l.valueStats;
        const title = l.shape.length === 0 ? `value ${formatNumber(v.mean)} (first call)` : `${shapeText(l.dims)} · ‖v‖ ${formatNumber(v.norm)}${l.gradStats ? ` · ‖∂‖ ${formatNumber(l.gradStats.norm)}` : ''} (first call)`;
        lenses.push(new vscode.CodeLens(toRange(l.range), { title, command: '' }));
      }
    }
    return lenses;
  }
}
