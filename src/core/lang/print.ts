// Prints expressions as .grad text with the fewest parentheses the grammar needs, and builds
// synthetic expressions (for proposals and derived backward passes).
import type { BinaryOp, Expr, KwArg } from './ast';

const NO_SPAN = { start: 0, end: 0 };

/** Binding strength, loosest first (spec section 4, plus comparisons). */
const PREC: Record<BinaryOp, number> = { '>': 1, '<': 1, '>=': 1, '<=': 1, '==': 1, '+': 2, '-': 2, '*': 3, '/': 3, '@': 4, '**': 6 };
const UNARY = 5;
const POSTFIX = 7;
const ATOM = 8;

function precOf(e: Expr): number {
  switch (e.kind) {
    case 'binary':
      return PREC[e.op];
    case 'unary':
      return UNARY;
    case 'transpose':
    case 'index':
      return POSTFIX;
    default:
      return ATOM;
  }
}

function wrap(e: Expr, minPrec: number): string {
  const s = printExpr(e);
  return precOf(e) < minPrec ? `(${s})` : s;
}

function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  return String(v);
}

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return e.text || formatNumber(e.value);
    case 'bool':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(printExpr).join(', ')}]`;
    case 'unary':
      return `-${wrap(e.operand, UNARY)}`;
    case 'binary': {
      const p = PREC[e.op];
      if (e.op === '**') return `${wrap(e.left, POSTFIX)} ** ${wrap(e.right, UNARY)}`;
      // Left-associative: the right operand needs parentheses at equal precedence; comparisons
      // do not chain at all.
      return `${wrap(e.left, p === 1 ? 2 : p)} ${e.op} ${wrap(e.right, p + 1)}`;
    }
    case 'transpose':
      return `${wrap(e.operand, POSTFIX)}.T`;
    case 'index':
      return `${wrap(e.operand, POSTFIX)}[${e.items.map((i) => (i.kind === 'at' ? String(i.value) : `${i.start ?? ''}:${i.stop ?? ''}`)).join(', ')}]`;
    case 'call':
      return `${e.callee}(${[...e.args.map(printExpr), ...e.kwargs.map((k) => `${k.name}=${printExpr(k.value)}`)].join(', ')})`;
    case 'error':
      return '<error>';
  }
}

// ------------------------------------------------------------------ builders

export const E = {
  name(name: string): Expr {
    return { kind: 'name', name, span: NO_SPAN };
  },
  num(value: number): Expr {
    if (value < 0) return E.neg(E.num(-value));
    return { kind: 'num', value, text: formatNumber(value), span: NO_SPAN };
  },
  bool(value: boolean): Expr {
    return { kind: 'bool', value, span: NO_SPAN };
  },
  list(items: Expr[]): Expr {
    return { kind: 'list', items, span: NO_SPAN };
  },
  neg(operand: Expr): Expr {
    return { kind: 'unary', op: '-', operand, span: NO_SPAN };
  },
  bin(op: BinaryOp, left: Expr, right: Expr): Expr {
    return { kind: 'binary', op, left, right, opSpan: NO_SPAN, span: NO_SPAN };
  },
  T(operand: Expr): Expr {
    return { kind: 'transpose', operand, opSpan: NO_SPAN, span: NO_SPAN };
  },
  call(callee: string, args: Expr[], kwargs: Record<string, Expr> = {}): Expr {
    const kw: KwArg[] = Object.entries(kwargs).map(([name, value]) => ({ name, nameSpan: NO_SPAN, value, span: NO_SPAN }));
    return { kind: 'call', callee, calleeSpan: NO_SPAN, args, kwargs: kw, span: NO_SPAN };
  },
  /** An integer or a list of integers (axes). */
  ints(v: number | number[]): Expr {
    return Array.isArray(v) ? E.list(v.map((x) => E.num(x))) : E.num(v);
  },
};
