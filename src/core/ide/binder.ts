// The symbol index: every name in a file bound to the symbol it means, with the scope rules of
// name resolution (lang/resolve.ts): top-level tensors and dimensions; gates, which are closed (a
// gate sees its inputs, its own intermediates, `d<out>` and its local dimensions, never the file's
// names); `d<input>` tied to its input. Unlike the resolver it also binds names that are errors
// (used before their definition, defined twice) so that rename fixes every copy, and it never
// reports: diagnostics are the analysis' job.
import type { Call, DimRef, Expr, GateDecl, GateParam, KwArg, Program, Statement, TensorDecl, Assign } from '../lang/ast';
import { gateHeaderScope } from '../lang/resolve';
import type { Token } from '../lang/tokens';
import { FUNCTIONS } from '../ops/registry';
import type { Span } from '../text';

export type SymbolKind =
  | 'input'
  | 'param'
  | 'const'
  | 'node'
  | 'dim'
  | 'gate'
  | 'gateInput'
  | 'gateOutput'
  | 'gateLocal'
  /** A name assigned in a backward block: `d<input>` or a helper such as `dz`. */
  | 'gradient'
  /** `d<out>`, the upstream gradient of a gate. */
  | 'upstream'
  | 'gateDim';

export interface IdeSymbol {
  id: number;
  name: string;
  kind: SymbolKind;
  /** The gate whose scope holds it; null at the top level (gates themselves are top-level). */
  gate: GateDecl | null;
  /** Declaration sites; the first is the definition (a name defined twice has two). */
  decls: Span[];
  /** The statement, gate input or dimension that defines it. */
  def: TensorDecl | Assign | GateParam | GateDecl | null;
  /** `d<input>` → its input, `d<out>` → the output: renaming one renames the other. */
  gradientOf: IdeSymbol | null;
  /** The reverse link: an input's (or the output's) gradient name. */
  gradient: IdeSymbol | null;
}

export type OccurrenceRole = 'decl' | 'write' | 'read';

export interface Occurrence {
  span: Span;
  symbol: IdeSymbol;
  role: OccurrenceRole;
}

/** Words that mean something but are not symbols of the file (they cannot be renamed). */
export interface Mention {
  kind: 'op' | 'kwarg' | 'init' | 'unresolved';
  name: string;
  span: Span;
  /** For a keyword argument: the function or gate called. */
  callee?: string;
}

export interface GateScope {
  decl: GateDecl;
  symbol: IdeSymbol;
  /** Tensor names of the gate: inputs, output, intermediates, backward names, d<out>. */
  names: Map<string, IdeSymbol>;
  dims: Map<string, IdeSymbol>;
  upstream: IdeSymbol;
}

export interface SymbolIndex {
  symbols: IdeSymbol[];
  /** Sorted by start. */
  occurrences: Occurrence[];
  /** Sorted by start. */
  mentions: Mention[];
  tensors: Map<string, IdeSymbol>;
  dims: Map<string, IdeSymbol>;
  gates: Map<string, IdeSymbol>;
  scopes: Map<GateDecl, GateScope>;
}

const TENSOR_KINDS: Record<TensorDecl['declKind'], SymbolKind> = { input: 'input', param: 'param', const: 'const' };

export function buildIndex(program: Program, tokens: Token[]): SymbolIndex {
  return new Binder(tokens).run(program, true);
}

/**
 * The symbols and their declarations only, without binding the uses: what completion needs,
 * at a fraction of the cost on a large file (`occurrences` then holds declaration sites only).
 */
export function buildDeclarations(program: Program, tokens: Token[]): SymbolIndex {
  return new Binder(tokens).run(program, false);
}

class Binder {
  constructor(private readonly tokens: Token[]) {}

  private readonly symbols: IdeSymbol[] = [];
  private readonly occurrences: Occurrence[] = [];
  private readonly mentions: Mention[] = [];
  private readonly tensors = new Map<string, IdeSymbol>();
  private readonly dims = new Map<string, IdeSymbol>();
  private readonly gates = new Map<string, IdeSymbol>();
  private readonly scopes = new Map<GateDecl, GateScope>();

  run(program: Program, bindUses: boolean): SymbolIndex {
    // Declarations first, so that a use above its definition (an error) still finds it.
    for (const s of program.statements) this.declare(s);
    if (bindUses) for (const s of program.statements) this.bind(s);
    const byStart = (a: { span: Span }, b: { span: Span }) => a.span.start - b.span.start;
    this.occurrences.sort(byStart);
    this.mentions.sort(byStart);
    return { symbols: this.symbols, occurrences: this.occurrences, mentions: this.mentions, tensors: this.tensors, dims: this.dims, gates: this.gates, scopes: this.scopes };
  }

  private symbol(name: string, kind: SymbolKind, gate: GateDecl | null, def: IdeSymbol['def'], decl: Span | null): IdeSymbol {
    const s: IdeSymbol = { id: this.symbols.length, name, kind, gate, decls: decl ? [decl] : [], def, gradientOf: null, gradient: null };
    this.symbols.push(s);
    if (decl) this.occurrences.push({ span: decl, symbol: s, role: 'decl' });
    return s;
  }

  /** A definition site: the first creates the symbol, later ones (duplicates) join it. */
  private define(map: Map<string, IdeSymbol>, name: string, span: Span, make: () => IdeSymbol, role: OccurrenceRole = 'write'): IdeSymbol {
    const existing = map.get(name);
    if (!existing) {
      const s = make();
      map.set(name, s);
      return s;
    }
    existing.decls.push(span);
    this.occurrences.push({ span, symbol: existing, role });
    return existing;
  }

  private declare(s: Statement): void {
    switch (s.kind) {
      case 'decl':
        this.define(this.tensors, s.name, s.nameSpan, () => this.symbol(s.name, TENSOR_KINDS[s.declKind], null, s, s.nameSpan));
        return;
      case 'assign':
        this.define(this.tensors, s.name, s.nameSpan, () => this.symbol(s.name, 'node', null, s, s.nameSpan));
        return;
      case 'dims':
        for (const d of s.items) this.define(this.dims, d.name, d.nameSpan, () => this.symbol(d.name, 'dim', null, null, d.nameSpan), 'decl');
        return;
      case 'gate': {
        const g = this.define(this.gates, s.name, s.nameSpan, () => this.symbol(s.name, 'gate', null, s, s.nameSpan), 'decl');
        this.declareGate(s, g);
        return;
      }
      default:
        return;
    }
  }

  private declareGate(g: GateDecl, gateSymbol: IdeSymbol): void {
    const header = gateHeaderScope(g);
    const names = new Map<string, IdeSymbol>();
    const dims = new Map<string, IdeSymbol>();
    for (const p of g.params) this.define(names, p.name, p.nameSpan, () => this.symbol(p.name, 'gateInput', g, p, p.nameSpan), 'decl');
    const out = this.define(names, g.output.name, g.output.nameSpan, () => this.symbol(g.output.name, 'gateOutput', g, g.output, g.output.nameSpan), 'decl');
    // Local dimensions: the first mention in the header binds the name, later ones refer to it.
    for (const p of [...g.params, g.output]) {
      for (const d of p.type.shape ?? []) {
        if (d.kind !== 'name') continue;
        const known = dims.get(d.name);
        if (known) this.occurrences.push({ span: d.span, symbol: known, role: 'read' });
        else dims.set(d.name, this.symbol(d.name, 'gateDim', g, p, d.span));
      }
    }
    for (const a of g.body) this.define(names, a.name, a.nameSpan, () => this.symbol(a.name, 'gateLocal', g, a, a.nameSpan));
    const upstream = this.symbol(header.doutName, 'upstream', g, null, null);
    upstream.gradientOf = out;
    out.gradient = upstream;
    for (const a of g.backward?.body ?? []) {
      if (a.name === header.doutName) {
        upstream.decls.push(a.nameSpan);
        this.occurrences.push({ span: a.nameSpan, symbol: upstream, role: 'write' });
        continue;
      }
      const s = this.define(names, a.name, a.nameSpan, () => this.symbol(a.name, 'gradient', g, a, a.nameSpan));
      const input = header.gradNames.get(a.name);
      if (input !== undefined && s.kind === 'gradient' && !s.gradientOf) {
        const inputSymbol = names.get(g.params[input].name) as IdeSymbol;
        s.gradientOf = inputSymbol;
        inputSymbol.gradient = s;
      }
    }
    if (!names.has(header.doutName)) names.set(header.doutName, upstream);
    this.scopes.set(g, { decl: g, symbol: gateSymbol, names, dims, upstream });
  }

  // ---------------------------------------------------------------- uses

  private bind(s: Statement): void {
    const top = (name: string) => this.tensors.get(name) ?? this.dims.get(name);
    switch (s.kind) {
      case 'decl':
        this.typeDims(s.type?.shape ?? null, this.dims);
        if (s.range) this.typeDims([s.range.lo, s.range.hi], this.dims);
        if (s.init?.kind === 'literal') this.expr(s.init.expr, top);
        else if (s.init?.kind === 'random') {
          this.mentions.push({ kind: 'init', name: s.init.dist, span: s.init.distSpan });
          for (const a of s.init.args) this.expr(a, top);
          this.kwargs(s.init.kwargs, s.init.dist, null, top);
        }
        return;
      case 'assign':
        this.expr(s.expr, top);
        return;
      case 'expect':
        this.ref(s.target, s.targetSpan, this.tensors.get(s.target));
        this.typeDims(s.shape, this.dims);
        if (s.expected) this.expr(s.expected, top);
        return;
      case 'gate': {
        const scope = this.scopes.get(s);
        if (!scope) return;
        const local = (name: string) => scope.names.get(name) ?? scope.dims.get(name);
        for (const a of [...s.body, ...(s.backward?.body ?? [])]) this.expr(a.expr, local);
        return;
      }
      default:
        return;
    }
  }

  /** A parenthesised name's span holds its parentheses, `(x)`: the name's own token is inside. */
  private identSpan(name: string, span: Span): Span {
    if (span.end - span.start === name.length) return span;
    const toks = this.tokens;
    let lo = 0;
    let hi = toks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (toks[mid].span.start < span.start) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < toks.length && toks[i].span.start < span.end; i++) if (toks[i].kind === 'ident' && toks[i].text === name) return toks[i].span;
    return span;
  }

  private ref(name: string, span: Span, symbol: IdeSymbol | undefined): void {
    if (symbol) this.occurrences.push({ span, symbol, role: 'read' });
    else this.mentions.push({ kind: 'unresolved', name, span });
  }

  private typeDims(dims: DimRef[] | null, scope: Map<string, IdeSymbol>): void {
    for (const d of dims ?? []) if (d.kind === 'name') this.ref(d.name, d.span, scope.get(d.name));
  }

  private kwargs(kwargs: KwArg[], callee: string, gate: GateScope | null, lookup: (n: string) => IdeSymbol | undefined): void {
    for (const k of kwargs) {
      // A gate's inputs can be passed by name: `affine(X, W=W1, b=b1)` refers to input `W`.
      const input = gate?.names.get(k.name);
      if (input && input.kind === 'gateInput') this.occurrences.push({ span: k.nameSpan, symbol: input, role: 'read' });
      else this.mentions.push({ kind: 'kwarg', name: k.name, span: k.nameSpan, callee });
      this.expr(k.value, lookup);
    }
  }

  private call(c: Call, lookup: (n: string) => IdeSymbol | undefined): void {
    const gate = FUNCTIONS.has(c.callee) ? undefined : this.gates.get(c.callee);
    if (gate) this.occurrences.push({ span: c.calleeSpan, symbol: gate, role: 'read' });
    else this.mentions.push({ kind: FUNCTIONS.has(c.callee) ? 'op' : 'unresolved', name: c.callee, span: c.calleeSpan });
    for (const a of c.args) this.expr(a, lookup);
    this.kwargs(c.kwargs, c.callee, gate ? (this.scopes.get(gate.def as GateDecl) ?? null) : null, lookup);
  }

  private expr(e: Expr, lookup: (n: string) => IdeSymbol | undefined): void {
    // Iterative on the left spine: long chains of `+` are deep trees.
    for (;;) {
      switch (e.kind) {
        case 'name':
          this.ref(e.name, this.identSpan(e.name, e.span), lookup(e.name));
          return;
        case 'call':
          this.call(e, lookup);
          return;
        case 'list':
          for (const it of e.items) this.expr(it, lookup);
          return;
        case 'binary':
          this.expr(e.right, lookup);
          e = e.left;
          continue;
        case 'unary':
        case 'transpose':
        case 'index':
          e = e.operand;
          continue;
        default:
          return;
      }
    }
  }
}

/** The occurrence at an offset: one that contains it, else one that ends exactly there. */
export function occurrenceAt(index: SymbolIndex, offset: number): Occurrence | null {
  return findAt(index.occurrences, offset);
}

export function mentionAt(index: SymbolIndex, offset: number): Mention | null {
  return findAt(index.mentions, offset);
}

function findAt<T extends { span: Span }>(items: T[], offset: number): T | null {
  let lo = 0;
  let hi = items.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (items[mid].span.start <= offset) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = best; i >= 0 && i >= best - 1; i--) {
    const it = items[i];
    if (it.span.start <= offset && offset < it.span.end) return it;
  }
  for (let i = best; i >= 0 && i >= best - 1; i--) {
    const it = items[i];
    if (it.span.end === offset) return it;
  }
  return null;
}

/** Every occurrence of a symbol, in source order. */
export function occurrencesOf(index: SymbolIndex, symbol: IdeSymbol): Occurrence[] {
  return index.occurrences.filter((o) => o.symbol === symbol);
}
