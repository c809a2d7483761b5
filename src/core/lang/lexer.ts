// Hand-written lexer for .grad (spec section 1). It never throws: bad characters become
// diagnostics and are skipped, so one typo costs one diagnostic.
import type { DiagnosticSink } from '../diagnostics';
import { CORE_DEFAULTS, limitText } from '../defaults';
import { CONTINUATION_TEXTS, KEYWORDS, type Token, type TokenKind } from './tokens';

// What a character starts when it is not a name, a number, a space or a comment: an operator
// (`+ - * / @ > <`, and `**` `>=` `<=` `==` `~=` with the next character) or punctuation. One
// table, indexed by char code, read without building a string per character.
const NONE = 0;
const OP = 1;
const PUNCT = 2;
const STARTS = new Uint8Array(128);
for (const ch of '+-*/@><') STARTS[ch.charCodeAt(0)] = OP;
for (const ch of '()[]{},:=~.') STARTS[ch.charCodeAt(0)] = PUNCT;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Splits `text` into tokens; newline tokens are kept only where they end a statement. */
export function lex(text: string, sink: DiagnosticSink): Token[] {
  const lexer = new Lexer(text, sink);
  const tokens: Token[] = [];
  for (;;) {
    const t = lexer.next();
    tokens.push(t);
    if (t.kind === 'eof') return tokens;
  }
}

/**
 * How much of `text` is read: all of it, or up to the character cap cut back to the last line
 * break before it (a statement is never read in half: it would get a second error after the
 * too-large one). A first line longer than the cap is cut at the cap.
 */
export function readableLength(text: string): number {
  const cap = CORE_DEFAULTS.maxChars;
  if (text.length <= cap) return text.length;
  const lastBreak = Math.max(text.lastIndexOf('\n', cap - 1), text.lastIndexOf('\r', cap - 1));
  return lastBreak >= 0 ? lastBreak + 1 : cap;
}

/**
 * The tokens of a text one at a time, as `lex` lists them: the parser reads them as it goes, so a
 * token it has read is garbage at once instead of living, with all the others, until the parse
 * ends. Past the end, `next` keeps returning the same end-of-file token.
 */
export class Lexer {
  private i = 0;
  /** The end of what is read (`readableLength`). */
  private readonly n: number;
  /** Tokens scanned so far, before the line rules drop some newlines (what the token cap counts). */
  private scanned = 0;
  /** Whether the last scanned token is a newline, or there is none yet (a line break then makes no token). */
  private afterBreak = true;
  private eof: Token | null = null;
  /** A token scanned ahead by the line rules, returned next. */
  private ahead: Token | null = null;
  /** The last token returned, and the bracket depth after it (reset at `{` and `}`). */
  private last: Token | null = null;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly sink: DiagnosticSink,
  ) {
    // Bounded time per file: the characters past the cap are not read (comments and blank lines
    // make no tokens, so only this bounds a file of them).
    this.n = readableLength(text);
    if (text.length > this.n) {
      sink.error('too-large', `this file has more than ${limitText(CORE_DEFAULTS.maxChars)} characters; GradLens reads it up to here and ignores the rest. Split the file`, { start: this.n, end: this.n + 1 });
    }
  }

  /**
   * The next token, with the line rules applied: a line break ends a statement unless the line
   * ends in `(`, `[`, `,` or an operator, or the next line only closes an open bracket. Blank lines collapse.
   */
  next(): Token {
    for (;;) {
      const t = this.ahead ?? this.scan();
      this.ahead = null;
      if (t.kind === 'newline') {
        const prev = this.last;
        if (!prev || prev.kind === 'newline') continue;
        if (CONTINUATION_TEXTS.has(prev.text) && prev.kind !== 'number' && prev.kind !== 'ident') continue;
        if (this.depth > 0) {
          // Never a newline: blank lines make no token.
          const after = this.scan();
          this.ahead = after;
          if (after.text === ')' || after.text === ']') continue;
        }
        return (this.last = t);
      }
      if (t.text === '(' || t.text === '[') this.depth++;
      else if ((t.text === ')' || t.text === ']') && this.depth > 0) this.depth--;
      else if (t.text === '{' || t.text === '}') this.depth = 0;
      return (this.last = t);
    }
  }

  /** Reads to the end (for the diagnostics of the rest of the text). */
  finish(): void {
    while (this.next().kind !== 'eof');
  }

  /** The next token before the line rules (newlines where a line with tokens ends). */
  private scan(): Token {
    if (this.eof) return this.eof;
    const { text, n, sink } = this;
    let i = this.i;
    let t: Token | null = null;
    while (i < n && !t) {
      if (this.scanned >= CORE_DEFAULTS.maxTokens) {
        // Bounded memory per file (the editor lexes on every keystroke too): the rest is not read.
        sink.error('too-large', `this file has more than ${limitText(CORE_DEFAULTS.maxTokens)} tokens; GradLens reads it up to here and ignores the rest. Split the file`, { start: i, end: Math.min(n, i + 1) });
        this.i = i;
        return (this.eof = token('eof', '', i, 0));
      }
      const c = text.charCodeAt(i);
      // whitespace (not newlines)
      if (c === 32 || c === 9 || c === 12 || c === 0xfeff) {
        i++;
        continue;
      }
      if (c === 10 || c === 13) {
        const start = i;
        if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
        i++;
        // Blank and comment-only lines make no token (the line rules would drop them anyway), so
        // the token cap counts what a file says, not its comments.
        if (!this.afterBreak) t = token('newline', '\n', start, i - start);
        continue;
      }
      if (c === 35 /* # */) {
        while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
        continue; // no token: only the line break after it may make one
      }
      if (isIdentStart(c)) {
        const start = i;
        while (i < n && isIdentPart(text.charCodeAt(i))) i++;
        const word = text.slice(start, i);
        if (text.charCodeAt(i) === 39 /* ' */) {
          let end = i;
          while (text.charCodeAt(end) === 39) end++;
          sink.error(
            'invalid-name',
            `\`${text.slice(start, end)}\` is not a valid name: a trailing \`'\` is not allowed; write \`${word}_prime\` or \`${word}2\``,
            { start, end },
          );
          i = end;
        }
        t = token(KEYWORDS.has(word) ? 'keyword' : 'ident', word, start, i - start);
        continue;
      }
      if (isDigit(c) || (c === 46 /* . */ && isDigit(text.charCodeAt(i + 1)))) {
        t = scanNumber(text, i, sink);
        i = t.span.end;
        continue;
      }
      if (c < 128 && STARTS[c] !== NONE) {
        t = punctOrOp(text, c, i);
        i = t.span.end;
        continue;
      }
      // Anything else: one diagnostic for a run of bad characters.
      const start = i;
      const cp = text.codePointAt(i) ?? c;
      i += cp > 0xffff ? 2 : 1;
      while (i < n && !isAllowedStart(text, i)) i += (text.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      const bad = text.slice(start, i);
      sink.error('invalid-character', `unexpected character${bad.length > 1 ? 's' : ''} \`${bad}\`${hintFor(bad)}`, {
        start,
        end: i,
      });
    }
    this.i = i;
    if (!t) return (this.eof = token('eof', '', n, 0));
    this.scanned++;
    this.afterBreak = t.kind === 'newline';
    return t;
  }
}

function isAllowedStart(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 35 || isIdentStart(c) || isDigit(c) || (c < 128 && STARTS[c] !== NONE);
}

function hintFor(bad: string): string {
  if (bad.includes('×') || bad.includes('·')) return ': use `*` for elementwise or `@` for matrix product';
  if (bad.includes('−')) return ': use `-`';
  if (bad.includes('^')) return ': use `**` for powers';
  if (bad.includes('ᵀ')) return ': use `.T` for a transpose';
  if (bad.includes(';')) return ': statements end at the end of the line';
  if (bad.includes('!')) return ': there is no `!`; comparisons are `> < >= <= ==`';
  return '';
}

/**
 * The operator or punctuation token at `start` (whose char code `c` is in STARTS): the two-char
 * ones `** >= <= == ~= -> ..` first, then the single character. Texts are constants.
 */
function punctOrOp(text: string, c: number, start: number): Token {
  const d = text.charCodeAt(start + 1);
  switch (c) {
    case 42 /* * */:
      return d === 42 ? token('op', '**', start, 2) : token('op', '*', start, 1);
    case 62 /* > */:
      return d === 61 ? token('op', '>=', start, 2) : token('op', '>', start, 1);
    case 60 /* < */:
      return d === 61 ? token('op', '<=', start, 2) : token('op', '<', start, 1);
    case 61 /* = */:
      return d === 61 ? token('op', '==', start, 2) : token('punct', '=', start, 1);
    case 126 /* ~ */:
      return d === 61 ? token('op', '~=', start, 2) : token('punct', '~', start, 1);
    case 45 /* - */:
      return d === 62 ? token('punct', '->', start, 2) : token('op', '-', start, 1);
    case 46 /* . */:
      return d === 46 ? token('punct', '..', start, 2) : token('punct', '.', start, 1);
    default:
      return token(STARTS[c] === OP ? 'op' : 'punct', ONE_CHAR[c], start, 1);
  }
}

/** The single-character texts, built once. */
const ONE_CHAR: string[] = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

/** Every token has the same four fields (`value` is only set on numbers): one object shape for the parser's reads. */
function token(kind: TokenKind, text: string, start: number, length: number, value?: number): Token {
  return { kind, text, span: { start, end: start + length }, value };
}

function scanNumber(text: string, start: number, sink: DiagnosticSink): Token {
  let i = start;
  const n = text.length;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  // A fraction, unless this is the `..` of a range (`0..C`) or a `.T` after a literal.
  if (text.charCodeAt(i) === 46 && text.charCodeAt(i + 1) !== 46 && !isIdentStart(text.charCodeAt(i + 1))) {
    i++;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
  }
  let malformed = false;
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69 /* e E */) {
    let j = i + 1;
    if (text[j] === '+' || text[j] === '-') j++;
    if (isDigit(text.charCodeAt(j))) {
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      i = j;
    } else {
      malformed = true;
      i = j;
    }
  }
  // Letters glued to a number (`3x`) are a malformed number, not a number and a name.
  let end = i;
  while (end < n && isIdentPart(text.charCodeAt(end))) {
    end++;
    malformed = true;
  }
  const t = text.slice(start, end);
  if (malformed) {
    sink.error('invalid-number', `malformed number \`${t}\`: write numbers as \`3\`, \`0.5\`, \`.5\` or \`1e-3\``, {
      start,
      end,
    });
    return token('number', t, start, end - start, Number.NaN);
  }
  const value = Number(t);
  if (!Number.isFinite(value)) {
    sink.error('invalid-number', `\`${t}\` is too large for a float64 number (the largest is about 1.8e308)`, { start, end });
    return token('number', t, start, end - start, Number.NaN);
  }
  return token('number', t, start, end - start, value);
}
