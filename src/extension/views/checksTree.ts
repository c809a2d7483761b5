// Sidebar "Gradient Checks": every check with its verdict; expand for the worst entries.
import * as vscode from 'vscode';
import type { GradCheckEntry, GradCheckResult } from '../../core';
import { entryIsOff } from '../../core';
import type { DocumentAnalysis } from '../client/analysisClient';
import { AnalysisTree } from './analysisTree';
import { toRange } from '../convert';
import { checkRowText, entryRowText, entryTooltip } from '../../shared/present/titles';
import { checkMarkdown } from '../../shared/present/hoverText';
import { reveal } from './graphTree';

type Item = { kind: 'check'; check: GradCheckResult } | { kind: 'entry'; check: GradCheckResult; entry: GradCheckEntry };

const ICONS: Record<GradCheckResult['verdict'], [string, string]> = {
  pass: ['pass', 'testing.iconPassed'],
  'ok-if-kinked': ['pass', 'testing.iconPassed'],
  warn: ['warning', 'editorWarning.foreground'],
  fail: ['error', 'testing.iconFailed'],
};

export class ChecksTree extends AnalysisTree<Item> {

  getChildren(item?: Item): Item[] {
    const a = this.current?.analysis;
    if (!a) return [];
    if (!item) {
      // Gate checks first (they point at the bug), failures before passes.
      const rank = { fail: 0, warn: 1, 'ok-if-kinked': 2, pass: 3 };
      return [...a.gradchecks]
        .sort((x, y) => Number(!x.target.includes('.')) - Number(!y.target.includes('.')) || rank[x.verdict] - rank[y.verdict])
        .map((check) => ({ kind: 'check', check }));
    }
    if (item.kind === 'check') return item.check.worst.map((entry) => ({ kind: 'entry', check: item.check, entry }));
    return [];
  }

  getTreeItem(item: Item): vscode.TreeItem {
    const r = this.current as DocumentAnalysis;
    if (item.kind === 'check') {
      const c = item.check;
      const t = new vscode.TreeItem(c.target, c.worst.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
      // Fits the default sidebar width beside the name; the icon is the verdict, the tooltip the details.
      t.description = c.notRun ? c.notRun : checkRowText(c);
      const [icon, color] = ICONS[c.verdict];
      t.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
      t.tooltip = new vscode.MarkdownString(checkMarkdown(c, r.thresholds));
      t.command = reveal(r, toRange(c.range));
      t.id = `check:${c.target}`;
      return t;
    }
    const e = item.entry;
    const t = new vscode.TreeItem(`[${e.index.join(', ')}]`, vscode.TreeItemCollapsibleState.None);
    t.description = entryRowText(e);
    t.tooltip = entryTooltip(e, item.check.h);
    t.iconPath = new vscode.ThemeIcon(e.kinkCrossed ? 'debug-breakpoint-conditional-unverified' : entryIsOff(e, r.thresholds) ? 'circle-filled' : 'circle-outline');
    t.command = reveal(r, toRange(item.check.range));
    return t;
  }
}
