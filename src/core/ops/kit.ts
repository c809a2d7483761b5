// Builders shared by the op families: elementwise unary ops, broadcasting binary ops, and the
// shape arithmetic of reductions. Each op still states its own forward/backward/explanation.
import { broadcastShapes, fail, ok, type ShapeResult } from '../shapes/broadcast';
import { resolveAxes } from '../shapes/axes';
import { formatShape, type Dim, type Shape } from '../shapes/shape';

import { aroundAxis, binaryBroadcast, broadcastSizes, broadcastTo, sameShape, Tensor, unbroadcast, type BinaryRun, sizeOf } from '../tensor/tensor';
import { COST, runsOf } from './cost';
import type { Attrs, BackwardArgs, OpDef, OpGroup, OpTraits, ParamSpec, ShapeContext } from './op';

export const X_PARAM: ParamSpec = { name: 'x', kind: 'tensor', doc: 'input tensor' };

export interface UnarySpec {
  id: string;
  name?: string;
  summary: string;
  explain: string;
  kinks?: string;
  /** Where a piecewise-constant op jumps (OpDef.steps); kinkSide then records the sides. */
  steps?: string;
  group?: OpGroup;
  extraParams?: ParamSpec[];
  noGrad?: boolean;
  /** o[i] = f(x[i]) for the whole buffer: every entry of `o` is written (it may hold an earlier run's numbers). */
  forward(x: Float64Array, o: Float64Array, attrs: Attrs): void;
  /** dx[i] = g[i] * f'(x[i]) (may use the output); every entry of `dx` is written, zeros included. */
  backward(x: Float64Array, out: Float64Array, g: Float64Array, dx: Float64Array, attrs: Attrs): void;
  /** Which side of the kink each element is on. */
  kinkSide?(x: Float64Array, k: Int32Array, attrs: Attrs): void;
  /**
   * For an op whose backward would recompute most of its forward (gelu's Φ and φ): forward writes
   * what backward needs into a buffer kept for it (one more entry per entry, in the op's workspace),
   * and backward reads it back — the same bits as `forward` and `backward`, which still serve a
   * forward with no backward after it (gradient checks) and a backward with nothing kept.
   */
  keeps?: {
    forward(x: Float64Array, o: Float64Array, kept: Float64Array, attrs: Attrs): void;
    backward(x: Float64Array, kept: Float64Array, g: Float64Array, dx: Float64Array, attrs: Attrs): void;
  };
  validate?(attrs: Attrs): string | null;
  derive?: OpDef['derive'];
  /** Copied onto the op as they are. */
  traits?: OpTraits;
  /** Cost units per entry of the forward and the backward kernel (ops/cost.ts), measured. */
  work: readonly [forward: number, backward: number];
}

/**
 * The buffer kernels of the elementwise ops built here. Gradient checks run them on just the
 * entries a perturbation changed (checks/batched.ts): the same arithmetic as forward, without
 * allocating an output per call.
 */
export interface ElementwiseKernels {
  unary?: Pick<UnarySpec, 'forward' | 'kinkSide'>;
  binary?: Pick<BinarySpec, 'run' | 'kinkSide'>;
}

const kernels = new WeakMap<OpDef, ElementwiseKernels>();

/** The kernels of an op made by defineUnary or defineBinary (every output entry from its operand entries alone). */
export function elementwiseKernels(op: OpDef): ElementwiseKernels | undefined {
  return kernels.get(op);
}

/** The fields defineUnary and defineBinary copy from the spec as they are: the texts, the rule, the traits. */
function described(s: Pick<UnarySpec & BinarySpec, 'summary' | 'explain' | 'kinks' | 'steps' | 'noGrad' | 'derive' | 'traits'>): Pick<OpDef, 'summary' | 'explain' | 'kinks' | 'steps' | 'noGrad' | 'derive'> & OpTraits {
  return { summary: s.summary, explain: s.explain, kinks: s.kinks, steps: s.steps, noGrad: s.noGrad, derive: s.derive, ...s.traits };
}

export function defineUnary(s: UnarySpec): OpDef {
  const op: OpDef = {
    id: s.id,
    name: s.name ?? s.id,
    group: s.group ?? 'elementwise',
    signature: [X_PARAM, ...(s.extraParams ?? [])],
    ...described(s),
    shape(ctx, attrs) {
      const err = s.validate?.(attrs);
      if (err) return fail(`${ctx.label}: ${err}`);
      return ok(ctx.types[0].shape);
    },
    forward([x], attrs, ctx) {
      const out = Tensor.result(x.shape, true);
      let kept: Tensor | undefined;
      if (s.keeps && !ctx.forwardOnly) {
        kept = Tensor.result(x.shape, true);
        s.keeps.forward(x.data, out.data, kept.data, attrs);
      } else s.forward(x.data, out.data, attrs);
      let kinks: Int32Array | undefined;
      if (ctx.trackKinks && s.kinkSide) {
        kinks = new Int32Array(x.size);
        s.kinkSide(x.data, kinks, attrs);
      }
      return { value: out, kinks, saved: kept };
    },
    backward({ inputs: [x], out, grad, saved, attrs }) {
      const dx = Tensor.result(x.shape, true);
      if (s.keeps && saved instanceof Tensor && saved.size === x.size) s.keeps.backward(x.data, saved.data, grad.data, dx.data, attrs);
      else s.backward(x.data, out.data, grad.data, dx.data, attrs);
      return [dx];
    },
    cost: (shapes) => s.work[0] * sizeOf(shapes[0]),
    backwardCost: (shapes) => s.work[1] * sizeOf(shapes[0]),
    ...(s.keeps ? { workspace: (shapes: readonly (readonly number[])[]) => ({ saved: sizeOf(shapes[0]) }) } : {}),
  };
  kernels.set(op, { unary: s });
  return op;
}

export interface BinarySpec {
  id: string;
  name: string;
  group?: OpGroup;
  summary: string;
  explain: string;
  kinks?: string;
  /** Where a piecewise-constant op jumps (OpDef.steps); kinkSide then records the sides. */
  steps?: string;
  noGrad?: boolean;
  params?: [ParamSpec, ParamSpec];
  run: BinaryRun;
  /**
   * `run` over the rows of `a` in one call, for the commonest layouts (both operands of the
   * output's shape: one row of inner = a.length; or `b` one row of `a`, a bias): a faster kernel
   * (tensor/simdElementwise.ts) with the same bits. Every entry of `o` is written.
   */
  rows?(a: Float64Array, b: Float64Array, o: Float64Array, inner: number): void;
  /** Full-shape gradients w.r.t. a and b (before summing over broadcast axes). */
  grads?(a: Tensor, b: Tensor, out: Tensor, g: Tensor, needs: boolean[]): [Tensor | null, Tensor | null];
  kinkSide?(a: Tensor, b: Tensor, out: Tensor): Int32Array;
  derive?: OpDef['derive'];
  /** Copied onto the op as they are. */
  traits?: OpTraits;
  /** Cost units per output entry of the forward kernel and of `grads` (ops/cost.ts), measured. */
  work: readonly [forward: number, backward: number];
  /**
   * Temporaries of `grads` the size of the output beyond the gradients themselves: always, and
   * per operand broadcast to the output's shape (before its gradient is summed back down).
   * Default none (an add passes the upstream gradient on).
   */
  temporaries?: readonly [always: number, perBroadcast: number];
}

/** Whether the operand is stretched to the output's shape (its gradient is summed back down). */
function isBroadcast(shape: readonly number[], out: readonly number[]): boolean {
  return sizeOf(shape) !== sizeOf(out);
}

export function defineBinary(s: BinarySpec): OpDef {
  const op: OpDef = {
    id: s.id,
    name: s.name,
    group: s.group ?? 'arithmetic',
    signature: s.params ?? [
      { name: 'a', kind: 'tensor', doc: 'left operand' },
      { name: 'b', kind: 'tensor', doc: 'right operand' },
    ],
    ...described(s),
    shape(ctx: ShapeContext) {
      return broadcastShapes(ctx.label, ctx.types.map((t) => t.shape));
    },
    forward([a, b], _attrs, ctx) {
      const outShape = broadcastSizes(a.shape, b.shape);
      if (!outShape) throw new Error('internal: shapes do not broadcast at run time');
      const value = (s.rows && byRows(a, b, outShape, s.rows)) || binaryBroadcast(a, b, outShape, s.run, true);
      const kinks = ctx.trackKinks && s.kinkSide ? s.kinkSide(a, b, value) : undefined;
      return { value, kinks };
    },
    backward({ inputs: [a, b], out, grad, needs }: BackwardArgs) {
      if (!s.grads) return [null, null];
      const [ga, gb] = s.grads(a, b, out, grad, needs);
      return [ga && needs[0] ? unbroadcast(ga, a.shape) : null, gb && needs[1] ? unbroadcast(gb, b.shape) : null];
    },
    // A broadcast starts one strided run per row of the output's last axis.
    cost: (shapes, out) => s.work[0] * sizeOf(out) + (shapes.every((x) => !isBroadcast(x, out)) ? 0 : COST.run * runsOf(out)),
    backwardCost: (shapes, out) => {
      if (s.noGrad) return 0;
      const stretched = shapes.filter((x) => isBroadcast(x, out)).length;
      return s.work[1] * sizeOf(out) + stretched * (COST.entry * sizeOf(out) + COST.run * runsOf(out));
    },
    workspace: (shapes, out) => {
      const [always, perBroadcast] = s.temporaries ?? [0, 0];
      return { scratch: (always + perBroadcast * shapes.filter((x) => isBroadcast(x, out)).length) * sizeOf(out) };
    },
  };
  kernels.set(op, { binary: s });
  return op;
}

/** The result of a BinarySpec's `rows` kernel when `a` has the output's shape and `b` is either that or one row of it; else null. */
function byRows(a: Tensor, b: Tensor, outShape: readonly number[], rows: NonNullable<BinarySpec['rows']>): Tensor | null {
  if (a.size === 0 || !sameShape(a.shape, outShape)) return null;
  const whole = sameShape(b.shape, outShape);
  const inner = whole ? a.size : outShape[outShape.length - 1];
  if (!whole && !(b.rank > 0 && b.size === inner && b.shape[b.rank - 1] === inner)) return null;
  const out = Tensor.result(outShape, true);
  rows(a.data, b.data, out.data, inner);
  return out;
}

/** Elementwise map over two same-shape tensors (after broadcasting to `shape`). */
export function zip(a: Tensor, b: Tensor, shape: readonly number[], run: BinaryRun): Tensor {
  return binaryBroadcast(a, b, shape, run);
}

// ------------------------------------------------------------------ reductions


export function reducedShape(shape: Shape, axes: number[], keepdims: boolean): Shape {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push({ sym: '1', size: 1, origin: 'literal' });
  });
  return out;
}

export function reduceShapeRule(ctx: ShapeContext, axesAttr: number[] | null, keepdims: boolean): ShapeResult {
  const shape = ctx.types[0].shape;
  const axes = resolveAxes(axesAttr, shape.length);
  if (typeof axes === 'string') return fail(`${ctx.label} of ${formatShape(shape)}: ${axes}`);
  return ok(reducedShape(shape, axes, keepdims));
}

export function reducedSizes(shape: readonly number[], axes: number[], keepdims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Shape with reduced axes kept as 1, so a reduced tensor broadcasts against its input. */
export function keptSizes(shape: readonly number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Sum over the given axes (sorted). */
export function sumAxes(x: Tensor, axes: number[], keepdims: boolean): Tensor {
  const outShape = reducedSizes(x.shape, axes, keepdims);
  // Size-1 axes need no work; a run of neighbouring reduced axes is one axis of their product.
  const groups: { reduce: boolean; size: number }[] = [];
  x.shape.forEach((d, i) => {
    const reduce = axes.includes(i) && d !== 1;
    if (d === 1) return;
    const last = groups[groups.length - 1];
    if (last && last.reduce === reduce) last.size *= d;
    else groups.push({ reduce, size: d });
  });
  if (groups.length === 0 || groups.every((g) => !g.reduce)) return new Tensor(outShape, x.data.slice());
  if (groups.every((g) => g.reduce)) {
    let acc = 0;
    const d = x.data;
    for (let i = 0; i < d.length; i++) acc += d[i];
    return Tensor.full(outShape, acc);
  }
  let cur = x.reshaped(groups.map((g) => g.size));
  // Reduce from the last group so earlier indices stay valid (kept as size 1 until the end).
  for (let k = groups.length - 1; k >= 0; k--) if (groups[k].reduce) cur = sumOneAxis(cur, k);
  return cur.reshaped(outShape);
}

function sumOneAxis(x: Tensor, axis: number): Tensor {
  const { outer, len, inner } = aroundAxis(x.shape, axis);
  const outShape = x.shape.map((d, i) => (i === axis ? 1 : d));
  const out = new Tensor(outShape);
  const src = x.data;
  const dst = out.data;
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    const ob = o * inner;
    for (let j = 0; j < len; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) dst[ob + i] += src[row + i];
    }
  }
  return out;
}

/** Broadcasts a reduced gradient back over the reduced axes (the backward of a sum). */
export function expandTo(g: Tensor, shape: readonly number[], axes: number[]): Tensor {
  return broadcastTo(g.reshaped(keptSizes(shape, axes)), shape);
}

export const addRun: BinaryRun = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = a[ai + k * as] + b[bi + k * bs];
};

export const subRun: BinaryRun = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = a[ai + k * as] - b[bi + k * bs];
};

export const mulRun: BinaryRun = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = a[ai + k * as] * b[bi + k * bs];
};

export const divRun: BinaryRun = (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = a[ai + k * as] / b[bi + k * bs];
};
