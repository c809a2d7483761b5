// One parsed document shared by every IDE feature: tokens, syntax tree, symbol index, block
// structure and (lazily) static types. Built once per text and kept in a small cache, so a burst
// of requests on the same text (completion, then signature help, then highlights) parses once.
// Nothing here runs the engine.
import type { Analysis } from '../model';
import { CORE_DEFAULTS } from '../defaults';
import { DiagnosticSink, type SpanDiagnostic } from '../diagnostics';
import type { GateDecl, Program } from '../lang/ast';
import { lex } from '../lang/lexer';
import { parseTokensResumable, type ResumableParse } from '../lang/parser';
import type { Token } from '../lang/tokens';
import type { ValueType } from '../ops/op';
import { typecheck } from '../pipeline/typecheck';
import { formatShape } from '../shapes/shape';
import { LineMap, type Position, type Span } from '../text';
import { buildDeclarations, buildIndex, type SymbolIndex } from './binder';
import { relex } from './incremental';

/** A `{ … }` block: a gate body or a backward block. `close` is null while it is unclosed. */
export interface Block {
  kind: 'gate' | 'backward';
  open: Span;
  close: Span | null;
  /** The gate it belongs to (null if the header did not parse). */
  gate: GateDecl | null;
}

export interface DocumentTypes {
  /** Top-level names (first definition). */
  top: Map<string, ValueType>;
  /** Gate name → its local names at the gate's declared (symbolic) shapes. */
  gates: Map<string, Map<string, ValueType>>;
}

export class IdeDocument {
  readonly lineMap: LineMap;
  readonly tokens: Token[];
  readonly program: Program;
  /** Lexer and parser diagnostics. */
  readonly syntaxErrors: SpanDiagnostic[];
  private indexCache: SymbolIndex | null = null;
  private declarationsCache: SymbolIndex | null = null;
  private blocksCache: Block[] | null = null;
  private typesCache: DocumentTypes | null = null;
  /** The lexer's diagnostics (the first of `syntaxErrors`). */
  readonly lexErrors: SpanDiagnostic[];
  /** The parse, which the document of a later text can resume. */
  private readonly parsed: ResumableParse;
  /** Whether `lexErrors` holds all of them (past CORE_DEFAULTS.maxDiagnostics they are not kept, and an edit lexes the whole text again). */
  private readonly lexComplete: boolean;

  /** `base`: a recent document whose tokens can be reused around the edit that led to `text`. */
  constructor(
    readonly text: string,
    base: IdeDocument | null = null,
  ) {
    this.lineMap = new LineMap(text);
    let lexed = base?.lexComplete ? relex(base.text, { tokens: base.tokens, errors: base.lexErrors }, text) : null;
    this.lexComplete = true;
    if (!lexed) {
      // Bounded like the analysis' diagnostics: a file of garbage (3 million bad characters) kept
      // one for each, 2.5 GB and two minutes of the language server's thread.
      const lexSink = new DiagnosticSink(CORE_DEFAULTS.maxDiagnostics);
      lexed = { tokens: lex(text, lexSink), errors: lexSink.items };
      this.lexComplete = lexSink.dropped === 0;
    }
    this.tokens = lexed.tokens;
    this.lexErrors = lexed.errors;
    // The statements before the edit are the base's own (its tokens up to there are reused).
    let unchanged = 0;
    if (base) {
      const n = Math.min(base.tokens.length, this.tokens.length);
      while (unchanged < n && base.tokens[unchanged] === this.tokens[unchanged]) unchanged++;
    }
    this.parsed = parseTokensResumable(this.tokens, base?.parsed ?? null, unchanged);
    this.program = this.parsed.program;
    const sink = new DiagnosticSink(CORE_DEFAULTS.maxDiagnostics);
    for (const e of lexed.errors) sink.add(e);
    for (const e of this.parsed.errors) sink.add(e);
    this.syntaxErrors = sink.items;
  }

  get index(): SymbolIndex {
    return (this.indexCache ??= buildIndex(this.program, this.tokens));
  }

  /** Symbols with their declarations but not their uses (cheaper; the full index when built). */
  get declarations(): SymbolIndex {
    return this.indexCache ?? (this.declarationsCache ??= buildDeclarations(this.program, this.tokens));
  }

  get blocks(): Block[] {
    return (this.blocksCache ??= findBlocks(this.tokens, this.program));
  }

  /** Static types, from the analysis' own typecheck stage (names and shapes only, no engine). */
  get types(): DocumentTypes {
    return (this.typesCache ??= computeTypes(this));
  }

  /**
   * Types for details that must come fast (completion while typing): this text's when known or
   * cheap to get. A large file is not typechecked for a completion (tens of milliseconds per
   * keystroke): its nodes then show no shape until a feature that needs the types (document
   * symbols) has computed them for the text. Declared shapes are read from the source anyway.
   */
  get typesForDetails(): DocumentTypes {
    if (this.typesCache || this.program.statements.length <= CHEAP_TYPECHECK_STATEMENTS) return this.types;
    return NO_TYPES;
  }

  position(offset: number): Position {
    return this.lineMap.position(offset);
  }

  range(s: Span) {
    return this.lineMap.range(s);
  }

  /** Index of the first token that starts at or after `offset`. */
  tokenIndexAt(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid].span.start < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The innermost block holding `offset` (strictly after its `{`, at or before its `}`). */
  blockAt(offset: number): Block | null {
    let best: Block | null = null;
    for (const b of this.blocks) {
      if (offset >= b.open.end && (b.close === null || offset <= b.close.start)) {
        if (!best || b.open.start > best.open.start) best = b;
      }
    }
    return best;
  }

  /** The gate whose declaration holds `offset` (header or body), if any. */
  gateAt(offset: number): GateDecl | null {
    const block = this.blockAt(offset);
    if (block?.gate) return block.gate;
    for (const s of this.program.statements) {
      if (s.kind === 'gate' && offset >= s.span.start && offset <= s.headerSpan.end) return s;
    }
    return null;
  }
}

function findBlocks(tokens: Token[], program: Program): Block[] {
  const gates = program.statements.filter((s): s is GateDecl => s.kind === 'gate');
  const blocks: Block[] = [];
  const open: Block[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'punct') continue;
    if (t.text === '{') {
      const isBackward = tokens[i - 1]?.text === 'backward' && tokens[i - 1].kind === 'keyword';
      const outer = open[open.length - 1];
      const gate = isBackward ? (outer?.gate ?? null) : (gates.find((g) => g.headerSpan.end <= t.span.start && t.span.start <= g.span.end) ?? null);
      const b: Block = { kind: isBackward ? 'backward' : 'gate', open: t.span, close: null, gate };
      blocks.push(b);
      open.push(b);
    } else if (t.text === '}') {
      const b = open.pop();
      if (b) b.close = t.span;
    }
  }
  return blocks;
}

/** Runs the analysis' typecheck stage on this document's tree, in a session of its own. */
function computeTypes(doc: IdeDocument): DocumentTypes {
  const sink = new DiagnosticSink();
  // typecheck records the seed, dims and root in the Analysis; nothing here reads them.
  const analysis = { version: 1, file: '<ide>', dims: {}, seed: 0, root: null, diagnostics: [], nodes: [], gradchecks: [], gates: [], graphView: null, sweep: null } as unknown as Analysis;
  const session = { analysis, program: doc.program, resolution: null, graph: null, leafInits: null, execution: null, checks: [], gateTypes: new Map<string, Map<string, ValueType>>(), lineMap: doc.lineMap, sink };
  try {
    const typed = typecheck(session, {});
    return { top: typed.types, gates: session.gateTypes };
  } catch {
    // Types only decorate details; a failure here must never cost a completion.
    return { top: new Map(), gates: session.gateTypes };
  }
}

/** `[N, D]`, `int[N]`, `[]` for a scalar. */
export function typeText(t: ValueType): string {
  return `${t.isInt ? 'int' : ''}${formatShape(t.shape)}`;
}

/** Up to this many statements typecheck in a few milliseconds. */
const CHEAP_TYPECHECK_STATEMENTS = 1000;
const NO_TYPES: DocumentTypes = { top: new Map(), gates: new Map() };

const CACHE_SIZE = 4;
const cache: IdeDocument[] = [];

/** The cached document that differs least from `text` (a small edit from it ends the search). */
function closest(text: string): IdeDocument | null {
  let best: IdeDocument | null = null;
  let bestSame = -1;
  for (const doc of [...cache, ...prefixCache]) {
    const t = doc.text;
    const n = Math.min(t.length, text.length);
    let p = 0;
    while (p < n && t.charCodeAt(p) === text.charCodeAt(p)) p++;
    let s = 0;
    while (s < n - p && t.charCodeAt(t.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
    if (p + s > bestSame) {
      best = doc;
      bestSame = p + s;
    }
    if (text.length - bestSame < 256) break;
  }
  return best;
}

/** The document for `text`, from the cache when the same text was seen recently. */
export function ideDocument(text: string): IdeDocument {
  for (let i = 0; i < cache.length; i++) {
    if (cache[i].text === text) {
      const doc = cache[i];
      if (i > 0) {
        cache.splice(i, 1);
        cache.unshift(doc);
      }
      return doc;
    }
  }
  // Most requests follow a keystroke: a recent document shares all but a line or two.
  const doc = new IdeDocument(text, closest(text));
  cache.unshift(doc);
  if (cache.length > CACHE_SIZE) cache.pop();
  return doc;
}

const prefixCache: IdeDocument[] = [];

/** Whether a line after `from` starts with `seed` or `dims` (found with indexOf, not a regex over the rest). */
export function holdsForTheFile(text: string, from: number): boolean {
  for (const word of ['seed', 'dims']) {
    for (let i = text.indexOf(word, from); i >= 0; i = text.indexOf(word, i + 1)) {
      const after = text.charCodeAt(i + 4);
      if (isWordCode(after)) continue;
      let j = i - 1;
      while (j >= from && (text[j] === ' ' || text[j] === '\t')) j--;
      if (j < from || text[j] === '\n' || text[j] === '\r') return true;
    }
  }
  return false;
}

function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * The document completion reads for a text not seen yet: the text up to the end of the cursor's
 * line, built from a cached document by lexing only from the edited statement on and parsing the
 * part before the cursor — a keystroke in a large file then costs a fraction of a whole document
 * (whose tokens after the edit must all be moved). Completion needs what lies before the cursor
 * (names are used below their definition) and the rest of its line; inside a gate, whose lines
 * below matter (the backward block, the gradients already written), the whole text is used.
 * A `seed` or `dims` line below the cursor also calls for the whole text.
 */
export function completionDocument(text: string, offset: number): IdeDocument {
  const known = cache.find((d) => d.text === text);
  if (known) return known;
  let cut = offset;
  while (cut < text.length && text[cut] !== '\n' && text[cut] !== '\r') cut++;
  // `seed` and `dims` lines hold for the whole file wherever they stand.
  if (cut >= text.length || holdsForTheFile(text, cut)) return ideDocument(text);
  const prefix = text.slice(0, cut);
  let doc = prefixCache.find((d) => d.text === prefix);
  if (!doc) {
    doc = new IdeDocument(prefix, closest(prefix));
    prefixCache.unshift(doc);
    if (prefixCache.length > 2) prefixCache.pop();
  }
  return doc.blockAt(offset) ? ideDocument(text) : doc;
}
