// Selection ranges ("expand selection"): the name or number under the cursor, then each enclosing
// expression, the statement, the block (backward block, gate body), the gate, the whole file.
import type { Expr, GateDecl, Statement } from '../lang/ast';
import type { Range, Span } from '../text';
import { ideDocument } from './document';

export interface SelectionRange {
  range: Range;
  parent?: SelectionRange;
}

const within = (s: Span, offset: number) => s.start <= offset && offset <= s.end;

export function selectionRanges(text: string, offsets: number[]): SelectionRange[] {
  const doc = ideDocument(text);
  return offsets.map((offset) => {
    const spans: Span[] = [{ start: 0, end: text.length }]; // outermost first
    const s = doc.program.statements.find((st) => within(st.span, offset));
    if (s) statementSpans(s, offset, spans);
    const k = doc.tokenIndexAt(offset);
    for (const t of [doc.tokens[k], doc.tokens[k - 1]]) {
      if (t && t.kind !== 'newline' && t.kind !== 'eof' && within(t.span, offset)) {
        spans.push(t.span);
        break;
      }
    }
    // Innermost first, each containing the previous; equal neighbours merged.
    let result: SelectionRange | undefined;
    let last: Span | null = null;
    for (const sp of spans) {
      if (last && (sp.start < last.start || sp.end > last.end)) continue;
      if (last && sp.start === last.start && sp.end === last.end) continue;
      result = { range: doc.range(sp), ...(result ? { parent: result } : {}) };
      last = sp;
    }
    return result as SelectionRange;
  });
}

function statementSpans(s: Statement, offset: number, spans: Span[]): void {
  spans.push(s.span);
  switch (s.kind) {
    case 'assign':
      exprSpans(s.expr, offset, spans);
      return;
    case 'decl':
      if (s.type && within(s.type.span, offset)) spans.push(s.type.span);
      else if (s.range && within(s.range.span, offset)) spans.push(s.range.span);
      else if (s.init && within(s.init.span, offset)) {
        spans.push(s.init.span);
        if (s.init.kind === 'literal') exprSpans(s.init.expr, offset, spans);
        else for (const a of [...s.init.args, ...s.init.kwargs.map((k) => k.value)]) exprSpans(a, offset, spans);
      }
      return;
    case 'expect':
      if (s.expected) exprSpans(s.expected, offset, spans);
      return;
    case 'gate':
      gateSpans(s, offset, spans);
      return;
    default:
      return;
  }
}

function gateSpans(g: GateDecl, offset: number, spans: Span[]): void {
  if (within(g.headerSpan, offset)) {
    spans.push(g.headerSpan);
    const p = [...g.params, g.output].find((q) => within(q.span, offset));
    if (p) spans.push(p.span);
    return;
  }
  const lines = [...g.body, ...(g.backward ? [g.backward] : [])];
  if (lines.length) spans.push({ start: lines[0].span.start, end: lines[lines.length - 1].span.end }); // the body
  const b = g.backward;
  const inner = b && within(b.span, offset) ? b.body : g.body;
  if (b && within(b.span, offset)) {
    spans.push(b.span);
    if (b.body.length) spans.push({ start: b.body[0].span.start, end: b.body[b.body.length - 1].span.end });
  }
  const a = inner.find((x) => within(x.span, offset));
  if (a) {
    spans.push(a.span);
    exprSpans(a.expr, offset, spans);
  }
}

function exprSpans(e: Expr, offset: number, spans: Span[]): void {
  for (;;) {
    if (!within(e.span, offset)) return;
    spans.push(e.span);
    let next: Expr | undefined;
    switch (e.kind) {
      case 'binary':
        next = within(e.left.span, offset) ? e.left : e.right;
        break;
      case 'unary':
      case 'transpose':
      case 'index':
        next = e.operand;
        break;
      case 'list':
        next = e.items.find((x) => within(x.span, offset));
        break;
      case 'call': {
        next = e.args.find((x) => within(x.span, offset));
        const kw = e.kwargs.find((k) => within(k.span, offset));
        if (!next && kw) {
          spans.push(kw.span);
          next = kw.value;
        }
        break;
      }
      default:
        return;
    }
    if (!next) return;
    e = next;
  }
}
