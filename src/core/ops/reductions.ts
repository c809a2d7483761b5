// Reductions over axes. Their backward passes broadcast the upstream gradient back over the
// reduced axes: sum copies it, mean copies it divided by the count, max routes it to the winner.
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { Tensor, aroundAxis, stridesOf } from '../tensor/tensor';
import { axesAttr, axesOfAttr } from '../shapes/axes';
import { countExpr, unreduce } from './deriveKit';
import { COST, entries, runsOf } from './cost';
import { attrBool, type Attrs, type OpDef, type ParamSpec } from './op';
import { expandTo, keptSizes, reduceShapeRule, reducedSizes, sumAxes, X_PARAM } from './kit';

const AXIS: ParamSpec = { name: 'axis', kind: 'axes', default: null, doc: 'axis or list of axes to reduce (default: all)' };
const KEEPDIMS: ParamSpec = { name: 'keepdims', kind: 'bool', default: false, doc: 'keep reduced axes with size 1' };

function axesOf(x: Tensor, attrs: Attrs): number[] {
  return axesOfAttr(attrs.axis, x.rank);
}

function countOf(shape: readonly number[], axes: number[]): number {
  return axes.reduce((n, a) => n * shape[a], 1);
}

export const sum: OpDef = {
  id: 'sum',
  name: 'sum',
  group: 'reductions',
  signature: [X_PARAM, AXIS, KEEPDIMS],
  summary: 'Sum over all elements, or over `axis` (keepdims=true keeps it with size 1).',
  explain: 'A distributor: every summed element receives the upstream gradient unchanged (broadcast back over the reduced axes).',
  shape: (ctx, attrs) => reduceShapeRule(ctx, axesAttr(attrs.axis), attrBool(attrs, 'keepdims')),
  derive({ grad, args: [x], attrs, types: [t] }) {
    const axes = axesOfAttr(attrs.axis, t.shape.length);
    return [E.bin('*', unreduce(grad, axes, attrBool(attrs, 'keepdims'), t.shape.length), E.call('ones_like', [x]))];
  },
  forward([x], attrs) {
    return { value: sumAxes(x, axesOf(x, attrs), attrBool(attrs, 'keepdims')) };
  },
  backward({ inputs: [x], grad, attrs }) {
    return [expandTo(grad, x.shape, axesOf(x, attrs))];
  },
  cost: ([x]) => COST.entry * entries(x),
  backwardCost: ([x]) => expandCost(x),
};

/** Broadcasting a reduced tensor back over its input's shape: a copy in strided runs. */
function expandCost(x: readonly number[]): number {
  return COST.entry * entries(x) + COST.run * runsOf(x);
}

export const mean: OpDef = {
  id: 'mean',
  name: 'mean',
  group: 'reductions',
  signature: [X_PARAM, AXIS, KEEPDIMS],
  summary: 'Mean over all elements, or over `axis`.',
  explain: 'Every averaged element receives the upstream gradient divided by the number of elements averaged.',
  shape: (ctx, attrs) => reduceShapeRule(ctx, axesAttr(attrs.axis), attrBool(attrs, 'keepdims')),
  derive({ grad, args: [x], attrs, types: [t] }) {
    const axes = axesOfAttr(attrs.axis, t.shape.length);
    const count = countExpr(t.shape, axes);
    if (!count) return 'the number of averaged elements has no name here; write the mean as sum(…) / N';
    return [E.bin('/', E.bin('*', unreduce(grad, axes, attrBool(attrs, 'keepdims'), t.shape.length), E.call('ones_like', [x])), count)];
  },
  forward([x], attrs) {
    const axes = axesOf(x, attrs);
    const s = sumAxes(x, axes, attrBool(attrs, 'keepdims'));
    const n = countOf(x.shape, axes);
    for (let i = 0; i < s.size; i++) s.data[i] /= n;
    return { value: s };
  },
  backward({ inputs: [x], grad, attrs }) {
    const axes = axesOf(x, attrs);
    const g = expandTo(grad, x.shape, axes);
    const n = countOf(x.shape, axes);
    for (let i = 0; i < g.size; i++) g.data[i] /= n;
    return [g];
  },
  cost: ([x]) => COST.entry * entries(x),
  backwardCost: ([x]) => expandCost(x) + COST.entry * entries(x),
};

/** Max (sign = 1) or min (sign = -1) over axes, with keepdims shape. */
function extremeKept(x: Tensor, axes: number[], sign: 1 | -1): Tensor {
  let cur = x;
  for (let k = axes.length - 1; k >= 0; k--) {
    const axis = axes[k];
    const { outer, len, inner } = aroundAxis(cur.shape, axis);
    const out = new Tensor(cur.shape.map((d, i) => (i === axis ? 1 : d)));
    out.data.fill(sign * -Infinity);
    const src = cur.data;
    const dst = out.data;
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < len; j++) {
        const row = (o * len + j) * inner;
        for (let i = 0; i < inner; i++) {
          const v = src[row + i];
          const d = dst[o * inner + i];
          // NaN wins, as in numpy/PyTorch
          if (sign * v > sign * d || v !== v) dst[o * inner + i] = v;
        }
      }
    }
    cur = out;
  }
  return cur;
}

/** Mask of elements equal to their group's extreme, with per-group tie counts. */
function winnerMask(x: Tensor, kept: Tensor): { mask: Int32Array; counts: Float64Array } {
  const mask = new Int32Array(x.size);
  const counts = new Float64Array(kept.size);
  const rank = x.rank;
  const idx = new Array<number>(rank).fill(0);
  const keptStrides = stridesOf(kept.shape);
  for (let o = 0; o < x.size; o++) {
    let ko = 0;
    for (let k = 0; k < rank; k++) if (kept.shape[k] !== 1) ko += idx[k] * keptStrides[k];
    if (x.data[o] === kept.data[ko]) {
      mask[o] = 1;
      counts[ko]++;
    }
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      if (idx[k] < x.shape[k]) break;
      idx[k] = 0;
    }
  }
  return { mask, counts };
}

function extremeOp(id: 'max' | 'min', sign: 1 | -1): OpDef {
  const word = sign === 1 ? 'largest' : 'smallest';
  return {
    id: `${id}_reduce`,
    name: id,
    group: 'reductions',
    signature: [X_PARAM, AXIS, KEEPDIMS],
    summary: `${id === 'max' ? 'Maximum' : 'Minimum'} over all elements, or over \`axis\` (with one tensor argument; two tensors mean the elementwise ${id}).`,
    explain: `A router: the upstream gradient goes to the ${word} element of each group; the others get 0.`,
    kinks: `On ties the gradient is split evenly among the tied elements (as torch.amax/amin).`,
    shape: (ctx, attrs) => reduceShapeRule(ctx, axesAttr(attrs.axis), attrBool(attrs, 'keepdims')),
    // The winners (ties share) take the gradient: mask = (x == max(x, keepdims)), g·mask/Σmask.
    derive({ grad, args: [x], attrs, attrExprs, types: [t], let: bind }) {
      const axes = axesOfAttr(attrs.axis, t.shape.length);
      const kw: Record<string, Expr> = { ...(attrExprs.axis ? { axis: attrExprs.axis } : {}), keepdims: E.bool(true) };
      const mask = bind('mask', E.bin('==', x, E.call(id, [x], kw)));
      return [E.bin('/', E.bin('*', unreduce(grad, axes, attrBool(attrs, 'keepdims'), t.shape.length), mask), E.call('sum', [mask], kw))];
    },
    forward([x], attrs, ctx) {
      const axes = axesOf(x, attrs);
      const kept = extremeKept(x, axes, sign);
      const value = kept.reshaped(reducedSizes(x.shape, axes, attrBool(attrs, 'keepdims')));
      const kinks = ctx.trackKinks ? winnerMask(x, kept).mask : undefined;
      return { value, saved: kept, kinks };
    },
    backward({ inputs: [x], grad, saved, attrs }) {
      const axes = axesOf(x, attrs);
      const kept = saved as Tensor;
      const { mask, counts } = winnerMask(x, kept);
      const g = expandTo(grad.reshaped(keptSizes(x.shape, axes)), x.shape, axes);
      const c = expandTo(new Tensor(kept.shape, counts), x.shape, axes);
      for (let i = 0; i < g.size; i++) g.data[i] = mask[i] ? g.data[i] / c.data[i] : 0;
      return [g];
    },
    // One pass per reduced axis; backward finds the winners entry by entry, then spreads.
    cost: ([x], _out, attrs) => COST.entry * entries(x) * Math.max(1, axesOfAttr(attrs.axis, x.length).length),
    backwardCost: ([x]) => 3 * COST.entry * entries(x) + 2 * expandCost(x),
    // The kept extremes; backward's winner mask, tie counts and their broadcasts.
    workspace: ([x], out) => ({ saved: entries(out), scratch: 2.5 * entries(x) }),
  };
}

export const maxReduce = extremeOp('max', 1);
export const minReduce = extremeOp('min', -1);

export const logsumexp: OpDef = {
  id: 'logsumexp',
  name: 'logsumexp',
  group: 'reductions',
  signature: [X_PARAM, AXIS, KEEPDIMS],
  summary: 'log Σ eˣ over all elements or `axis`, computed stably by subtracting the max first.',
  explain: 'Each element receives the upstream gradient times its softmax weight e^(x − logsumexp).',
  shape: (ctx, attrs) => reduceShapeRule(ctx, axesAttr(attrs.axis), attrBool(attrs, 'keepdims')),
  derive({ grad, args: [x], out, attrs, types: [t] }) {
    const axes = axesOfAttr(attrs.axis, t.shape.length);
    const keep = attrBool(attrs, 'keepdims');
    return [E.bin('*', unreduce(grad, axes, keep, t.shape.length), E.call('exp', [E.bin('-', x, unreduce(out, axes, keep, t.shape.length))]))];
  },
  forward([x], attrs) {
    const axes = axesOf(x, attrs);
    const m = extremeKept(x, axes, 1);
    const mb = expandTo(m, x.shape, axes);
    const e = new Tensor(x.shape);
    for (let i = 0; i < x.size; i++) {
      const mi = Number.isFinite(mb.data[i]) ? mb.data[i] : 0;
      e.data[i] = Math.exp(x.data[i] - mi);
    }
    const s = sumAxes(e, axes, true);
    const out = new Tensor(s.shape);
    for (let i = 0; i < s.size; i++) {
      const mi = Number.isFinite(m.data[i]) ? m.data[i] : 0;
      out.data[i] = mi + Math.log(s.data[i]);
    }
    return { value: out.reshaped(reducedSizes(x.shape, axes, attrBool(attrs, 'keepdims'))) };
  },
  backward({ inputs: [x], out, grad, attrs }) {
    const axes = axesOf(x, attrs);
    const ob = expandTo(out.reshaped(keptSizes(x.shape, axes)), x.shape, axes);
    const g = expandTo(grad.reshaped(keptSizes(x.shape, axes)), x.shape, axes);
    for (let i = 0; i < g.size; i++) g.data[i] *= Math.exp(x.data[i] - ob.data[i]);
    return [g];
  },
  // The max, its broadcast, one exp per entry and the sum; backward two broadcasts and the exps.
  cost: ([x]) => (2 * COST.entry + COST.transcendental) * entries(x) + expandCost(x),
  backwardCost: ([x]) => COST.transcendental * entries(x) + 2 * expandCost(x),
  workspace: ([x]) => ({ scratch: 2 * entries(x) }),
};

export { extremeKept };

export const REDUCTION_OPS: OpDef[] = [sum, mean, maxReduce, minReduce, logsumexp];
