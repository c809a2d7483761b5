// Weight penalties: each sums over every element of a weight tensor and returns a scalar, so the
// backward pass is elementwise: every weight receives the upstream gradient times the local slope.
import { fail, ok } from '../shapes/broadcast';
import { Tensor } from '../tensor/tensor';
import { simdScale, simdSumSquares8 } from '../tensor/simdElementwise';
import { COST, entries } from './cost';
import type { Attrs, OpDef, ParamSpec } from './op';
import { E } from '../lang/print';

const W_PARAM: ParamSpec = { name: 'W', kind: 'tensor', doc: 'weights to penalise (any shape)' };

function beta(attrs: Attrs): number {
  const v = attrs.beta;
  return typeof v === 'number' ? v : 0;
}

/** Which side of the kink at 0 each weight is on (the subgradient sign(0) = 0 applies at 0). */
function signKinks(W: Tensor): Int32Array {
  const k = new Int32Array(W.size);
  for (let i = 0; i < W.size; i++) k[i] = Math.sign(W.data[i]);
  return k;
}

/** sign(w) with sign(0) = 0, as torch.sign and the subgradient of |w| PyTorch uses. */
function sgn(w: number): number {
  // Without a branch: random weights' signs would mispredict one.
  return +(w > 0) - +(w < 0);
}

/**
 * Weights per block of l2's sum: the largest of 8, 4, 2 and 1 that divides their count. The blocks'
 * sums are added in order, so the chain of dependent additions is an eighth as long as one weight
 * at a time (mlp2's W1, 307 k weights: 0.22 → 0.13 ms), and every block's own sum is pairwise.
 */
function l2Block(size: number): number {
  return size % 8 === 0 ? 8 : size % 4 === 0 ? 4 : size % 2 === 0 ? 2 : 1;
}

/** The pairwise sum of the squares of v[at … at + bs) (bs from l2Block). */
function squares(v: Float64Array, at: number, bs: number): number {
  const a = v[at];
  if (bs === 1) return a * a;
  const b = v[at + 1];
  if (bs === 2) return a * a + b * b;
  const c = v[at + 2];
  const d = v[at + 3];
  const four = a * a + b * b + (c * c + d * d);
  if (bs === 4) return four;
  const e = v[at + 4];
  const f = v[at + 5];
  const g = v[at + 6];
  const h = v[at + 7];
  return four + (e * e + f * f + (g * g + h * h));
}

export const l2: OpDef = {
  id: 'l2',
  derive: ({ grad, args: [w] }) => [E.bin('*', E.bin('*', E.num(2), w), grad)],
  name: 'l2',
  group: 'regularizers',
  signature: [W_PARAM],
  summary: 'L2 penalty Σ W² over all elements — not halved, so its gradient is 2W (cs231n’s reg·Σ W² convention; some texts use ½Σ W²).',
  explain: 'Each weight receives 2·W·g: weight decay, pulling every weight toward 0 in proportion to its size, so large weights shrink fastest and none become exactly 0.',
  shape: () => ok([]),
  sumOfSquares: true,
  forward([W]) {
    const w = W.data;
    const bs = l2Block(w.length);
    const simd = bs === 8 ? simdSumSquares8(w) : null;
    if (simd !== null) return { value: Tensor.scalar(simd) };
    let acc = 0;
    for (let at = 0; at < w.length; at += bs) acc += squares(w, at, bs);
    return { value: Tensor.scalar(acc) };
  },
  // The forward loop above: blocks of up to 8 weights, each summed pairwise.
  termSum: {
    block: ([W]) => l2Block(W.size),
    term: (v, at, [W]) => squares(v, at, l2Block(W.size)),
    finish: (acc) => acc,
  },
  backward({ inputs: [W], grad }) {
    const k = 2 * grad.item();
    // A result the loop writes in full (recycled by training and the bench: no fresh 2.4 MB per
    // step for mlp2's W1), read and written through locals.
    const dW = Tensor.result(W.shape, true);
    const w = W.data;
    const d = dW.data;
    if (!simdScale(w, k, d)) for (let i = 0; i < w.length; i++) d[i] = k * w[i];
    return [dW];
  },
  cost: ([w]) => 0.4 * COST.entry * entries(w),
  backwardCost: ([w]) => COST.entry * entries(w),
};

export const l1: OpDef = {
  id: 'l1',
  derive: ({ grad, args: [w] }) => [E.bin('*', E.call('sign', [w]), grad)],
  name: 'l1',
  group: 'regularizers',
  signature: [W_PARAM],
  summary: 'L1 penalty Σ |W| over all elements.',
  explain:
    'Each weight receives sign(W)·g: a constant pull toward 0 whatever its size, so small weights reach exactly 0 and the weights become sparse.',
  kinks: 'At W = 0 the gradient is 0 (the subgradient sign(0) = 0, as PyTorch’s abs).',
  shape: () => ok([]),
  forward([W], _attrs, ctx) {
    let acc = 0;
    for (let i = 0; i < W.size; i++) acc += Math.abs(W.data[i]);
    return { value: Tensor.scalar(acc), kinks: ctx.trackKinks ? signKinks(W) : undefined };
  },
  backward({ inputs: [W], grad }) {
    const g = grad.item();
    const dW = Tensor.result(W.shape, true);
    const w = W.data;
    const d = dW.data;
    for (let i = 0; i < w.length; i++) d[i] = g * sgn(w[i]);
    return [dW];
  },
  cost: ([w]) => 0.4 * COST.entry * entries(w),
  backwardCost: ([w]) => COST.entry * entries(w),
};

export const elastic: OpDef = {
  id: 'elastic',
  derive: ({ grad, args: [w], attrExprs }) => [E.bin('*', E.bin('+', E.bin('*', E.bin('*', E.num(2), attrExprs.beta), w), E.call('sign', [w])), grad)],
  name: 'elastic',
  group: 'regularizers',
  signature: [W_PARAM, { name: 'beta', kind: 'number', doc: 'weight of the L2 term' }],
  summary: 'Elastic net penalty beta·Σ W² + Σ |W| (= beta·l2(W) + l1(W), cs231n’s convention with the L2 term not halved).',
  explain: 'Each weight receives (2·beta·W + sign(W))·g: the L2 part shrinks large weights proportionally, the L1 part pulls every weight toward 0 by a constant amount.',
  kinks: 'At W = 0 the L1 part contributes 0 (sign(0) = 0), so the gradient there is 0.',
  shape(ctx, attrs) {
    const b = attrs.beta;
    if (typeof b !== 'number' || !Number.isFinite(b)) return fail(`${ctx.label} needs beta, the weight of the L2 term, as a number, e.g. elastic(W, 0.5)`, 1, 'bad-argument');
    return ok([]);
  },
  forward([W], attrs, ctx) {
    const b = beta(attrs);
    let sq = 0;
    let ab = 0;
    for (let i = 0; i < W.size; i++) {
      sq += W.data[i] * W.data[i];
      ab += Math.abs(W.data[i]);
    }
    return { value: Tensor.scalar(b * sq + ab), kinks: ctx.trackKinks ? signKinks(W) : undefined };
  },
  backward({ inputs: [W], grad, attrs }) {
    const g = grad.item();
    const b2 = 2 * beta(attrs);
    const dW = Tensor.result(W.shape, true);
    const w = W.data;
    const d = dW.data;
    for (let i = 0; i < w.length; i++) d[i] = g * (b2 * w[i] + sgn(w[i]));
    return [dW];
  },
  cost: ([w]) => 0.5 * COST.entry * entries(w),
  backwardCost: ([w]) => COST.entry * entries(w),
};

export const REGULARIZER_OPS: OpDef[] = [l2, l1, elastic];
