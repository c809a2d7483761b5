// Dimension analysis (the lecture's trick): a gradient has the shape of what it is the gradient
// of, and there is usually exactly one way to arrange the operands of a product to get that shape.
// Given a `d<input> = expr` with the wrong shape, finds the arrangements of the same operands
// (transposes, the order of `@`, a sum over broadcast axes) that have the right one.
import type { Expr } from '../lang/ast';
import { E, printExpr } from '../lang/print';
import type { ValueType } from '../ops/op';
import { dimsSymbolicallyEqual, shapesSymbolicallyEqual, type Shape } from './shape';

export interface Proposal {
  expr: Expr;
  text: string;
}

export interface Arrangements {
  /** The operands the proposals rearrange, as written (without transposes). */
  operands: string[];
  proposals: Proposal[];
}

/** Products of more operands than this are not rearranged (4! · 2⁴ candidates). */
const MAX_OPERANDS = 4;

function stripTranspose(e: Expr): { base: Expr; transposed: boolean } {
  let transposed = false;
  let cur = e;
  while (cur.kind === 'transpose') {
    transposed = !transposed;
    cur = cur.operand;
  }
  return { base: cur, transposed };
}

/** The operands of a chain of `@` (a single operand for anything else), transposes removed. */
function productOperands(e: Expr): Expr[] {
  const { base } = stripTranspose(e);
  if (base.kind === 'binary' && base.op === '@') return [...productOperands(base.left), ...productOperands(base.right)];
  return [base];
}

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    const rest = [...items.slice(0, i), ...items.slice(i + 1)];
    for (const p of permutations(rest)) yield [items[i], ...p];
  }
}

/** Every product of the operands in every order, each operand transposed or not. */
function productCandidates(operands: Expr[]): Expr[] {
  const out: Expr[] = [];
  const n = operands.length;
  for (const order of permutations(operands)) {
    for (let mask = 0; mask < 1 << n; mask++) {
      const factors = order.map((o, i) => (mask & (1 << i) ? E.T(o) : o));
      out.push(factors.reduce((acc, f) => E.bin('@', acc, f)));
    }
  }
  return out;
}

/** A sum over the axes that turn `shape` into `target` (the gradient of a broadcast), or null. */
export function sumToTarget(e: Expr, shape: Shape, target: Shape): Expr | null {
  if (shapesSymbolicallyEqual(shape, target)) return e;
  const r = shape.length;
  const t = target.length;
  if (r < t) return null;
  const axes: number[] = [];
  for (let k = 0; k < r - t; k++) axes.push(k);
  let keep = false;
  for (let k = 0; k < t; k++) {
    const s = shape[r - t + k];
    const d = target[k];
    if (dimsSymbolicallyEqual(s, d)) continue;
    if (d.size === 1 && d.origin === 'literal') {
      axes.push(r - t + k);
      keep = true;
      continue;
    }
    return null;
  }
  if (axes.length === 0) return null;
  if (keep && r !== t) return null; // mixing dropped and kept axes: too clever to propose
  const kwargs: Record<string, Expr> = { axis: E.ints(axes.length === 1 ? axes[0] : axes) };
  if (keep) kwargs.keepdims = E.bool(true);
  return E.call('sum', [e], kwargs);
}

function transposeCount(e: Expr): number {
  if (e.kind === 'transpose') return 1 + transposeCount(e.operand);
  if (e.kind === 'binary') return transposeCount(e.left) + transposeCount(e.right);
  if (e.kind === 'call') return e.args.reduce((n, a) => n + transposeCount(a), 0);
  return 0;
}

/**
 * The arrangements of `expr`'s operands whose shape is `target` (symbolically). `typeOf`
 * infers a synthetic expression's type silently (null when it cannot be formed).
 */
export function proposeArrangements(expr: Expr, target: Shape, typeOf: (e: Expr) => ValueType | null): Arrangements {
  const operands = productOperands(expr);
  const names = operands.map(printExpr);
  if (operands.length > MAX_OPERANDS) return { operands: names, proposals: [] };
  const original = printExpr(expr);
  const seen = new Set<string>([original]);
  const proposals: Proposal[] = [];
  const consider = (e: Expr) => {
    const t = typeOf(e);
    if (!t) return;
    const fitted = sumToTarget(e, t.shape, target);
    if (!fitted) return;
    const text = printExpr(fitted);
    if (seen.has(text)) return;
    seen.add(text);
    proposals.push({ expr: fitted, text });
  };
  consider(expr);
  if (operands.length > 1 || proposals.length === 0) for (const c of productCandidates(operands)) consider(c);
  // Prefer the fewest transposes, then the original operand order (a stable sort keeps it).
  proposals.sort((a, b) => transposeCount(a.expr) - transposeCount(b.expr));
  return { operands: names, proposals };
}
