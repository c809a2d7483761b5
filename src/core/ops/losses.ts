// Losses: each returns a scalar, the mean over the batch (or over all elements for the elementwise
// losses). Their backward passes start the chain: the upstream gradient is the scalar dL/dloss,
// and each score, prediction or logit receives its share divided by the count averaged over.
import { broadcastShapes, fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, shapesSymbolicallyEqual, type Shape } from '../shapes/shape';
import { binaryBroadcast, broadcastSizes, broadcastTo, Tensor, unbroadcast } from '../tensor/tensor';
import { subRun } from './kit';
import { expNonPositive } from '../tensor/elementary';
import { resultBuffer } from '../tensor/results';
import { COST, entries, runsOf } from './cost';
import { labelProblem, scoresAndLabelsRule } from './labels';
import { attrOr, type OpDef, type ParamSpec, type ShapeContext, type ValueType } from './op';
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { countExpr, dimExpr } from './deriveKit';

const SCORES: ParamSpec = { name: 'scores', kind: 'tensor', doc: 'class scores [N, C] (or [C] for one example)' };
const LABELS: ParamSpec = { name: 'y', kind: 'tensor', labels: true, doc: 'integer labels [N] in [0, C) (or a scalar)' };

/** Scalar output for (scores, labels) losses; the batch shape only matters for the check. */
function classLossShape(ctx: ShapeContext): ShapeResult {
  const r = scoresAndLabelsRule(ctx, false);
  return r.ok ? ok([], r.conflicts) : r;
}

/** Rows and classes of scores [N, C] or [C]. */
function rowsOf(s: Tensor): { N: number; C: number } {
  return s.rank === 2 ? { N: s.shape[0], C: s.shape[1] } : { N: 1, C: s.shape[0] };
}

// ------------------------------------------------------------------ softmax_ce

/** log Σ exp(s[row … row+C)), stably (max subtracted; a NaN entry makes it NaN). */
function logSumExp(s: Float64Array, row: number, C: number): number {
  return logSumExpInto(s, row, C, null);
}

/**
 * logSumExp, also writing the softmax of the row into `probs` when given: each e^(s − max) is
 * taken once (e^(s − max)/Σ, not e^(s − logsumexp), which was a second exponential per score), by
 * expNonPositive — the exponent is never positive, and Math.exp is a call out of the loop. The
 * forward pass and the gradient checks' recomputation (termSum) share it: the same bits.
 */
function logSumExpInto(s: Float64Array, row: number, C: number, probs: Float64Array | null): number {
  let m = -Infinity;
  for (let j = 0; j < C; j++) if (s[row + j] > m || s[row + j] !== s[row + j]) m = s[row + j];
  let sum = 0;
  if (probs) {
    for (let j = 0; j < C; j++) {
      const e = expNonPositive(s[row + j] - m);
      probs[row + j] = e;
      sum += e;
    }
    for (let j = 0; j < C; j++) probs[row + j] /= sum;
  } else for (let j = 0; j < C; j++) sum += expNonPositive(s[row + j] - m);
  return m + Math.log(sum);
}

export const softmaxCe: OpDef = {
  id: 'softmax_ce',
  // (softmax(s) − one_hot(y)) · g / N
  derive({ grad, args: [s, y], types: [t] }) {
    const C = dimExpr(t.shape[t.shape.length - 1]);
    if (!C) return 'the number of classes has no name here';
    const diff = E.bin('-', E.call('softmax', [s], { axis: E.num(-1) }), E.call('one_hot', [y, C]));
    if (t.shape.length === 1) return [E.bin('*', diff, grad), null];
    const N = dimExpr(t.shape[0]);
    return N ? [E.bin('/', E.bin('*', diff, grad), N), null] : 'the batch size has no name here';
  },
  name: 'softmax_ce',
  group: 'losses',
  signature: [SCORES, LABELS],
  summary: 'Softmax cross-entropy: mean over the batch of logsumexp(sᵢ) − sᵢ[yᵢ] (torch.nn.functional.cross_entropy on raw scores), computed stably.',
  explain:
    'Each score receives (softmax − onehot(y)) / N times the upstream gradient: the correct class is pushed up by 1 − p, every other class pushed down by its probability p. ' +
    'A confident correct row (p ≈ onehot) passes almost nothing.',
  shape: classLossShape,
  forward([s, y], _attrs, ctx) {
    const { N, C } = rowsOf(s);
    const error = labelProblem('softmax_ce', y, C);
    if (error) return { value: Tensor.scalar(0), error };
    // The probabilities are only for the backward pass.
    const probs = ctx?.forwardOnly ? null : resultBuffer(s.size, true);
    let loss = 0;
    for (let i = 0; i < N; i++) {
      const row = i * C;
      loss += logSumExpInto(s.data, row, C, probs) - s.data[row + y.data[i]];
    }
    return { value: Tensor.scalar(loss / N), saved: probs ?? undefined };
  },
  // The forward loop above, one row per block.
  termSum: {
    block: ([s]) => rowsOf(s).C,
    term(v, at, [s, y], i) {
      // The class count without rowsOf's object: this runs once per changed row in a check.
      return logSumExp(v, at, s.shape[s.shape.length - 1]) - v[at + y.data[i]];
    },
    finish: (acc, [s]) => acc / rowsOf(s).N,
  },
  backward({ inputs: [s, y], grad, saved, needs }) {
    if (!needs[0]) return [null, null];
    const probs = saved as Float64Array;
    const { N, C } = rowsOf(s);
    const k = grad.item() / N;
    const ds = Tensor.result(s.shape, true);
    for (let i = 0; i < s.size; i++) ds.data[i] = k * probs[i];
    for (let i = 0; i < N; i++) ds.data[i * C + y.data[i]] -= k;
    return [ds, null];
  },
  // Per row a logsumexp (max, exps) and the probabilities (a division per score).
  cost: ([s]) => (3 * COST.entry + COST.transcendental) * entries(s),
  backwardCost: ([s]) => COST.entry * entries(s),
  workspace: ([s]) => ({ saved: entries(s) }),
};

// ------------------------------------------------------------------ svm

export const svm: OpDef = {
  id: 'svm',
  // Wrong classes inside the margin get +1, the correct class −(their count); mean over the batch.
  derive({ grad, args: [s, y], types: [t], attrExprs, let: bind }) {
    if (t.shape.length !== 2) return 'svm is derived for [N, C] scores';
    const [N, C] = [dimExpr(t.shape[0]), dimExpr(t.shape[1])];
    if (!N || !C) return 'the batch size or the number of classes has no name here';
    const onehot = E.call('one_hot', [y, C]);
    const margins = E.bin('+', E.bin('-', s, E.call('expand_dims', [E.call('pick', [s, y])], { axis: E.num(1) })), attrExprs.delta ?? E.num(1));
    const active = bind('active', E.bin('*', E.bin('>', margins, E.num(0)), E.bin('-', E.num(1), onehot)));
    const ds = E.bin('-', active, E.bin('*', onehot, E.call('sum', [active], { axis: E.num(1), keepdims: E.bool(true) })));
    return [E.bin('/', E.bin('*', ds, grad), N), null];
  },
  name: 'svm',
  group: 'losses',
  signature: [SCORES, LABELS, { name: 'delta', kind: 'number', default: 1, doc: 'required margin between the correct score and the others' }],
  summary:
    'Multiclass SVM (hinge) loss: mean over the batch of Σ_{j≠yᵢ} max(0, sᵢⱼ − sᵢ[yᵢ] + delta), as cs231n’s svm_loss_vectorized. ' +
    'Unlike torch.nn.MultiMarginLoss it does not divide by the number of classes C.',
  explain:
    'A gate per wrong class: where a margin is violated (sᵢⱼ − sᵢ[yᵢ] + delta > 0) that score receives +g/N and the correct score −g/N, so the correct score collects −(number of violations)·g/N. ' +
    'Classes already beaten by more than delta get nothing.',
  kinks: 'At a margin exactly 0 the gradient is 0 (as relu at 0 in PyTorch and cs231n’s `margins > 0`).',
  shape: classLossShape,
  forward([s, y], attrs, ctx) {
    const { N, C } = rowsOf(s);
    const error = labelProblem('svm', y, C);
    if (error) return { value: Tensor.scalar(0), error };
    const delta = attrOr(attrs, 'delta', 1);
    const active = new Int32Array(s.size);
    let loss = 0;
    for (let i = 0; i < N; i++) {
      const row = i * C;
      const yi = y.data[i];
      const sy = s.data[row + yi];
      for (let j = 0; j < C; j++) {
        if (j === yi) continue;
        const m = s.data[row + j] - sy + delta;
        if (m > 0) {
          loss += m;
          active[row + j] = 1;
        }
      }
    }
    return { value: Tensor.scalar(loss / N), saved: active, kinks: ctx.trackKinks ? active.slice() : undefined };
  },
  backward({ inputs: [s, y], grad, saved, needs }) {
    if (!needs[0]) return [null, null];
    const active = saved as Int32Array;
    const { N, C } = rowsOf(s);
    const k = grad.item() / N;
    const ds = new Tensor(s.shape);
    for (let i = 0; i < N; i++) {
      const row = i * C;
      let count = 0;
      for (let j = 0; j < C; j++) {
        if (active[row + j]) {
          ds.data[row + j] = k;
          count++;
        }
      }
      ds.data[row + y.data[i]] -= count * k;
    }
    return [ds, null];
  },
  // A branch on each margin's sign: unpredictable on random scores.
  cost: ([s]) => 2 * COST.entry * entries(s),
  backwardCost: ([s]) => 1.5 * COST.entry * entries(s),
  // Which margins were active (int32).
  workspace: ([s]) => ({ saved: entries(s) / 2 }),
};

/**
 * The number of elements a two-operand loss averages over, as an expression: that of the operands'
 * broadcast shape ([N, 1] against [N, K] averages N·K terms), or null if a dimension has no name.
 */
function broadcastCount(types: ValueType[]): Expr | null {
  const shape = broadcastShape(types);
  return shape ? countExpr(shape) : null;
}

function broadcastShape(types: ValueType[]): Shape | null {
  const r = broadcastShapes('', types.map((t) => t.shape));
  return r.ok ? r.shape : null;
}

// ------------------------------------------------------------------ max_margin

export const maxMargin: OpDef = {
  id: 'max_margin',
  // mean(max(0, δ − s + s_c)): where the hinge is active, −g/n to s and +g/n to s_c
  derive({ grad, args: [s, sc], attrExprs, let: bind, types }) {
    const n = broadcastCount(types);
    if (!n) return 'the number of elements has no name here';
    const active = bind('active', E.bin('>', E.bin('+', E.bin('-', attrExprs.delta ?? E.num(1), s), sc), E.num(0)));
    const g = E.bin('/', E.bin('*', active, grad), n);
    return [E.neg(g), g];
  },
  name: 'max_margin',
  group: 'losses',
  signature: [
    { name: 's', kind: 'tensor', doc: 'scores of the true (positive) examples' },
    { name: 's_c', kind: 'tensor', doc: 'scores of the corrupt (negative) examples; broadcasts with s' },
    { name: 'delta', kind: 'number', default: 1, doc: 'required margin' },
  ],
  summary: 'Max-margin (hinge) loss as in cs224n: mean(max(0, delta − s + s_c)), with s and s_c broadcasting like numpy; the mean is over the broadcast shape.',
  explain:
    'A gate per pair: where the margin is violated (delta − s + s_c > 0) the true score receives −g/n and the corrupt score +g/n (n elements averaged); satisfied pairs pass nothing. ' +
    'A broadcast operand sums the gradients of the pairs it took part in.',
  kinks: 'At a margin exactly 0 the gradient is 0 (as relu at 0 in PyTorch).',
  shape(ctx) {
    const r = broadcastShapes(ctx.label, ctx.types.map((t) => t.shape));
    return r.ok ? ok([], r.conflicts) : r;
  },
  forward([s, sc], attrs, ctx) {
    const shape = broadcastSizes(s.shape, sc.shape) ?? [];
    const delta = attrOr(attrs, 'delta', 1);
    const m = binaryBroadcast(sc, s, shape, subRun);
    const active = new Int32Array(m.size);
    let loss = 0;
    for (let i = 0; i < m.size; i++) {
      const v = delta + m.data[i];
      if (v > 0) {
        loss += v;
        active[i] = 1;
      }
    }
    return { value: Tensor.scalar(loss / m.size), saved: active, kinks: ctx.trackKinks ? active.slice() : undefined };
  },
  backward({ inputs: [s, sc], grad, saved, needs }) {
    const active = saved as Int32Array;
    const shape = broadcastSizes(s.shape, sc.shape) ?? [];
    const k = grad.item() / active.length;
    const gc = new Tensor(shape);
    for (let i = 0; i < gc.size; i++) gc.data[i] = active[i] ? k : 0;
    let ds: Tensor | null = null;
    if (needs[0]) {
      const neg = new Tensor(shape);
      for (let i = 0; i < neg.size; i++) neg.data[i] = 0 - gc.data[i];
      ds = unbroadcast(neg, s.shape);
    }
    return [ds, needs[1] ? unbroadcast(gc, sc.shape) : null];
  },
  // Both operands meet at their broadcast shape, which may be far larger than either.
  cost: ([s, sc]) => pairCost(s, sc, 2),
  backwardCost: ([s, sc]) => pairCost(s, sc, 2),
  // The margins (forward) and the active hinges (kept, int32); backward two gradients at the broadcast shape.
  workspace: ([s, sc]) => ({ saved: pairEntries(s, sc) / 2, scratch: 2 * pairEntries(s, sc) }),
};

/** Entries of the broadcast of two operands (each operand's own size if they do not broadcast). */
function pairEntries(a: readonly number[], b: readonly number[]): number {
  const shape = broadcastSizes(a, b);
  return shape ? entries(shape) : Math.max(entries(a), entries(b));
}

/** `passes` simple loops over the broadcast of two operands, in strided runs. */
function pairCost(a: readonly number[], b: readonly number[], passes: number): number {
  const shape = broadcastSizes(a, b) ?? [];
  return passes * COST.entry * pairEntries(a, b) + COST.run * runsOf(shape);
}

// ------------------------------------------------------------------ mse and sigmoid_bce

/**
 * Broadcasting for elementwise losses: allowed when the result has the shape of one operand.
 * [N, 1] against [N] would broadcast to [N, N] and compare every prediction with every target —
 * PyTorch warns about exactly that; here it is an error with the fix.
 */
function elementwiseLossShape(ctx: ShapeContext, names: [string, string]): ShapeResult {
  const [a, b] = ctx.types.map((t) => t.shape);
  const r = broadcastShapes(ctx.label, [a, b]);
  if (!r.ok) return r;
  const same = (s: Shape) => s.length === r.shape.length && s.every((d, i) => dimsEqual(d, r.shape[i]));
  if (!same(a) && !same(b)) {
    return fail(
      `${ctx.label}: ${names[0]} ${formatShape(a)} and ${names[1]} ${formatShape(b)} broadcast to ${formatShape(r.shape)}, larger than either${formatDimValues(a, b)}, ` +
        `so every ${names[0]} would be compared with every ${names[1]} (PyTorch warns: "Using a target size that is different to the input size"); ` +
        `reshape one of them so that both have the same shape (e.g. reshape(x, [-1]) drops a trailing axis of size 1)`,
      1,
      'shape-mismatch',
    );
  }
  return ok([], r.conflicts);
}

export const mse: OpDef = {
  id: 'mse',
  // 2(pred − target)·g / n
  derive({ grad, args: [p, q], types }) {
    const n = broadcastCount(types);
    if (!n) return 'the number of elements has no name here';
    const d = E.bin('/', E.bin('*', E.bin('*', E.num(2), E.bin('-', p, q)), grad), n);
    return [d, E.neg(d)];
  },
  name: 'mse',
  group: 'losses',
  signature: [
    { name: 'pred', kind: 'tensor', doc: 'predictions' },
    { name: 'target', kind: 'tensor', doc: 'targets, same shape as pred (or broadcasting to it)' },
  ],
  summary: 'Mean squared error: mean((pred − target)²) over all elements (torch.nn.functional.mse_loss with reduction="mean"); a scalar or size-1 operand broadcasts.',
  explain:
    'pred receives 2·(pred − target)·g/n and target the negation (n elements averaged): each prediction is pulled toward its target in proportion to its error. ' +
    'A broadcast operand sums its shares.',
  shape: (ctx) => elementwiseLossShape(ctx, ['pred', 'target']),
  forward([p, t]) {
    const d = binaryBroadcast(p, t, broadcastSizes(p.shape, t.shape) ?? [], subRun);
    let acc = 0;
    for (let i = 0; i < d.size; i++) acc += d.data[i] * d.data[i];
    return { value: Tensor.scalar(acc / d.size), saved: d };
  },
  backward({ inputs: [p, t], grad, saved, needs }) {
    const d = saved as Tensor;
    const k = (2 * grad.item()) / d.size;
    const gp = new Tensor(d.shape);
    for (let i = 0; i < gp.size; i++) gp.data[i] = k * d.data[i];
    let gt: Tensor | null = null;
    if (needs[1]) {
      const neg = new Tensor(d.shape);
      for (let i = 0; i < neg.size; i++) neg.data[i] = 0 - gp.data[i]; // 0 − v, not −v: no −0 in outputs
      gt = unbroadcast(neg, t.shape);
    }
    return [needs[0] ? unbroadcast(gp, p.shape) : null, gt];
  },
  cost: ([p, t]) => pairCost(p, t, 2),
  backwardCost: ([p, t]) => pairCost(p, t, 1.5),
  // The differences, kept for backward; backward's negated copy.
  workspace: ([p, t]) => ({ saved: pairEntries(p, t), scratch: pairEntries(p, t) }),
};

export const sigmoidBce: OpDef = {
  id: 'sigmoid_bce',
  // logits: (σ(x) − t)·g / n; target: −x·g / n
  derive({ grad, args: [x, t], types }) {
    const n = broadcastCount(types);
    if (!n) return 'the number of elements has no name here';
    // Logits smaller than the target (x [N, 1], t [N, K]): −x is spread over the target's entries.
    const spread = types[0].shape.length > 0 && !shapesSymbolicallyEqual(types[0].shape, broadcastShape(types) ?? []);
    const negX = spread ? E.bin('*', E.neg(x), E.call('ones_like', [t])) : E.neg(x);
    return [E.bin('/', E.bin('*', E.bin('-', E.call('sigmoid', [x]), t), grad), n), E.bin('/', E.bin('*', negX, grad), n)];
  },
  name: 'sigmoid_bce',
  group: 'losses',
  signature: [
    { name: 'logits', kind: 'tensor', doc: 'raw scores x (before the sigmoid)' },
    { name: 'target', kind: 'tensor', doc: 'targets t in [0, 1], same shape as logits (or broadcasting to it)' },
  ],
  summary:
    'Binary cross-entropy on logits: mean(max(x, 0) − x·t + log(1 + e^(−|x|))) = mean(−t·log σ(x) − (1−t)·log(1−σ(x))), computed stably as torch.nn.BCEWithLogitsLoss.',
  explain:
    'Each logit receives (σ(x) − t)·g/n: the predicted probability minus the target, like softmax − onehot in softmax_ce. The target receives −x·g/n (it is rarely learned). ' +
    'Saturated wrong predictions still get a gradient of about ±1/n — the reason to work on logits.',
  shape: (ctx) => elementwiseLossShape(ctx, ['logits', 'target']),
  forward([x, t]) {
    const shape = broadcastSizes(x.shape, t.shape) ?? [];
    const X = broadcastTo(x, shape).data;
    const T = broadcastTo(t, shape).data;
    let acc = 0;
    for (let i = 0; i < X.length; i++) {
      const v = X[i];
      acc += Math.max(v, 0) - v * T[i] + Math.log1p(Math.exp(-Math.abs(v)));
    }
    return { value: Tensor.scalar(acc / X.length) };
  },
  backward({ inputs: [x, t], grad, needs }) {
    const shape = broadcastSizes(x.shape, t.shape) ?? [];
    const X = broadcastTo(x, shape).data;
    const T = broadcastTo(t, shape).data;
    const k = grad.item() / X.length;
    let gx: Tensor | null = null;
    if (needs[0]) {
      const g = new Tensor(shape);
      for (let i = 0; i < X.length; i++) {
        const v = X[i];
        // σ(v) without overflow for large |v|
        const sig = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
        g.data[i] = k * (sig - T[i]);
      }
      gx = unbroadcast(g, x.shape);
    }
    let gt: Tensor | null = null;
    if (needs[1]) {
      const g = new Tensor(shape);
      for (let i = 0; i < X.length; i++) g.data[i] = 0 - k * X[i];
      gt = unbroadcast(g, t.shape);
    }
    return [gx, gt];
  },
  // An exp and a log1p per entry forward, an exp back.
  cost: ([x, t]) => pairCost(x, t, 2) + 2 * COST.transcendental * pairEntries(x, t),
  backwardCost: ([x, t]) => pairCost(x, t, 3) + COST.transcendental * pairEntries(x, t),
  // Both operands at the broadcast shape, and the gradients before they are summed back down.
  workspace: ([x, t]) => ({ scratch: 4 * pairEntries(x, t) }),
};

export const LOSS_OPS: OpDef[] = [softmaxCe, svm, maxMargin, mse, sigmoidBce];
