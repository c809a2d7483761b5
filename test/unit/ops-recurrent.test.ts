import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeSession } from '../../src/core/analyze';
import { Execution } from '../../src/core/engine/run';
import type { Attrs } from '../../src/core/ops/op';
import { RECURRENT_OPS, rnn } from '../../src/core/ops/recurrent';
import type { ShapeResult } from '../../src/core/shapes/broadcast';
import { lit, named, type Shape } from '../../src/core/shapes/shape';
import { tanh } from '../../src/core/tensor/elementary';
import { gemmNN, gemmNT } from '../../src/core/tensor/matmul';
import { norm, Tensor } from '../../src/core/tensor/tensor';
import { checkOpGradient, fixedContext, randomTensor, tensorOf, testRng } from './helpers/opcheck';
import { failure } from './helpers/shapeRule';

const NO_ATTRS: Attrs = {};

function shapeOf(shapes: Shape[]): ShapeResult {
  return rnn.shape({ label: 'rnn', types: shapes.map((shape) => ({ shape, isInt: false })) }, NO_ATTRS);
}

const T = named('T', 6);
const N = named('N', 4);
const D = named('D', 3);
const H = named('H', 5);

/** Inputs for an RNN with the given sizes; weights scaled so tanh stays out of saturation. */
function rnnInputs(t: number, n: number, d: number, h: number, seed: number, whScale = 0.5): Tensor[] {
  const rng = testRng(seed);
  return [
    randomTensor([t, n, d], rng),
    randomTensor([n, h], rng, 0.5),
    randomTensor([d, h], rng, 0.5),
    randomTensor([h, h], rng, whScale),
    randomTensor([h], rng, 0.1),
  ];
}

/** The recurrence written out with plain loops. */
function naiveRnn([x, h0, Wx, Wh, b]: Tensor[]): Tensor {
  const [T_, N_, D_] = x.shape;
  const H_ = Wh.shape[0];
  const out = new Tensor([T_, N_, H_]);
  let prev = Array.from(h0.data);
  for (let t = 0; t < T_; t++) {
    const next = new Array<number>(N_ * H_);
    for (let n = 0; n < N_; n++)
      for (let j = 0; j < H_; j++) {
        let a = b.data[j];
        for (let k = 0; k < D_; k++) a += x.data[(t * N_ + n) * D_ + k] * Wx.data[k * H_ + j];
        for (let k = 0; k < H_; k++) a += prev[n * H_ + k] * Wh.data[k * H_ + j];
        next[n * H_ + j] = Math.tanh(a);
      }
    out.data.set(next, t * N_ * H_);
    prev = next;
  }
  return out;
}

test('RECURRENT_OPS holds rnn with its group, signature and texts', () => {
  assert.deepEqual(
    RECURRENT_OPS.map((o) => o.id),
    ['rnn'],
  );
  assert.equal(rnn.group, 'recurrent');
  assert.deepEqual(
    rnn.signature.map((p) => [p.name, p.kind]),
    [
      ['x', 'tensor'],
      ['h0', 'tensor'],
      ['Wx', 'tensor'],
      ['Wh', 'tensor'],
      ['b', 'tensor'],
    ],
  );
  assert.match(rnn.explain, /sums over time/);
});

// ------------------------------------------------------------------ shapes

test('rnn shape: [T, N, D] in, [T, N, H] out', () => {
  const r = shapeOf([[T, N, D], [N, H], [D, H], [H, H], [H]]);
  assert.ok(r.ok);
  assert.deepEqual(
    r.shape.map((d) => [d.sym, d.size]),
    [
      ['T', 6],
      ['N', 4],
      ['H', 5],
    ],
  );
  // Literal and unknown sizes.
  const l = shapeOf([[lit(7), lit(2), lit(3)], [lit(2), lit(4)], [lit(3), lit(4)], [lit(4), lit(4)], [lit(4)]]);
  assert.ok(l.ok);
  assert.deepEqual(
    l.shape.map((d) => d.sym),
    ['7', '2', '4'],
  );
  const u = shapeOf([[named('T', null), N, D], [N, H], [D, H], [H, H], [H]]);
  assert.ok(u.ok);
  assert.deepEqual(
    u.shape.map((d) => d.sym),
    ['T', 'N', 'H'],
  );
});

test('rnn shape: wrong ranks name the argument and its layout', () => {
  const x = failure(shapeOf([[N, D], [N, H], [D, H], [H, H], [H]]));
  assert.ok(x.message.startsWith('rnn expects x as [T, N, D], found [N, D];'), x.message);
  assert.equal(x.argIndex, 0);
  assert.equal(x.code, 'shape-mismatch');
  const b = failure(shapeOf([[T, N, D], [N, H], [D, H], [H, H], [lit(1), H]]));
  assert.match(b.message, /expects b as \[H\], found \[1, H\]; declare b with 1 axis/);
  assert.equal(b.argIndex, 4);
  const wh = failure(shapeOf([[T, N, D], [N, H], [D, H], [H], [H]]));
  assert.match(wh.message, /expects Wh as \[H, H\], found \[H\]/);
  assert.equal(wh.argIndex, 3);
});

test('rnn shape: mismatched dimensions are named with their values', () => {
  const M = named('M', 3);
  const batch = failure(shapeOf([[T, N, D], [M, H], [D, H], [H, H], [H]]));
  assert.match(batch.message, /x \[T, N, D\] holds N sequences but h0 \[M, H\] has M initial states/);
  assert.match(batch.message, /N=4/);
  assert.match(batch.message, /M=3/);
  assert.equal(batch.argIndex, 1);

  const E = named('E', 7);
  const feat = failure(shapeOf([[T, N, D], [N, H], [E, H], [H, H], [H]]));
  assert.match(feat.message, /x \[T, N, D\] has D features per step but Wx \[E, H\] expects E.*D=3.*E=7/);
  assert.match(feat.message, /Wx must be \[D, H\]/);
  assert.equal(feat.argIndex, 2);
  const transposed = failure(shapeOf([[T, N, D], [N, H], [H, D], [H, H], [H]]));
  assert.match(transposed.message, /Wx must be \[D, H\] \(Wx looks transposed/);

  // The odd one out is blamed, whichever argument it is.
  const K = named('K', 2);
  const wh = failure(shapeOf([[T, N, D], [N, H], [D, H], [H, K], [H]]));
  assert.match(wh.message, /second dimension of Wh \[H, K\] is K but the first dimension of Wh \[H, K\] is H/);
  assert.match(wh.message, /H=5.*K=2/);
  assert.match(wh.message, /Wh \[H, H\]/);
  assert.equal(wh.argIndex, 3);
  const h0 = failure(shapeOf([[T, N, D], [N, K], [D, H], [H, H], [H]]));
  assert.match(h0.message, /second dimension of h0 \[N, K\] is K/);
  assert.equal(h0.argIndex, 1);
  const bias = failure(shapeOf([[T, N, D], [N, H], [D, H], [H, H], [K]]));
  assert.match(bias.message, /the size of b \[K\] is K/);
  assert.equal(bias.argIndex, 4);
  const wx = failure(shapeOf([[T, N, D], [N, H], [D, K], [H, H], [H]]));
  assert.match(wx.message, /second dimension of Wx \[D, K\] is K/);
  assert.equal(wx.argIndex, 2);
});

test('rnn shape: same-size names are reported as conflicts', () => {
  const r = shapeOf([[T, N, D], [N, named('K', 5)], [D, H], [H, H], [H]]);
  assert.ok(r.ok);
  assert.deepEqual(
    r.conflicts?.map(([a, b]) => [a.sym, b.sym]),
    [['H', 'K']],
  );
});

// ------------------------------------------------------------------ values and gradients

test('rnn forward matches hand-computed values', () => {
  const x = tensorOf([2, 1, 1], [1, 2]);
  const h0 = tensorOf([1, 1], [0.5]);
  const Wx = tensorOf([1, 1], [0.3]);
  const Wh = tensorOf([1, 1], [-0.4]);
  const b = tensorOf([1], [0.1]);
  const out = rnn.forward([x, h0, Wx, Wh, b], NO_ATTRS, fixedContext()).value;
  const h1 = Math.tanh(0.3 * 1 - 0.4 * 0.5 + 0.1);
  const h2 = Math.tanh(0.3 * 2 - 0.4 * h1 + 0.1);
  assert.deepEqual([...out.shape], [2, 1, 1]);
  assert.ok(Math.abs(out.data[0] - Math.tanh(0.2)) < 1e-15);
  assert.ok(Math.abs(out.data[1] - h2) < 1e-15);
});

test('rnn forward matches the recurrence written out', () => {
  for (const [t, n, d, h] of [
    [1, 1, 1, 1],
    [4, 3, 2, 5],
    [5, 2, 6, 3],
  ]) {
    const inputs = rnnInputs(t, n, d, h, 40 + t);
    const got = rnn.forward(inputs, NO_ATTRS, fixedContext()).value;
    const want = naiveRnn(inputs);
    assert.deepEqual([...got.shape], [t, n, h]);
    for (let i = 0; i < got.size; i++) assert.ok(Math.abs(got.data[i] - want.data[i]) < 1e-12);
  }
});

test('rnn forward has the bits of one product per step (all steps\' input products run as one)', () => {
  // Sizes on both sides of the WebAssembly kernel's threshold.
  for (const [t, n, d, h] of [
    [6, 8, 32, 64],
    [3, 2, 3, 5],
    [4, 5, 70, 9],
  ]) {
    const inputs = rnnInputs(t, n, d, h, 7 + d);
    const [x, h0, Wx, Wh, b] = inputs;
    const got = rnn.forward(inputs, NO_ATTRS, fixedContext()).value.data;
    const want = new Float64Array(t * n * h);
    for (let s = 0; s < t; s++) {
      const o = s * n * h;
      gemmNN(n, h, d, x.data, s * n * d, Wx.data, 0, want, o, false);
      gemmNN(n, h, h, s === 0 ? h0.data : want, s === 0 ? 0 : o - n * h, Wh.data, 0, want, o, true);
      for (let k = 0; k < n * h; k++) want[o + k] = tanh(want[o + k] + b.data[k % h]);
    }
    assert.deepEqual(new BigUint64Array(got.buffer, got.byteOffset, got.length), new BigUint64Array(want.buffer), `${t}×${n}×${d}×${h}`);
  }
});

test('rnn backward has the bits of one dx product per step (all steps\' dx run as one)', () => {
  const [t, n, d, h] = [5, 8, 32, 64];
  const inputs = rnnInputs(t, n, d, h, 99);
  const Wx = inputs[2];
  const fwd = rnn.forward(inputs, NO_ATTRS, fixedContext());
  const out = fwd.value;
  const grad = randomTensor([t, n, h], testRng(5));
  const all = rnn.backward({ inputs, out, grad, saved: fwd.saved, attrs: NO_ATTRS, needs: [true, true, true, true, true] });
  const noDx = rnn.backward({ inputs, out, grad, saved: fwd.saved, attrs: NO_ATTRS, needs: [false, true, true, true, true] });
  const bits = (v: Float64Array) => [...new BigUint64Array(v.buffer, v.byteOffset, v.length)];
  // The other gradients do not depend on whether dx is asked for.
  for (let k = 1; k < 5; k++) assert.deepEqual(bits((noDx[k] as Tensor).data), bits((all[k] as Tensor).data), `input ${k}`);
  assert.equal(noDx[0], null);
  // dx_t = da_t · Wxᵀ as one product per step, with da_t (the gradient at the tanh inputs) from the
  // recurrence written out.
  const hs = out.data;
  const da = new Float64Array(t * n * h);
  const dhNext = new Float64Array(n * h);
  const Wh = inputs[3];
  for (let s = t - 1; s >= 0; s--) {
    const o = s * n * h;
    for (let k = 0; k < n * h; k++) {
      const dh = grad.data[o + k] + dhNext[k];
      da[o + k] = dh * (1 - hs[o + k] * hs[o + k]);
    }
    gemmNT(n, h, h, da, o, Wh.data, 0, dhNext, 0, false);
  }
  const want = new Float64Array(t * n * d);
  for (let s = 0; s < t; s++) gemmNT(n, d, h, da, s * n * h, Wx.data, 0, want, s * n * d, false);
  assert.deepEqual(bits((all[0] as Tensor).data), bits(want));
});

test('rnn gradients (BPTT) match finite differences for all five inputs', () => {
  for (const [t, n, d, h] of [
    [1, 1, 1, 1],
    [3, 2, 3, 4],
    [5, 3, 2, 3],
    [4, 1, 4, 2],
  ]) {
    const worst = checkOpGradient(rnn, rnnInputs(t, n, d, h, 100 + t * 7 + n), NO_ATTRS);
    assert.ok(worst < 1e-7, `T=${t} N=${n} D=${d} H=${h}: ${worst}`);
  }
});

test('rnn backward honours needs', () => {
  const inputs = rnnInputs(3, 2, 3, 4, 9);
  const fwd = rnn.forward(inputs, NO_ATTRS, fixedContext());
  const grad = randomTensor([3, 2, 4], testRng(1));
  const all = rnn.backward({ inputs, out: fwd.value, grad, saved: fwd.saved, attrs: NO_ATTRS, needs: [true, true, true, true, true] });
  const some = rnn.backward({ inputs, out: fwd.value, grad, saved: fwd.saved, attrs: NO_ATTRS, needs: [false, false, false, true, false] });
  assert.deepEqual(
    some.map((g) => g === null),
    [true, true, true, false, true],
  );
  assert.deepEqual([...(some[3] as Tensor).data], [...(all[3] as Tensor).data]);
});

test('rnn records the norm of dL/dh_t per time step, in time order', () => {
  // T = 2, N = H = 1: dh_1 = g_1 + g_2 · (1 − h_2²) · Wh.
  const inputs = [tensorOf([2, 1, 1], [1, 2]), tensorOf([1, 1], [0.5]), tensorOf([1, 1], [0.3]), tensorOf([1, 1], [-0.4]), tensorOf([1], [0.1])];
  const fwd = rnn.forward(inputs, NO_ATTRS, fixedContext());
  const grad = tensorOf([2, 1, 1], [0.7, -2]);
  const series = new Map<string, number[]>();
  rnn.backward({ inputs, out: fwd.value, grad, saved: fwd.saved, attrs: NO_ATTRS, needs: [true, true, true, true, true], record: (k, v) => series.set(k, v) });
  const norms = series.get('timestepGradNorms');
  assert.ok(norms);
  const h2 = fwd.value.data[1];
  assert.equal(norms.length, 2);
  assert.ok(Math.abs(norms[1] - 2) < 1e-15);
  assert.ok(Math.abs(norms[0] - Math.abs(0.7 + -2 * (1 - h2 * h2) * -0.4)) < 1e-15);
});

test('rnn without a record callback (a training loop) gives the same gradients, bit for bit', () => {
  const inputs = rnnInputs(5, 3, 4, 6, 21);
  const fwd = rnn.forward(inputs, NO_ATTRS, fixedContext());
  const grad = randomTensor([5, 3, 6], testRng(4));
  const needs = [true, true, true, true, true];
  const rec: Record<string, number[]> = {};
  const recorded = rnn.backward({ inputs, out: fwd.value, grad, saved: fwd.saved, attrs: NO_ATTRS, needs, record: (k, v) => (rec[k] = v) });
  const plain = rnn.backward({ inputs, out: fwd.value, grad, saved: fwd.saved, attrs: NO_ATTRS, needs });
  assert.equal(rec.timestepGradNorms.length, 5);
  assert.deepEqual(
    plain.map((g) => [...(g as Tensor).data]),
    recorded.map((g) => [...(g as Tensor).data]),
  );
});

test('an Execution publishes the rules\' figures unless a backward pass turns records off', () => {
  const s = analyzeSession(`seed 3\ndims T = 4, N = 2, D = 3, H = 5\ninput x: [T, N, D]\nparam h0: [N, H] = 0\nparam Wx: [D, H] ~ xavier\nparam Wh: [H, H] ~ xavier\nparam b: [H] = 0\nloss = sum(rnn(x, h0, Wx, Wh, b)[-1])\n`, { gradcheck: false });
  assert.ok(s.graph && s.graph.root !== null, 'the program runs');
  const rnnId = s.graph.nodes.findIndex((n) => n.op?.id === 'rnn');
  const quiet = new Execution(s.graph, s.analysis.seed);
  quiet.forward();
  quiet.backward(s.graph.root, undefined, { records: false });
  assert.equal(quiet.records.get(rnnId), undefined, 'nothing published with records off');
  const loud = new Execution(s.graph, s.analysis.seed);
  loud.forward();
  loud.backward(s.graph.root);
  assert.equal(loud.records.get(rnnId)?.timestepGradNorms.length, 4, 'the per-step norms by default');
  assert.deepEqual(quiet.grads.map((g) => (g ? [...g.data] : null)), loud.grads.map((g) => (g ? [...g.data] : null)));
});

test('rnn timestep norms show a gradient vanishing back through time', () => {
  const T_ = 12;
  const inputs = rnnInputs(T_, 2, 3, 4, 77, 0.2);
  const fwd = rnn.forward(inputs, NO_ATTRS, fixedContext());
  // Only the last step has a loss: everything earlier is gradient flowing back through Wh.
  const grad = new Tensor([T_, 2, 4]);
  const last = randomTensor([2, 4], testRng(3));
  grad.data.set(last.data, (T_ - 1) * 8);
  const rec: Record<string, number[]> = {};
  rnn.backward({ inputs, out: fwd.value, grad, saved: fwd.saved, attrs: NO_ATTRS, needs: [false, false, false, true, false], record: (k, v) => (rec[k] = v) });
  const norms = rec.timestepGradNorms;
  assert.equal(norms.length, T_);
  // What step t sends back along the recurrence is all that reaches h_{t−1} here (no loss on it);
  // step 0 sends nothing back, h0 taking no gradient.
  const carried = rec.carriedGradNorms;
  for (let t = 1; t < T_; t++) assert.ok(Math.abs(carried[t] - norms[t - 1]) < 1e-12, `carried ${t}`);
  assert.equal(carried[0], 0);
  assert.ok(Math.abs(norms[T_ - 1] - norm(last)) < 1e-12);
  for (let t = 0; t < T_ - 1; t++) assert.ok(norms[t] < norms[t + 1], `step ${t}: ${norms[t]} ≥ ${norms[t + 1]}`);
  assert.ok(norms[0] < 1e-3 * norms[T_ - 1]);
});

test('rnn cost grows with T·N·H·(D+H)', () => {
  const c = rnn.cost?.([[10, 4, 3], [4, 5], [3, 5], [5, 5], [5]], [10, 4, 5], {}) ?? 0;
  assert.ok(c >= 2 * 10 * 4 * 5 * (3 + 5));
});
