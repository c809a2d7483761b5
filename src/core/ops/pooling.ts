// Pooling over [N, C, H, W] images (max and average): each walks its windows directly, max
// pooling records the winning input of every window (its kinks: which input gets the gradient).
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimWindow, formatShape, type Dim, type Shape } from '../shapes/shape';
import { COST } from './cost';
import { simdMaxPool2 } from '../tensor/simdElementwise';
import { Tensor, sizeOf } from '../tensor/tensor';
import { X_PARAM } from './kit';
import { attrOr, type Attrs, type OpDef, type ParamSpec } from './op';

const POOL_PARAMS: ParamSpec[] = [
  X_PARAM,
  { name: 'size', kind: 'int', default: 2, doc: 'window height and width (≥ 1)' },
  { name: 'stride', kind: 'int', default: 2, doc: 'step between windows (≥ 1); smaller than size overlaps them' },
];

interface PoolGeometry {
  planes: number;
  H: number;
  W: number;
  size: number;
  stride: number;
  Ho: number;
  Wo: number;
}

function poolGeometry(xShape: readonly number[], attrs: Attrs): PoolGeometry {
  const [N, C, H, W] = xShape;
  const size = attrOr(attrs, 'size', 2);
  const stride = attrOr(attrs, 'stride', 2);
  const Ho = Math.floor((H - size) / stride) + 1;
  const Wo = Math.floor((W - size) / stride) + 1;
  return { planes: N * C, H, W, size, stride, Ho, Wo };
}

function poolShape(label: string, x: Shape, attrs: Attrs): ShapeResult {
  if (x.length !== 4) {
    return fail(
      `${label} expects x as [N, C, H, W], found ${formatShape(x)}; images need 4 axes (batch, channels, height, width): reshape the input (a single grayscale image is [1, 1, H, W])`,
      0,
      'shape-mismatch',
    );
  }
  const size = attrOr(attrs, 'size', 2);
  const stride = attrOr(attrs, 'stride', 2);
  if (!Number.isInteger(size) || size < 1) return fail(`${label}: size must be an integer ≥ 1, found ${size}; size=2 halves the image with the default stride`, 1, 'bad-argument');
  if (!Number.isInteger(stride) || stride < 1) return fail(`${label}: stride must be an integer ≥ 1, found ${stride}; use stride=${size} for non-overlapping windows`, 2, 'bad-argument');
  const [N, C, H, W] = x;
  const axes: [Dim, string][] = [
    [H, 'height'],
    [W, 'width'],
  ];
  for (const [d, word] of axes) {
    if (d.size !== null && d.size < size) {
      return fail(
        `${label}: the ${size}×${size} window is larger than the input: ${word} ${d.sym} = ${d.size} < ${size} in x ${formatShape(x)}; use size=${d.size} or less`,
        0,
        'shape-mismatch',
      );
    }
  }
  return ok([N, C, dimWindow(H, size, stride, 0), dimWindow(W, size, stride, 0)]);
}

/** Calls f(base, o) for each output element o, with base the flat index of its window's top-left. */
function forEachWindow(g: PoolGeometry, f: (base: number, o: number) => void): void {
  const { planes, H, W, stride, Ho, Wo } = g;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++, o++) f(plane + oy * stride * W + ox * stride, o);
    }
  }
}

/**
 * Visiting every entry of every window: size² per output entry, however much windows overlap, at
 * `perVisit` units each.
 */
function poolCost(out: readonly number[], attrs: Attrs, perVisit: number): number {
  const size = attrOr(attrs, 'size', 2);
  return sizeOf(out) * (size * size * perVisit + WINDOW_SETUP);
}

/** Starting a window (its top-left offset), beside its visits. */
const WINDOW_SETUP = 4;

/** max_pool2d's branch-free selection costs twice a sum's visit, but for its 2×2 special case. */
function maxPoolCost(_shapes: readonly (readonly number[])[], out: readonly number[], attrs: Attrs): number {
  return poolCost(out, attrs, attrOr(attrs, 'size', 2) === 2 ? COST.entry : 2 * COST.entry);
}

/** avg_pool2d adds each visit to one accumulator: a streaming sum. */
function avgPoolCost(_shapes: readonly (readonly number[])[], out: readonly number[], attrs: Attrs): number {
  return poolCost(out, attrs, (2 / 3) * COST.entry);
}

/** Whether v takes over from the current best: strictly larger, or a NaN over a number (0 or 1). */
function takes(v: number, best: number): number {
  return Number(v > best) | (Number(v !== v) & Number(best === best));
}

/**
 * 2×2 windows as a small tournament of indices: the first maximum of each row pair, then of the
 * two (the left one on a tie), which is the first maximum in row-major order, as the general loop.
 * Independent comparisons and no value selects keep the windows from waiting on each other.
 */
function maxPool2x2(g: PoolGeometry, src: Float64Array, dst: Float64Array, argmax: Int32Array): void {
  const { planes, H, W, stride, Ho, Wo } = g;
  let o = 0;
  for (let p = 0; p < planes; p++) {
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0, e = p * H * W + oy * stride * W; ox < Wo; ox++, o++, e += stride) {
        const f = e + W;
        const top = e + takes(src[e + 1], src[e]);
        const bottom = f + takes(src[f + 1], src[f]);
        const at = top + (bottom - top) * takes(src[bottom], src[top]);
        dst[o] = src[at];
        argmax[o] = at;
      }
    }
  }
}

export const maxPool2d: OpDef = {
  id: 'max_pool2d',
  name: 'max_pool2d',
  group: 'convolution',
  signature: POOL_PARAMS,
  summary: 'Maximum over size×size windows of [N, C, H, W] images, stepping by stride, no padding → [N, C, ⌊(H − size)/stride⌋ + 1, …]; leftover rows and columns are dropped.',
  explain:
    'A router: each window passes its upstream gradient to the element that won the max; the others get 0. ' +
    'Where windows overlap (stride < size), an element that wins several windows receives the sum of their gradients.',
  kinks:
    'On ties the first maximum in row-major order of the window takes the whole gradient (as PyTorch on the CPU). ' +
    'A perturbation that changes which element wins crosses a kink, where the numerical gradient is not meaningful.',
  shape: (ctx, attrs) => poolShape(ctx.label, ctx.types[0].shape, attrs),
  forward([x], attrs, ctx) {
    const g = poolGeometry(x.shape, attrs);
    const { planes, H, W, size, stride, Ho, Wo } = g;
    const out = Tensor.result([x.shape[0], x.shape[1], Ho, Wo], true);
    const argmax = new Int32Array(out.size);
    const src = x.data;
    const dst = out.data;
    // Branch-free: which element of a window wins is a coin flip, and a branch on it mispredicts
    // (several times slower). pick[take] and at += (e − at)·take select without one.
    const pick = new Float64Array(2);
    if (size === 2) {
      // Two windows a step on WebAssembly SIMD at stride 2 (the same tournament); else this loop.
      if (stride !== 2 || !simdMaxPool2(src, planes, H, W, dst, argmax)) maxPool2x2(g, src, dst, argmax);
      return { value: out, saved: argmax, kinks: ctx.trackKinks ? argmax.slice() : undefined };
    }
    let o = 0;
    for (let p = 0; p < planes; p++) {
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++, o++) {
          const base = p * H * W + oy * stride * W + ox * stride;
          let best = src[base];
          let at = base;
          for (let i = 0; i < size; i++) {
            for (let j = 0, e = base + i * W; j < size; j++, e++) {
              const v = src[e];
              // Strict > keeps the first maximum; a NaN wins (and stays) so it propagates.
              const take = Number(v > best) | (Number(v !== v) & Number(best === best));
              pick[0] = best;
              pick[1] = v;
              best = pick[take];
              at += (e - at) * take;
            }
          }
          dst[o] = best;
          argmax[o] = at;
        }
      }
    }
    return { value: out, saved: argmax, kinks: ctx.trackKinks ? argmax.slice() : undefined };
  },
  backward({ inputs: [x], grad, saved }) {
    const argmax = saved as Int32Array;
    const dx = Tensor.result(x.shape);
    for (let o = 0; o < argmax.length; o++) dx.data[argmax[o]] += grad.data[o];
    return [dx];
  },
  cost: maxPoolCost,
  // A gradient of zeros the size of x, then one add per window.
  backwardCost: ([x], out) => COST.zeros * sizeOf(x) + COST.entry * sizeOf(out),
  // The winner of each window (int32), kept for backward.
  workspace: (_s, out) => ({ saved: sizeOf(out) / 2 }),
};

export const avgPool2d: OpDef = {
  id: 'avg_pool2d',
  name: 'avg_pool2d',
  group: 'convolution',
  signature: POOL_PARAMS,
  summary: 'Mean over size×size windows of [N, C, H, W] images, stepping by stride, no padding → [N, C, ⌊(H − size)/stride⌋ + 1, …]; leftover rows and columns are dropped.',
  explain:
    'A distributor: each window spreads its upstream gradient evenly, 1/size² to every element it averaged. ' +
    'Where windows overlap (stride < size), an element collects a share from each window that covers it.',
  shape: (ctx, attrs) => poolShape(ctx.label, ctx.types[0].shape, attrs),
  forward([x], attrs) {
    const g = poolGeometry(x.shape, attrs);
    const { size, W } = g;
    const out = Tensor.result([x.shape[0], x.shape[1], g.Ho, g.Wo], true);
    const src = x.data;
    const inv = 1 / (size * size);
    forEachWindow(g, (base, o) => {
      let acc = 0;
      for (let i = 0; i < size; i++) {
        const row = base + i * W;
        for (let j = 0; j < size; j++) acc += src[row + j];
      }
      out.data[o] = acc * inv;
    });
    return { value: out };
  },
  backward({ inputs: [x], grad, attrs }) {
    const g = poolGeometry(x.shape, attrs);
    const { size, W } = g;
    const dx = Tensor.result(x.shape);
    const inv = 1 / (size * size);
    forEachWindow(g, (base, o) => {
      const share = grad.data[o] * inv;
      for (let i = 0; i < size; i++) {
        const row = base + i * W;
        for (let j = 0; j < size; j++) dx.data[row + j] += share;
      }
    });
    return [dx];
  },
  cost: avgPoolCost,
  // Each window spreads its share over size² entries.
  backwardCost: (shapes, out, attrs) => COST.zeros * sizeOf(shapes[0]) + avgPoolCost(shapes, out, attrs),
};
