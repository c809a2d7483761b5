// Sidebar "Graph": the active file's inputs, params, consts, nodes and gates, each with its shape
// and gradient norm, an icon for its health or check status; a click reveals the line.
import { formatNumber } from '../../core';
import * as vscode from 'vscode';
import type { Analysis, GateLocal, NodeResult } from '../../core';
import type { DocumentAnalysis } from '../client/analysisClient';
import { AnalysisTree } from './analysisTree';
import { toRange } from '../convert';
import { shapeText, VERDICT_MARK, worstVerdict } from '../../shared/present/text';
import { nodeMarkdown } from '../../shared/present/hoverText';

type Item =
  | { kind: 'group'; label: string; nodes: NodeResult[] }
  | { kind: 'gates' }
  | { kind: 'node'; node: NodeResult }
  | { kind: 'gate'; name: string }
  | { kind: 'local'; gate: string; local: GateLocal };

const GROUPS: [string, NodeResult['kind']][] = [
  ['Inputs', 'input'],
  ['Parameters', 'param'],
  ['Constants', 'const'],
  ['Nodes', 'node'],
];

export class GraphTree extends AnalysisTree<Item> {

  get analysis(): DocumentAnalysis | undefined {
    return this.current;
  }

  getChildren(item?: Item): Item[] {
    const a = this.current?.analysis;
    if (!a) return [];
    if (!item) {
      const groups: Item[] = GROUPS.map(([label, kind]) => ({ kind: 'group' as const, label, nodes: a.nodes.filter((n) => n.kind === kind) })).filter((g) => g.nodes.length > 0);
      if (a.gates.length) groups.push({ kind: 'gates' });
      return groups;
    }
    if (item.kind === 'group') return item.nodes.map((node) => ({ kind: 'node', node }));
    if (item.kind === 'gates') return a.gates.map((g) => ({ kind: 'gate', name: g.name }));
    if (item.kind === 'gate') return (a.gates.find((g) => g.name === item.name)?.locals ?? []).map((local) => ({ kind: 'local', gate: item.name, local }));
    return [];
  }

  getTreeItem(item: Item): vscode.TreeItem {
    const r = this.current;
    const a = r?.analysis as Analysis;
    switch (item.kind) {
      case 'group': {
        const t = new vscode.TreeItem(item.label, vscode.TreeItemCollapsibleState.Expanded);
        t.description = String(item.nodes.length);
        return t;
      }
      case 'gates': {
        const t = new vscode.TreeItem('Gates', vscode.TreeItemCollapsibleState.Expanded);
        t.description = String(a.gates.length);
        return t;
      }
      case 'node': {
        const n = item.node;
        const t = new vscode.TreeItem(n.name, vscode.TreeItemCollapsibleState.None);
        const grad = n.gradStats ? ` · ‖∂‖ ${formatNumber(n.gradStats.norm)}` : '';
        t.description = `${shapeText(n.dims)}${n.shape.length === 0 && n.value ? ` = ${formatNumber(n.value[0])}` : ''}${grad}`;
        t.tooltip = new vscode.MarkdownString(nodeMarkdown(n, a, (r as DocumentAnalysis).thresholds));
        t.iconPath = this.statusIcon(a, toRange(n.statementRange), n.kind === 'param' ? 'symbol-field' : n.kind === 'node' ? 'symbol-variable' : 'symbol-constant');
        t.command = reveal(r as DocumentAnalysis, toRange(n.range));
        t.id = `node:${n.name}`;
        t.contextValue = 'node';
        return t;
      }
      case 'gate': {
        const g = a.gates.find((x) => x.name === item.name);
        const checks = a.gradchecks.filter((c) => c.target.startsWith(`${item.name}.`));
        const v = worstVerdict(checks);
        const t = new vscode.TreeItem(item.name, vscode.TreeItemCollapsibleState.Collapsed);
        t.description = g?.backwardRange ? (v ? `${VERDICT_MARK[v]} ${v}` : 'backward') : 'autodiff';
        t.iconPath = new vscode.ThemeIcon(v === 'fail' ? 'error' : v === 'warn' ? 'warning' : 'symbol-function', new vscode.ThemeColor(v === 'fail' ? 'errorForeground' : v === 'warn' ? 'editorWarning.foreground' : 'symbolIcon.functionForeground'));
        if (g) t.command = reveal(r as DocumentAnalysis, toRange(g.headerRange));
        t.id = `gate:${item.name}`;
        return t;
      }
      case 'local': {
        const l = item.local;
        const t = new vscode.TreeItem(l.name, vscode.TreeItemCollapsibleState.None);
        t.description = `${shapeText(l.dims)}${l.gradStats ? ` · ‖∂‖ ${formatNumber(l.gradStats.norm)}` : ''}`;
        t.iconPath = this.statusIcon(a, toRange(l.range), l.role === 'backward' || l.role === 'upstream' ? 'arrow-left' : 'symbol-variable');
        t.command = reveal(r as DocumentAnalysis, toRange(l.range));
        t.id = `local:${item.gate}:${l.name}`;
        return t;
      }
    }
  }

  /** An error/warning icon when a diagnostic sits on the item's line, else the kind's icon. */
  private statusIcon(a: Analysis, range: vscode.Range, fallback: string): vscode.ThemeIcon {
    const d = a.diagnostics.filter((x) => toRange(x.range).intersection(range));
    if (d.some((x) => x.severity === 'error')) return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    if (d.some((x) => x.severity === 'warning')) return new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
    return new vscode.ThemeIcon(fallback);
  }
}

export function reveal(r: DocumentAnalysis, range: vscode.Range): vscode.Command {
  return { command: 'gradlens.revealNode', title: 'Reveal', arguments: [r.uri, range] };
}
