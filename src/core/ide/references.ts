// Go to definition, find references and document highlights, all from the symbol index. An
// operation has no definition in the file, but its references are its calls.
import type { Range } from '../text';
import { mentionAt, occurrenceAt, type IdeSymbol, type Occurrence, type SymbolKind } from './binder';
import { ideDocument, type IdeDocument } from './document';

export interface SymbolAtResult {
  name: string;
  kind: SymbolKind;
  /** The name under the cursor. */
  range: Range;
  /** Where it is defined; null for `d<out>`, which the gate's header defines implicitly. */
  definition: Range | null;
  /** The gate whose scope holds it, or null at the top level. */
  gate: string | null;
}

export type HighlightKind = 'read' | 'write' | 'text';

export interface DocumentHighlight {
  range: Range;
  /** `write` for definitions and assignments, `read` for uses, `text` for calls of an operation. */
  kind: HighlightKind;
}

export function symbolAt(text: string, offset: number): SymbolAtResult | null {
  const doc = ideDocument(text);
  const o = occurrenceAt(doc.index, offset);
  if (!o) return null;
  const s = o.symbol;
  const def = definitionSpan(s);
  return { name: s.name, kind: s.kind, range: doc.range(o.span), definition: def ? doc.range(def) : null, gate: s.gate?.name ?? null };
}

/** The definition of `d<out>` is the gate's output in the header. */
function definitionSpan(s: IdeSymbol) {
  return s.decls[0] ?? (s.kind === 'upstream' ? (s.gradientOf?.decls[0] ?? null) : null);
}

export function definition(text: string, offset: number): Range | null {
  const doc = ideDocument(text);
  const o = occurrenceAt(doc.index, offset);
  const def = o ? definitionSpan(o.symbol) : null;
  return def ? doc.range(def) : null;
}

/** Occurrences of the symbol at the offset, in source order, or the calls of the op there. */
function related(doc: IdeDocument, offset: number): { occurrences: Occurrence[] } | { calls: Range[] } | null {
  const o = occurrenceAt(doc.index, offset);
  if (o) return { occurrences: doc.index.occurrences.filter((x) => x.symbol === o.symbol) };
  const m = mentionAt(doc.index, offset);
  if (m && m.kind === 'op') return { calls: doc.index.mentions.filter((x) => x.kind === 'op' && x.name === m.name).map((x) => doc.range(x.span)) };
  return null;
}

export function findReferences(text: string, offset: number, includeDeclaration: boolean): Range[] {
  const doc = ideDocument(text);
  const r = related(doc, offset);
  if (!r) return [];
  if ('calls' in r) return r.calls;
  return r.occurrences.filter((o) => includeDeclaration || o.role !== 'decl').map((o) => doc.range(o.span));
}

export function documentHighlights(text: string, offset: number): DocumentHighlight[] {
  const doc = ideDocument(text);
  const r = related(doc, offset);
  if (!r) return [];
  if ('calls' in r) return r.calls.map((range) => ({ range, kind: 'text' }));
  return r.occurrences.map((o) => ({ range: doc.range(o.span), kind: o.role === 'read' ? 'read' : 'write' }));
}
