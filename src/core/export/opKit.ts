// Pieces shared by the PyTorch and NumPy template tables: the operators (the same Python syntax
// in both), indexing, and small builders for calls of functions and prelude helpers.
import { ALL_OPS } from '../ops/registry';
import type { IndexSpec, OpDef } from '../ops/op';
import { binary, call, py, PREC, wrap, type Py } from './pyExpr';
import type { ExprTemplate, OpTemplate, TargetOps } from './templates';

export function expr(render: ExprTemplate['render'], numbers: 'keep' | 'tensor' = 'tensor'): ExprTemplate {
  return { kind: 'expr', numbers, render };
}

/** Python numbers combine into a Python number; anything with a tensor is a tensor. */
const kindOf = (args: Py[]) => (args.every((a) => a.kind === 'number') ? 'number' : 'tensor');

function operator(sym: string, prec: number): ExprTemplate {
  return expr(({ args: [a, b] }) => binary(a, sym, b, prec, kindOf([a, b])), 'keep');
}

function comparison(sym: string): ExprTemplate {
  return expr(({ args: [a, b] }) => {
    const c = binary(a, sym, b, PREC.CMP, 'bool');
    return a.kind === 'number' && b.kind === 'number' ? call('float', [c], 'number') : c;
  }, 'keep');
}

/** A function applied to the tensor arguments: `torch.exp(x)`, `np.exp(x)`. */
export const fn = (name: string) => expr(({ args }) => call(name, args));

/** A call of a prelude helper with the op's arguments and the named attributes as keywords. */
export function helperCall(name: string, attrs: string[] = []): ExprTemplate {
  return expr((t) => call(t.helper(name), [...t.args, ...attrs.map((a) => `${a}=${t.attr(a).code}`)]));
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `0, 1:3, :` from the resolved index items. */
function indexText(v: unknown): string {
  const items = Array.isArray(v) ? (v as IndexSpec[]) : [];
  return items.map((i) => (i.kind === 'at' ? String(i.value) : `${i.start ?? ''}:${i.stop ?? ''}`)).join(', ');
}

export function listText(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : '[]';
}

/** `(N, M)` → ['N', 'M'], for `x.reshape(N, M)`. */
export function shapeItems(code: string): string[] {
  const inner = code.replace(/^\(/, '').replace(/,?\)$/, '');
  return inner.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Operators, comparisons and indexing: Python syntax shared by both targets. */
export const OPERATORS: Record<string, OpTemplate> = {
  add: operator('+', PREC.ADD),
  sub: operator('-', PREC.ADD),
  mul: operator('*', PREC.MUL),
  div: operator('/', PREC.MUL),
  // .grad's @ binds tighter than *, Python's as tight: the precedence rules add the parentheses.
  matmul: operator('@', PREC.MUL),
  pow: expr(({ args: [x, p] }) => py(`${wrap(x, PREC.POSTFIX)} ** ${wrap(p, PREC.UNARY)}`, PREC.POW, kindOf([x, p])), 'keep'),
  neg: expr(({ args: [x] }) => py(`-${wrap(x, PREC.UNARY)}`, PREC.UNARY, x.kind), 'keep'),
  index: expr(({ args: [x], attr }) => py(`${wrap(x, PREC.POSTFIX)}[${indexText(attr('items').value)}]`, PREC.POSTFIX)),
  gt: comparison('>'),
  lt: comparison('<'),
  ge: comparison('>='),
  le: comparison('<='),
  eq: comparison('=='),
};

/** Op ids with neither a template nor an explicit "not supported" (the drift test keeps this empty). */
export function missingTemplates(ops: TargetOps, all: readonly OpDef[] = ALL_OPS): string[] {
  return all.filter((op) => !ops.templates[op.id]).map((op) => op.id);
}
