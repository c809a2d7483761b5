// The spacing rules of the canonical layout, token pair by token pair, and the scanner of what lies
// between two tokens (comments, blank lines, junk the lexer skipped).
import type { Token } from '../lang/tokens';

/** What a bracket opens; decides the spacing of `=` (keyword argument) and `:` (slice). */
export type Bracket = 'call' | 'group' | 'index' | 'list';

export function isText(t: Token | undefined, text: string): boolean {
  return !!t && t.kind !== 'ident' && t.kind !== 'number' && t.text === text;
}

/** A token that ends an operand: after it, `-` is binary, `(`… is a call and `[` an index. */
export function endsOperand(t: Token | undefined): boolean {
  if (!t) return false;
  if (t.kind === 'ident' || t.kind === 'number') return true;
  if (t.kind === 'keyword') return t.text === 'true' || t.text === 'false';
  return t.kind === 'punct' && (t.text === ')' || t.text === ']');
}

export function bracketKind(open: Token, prev: Token | undefined): Bracket {
  if (open.text === '(') return prev?.kind === 'ident' ? 'call' : 'group';
  return endsOperand(prev) ? 'index' : 'list';
}

/**
 * The space between two tokens on one line:
 * - none inside brackets, before `,` `)` `]` `:`, around `.` (`.T`) and `..` (`0..C`), after a
 *   unary minus, before the `(` of a call and the `[` of an index or of `int[N]`;
 * - none around the `=` of a keyword argument (`axis=0`) and the `:` of a slice (`x[1:3]`);
 * - one everywhere else: around binary operators (`**` included, as the printer of derived
 *   code writes it), `=`, `~`, `->`, `==`, after `,` and the `:` of a type (`X: [N, D]`).
 */
export function spaceBetween(a: Token, b: Token, aIsUnaryMinus: boolean, inner: Bracket | undefined): string {
  if (isText(b, ')') || isText(b, ']') || isText(b, ',')) return '';
  if (isText(a, '(') || isText(a, '[')) return '';
  if (isText(a, ',')) return ' ';
  if (isText(a, '.') || isText(b, '.') || isText(a, '..') || isText(b, '..')) return '';
  if (isText(b, ':')) return '';
  if (isText(a, ':')) return inner === 'index' ? '' : ' ';
  if (aIsUnaryMinus) return '';
  if (isText(b, '(')) return a.kind === 'ident' ? '' : ' ';
  if (isText(b, '[')) return endsOperand(a) || (a.kind === 'keyword' && a.text === 'int') ? '' : ' ';
  if ((isText(a, '=') || isText(b, '=')) && inner === 'call') return '';
  return ' ';
}

export type GapLine = { kind: 'blank' } | { kind: 'comment'; text: string } | { kind: 'junk'; text: string };

export interface Gap {
  /** A comment on the line of the token before the gap, with its column. */
  trailing: { text: string; col: number } | null;
  /** Junk on the line of the token before the gap (only in text the lexer complained about). */
  trailingJunk: boolean;
  /** Whole lines inside the gap. */
  lines: GapLine[];
  breaks: number;
}

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\f' || c === '\uFEFF';

/**
 * Scans `text[start, end)`. `continuesLine`: the gap starts on a line that already holds a token,
 * so its first segment is that line's tail; otherwise it is a whole line. `toEnd`: the gap runs
 * to the end of the file, so its last segment is a whole line too (not the next token's indent).
 */
export function scanGap(text: string, start: number, end: number, lineStartOf: (o: number) => number, continuesLine: boolean, toEnd: boolean): Gap {
  const segments: { from: number; to: number }[] = [];
  let from = start;
  let breaks = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      segments.push({ from, to: i });
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      from = i + 1;
      breaks++;
    }
  }
  segments.push({ from, to: end });
  const gap: Gap = { trailing: null, trailingJunk: false, lines: [], breaks };
  segments.forEach((seg, k) => {
    const isLast = k === segments.length - 1;
    if (isLast && !toEnd) return; // the next token's indentation
    const body = text.slice(seg.from, seg.to);
    let i = 0;
    while (i < body.length && isBlank(body[i])) i++;
    const rest = body.slice(i).replace(/[ \t\f]+$/, '');
    if (k === 0 && continuesLine) {
      if (rest.startsWith('#')) gap.trailing = { text: rest, col: seg.from + i - lineStartOf(seg.from + i) };
      else if (rest) gap.trailingJunk = true;
      return;
    }
    if (!rest) gap.lines.push({ kind: 'blank' });
    else if (rest.startsWith('#')) gap.lines.push({ kind: 'comment', text: rest });
    else gap.lines.push({ kind: 'junk', text: body.replace(/[ \t\f]+$/, '') });
  });
  return gap;
}
