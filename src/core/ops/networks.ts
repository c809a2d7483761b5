// Network layers: softmax and log-softmax (softmax.ts), maxout, dropout, batch normalisation, and
// the label helpers one_hot and pick (labels.ts). Layers that mix the elements of a group (softmax
// over an axis, batchnorm over the batch) send every upstream gradient through the whole group, so
// their backward passes subtract a group sum; maxout routes like max; dropout gates like relu.
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, namesConflict, type Dim } from '../shapes/shape';
import { gemmNN, gemmNT, gemmTN } from '../tensor/matmul';
import { Tensor } from '../tensor/tensor';
import { X_PARAM } from './kit';
import { COST, entries, gemmCost, needed } from './cost';
import { attrOr, type OpDef, type ShapeContext } from './op';
import { LABEL_OPS } from './labels';
import { SOFTMAX_OPS } from './softmax';

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

export const NETWORK_OPS: OpDef[] = [...SOFTMAX_OPS, maxout, dropout, batchnorm, ...LABEL_OPS];
