// Pieces shared by the PyTorch and NumPy template tables: the operators (the same Python syntax
// in both), indexing, and small builders for calls of functions and prelude helpers.
import { ALL_OPS } from '../ops/registry';
import type { IndexSpec, OpDef, ParamSpec } from '../ops/op';
import { THROUGH_FUNCTIONS, vjpName } from '../ops/vjp';
import { binary, call, py, pyFloat, PREC, wrap, type Py } from './pyExpr';
import type { ExprTemplate, HelperDef, OpTemplate, TargetOps } from './templates';

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

/** One `<op>_d<param>` gradient function, as both scripts define it. */
export interface GradientFunction {
  /** The op's name, e.g. `conv2d`. */
  op: string;
  /** `conv2d_dw`. */
  id: string;
  param: string;
  /** Position of `param` among the op's tensor params. */
  index: number;
  /** The op's tensor params, in order. */
  params: string[];
  /** The Python parameter list after `dout`: the tensor params, then the attributes with their defaults. */
  signature: string;
  /** The attributes passed on by keyword: `stride=stride, pad=pad`. */
  passAttrs: string[];
}

/** An attribute's default as Python writes it (`1`, `1e-05`). */
function pyDefault(p: ParamSpec): string {
  if (typeof p.default === 'boolean') return p.default ? 'True' : 'False';
  const v = p.default as number;
  if (p.kind === 'int') return String(v);
  return v !== 0 && Math.abs(v) < 1e-4 ? v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : pyFloat(v);
}

/**
 * The gradient functions of every op differentiated through them (ops/vjp.ts), read from the op's
 * own signature; `define` writes a target's Python for one of them.
 */
export function gradientFunctions(define: (g: GradientFunction) => HelperDef): { templates: Record<string, OpTemplate>; helpers: Record<string, HelperDef> } {
  const templates: Record<string, OpTemplate> = {};
  const helpers: Record<string, HelperDef> = {};
  for (const op of THROUGH_FUNCTIONS) {
    const tensors = op.signature.filter((p) => p.kind === 'tensor');
    const params = tensors.map((p) => p.name);
    const attrs = op.signature.filter((p) => p.kind !== 'tensor');
    // An optional tensor (attention's mask) is None when the call leaves it out; a label argument gets no gradient function.
    const tensorSig = tensors.map((p) => (p.default === null ? `${p.name}=None` : p.name));
    tensors.forEach((p, index) => {
      if (p.labels) return;
      const param = p.name;
      const id = vjpName(op, param);
      templates[id] = helperCall(id, attrs.map((a) => a.name));
      // A required attribute (groupnorm's G) comes before those with defaults in every signature.
      // After an optional tensor the attributes are keyword-only (`*`): the calls pass them by keyword.
      const star = tensors.some((t) => t.default === null) && attrs.length ? ['*'] : [];
      const signature = [...tensorSig, ...star, ...attrs.map((a) => (a.default === undefined ? a.name : `${a.name}=${pyDefault(a)}`))].join(', ');
      helpers[id] = define({ op: op.name, id, param, index, params, signature, passAttrs: attrs.map((a) => `${a.name}=${a.name}`) });
    });
  }
  return { templates, helpers };
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
