// Where the cursor is, read from the tokens rather than the syntax tree, because the statement
// being typed rarely parses (`h = rel`, `softmax_ce(`, `x ~ `, `sum(x, ax`): the statement's
// tokens before the cursor, the brackets still open, the call whose parentheses hold the cursor
// (with the argument it is in), and the block (gate body or backward block) around it.
import type { GateDecl } from '../lang/ast';
import type { Token } from '../lang/tokens';
import type { Span } from '../text';
import type { Block, IdeDocument } from './document';

export type BracketKind = 'call' | 'header' | 'group' | 'index' | 'type' | 'list';

export interface OpenBracket {
  kind: BracketKind;
  /** Index of the `(` or `[` token. */
  index: number;
}

export interface CallSite {
  callee: string;
  calleeSpan: Span;
  /** Index of the `(` token. */
  open: number;
  /** The argument holding the cursor is `name=…`: its keyword (whether or not the cursor is past the `=`). */
  keyword: string | null;
  /** The cursor is in a keyword argument's value, after its `=`. */
  inKeywordValue: boolean;
  /** Positional arguments before the one holding the cursor. */
  positionalBefore: number;
  /** A keyword argument comes before the cursor (so no positional argument may follow). */
  keywordBefore: boolean;
  /** Positional arguments of the whole call, the one being typed included (to pick an overload). */
  positionalTotal: number;
  /** Keyword arguments written anywhere in the call, except the one holding the cursor. */
  keywordsGiven: Set<string>;
  /** Brackets open inside the argument between the call's `(` and the cursor, innermost last. */
  nested: BracketKind[];
}

export interface CursorContext {
  offset: number;
  /** Start of the word being typed (= offset when there is none). */
  wordStart: number;
  word: string;
  inComment: boolean;
  /** Tokens of the current statement before the word being typed. */
  before: Token[];
  /** Offset where the current statement starts. */
  statementStart: number;
  stack: OpenBracket[];
  call: CallSite | null;
  block: Block | null;
  gate: GateDecl | null;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

export function isOperandEnd(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'ident' || t.kind === 'number') return true;
  if (t.kind === 'keyword') return t.text === 'true' || t.text === 'false';
  return t.kind === 'punct' && (t.text === ')' || t.text === ']');
}

function isPunct(t: Token | undefined, text: string): boolean {
  return !!t && (t.kind === 'punct' || t.kind === 'op' || t.kind === 'keyword') && t.text === text;
}

function isBoundary(t: Token): boolean {
  return t.kind === 'newline' || t.kind === 'eof' || (t.kind === 'punct' && (t.text === '{' || t.text === '}'));
}

function inComment(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return false;
    if (c === 35) return true;
  }
  return false;
}

export function cursorContext(doc: IdeDocument, offset: number): CursorContext {
  const text = doc.text;
  let wordStart = offset;
  while (wordStart > 0 && isWordChar(text.charCodeAt(wordStart - 1))) wordStart--;
  const tokens = doc.tokens;
  const k = doc.tokenIndexAt(wordStart);
  let first = k;
  while (first > 0 && !isBoundary(tokens[first - 1])) first--;
  first = lineStatementStart(doc, tokens, first, k, wordStart);
  const before = tokens.slice(first, k).filter((t) => t.span.end <= wordStart);
  const stack = bracketStack(tokens, first, k, before);
  const block = doc.blockAt(offset);
  return {
    offset,
    wordStart,
    word: text.slice(wordStart, offset),
    inComment: inComment(text, offset),
    before,
    statementStart: before.length ? before[0].span.start : wordStart,
    stack,
    call: callSite(tokens, stack, k, wordStart, scanLimit(text, offset)),
    block,
    gate: block?.gate ?? doc.gateAt(offset),
  };
}

const STATEMENT_KEYWORDS = new Set(['input', 'param', 'const', 'dims', 'seed', 'gate', 'expect', 'backward']);

/**
 * A line that ends in an operator continues on the next (`~`, `+`, `=`…), so while the user is
 * half-way through one line and types on the next, the lexer joins the two. A line that begins
 * with a statement keyword or with `name =` cannot continue an expression: completion takes the
 * statement to start there.
 */
function lineStatementStart(doc: IdeDocument, tokens: Token[], first: number, k: number, wordStart: number): number {
  const lineStart = doc.lineMap.lineStart(wordStart);
  for (let j = first + 1; j <= k && j < tokens.length; j++) {
    const t = tokens[j];
    if (t.span.start < lineStart) continue;
    const startsStatement = (t.kind === 'keyword' && STATEMENT_KEYWORDS.has(t.text)) || (t.kind === 'ident' && isPunct(tokens[j + 1], '=') && j + 1 <= k);
    // Only the first token of the cursor's line decides.
    return startsStatement && tokens[j - 1].span.end <= lineStart ? j : first;
  }
  return first;
}

function bracketStack(tokens: Token[], first: number, k: number, before: Token[]): OpenBracket[] {
  const stack: OpenBracket[] = [];
  const statementKeyword = before[0]?.kind === 'keyword' ? before[0].text : null;
  for (let i = first; i < first + before.length && i < k; i++) {
    const t = tokens[i];
    if (t.kind !== 'punct') continue;
    const prev = tokens[i - 1];
    if (t.text === '(') {
      let kind: BracketKind = 'group';
      if (prev?.kind === 'ident') kind = statementKeyword === 'gate' && i - 2 === first ? 'header' : 'call';
      stack.push({ kind, index: i });
    } else if (t.text === '[') {
      let kind: BracketKind = 'list';
      if (isPunct(prev, ':') || isPunct(prev, 'int') || isPunct(prev, 'in') || isPunct(prev, '..')) kind = 'type';
      else if (statementKeyword === 'expect' && before[1]?.text === 'shape' && isPunct(prev, '==')) kind = 'type';
      else if (isOperandEnd(prev)) kind = 'index';
      stack.push({ kind, index: i });
    } else if (t.text === ')' || t.text === ']') stack.pop();
  }
  return stack;
}

/**
 * How far to look past the cursor for the rest of a call. At the end of a line the user is still
 * typing: what follows on the next lines belongs to other statements, however the unclosed `(`
 * makes the lexer join them.
 */
function scanLimit(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  return i >= text.length || text[i] === '\n' || text[i] === '\r' || text[i] === '#' ? i : Infinity;
}

function callSite(tokens: Token[], stack: OpenBracket[], k: number, wordStart: number, limit: number): CallSite | null {
  let at = stack.length - 1;
  while (at >= 0 && stack[at].kind !== 'call') at--;
  if (at < 0) return null;
  const open = stack[at].index;
  const nested = stack.slice(at + 1).map((b) => b.kind);
  // Split the call's arguments at its top-level commas, on both sides of the cursor.
  const args: { start: number; end: number }[] = [];
  let depth = 0;
  let argStart = open + 1;
  let cursorArg = -1;
  let i = open + 1;
  for (; i < tokens.length; i++) {
    const t = tokens[i];
    if (cursorArg < 0 && (t.span.start >= wordStart || i >= k)) cursorArg = args.length;
    if (isBoundary(t) || t.span.start > limit) break;
    if (t.kind !== 'punct') continue;
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') {
      if (depth === 0) break;
      depth--;
    } else if (t.text === ',' && depth === 0) {
      args.push({ start: argStart, end: i });
      argStart = i + 1;
    }
  }
  args.push({ start: argStart, end: i });
  if (cursorArg < 0) cursorArg = args.length - 1;
  const keywordOf = (a: { start: number; end: number }): string | null =>
    a.end - a.start >= 2 && tokens[a.start].kind === 'ident' && isPunct(tokens[a.start + 1], '=') ? tokens[a.start].text : null;
  const isEmpty = (a: { start: number; end: number }) => a.end <= a.start;
  const cur = args[cursorArg];
  const keyword = keywordOf(cur);
  const keywordsGiven = new Set<string>();
  let positionalBefore = 0;
  let positionalTotal = 0;
  let keywordBefore = false;
  args.forEach((a, j) => {
    const kw = keywordOf(a);
    if (j === cursorArg) {
      if (!kw) positionalTotal++;
      return;
    }
    if (kw) {
      keywordsGiven.add(kw);
      if (j < cursorArg) keywordBefore = true;
    } else if (!isEmpty(a)) {
      positionalTotal++;
      if (j < cursorArg) positionalBefore++;
    }
  });
  const callee = tokens[open - 1];
  return {
    callee: callee.text,
    calleeSpan: callee.span,
    open,
    keyword,
    inKeywordValue: keyword !== null && tokens[cur.start + 1].span.end <= wordStart,
    positionalBefore,
    keywordBefore,
    positionalTotal,
    keywordsGiven,
    nested,
  };
}
