// Helpers for the ops' derivation rules: dimensions as expressions, counts, and re-inserting
// reduced axes — so each rule reads like the formula it writes.
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import type { Dim, Shape } from '../shapes/shape';
import type { AttrValue } from './op';

/** A dimension as a number expression: its name (dimensions are usable as numbers) or its value. */
export function dimExpr(d: Dim): Expr | null {
  if (d.origin === 'literal' && d.size !== null) return E.num(d.size);
  if (d.origin === 'name') return E.name(d.sym);
  if (d.size !== null) return E.num(d.size);
  return null;
}

/** The product of some axes' sizes as an expression (`N`, `N * C`), or null if one is unnamed. */
export function countExpr(shape: Shape, axes?: number[]): Expr | null {
  const picked = axes ? axes.map((a) => shape[a]) : [...shape];
  let acc: Expr | null = null;
  for (const d of picked) {
    const e = dimExpr(d);
    if (!e) return null;
    acc = acc ? E.bin('*', acc, e) : e;
  }
  return acc ?? E.num(1);
}

/** Re-inserts reduced axes (as size-1 axes) so a reduced gradient broadcasts over its input. */
export function unreduce(g: Expr, axes: number[], keepdims: boolean, rank: number): Expr {
  // A full reduction gives a scalar, which broadcasts by itself.
  if (keepdims || axes.length === rank) return g;
  let out = g;
  for (const a of [...axes].sort((x, y) => x - y)) out = E.call('expand_dims', [out], { axis: E.num(a) });
  return out;
}

/** An attribute value back as source text. */
export function attrExpr(v: AttrValue): Expr | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return E.num(v);
  if (typeof v === 'boolean') return E.bool(v);
  if (typeof v === 'string') return null;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return E.list((v as number[]).map((x) => E.num(x)));
    return null;
  }
  if ('sym' in v) return dimExpr(v);
  if ('kind' in v && v.kind === 'shape') {
    const items = v.dims.map((d) => (d === 'infer' ? E.num(-1) : dimExpr(d)));
    return items.some((x) => x === null) ? null : E.list(items as Expr[]);
  }
  return null;
}

