// Relexing after an edit: a keystroke changes one statement of a file of thousands, and lexing is
// the largest part of building a document. The tokens before the edited statements and after them
// are reused from the previous text (the suffix shifted by the length change); only the lines in
// between are lexed again. The result is exactly what lexing the whole text gives (a unit test
// compares them on random edits): the lexer works line by line, and its only state across lines —
// bracket depth and whether a newline ends a statement — is checked at both seams; when it cannot
// be proved equal the caller lexes the whole text.
import { DiagnosticSink, type SpanDiagnostic } from '../diagnostics';
import { lex } from '../lang/lexer';
import { CONTINUATION_TEXTS, type Token } from '../lang/tokens';

export interface Lexed {
  tokens: Token[];
  /** The lexer's diagnostics. */
  errors: SpanDiagnostic[];
}

/** The lexer's bracket depth after each token (its layout pass resets it at `{` and `}`). */
function depths(tokens: Token[]): Int32Array {
  const out = new Int32Array(tokens.length);
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i].text;
    if (tokens[i].kind === 'punct') {
      if (t === '(' || t === '[') depth++;
      else if ((t === ')' || t === ']') && depth > 0) depth--;
      else if (t === '{' || t === '}') depth = 0;
    }
    out[i] = depth;
  }
  return out;
}

function shifted(t: Token, delta: number): Token {
  // Built field by field, as the lexer builds them (a spread is several times slower here).
  const span = { start: t.span.start + delta, end: t.span.end + delta };
  return { kind: t.kind, text: t.text, span, value: t.value };
}

function shiftedDiagnostic(d: SpanDiagnostic, delta: number): SpanDiagnostic {
  return { ...d, span: { start: d.span.start + delta, end: d.span.end + delta } };
}

/**
 * Tokens of `text` from those of `prev` (the tokens of `prevText`), or null when it must be lexed
 * whole. `text` may also be a prefix of an edited `prevText` (completion reads only up to the
 * cursor's line): then only the lines from the edit to the end are lexed.
 */
export function relex(prevText: string, prev: Lexed, text: string): Lexed | null {
  const n0 = prevText.length;
  const n1 = text.length;
  let p = 0;
  const maxP = Math.min(n0, n1);
  while (p < maxP && prevText.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < maxP - p && prevText.charCodeAt(n0 - 1 - s) === text.charCodeAt(n1 - 1 - s)) s++;
  const delta = n1 - n0;
  const toks = prev.tokens;
  const depth = depths(toks);
  // The seam before the edit: a newline ending a statement at depth 0, wholly before it.
  let a = -1;
  for (let i = toks.length - 1; i >= 0; i--) {
    if (toks[i].kind === 'newline' && toks[i].span.end < p && depth[i] === 0) {
      a = i;
      break;
    }
  }
  // The seam after it: the first such newline inside the common suffix (its previous char too).
  let b = -1;
  for (let i = a + 1; i < toks.length; i++) {
    if (toks[i].kind === 'newline' && toks[i].span.start - 1 >= n0 - s && depth[i] === 0) {
      b = i;
      break;
    }
  }
  const from = a >= 0 ? toks[a].span.end : 0;
  if (b < 0) return lexTail(text, from, toks.slice(0, a + 1), prev.errors);
  const to = toks[b].span.start + delta;
  if (to < from) return null;
  const sink = new DiagnosticSink();
  const middle = lex(text.slice(from, to), sink).filter((t) => t.kind !== 'eof');
  const middleDepth = depths(middle);
  if (middle.length && middleDepth[middle.length - 1] !== 0) return null;
  // Does the newline at the seam still end a statement? Not after a newline (collapsed) or at the
  // start of the file; never after a continuation token (then the statements would merge).
  const last = middle.length ? middle[middle.length - 1] : a >= 0 ? toks[a] : null;
  if (last && last.kind !== 'newline' && CONTINUATION_TEXTS.has(last.text) && last.kind !== 'number' && last.kind !== 'ident') return null;
  const keepSeam = last !== null && last.kind !== 'newline';
  const tokens: Token[] = toks.slice(0, a + 1);
  for (const t of middle) tokens.push(shifted(t, from));
  if (keepSeam) tokens.push(shifted(toks[b], delta));
  for (let i = b + 1; i < toks.length; i++) tokens.push(shifted(toks[i], delta));
  const seamStart = toks[b].span.start;
  const errors = [
    ...prev.errors.filter((d) => d.span.end <= from),
    ...sink.items.map((d) => shiftedDiagnostic(d, from)),
    ...prev.errors.filter((d) => d.span.start >= seamStart).map((d) => shiftedDiagnostic(d, delta)),
  ];
  return { tokens, errors };
}

/** No seam after the edit (it reaches the end, or the text was cut there): lex from `from` to the end. */
function lexTail(text: string, from: number, head: Token[], prevErrors: SpanDiagnostic[]): Lexed {
  const sink = new DiagnosticSink();
  const tail = lex(text.slice(from), sink);
  for (const t of tail) head.push(shifted(t, from));
  return { tokens: head, errors: [...prevErrors.filter((d) => d.span.end <= from), ...sink.items.map((d) => shiftedDiagnostic(d, from))] };
}
