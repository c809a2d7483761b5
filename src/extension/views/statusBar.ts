// Status bar: the root's value and the overall gradient-check verdict of the active file, from
// the summary the server sends with every analysis; a click opens the dashboard.
import { formatNumber } from '../../core';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { Throttle } from '../throttle';
import type { AnalysisSummary } from '../../shared/serverProtocol';
import { VERDICT_MARK } from '../../shared/present/text';

/**
 * How often a stream of analyses (typing) updates the item at most. Each update is a message to the
 * window, and the summary comes with every analysis — several per keystroke; the values at the line
 * ends are what follows the keystroke, the status bar is read at a glance.
 */
export const STATUS_MIN_INTERVAL_MS = 250;

export class StatusBar extends Disposable {
  private readonly item = this.register(vscode.window.createStatusBarItem('gradlens.status', vscode.StatusBarAlignment.Left, 100));
  /** What the item was last given (each assignment sends the whole item to the window). */
  private last: { text: string; tooltip: string; background: string | undefined } | undefined;
  private visible = false;
  private readonly throttled = new Throttle(STATUS_MIN_INTERVAL_MS, (file: string, s: AnalysisSummary) => this.show(file, s, true));

  constructor() {
    super();
    this.item.name = 'GradLens';
    this.item.command = 'gradlens.openDashboard';
    this.register({ dispose: () => this.throttled.cancel() });
  }

  /** The active file's summary (undefined: not analysed yet); hidden when the active editor is not a .grad file. */
  show(file: string | undefined, s: AnalysisSummary | undefined, active: boolean): void {
    this.throttled.cancel();
    // show() and hide() send a message too, even when nothing changes.
    if (!active) {
      if (this.visible) this.item.hide();
      this.visible = false;
      return;
    }
    this.render(file ?? '', s);
    if (!this.visible) this.item.show();
    this.visible = true;
  }

  /** A new summary of the active file: shown at once, or with the latest of a burst (STATUS_MIN_INTERVAL_MS). */
  update(file: string, s: AnalysisSummary): void {
    this.throttled.call(file, s);
  }

  private set(text: string, tooltip: string, background: string | undefined, markdown: boolean): void {
    const l = this.last;
    if (l && l.text === text && l.tooltip === tooltip && l.background === background) return;
    this.last = { text, tooltip, background };
    this.item.text = text;
    this.item.tooltip = markdown ? new vscode.MarkdownString(tooltip) : tooltip;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
  }

  private render(file: string, s: AnalysisSummary | undefined): void {
    if (!s) {
      this.set('$(sync) GradLens', 'GradLens: analysing…', undefined, false);
      return;
    }
    const total = s.checks.fail + s.checks.warn + s.checks.pass;
    const v = s.checks.fail ? 'fail' : s.checks.warn ? 'warn' : total ? 'pass' : null;
    const value = s.rootValue !== null ? `${s.root} ${formatNumber(s.rootValue)}` : s.errors ? `${s.errors} error${s.errors > 1 ? 's' : ''}` : 'no root';
    // Not a spinning icon: an animation redraws the window every frame, and the checks of a deep
    // net run for seconds after every keystroke — CPU the next keystroke's values wait for.
    const verdict = s.checking ? ' · $(sync) checking' : v ? ` · ${VERDICT_MARK[v]} ${v}` : '';
    this.set(
      `$(pulse) ${value}${verdict}`,
      `**GradLens** · ${file}\n\n${s.rootValue !== null ? `\`${s.root}\` = ${formatNumber(s.rootValue)}\n\n` : ''}${s.checking ? 'gradient checks running' : `${total} gradient checks${v ? `, worst: ${v}` : ''}`} · ${s.errors} errors · analysed in ${Math.round(s.totalMs)} ms\n\nClick to open the dashboard.`,
      v === 'fail' || s.errors ? 'statusBarItem.errorBackground' : v === 'warn' ? 'statusBarItem.warningBackground' : undefined,
      true,
    );
  }
}
