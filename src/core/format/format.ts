// The canonical formatter. It changes whitespace and line layout only, never a token:
// - spacing between tokens by the rules of layout.ts (`a + b`, `f(x, axis=0)`, `X: [N, D]`,
//   `~ he`, `x[1:3]`, `-x`, `0..C`, `x.T`, `c ** 2`);
// - indentation: 2 spaces per `{` (gate bodies, backward blocks), each statement of a block on its
//   own line and `}` on its own line; a line that continues a statement (inside brackets or after
//   an operator, as the lexer allows) keeps its line break and is indented 2 spaces per open
//   bracket (at least one level), a line starting with a closing bracket one level less;
// - `=` of consecutive assignments stays aligned when it was aligned (a run of lines whose `=`
//   stood in the same column relative to the name gets the tightest common column), otherwise
//   one space: the examples align their top-level assignments, and the rule keeps that canonical;
// - comments are kept as written; a trailing comment keeps its column (so aligned comments stay
//   aligned), moving right only when the code grew into it, and always has a space before `#`;
// - at most one blank line in a row, none at the start and end of the file or of a block, no
//   trailing whitespace, one final newline.
// A statement with a syntax error is left exactly as written; the rest of the file is formatted.
// The result is checked (same tokens, same syntax tree modulo positions): if that ever fails, the
// text is returned unchanged rather than risk losing anything.
import { DiagnosticSink, type TextEdit } from '../diagnostics';
import { lex } from '../lang/lexer';
import { parseTokens } from '../lang/parser';
import type { Token } from '../lang/tokens';
import { LineMap, type Span } from '../text';
import { bracketKind, endsOperand, isText, scanGap, spaceBetween, type Bracket, type Gap } from './layout';
import { sameMeaning } from './verify';

export interface FormatOptions {
  /** Line ending of the result; default: the file's own (its first line break), else `\n`. */
  eol?: '\n' | '\r\n';
}

export interface FormatResult {
  text: string;
  /** Statements left exactly as written because they have syntax errors. */
  skipped: Span[];
  /** Syntax errors in the file (lexer and parser). */
  syntaxErrors: number;
}

interface OutLine {
  text: string;
  /** A trailing comment and the column it had in the source. */
  comment?: { text: string; col: number };
  /** An assignment's `=`: where to pad after the name, and its column relative to the name in the source. */
  eq?: { at: number; rel: number };
  blank?: boolean;
  opensBlock?: boolean;
  /** The statement (chunk) the line belongs to, -1 between statements. */
  chunk: number;
}

/** A top-level statement: its tokens (indices into the token list) and the lines it occupies. */
interface Chunk {
  first: number;
  last: number;
  /** Offsets of the start of its first line and the end of its last line (before the break). */
  start: number;
  end: number;
  broken: boolean;
}

class Lines {
  readonly lines: OutLine[] = [];
  private cur: OutLine | null = null;
  private pendingBlank: number | null = null;
  chunk = -1;
  /** Text was found where only whitespace and comments can be: give up rather than lose it. */
  lost = false;

  private push(line: OutLine): OutLine {
    const prev = this.lines[this.lines.length - 1];
    if (this.pendingBlank !== null && prev && !prev.opensBlock) this.lines.push({ text: '', blank: true, chunk: this.pendingBlank });
    this.pendingBlank = null;
    this.lines.push(line);
    return line;
  }

  open(indent: number): void {
    this.cur = this.push({ text: ' '.repeat(indent), chunk: this.chunk });
  }

  put(s: string): void {
    if (this.cur) this.cur.text += s;
  }

  markEq(nameLength: number, rel: number): void {
    if (this.cur) this.cur.eq = { at: this.cur.text.length + nameLength, rel };
  }

  dropBlank(): void {
    this.pendingBlank = null;
  }

  /** Ends the open line (with the gap's trailing comment) and writes the gap's comment lines. */
  gap(g: Gap, indent: number, keepBlanks: boolean): void {
    if (this.cur) {
      if (g.trailing) this.cur.comment = g.trailing;
      this.cur.opensBlock = this.cur.text.endsWith('{');
      this.cur = null;
    }
    if (g.trailingJunk) this.lost = true;
    for (const l of g.lines) {
      if (l.kind === 'blank') {
        if (keepBlanks) this.pendingBlank = this.chunk;
      } else if (l.kind === 'comment') this.push({ text: ' '.repeat(indent) + l.text, chunk: this.chunk });
      else {
        if (this.chunk >= 0) this.lost = true; // junk inside a statement that parsed: impossible
        this.push({ text: l.text, chunk: this.chunk });
      }
    }
  }

  verbatim(text: string): void {
    for (const l of text.split(/\r\n|\r|\n/)) this.push({ text: l, chunk: this.chunk });
  }
}

function lineEnd(text: string, offset: number): number {
  let i = offset;
  while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
  return i;
}

function afterBreak(text: string, offset: number): number {
  if (text[offset] === '\r' && text[offset + 1] === '\n') return offset + 2;
  return offset < text.length ? offset + 1 : offset;
}

interface Laid {
  lines: OutLine[];
  chunks: Chunk[];
  syntaxErrors: number;
  lost: boolean;
}

function layOut(text: string): Laid {
  const sink = new DiagnosticSink();
  const all = lex(text, sink);
  parseTokens(all, sink);
  const map = new LineMap(text);
  const lineStart = (o: number) => map.lineStart(o);
  // Real tokens, and whether a statement break (a newline token) comes before each.
  const toks: Token[] = [];
  const breakBefore: boolean[] = [];
  let pending = false;
  for (const t of all) {
    if (t.kind === 'newline') pending = true;
    else if (t.kind !== 'eof') {
      toks.push(t);
      breakBefore.push(pending);
      pending = false;
    }
  }
  const chunks: Chunk[] = [];
  let depth = 0;
  toks.forEach((t, j) => {
    if (j === 0 || (breakBefore[j] && depth === 0)) chunks.push({ first: j, last: j, start: 0, end: 0, broken: false });
    else chunks[chunks.length - 1].last = j;
    if (isText(t, '{')) depth++;
    else if (isText(t, '}')) depth = Math.max(0, depth - 1);
  });
  for (const c of chunks) {
    c.start = lineStart(toks[c.first].span.start);
    c.end = lineEnd(text, toks[c.last].span.end);
    c.broken = sink.items.some((e) => e.span.start <= c.end && e.span.end >= c.start);
  }

  const out = new Lines();
  const isUnary = (j: number, c: Chunk) => toks[j].kind === 'op' && toks[j].text === '-' && (j === c.first || !endsOperand(toks[j - 1]));
  let prevEnd = 0;
  let lineOpen = false;
  chunks.forEach((c, ci) => {
    out.chunk = -1;
    const first = toks[c.first];
    out.gap(scanGap(text, prevEnd, c.broken ? c.start : first.span.start, lineStart, lineOpen, false), 0, true);
    out.chunk = ci;
    if (c.broken) {
      out.verbatim(text.slice(c.start, c.end));
      prevEnd = afterBreak(text, c.end);
      lineOpen = false;
      return;
    }
    let blockDepth = 0;
    const stack: Bracket[] = [];
    for (let j = c.first; j <= c.last; j++) {
      const t = toks[j];
      const a = j > c.first ? toks[j - 1] : undefined;
      let statementStart = false;
      if (!a) {
        out.open(0);
        statementStart = true;
      } else {
        const g = scanGap(text, a.span.end, t.span.start, lineStart, true, false);
        const closes = isText(t, '}');
        if (breakBefore[j] || isText(a, '{') || isText(a, '}') || closes) {
          out.gap(g, 2 * blockDepth, !isText(a, '{'));
          if (closes) out.dropBlank();
          out.open(2 * Math.max(0, closes ? blockDepth - 1 : blockDepth));
          statementStart = !closes;
        } else if (g.breaks > 0) {
          const n = stack.length;
          out.gap(g, 2 * blockDepth + 2 * Math.max(1, n), false);
          const closer = isText(t, ')') || isText(t, ']');
          out.open(2 * blockDepth + 2 * (closer ? Math.max(0, n - 1) : Math.max(1, n)));
        } else out.put(spaceBetween(a, t, isUnary(j - 1, c), stack[stack.length - 1]));
      }
      const word = text.slice(t.span.start, t.span.end);
      const next = toks[j + 1];
      if (statementStart && t.kind === 'ident' && j < c.last && isText(next, '=') && lineStart(next.span.start) === lineStart(t.span.start)) {
        out.markEq(word.length, next.span.start - t.span.start);
      }
      out.put(word);
      if (isText(t, '(') || isText(t, '[')) stack.push(bracketKind(t, a));
      else if (isText(t, ')') || isText(t, ']')) stack.pop();
      else if (isText(t, '{') || isText(t, '}')) {
        blockDepth = Math.max(0, blockDepth + (t.text === '{' ? 1 : -1));
        stack.length = 0;
      }
    }
    prevEnd = toks[c.last].span.end;
    lineOpen = true;
  });
  out.chunk = -1;
  out.gap(scanGap(text, prevEnd, text.length, lineStart, lineOpen, true), 0, true);
  out.dropBlank();
  return { lines: out.lines, chunks, syntaxErrors: sink.items.length, lost: out.lost };
}

const indentOf = (l: OutLine) => l.text.length - l.text.trimStart().length;

/** Aligns `=` in runs that were aligned, then places trailing comments. */
function align(lines: OutLine[]): void {
  for (let i = 0; i < lines.length; ) {
    const eq = lines[i].eq;
    if (!eq) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < lines.length && lines[j + 1].eq?.rel === eq.rel && indentOf(lines[j + 1]) === indentOf(lines[i])) j++;
    const width = Math.max(...lines.slice(i, j + 1).map((l) => (l.eq as { at: number }).at));
    for (let k = i; k <= j; k++) {
      const l = lines[k];
      const at = (l.eq as { at: number }).at;
      l.text = l.text.slice(0, at) + ' '.repeat(width - at) + l.text.slice(at);
    }
    i = j + 1;
  }
  for (let i = 0; i < lines.length; ) {
    const c = lines[i].comment;
    if (!c) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < lines.length && lines[j + 1].comment?.col === c.col) j++;
    const col = Math.max(c.col, ...lines.slice(i, j + 1).map((l) => l.text.length + 1));
    for (let k = i; k <= j; k++) lines[k].text += ' '.repeat(col - lines[k].text.length) + (lines[k].comment as { text: string }).text;
    i = j + 1;
  }
}

function detectEol(text: string): '\n' | '\r\n' {
  const i = text.search(/\r\n|\n|\r/);
  return i >= 0 && text[i] === '\r' && text[i + 1] === '\n' ? '\r\n' : '\n';
}

function laidOut(text: string): Laid & { safe: boolean; rendered: string[] } {
  const laid = layOut(text);
  align(laid.lines);
  const rendered = laid.lines.map((l) => l.text);
  return { ...laid, safe: !laid.lost, rendered };
}

export function formatDocument(text: string, options: FormatOptions = {}): FormatResult {
  const eol = options.eol ?? detectEol(text);
  const laid = laidOut(text);
  const skipped = laid.chunks.filter((c) => c.broken).map((c) => ({ start: c.start, end: c.end }));
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const formatted = laid.rendered.length ? bom + laid.rendered.join(eol) + eol : bom;
  if (formatted === text || !laid.safe || !sameMeaning(text, formatted)) return { text, skipped, syntaxErrors: laid.syntaxErrors };
  return { text: formatted, skipped, syntaxErrors: laid.syntaxErrors };
}

export function formatText(text: string, options: FormatOptions = {}): string {
  return formatDocument(text, options).text;
}

/**
 * Formats the whole statements that intersect `range` (offsets): one edit per statement that
 * changes, replacing its lines. Lines between statements (comments, blank lines) are left alone.
 */
export function formatRange(text: string, range: Span, options: FormatOptions = {}): TextEdit[] {
  const eol = options.eol ?? detectEol(text);
  const laid = laidOut(text);
  if (!laid.safe) return [];
  const whole = laid.rendered.length ? laid.rendered.join(eol) + eol : '';
  if (whole !== text && !sameMeaning(text, whole)) return [];
  const map = new LineMap(text);
  const edits: TextEdit[] = [];
  laid.chunks.forEach((c, ci) => {
    if (c.broken || c.start > range.end || c.end < range.start) return;
    const newText = laid.rendered.filter((_, k) => laid.lines[k].chunk === ci).join(eol);
    if (newText !== text.slice(c.start, c.end)) edits.push({ range: map.range({ start: c.start, end: c.end }), newText });
  });
  return edits;
}
