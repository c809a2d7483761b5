// Status bar: the root's value and the overall gradient-check verdict of the active file, from
// the summary the server sends with every analysis; a click opens the dashboard.
import { formatNumber } from '../../core';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { AnalysisSummary } from '../../shared/serverProtocol';
import { VERDICT_MARK } from '../../shared/present/text';

export class StatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('gradlens.status', vscode.StatusBarAlignment.Left, 100));

  constructor() {
    super();
    this.item.name = 'GradLens';
    this.item.command = 'gradlens.openDashboard';
  }

  /** The active file's summary (undefined: not analysed yet); hidden when the active editor is not a .grad file. */
  show(file: string | undefined, s: AnalysisSummary | undefined, active: boolean): void {
    if (!active) {
      this.item.hide();
      return;
    }
    this.render(file ?? '', s);
    this.item.show();
  }

  private render(file: string, s: AnalysisSummary | undefined): void {
    if (!s) {
      this.item.text = '$(sync) GradLens';
      this.item.tooltip = 'GradLens: analysing…';
      this.item.backgroundColor = undefined;
      return;
    }
    const total = s.checks.fail + s.checks.warn + s.checks.pass;
    const v = s.checks.fail ? 'fail' : s.checks.warn ? 'warn' : total ? 'pass' : null;
    const value = s.rootValue !== null ? `${s.root} ${formatNumber(s.rootValue)}` : s.errors ? `${s.errors} error${s.errors > 1 ? 's' : ''}` : 'no root';
    // Not a spinning icon: an animation redraws the window every frame, and the checks of a deep
    // net run for seconds after every keystroke — CPU the next keystroke's values wait for.
    const verdict = s.checking ? ' · $(sync) checking' : v ? ` · ${VERDICT_MARK[v]} ${v}` : '';
    this.item.text = `$(pulse) ${value}${verdict}`;
    this.item.tooltip = new vscode.MarkdownString(
      `**GradLens** · ${file}\n\n${s.rootValue !== null ? `\`${s.root}\` = ${formatNumber(s.rootValue)}\n\n` : ''}${s.checking ? 'gradient checks running' : `${total} gradient checks${v ? `, worst: ${v}` : ''}`} · ${s.errors} errors · analysed in ${Math.round(s.totalMs)} ms\n\nClick to open the dashboard.`,
    );
    this.item.backgroundColor = v === 'fail' || s.errors ? new vscode.ThemeColor('statusBarItem.errorBackground') : v === 'warn' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }
}
