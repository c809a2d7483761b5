// Code lenses: above each gate its check verdict with the actions Check, Derive backward and Show
// in graph; above each statement its value and gradient only when `gradlens.codeLens.values` asks
// for them (by default the values are at the line ends). The commands are the extension's; other
// clients show the titles.
import { formatNumber } from '../../core';
import { CodeLensRefreshRequest, type CodeLens } from 'vscode-languageserver';
import type { ServerContext } from '../context';
import { gateVerdictTitle, nodeLensTitle } from '../../shared/present/titles';
import { shapeText } from '../../shared/present/text';
import { RefreshPolicy } from './refreshPolicy';

export function registerCodeLenses(ctx: ServerContext): RefreshPolicy {
  const policy = new RefreshPolicy(() => {
    if (ctx.client.codeLensRefresh) void ctx.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  });
  ctx.connection.onCodeLens(async ({ textDocument }) => {
    const doc = ctx.documents.get(textDocument.uri);
    const settings = ctx.settings();
    if (!doc || settings.codeLensDetail === 'off') return [];
    const r = await policy.serve(doc.uri, doc.version, () => ctx.analyses.whenCurrent(doc.uri, doc.version, 1000));
    if (!r) return [];
    const a = r.analysis;
    const uri = doc.uri;
    const lenses: CodeLens[] = [];
    const lens = (range: CodeLens['range'], title: string, command: string, args: unknown[] = []) => lenses.push({ range, command: { title, command, arguments: args } });
    if (settings.codeLensValues) {
      for (const n of a.nodes) lens(n.statementRange, nodeLensTitle(n, a.root, settings.codeLensDetail), 'gradlens.showInGraph', [uri, n.name]);
    }
    for (const g of a.gates) {
      const verdict = gateVerdictTitle(g, a);
      if (verdict) lens(g.headerRange, verdict, 'gradlens.checkGate', [uri, g.name]);
      lens(g.headerRange, 'Check', 'gradlens.checkGate', [uri, g.name]);
      lens(g.headerRange, 'Derive backward', 'gradlens.deriveBackward', [uri, g.name]);
      lens(g.headerRange, 'Show in graph', 'gradlens.showInGraph', [uri, g.name]);
      if (!settings.codeLensValues || settings.codeLensDetail !== 'full') continue;
      // Values at the first call, above the gate's own lines.
      for (const l of g.locals) {
        if (l.role === 'input' || l.role === 'upstream' || !l.valueStats || !l.shape) continue;
        const v = l.valueStats;
        const title = l.shape.length === 0 ? `value ${formatNumber(v.mean)} (first call)` : `${shapeText(l.dims)} · ‖v‖ ${formatNumber(v.norm)}${l.gradStats ? ` · ‖∂‖ ${formatNumber(l.gradStats.norm)}` : ''} (first call)`;
        lens(l.range, title, '');
      }
    }
    return lenses;
  });
  return policy;
}
