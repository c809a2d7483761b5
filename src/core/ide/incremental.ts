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

/** The lexer's bracket depth after each token (its layout pass resets it at `{` and `}`), from `from` on. */
function depthsInto(tokens: Token[], out: Int32Array, from: number, start: number): void {
  let depth = start;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'punct') {
      const x = t.text;
      if (x === '(' || x === '[') depth++;
      else if ((x === ')' || x === ']') && depth > 0) depth--;
      else if (x === '{' || x === '}') depth = 0;
    }
    out[i] = depth;
  }
}

function depths(tokens: Token[]): Int32Array {
  const out = new Int32Array(tokens.length);
  depthsInto(tokens, out, 0, 0);
  return out;
}

// The depths of the token arrays seen lately (each relexed array gets its own, mostly copied from
// its base's), so that a keystroke does not walk every token of the file to find its seams.
const depthCache = new WeakMap<Token[], Int32Array>();

function depthsOf(tokens: Token[]): Int32Array {
  let d = depthCache.get(tokens);
  if (!d || d.length !== tokens.length) depthCache.set(tokens, (d = depths(tokens)));
  return d;
}

/** Index of the first token that starts at or after `offset` (tokens.length if none). */
function firstStartingAt(tokens: Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].span.start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
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
  const depth = depthsOf(toks);
  // The seam before the edit: a newline ending a statement at depth 0, wholly before it.
  let a = -1;
  for (let i = Math.min(toks.length - 1, firstStartingAt(toks, p)); i >= 0; i--) {
    if (toks[i].kind === 'newline' && toks[i].span.end < p && depth[i] === 0) {
      a = i;
      break;
    }
  }
  // The seam after it: the first such newline inside the common suffix (its previous char too).
  let b = -1;
  for (let i = Math.max(a + 1, firstStartingAt(toks, n0 - s) - 1); i < toks.length; i++) {
    if (toks[i].kind === 'newline' && toks[i].span.start - 1 >= n0 - s && depth[i] === 0) {
      b = i;
      break;
    }
  }
  const from = a >= 0 ? toks[a].span.end : 0;
  if (b < 0) return lexTail(text, from, toks, a + 1, prev.errors, depth);
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
  // Depths: the base's before the seam and after it (the seam is at depth 0 in both), the middle's.
  const d = new Int32Array(tokens.length);
  d.set(depth.subarray(0, a + 1));
  d.set(middleDepth, a + 1);
  if (keepSeam) d[a + 1 + middle.length] = 0;
  d.set(depth.subarray(b + 1), a + 1 + middle.length + (keepSeam ? 1 : 0));
  depthCache.set(tokens, d);
  const errors = [
    ...prev.errors.filter((d) => d.span.end <= from),
    ...sink.items.map((d) => shiftedDiagnostic(d, from)),
    ...prev.errors.filter((d) => d.span.start >= seamStart).map((d) => shiftedDiagnostic(d, delta)),
  ];
  return { tokens, errors };
}

/** No seam after the edit (it reaches the end, or the text was cut there): lex from `from` to the end. */
function lexTail(text: string, from: number, prevTokens: Token[], kept: number, prevErrors: SpanDiagnostic[], prevDepth: Int32Array): Lexed {
  const sink = new DiagnosticSink();
  const tail = lex(text.slice(from), sink);
  // One array of the final length (a slice grown by pushes copies the file's tokens twice).
  const tokens = new Array<Token>(kept + tail.length);
  for (let i = 0; i < kept; i++) tokens[i] = prevTokens[i];
  for (let i = 0; i < tail.length; i++) tokens[kept + i] = shifted(tail[i], from);
  const d = new Int32Array(tokens.length);
  d.set(prevDepth.subarray(0, kept));
  depthsInto(tokens, d, kept, kept > 0 ? d[kept - 1] : 0);
  depthCache.set(tokens, d);
  return { tokens, errors: [...prevErrors.filter((e) => e.span.end <= from), ...sink.items.map((e) => shiftedDiagnostic(e, from))] };
}
