// cs231n's temporal layers for captioning (assignment 3): an affine map applied at every time step
// of a batch of sequences, and a softmax cross-entropy summed over the time steps a mask keeps
// (the words of each caption before its padding) and averaged over the batch. Their backward
// passes are the ones of affine and softmax_ce with the time axis folded into the batch — and the
// masked steps pass no gradient.
import { E } from '../lang/print';
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape } from '../shapes/shape';
import { gemmNN, gemmNT, gemmTN } from '../tensor/matmul';
import { Tensor, sizeOf, unravel } from '../tensor/tensor';
import { COST, gemmCost, needed } from './cost';
import { dimExpr } from './deriveKit';
import { indexProblem } from './embedding';
import type { OpDef, ShapeContext } from './op';

function temporalAffineShape(ctx: ShapeContext): ShapeResult {
  const [x, w, b] = ctx.types.map((t) => t.shape);
  if (x.length !== 3) return fail(`${ctx.label} expects x as [N, T, D] (batch, time, features), found ${formatShape(x)}; for [N, D] use x @ w + b`, 0, 'shape-mismatch');
  if (w.length !== 2 || !dimsEqual(w[0], x[2])) {
    return fail(`${ctx.label}: w must be [D, M] with one row per feature of x ${formatShape(x)}, found ${formatShape(w)}${formatDimValues(x, w)}`, 1, 'shape-mismatch');
  }
  if (b.length !== 1 || !dimsEqual(b[0], w[1])) return fail(`${ctx.label}: b must be [${w[1].sym}], one per output of w ${formatShape(w)}, found ${formatShape(b)}${formatDimValues(w, b)}`, 2, 'shape-mismatch');
  return ok([x[0], x[1], w[1]]);
}

export const temporalAffine: OpDef = {
  id: 'temporal_affine',
  name: 'temporal_affine',
  group: 'networks',
  weighted: true,
  signature: [
    { name: 'x', kind: 'tensor', doc: 'sequences [N, T, D]' },
    { name: 'w', kind: 'tensor', doc: 'weights [D, M]' },
    { name: 'b', kind: 'tensor', doc: 'biases [M]' },
  ],
  summary: 'The affine map x_t @ w + b at every time step: [N, T, D] → [N, T, M] (cs231n’s temporal_affine_forward; the same numbers as x @ w + b).',
  explain:
    'The time axis is one more batch axis: x receives dout @ wᵀ at every step, and w and b are shared by all N·T steps, so w receives the sum over steps of x_tᵀ·dout_t (xᵀ·dout with N·T rows) and b the sum of dout over the batch and time axes.',
  shape: temporalAffineShape,
  forward([x, w, b]) {
    const [N, T, D] = x.shape;
    const M = w.shape[1];
    const out = new Tensor([N, T, M]);
    gemmNN(N * T, M, D, x.data, 0, w.data, 0, out.data, 0, false);
    for (let r = 0; r < N * T; r++) for (let j = 0; j < M; j++) out.data[r * M + j] += b.data[j];
    return { value: out };
  },
  backward({ inputs: [x, w, b], grad, needs }) {
    const [N, T, D] = x.shape;
    const M = w.shape[1];
    const dx = needs[0] ? new Tensor(x.shape) : null;
    const dw = needs[1] ? new Tensor(w.shape) : null;
    const db = needs[2] ? new Tensor(b.shape) : null;
    if (dx) gemmNT(N * T, D, M, grad.data, 0, w.data, 0, dx.data, 0, false);
    if (dw) gemmTN(D, M, N * T, x.data, 0, grad.data, 0, dw.data, 0, false);
    if (db) for (let r = 0; r < N * T; r++) for (let j = 0; j < M; j++) db.data[j] += grad.data[r * M + j];
    return [dx, dw, db];
  },
  cost: ([x, w]) => gemmCost(x[0] * x[1], w[1], x[2]) + COST.entry * x[0] * x[1] * w[1],
  backwardCost: ([x, w], _out, _attrs, needs) => {
    const [N, T, D] = x;
    const M = w[1];
    return (needed(needs, 0) ? gemmCost(N * T, D, M) : 0) + (needed(needs, 1) ? gemmCost(D, M, N * T) : 0) + (needed(needs, 2) ? COST.entry * N * T * M : 0);
  },
  // dw = reshape(x, [-1, D])ᵀ @ reshape(dout, [-1, M]): the steps of every sequence are rows.
  derive({ grad, args: [x, w], types: [tx, tw] }) {
    const D = dimExpr(tx.shape[2]);
    const M = dimExpr(tw.shape[1]);
    if (!D || !M) return 'the feature dimensions have no name here';
    const rows = (e: typeof grad, last: typeof D) => E.call('reshape', [e], { shape: E.list([E.num(-1), last]) });
    return [E.bin('@', grad, E.T(w)), E.bin('@', E.T(rows(x, D)), rows(grad, M)), grad];
  },
};

function temporalCeShape(ctx: ShapeContext): ShapeResult {
  const [x, y, m] = ctx.types;
  if (x.shape.length !== 3) return fail(`${ctx.label} expects the scores x as [N, T, V] (batch, time, vocabulary), found ${formatShape(x.shape)}`, 0, 'shape-mismatch');
  const steps = x.shape.slice(0, 2);
  const form = `[${steps.map((d) => d.sym).join(', ')}]`;
  if (!y.isInt) return fail(`${ctx.label}: y must hold the integer word at each step, found a float tensor ${formatShape(y.shape)}; declare it as \`int${form} in 0..V\``, 1, 'bad-argument');
  for (const [t, k, what] of [
    [y, 1, 'y'],
    [m, 2, 'the mask'],
  ] as const) {
    if (t.shape.length !== 2 || !t.shape.every((d, i) => dimsEqual(d, steps[i]))) {
      return fail(`${ctx.label}: ${what} must have one entry per sequence and step of x ${formatShape(x.shape)}, i.e. ${form}, found ${formatShape(t.shape)}${formatDimValues(x.shape, t.shape)}`, k, 'shape-mismatch');
    }
  }
  return ok([]);
}

interface CeSaved {
  /** softmax of each step's scores, [N, T, V]. */
  p: Float64Array;
}

export const temporalSoftmaxCe: OpDef = {
  id: 'temporal_softmax_ce',
  name: 'temporal_softmax_ce',
  group: 'losses',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'scores [N, T, V] over a vocabulary of V words at each step' },
    { name: 'y', kind: 'tensor', labels: true, doc: 'the target words int[N, T] in [0, V)' },
    { name: 'mask', kind: 'tensor', labels: true, doc: '0/1 per sequence and step [N, T]: 1 where the step counts (int or float, e.g. y != padding)' },
  ],
  summary:
    'Masked softmax cross-entropy over time: −Σ_{n,t} mask[n,t]·log softmax(x[n,t])[y[n,t]] / N — summed over the steps, averaged over the batch (cs231n’s temporal_softmax_loss; ' +
    'F.cross_entropy(x.reshape(N·T, V), y.reshape(-1), reduction="none") · mask summed, / N).',
  explain:
    'Each kept step sends (softmax(x) − one_hot(y))·mask/N to its scores, like softmax_ce with the time axis as batch; a masked step (padding after the caption’s end) passes nothing. ' +
    'The average is over the N sequences, not over the kept steps: a longer caption weighs more.',
  shape: temporalCeShape,
  forward([x, y, mask], _attrs, ctx) {
    const [N, T, V] = x.shape;
    const value = new Tensor([]);
    const bad = indexProblem('temporal_softmax_ce', y, V);
    if (bad) return { value, error: bad };
    for (let i = 0; i < mask.size; i++) {
      if (mask.data[i] !== 0 && mask.data[i] !== 1) return { value, error: `temporal_softmax_ce: the mask at [${unravel(i, mask.shape).join(', ')}] is ${mask.data[i]}; it holds 1 where a step counts and 0 where it does not` };
    }
    const p = ctx.forwardOnly ? null : new Float64Array(N * T * V);
    let loss = 0;
    for (let r = 0; r < N * T; r++) {
      const o = r * V;
      let m = -Infinity;
      for (let j = 0; j < V; j++) if (x.data[o + j] > m || x.data[o + j] !== x.data[o + j]) m = x.data[o + j];
      let s = 0;
      for (let j = 0; j < V; j++) {
        const e = Math.exp(x.data[o + j] - m);
        if (p) p[o + j] = e;
        s += e;
      }
      if (p) for (let j = 0; j < V; j++) p[o + j] /= s;
      if (mask.data[r] !== 0) loss += m + Math.log(s) - x.data[o + y.data[r]];
    }
    value.data[0] = N === 0 ? 0 : loss / N;
    return { value, saved: p ? ({ p } satisfies CeSaved) : undefined };
  },
  backward({ inputs: [x, y, mask], grad, saved, needs }) {
    if (!needs[0]) return [null, null, null];
    const [N, T, V] = x.shape;
    const { p } = saved as CeSaved;
    const dx = new Tensor(x.shape);
    const scale = grad.data[0] / N;
    for (let r = 0; r < N * T; r++) {
      if (mask.data[r] === 0) continue;
      const o = r * V;
      for (let j = 0; j < V; j++) dx.data[o + j] = scale * p[o + j];
      dx.data[o + y.data[r]] -= scale;
    }
    return [dx, null, null];
  },
  cost: ([x]) => (COST.transcendental + 4 * COST.entry) * sizeOf(x) + COST.entry * x[0] * x[1],
  backwardCost: ([x]) => 2 * COST.entry * sizeOf(x),
  workspace: ([x]) => ({ saved: sizeOf(x) }),
  // dx = (softmax(x) − one_hot(y, V)) · mask[..., None] · dout / N
  derive({ grad, args: [x, y, mask], types: [tx] }) {
    const [N, , V] = tx.shape.map(dimExpr);
    if (!N || !V) return 'the batch and vocabulary dimensions have no name here';
    const diff = E.bin('-', E.call('softmax', [x], { axis: E.num(2) }), E.call('one_hot', [y, V]));
    return [E.bin('*', E.bin('*', diff, E.call('expand_dims', [mask], { axis: E.num(2) })), E.bin('/', grad, N)), null, null];
  },
};

export const TEMPORAL_OPS: OpDef[] = [temporalAffine, temporalSoftmaxCe];
