// The expression grammar: comparison < additive < multiplicative < matmul < unary < power <
// postfix (`.T`, indexing) < primary (numbers, names, calls, parentheses, lists). Nesting and
// operator counts are bounded, so a hostile expression gets a diagnostic, never a stack overflow.
import { joinSpans, type Span } from '../text';
import type { BinaryOp, Call, Expr, IndexItem, KwArg } from './ast';
import { ParseError, TokenCursor } from './parseCursor';
import type { Token } from './tokens';

/** Deepest expression nesting accepted; deeper input gets a diagnostic instead of a stack overflow. */
export const MAX_NESTING = 256;
/** Most binary operators accepted in one statement. */
export const MAX_OPERATORS = 1000;

const COMPARISON_OPS = new Set(['>', '<', '>=', '<=', '==']);

export class ExpressionParser extends TokenCursor {
  private depth = 0;
  /** Binary operators in the current statement (reset by the statement parser). */
  protected operators = 0;

  parseExpr(): Expr {
    this.enter(this.tok.span);
    try {
      return this.parseComparison();
    } finally {
      this.depth--;
    }
  }

  protected parseComparison(): Expr {
    const left = this.parseAdditive();
    if (this.tok.kind === 'op' && COMPARISON_OPS.has(this.tok.text)) {
      const op = this.next();
      const right = this.parseAdditive();
      if (this.tok.kind === 'op' && COMPARISON_OPS.has(this.tok.text)) {
        throw new ParseError('comparisons cannot be chained; use parentheses', this.tok.span);
      }
      return this.binary(op, left, right);
    }
    return left;
  }

  /** Guards recursion: deeper input gets a diagnostic instead of a stack overflow. */
  protected enter(at: Span): void {
    if (this.depth >= MAX_NESTING) throw new ParseError(`expression nested more than ${MAX_NESTING} levels deep; split it into several statements`, at);
    this.depth++;
  }

  protected binary(op: Token, left: Expr, right: Expr): Expr {
    // Long operator chains build deep trees that later passes walk recursively: bound them too.
    if (++this.operators > MAX_OPERATORS) {
      throw new ParseError(`more than ${MAX_OPERATORS} operators in one statement; split it into several statements`, op.span);
    }
    return { kind: 'binary', op: op.text as BinaryOp, left, right, opSpan: op.span, span: joinSpans(left.span, right.span) };
  }

  protected parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    while (this.tok.kind === 'op' && (this.tok.text === '+' || this.tok.text === '-')) {
      const op = this.next();
      left = this.binary(op, left, this.parseMultiplicative());
    }
    return left;
  }

  protected parseMultiplicative(): Expr {
    let left = this.parseMatmul();
    while (this.tok.kind === 'op' && (this.tok.text === '*' || this.tok.text === '/')) {
      const op = this.next();
      left = this.binary(op, left, this.parseMatmul());
    }
    return left;
  }

  protected parseMatmul(): Expr {
    let left = this.parseUnary();
    while (this.tok.kind === 'op' && this.tok.text === '@') {
      const op = this.next();
      left = this.binary(op, left, this.parseUnary());
    }
    return left;
  }

  protected parseUnary(): Expr {
    if (this.tok.kind === 'op' && this.tok.text === '-') {
      const minus = this.next();
      this.enter(minus.span);
      try {
        const operand = this.parseUnary();
        return { kind: 'unary', op: '-', operand, span: joinSpans(minus.span, operand.span) };
      } finally {
        this.depth--;
      }
    }
    if (this.tok.kind === 'op' && this.tok.text === '+') throw new ParseError('unary `+` is not supported; remove it', this.tok.span);
    return this.parsePower();
  }

  protected parsePower(): Expr {
    const base = this.parsePostfix();
    if (this.tok.kind === 'op' && this.tok.text === '**') {
      const op = this.next();
      return this.binary(op, base, this.parseUnary());
    }
    return base;
  }

  protected parsePostfix(): Expr {
    let e = this.parsePrimary();
    for (;;) {
      if (this.is('.')) {
        const dot = this.next();
        if (this.tok.kind === 'ident' && this.tok.text === 'T') {
          const t = this.next();
          const opSpan = joinSpans(dot.span, t.span);
          e = { kind: 'transpose', operand: e, opSpan, span: joinSpans(e.span, t.span) };
          continue;
        }
        throw new ParseError(
          this.tok.kind === 'ident' ? `\`.${this.tok.text}\` is not supported: the only attribute is \`.T\` (transpose)` : 'expected `T` after `.` (transpose is `.T`)',
          this.tok.kind === 'ident' ? joinSpans(dot.span, this.tok.span) : dot.span,
        );
      }
      if (this.is('[')) {
        e = this.parseIndex(e);
        continue;
      }
      return e;
    }
  }

  protected parseIndex(operand: Expr): Expr {
    this.expect('[');
    const items: IndexItem[] = [];
    do {
      const start = this.tok.span;
      const first = this.is(':') ? null : this.parseIndexInt();
      if (this.accept(':')) {
        const stop = this.is(',') || this.is(']') ? null : this.parseIndexInt();
        items.push({ kind: 'slice', start: first, stop, span: joinSpans(start, this.prevSpan()) });
      } else {
        items.push({ kind: 'at', value: first as number, span: joinSpans(start, this.prevSpan()) });
      }
    } while (this.accept(','));
    this.expect(']', '`]` or `,`');
    return { kind: 'index', operand, items, span: joinSpans(operand.span, this.prevSpan()) };
  }

  protected parseIndexInt(): number {
    let sign = 1;
    if (this.tok.kind === 'op' && this.tok.text === '-') {
      this.next();
      sign = -1;
    }
    const t = this.tok;
    if (t.kind !== 'number' || !Number.isInteger(t.value)) throw this.errorHere('indices are integer literals, e.g. `x[0]`, `x[-1]`, `x[1:3]`');
    this.next();
    return sign * (t.value as number);
  }

  protected parsePrimary(): Expr {
    const t = this.tok;
    if (t.kind === 'number') {
      this.next();
      return { kind: 'num', value: t.value as number, text: t.text, span: t.span };
    }
    if (t.kind === 'keyword' && (t.text === 'true' || t.text === 'false')) {
      this.next();
      return { kind: 'bool', value: t.text === 'true', span: t.span };
    }
    if (t.kind === 'ident') {
      this.next();
      if (this.is('(')) return this.parseCall(t);
      return { kind: 'name', name: t.text, span: t.span };
    }
    if (this.is('(')) {
      const open = this.next();
      if (this.is(')')) throw new ParseError('empty parentheses: expected an expression', joinSpans(open.span, this.tok.span));
      const inner = this.parseExpr();
      const close = this.expect(')', '`)`');
      // Keep the parentheses in the span so ranges cover what the user sees.
      return { ...inner, span: joinSpans(open.span, close.span) } as Expr;
    }
    if (this.is('[')) {
      const open = this.next();
      const items: Expr[] = [];
      if (!this.is(']')) {
        do {
          if (this.is(']')) break; // trailing comma
          items.push(this.parseExpr());
        } while (this.accept(','));
      }
      const close = this.expect(']', '`]` or `,`');
      return { kind: 'list', items, span: joinSpans(open.span, close.span) };
    }
    if (t.kind === 'keyword') throw new ParseError(`expected an expression, found the keyword \`${t.text}\``, t.span);
    throw this.errorHere('expected an expression');
  }

  protected parseCall(callee: Token): Call {
    const { args, kwargs } = this.parseArgs();
    return { kind: 'call', callee: callee.text, calleeSpan: callee.span, args, kwargs, span: joinSpans(callee.span, this.prevSpan()) };
  }

  protected parseArgs(): { args: Expr[]; kwargs: KwArg[] } {
    this.expect('(');
    const args: Expr[] = [];
    const kwargs: KwArg[] = [];
    if (!this.is(')')) {
      do {
        if (this.is(')')) break; // trailing comma
        if (this.tok.kind === 'ident' && this.peek().kind === 'punct' && this.peek().text === '=') {
          const name = this.next();
          this.next();
          const value = this.parseExpr();
          kwargs.push({ name: name.text, nameSpan: name.span, value, span: joinSpans(name.span, value.span) });
        } else {
          if (kwargs.length > 0) throw new ParseError('a positional argument cannot follow a keyword argument', this.tok.span);
          args.push(this.parseExpr());
        }
      } while (this.accept(','));
    }
    this.expect(')', '`)` or `,`');
    return { args, kwargs };
  }
}
