// Rename, with the language's rules: every use of a name in its scope changes, gates are closed
// (renaming a gate's `W` leaves the file's `W` alone), a gate input and its gradient `dW` are one
// thing (renaming either renames both, as the output and `d<out>`), a gate's local dimensions are
// separate from the file's. Keywords, operations and numbers cannot be renamed, and a new name may
// not be a keyword, an operation, or a name its scope already has.
import type { TextEdit } from '../diagnostics';
import { KEYWORDS } from '../lang/tokens';
import { FUNCTIONS } from '../ops/registry';
import type { Range, Span } from '../text';
import { mentionAt, occurrenceAt, type IdeSymbol } from './binder';
import { ideDocument, type IdeDocument } from './document';

export type PrepareRenameResult = { range: Range; placeholder: string } | { error: string };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

const KIND_WORDS: Record<IdeSymbol['kind'], string> = {
  input: 'an input',
  param: 'a param',
  const: 'a const',
  node: 'a tensor',
  dim: 'a dimension',
  gate: 'a gate',
  gateInput: 'an input',
  gateOutput: 'the output',
  gateLocal: 'an intermediate',
  gradient: 'a gradient',
  upstream: 'the upstream gradient',
  gateDim: 'a dimension',
};

/** Why the thing at `offset` cannot be renamed, or the symbol there. */
function target(doc: IdeDocument, offset: number): { symbol: IdeSymbol; span: Span } | { error: string } {
  const o = occurrenceAt(doc.index, offset);
  if (o) return { symbol: o.symbol, span: o.span };
  const m = mentionAt(doc.index, offset);
  if (m) {
    switch (m.kind) {
      case 'op':
        return { error: `\`${m.name}\` is an operation: it cannot be renamed` };
      case 'kwarg':
        return { error: `\`${m.name}\` is an argument of \`${m.callee}\`: it cannot be renamed` };
      case 'init':
        return { error: `\`${m.name}\` is a built-in init: it cannot be renamed` };
      case 'unresolved':
        return { error: `\`${m.name}\` is not defined here: there is nothing to rename` };
    }
  }
  const t = doc.tokens[doc.tokenIndexAt(offset)];
  const prev = doc.tokens[doc.tokenIndexAt(offset) - 1];
  const tok = t && t.span.start <= offset && offset < t.span.end ? t : prev && prev.span.end === offset && prev.kind !== 'newline' ? prev : null;
  if (!tok) return { error: 'There is no name here to rename' };
  switch (tok.kind) {
    case 'keyword':
      return { error: `\`${tok.text}\` is a keyword: it cannot be renamed` };
    case 'number':
      return { error: `\`${tok.text}\` is a number: it cannot be renamed` };
    case 'ident':
      return { error: `\`${tok.text}\` is part of the syntax here: it cannot be renamed` };
    default:
      return { error: 'Only names can be renamed' };
  }
}

export function prepareRename(text: string, offset: number): PrepareRenameResult {
  const doc = ideDocument(text);
  const t = target(doc, offset);
  if ('error' in t) return t;
  return { range: doc.range(t.span), placeholder: t.symbol.name };
}

/** The symbols a rename changes, each with its new name: an input and its gradient go together. */
function plan(s: IdeSymbol, newName: string): { renames: [IdeSymbol, string][] } | { error: string } {
  const linked = s.gradientOf; // s is `dW` (or `dout`): it renames `W` (or `out`) too
  if (linked) {
    const base = newName.slice(1);
    if (!newName.startsWith('d') || !IDENT.test(base)) {
      return { error: `\`${s.name}\` is the gradient of \`${linked.name}\`: its name is \`d\` followed by \`${linked.name}\`'s, so the new name must start with \`d\` (renaming it renames \`${linked.name}\` too)` };
    }
    return { renames: [[linked, base], [s, newName]] };
  }
  if (s.gradient) return { renames: [[s, newName], [s.gradient, `d${newName}`]] };
  return { renames: [[s, newName]] };
}

function checkName(name: string): string | null {
  if (!IDENT.test(name)) return `\`${name}\` is not a valid name: use letters, digits and \`_\`, not starting with a digit`;
  if (KEYWORDS.has(name)) return `\`${name}\` is a keyword and cannot be a name`;
  if (FUNCTIONS.has(name)) return `\`${name}\` is an operation: a name cannot shadow it`;
  return null;
}

/** Another symbol of the same scope with that name (gates are closed: a gate is its own scope). */
function clash(doc: IdeDocument, s: IdeSymbol, name: string, renamed: Set<IdeSymbol>): IdeSymbol | null {
  const index = doc.index;
  const maps = s.gate && s.kind !== 'gate' ? [index.scopes.get(s.gate)?.names, index.scopes.get(s.gate)?.dims] : [index.tensors, index.dims, index.gates];
  for (const m of maps) {
    const other = m?.get(name);
    if (other && other !== s && !renamed.has(other)) return other;
  }
  return null;
}

export function rename(text: string, offset: number, newName: string): TextEdit[] | { error: string } {
  const doc = ideDocument(text);
  const t = target(doc, offset);
  if ('error' in t) return t;
  if (newName === t.symbol.name) return [];
  const p = plan(t.symbol, newName);
  if ('error' in p) return p;
  const renamed = new Set(p.renames.map(([s]) => s));
  for (const [s, name] of p.renames) {
    const bad = checkName(name);
    if (bad) return { error: s === t.symbol ? bad : `renaming \`${s.name}\` to \`${name}\` along with it: ${bad}` };
    const other = clash(doc, s, name, renamed);
    if (other) {
      const where = s.gate && s.kind !== 'gate' ? `in gate \`${s.gate.name}\`` : 'in this file';
      const line = other.decls[0] ? ` (line ${doc.position(other.decls[0].start).line + 1})` : '';
      return { error: `\`${name}\` is already ${KIND_WORDS[other.kind]} ${where}${line}${s === t.symbol ? '' : `; renaming \`${t.symbol.name}\` would also rename \`${s.name}\` to it`}` };
    }
  }
  const edits: { span: Span; newText: string }[] = [];
  for (const [s, name] of p.renames) {
    for (const o of doc.index.occurrences) if (o.symbol === s) edits.push({ span: o.span, newText: name });
  }
  edits.sort((a, b) => a.span.start - b.span.start);
  return edits.map((e) => ({ range: doc.range(e.span), newText: e.newText }));
}
