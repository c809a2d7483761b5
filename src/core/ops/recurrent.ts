// A vanilla (Elman) RNN over a whole sequence as one op, so that its backward pass is explicit
// backpropagation through time and can report how the gradient's size changes from step to step.
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, namesConflict, type Dim, type Shape } from '../shapes/shape';
import { tanhInto } from '../tensor/elementary';
import { gemmNN, gemmNT, gemmPair, gemmTN, productNT, productTN } from '../tensor/matmul';
import { simdTanhRows } from '../tensor/simdElementwise';
import { resultBuffer } from '../tensor/results';
import { Tensor } from '../tensor/tensor';
import { COST, gemmCost, needed } from './cost';
import type { OpDef } from './op';

/** The L2 norm of a buffer. */
export function norm2(a: Float64Array): number {
  let sq = 0;
  for (let i = 0; i < a.length; i++) sq += a[i] * a[i];
  return Math.sqrt(sq);
}

/** Each argument's expected layout, and what its axes mean. */
const RANKS: [string, string, string][] = [
  ['x', '[T, N, D]', 'time, batch, features; a single sequence is [T, 1, D]'],
  ['h0', '[N, H]', 'one initial state of size H per sequence'],
  ['Wx', '[D, H]', 'features to hidden'],
  ['Wh', '[H, H]', 'hidden to hidden'],
  ['b', '[H]', 'one bias per hidden unit'],
];

/** One place a shape states the hidden size H. */
interface HiddenSite {
  dim: Dim;
  /** Which argument and which of its dimensions, for messages. */
  where: string;
  arg: number;
}

function rnnShape(label: string, shapes: Shape[]): ShapeResult {
  const expected = [3, 2, 2, 2, 1];
  for (let i = 0; i < RANKS.length; i++) {
    if (shapes[i].length !== expected[i]) {
      const [name, form, meaning] = RANKS[i];
      const axes = `${expected[i]} ${expected[i] === 1 ? 'axis' : 'axes'}`;
      return fail(`${label} expects ${name} as ${form}, found ${formatShape(shapes[i])}; declare ${name} with ${axes} (${meaning})`, i, 'shape-mismatch');
    }
  }
  const [x, h0, Wx, Wh, b] = shapes;
  const [T, N, D] = x;
  const conflicts: [Dim, Dim][] = [];

  if (!dimsEqual(N, h0[0])) {
    return fail(
      `${label}: x ${formatShape(x)} holds ${N.sym} sequences but h0 ${formatShape(h0)} has ${h0[0].sym} initial states${formatDimValues(x, h0)}; ` +
        `h0 needs one row per sequence: [${N.sym}, ${h0[1].sym}]`,
      1,
      'shape-mismatch',
    );
  }
  if (namesConflict(N, h0[0])) conflicts.push([N, h0[0]]);
  if (!dimsEqual(D, Wx[0])) {
    const transposed = dimsEqual(D, Wx[1]) ? ' (Wx looks transposed: use Wx.T or declare it the other way round)' : '';
    return fail(
      `${label}: x ${formatShape(x)} has ${D.sym} features per step but Wx ${formatShape(Wx)} expects ${Wx[0].sym}${formatDimValues(x, Wx)}; ` +
        `Wx must be [${D.sym}, ${h0[1].sym}]${transposed}`,
      2,
      'shape-mismatch',
    );
  }
  if (namesConflict(D, Wx[0])) conflicts.push([D, Wx[0]]);

  // H appears five times; the value most of them agree on is taken as meant, so the message
  // blames the odd one out rather than whichever argument happens to come first.
  const sites: HiddenSite[] = [
    { dim: Wh[0], where: `the first dimension of Wh ${formatShape(Wh)}`, arg: 3 },
    { dim: Wh[1], where: `the second dimension of Wh ${formatShape(Wh)}`, arg: 3 },
    { dim: Wx[1], where: `the second dimension of Wx ${formatShape(Wx)}`, arg: 2 },
    { dim: h0[1], where: `the second dimension of h0 ${formatShape(h0)}`, arg: 1 },
    { dim: b[0], where: `the size of b ${formatShape(b)}`, arg: 4 },
  ];
  let ref = sites[0];
  let refVotes = -1;
  for (const s of sites) {
    const votes = sites.filter((o) => dimsEqual(o.dim, s.dim)).length;
    if (votes > refVotes) {
      ref = s;
      refVotes = votes;
    }
  }
  for (const s of sites) {
    if (dimsEqual(s.dim, ref.dim)) continue;
    const H = ref.dim.sym;
    const fix = [`h0 [${N.sym}, ${H}]`, `Wx [${D.sym}, ${H}]`, `Wh [${H}, ${H}]`, `b [${H}]`].join(', ');
    return fail(
      `${label}: the hidden size differs: ${s.where} is ${s.dim.sym} but ${ref.where} is ${H}${formatDimValues(h0, Wx, Wh, b)}; ` +
        `all of them must be the same hidden size: ${fix}`,
      s.arg,
      'shape-mismatch',
    );
  }
  for (const s of sites) if (namesConflict(ref.dim, s.dim)) conflicts.push([ref.dim, s.dim]);

  // Prefer named dimensions in the result, for readable shapes downstream.
  const outN = N.origin !== 'name' && h0[0].origin === 'name' ? h0[0] : N;
  const outH = sites.find((s) => s.dim.origin === 'name')?.dim ?? ref.dim;
  return ok([T, outN, outH], conflicts);
}

export const rnn: OpDef = {
  id: 'rnn',
  weighted: true,
  productsInside: true,
  recurrent: { step: 'h_t = tanh(x_t Wx + h_{t−1} Wh + b)', sequence: 0, states: [1] },
  name: 'rnn',
  group: 'recurrent',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'input sequence [T, N, D]' },
    { name: 'h0', kind: 'tensor', doc: 'initial hidden state [N, H]' },
    { name: 'Wx', kind: 'tensor', doc: 'input-to-hidden weights [D, H]' },
    { name: 'Wh', kind: 'tensor', doc: 'hidden-to-hidden weights [H, H]' },
    { name: 'b', kind: 'tensor', doc: 'bias [H]' },
  ],
  summary: 'Vanilla RNN over a sequence: h_t = tanh(x_t @ Wx + h_{t−1} @ Wh + b) for t = 0 … T−1, starting from h0; returns every hidden state, [T, N, H].',
  explain:
    'Backpropagation through time: the loop is unrolled and walked backwards from the last step. ' +
    'The gradient reaching h_t is its own upstream plus what flows back from h_{t+1} through tanh′ and Whᵀ. ' +
    'The same Wx, Wh and b are used at every step, so their gradients are sums over time. ' +
    'Each step back multiplies by Whᵀ and tanh′ ≤ 1, so over long sequences the gradient tends to vanish (or explode when Wh is large); the per-step gradient norms show it.',
  shape: (ctx) => rnnShape(ctx.label, ctx.types.map((t) => t.shape)),
  forward([x, h0, Wx, Wh, b]) {
    const [T, N, D] = x.shape;
    const H = Wh.shape[0];
    const NH = N * H;
    // Written whole by the first product below.
    const out = Tensor.result([T, N, H], true);
    const hs = out.data;
    // Every step's x_t @ Wx at once, as one [T·N, D] @ [D, H] product (the steps' rows stacked):
    // each entry is the same sum in the same order as a product per step, so the same bits.
    gemmNN(T * N, H, D, x.data, 0, Wx.data, 0, hs, 0, false);
    for (let t = 0; t < T; t++) {
      const o = t * NH;
      if (t === 0) gemmNN(N, H, H, h0.data, 0, Wh.data, 0, hs, o, true);
      else gemmNN(N, H, H, hs, o - NH, Wh.data, 0, hs, o, true);
      const step = hs.subarray(o, o + NH);
      if (!simdTanhRows(step, b.data, step, H)) {
        for (let n = 0; n < N; n++) {
          const row = o + n * H;
          for (let j = 0; j < H; j++) hs[row + j] += b.data[j];
        }
        tanhInto(hs, hs, o, o + NH);
      }
    }
    return { value: out };
  },
  backward({ inputs: [x, h0, Wx, Wh], out, grad, needs, record }) {
    const [T, N, D] = x.shape;
    const H = Wh.shape[0];
    const NH = N * H;
    const hs = out.data;
    const g = grad.data;
    // dx and dWx are written whole by their products, dWh by its first; db is summed into.
    const dx = needs[0] ? Tensor.result(x.shape, true) : null;
    const dWx = needs[2] ? Tensor.result(Wx.shape, true) : null;
    const dWh = needs[3] ? Tensor.result(Wh.shape, true) : null;
    const db = needs[4] ? Tensor.result([H]) : null;
    // The gradient at the tanh inputs of every step (the workspace below budgets it): the loop
    // walks back through time with one small product per step (into h_{t−1}); the gradients of the
    // shared weights are then one product each over the stacked steps, not one per step (a step's
    // product is too small to pay for its call).
    const das = resultBuffer(T * NH, true); // every entry written below before it is read
    const dhNext = new Float64Array(NH); // what flows from step t+1 back into h_t
    // The per-step norms only where they are published (a training loop reads none).
    const norms = record ? new Array<number>(T).fill(0) : null;
    const carried = record ? new Array<number>(T).fill(0) : null;
    for (let t = T - 1; t >= 0; t--) {
      const o = t * NH;
      if (norms) {
        let sq = 0;
        for (let k = 0; k < NH; k++) {
          const dh = g[o + k] + dhNext[k];
          sq += dh * dh;
          const h = hs[o + k];
          das[o + k] = dh * (1 - h * h);
        }
        norms[t] = Math.sqrt(sq);
      } else {
        for (let k = 0; k < NH; k++) {
          const h = hs[o + k];
          das[o + k] = (g[o + k] + dhNext[k]) * (1 - h * h);
        }
      }
      // After step 0 this is dL/dh0; skip it only when nobody wants it.
      if (t > 0 || needs[1]) {
        gemmNT(N, H, H, das, o, Wh.data, 0, dhNext, 0, false);
        if (carried) carried[t] = norm2(dhNext);
      }
    }
    // dWx = Σ_t x_tᵀ·da_t, dWh = Σ_t h_{t−1}ᵀ·da_t (h0 first, then the states 0 … T−2, stacked in hs).
    // dWx and dx are independent products: one on each core where they are large enough (gemmPair).
    gemmPair(dWx && productTN(D, H, T * N, x.data, 0, das, 0, dWx.data, 0, false), dx && productNT(T * N, D, H, das, 0, Wx.data, 0, dx.data, 0, false));
    if (dWh) {
      gemmTN(H, H, N, h0.data, 0, das, 0, dWh.data, 0, false);
      if (T > 1) gemmTN(H, H, (T - 1) * N, hs, 0, das, NH, dWh.data, 0, true);
    }
    if (db) {
      for (let r = 0; r < T * N; r++) for (let j = 0; j < H; j++) db.data[j] += das[r * H + j];
    }
    if (record && norms && carried) {
      record('timestepGradNorms', norms);
      record('carriedGradNorms', carried);
    }
    const dh0 = needs[1] ? new Tensor(h0.shape, dhNext) : null;
    return [dx, dh0, dWx, dWh, db];
  },
  // The input products of all steps as one; per step the recurrent product and a tanh per unit;
  // backward four products and the tanh' per unit.
  cost: (shapes) => {
    const [T, N, D] = shapes[0];
    const H = shapes[3][0];
    return gemmCost(T * N, H, D) + T * (gemmCost(N, H, H) + (COST.transcendental + COST.entry) * N * H);
  },
  backwardCost: (shapes, _out, _attrs, needs) => {
    const [T, N, D] = shapes[0];
    const H = shapes[3][0];
    // Every step: the gradient through tanh and back into the previous state; then dx, dWx, dWh
    // and db over the stacked steps.
    const asked = (needed(needs, 2) ? gemmCost(D, H, T * N) : 0) + (needed(needs, 3) ? gemmCost(H, H, T * N) : 0) + (needed(needs, 4) ? COST.entry * T * N * H : 0);
    return (needed(needs, 0) ? gemmCost(T * N, D, H) : 0) + T * (gemmCost(N, H, H) + 3 * COST.entry * N * H) + asked;
  },
  // The gradient at the tanh inputs of every step and the one flowing back from the next step.
  workspace: (shapes) => ({ scratch: (shapes[0][0] + 1) * shapes[0][1] * shapes[3][0] }),
};

export const RECURRENT_OPS: OpDef[] = [rnn];
