// Softmax and log-softmax along an axis. Every output depends on every input of its slice, so
// each backward pass subtracts a slice sum from the upstream gradient.
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { normAxis } from '../shapes/axes';
import { formatShape } from '../shapes/shape';
import { aroundAxis, Tensor } from '../tensor/tensor';
import { X_PARAM } from './kit';
import { COST, entries } from './cost';
import { attrOr, type Attrs, type OpDef, type ShapeContext } from './op';
import { E } from '../lang/print';

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

export const SOFTMAX_OPS: OpDef[] = [softmax, logSoftmax];
