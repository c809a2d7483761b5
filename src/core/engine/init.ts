// Initial values of inputs, params and consts: literals, seeded random inits, integer labels.
import type { DiagnosticSink } from '../diagnostics';
import type { DimRef, Expr, TensorDecl } from '../lang/ast';
import { literalNumber } from '../lang/resolve';
import { didYouMean } from '../lang/suggest';
import { formatSizes } from '../shapes/shape';
import { fromNested, Tensor } from '../tensor/tensor';
import { Prng } from './prng';

export const RANDOM_INITS: Record<string, { args: string[]; doc: string }> = {
  randn: { args: [], doc: 'standard normal (std 1)' },
  normal: { args: ['std'], doc: 'normal with the given standard deviation' },
  uniform: { args: ['a', 'b'], doc: 'uniform in [a, b)' },
  xavier: { args: [], doc: 'normal with std sqrt(1/fan_in)' },
  he: { args: [], doc: 'normal with std sqrt(2/fan_in) — for layers followed by a relu' },
  zeros: { args: [], doc: 'all zeros' },
  ones: { args: [], doc: 'all ones' },
};

/**
 * fan_in of a weight: the first dimension of a 2-D weight [in, out]; C·kh·kw for a conv weight
 * [F, C, kh, kw] (the product of all but the first axis for rank ≥ 3); the length of a vector.
 */
export function fanIn(sizes: readonly number[]): number {
  if (sizes.length === 0) return 1;
  if (sizes.length === 1) return sizes[0];
  if (sizes.length === 2) return sizes[0];
  return sizes.slice(1).reduce((a, b) => a * b, 1);
}

/** Evaluates a literal (numbers, unary minus, nested lists) to nested arrays, or null. */
export function literalValue(e: Expr): unknown {
  const n = literalNumber(e);
  if (n !== null) return n;
  if (e.kind === 'list') {
    const items = e.items.map(literalValue);
    return items.some((x) => x === null) ? null : items;
  }
  return null;
}

export interface InitContext {
  seed: number;
  dimSize(name: string): number | undefined;
  sink: DiagnosticSink;
}

/** Builds a leaf's value when called: nothing of the tensor's size is allocated before. */
export type InitRecipe = () => Tensor;

/**
 * The initial value of a declaration whose shape resolved to `sizes`, or null after reporting
 * why it cannot be built.
 */
export function initialValue(decl: TensorDecl, sizes: number[], ctx: InitContext): Tensor | null {
  return initRecipe(decl, sizes, ctx)?.() ?? null;
}

/**
 * How to build a declaration's initial value, validated now (every problem is reported here) and
 * allocated later, once the plan has counted it against the budget; null after reporting why it
 * cannot be built. A literal is already a tensor: its size is the size of the source text.
 */
export function initRecipe(decl: TensorDecl, sizes: number[], ctx: InitContext): InitRecipe | null {
  const { sink } = ctx;
  const init = decl.init;
  const rng = () => new Prng(ctx.seed, `init:${decl.name}`);
  if (decl.type?.isInt && decl.range && (!init || init.kind !== 'literal')) {
    const lo = dimValue(decl.range.lo, ctx);
    const hi = dimValue(decl.range.hi, ctx);
    if (lo === null || hi === null) return null;
    if (hi <= lo) {
      sink.error('bad-init', `the label range ${lo}..${hi} is empty: the upper end is exclusive, so write e.g. \`in 0..C\``, decl.range.span);
      return null;
    }
    return () => {
      const t = new Tensor(sizes);
      const r = rng();
      for (let i = 0; i < t.size; i++) t.data[i] = r.int(lo, hi);
      return t;
    };
  }
  if (!init) return () => randomFill(sizes, 'randn', [], rng);
  if (init.kind === 'literal') {
    const v = literalValue(init.expr);
    if (v === null) {
      sink.error('bad-init', 'an initial value is a number or a nested list of numbers, e.g. `= 0` or `= [2, -3, -3]`; for a random init use `~ randn`', init.span);
      return null;
    }
    const lit = fromNested(v);
    if (typeof lit === 'string') {
      sink.error('bad-init', 'this list is ragged: every row must have the same length', init.span);
      return null;
    }
    if (decl.type?.isInt && lit.data.some((x) => !Number.isInteger(x))) {
      sink.error('bad-init', `\`${decl.name}\` holds integer labels, but the literal has non-integers`, init.span);
      return null;
    }
    if (lit.size === 1 && lit.rank === 0) return () => Tensor.full(sizes, lit.item());
    if (!decl.type?.shape) return () => lit; // shape comes from the literal
    if (lit.shape.length !== sizes.length || lit.shape.some((d, i) => d !== sizes[i])) {
      sink.error('bad-init', `\`${decl.name}\` is declared ${formatSizes(sizes)} but the literal is ${formatSizes([...lit.shape])}; write a list of that shape or a single number`, init.span);
      return null;
    }
    return () => lit;
  }
  const spec = RANDOM_INITS[init.dist];
  if (!spec) {
    sink.error('bad-init', `unknown initialiser \`${init.dist}\`; use one of ${Object.keys(RANDOM_INITS).join(', ')}.${didYouMean(init.dist, Object.keys(RANDOM_INITS))}`, init.distSpan);
    return null;
  }
  const args: number[] = [];
  for (const a of init.args) {
    const n = literalNumber(a);
    if (n === null) {
      sink.error('bad-init', `arguments of \`${init.dist}\` are numbers`, a.span);
      return null;
    }
    args.push(n);
  }
  for (const k of init.kwargs) {
    const i = spec.args.indexOf(k.name);
    const n = literalNumber(k.value);
    if (i < 0 || n === null) {
      sink.error('bad-init', `\`${init.dist}\` takes ${spec.args.length ? spec.args.join(', ') : 'no arguments'}`, k.span);
      return null;
    }
    args[i] = n;
  }
  if (args.length !== spec.args.length || args.some((a) => a === undefined)) {
    const usage = spec.args.length ? `${init.dist}(${spec.args.join(', ')})` : init.dist;
    sink.error('bad-init', `\`${init.dist}\` takes ${spec.args.length ? spec.args.join(', ') : 'no arguments'}: write \`~ ${usage}\``, init.span);
    return null;
  }
  if (init.dist === 'normal' && !(args[0] > 0)) {
    sink.error('bad-init', `the standard deviation of \`normal\` must be positive, found ${args[0]}`, init.span);
    return null;
  }
  if (init.dist === 'uniform' && !(args[0] < args[1])) {
    sink.error('bad-init', `\`uniform(a, b)\` needs a < b, found ${args[0]} and ${args[1]}`, init.span);
    return null;
  }
  if (decl.type?.isInt) {
    sink.error('bad-init', `\`${decl.name}\` holds integer labels: give a range (\`in 0..C\`) instead of \`~ ${init.dist}\``, init.span);
    return null;
  }
  return () => randomFill(sizes, init.dist, args, rng);
}

function randomFill(sizes: number[], dist: string, args: number[], rng: () => Prng): Tensor {
  const t = new Tensor(sizes);
  const d = t.data;
  switch (dist) {
    case 'zeros':
      return t;
    case 'ones':
      d.fill(1);
      return t;
    case 'uniform': {
      const r = rng();
      for (let i = 0; i < d.length; i++) d[i] = args[0] + (args[1] - args[0]) * r.uniform();
      return t;
    }
    default: {
      const std = dist === 'normal' ? args[0] : dist === 'xavier' ? Math.sqrt(1 / fanIn(sizes)) : dist === 'he' ? Math.sqrt(2 / fanIn(sizes)) : 1;
      rng().fillNormal(d, std);
      return t;
    }
  }
}

function dimValue(d: DimRef, ctx: InitContext): number | null {
  if (d.kind === 'int') return d.value;
  return ctx.dimSize(d.name) ?? null;
}
