// Inlay hints: the inferred shape after every name that was not given one. They need shapes only:
// a request for new hints answers from the shapes phase, long before the values on a big net. But
// VS Code asks again after every keystroke and lays every hint out again even when they are the
// same — work for the window's one thread, right when it should draw the new values (on the
// 30-layer net: keystroke → values 140–162 ms with the hints answered at once, 119–120 with these
// waiting, paired runs in code-server). So hints that are the same as the last answer wait until
// the values phase of the text is out, and a few frames more (a cancelled request stops waiting).
// A later phase of the same text, whose hints are the same, asks the client for no refresh. A
// gate's locals have no sizes before the gate's first call (the shapes phase): their label is
// known, their sizes come when the client resolves the hint (on hover), from the latest analysis.
import { InlayHintKind, InlayHintRefreshRequest, type InlayHint } from 'vscode-languageserver';
import type { Position, Range } from '../../core';
import type { ServerContext } from '../context';
import type { DocumentAnalysis } from '../documentAnalyses';
import { contains } from '../../shared/present/symbolAt';
import { shapeText, sizesText } from '../../shared/present/text';
import { RefreshPolicy } from './refreshPolicy';

/** How long unchanged hints wait after the values phase: a few frames, so the values are drawn first. */
export const HINTS_AFTER_VALUES_MS = 50;

interface ShapeHint {
  at: Position;
  dims: string[];
  /** Concrete sizes; null while they are not known (a gate's locals before its first call). */
  shape: number[] | null;
}

/** Every name without a written shape, with its inferred one (scalars are left out: their values say enough). */
function shapeHints(r: DocumentAnalysis): ShapeHint[] {
  const out: ShapeHint[] = [];
  for (const n of r.analysis.nodes) if (!n.shapeWritten && n.dims.length > 0) out.push({ at: n.range.end, dims: n.dims, shape: n.shape });
  for (const g of r.analysis.gates) for (const l of g.locals) if (!l.shapeWritten && l.dims.length > 0) out.push({ at: l.range.end, dims: l.dims, shape: l.shape });
  return out;
}

/** What the client shows of the hints: where they are and their labels (sizes come with the tooltip, resolved). */
const hintsKey = (r: DocumentAnalysis) => shapeHints(r).map((h) => `${h.at.line}:${h.at.character}:${h.dims.join(',')}`).join(';');

/** What a hint without its sizes carries to be resolved. */
interface HintData {
  uri: string;
  line: number;
  character: number;
}

export function registerInlayHints(ctx: ServerContext): RefreshPolicy {
  const policy = new RefreshPolicy(
    () => {
      if (ctx.client.inlayHintRefresh) void ctx.connection.sendRequest(InlayHintRefreshRequest.type).catch(() => undefined);
    },
    (a, b) => hintsKey(a) === hintsKey(b),
  );
  ctx.connection.languages.inlayHint.on(async ({ textDocument, range }, token) => {
    const doc = ctx.documents.get(textDocument.uri);
    if (!doc || !ctx.settings().inlayHints) return [];
    const cancelled = () => token?.isCancellationRequested === true;
    const r = await policy.serve(
      doc.uri,
      doc.version,
      async () => {
        const shapes = await ctx.analyses.whenCurrent(doc.uri, doc.version, 1000, 'shapes');
        const before = policy.served(doc.uri);
        if (!shapes || !before || hintsKey(shapes) !== hintsKey(before)) return shapes;
        // Values of this text already out (a scroll, another editor of the file): nothing to wait for.
        const out = ctx.analyses.get(doc.uri);
        if (out && out.version >= doc.version) return out;
        // The same hints as the last answer: the client lays every one of them out again all the
        // same, in the middle of the values' way to the screen. They wait until the values are drawn.
        const values = await ctx.analyses.whenCurrent(doc.uri, doc.version, 1000, 'values');
        if (!cancelled()) await new Promise((resolve) => setTimeout(resolve, HINTS_AFTER_VALUES_MS));
        return values && values.version >= shapes.version ? values : shapes;
      },
      cancelled,
    );
    if (!r) return [];
    return shapeHints(r)
      .filter((h) => contains(range as Range, h.at))
      .map((h): InlayHint => {
        const hint: InlayHint = { position: h.at, label: `: ${shapeText(h.dims)}`, kind: InlayHintKind.Type, paddingLeft: false };
        if (h.shape) hint.tooltip = sizesText(h.shape);
        else hint.data = { uri: doc.uri, line: h.at.line, character: h.at.character } satisfies HintData;
        return hint;
      });
  });
  // The sizes of a hint served before they were known, from the latest analysis (values or later).
  ctx.connection.languages.inlayHint.resolve((hint) => {
    const data = hint.data as HintData | undefined;
    if (!data || typeof data.uri !== 'string') return hint;
    const r = ctx.analyses.get(data.uri);
    const known = r && shapeHints(r).find((h) => h.at.line === data.line && h.at.character === data.character && h.shape);
    return known?.shape ? { ...hint, tooltip: sizesText(known.shape) } : hint;
  });
  return policy;
}
