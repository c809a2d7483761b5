// Inlay hints: the inferred shape after every name that was not given one.
import { InlayHintKind, InlayHintRefreshRequest, type InlayHint } from 'vscode-languageserver';
import type { Position, Range } from '../../core';
import type { ServerContext } from '../context';
import { contains } from '../../shared/present/symbolAt';
import { shapeText, sizesText } from '../../shared/present/text';
import { RefreshPolicy } from './refreshPolicy';

export function registerInlayHints(ctx: ServerContext): RefreshPolicy {
  const policy = new RefreshPolicy(() => {
    if (ctx.client.inlayHintRefresh) void ctx.connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
  });
  ctx.connection.languages.inlayHint.on(async ({ textDocument, range }) => {
    const doc = ctx.documents.get(textDocument.uri);
    if (!doc || !ctx.settings().inlayHints) return [];
    const r = await policy.serve(doc.uri, doc.version, () => ctx.analyses.whenCurrent(doc.uri, doc.version, 1000));
    if (!r) return [];
    const hints: InlayHint[] = [];
    const add = (at: Position, dims: string[], shape: number[] | null) => {
      // Scalars are the common case in small circuits; their values say enough.
      if (!contains(range as Range, at) || dims.length === 0) return;
      hints.push({ position: at, label: `: ${shapeText(dims)}`, kind: InlayHintKind.Type, paddingLeft: false, ...(shape ? { tooltip: sizesText(shape) } : {}) });
    };
    for (const n of r.analysis.nodes) if (!n.shapeWritten) add(n.range.end, n.dims, n.shape);
    for (const g of r.analysis.gates) for (const l of g.locals) if (!l.shapeWritten) add(l.range.end, l.dims, l.shape);
    return hints;
  });
  return policy;
}
