// The word2vec losses of cs224n assignment 2, for one center word vector v_c and the table U of
// outside word vectors: the naive softmax over the whole vocabulary and negative sampling. Their
// gradients reach U only in the rows a word index picks, so like an embedding they scatter-add:
// a word drawn twice as a negative sample (or also the outside word) gets both contributions.
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, namesConflict, type Dim } from '../shapes/shape';
import { Tensor } from '../tensor/tensor';
import { dimExpr } from './deriveKit';
import { indexProblem } from './embedding';
import type { OpDef, ParamSpec, ShapeContext } from './op';

const V_C: ParamSpec = { name: 'v_c', kind: 'tensor', doc: 'the center word vector [D]' };
const U_PARAM: ParamSpec = { name: 'U', kind: 'tensor', doc: 'the outside word vectors [V, D], one row per word of the vocabulary' };

/** v_c [D] and U [V, D]; the int arguments must be integers of the given ranks. */
function wordShape(ctx: ShapeContext, ints: { arg: number; name: string; ranks: number[]; form: string }[]): ShapeResult {
  const [v, U] = ctx.types.map((t) => t.shape);
  if (v.length !== 1) return fail(`${ctx.label} expects v_c as [D], one center word vector, found ${formatShape(v)}; call it once per center word`, 0, 'shape-mismatch');
  if (U.length !== 2) return fail(`${ctx.label} expects U as [V, D], one row per word of the vocabulary, found ${formatShape(U)}`, 1, 'shape-mismatch');
  if (!dimsEqual(U[1], v[0])) {
    const transposed = dimsEqual(U[0], v[0]) ? ' (U looks transposed: declare it as [V, D])' : '';
    return fail(`${ctx.label}: the word vectors of U ${formatShape(U)} have ${U[1].sym} entries but v_c ${formatShape(v)} has ${v[0].sym}${formatDimValues(v, U)}${transposed}`, 1, 'shape-mismatch');
  }
  const conflicts: [Dim, Dim][] = namesConflict(U[1], v[0]) ? [[U[1], v[0]]] : [];
  for (const { arg, name, ranks, form } of ints) {
    const t = ctx.types[arg];
    if (!t.isInt) return fail(`${ctx.label}: ${name} must hold integer word indices, found a float tensor ${formatShape(t.shape)}; declare it as \`${form}\` with \`in 0..V\``, arg, 'bad-argument');
    if (!ranks.includes(t.shape.length)) return fail(`${ctx.label} expects ${name} as ${form}, found ${formatShape(t.shape)}`, arg, 'shape-mismatch');
  }
  return ok([], conflicts);
}

/** −log σ(s), without overflow for large |s|. */
function softplusNeg(s: number): number {
  return s > 0 ? Math.log1p(Math.exp(-s)) : -s + Math.log1p(Math.exp(s));
}

function sigmoid(s: number): number {
  return s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
}

/** u_k · v for row k of U [V, D]. */
function rowDot(U: Tensor, k: number, v: Tensor): number {
  const D = v.size;
  let acc = 0;
  for (let j = 0; j < D; j++) acc += U.data[k * D + j] * v.data[j];
  return acc;
}

/** dv += c·u_k and dU[k] += c·v. */
function accumulate(dv: Tensor | null, dU: Tensor | null, U: Tensor, k: number, v: Tensor, c: number): void {
  const D = v.size;
  for (let j = 0; j < D; j++) {
    if (dv) dv.data[j] += c * U.data[k * D + j];
    if (dU) dU.data[k * D + j] += c * v.data[j];
  }
}

/** The outer product a ⊗ v of a [V] and v [D], as .grad. */
function outer(a: Expr, v: Expr): Expr {
  return E.bin('*', E.call('expand_dims', [a], { axis: E.num(1) }), E.call('expand_dims', [v], { axis: E.num(0) }));
}

/** Every word's score u_k·v (forward and backward of the naive softmax) and the largest, for a stable softmax. */
function scores(U: Tensor, v: Tensor): { s: Float64Array; m: number } {
  const s = new Float64Array(U.shape[0]);
  let m = -Infinity;
  for (let k = 0; k < s.length; k++) {
    s[k] = rowDot(U, k, v);
    if (s[k] > m) m = s[k];
  }
  return { s, m };
}

export const naiveSoftmaxLoss: OpDef = {
  id: 'naive_softmax_loss',
  name: 'naive_softmax_loss',
  group: 'losses',
  signature: [V_C, U_PARAM, { name: 'o', kind: 'tensor', labels: true, doc: 'the outside word index (a scalar), or several [K] whose losses are summed (a skip-gram window)' }],
  summary:
    'cs224n’s naive-softmax word2vec loss: −log softmax(U · v_c)[o], the probability of the outside word o given the center word over the whole vocabulary, computed stably; ' +
    'with o [K], the sum over the K outside words of a window (skip-gram).',
  explain:
    'With ŷ = softmax(U·v_c) and y the one-hot of o: the scores receive ŷ − y (K·ŷ − counts of o for a window), so v_c receives Uᵀ(ŷ − y) and U receives (ŷ − y) ⊗ v_c — ' +
    'every word of the vocabulary gets a gradient, which is what makes the naive softmax expensive and negative sampling attractive.',
  shape: (ctx) => wordShape(ctx, [{ arg: 2, name: 'o', ranks: [0, 1], form: 'int or int[K]' }]),
  forward([v, U, o]) {
    const V = U.shape[0];
    const error = indexProblem('naive_softmax_loss', o, V);
    if (error) return { value: Tensor.scalar(0), error };
    const { s, m } = scores(U, v);
    let z = 0;
    for (let k = 0; k < V; k++) z += Math.exp(s[k] - m);
    const lse = m + Math.log(z);
    let loss = 0;
    for (let i = 0; i < o.size; i++) loss += lse - s[o.data[i]];
    return { value: Tensor.scalar(loss) };
  },
  backward({ inputs: [v, U, o], grad, needs }) {
    const V = U.shape[0];
    const g = grad.data[0];
    const { s, m } = scores(U, v);
    let z = 0;
    for (let k = 0; k < V; k++) z += (s[k] = Math.exp(s[k] - m));
    // dscores = K·ŷ − counts(o)
    const ds = new Float64Array(V);
    for (let k = 0; k < V; k++) ds[k] = (o.size * s[k]) / z;
    for (let i = 0; i < o.size; i++) ds[o.data[i]] -= 1;
    const dv = needs[0] ? new Tensor(v.shape) : null;
    const dU = needs[1] ? new Tensor(U.shape) : null;
    for (let k = 0; k < V; k++) accumulate(dv, dU, U, k, v, g * ds[k]);
    return [dv, dU, null];
  },
  cost: (s) => 4 * s[1][0] * s[1][1] + 10 * s[1][0],
  derive({ grad, args: [v, U, o], types: [, tU, to] }) {
    const V = dimExpr(tU.shape[0]);
    if (!V) return 'the vocabulary size has no name here';
    const p = E.call('softmax', [E.bin('@', U, v)]);
    let ds: Expr;
    if (to.shape.length === 0) ds = E.bin('-', p, E.call('one_hot', [o, V]));
    else {
      const K = dimExpr(to.shape[0]);
      if (!K) return 'the number of outside words has no name here';
      ds = E.bin('-', E.bin('*', K, p), E.call('sum', [E.call('one_hot', [o, V])], { axis: E.num(0) }));
    }
    const dsg = E.bin('*', ds, grad);
    return [E.bin('@', dsg, U), outer(dsg, v), null];
  },
};

export const negSamplingLoss: OpDef = {
  id: 'neg_sampling_loss',
  name: 'neg_sampling_loss',
  group: 'losses',
  signature: [
    V_C,
    U_PARAM,
    { name: 'o', kind: 'tensor', labels: true, doc: 'the outside word index (a scalar)' },
    { name: 'negatives', kind: 'tensor', labels: true, doc: 'the K sampled negative word indices [K]; repeats count each time' },
  ],
  summary:
    'cs224n’s negative-sampling word2vec loss: −log σ(u_o · v_c) − Σₖ log σ(−u_k · v_c) over the K negative samples, computed stably. ' +
    'The negatives are an integer input (drawn outside, as the assignment’s getNegativeSamples).',
  explain:
    'The outside word pulls: with a = σ(u_o·v_c) − 1, v_c receives a·u_o and row o of U receives a·v_c. Each negative pushes: v_c receives σ(u_k·v_c)·u_k and row k of U receives σ(u_k·v_c)·v_c. ' +
    'Only these K + 1 rows of U get a gradient, and a word sampled twice (or also the outside word) gets the sum of its contributions — assigning instead of adding loses all but one.',
  shape: (ctx) =>
    wordShape(ctx, [
      { arg: 2, name: 'o', ranks: [0], form: 'int' },
      { arg: 3, name: 'negatives', ranks: [1], form: 'int[K]' },
    ]),
  forward([v, U, o, neg]) {
    const V = U.shape[0];
    const error = indexProblem('neg_sampling_loss', o, V) ?? indexProblem('neg_sampling_loss', neg, V);
    if (error) return { value: Tensor.scalar(0), error };
    let loss = softplusNeg(rowDot(U, o.data[0], v));
    for (let i = 0; i < neg.size; i++) loss += softplusNeg(-rowDot(U, neg.data[i], v));
    return { value: Tensor.scalar(loss) };
  },
  backward({ inputs: [v, U, o, neg], grad, needs }) {
    const g = grad.data[0];
    const dv = needs[0] ? new Tensor(v.shape) : null;
    const dU = needs[1] ? new Tensor(U.shape) : null;
    const k0 = o.data[0];
    accumulate(dv, dU, U, k0, v, g * (sigmoid(rowDot(U, k0, v)) - 1));
    for (let i = 0; i < neg.size; i++) {
      const k = neg.data[i];
      accumulate(dv, dU, U, k, v, g * sigmoid(rowDot(U, k, v)));
    }
    return [dv, dU, null, null];
  },
  cost: (s) => 6 * (s[3][0] + 1) * s[1][1],
  derive({ grad, args: [v, U, o, neg], types: [, tU], let: bind }) {
    const V = dimExpr(tU.shape[0]);
    if (!V) return 'the vocabulary size has no name here';
    const uo = bind('u_o', E.call('embedding', [U, o]));
    const un = bind('u_neg', E.call('embedding', [U, neg]));
    const a = bind('a', E.bin('*', E.bin('-', E.call('sigmoid', [E.call('sum', [E.bin('*', uo, v)])]), E.num(1)), grad));
    const b = bind('b', E.bin('*', E.call('sigmoid', [E.bin('@', un, v)]), grad));
    const dv = E.bin('+', E.bin('*', a, uo), E.bin('@', b, un));
    // Scatter-add into U: one_hot rows, the negatives' through a product so repeats add.
    const rows = E.bin('+', E.bin('*', a, E.call('one_hot', [o, V])), E.bin('@', b, E.call('one_hot', [neg, V])));
    return [dv, outer(rows, v), null, null];
  },
};

export const WORD2VEC_OPS: OpDef[] = [naiveSoftmaxLoss, negSamplingLoss];
