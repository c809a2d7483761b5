// An LSTM over a whole sequence as one op (cs231n's lstm_forward, PyTorch's nn.LSTM with one layer
// and the weights transposed), so that its backward pass is explicit backpropagation through time
// through the four gates and the cell state.
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, type Dim } from '../shapes/shape';
import { tanh } from '../tensor/elementary';
import { gemmNN, gemmNT, gemmTN } from '../tensor/matmul';
import { Tensor } from '../tensor/tensor';
import { COST, gemmCost, needed } from './cost';
import type { OpDef, ShapeContext } from './op';
import { norm2 } from './recurrent';

const FORMS: [string, string][] = [
  ['x', '[T, N, D] (time, batch, features)'],
  ['h0', '[N, H]'],
  ['c0', '[N, H]'],
  ['Wx', '[D, 4H] (the four gates side by side: i, f, g, o)'],
  ['Wh', '[H, 4H]'],
  ['b', '[4H]'],
];

function lstmShape(ctx: ShapeContext): ShapeResult {
  const shapes = ctx.types.map((t) => t.shape);
  const ranks = [3, 2, 2, 2, 2, 1];
  for (let i = 0; i < ranks.length; i++) {
    if (shapes[i].length !== ranks[i]) return fail(`${ctx.label} expects ${FORMS[i][0]} as ${FORMS[i][1]}, found ${formatShape(shapes[i])}`, i, 'shape-mismatch');
  }
  const [x, h0, c0, Wx, Wh, b] = shapes;
  const [T, N, D] = x;
  const H = h0[1];
  const all = formatDimValues(x, h0, c0, Wx, Wh, b);
  const mismatch = (what: string, arg: number) => fail(`${ctx.label}: ${what}${all}; the shapes are x [T, N, D], h0 and c0 [N, H], Wx [D, 4H], Wh [H, 4H], b [4H]`, arg, 'shape-mismatch');
  if (!dimsEqual(h0[0], N)) return mismatch(`h0 ${formatShape(h0)} must hold one state per sequence of x ${formatShape(x)}`, 1);
  if (!dimsEqual(c0[0], N) || !dimsEqual(c0[1], H)) return mismatch(`c0 ${formatShape(c0)} must have the shape of h0 ${formatShape(h0)}`, 2);
  if (!dimsEqual(Wx[0], D)) return mismatch(`Wx ${formatShape(Wx)} must have one row per feature of x (${D.sym})`, 3);
  if (!dimsEqual(Wh[0], H)) return mismatch(`Wh ${formatShape(Wh)} must have one row per hidden unit (${H.sym})`, 4);
  const fourH: [Dim, number, string][] = [
    [Wx[1], 3, `Wx ${formatShape(Wx)}`],
    [Wh[1], 4, `Wh ${formatShape(Wh)}`],
    [b[0], 5, `b ${formatShape(b)}`],
  ];
  for (const [d, arg, what] of fourH) {
    if (d.size !== null && H.size !== null && d.size !== 4 * H.size) return mismatch(`${what} must have 4·${H.sym} = ${4 * H.size} columns (the gates i, f, g, o), found ${d.size}`, arg);
  }
  if (!dimsEqual(Wx[1], Wh[1]) || !dimsEqual(Wx[1], b[0])) return mismatch(`Wx, Wh and b must have the same 4H gate columns, found ${Wx[1].sym}, ${Wh[1].sym}, ${b[0].sym}`, 4);
  return ok([T, N, H]);
}

interface LstmSaved {
  /** Gate activations per step [T, N, 4H]: i, f, g, o after their sigmoid / tanh. */
  gates: Float64Array;
  /** Cell states c_t [T, N, H] and tanh(c_t). */
  cs: Float64Array;
  tc: Float64Array;
}

const sigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export const lstm: OpDef = {
  id: 'lstm',
  weighted: true,
  recurrent: { step: 'i, f, o = σ(·), g = tanh(·) of x_t Wx + h_{t−1} Wh + b; c_t = f·c_{t−1} + i·g; h_t = o·tanh(c_t)', sequence: 0, states: [1, 2] },
  name: 'lstm',
  group: 'recurrent',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'input sequence [T, N, D]' },
    { name: 'h0', kind: 'tensor', doc: 'initial hidden state [N, H]' },
    { name: 'c0', kind: 'tensor', doc: 'initial cell state [N, H]' },
    { name: 'Wx', kind: 'tensor', doc: 'input-to-gates weights [D, 4H], gates in the order i, f, g, o' },
    { name: 'Wh', kind: 'tensor', doc: 'hidden-to-gates weights [H, 4H]' },
    { name: 'b', kind: 'tensor', doc: 'gate biases [4H]' },
  ],
  summary:
    'LSTM over a sequence: a = x_t @ Wx + h_{t−1} @ Wh + b split into i, f, g, o (PyTorch’s order); i, f, o = σ(·), g = tanh(·); c_t = f·c_{t−1} + i·g; h_t = o·tanh(c_t). ' +
    'Returns every hidden state [T, N, H] (nn.LSTM with weight_ih = Wxᵀ, weight_hh = Whᵀ, one bias b; cs231n’s lstm_forward with c0).',
  explain:
    'Backpropagation through time through the cell: the gradient reaching c_t is what h_t sends through o·tanh′(c_t) plus what c_{t+1} sends back through its forget gate f_{t+1} — ' +
    'the additive path that lets gradients survive long sequences. The gates receive di = dc·g, df = dc·c_{t−1}, dg = dc·i, do = dh·tanh(c_t), each through its own σ′ or tanh′ ' +
    '(σ′ = s(1 − s) of the gate’s own output, not of the cell’s). Wx, Wh and b are shared over time, so their gradients are sums over the steps.',
  shape: lstmShape,
  forward([x, h0, c0, Wx, Wh, b]) {
    const [T, N, D] = x.shape;
    const H = h0.shape[1];
    const G = 4 * H;
    const out = new Tensor([T, N, H]);
    const gates = new Float64Array(T * N * G);
    const cs = new Float64Array(T * N * H);
    const tc = new Float64Array(T * N * H);
    for (let t = 0; t < T; t++) {
      const go = t * N * G;
      gemmNN(N, G, D, x.data, t * N * D, Wx.data, 0, gates, go, false);
      gemmNN(N, G, H, t === 0 ? h0.data : out.data, t === 0 ? 0 : (t - 1) * N * H, Wh.data, 0, gates, go, true);
      for (let n = 0; n < N; n++) {
        const row = go + n * G;
        for (let k = 0; k < G; k++) {
          const a = gates[row + k] + b.data[k];
          gates[row + k] = k >= 2 * H && k < 3 * H ? tanh(a) : sigmoid(a);
        }
        for (let j = 0; j < H; j++) {
          const at = (t * N + n) * H + j;
          const prev = t === 0 ? c0.data[n * H + j] : cs[at - N * H];
          const c = gates[row + H + j] * prev + gates[row + j] * gates[row + 2 * H + j];
          cs[at] = c;
          tc[at] = tanh(c);
          out.data[at] = gates[row + 3 * H + j] * tc[at];
        }
      }
    }
    const saved: LstmSaved = { gates, cs, tc };
    return { value: out, saved };
  },
  backward({ inputs: [x, h0, c0, Wx, Wh], out, grad, saved, needs, record }) {
    const { gates, cs, tc } = saved as LstmSaved;
    const [T, N, D] = x.shape;
    const H = h0.shape[1];
    const G = 4 * H;
    const NH = N * H;
    const dx = needs[0] ? new Tensor(x.shape) : null;
    const dWx = needs[3] ? new Tensor(Wx.shape) : null;
    const dWh = needs[4] ? new Tensor(Wh.shape) : null;
    const db = needs[5] ? new Tensor([G]) : null;
    const da = new Float64Array(N * G);
    const dhNext = new Float64Array(NH);
    const dcNext = new Float64Array(NH);
    const norms = new Array<number>(T).fill(0);
    const carried = new Array<number>(T).fill(0);
    for (let t = T - 1; t >= 0; t--) {
      let sq = 0;
      for (let n = 0; n < N; n++) {
        const row = (t * N + n) * G;
        for (let j = 0; j < H; j++) {
          const k = n * H + j;
          const at = t * NH + k;
          const [i, f, g, o] = [gates[row + j], gates[row + H + j], gates[row + 2 * H + j], gates[row + 3 * H + j]];
          const dh = grad.data[at] + dhNext[k];
          sq += dh * dh;
          const dc = dcNext[k] + dh * o * (1 - tc[at] * tc[at]);
          const cPrev = t === 0 ? c0.data[k] : cs[at - NH];
          const r = n * G;
          da[r + j] = dc * g * i * (1 - i);
          da[r + H + j] = dc * cPrev * f * (1 - f);
          da[r + 2 * H + j] = dc * i * (1 - g * g);
          da[r + 3 * H + j] = dh * tc[at] * o * (1 - o);
          dcNext[k] = dc * f;
        }
      }
      norms[t] = Math.sqrt(sq);
      const prev = t === 0 ? h0.data : out.data;
      const prevOff = t === 0 ? 0 : (t - 1) * NH;
      // The last step's product sets the weights' gradients (the same bits as adding it to +0).
      if (dWx) gemmTN(D, G, N, x.data, t * N * D, da, 0, dWx.data, 0, t < T - 1);
      if (dWh) gemmTN(H, G, N, prev, prevOff, da, 0, dWh.data, 0, t < T - 1);
      if (db) for (let n = 0; n < N; n++) for (let k = 0; k < G; k++) db.data[k] += da[n * G + k];
      if (dx) gemmNT(N, D, G, da, 0, Wx.data, 0, dx.data, t * N * D, false);
      if (t > 0 || needs[1]) {
        gemmNT(N, H, G, da, 0, Wh.data, 0, dhNext, 0, false);
        carried[t] = norm2(dhNext);
      }
    }
    record?.('timestepGradNorms', norms);
    record?.('carriedGradNorms', carried);
    // The forget gates within 0.01 of 0 and of 1, of all: the health check's saturated forget gate.
    const fs: [number, number, number] = [0, 0, T * N * H];
    for (let r = 0; r < T * N; r++)
      for (let j = 0; j < H; j++) {
        const f = gates[r * G + H + j];
        if (f < 0.01) fs[0]++;
        else if (f > 0.99) fs[1]++;
      }
    record?.('forgetGateSaturation', fs);
    return [dx, needs[1] ? new Tensor(h0.shape, dhNext) : null, needs[2] ? new Tensor(c0.shape, dcNext) : null, dWx, dWh, db];
  },
  // Per step: the two products into the 4H gate pre-activations, a σ or tanh per gate entry, then
  // the cell update and tanh(c) per unit.
  cost: (shapes) => {
    const [T, N, D] = shapes[0];
    const H = shapes[1][1];
    return T * (gemmCost(N, 4 * H, D) + gemmCost(N, 4 * H, H) + (COST.transcendental + COST.entry) * N * 4 * H + (COST.transcendental + 4 * COST.entry) * N * H);
  },
  // Per step: the gate gradients (a few entry operations each), the product back into h_{t−1},
  // then what is asked for (dx, the weight and bias sums over the steps).
  backwardCost: (shapes, _out, _attrs, needs) => {
    const [T, N, D] = shapes[0];
    const H = shapes[1][1];
    const asked = (needed(needs, 0) ? gemmCost(N, D, 4 * H) : 0) + (needed(needs, 3) ? gemmCost(D, 4 * H, N) : 0) + (needed(needs, 4) ? gemmCost(H, 4 * H, N) : 0) + (needed(needs, 5) ? COST.entry * N * 4 * H : 0);
    return T * (gemmCost(N, H, 4 * H) + 6 * COST.entry * N * 4 * H + asked);
  },
  // Kept for backward: every step's gate activations (4H), cell states and tanh(c) (H each);
  // backward's temporaries: one step's gate gradients and the two states flowing back.
  workspace: (shapes) => {
    const [T, N] = shapes[0];
    const H = shapes[1][1];
    return { saved: T * N * 6 * H, scratch: N * 6 * H };
  },
};

export const LSTM_OPS: OpDef[] = [lstm];
