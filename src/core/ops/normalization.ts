// Normalisation layers beyond batchnorm: layer norm (each row over its last axis), spatial batch
// norm (each channel over batch and pixels) and group norm (each example's channel group over its
// pixels). All three are one computation over different sets of entries: every set is brought to
// zero mean and unit (biased) variance, then scaled and shifted per channel. So they share one
// kernel, and their backward passes share the batchnorm formula with the set's mean and variance
// terms — the terms hand derivations most often drop.
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, namesConflict, type Dim, type Shape } from '../shapes/shape';
import { Tensor, sizeOf } from '../tensor/tensor';
import { resultBuffer } from '../tensor/results';
import { attrOr, type Attrs, type BackwardArgs, type DeriveContext, type OpDef, type ParamSpec, type ShapeContext } from './op';

// ------------------------------------------------------------------ the shared kernel

/**
 * Which normalisation set and which channel (gamma/beta entry) each entry of x belongs to: listed
 * per entry, or (layer norm) rows of `count` entries, set = row and channel = position, which the
 * kernels walk without the lists — same sums in the same order, so the same bits.
 */
type Layout =
  | { rows: false; set: Int32Array; chan: Int32Array; sets: number; count: number }
  | { rows: true; sets: number; count: number };

interface NormSaved {
  xhat: Float64Array;
  invstd: Float64Array;
  layout: Layout;
}

/** Layer norm over the last axis of size D: set = row, channel = position in the row. */
function rowLayout(shape: readonly number[]): Layout {
  const size = sizeOf(shape);
  const D = shape.length ? shape[shape.length - 1] : 1;
  return { rows: true, sets: D === 0 ? 0 : size / D, count: D };
}

/**
 * x [N, C, ...spatial] with C split into G groups of C/G channels: set = (example, group),
 * channel = C index. G = 1 with the batch folded in is not this; batchnorm2d passes perExample false.
 */
function channelLayout(shape: readonly number[], groups: number, perExample: boolean): Layout {
  const size = sizeOf(shape);
  const [N, C] = shape;
  const S = C === 0 || N === 0 ? 0 : size / (N * C);
  const per = C / groups;
  const set = new Int32Array(size);
  const chan = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const c = Math.floor(i / S) % C;
    const n = Math.floor(i / (S * C));
    chan[i] = c;
    set[i] = perExample ? n * groups + Math.floor(c / per) : c;
  }
  const sets = perExample ? N * groups : C;
  return { rows: false, set, chan, sets, count: sets === 0 ? 0 : size / sets };
}

function normForward(x: Tensor, gamma: Tensor, beta: Tensor, eps: number, layout: Layout): { value: Tensor; saved: NormSaved } {
  const { sets, count } = layout;
  const xd = x.data;
  const xhat = resultBuffer(xd.length, true);
  const out = Tensor.result(x.shape, true);
  const o = out.data;
  const gd = gamma.data;
  const bd = beta.data;
  // biased variance (divide by the count), as PyTorch normalises
  const invstd = new Float64Array(sets);
  if (layout.rows) {
    for (let s = 0, r = 0; s < sets; s++, r += count) {
      let m = 0;
      for (let j = 0; j < count; j++) m += xd[r + j];
      m /= count;
      let q = 0;
      for (let j = 0; j < count; j++) {
        const d = xd[r + j] - m;
        q += d * d;
      }
      const inv = 1 / Math.sqrt(q / count + eps);
      invstd[s] = inv;
      for (let j = 0; j < count; j++) {
        const h = (xd[r + j] - m) * inv;
        xhat[r + j] = h;
        o[r + j] = gd[j] * h + bd[j];
      }
    }
    return { value: out, saved: { xhat, invstd, layout } };
  }
  const { set, chan } = layout;
  const mean = new Float64Array(sets);
  const sq = new Float64Array(sets);
  for (let i = 0; i < xd.length; i++) mean[set[i]] += xd[i];
  for (let s = 0; s < sets; s++) mean[s] /= count;
  for (let i = 0; i < xd.length; i++) {
    const d = xd[i] - mean[set[i]];
    sq[set[i]] += d * d;
  }
  for (let s = 0; s < sets; s++) invstd[s] = 1 / Math.sqrt(sq[s] / count + eps);
  for (let i = 0; i < xd.length; i++) {
    xhat[i] = (xd[i] - mean[set[i]]) * invstd[set[i]];
    o[i] = gd[chan[i]] * xhat[i] + bd[chan[i]];
  }
  return { value: out, saved: { xhat, invstd, layout } };
}

function normBackward(x: Tensor, gamma: Tensor, grad: Tensor, saved: NormSaved, needs: boolean[], eps: number, record: BackwardArgs['record']): (Tensor | null)[] {
  const { xhat, invstd, layout } = saved;
  const { sets, count } = layout;
  // Sets whose variance is at most eps (1/σ ≥ 1/√(2·eps)): a constant row, for the health check.
  if (record && count > 1) {
    let flat = 0;
    for (let s = 0; s < sets; s++) if (invstd[s] * invstd[s] * 2 * eps >= 1) flat++;
    record('lowVarianceSets', [flat, sets]);
  }
  const g = grad.data;
  const gd = gamma.data;
  const dgamma = needs[1] ? Tensor.result(gamma.shape, false) : null;
  const dbeta = needs[2] ? Tensor.result(gamma.shape, false) : null;
  // With gx = g·gamma (the gradient at x̂): dx = invstd/M · (M·gx − Σgx − x̂·Σ gx·x̂) per set.
  const dx = needs[0] ? Tensor.result(x.shape, true) : null;
  if (layout.rows) {
    // One pass a row for dgamma, dbeta and the row's two sums (each sum in the order of separate
    // passes: the same bits), then one for dx.
    const dg = dgamma?.data;
    const db = dbeta?.data;
    const dxd = dx?.data;
    for (let s = 0, r = 0; s < sets; s++, r += count) {
      if (!dxd) {
        // No dx wanted (a layernorm on data): no sums either.
        for (let j = 0; j < count; j++) {
          if (dg) dg[j] += g[r + j] * xhat[r + j];
          if (db) db[j] += g[r + j];
        }
        continue;
      }
      let sumG = 0;
      let sumGX = 0;
      for (let j = 0; j < count; j++) {
        const gj = g[r + j];
        const h = xhat[r + j];
        if (dg) dg[j] += gj * h;
        if (db) db[j] += gj;
        const gx = gj * gd[j];
        sumG += gx;
        sumGX += gx * h;
      }
      const k = invstd[s] / count;
      for (let j = 0; j < count; j++) dxd[r + j] = k * (count * (g[r + j] * gd[j]) - sumG - xhat[r + j] * sumGX);
    }
    return [dx, dgamma, dbeta];
  }
  const { set, chan } = layout;
  for (let i = 0; i < g.length; i++) {
    if (dgamma) dgamma.data[chan[i]] += g[i] * xhat[i];
    if (dbeta) dbeta.data[chan[i]] += g[i];
  }
  if (!dx) return [null, dgamma, dbeta];
  const sumG = new Float64Array(sets);
  const sumGX = new Float64Array(sets);
  for (let i = 0; i < g.length; i++) {
    const gx = g[i] * gd[chan[i]];
    sumG[set[i]] += gx;
    sumGX[set[i]] += gx * xhat[i];
  }
  for (let i = 0; i < g.length; i++) {
    const s = set[i];
    const gx = g[i] * gd[chan[i]];
    dx.data[i] = (invstd[s] / count) * (count * gx - sumG[s] - xhat[i] * sumGX[s]);
  }
  return [dx, dgamma, dbeta];
}

// ------------------------------------------------------------------ shape rules

const EPS_PARAM: ParamSpec = { name: 'eps', kind: 'number', default: 1e-5, doc: 'added to the variance before the square root (PyTorch’s default 1e-5)' };

function epsProblem(ctx: ShapeContext, attrs: Attrs, argIndex: number): ShapeResult | null {
  const eps = attrOr(attrs, 'eps', 1e-5);
  if (eps >= 0 && Number.isFinite(eps)) return null;
  return fail(`${ctx.label}: eps must be a small non-negative number, found ${eps}; the default is 1e-5`, argIndex, 'bad-argument');
}

/** gamma and beta (args 1 and 2) must both be [D] for the given D; null when they are. */
function affineParamsProblem(ctx: ShapeContext, D: Dim, what: string, conflicts: [Dim, Dim][]): ShapeResult | null {
  const x = ctx.types[0].shape;
  for (const [name, k] of [
    ['gamma', 1],
    ['beta', 2],
  ] as const) {
    const s = ctx.types[k].shape;
    if (s.length !== 1 || !dimsEqual(s[0], D)) {
      return fail(
        `${ctx.label}: ${name} must hold one value per ${what} of x ${formatShape(x)}, i.e. [${D.sym}], found ${formatShape(s)}${formatDimValues(x, s)}; declare ${name} as [${D.sym}]`,
        k,
        'shape-mismatch',
      );
    }
    if (namesConflict(D, s[0])) conflicts.push([D, s[0]]);
  }
  return null;
}

function layernormShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const x = ctx.types[0].shape;
  if (x.length === 0) return fail(`${ctx.label} normalises over the last axis of x, found a scalar []; pass x as [..., D] (one row of D features per example)`, 0, 'shape-mismatch');
  const conflicts: [Dim, Dim][] = [];
  const bad = affineParamsProblem(ctx, x[x.length - 1], 'feature (the last axis)', conflicts) ?? epsProblem(ctx, attrs, 3);
  return bad ?? ok(x, conflicts);
}

/** x as [N, C, ...] for the channel norms; null when it is. */
function channelsProblem(ctx: ShapeContext, minRank: number, form: string): ShapeResult | null {
  const x = ctx.types[0].shape;
  if (x.length >= minRank && (minRank !== 4 || x.length === 4)) return null;
  return fail(`${ctx.label} expects x as ${form}, found ${formatShape(x)}; reshape x, e.g. reshape(x, [N, C, H, W])`, 0, 'shape-mismatch');
}

function knownProduct(dims: Shape): number | null {
  let p = 1;
  for (const d of dims) {
    if (d.size === null) return null;
    p *= d.size;
  }
  return p;
}

function batchnorm2dShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const bad = channelsProblem(ctx, 4, '[N, C, H, W] (a batch of C-channel images)');
  if (bad) return bad;
  const x = ctx.types[0].shape;
  const conflicts: [Dim, Dim][] = [];
  const err = affineParamsProblem(ctx, x[1], 'channel (axis 1)', conflicts) ?? epsProblem(ctx, attrs, 3);
  if (err) return err;
  if (knownProduct([x[0], x[2], x[3]]) === 1) {
    return fail(
      `${ctx.label} normalises each channel over N·H·W, but x ${formatShape(x)} has one value per channel${formatDimValues(x)}: its variance is 0 and every output would equal beta ` +
        `(PyTorch raises "Expected more than 1 value per channel when training"); use a larger batch or image`,
      0,
      'shape-mismatch',
    );
  }
  return ok(x, conflicts);
}

function groupnormShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const bad = channelsProblem(ctx, 2, '[N, C, ...] with channels on axis 1, e.g. [N, C, H, W]');
  if (bad) return bad;
  const x = ctx.types[0].shape;
  const G = attrOr(attrs, 'G', 1);
  if (!Number.isInteger(G) || G < 1) return fail(`${ctx.label}: the number of groups G must be a positive integer, found ${G}`, 3, 'bad-argument');
  const C = x[1];
  if (C.size !== null && C.size % G !== 0) {
    const divisors = [...Array(C.size).keys()].map((k) => k + 1).filter((k) => C.size! % k === 0);
    return fail(
      `${ctx.label}: G=${G} groups must divide the ${C.sym} channels of x ${formatShape(x)}${formatDimValues(x)} evenly (PyTorch requires num_channels % num_groups == 0); ` +
        `pick G among ${divisors.join(', ')}`,
      3,
      'bad-argument',
    );
  }
  const conflicts: [Dim, Dim][] = [];
  const err = affineParamsProblem(ctx, C, 'channel (axis 1)', conflicts) ?? epsProblem(ctx, attrs, 4);
  return err ?? ok(x, conflicts);
}

// ------------------------------------------------------------------ derivation rules

const keep = (axis: Expr) => ({ axis, keepdims: E.bool(true) });

/**
 * The backward of a normalisation over `axis` of v (the entries of a set along those axes), as
 * .grad: x̂ and 1/σ recomputed from v, then dv = (1/σ)·(gx − mean(gx) − x̂·mean(gx·x̂)).
 * Returns x̂ and dv as expressions (names bound in the backward block).
 */
function normalizedBackward(bind: DeriveContext['let'], v: Expr, gx: (xhat: Expr) => Expr, axis: Expr, eps: Expr): { xhat: Expr; dv: Expr } {
  const xc = bind('xc', E.bin('-', v, E.call('mean', [v], keep(axis))));
  const istd = bind('istd', E.bin('/', E.num(1), E.call('sqrt', [E.bin('+', E.call('mean', [E.bin('*', xc, xc)], keep(axis)), eps)])));
  const xhat = bind('xhat', E.bin('*', xc, istd));
  const g = bind('dxhat', gx(xhat));
  const centred = E.bin('-', E.bin('-', g, E.call('mean', [g], keep(axis))), E.bin('*', xhat, E.call('mean', [E.bin('*', g, xhat)], keep(axis))));
  return { xhat, dv: E.bin('*', istd, centred) };
}

/** gamma [C] viewed as [C, 1, …, 1] so it broadcasts over axis 1 of a rank-r tensor. */
function channelView(gamma: Expr, rank: number): Expr {
  let e = gamma;
  for (let k = 1; k <= rank - 2; k++) e = E.call('expand_dims', [e], { axis: E.num(k) });
  return e;
}

function allButChannel(rank: number): Expr {
  return E.ints([0, ...Array.from({ length: rank - 2 }, (_, k) => k + 2)]);
}

// ------------------------------------------------------------------ the ops

const NORM_PARAMS = (x: string, per: string): ParamSpec[] => [
  { name: 'x', kind: 'tensor', doc: x },
  { name: 'gamma', kind: 'tensor', doc: `scale, one per ${per}` },
  { name: 'beta', kind: 'tensor', doc: `shift, one per ${per}` },
];

const NORM_EXPLAIN =
  'beta receives the upstream gradient summed over everything but its channel; gamma receives Σ g·x̂. x receives (1/σ)·(gx − mean(gx) − x̂·mean(gx·x̂)) with gx = g·gamma, ' +
  'the means taken over the entries normalised together: their mean and variance depend on every one of them, so each gradient is corrected by the set’s averages — ' +
  'dropping the mean term or the variance term is the classic mistake. The gradient of x sums to 0 over each set.';

export const layernorm: OpDef = {
  id: 'layernorm',
  name: 'layernorm',
  group: 'networks',
  signature: [...NORM_PARAMS('input [..., D], each row normalised over its last axis', 'feature [D]'), EPS_PARAM],
  summary:
    'Layer normalisation: each row of x (its last axis) becomes (x − mean) / √(var + eps) · gamma + beta, with the biased variance of that row ' +
    '(torch.nn.functional.layer_norm(x, [D], gamma, beta, eps); cs231n’s layernorm_forward). Independent of the batch: the same in training and at test time.',
  explain: NORM_EXPLAIN.replace('the entries normalised together', 'the row (the last axis)'),
  shape: layernormShape,
  forward([x, gamma, beta], attrs) {
    return normForward(x, gamma, beta, attrOr(attrs, 'eps', 1e-5), rowLayout(x.shape));
  },
  backward: ({ inputs: [x, gamma], grad, saved, needs, attrs, record }) => normBackward(x, gamma, grad, saved as NormSaved, needs, attrOr(attrs, 'eps', 1e-5), record),
  cost: (s) => 12 * sizeOf(s[0]),
  // x̂ (one entry per input entry) and 1/σ per normalised set (counted as one per row of the last
  // axis, never fewer than the sets) are kept for backward.
  workspace: (s) => ({ saved: sizeOf(s[0]) + sizeOf(s[0]) / Math.max(1, s[0][s[0].length - 1] ?? 1) }),
  derive({ args: [x, gamma], grad, attrExprs, let: bind }) {
    const { xhat, dv } = normalizedBackward(bind, x, () => E.bin('*', grad, gamma), E.num(-1), attrExprs.eps ?? E.num(1e-5));
    // The deriver sums gamma's and beta's gradients over the leading axes.
    return [dv, E.bin('*', grad, xhat), grad];
  },
};

export const batchnorm2d: OpDef = {
  id: 'batchnorm2d',
  name: 'batchnorm2d',
  group: 'networks',
  signature: [...NORM_PARAMS('images [N, C, H, W]', 'channel [C]'), EPS_PARAM],
  summary:
    'Spatial batch normalisation in training mode: each channel is normalised over the batch and all pixels (N·H·W values) with the biased variance, then scaled and shifted per channel ' +
    '(torch.nn.functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps), i.e. nn.BatchNorm2d; cs231n’s spatial_batchnorm_forward).',
  explain: NORM_EXPLAIN.replace('the entries normalised together', 'the channel’s N·H·W values'),
  shape: batchnorm2dShape,
  forward([x, gamma, beta], attrs) {
    return normForward(x, gamma, beta, attrOr(attrs, 'eps', 1e-5), channelLayout(x.shape, 1, false));
  },
  backward: ({ inputs: [x, gamma], grad, saved, needs, attrs, record }) => normBackward(x, gamma, grad, saved as NormSaved, needs, attrOr(attrs, 'eps', 1e-5), record),
  cost: (s) => 12 * sizeOf(s[0]),
  // x̂ (one entry per input entry) and 1/σ per normalised set (counted as one per row of the last
  // axis, never fewer than the sets) are kept for backward.
  workspace: (s) => ({ saved: sizeOf(s[0]) + sizeOf(s[0]) / Math.max(1, s[0][s[0].length - 1] ?? 1) }),
  derive({ args: [x, gamma], grad, attrExprs, let: bind }) {
    const axes = allButChannel(4);
    const { xhat, dv } = normalizedBackward(bind, x, () => E.bin('*', grad, channelView(gamma, 4)), axes, attrExprs.eps ?? E.num(1e-5));
    return [dv, E.call('sum', [E.bin('*', grad, xhat)], { axis: axes }), E.call('sum', [grad], { axis: axes })];
  },
};

export const groupnorm: OpDef = {
  id: 'groupnorm',
  name: 'groupnorm',
  group: 'networks',
  signature: [
    ...NORM_PARAMS('input [N, C, ...], e.g. images [N, C, H, W]', 'channel [C]'),
    { name: 'G', kind: 'int', doc: 'number of groups; each example’s C channels are split into G groups of C/G consecutive channels' },
    EPS_PARAM,
  ],
  summary:
    'Group normalisation: each example’s channels are split into G groups and each group (its C/G channels × all pixels) is normalised with its biased variance, then scaled and shifted per channel ' +
    '(torch.nn.functional.group_norm(x, G, gamma, beta, eps); cs231n’s spatial_groupnorm_forward). G = 1 is layer norm over C·H·W; G = C is instance norm.',
  explain: NORM_EXPLAIN.replace('the entries normalised together', 'the example’s group of C/G channels × pixels'),
  shape: groupnormShape,
  forward([x, gamma, beta], attrs) {
    return normForward(x, gamma, beta, attrOr(attrs, 'eps', 1e-5), channelLayout(x.shape, attrOr(attrs, 'G', 1), true));
  },
  backward: ({ inputs: [x, gamma], grad, saved, needs, attrs, record }) => normBackward(x, gamma, grad, saved as NormSaved, needs, attrOr(attrs, 'eps', 1e-5), record),
  cost: (s) => 12 * sizeOf(s[0]),
  // x̂ (one entry per input entry) and 1/σ per normalised set (counted as one per row of the last
  // axis, never fewer than the sets) are kept for backward.
  workspace: (s) => ({ saved: sizeOf(s[0]) + sizeOf(s[0]) / Math.max(1, s[0][s[0].length - 1] ?? 1) }),
  // No derive rule: its backward reshapes x into groups of C/G channels, which .grad shapes cannot
  // follow for a named C; it is derived through groupnorm_dx, groupnorm_dgamma, groupnorm_dbeta (vjp.ts).
};

export const NORMALIZATION_OPS: OpDef[] = [layernorm, batchnorm2d, groupnorm];
