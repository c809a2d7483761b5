// Completion: what may be written at the cursor, from the scope rules and the op table. Ops with
// their summary and a snippet of their required arguments; names in scope with their shape (a gate
// sees only its own names); dimensions inside shapes; keyword arguments not yet given; inits after
// `~`; keywords at the start of a statement; the `d<input> = ` lines a backward block still owes.
import { RANDOM_INITS } from '../engine/init';
import type { TensorDecl } from '../lang/ast';
import type { OpDef, ParamSpec } from '../ops/op';
import { FUNCTIONS } from '../ops/registry';
import type { Range } from '../text';
import type { IdeSymbol } from './binder';
import { cursorContext, isOperandEnd, type CallSite, type CursorContext } from './context';
import { completionDocument, typeText, type IdeDocument } from './document';
import { gateSignature, initSpec, opMarkdown, opUsage, paramDocumentation, paramUsage } from './signatures';

export type CompletionKind = 'op' | 'gate' | 'tensor' | 'dim' | 'keyword' | 'kwarg' | 'init' | 'gradient';

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  insertText: string;
  /** insertText is a snippet with `${1:x}` placeholders. */
  snippet: boolean;
  sortText: string;
  /** The word being completed, which the item replaces. */
  range: Range;
}

type Item = Omit<CompletionItem, 'range' | 'sortText'> & { group: number };

// Sort groups: what fits the slot best first.
const G_KWARG_FIRST = 0;
const G_NAME = 1;
const G_GRADIENT = 2;
const G_GATE = 3;
const G_OP = 4;
const G_DIM = 5;
const G_KWARG_LATE = 6;
const G_KEYWORD = 7;

const STATEMENT_KEYWORDS: Record<string, string> = {
  input: 'data: `input X: [N, D]` (random normal by default), `input y: int[N] in 0..C`, `input x = -2`',
  param: 'a learnable tensor: `param W: [D, H] ~ he`',
  const: 'a constant, never differentiated: `const reg = 1e-3`',
  dims: 'named dimensions and their sizes: `dims N = 4, D = 10`',
  seed: 'the seed of every random init: `seed 42`',
  gate: 'a gate with an optional hand-written backward pass: `gate affine(X: [N, D], W: [D, M]) -> out: [N, M] { … }`',
  expect: 'a check: `expect shape h == [N, H]`, `expect value f == -12`, `expect grad x ~= 0.2`',
};

export function complete(text: string, offset: number): CompletionItem[] {
  const doc = completionDocument(text, offset);
  const ctx = cursorContext(doc, offset);
  if (ctx.inComment || /^[0-9]/.test(ctx.word)) return [];
  const range = doc.lineMap.range({ start: ctx.wordStart, end: offset });
  const word = ctx.word.toLowerCase();
  return collect(doc, ctx)
    .filter((it) => matches(it.label.toLowerCase(), word))
    .map(({ group, ...it }) => ({ ...it, sortText: `${group}${it.label.toLowerCase()}`, range }));
}

/** The first letter must match; the rest of the word must appear in order (as editors filter). */
function matches(label: string, word: string): boolean {
  if (!word) return true;
  if (label[0] !== word[0]) return false;
  let j = 1;
  for (let i = 1; i < label.length && j < word.length; i++) if (label[i] === word[j]) j++;
  return j === word.length;
}

function collect(doc: IdeDocument, ctx: CursorContext): Item[] {
  const { before } = ctx;
  const inner = ctx.stack[ctx.stack.length - 1];
  if (inner?.kind === 'type') return dimItems(doc, ctx);
  if (before.length === 0) return statementStart(doc, ctx);
  const head = before[0];
  const last = before[before.length - 1];
  if (head.kind === 'keyword') {
    switch (head.text) {
      case 'input':
      case 'param':
      case 'const':
        if (last.text === '~' && last.kind === 'punct') return initItems();
        if (last.text === 'in' || last.text === '..') return dimItems(doc, ctx);
        return [];
      case 'expect':
        if (before.length === 1) return ['shape', 'value', 'grad'].map((w) => keywordItem(w, `expect ${w} …`));
        if (before.length === 2) return topNames(doc, ctx.statementStart); // defined above, as every use
        return [];
      default:
        return [];
    }
  }
  if (head.kind === 'ident' && before[1]?.text === '=' && before.length >= 2) return expressionItems(doc, ctx);
  return [];
}

function keywordItem(word: string, documentation: string): Item {
  return { label: word, kind: 'keyword', detail: 'keyword', documentation, insertText: `${word} `, snippet: false, group: G_KEYWORD };
}

function statementStart(doc: IdeDocument, ctx: CursorContext): Item[] {
  const block = ctx.block;
  if (!block) {
    const hasSeed = doc.program.statements.some((s) => s.kind === 'seed');
    return Object.entries(STATEMENT_KEYWORDS)
      .filter(([k]) => !(k === 'seed' && hasSeed))
      .map(([k, d]) => keywordItem(k, d));
  }
  const gate = block.gate;
  if (!gate) return [];
  const scope = doc.declarations.scopes.get(gate);
  if (block.kind === 'gate') {
    const items: Item[] = [];
    if (!gate.body.some((a) => a.name === gate.output.name)) {
      items.push({ label: gate.output.name, kind: 'tensor', detail: `output of ${gate.name}`, documentation: `Assign the gate's output.`, insertText: `${gate.output.name} = `, snippet: false, group: G_NAME });
    }
    if (!gate.backward) {
      items.push({ label: 'backward', kind: 'keyword', detail: 'keyword', documentation: 'The hand-written backward pass: assigns `d<input>` for every input from `d<out>`.', insertText: 'backward {\n\t$0\n}', snippet: true, group: G_KEYWORD });
    }
    return items;
  }
  // A backward block: the input gradients it still owes, as line starters.
  const written = new Set((gate.backward?.body ?? []).filter((a) => a.span.start < ctx.statementStart || a.span.start > ctx.offset).map((a) => a.name));
  return gate.params
    .filter((p) => !p.type.isInt && !written.has(`d${p.name}`))
    .map((p) => {
      const t = scope?.names.get(p.name);
      return {
        label: `d${p.name}`,
        kind: 'gradient' as const,
        detail: `gradient of ${p.name}${t ? ` ${symbolType(doc, t) ?? ''}` : ''}`.trimEnd(),
        documentation: `The gradient of input \`${p.name}\`: it must have \`${p.name}\`'s shape.`,
        insertText: `d${p.name} = `,
        snippet: false,
        group: G_GRADIENT,
      };
    });
}

function initItems(): Item[] {
  return Object.entries(RANDOM_INITS).map(([name, spec]) => ({
    label: name,
    kind: 'init',
    detail: spec.args.length ? `${name}(${spec.args.join(', ')})` : name,
    documentation: spec.doc,
    insertText: spec.args.length ? `${name}(${spec.args.map((a, i) => `\${${i + 1}:${a}}`).join(', ')})` : name,
    snippet: spec.args.length > 0,
    group: G_NAME,
  }));
}

/** Dimension names: a gate header's own (and the file's, often reused), else the file's. */
function dimItems(doc: IdeDocument, ctx: CursorContext): Item[] {
  const items = new Map<string, Item>();
  const gate = ctx.gate;
  if (ctx.before[0]?.text === 'gate' && ctx.before[0].kind === 'keyword') {
    // A header being typed rarely parses: its dimensions so far are the names inside its brackets.
    const name = ctx.before[1]?.text ?? 'this gate';
    let depth = 0;
    for (const t of ctx.before.slice(2)) {
      if (t.text === '[' && t.kind === 'punct') depth++;
      else if (t.text === ']' && t.kind === 'punct') depth--;
      else if (depth > 0 && t.kind === 'ident') items.set(t.text, { label: t.text, kind: 'dim', detail: `dimension of ${name}`, insertText: t.text, snippet: false, group: G_NAME });
    }
  } else if (gate) {
    const scope = doc.declarations.scopes.get(gate);
    for (const [name] of scope?.dims ?? []) items.set(name, { label: name, kind: 'dim', detail: `dimension of ${gate.name}`, insertText: name, snippet: false, group: G_NAME });
    if (ctx.block) return [...items.values()]; // inside the body only the gate's own dimensions exist
  }
  const group = items.size > 0 || gate ? G_DIM : G_NAME; // the gate's own first
  for (const s of doc.program.statements) {
    if (s.kind !== 'dims') continue;
    for (const d of s.items) if (!items.has(d.name)) items.set(d.name, { label: d.name, kind: 'dim', detail: `dimension = ${d.value}`, insertText: d.name, snippet: false, group });
  }
  return [...items.values()];
}

function symbolType(doc: IdeDocument, s: IdeSymbol): string | null {
  const def = s.def;
  if (def && 'kind' in def && def.kind === 'decl' && def.type?.shape) {
    return `${def.type.isInt ? 'int' : ''}[${def.type.shape.map((d) => (d.kind === 'name' ? d.name : d.value)).join(', ')}]`;
  }
  const t = s.gate ? doc.typesForDetails.gates.get(s.gate.name)?.get(s.name) : doc.typesForDetails.top.get(s.name);
  return t ? typeText(t) : null;
}

const KIND_WORD: Partial<Record<IdeSymbol['kind'], string>> = {
  input: 'input',
  param: 'param',
  const: 'const',
  node: 'node',
  gateInput: 'input',
  gateOutput: 'output',
  gateLocal: 'intermediate',
  gradient: 'gradient',
  upstream: 'upstream gradient',
};

// Items of names are built once per definition and set of types (a large file has thousands). A
// document built after a keystroke shares the statements before the edit with the last one (its
// symbols are new, their definitions are not), so the key is the defining statement: its name and
// kind are the statement's own, and gradient links are fixed by the gate that holds it.
const nameItems = new WeakMap<object, WeakMap<object, Item>>();

function nameItem(doc: IdeDocument, s: IdeSymbol): Item {
  const types = doc.typesForDetails;
  let memo = nameItems.get(types);
  if (!memo) nameItems.set(types, (memo = new WeakMap()));
  const key = s.def && s.kind !== 'gateDim' && s.kind !== 'upstream' ? s.def : s;
  let item = memo.get(key);
  if (!item) memo.set(key, (item = buildNameItem(doc, s)));
  return item;
}

function buildNameItem(doc: IdeDocument, s: IdeSymbol): Item {
  const t = symbolType(doc, s);
  const gradient = s.kind === 'gradient' || s.kind === 'upstream';
  const what = s.gradientOf ? `${s.kind === 'upstream' ? 'upstream gradient' : 'gradient'} of ${s.gradientOf.name}` : (KIND_WORD[s.kind] ?? s.kind);
  return { label: s.name, kind: gradient ? 'gradient' : 'tensor', detail: `${what}${t ? ` ${t}` : ''}`, insertText: s.name, snippet: false, group: gradient ? G_GRADIENT : G_NAME };
}

const TENSOR_KINDS: Record<TensorDecl['declKind'], IdeSymbol['kind']> = { input: 'input', param: 'param', const: 'const' };

/**
 * Top-level tensors defined before `limit` (a file is read top to bottom), each by its first
 * definition — the symbol index's tensors, read from the statements themselves: a keystroke's
 * document then needs no index at all (its thousands of symbols), and the items of the statements
 * it shares with the last document are found in the memo.
 */
function topNames(doc: IdeDocument, limit: number): Item[] {
  const items: Item[] = [];
  const seen = new Set<string>();
  for (const s of doc.program.statements) {
    if (s.span.start >= limit) break; // in source order, and a name comes after its statement's start
    if ((s.kind !== 'decl' && s.kind !== 'assign') || seen.has(s.name)) continue;
    seen.add(s.name);
    if (s.nameSpan.start >= limit) continue;
    const kind = s.kind === 'decl' ? TENSOR_KINDS[s.declKind] : 'node';
    items.push(nameItem(doc, { id: -1, name: s.name, kind, gate: null, decls: [s.nameSpan], def: s, gradientOf: null, gradient: null }));
  }
  return items;
}

function requiredSnippet(name: string, params: { name: string; list: boolean }[]): string {
  if (params.length === 0) return `${name}($0)`;
  return `${name}(${params.map((p, i) => (p.list ? `[\${${i + 1}:${p.name}}]` : `\${${i + 1}:${p.name}}`)).join(', ')})`;
}

const opItemCache = new Map<boolean, Item[]>();

/** Every callable op (gradient functions only inside backward blocks); built once. */
function opItems(inBackward: boolean): Item[] {
  let items = opItemCache.get(inBackward);
  if (!items) {
    items = [];
    for (const [name, overloads] of FUNCTIONS) {
      const usable = overloads.filter((op) => inBackward || !op.backwardOnly);
      if (usable.length) items.push(opItem(name, usable));
    }
    opItemCache.set(inBackward, items);
  }
  return items;
}

function opItem(name: string, overloads: readonly OpDef[]): Item {
  // The overload with the fewest required arguments gives the snippet; the docs list all.
  const required = (op: OpDef) => op.signature.filter((p) => p.default === undefined);
  const main = [...overloads].sort((a, b) => required(a).length - required(b).length)[0];
  return {
    label: name,
    kind: 'op',
    detail: overloads.map(opUsage).join(' | '),
    documentation: overloads.map((op) => (overloads.length > 1 ? `\`${opUsage(op)}\`\n\n${opMarkdown(op)}` : opMarkdown(op))).join('\n\n---\n\n'),
    insertText: requiredSnippet(name, required(main).map((p) => ({ name: p.name, list: p.kind === 'tensors' }))),
    snippet: true,
    group: G_OP,
  };
}

/** Names, gates, ops and dimensions that may appear in an expression at the cursor. */
function valueItems(doc: IdeDocument, ctx: CursorContext): Item[] {
  const items: Item[] = [];
  const gate = ctx.gate;
  const inBackward = ctx.block?.kind === 'backward';
  const visibleGatesBefore = gate ? gate.span.start : ctx.statementStart;
  if (gate) {
    const scope = doc.declarations.scopes.get(gate);
    if (scope) {
      for (const s of scope.names.values()) {
        const at = s.decls[0]?.start ?? Infinity;
        let visible: boolean;
        switch (s.kind) {
          case 'gateInput':
            visible = true;
            break;
          case 'upstream':
            visible = inBackward;
            break;
          case 'gradient':
            visible = inBackward && at < ctx.statementStart;
            break;
          case 'gateOutput': // a value once its body line has run
            visible = inBackward || gate.body.some((a) => a.name === s.name && a.span.start < ctx.statementStart);
            break;
          default:
            visible = inBackward || at < ctx.statementStart;
        }
        if (visible) items.push(nameItem(doc, s));
      }
      for (const [name] of scope.dims) items.push({ label: name, kind: 'dim', detail: `dimension of ${gate.name} (a number)`, insertText: name, snippet: false, group: G_DIM });
    }
  } else {
    items.push(...topNames(doc, ctx.statementStart));
    for (const s of doc.program.statements) {
      if (s.kind === 'dims') for (const d of s.items) items.push({ label: d.name, kind: 'dim', detail: `dimension = ${d.value} (a number)`, insertText: d.name, snippet: false, group: G_DIM });
    }
  }
  for (const s of doc.program.statements) {
    if (s.kind !== 'gate' || s.span.start >= visibleGatesBefore || FUNCTIONS.has(s.name)) continue;
    const sig = gateSignature(s);
    items.push({ label: s.name, kind: 'gate', detail: sig.label, documentation: sig.documentation, insertText: requiredSnippet(s.name, s.params.map((p) => ({ name: p.name, list: false }))), snippet: true, group: G_GATE });
  }
  items.push(...opItems(inBackward));
  return dedupe(items);
}

function dedupe(items: Item[]): Item[] {
  const seen = new Set<string>();
  return items.filter((it) => (seen.has(it.label) ? false : (seen.add(it.label), true)));
}

function expressionItems(doc: IdeDocument, ctx: CursorContext): Item[] {
  const last = ctx.before[ctx.before.length - 1];
  if (last.kind === 'punct' && last.text === '.') return [{ label: 'T', kind: 'op', detail: 'x.T', documentation: 'Transpose: reverses the axes.', insertText: 'T', snippet: false, group: G_OP }];
  if (isOperandEnd(last)) return []; // an operator comes next
  const inner = ctx.stack[ctx.stack.length - 1];
  if (inner?.kind === 'index') return [];
  const call = ctx.call;
  if (call && (call.nested.length === 0 || call.nested.every((k) => k === 'list'))) return callItems(doc, ctx, call);
  return valueItems(doc, ctx);
}

const BOOL_ITEMS: Item[] = ['true', 'false'].map((w) => ({ label: w, kind: 'keyword' as const, detail: 'bool', insertText: w, snippet: false, group: G_NAME }));

/** What fits a parameter of a given kind: tensors take values, attributes take literals. */
function itemsForParam(doc: IdeDocument, ctx: CursorContext, p: ParamSpec, inList: boolean): Item[] {
  switch (p.kind) {
    case 'tensor':
      return inList ? [] : valueItems(doc, ctx);
    case 'tensors':
      return inList ? valueItems(doc, ctx) : [];
    case 'bool':
      return inList ? [] : BOOL_ITEMS;
    case 'dim':
      return inList ? [] : dimValueItems(doc, ctx);
    case 'shape':
      return inList ? dimValueItems(doc, ctx) : [];
    default:
      return [];
  }
}

function dimValueItems(doc: IdeDocument, ctx: CursorContext): Item[] {
  return valueItems(doc, ctx).filter((it) => it.kind === 'dim').map((it) => ({ ...it, group: G_NAME }));
}

function callItems(doc: IdeDocument, ctx: CursorContext, call: CallSite): Item[] {
  const inList = call.nested.length > 0;
  const gateSymbol = FUNCTIONS.has(call.callee) ? undefined : doc.declarations.gates.get(call.callee);
  if (gateSymbol) return inList ? [] : valueItems(doc, ctx); // every gate input is a tensor
  const overloads = FUNCTIONS.get(call.callee);
  if (!overloads) return initSpec(call.callee) ? [] : valueItems(doc, ctx);
  const slotItems: Item[] = [];
  const kwargs = new Map<string, Item>();
  let slotIsTensor = false;
  for (const op of overloads) {
    const sig = op.signature;
    if (call.keyword !== null && (call.inKeywordValue || inList)) {
      const p = sig.find((q) => q.name === call.keyword);
      if (p) slotItems.push(...itemsForParam(doc, ctx, p, inList));
      continue;
    }
    const slot = call.keywordBefore ? undefined : sig[call.positionalBefore];
    if (slot && !(slot.default !== undefined && call.keywordsGiven.has(slot.name))) {
      slotItems.push(...itemsForParam(doc, ctx, slot, inList));
      if (slot.kind === 'tensor' || slot.kind === 'tensors') slotIsTensor = true;
    }
    if (inList) continue;
    sig.forEach((p, i) => {
      const givenPositionally = i < call.positionalBefore && !call.keywordBefore;
      if (givenPositionally || call.keywordsGiven.has(p.name)) return;
      if (p === slot && p.default === undefined) return; // the slot the cursor is in: written positionally
      if ((p.kind === 'tensor' || p.kind === 'tensors') && p.default === undefined) return; // passed positionally
      if (!kwargs.has(p.name)) kwargs.set(p.name, { label: `${p.name}=`, kind: 'kwarg', detail: paramUsage(p), documentation: paramDocumentation(p), insertText: `${p.name}=`, snippet: false, group: G_KWARG_FIRST });
    });
  }
  // While a tensor is still owed, names come first and keyword arguments after them.
  const kw = [...kwargs.values()].map((it) => ({ ...it, group: slotIsTensor ? G_KWARG_LATE : G_KWARG_FIRST }));
  return dedupe([...kw, ...slotItems]);
}
