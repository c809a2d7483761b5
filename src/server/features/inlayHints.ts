// Inlay hints: the inferred shape after every name that was not given one. They need shapes only:
// a request answers from the shapes phase, which comes long before the values on a big net, so the
// client lays the hints out before the values arrive rather than in their frame; and a later phase
// of the same text, whose hints are the same, asks the client for no refresh.
import { InlayHintKind, InlayHintRefreshRequest, type InlayHint } from 'vscode-languageserver';
import type { Position, Range } from '../../core';
import type { ServerContext } from '../context';
import type { DocumentAnalysis } from '../documentAnalyses';
import { contains } from '../../shared/present/symbolAt';
import { shapeText, sizesText } from '../../shared/present/text';
import { RefreshPolicy } from './refreshPolicy';

interface ShapeHint {
  at: Position;
  dims: string[];
  shape: number[] | null;
}

/** Every name without a written shape, with its inferred one (scalars are left out: their values say enough). */
function shapeHints(r: DocumentAnalysis): ShapeHint[] {
  const out: ShapeHint[] = [];
  for (const n of r.analysis.nodes) if (!n.shapeWritten && n.dims.length > 0) out.push({ at: n.range.end, dims: n.dims, shape: n.shape });
  for (const g of r.analysis.gates) for (const l of g.locals) if (!l.shapeWritten && l.dims.length > 0) out.push({ at: l.range.end, dims: l.dims, shape: l.shape });
  return out;
}

const hintsKey = (r: DocumentAnalysis) => shapeHints(r).map((h) => `${h.at.line}:${h.at.character}:${h.dims.join(',')}:${h.shape?.join(',') ?? ''}`).join(';');

export function registerInlayHints(ctx: ServerContext): RefreshPolicy {
  const policy = new RefreshPolicy(
    () => {
      if (ctx.client.inlayHintRefresh) void ctx.connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
    },
    (a, b) => hintsKey(a) === hintsKey(b),
  );
  ctx.connection.languages.inlayHint.on(async ({ textDocument, range }) => {
    const doc = ctx.documents.get(textDocument.uri);
    if (!doc || !ctx.settings().inlayHints) return [];
    const r = await policy.serve(doc.uri, doc.version, () => ctx.analyses.whenCurrent(doc.uri, doc.version, 1000, 'shapes'));
    if (!r) return [];
    return shapeHints(r)
      .filter((h) => contains(range as Range, h.at))
      .map((h): InlayHint => ({ position: h.at, label: `: ${shapeText(h.dims)}`, kind: InlayHintKind.Type, paddingLeft: false, ...(h.shape ? { tooltip: sizesText(h.shape) } : {}) }));
  });
  return policy;
}
