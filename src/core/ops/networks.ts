// Network layers: softmax and log-softmax, maxout, dropout, batch normalisation, and the label
// helpers one_hot and pick. Layers that mix the elements of a group (softmax over an axis,
// batchnorm over the batch) send every upstream gradient through the whole group, so their
// backward passes subtract a group sum; maxout routes like max; dropout gates like relu.
import { fail, ok, type ShapeFail, type ShapeResult } from '../shapes/broadcast';
import { normAxis } from '../shapes/axes';
import { dimsEqual, formatDimValues, formatShape, lit, namesConflict, type Dim } from '../shapes/shape';
import { gemmNN, gemmNT, gemmTN } from '../tensor/matmul';
import { aroundAxis, Tensor, unravel } from '../tensor/tensor';
import { X_PARAM } from './kit';
import { COST, entries, gemmCost, needed } from './cost';
import { attrOr, type AttrValue, type Attrs, type OpDef, type ShapeContext } from './op';
import { E } from '../lang/print';
import { dimExpr } from './deriveKit';

// ------------------------------------------------------------------ shared helpers

/** A 'dim' attribute: a Dim from the resolver, or a bare integer (tests, internal callers). */
function dimAttr(v: AttrValue | undefined): Dim | null {
  if (typeof v === 'number') return lit(v);
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'sym' in v && 'origin' in v) return v;
  return null;
}

/** The shape-rule failure for a label argument that is not declared as integers, or null. */
function requireLabels(ctx: ShapeContext, argIndex: number, argName: string): ShapeFail | null {
  const t = ctx.types[argIndex];
  if (t.isInt) return null;
  const example = t.shape.length ? `int[${t.shape.map((d) => d.sym).join(', ')}]` : 'int';
  return fail(
    `${ctx.label}: ${argName} must hold integer class labels, found a float tensor ${formatShape(t.shape)}; ` +
      `declare it as \`${example}\` (e.g. \`input y: int[N] in 0..C\`)`,
    argIndex,
    'bad-argument',
  );
}

/**
 * The run-time check of integer labels against C classes: undefined when all are valid, else a
 * sentence naming the first bad label's index and value and the valid range.
 */
export function labelProblem(op: string, y: Tensor, C: number): string | undefined {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < y.size; i++) {
    const v = y.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < C)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first < 0) return undefined;
  const v = y.data[first];
  const where = y.rank === 0 ? 'the label' : `the label at index [${unravel(first, y.shape).join(', ')}]`;
  const what = Number.isInteger(v) ? `is ${v}, outside the valid range [0, ${C})` : `is ${v}, which is not an integer class index in [0, ${C})`;
  const more = bad > 1 ? ` (${bad} of ${y.size} labels are invalid)` : '';
  return `${op}: ${where} ${what}${more}; labels are class indices 0…${C - 1} for ${C} classes.`;
}

/**
 * Shape rule for (scores, labels) pairs: scores [N, C] with labels [N], or [C] with a scalar label.
 * With `anyRank`, scores [..., C] with labels [...] (pick). Returns the batch shape scores.shape[:-1].
 */
export function scoresAndLabelsRule(ctx: ShapeContext, anyRank: boolean): ShapeResult {
  const op = ctx.label;
  const s = ctx.types[0].shape;
  const y = ctx.types[1].shape;
  const notInt = requireLabels(ctx, 1, 'the labels');
  if (notInt) return notInt;
  if (s.length === 0 || (!anyRank && s.length > 2)) {
    const fix = s.length === 0 ? 'pass one score per class' : `merge the leading axes first, e.g. reshape(scores, [-1, ${s[s.length - 1].sym}])`;
    return fail(`${op} expects scores as [N, C] (one row of class scores per example) or [C] for a single example, found ${formatShape(s)}; ${fix}`, 0, 'shape-mismatch');
  }
  const batch = s.slice(0, -1);
  const C = s[s.length - 1];
  const expected = batch.length ? formatShape(batch) : 'a scalar';
  if (y.length !== batch.length || !y.every((d, i) => dimsEqual(d, batch[i]))) {
    return fail(
      `${op} needs one label per row of scores ${formatShape(s)}: labels of shape ${batch.length ? expected : '[] (a scalar)'}, found ${formatShape(y)}${formatDimValues(s, y)}; ` +
        `each label is the class index in [0, ${C.sym}) of its example`,
      1,
      'shape-mismatch',
    );
  }
  const conflicts: [Dim, Dim][] = [];
  y.forEach((d, i) => {
    if (namesConflict(batch[i], d)) conflicts.push([batch[i], d]);
  });
  return ok(batch, conflicts);
}

/** Normalised softmax axis; a scalar behaves as a one-element vector (as in PyTorch). */
function softmaxAxis(rank: number, axis: number): number | null {
  return normAxis(axis, Math.max(rank, 1));
}

function softmaxShapeRule(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const s = ctx.types[0].shape;
  const axis = attrOr(attrs, 'axis', -1);
  const r = Math.max(s.length, 1);
  if (!Number.isInteger(axis) || softmaxAxis(s.length, axis) === null) {
    return fail(`${ctx.label}: axis ${axis} is out of range for x ${formatShape(s)} of rank ${s.length} (valid: -${r}…${r - 1}); axis=-1 normalises over the last axis`, 1, 'bad-argument');
  }
  return ok(s);
}

/** Iterates the groups along `axis`: f(base, stride, len) with elements at base + j·stride. */
function forEachGroup(shape: readonly number[], axis: number, f: (base: number, stride: number, len: number) => void): void {
  const { outer, len, inner } = aroundAxis(shape.length ? shape : [1], axis);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * len * inner + i, inner, len);
}

/** Softmax (or log-softmax) along an axis, subtracting the group max so exp never overflows. */
function softmaxAlong(x: Tensor, axis: number, log: boolean): Tensor {
  const out = new Tensor(x.shape);
  const src = x.data;
  const dst = out.data;
  forEachGroup(x.shape, axis, (base, stride, len) => {
    let m = -Infinity;
    for (let j = 0; j < len; j++) {
      const v = src[base + j * stride];
      // NaN wins so that it propagates, as in PyTorch
      if (v > m || v !== v) m = v;
    }
    let s = 0;
    for (let j = 0; j < len; j++) {
      const k = base + j * stride;
      const e = Math.exp(src[k] - m);
      if (!log) dst[k] = e;
      s += e;
    }
    if (log) {
      const ls = Math.log(s);
      for (let j = 0; j < len; j++) dst[base + j * stride] = src[base + j * stride] - m - ls;
    } else {
      for (let j = 0; j < len; j++) dst[base + j * stride] /= s;
    }
  });
  return out;
}

// ------------------------------------------------------------------ softmax / log_softmax

/** The slices softmax normalises: one callback each. */
function groupsOf(x: readonly number[], attrs: Attrs): number {
  const axis = softmaxAxis(x.length, attrOr(attrs, 'axis', -1)) ?? 0;
  const len = x.length ? x[axis] : 1;
  return len > 0 ? entries(x) / len : 0;
}

/** The max, one exp per entry and the normalisation, per slice. */
function softmaxCost(x: readonly number[], attrs: Attrs): number {
  return (2 * COST.entry + COST.transcendental) * entries(x) + groupsOf(x, attrs) * COST.run;
}

const AXIS_PARAM = { name: 'axis', kind: 'int', default: -1, doc: 'axis to normalise over (default: the last)' } as const;

export const softmax: OpDef = {
  id: 'softmax',
  // p = out: dx = p·(g − Σ g·p over the axis)
  derive: ({ grad, out, attrExprs }) => [E.bin('*', out, E.bin('-', grad, E.call('sum', [E.bin('*', grad, out)], { axis: attrExprs.axis ?? E.num(-1), keepdims: E.bool(true) })))],
  name: 'softmax',
  group: 'networks',
  signature: [X_PARAM, AXIS_PARAM],
  summary: 'eˣ / Σ eˣ along `axis` (default the last): each slice becomes a probability distribution. Computed stably by subtracting the max first.',
  explain:
    'Every output depends on every input of its slice, so each input receives p·(g − Σ g·p): its own upstream gradient minus the probability-weighted average of the slice, scaled by its probability. ' +
    'A constant added to all upstream gradients of a slice cancels out; a saturated softmax (one p near 1) passes almost nothing.',
  shape: softmaxShapeRule,
  forward([x], attrs) {
    const axis = softmaxAxis(x.rank, attrOr(attrs, 'axis', -1)) ?? 0;
    return { value: softmaxAlong(x, axis, false) };
  },
  backward({ inputs: [x], out, grad, attrs }) {
    const axis = softmaxAxis(x.rank, attrOr(attrs, 'axis', -1)) ?? 0;
    const dx = new Tensor(x.shape);
    const p = out.data;
    const g = grad.data;
    forEachGroup(x.shape, axis, (base, stride, len) => {
      let dot = 0;
      for (let j = 0; j < len; j++) dot += g[base + j * stride] * p[base + j * stride];
      for (let j = 0; j < len; j++) {
        const k = base + j * stride;
        dx.data[k] = p[k] * (g[k] - dot);
      }
    });
    return [dx];
  },
  cost: ([x], _out, attrs) => softmaxCost(x, attrs),
  backwardCost: ([x], _out, attrs) => 2 * COST.entry * entries(x) + groupsOf(x, attrs) * COST.run,
};

export const logSoftmax: OpDef = {
  id: 'log_softmax',
  // dx = g − softmax(x)·Σg = g − exp(out)·Σg
  derive: ({ grad, out, attrExprs }) => [E.bin('-', grad, E.bin('*', E.call('exp', [out]), E.call('sum', [grad], { axis: attrExprs.axis ?? E.num(-1), keepdims: E.bool(true) })))],
  name: 'log_softmax',
  group: 'networks',
  signature: [X_PARAM, AXIS_PARAM],
  summary: 'x − logsumexp(x) along `axis` (default the last): log-probabilities, computed stably (no log of an underflowed 0).',
  explain:
    'Each input receives its own upstream gradient minus softmax·Σg over its slice: g − p·Σ g. With a one-hot upstream gradient (a cross-entropy) that is the familiar p − onehot, up to sign.',
  shape: softmaxShapeRule,
  forward([x], attrs) {
    const axis = softmaxAxis(x.rank, attrOr(attrs, 'axis', -1)) ?? 0;
    return { value: softmaxAlong(x, axis, true) };
  },
  backward({ inputs: [x], out, grad, attrs }) {
    const axis = softmaxAxis(x.rank, attrOr(attrs, 'axis', -1)) ?? 0;
    const dx = new Tensor(x.shape);
    const g = grad.data;
    forEachGroup(x.shape, axis, (base, stride, len) => {
      let s = 0;
      for (let j = 0; j < len; j++) s += g[base + j * stride];
      for (let j = 0; j < len; j++) {
        const k = base + j * stride;
        dx.data[k] = g[k] - Math.exp(out.data[k]) * s;
      }
    });
    return [dx];
  },
  cost: ([x], _out, attrs) => softmaxCost(x, attrs),
  backwardCost: ([x], _out, attrs) => (2 * COST.entry + COST.transcendental) * entries(x) + groupsOf(x, attrs) * COST.run,
};

// ------------------------------------------------------------------ maxout

function maxoutShape(ctx: ShapeContext): ShapeResult {
  const op = ctx.label;
  const [x, W1, b1, W2, b2] = ctx.types.map((t) => t.shape);
  if (x.length !== 1 && x.length !== 2) {
    return fail(`${op} expects x as [N, D] (a batch of rows) or [D] (one example), found ${formatShape(x)}; reshape x to 2 axes, e.g. reshape(x, [N, -1])`, 0, 'shape-mismatch');
  }
  const D = x[x.length - 1];
  const conflicts: [Dim, Dim][] = [];
  for (const [W, b, k] of [
    [W1, b1, 1],
    [W2, b2, 3],
  ] as const) {
    const wName = k === 1 ? 'W1' : 'W2';
    const bName = k === 1 ? 'b1' : 'b2';
    if (W.length !== 2) {
      return fail(`${op} expects ${wName} as [D, H] (input features × output units), found ${formatShape(W)}; declare it with 2 axes`, k, 'shape-mismatch');
    }
    if (!dimsEqual(W[0], D)) {
      return fail(
        `${op}: x ${formatShape(x)} has ${D.sym} features but ${wName} ${formatShape(W)} expects ${W[0].sym}${formatDimValues(x, W)}; ` +
          `the first dimension of ${wName} must equal the last dimension of x (a transposed weight?)`,
        k,
        'matmul-shape',
      );
    }
    if (namesConflict(D, W[0])) conflicts.push([D, W[0]]);
    if (b.length !== 1 || !dimsEqual(b[0], W[1])) {
      return fail(`${op} expects ${bName} as [${W[1].sym}], one bias per output unit of ${wName} ${formatShape(W)}, found ${formatShape(b)}${formatDimValues(W, b)}; declare ${bName} as [${W[1].sym}]`, k + 1, 'shape-mismatch');
    }
    if (namesConflict(W[1], b[0])) conflicts.push([W[1], b[0]]);
  }
  if (!dimsEqual(W1[1], W2[1])) {
    return fail(
      `${op}: both pieces must have the same number of output units, but W1 ${formatShape(W1)} has ${W1[1].sym} and W2 ${formatShape(W2)} has ${W2[1].sym}${formatDimValues(W1, W2)}; ` +
        `declare W1 and W2 with the same shape [D, H]`,
      3,
      'shape-mismatch',
    );
  }
  if (namesConflict(W1[1], W2[1])) conflicts.push([W1[1], W2[1]]);
  const H = W1[1];
  return ok(x.length === 2 ? [x[0], H] : [H], conflicts);
}

/** z[M,H] = x[M,D] · W[D,H] + b[H] */
function affine(x: Float64Array, W: Float64Array, b: Float64Array, M: number, D: number, H: number): Float64Array {
  const z = new Float64Array(M * H);
  for (let i = 0; i < M; i++) z.set(b, i * H);
  gemmNN(M, H, D, x, 0, W, 0, z, 0, true);
  return z;
}

interface MaxoutSaved {
  z1: Float64Array;
  z2: Float64Array;
}

export const maxout: OpDef = {
  id: 'maxout',
  weighted: true,
  name: 'maxout',
  group: 'networks',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'input, [N, D] or [D]' },
    { name: 'W1', kind: 'tensor', doc: 'first piece weights [D, H]' },
    { name: 'b1', kind: 'tensor', doc: 'first piece bias [H]' },
    { name: 'W2', kind: 'tensor', doc: 'second piece weights [D, H]' },
    { name: 'b2', kind: 'tensor', doc: 'second piece bias [H]' },
  ],
  summary: 'Maxout unit with two pieces: max(x @ W1 + b1, x @ W2 + b2), elementwise (Goodfellow et al.; generalises ReLU, which is the case W2 = 0, b2 = 0).',
  explain:
    'A router then two affine layers: for each output unit the upstream gradient goes to the piece that won the max, which passes it back as an affine layer does ' +
    '(dW = xᵀ·g, db = Σ g, dx = g·Wᵀ); the losing piece gets nothing. x collects the gradients of both pieces.',
  kinks: 'Where both pieces are equal the gradient is split evenly between them (as torch.maximum).',
  shape: maxoutShape,
  forward([x, W1, b1, W2, b2], _attrs, ctx) {
    const [D, H] = W1.shape;
    const M = x.rank === 1 ? 1 : x.shape[0];
    const z1 = affine(x.data, W1.data, b1.data, M, D, H);
    const z2 = affine(x.data, W2.data, b2.data, M, D, H);
    const out = new Tensor(x.rank === 1 ? [H] : [M, H]);
    for (let i = 0; i < out.size; i++) out.data[i] = z1[i] >= z2[i] ? z1[i] : z2[i];
    let kinks: Int32Array | undefined;
    if (ctx.trackKinks) {
      kinks = new Int32Array(out.size);
      for (let i = 0; i < out.size; i++) kinks[i] = z1[i] > z2[i] ? 1 : z1[i] < z2[i] ? -1 : 0;
    }
    const saved: MaxoutSaved = { z1, z2 };
    return { value: out, saved, kinks };
  },
  backward({ inputs: [x, W1, , W2], grad, saved, needs }) {
    const { z1, z2 } = saved as MaxoutSaved;
    const [D, H] = W1.shape;
    const M = x.rank === 1 ? 1 : x.shape[0];
    const g1 = new Float64Array(M * H);
    const g2 = new Float64Array(M * H);
    for (let i = 0; i < g1.length; i++) {
      const g = grad.data[i];
      if (z1[i] > z2[i]) g1[i] = g;
      else if (z1[i] < z2[i]) g2[i] = g;
      else g1[i] = g2[i] = g / 2;
    }
    let dx: Tensor | null = null;
    if (needs[0]) {
      dx = new Tensor(x.shape);
      // dx[M,D] = g1·W1ᵀ + g2·W2ᵀ
      gemmNT(M, D, H, g1, 0, W1.data, 0, dx.data, 0, false);
      gemmNT(M, D, H, g2, 0, W2.data, 0, dx.data, 0, true);
    }
    const weightGrad = (g: Float64Array): Tensor => {
      const dW = new Tensor([D, H]);
      gemmTN(D, H, M, x.data, 0, g, 0, dW.data, 0, false);
      return dW;
    };
    const biasGrad = (g: Float64Array): Tensor => {
      const db = new Tensor([H]);
      for (let i = 0; i < M; i++) for (let j = 0; j < H; j++) db.data[j] += g[i * H + j];
      return db;
    };
    return [dx, needs[1] ? weightGrad(g1) : null, needs[2] ? biasGrad(g1) : null, needs[3] ? weightGrad(g2) : null, needs[4] ? biasGrad(g2) : null];
  },
  // Two affine layers and the max; backward two products for x, two for the weights.
  cost: ([x, W1], out) => {
    const [D, H] = W1;
    const M = x.length === 1 ? 1 : x[0];
    return 2 * gemmCost(M, H, D) + 3 * COST.entry * entries(out);
  },
  backwardCost: ([x, W1], out, _attrs, needs) => {
    const [D, H] = W1;
    const M = x.length === 1 ? 1 : x[0];
    const weights = (k: number) => (needed(needs, k) ? gemmCost(D, H, M) : 0) + (needed(needs, k + 1) ? COST.entry * entries(out) : 0);
    return (needed(needs, 0) ? 2 * gemmCost(M, D, H) : 0) + weights(1) + weights(3) + 3 * COST.entry * entries(out);
  },
  // Both pieces' outputs, kept for backward; backward splits the gradient between them.
  workspace: (_s, out) => ({ saved: 2 * entries(out), scratch: 2 * entries(out) }),
};

// ------------------------------------------------------------------ dropout

export const dropout: OpDef = {
  id: 'dropout',
  stochastic: true,
  derive: () => "dropout's mask is drawn at run time and a backward block cannot see it: derive the gate without the dropout and apply dropout outside it",
  name: 'dropout',
  group: 'networks',
  signature: [X_PARAM, { name: 'p', kind: 'number', default: 0.5, doc: 'probability of DROPPING each unit (PyTorch convention), 0 ≤ p < 1' }],
  summary:
    'Inverted dropout (always in training mode): zeroes each element with probability p and scales the survivors by 1/(1−p), so the expected value is unchanged. ' +
    'p is the probability of dropping (PyTorch’s nn.Dropout); cs231n’s notes use p for the probability of keeping. The mask comes from the file seed and is the same on every run.',
  explain:
    'A gate with a fixed mask: kept elements pass the upstream gradient scaled by 1/(1−p), dropped elements receive 0 — the same mask as the forward pass, so a dropped unit learns nothing from this example. ' +
    'p is the drop probability (PyTorch convention), not cs231n’s keep probability.',
  shape(ctx, attrs) {
    const p = attrOr(attrs, 'p', 0.5);
    if (!(p >= 0 && p < 1)) {
      return fail(
        `${ctx.label}: p is the probability of dropping a unit and must satisfy 0 ≤ p < 1, found p=${p}; ` +
          `p=0.5 drops half the units (if you meant cs231n's keep probability q, write p = 1 − q)`,
        1,
        'bad-argument',
      );
    }
    return ok(ctx.types[0].shape);
  },
  forward([x], attrs, ctx) {
    const p = attrOr(attrs, 'p', 0.5);
    const u = ctx.random(x.size);
    const scale = 1 / (1 - p);
    // The mask already carries the 1/(1−p) scale, so backward is a single multiply.
    const mask = new Float64Array(x.size);
    const out = new Tensor(x.shape);
    for (let i = 0; i < x.size; i++) {
      mask[i] = u[i] >= p ? scale : 0;
      out.data[i] = x.data[i] * mask[i];
    }
    return { value: out, saved: mask };
  },
  backward({ grad, saved }) {
    const mask = saved as Float64Array;
    const dx = new Tensor(grad.shape);
    for (let i = 0; i < dx.size; i++) dx.data[i] = grad.data[i] * mask[i];
    return [dx];
  },
  // The random numbers are drawn once per run (a PRNG step each, the costliest part), then cached.
  cost: ([x]) => (2 * COST.entry + 3 * COST.transcendental) * entries(x),
  backwardCost: ([x]) => COST.entry * entries(x),
  // The mask, and the run's cache of the random numbers behind it.
  workspace: ([x]) => ({ saved: 2 * entries(x) }),
};

// ------------------------------------------------------------------ batchnorm

interface BatchnormSaved {
  xhat: Float64Array;
  invstd: Float64Array;
}

export const batchnorm: OpDef = {
  id: 'batchnorm',
  name: 'batchnorm',
  group: 'networks',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'input [N, ...F], normalised over the batch axis 0' },
    { name: 'gamma', kind: 'tensor', doc: 'scale, shaped like one example (x.shape[1:])' },
    { name: 'beta', kind: 'tensor', doc: 'shift, shaped like one example (x.shape[1:])' },
    { name: 'eps', kind: 'number', default: 1e-5, doc: 'added to the variance before the square root' },
  ],
  summary:
    'Batch normalisation in training mode: (x − mean) / √(var + eps) · gamma + beta, with mean and the biased variance taken over axis 0 (the batch), as PyTorch does when training. ' +
    'Every other position is normalised separately (cs231n’s batchnorm_forward); for images this is not BatchNorm2d, which also pools over H and W.',
  explain:
    'beta receives the upstream gradient summed over the batch; gamma receives Σ g·x̂. x receives (gamma/σ)·(g − mean(g) − x̂·mean(g·x̂)) per feature: the batch mean and variance depend on every example, ' +
    'so each example’s gradient is corrected by the batch averages — the gradient of x sums to 0 over the batch.',
  shape(ctx, attrs) {
    const op = ctx.label;
    const [x, gamma, beta] = ctx.types.map((t) => t.shape);
    if (x.length === 0) return fail(`${op} expects x as [N, ...] with the batch on axis 0, found a scalar []; pass a batch of examples`, 0, 'shape-mismatch');
    const feat = x.slice(1);
    const conflicts: [Dim, Dim][] = [];
    for (const [s, name, k] of [
      [gamma, 'gamma', 1],
      [beta, 'beta', 2],
    ] as const) {
      if (s.length !== feat.length || !s.every((d, i) => dimsEqual(d, feat[i]))) {
        return fail(
          `${op}: ${name} must have the shape of one example of x ${formatShape(x)}, i.e. x.shape[1:] = ${formatShape(feat)}, found ${formatShape(s)}${formatDimValues(x, s)}; ` +
            `declare ${name} as ${formatShape(feat)}`,
          k,
          'shape-mismatch',
        );
      }
      s.forEach((d, i) => {
        if (namesConflict(feat[i], d)) conflicts.push([feat[i], d]);
      });
    }
    const eps = attrOr(attrs, 'eps', 1e-5);
    if (!(eps >= 0) || !Number.isFinite(eps)) return fail(`${op}: eps must be a small non-negative number, found ${eps}; the default is 1e-5`, 3, 'bad-argument');
    const N = x[0];
    if (N.size === 1) {
      return fail(
        `${op} normalises over the batch axis 0, but x ${formatShape(x)} has a batch of one${formatDimValues(x)}: its variance is 0 and every output would equal beta ` +
          `(PyTorch raises "Expected more than 1 value per channel when training"); use a batch of at least 2`,
        0,
        'shape-mismatch',
      );
    }
    return ok(x, conflicts);
  },
  forward([x, gamma, beta], attrs) {
    const eps = attrOr(attrs, 'eps', 1e-5);
    const N = x.shape[0];
    const F = N === 0 ? 0 : x.size / N;
    const xhat = new Float64Array(x.size);
    const invstd = new Float64Array(F);
    const out = new Tensor(x.shape);
    for (let f = 0; f < F; f++) {
      let mean = 0;
      for (let n = 0; n < N; n++) mean += x.data[n * F + f];
      mean /= N;
      let v = 0;
      for (let n = 0; n < N; n++) {
        const d = x.data[n * F + f] - mean;
        v += d * d;
      }
      // biased variance (divide by N), as PyTorch normalises in training mode
      const is = 1 / Math.sqrt(v / N + eps);
      invstd[f] = is;
      for (let n = 0; n < N; n++) {
        const k = n * F + f;
        xhat[k] = (x.data[k] - mean) * is;
        out.data[k] = gamma.data[f] * xhat[k] + beta.data[f];
      }
    }
    const saved: BatchnormSaved = { xhat, invstd };
    return { value: out, saved };
  },
  backward({ inputs: [x, gamma], grad, saved, needs }) {
    const { xhat, invstd } = saved as BatchnormSaved;
    const N = x.shape[0];
    const F = invstd.length;
    const featShape = x.shape.slice(1);
    const dx = needs[0] ? new Tensor(x.shape) : null;
    const dgamma = needs[1] ? new Tensor(featShape) : null;
    const dbeta = needs[2] ? new Tensor(featShape) : null;
    const g = grad.data;
    for (let f = 0; f < F; f++) {
      let sumG = 0;
      let sumGX = 0;
      for (let n = 0; n < N; n++) {
        const k = n * F + f;
        sumG += g[k];
        sumGX += g[k] * xhat[k];
      }
      if (dgamma) dgamma.data[f] = sumGX;
      if (dbeta) dbeta.data[f] = sumG;
      if (dx) {
        // dx = gamma·invstd/N · (N·g − Σg − x̂·Σ g·x̂)
        const c = (gamma.data[f] * invstd[f]) / N;
        for (let n = 0; n < N; n++) {
          const k = n * F + f;
          dx.data[k] = c * (N * g[k] - sumG - xhat[k] * sumGX);
        }
      }
    }
    return [dx, dgamma, dbeta];
  },
  // Three passes down each feature's column (mean, variance, normalise); backward the sums, then dx.
  cost: ([x]) => 3 * COST.entry * entries(x),
  backwardCost: ([x], _out, _attrs, needs) => (needed(needs, 0) ? 2 : 1) * COST.entry * entries(x),
  workspace: ([x]) => ({ saved: entries(x) }),
};

// ------------------------------------------------------------------ one_hot and pick

export const oneHot: OpDef = {
  id: 'one_hot',
  name: 'one_hot',
  group: 'networks',
  signature: [
    { name: 'y', kind: 'tensor', labels: true, doc: 'integer class labels, any shape' },
    { name: 'C', kind: 'dim', doc: 'number of classes: a dimension name or an integer' },
  ],
  summary: 'One-hot encoding: y.shape + [C], 1 at each label’s class and 0 elsewhere (torch.nn.functional.one_hot, as floats). Labels must lie in [0, C).',
  explain: 'Piecewise constant in its integer labels, so no gradient flows through it. Multiply by it to select entries, e.g. sum(scores * one_hot(y, C), axis=1) picks the correct-class scores.',
  noGrad: true,
  shape(ctx, attrs) {
    const notInt = requireLabels(ctx, 0, 'y');
    if (notInt) return notInt;
    const C = dimAttr(attrs.C);
    if (!C) return fail(`${ctx.label}: C must be a dimension name or a positive integer, e.g. one_hot(y, C)`, 1, 'bad-argument');
    if (C.size !== null && (!Number.isInteger(C.size) || C.size < 1)) return fail(`${ctx.label}: the number of classes C must be a positive integer, found ${C.size}`, 1, 'bad-argument');
    return ok([...ctx.types[0].shape, C]);
  },
  forward([y], attrs) {
    const C = dimAttr(attrs.C)?.size ?? null;
    if (C === null) return { value: new Tensor([...y.shape, 0]), error: `one_hot: the number of classes C has no size at run time; give it a value in \`dims\`.` };
    const out = new Tensor([...y.shape, C]);
    const error = labelProblem('one_hot', y, C);
    if (error) return { value: out, error };
    for (let i = 0; i < y.size; i++) out.data[i * C + y.data[i]] = 1;
    return { value: out };
  },
  backward: ({ needs }) => needs.map(() => null),
  // The zeros, then one write per label.
  cost: ([y], out) => 0.3 * entries(out) + COST.entry * entries(y),
  backwardCost: () => 0,
};

export const pick: OpDef = {
  id: 'pick',
  // The picked entries get the gradient: one_hot(y, C) · g[..., None]
  derive({ grad, args: [, y], types: [t] }) {
    const C = dimExpr(t.shape[t.shape.length - 1]);
    if (!C) return 'the number of classes has no name here';
    return [E.bin('*', E.call('one_hot', [y, C]), E.call('expand_dims', [grad], { axis: E.num(-1) })), null];
  },
  name: 'pick',
  group: 'networks',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'scores [N, C] (or [C], or [..., C])' },
    { name: 'y', kind: 'tensor', labels: true, doc: 'integer class labels [N] (or a scalar, or [...])' },
  ],
  summary:
    'Picks one entry per row: out[i] = x[i, y[i]] (numpy x[arange(N), y]); x [C] with a scalar label gives a scalar. An extension to spec v1 for writing losses by hand, e.g. mean(logsumexp(s, axis=1) − pick(s, y)).',
  explain: 'A router: each picked entry receives its row’s upstream gradient; every other entry of x gets 0. The labels get no gradient.',
  shape: (ctx) => scoresAndLabelsRule(ctx, true),
  forward([x, y]) {
    const C = x.shape[x.rank - 1];
    const out = new Tensor(y.shape);
    const error = labelProblem('pick', y, C);
    if (error) return { value: out, error };
    for (let i = 0; i < y.size; i++) out.data[i] = x.data[i * C + y.data[i]];
    return { value: out };
  },
  backward({ inputs: [x, y], grad, needs }) {
    if (!needs[0]) return [null, null];
    const C = x.shape[x.rank - 1];
    const dx = new Tensor(x.shape);
    for (let i = 0; i < y.size; i++) dx.data[i * C + y.data[i]] += grad.data[i];
    return [dx, null];
  },
  cost: (_s, out) => 2 * COST.entry * entries(out),
  // A gradient of zeros the size of x, but for the picked entries.
  backwardCost: ([x], out) => COST.zeros * entries(x) + COST.entry * entries(out),
};

export const NETWORK_OPS: OpDef[] = [softmax, logSoftmax, maxout, dropout, batchnorm, oneHot, pick];
