// The outline of a file (document symbols, hierarchical: a gate holds its inputs, body lines and
// backward block) and a search over the outlines of several files (workspace symbols).
import type { Assign, GateDecl, TensorDecl } from '../lang/ast';
import { joinSpans, type Range, type Span } from '../text';
import { ideDocument, typeText, type IdeDocument } from './document';
import { gateParamLabel } from './signatures';

export type OutlineKind = 'input' | 'param' | 'const' | 'node' | 'dim' | 'seed' | 'gate' | 'gateInput' | 'gateOutput' | 'gateLocal' | 'gradient' | 'backward';

/** The LSP SymbolKind that fits each outline kind (Variable 13, Field 8, Constant 14, …). */
export const LSP_SYMBOL_KIND: Record<OutlineKind, number> = {
  input: 13,
  param: 8,
  const: 14,
  node: 13,
  dim: 26,
  seed: 16,
  gate: 12,
  gateInput: 13,
  gateOutput: 13,
  gateLocal: 13,
  gradient: 13,
  backward: 3,
};

export interface DocumentSymbol {
  name: string;
  kind: OutlineKind;
  lspKind: number;
  /** The shape (`[D, H]`, `int[N]`), a dimension's size, a gate's signature. */
  detail: string;
  range: Range;
  /** The name, inside `range`. */
  selectionRange: Range;
  children: DocumentSymbol[];
}

export interface WorkspaceSymbol {
  name: string;
  kind: OutlineKind;
  lspKind: number;
  uri: string;
  range: Range;
  /** The gate holding a gate-local name. */
  containerName?: string;
}

export function documentSymbols(text: string): DocumentSymbol[] {
  return outline(ideDocument(text), true);
}

function outline(doc: IdeDocument, withTypes: boolean): DocumentSymbol[] {
  const sym = (name: string, kind: OutlineKind, detail: string, range: Span, selection: Span, children: DocumentSymbol[] = []): DocumentSymbol => ({
    name,
    kind,
    lspKind: LSP_SYMBOL_KIND[kind],
    detail,
    range: doc.range(range),
    selectionRange: doc.range(selection),
    children,
  });
  const topType = (name: string) => {
    const t = withTypes ? doc.types.top.get(name) : undefined;
    return t ? typeText(t) : '';
  };
  const out: DocumentSymbol[] = [];
  for (const s of doc.program.statements) {
    switch (s.kind) {
      case 'decl':
        out.push(sym(s.name, s.declKind, declType(s) ?? topType(s.name), s.span, s.nameSpan));
        break;
      case 'assign':
        out.push(sym(s.name, 'node', topType(s.name), s.span, s.nameSpan));
        break;
      case 'dims':
        for (const d of s.items) out.push(sym(d.name, 'dim', `= ${d.value}`, joinSpans(d.nameSpan, d.valueSpan), d.nameSpan));
        break;
      case 'seed':
        out.push(sym('seed', 'seed', String(s.value), s.span, s.span));
        break;
      case 'gate':
        out.push(gateSymbol(doc, s, withTypes, sym));
        break;
      default:
        break;
    }
  }
  return out;
}

function declType(s: TensorDecl): string | null {
  if (!s.type?.shape) return null;
  return `${s.type.isInt ? 'int' : ''}[${s.type.shape.map((d) => (d.kind === 'name' ? d.name : d.value)).join(', ')}]`;
}

type Make = (name: string, kind: OutlineKind, detail: string, range: Span, selection: Span, children?: DocumentSymbol[]) => DocumentSymbol;

function gateSymbol(doc: IdeDocument, g: GateDecl, withTypes: boolean, sym: Make): DocumentSymbol {
  const types = withTypes ? doc.types.gates.get(g.name) : undefined;
  const local = (a: Assign, kind: OutlineKind) => {
    const t = types?.get(a.name);
    return sym(a.name, kind, t ? typeText(t) : '', a.span, a.nameSpan);
  };
  const children: DocumentSymbol[] = g.params.map((p) => sym(p.name, 'gateInput', gateParamLabel(p).slice(p.name.length + 2), p.span, p.nameSpan));
  for (const a of g.body) children.push(local(a, a.name === g.output.name ? 'gateOutput' : 'gateLocal'));
  if (g.backward) {
    const b = g.backward;
    children.push(sym('backward', 'backward', '', b.span, b.keywordSpan, b.body.map((a) => local(a, 'gradient'))));
  }
  const signature = `(${g.params.map((p) => p.name).join(', ')}) -> ${g.output.name}`;
  return sym(g.name, 'gate', signature, g.span, g.nameSpan, children);
}

/**
 * Symbols of several files matching a query: a prefix match ranks first, then a substring, then
 * the query's letters in order (`tln` finds `two_layer_net`); case is ignored.
 */
export function workspaceSymbols(files: { uri: string; text: string }[], query: string): WorkspaceSymbol[] {
  const q = query.toLowerCase();
  const found: { s: WorkspaceSymbol; score: number }[] = [];
  for (const f of files) {
    const doc = ideDocument(f.text);
    const visit = (s: DocumentSymbol, container: string | undefined) => {
      const score = matchScore(s.name.toLowerCase(), q);
      if (score >= 0 && s.kind !== 'backward') {
        found.push({ s: { name: s.name, kind: s.kind, lspKind: s.lspKind, uri: f.uri, range: s.selectionRange, ...(container ? { containerName: container } : {}) }, score });
      }
      for (const c of s.children) visit(c, s.kind === 'gate' ? s.name : container);
    };
    for (const s of outline(doc, false)) visit(s, undefined);
  }
  found.sort((a, b) => a.score - b.score || a.s.name.localeCompare(b.s.name) || a.s.uri.localeCompare(b.s.uri));
  return found.map((x) => x.s);
}

/** 0 exact, 1 prefix, 2 substring, 3 letters in order; -1 no match. */
export function matchScore(name: string, q: string): number {
  if (!q) return 1;
  if (name === q) return 0;
  if (name.startsWith(q)) return 1;
  if (name.includes(q)) return 2;
  let j = 0;
  for (let i = 0; i < name.length && j < q.length; i++) if (name[i] === q[j]) j++;
  return j === q.length ? 3 : -1;
}
