// The token cursor under the parser: where it is, what it expects, and its error recovery (a
// syntax error skips the rest of its statement only). The expression grammar (parseExpr.ts) and
// the statements (parser.ts) are built on it.
import type { DiagnosticSink } from '../diagnostics';
import type { Span } from '../text';
import type { Token } from './tokens';

/** A syntax error where it was found; turned into a diagnostic by `report`. */
export class ParseError extends Error {
  constructor(
    readonly msg: string,
    readonly at: Span,
  ) {
    super(msg);
  }
}

/** Where the parser's tokens come from: each call gives the next one, and the end-of-file token for ever after. */
export type TokenSource = () => Token;

/** The tokens of an array as a source. */
export function arraySource(tokens: Token[]): TokenSource {
  let i = 0;
  return () => tokens[Math.min(i++, tokens.length - 1)];
}

export class TokenCursor {
  /** Tokens read so far (to tell whether a statement made progress). */
  protected pos = 0;
  /** The current token, the one after it once peeked, and the last one read. */
  protected tok: Token;
  private ahead: Token | null = null;
  private prev: Token | null = null;

  constructor(
    private source: TokenSource,
    protected readonly sink: DiagnosticSink,
  ) {
    this.tok = source();
  }

  /** Continues a parse at token `pos` of an array (what `arraySource(tokens)` would give after `pos` reads). */
  protected resumeAt(tokens: Token[], pos: number): void {
    let i = pos;
    this.source = () => tokens[Math.min(i++, tokens.length - 1)];
    this.pos = pos;
    this.prev = pos > 0 ? tokens[pos - 1] : null;
    this.ahead = null;
    this.tok = this.source();
  }

  protected peek(): Token {
    if (this.tok.kind === 'eof') return this.tok;
    return (this.ahead ??= this.source());
  }

  protected next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') {
      this.pos++;
      this.prev = t;
      this.tok = this.ahead ?? this.source();
      this.ahead = null;
    }
    return t;
  }

  protected is(text: string): boolean {
    const t = this.tok;
    return (t.kind === 'punct' || t.kind === 'op' || t.kind === 'keyword') && t.text === text;
  }

  protected accept(text: string): Token | null {
    if (this.is(text)) return this.next();
    return null;
  }

  protected expect(text: string, what?: string): Token {
    if (this.is(text)) return this.next();
    throw this.errorHere(`expected ${what ?? `\`${text}\``}`);
  }

  protected errorHere(msg: string): ParseError {
    const t = this.tok;
    const found = describe(t);
    return new ParseError(`${msg}, found ${found}`, t.kind === 'eof' || t.kind === 'newline' ? lastCharSpan(this.prevSpan(), t) : t.span);
  }

  protected prevSpan(): Span {
    return this.prev ? this.prev.span : this.tok.span;
  }

  protected ident(what: string): Token {
    if (this.tok.kind === 'ident') return this.next();
    if (this.tok.kind === 'keyword') throw new ParseError(`expected ${what}, found the keyword \`${this.tok.text}\` (keywords cannot be names)`, this.tok.span);
    throw this.errorHere(`expected ${what}`);
  }

  protected atStatementEnd(): boolean {
    return this.tok.kind === 'newline' || this.tok.kind === 'eof' || this.is('}');
  }

  protected endStatement(): void {
    if (this.tok.kind === 'newline') {
      this.next();
      return;
    }
    if (this.tok.kind === 'eof' || this.is('}')) return;
    throw this.errorHere('expected the end of the line');
  }

  /** Skips to the start of the next statement (after a newline), never past a `}` that closes a block. */
  protected recover(insideBlock: boolean): void {
    let depth = 0;
    while (this.tok.kind !== 'eof') {
      if (this.tok.kind === 'newline') {
        this.next();
        return;
      }
      if (this.is('{')) depth++;
      if (this.is('}')) {
        if (depth === 0 && insideBlock) return;
        depth = Math.max(0, depth - 1);
      }
      this.next();
    }
  }

  protected report(e: unknown): void {
    if (e instanceof ParseError) this.sink.error('syntax', e.msg, e.at);
    else throw e;
  }

  protected skipNewlines(): void {
    while (this.tok.kind === 'newline') this.next();
  }
}

export function describe(t: Token): string {
  if (t.kind === 'eof') return 'the end of the file';
  if (t.kind === 'newline') return 'the end of the line';
  return `\`${t.text}\``;
}

/** For errors at a line end, point at the end of the last token rather than the next line. */
function lastCharSpan(prev: Span, t: Token): Span {
  if (t.kind === 'eof') return { start: prev.end, end: prev.end };
  return { start: prev.end, end: prev.end };
}
