// Status bar: the root's value and the overall gradient-check verdict of the active file; a click
// opens the dashboard. A spinner while an analysis runs.
import * as vscode from 'vscode';
import type { AnalysisService, DocumentAnalysis } from '../analysisService';
import { formatNumber } from '../../core/format/number';
import { VERDICT_MARK, worstVerdict } from '../format';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('gradlens.status', vscode.StatusBarAlignment.Left, 100);
  private current: DocumentAnalysis | undefined;
  private busy = false;

  constructor(service: AnalysisService) {
    this.item.name = 'GradLens';
    this.item.command = 'gradlens.openDashboard';
    service.onDidChangeBusy((b) => {
      this.busy = b;
      this.render();
    });
  }

  show(r: DocumentAnalysis | undefined, active: boolean): void {
    this.current = r;
    if (!active) {
      this.item.hide();
      return;
    }
    this.render();
    this.item.show();
  }

  private render(): void {
    const r = this.current;
    const spin = this.busy ? '$(sync~spin) ' : '';
    if (!r) {
      this.item.text = `${spin}GradLens`;
      this.item.tooltip = 'GradLens: analysing…';
      return;
    }
    const a = r.analysis;
    const root = a.root ? a.nodes.find((n) => n.name === a.root) : undefined;
    const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
    const v = worstVerdict(a.gradchecks);
    const value = root?.value ? `${a.root} ${formatNumber(root.value[0])}` : errors ? `${errors} error${errors > 1 ? 's' : ''}` : 'no root';
    const verdict = v ? ` · ${VERDICT_MARK[v]} ${v === 'ok-if-kinked' ? 'pass' : v}` : '';
    this.item.text = `${spin}$(pulse) ${value}${verdict}`;
    this.item.tooltip = new vscode.MarkdownString(
      `**GradLens** · ${a.file}\n\n${root?.value ? `\`${a.root}\` = ${formatNumber(root.value[0])}\n\n` : ''}${a.gradchecks.length} gradient checks${v ? `, worst: ${v}` : ''} · ${errors} errors · analysed in ${Math.round(a.timings.totalMs)} ms\n\nClick to open the dashboard.`,
    );
    this.item.backgroundColor = v === 'fail' || errors ? new vscode.ThemeColor('statusBarItem.errorBackground') : v === 'warn' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
