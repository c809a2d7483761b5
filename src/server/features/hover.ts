// Hovers: a tensor's statistics, a gate's checks, an operation's gradient rule, a dimension's
// size; anywhere on a line a failing check points at, its worst entries.
import { MarkupKind, type Hover } from 'vscode-languageserver';
import type { ServerContext } from '../context';
import { checkMarkdown, gateMarkdown, localMarkdown, nodeMarkdown, opHoverMarkdown } from '../../shared/present/hoverText';
import { symbolAt } from '../../shared/present/symbolAt';

export function registerHover(ctx: ServerContext): void {
  ctx.connection.onHover(async ({ textDocument, position }): Promise<Hover | null> => {
    const doc = ctx.documents.get(textDocument.uri);
    if (!doc) return null;
    // Right after a file opens nothing has values yet (its first diagnostics may come from the
    // shapes alone): wait for them, at most a second, rather than answer nothing. Later hovers
    // answer at once from the latest values.
    const r = ctx.analyses.get(doc.uri) ?? (await ctx.analyses.whenCurrent(doc.uri, doc.version, 1000));
    if (!r) return null;
    const a = r.analysis;
    const lineText = doc.getText({ start: { line: position.line, character: 0 }, end: { line: position.line + 1, character: 0 } }).replace(/\r?\n$/, '');
    const markdown = (value: string, range?: Hover['range']): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, ...(range ? { range } : {}) });
    const sym = symbolAt(lineText, a, position);
    if (sym) {
      switch (sym.kind) {
        case 'node':
          return markdown(nodeMarkdown(sym.node, a, r.thresholds), sym.range);
        case 'local':
          return markdown(localMarkdown(sym.local, sym.gate.name, a, r.thresholds), sym.range);
        case 'op':
          return markdown(opHoverMarkdown(sym.op), sym.range);
        case 'dim':
          return markdown(`dimension **${sym.name}** = ${sym.size}`, sym.range);
        case 'gate':
          return markdown(gateMarkdown(sym.gate, a, r.thresholds), sym.range);
      }
    }
    const check = a.gradchecks.find((c) => c.verdict !== 'pass' && c.verdict !== 'ok-if-kinked' && c.range.start.line === position.line);
    return check ? markdown(checkMarkdown(check, r.thresholds)) : null;
  });
}
