// Elementwise functions: each output element depends on one input element, so each backward is
// the upstream gradient times the local derivative, element by element.
import { broadcastTo, Tensor } from '../tensor/tensor';
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { attrNum, type OpDef } from './op';
import { defineBinary, defineUnary } from './kit';
import { geluKeepingSlopeInto, normalCdfInto, normalCdfSlopeInto } from '../tensor/erf';
import { tanhInto } from '../tensor/elementary';
import { simdGelu, simdRelu, simdReluBackward, simdTanhRows } from '../tensor/simdElementwise';

export const exp = defineUnary({
  id: 'exp',
  work: [11, 3],
  derive: ({ grad, out }) => [E.bin('*', grad, out)],
  summary: 'eˣ, elementwise.',
  explain: 'Multiplies the upstream gradient by its own output: d(eˣ)/dx = eˣ. Large inputs overflow to Inf; subtract the max first (as softmax does).',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = Math.exp(x[i]);
  },
  backward(_x, out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = g[i] * out[i];
  },
});

export const log = defineUnary({
  id: 'log',
  work: [10, 3],
  derive: ({ grad, args: [x] }) => [E.bin('/', grad, x)],
  summary: 'Natural logarithm, elementwise.',
  explain: 'Divides the upstream gradient by the input: d(ln x)/dx = 1/x. log(0) is -Inf and its gradient Inf; add a small epsilon when the input can reach 0.',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = Math.log(x[i]);
  },
  backward(x, _out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = g[i] / x[i];
  },
});

export const sqrt = defineUnary({
  id: 'sqrt',
  work: [3, 3],
  derive: ({ grad, out }) => [E.bin('/', grad, E.bin('*', E.num(2), out))],
  summary: 'Square root, elementwise.',
  explain: 'Scales the upstream gradient by 1/(2√x). The gradient is infinite at 0.',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = Math.sqrt(x[i]);
  },
  backward(_x, out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = g[i] / (2 * out[i]);
  },
});

export const abs = defineUnary({
  id: 'abs',
  work: [3, 5],
  derive: ({ grad, args: [x] }) => [E.bin('*', grad, E.call('sign', [x]))],
  summary: '|x|, elementwise.',
  explain: 'A switch on the sign: passes the upstream gradient where x > 0, negates it where x < 0.',
  kinks: 'At x = 0 the gradient is 0 (PyTorch: sign(0) = 0).',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = Math.abs(x[i]);
  },
  backward(x, _out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0;
  },
  kinkSide(x, k) {
    for (let i = 0; i < x.length; i++) k[i] = Math.sign(x[i]);
  },
});

export const square = defineUnary({
  id: 'square',
  work: [3, 3],
  derive: ({ grad, args: [x] }) => [E.bin('*', E.bin('*', grad, E.num(2)), x)],
  summary: 'x², elementwise.',
  explain: 'Scales the upstream gradient by 2x.',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = x[i] * x[i];
  },
  backward(x, _out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = 2 * x[i] * g[i];
  },
});

export const tanh = defineUnary({
  id: 'tanh',
  work: [20, 3],
  traits: { activation: { init: 'xavier', saturatesAt: [-1, 1] } },
  derive: ({ grad, out }) => [E.bin('*', grad, E.bin('-', E.num(1), E.bin('*', out, out)))],
  summary: 'Hyperbolic tangent, elementwise.',
  explain: 'Scales the upstream gradient by 1 − tanh²(x), computed from the output. Where |x| is large the output saturates at ±1 and the gradient vanishes.',
  forward(x, o) {
    if (!simdTanhRows(x, null, o, x.length)) tanhInto(x, o);
  },
  backward(_x, out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = g[i] * (1 - out[i] * out[i]);
  },
});

export const sigmoid = defineUnary({
  id: 'sigmoid',
  work: [16, 3],
  traits: { activation: { init: 'xavier', saturatesAt: [0, 1] } },
  derive: ({ grad, out }) => [E.bin('*', E.bin('*', grad, out), E.bin('-', E.num(1), out))],
  summary: 'σ(x) = 1/(1+e⁻ˣ), elementwise (computed without overflow).',
  explain: 'Scales the upstream gradient by σ(x)(1 − σ(x)), computed from the output — at most 1/4, so stacked sigmoids shrink gradients. Saturated units (σ near 0 or 1) pass almost nothing.',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      if (v >= 0) o[i] = 1 / (1 + Math.exp(-v));
      else {
        const e = Math.exp(v);
        o[i] = e / (1 + e);
      }
    }
  },
  backward(_x, out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = g[i] * out[i] * (1 - out[i]);
  },
});

export const relu = defineUnary({
  id: 'relu',
  work: [3, 4],
  traits: { activation: { init: 'he', dies: true }, residentKernels: true },
  derive: ({ grad, args: [x] }) => [E.bin('*', grad, E.bin('>', x, E.num(0)))],
  summary: 'max(0, x), elementwise.',
  explain: 'A gate: passes the upstream gradient where x > 0 and blocks it where x ≤ 0. A unit that is ≤ 0 for every example never learns (a dead ReLU).',
  kinks: 'At x = 0 the gradient is 0 (as PyTorch).',
  // Branch-free: a unit's sign is a coin flip, and a branch on it mispredicts half the time (about
  // 4 ns an element instead of 1). pick[Number(x > 0)] selects +0 or the value, as x > 0 ? x : 0.
  forward(x, o) {
    if (simdRelu(x, o)) return;
    const pick = new Float64Array(2);
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      pick[1] = v;
      o[i] = pick[Number(v > 0)];
    }
  },
  backward(x, _out, g, dx) {
    if (simdReluBackward(x, g, dx)) return;
    const pick = new Float64Array(2);
    for (let i = 0; i < g.length; i++) {
      pick[1] = g[i];
      dx[i] = pick[Number(x[i] > 0)];
    }
  },
  kinkSide(x, k) {
    for (let i = 0; i < x.length; i++) k[i] = Number(x[i] > 0);
  },
});

export const gelu = defineUnary({
  id: 'gelu',
  work: [40, 45],
  traits: { activation: { init: 'he' } },
  summary: 'x·Φ(x) = x·(1 + erf(x/√2))/2, elementwise: the exact GELU (torch.nn.functional.gelu with its default approximate=\'none\', not the tanh approximation).',
  explain:
    'Scales the upstream gradient by Φ(x) + x·φ(x) (φ the standard normal density): about 1 for large x, about 0 for very negative x, 1/2 at 0, and slightly negative near x ≈ −0.75 — ' +
    'a smooth relu whose gradient never switches off abruptly. .grad has no erf, so it is derived through gelu_dx.',
  forward(x, o) {
    normalCdfInto(x, o);
    for (let i = 0; i < x.length; i++) o[i] *= x[i];
  },
  backward(x, _out, g, dx) {
    normalCdfSlopeInto(x, dx);
    for (let i = 0; i < g.length; i++) dx[i] *= g[i];
  },
  // Forward has Φ(x) and φ(x) in hand: it keeps the slope Φ + x·φ, and backward is one product an entry.
  keeps: {
    forward(x, o, slope) {
      if (!simdGelu(x, o, slope)) geluKeepingSlopeInto(x, o, slope);
    },
    backward(_x, slope, g, dx) {
      for (let i = 0; i < g.length; i++) dx[i] = slope[i] * g[i];
    },
  },
});

export const silu = defineUnary({
  id: 'silu',
  work: [16, 18],
  traits: { activation: { init: 'he' } },
  // σ = sigmoid(x): dx = g·σ·(1 + x·(1 − σ))
  derive: ({ grad, args: [x] }) => {
    const s = E.call('sigmoid', [x]);
    return [E.bin('*', E.bin('*', grad, s), E.bin('+', E.num(1), E.bin('*', x, E.bin('-', E.num(1), s))))];
  },
  summary: 'x·σ(x), elementwise: SiLU, also called swish (torch.nn.functional.silu).',
  explain: 'Scales the upstream gradient by σ(x)·(1 + x·(1 − σ(x))): the sigmoid gate plus the input times the gate’s own slope. About 1 for large x, about 0 for very negative x, 1/2 at 0, slightly negative below x ≈ −1.28.',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i];
      o[i] = v >= 0 ? v / (1 + Math.exp(-v)) : (v * Math.exp(v)) / (1 + Math.exp(v));
    }
  },
  backward(x, _out, g, dx) {
    for (let i = 0; i < g.length; i++) {
      const v = x[i];
      const s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      dx[i] = g[i] * s * (1 + v * (1 - s));
    }
  },
});

export const leakyRelu = defineUnary({
  id: 'leaky_relu',
  work: [5, 5],
  traits: { activation: { init: 'he' } },
  derive: ({ grad, args: [x], attrExprs }) => [E.bin('*', grad, E.bin('+', E.bin('>', x, E.num(0)), E.bin('*', attrExprs.alpha ?? E.num(0.01), E.bin('<=', x, E.num(0)))))],
  summary: 'x where x > 0, alpha·x elsewhere.',
  explain: 'Passes the upstream gradient where x > 0 and scales it by alpha elsewhere, so units never die completely.',
  kinks: 'At x = 0 the gradient is alpha (as PyTorch).',
  extraParams: [{ name: 'alpha', kind: 'number', default: 0.01, doc: 'slope for x ≤ 0' }],
  forward(x, o, attrs) {
    const a = attrNum(attrs, 'alpha');
    for (let i = 0; i < x.length; i++) o[i] = x[i] > 0 ? x[i] : a * x[i];
  },
  backward(x, _out, g, dx, attrs) {
    const a = attrNum(attrs, 'alpha');
    for (let i = 0; i < g.length; i++) dx[i] = x[i] > 0 ? g[i] : a * g[i];
  },
  kinkSide(x, k) {
    for (let i = 0; i < x.length; i++) k[i] = x[i] > 0 ? 1 : 0;
  },
});

export const elu = defineUnary({
  id: 'elu',
  work: [10, 11],
  traits: { activation: { init: 'he' } },
  derive: ({ grad, args: [x], out, attrExprs }) => [E.bin('*', grad, E.bin('+', E.bin('>', x, E.num(0)), E.bin('*', E.bin('+', out, attrExprs.alpha ?? E.num(1)), E.bin('<=', x, E.num(0)))))],
  summary: 'x where x > 0, alpha·(eˣ − 1) elsewhere.',
  explain: 'Passes the upstream gradient where x > 0; elsewhere scales it by alpha·eˣ (= output + alpha), which fades smoothly to 0.',
  kinks: 'At x = 0 the gradient is alpha·e⁰ = alpha (as PyTorch); smooth only when alpha = 1.',
  extraParams: [{ name: 'alpha', kind: 'number', default: 1, doc: 'scale of the negative part' }],
  forward(x, o, attrs) {
    const a = attrNum(attrs, 'alpha');
    for (let i = 0; i < x.length; i++) o[i] = x[i] > 0 ? x[i] : a * Math.expm1(x[i]);
  },
  backward(x, _out, g, dx, attrs) {
    const a = attrNum(attrs, 'alpha');
    for (let i = 0; i < g.length; i++) dx[i] = x[i] > 0 ? g[i] : g[i] * a * Math.exp(x[i]);
  },
  kinkSide(x, k) {
    for (let i = 0; i < x.length; i++) k[i] = x[i] > 0 ? 1 : 0;
  },
});

export const clip = defineUnary({
  id: 'clip',
  work: [8, 7],
  derive: ({ grad, args: [x], attrExprs }) => [E.bin('*', E.bin('*', grad, E.bin('>=', x, attrExprs.lo)), E.bin('<=', x, attrExprs.hi))],
  summary: 'Clamps x to [lo, hi], elementwise.',
  explain: 'A gate: passes the upstream gradient where lo ≤ x ≤ hi and blocks it where the value was clamped.',
  kinks: 'At x = lo or x = hi the gradient passes (as torch.clamp).',
  extraParams: [
    { name: 'lo', kind: 'number', doc: 'lower bound' },
    { name: 'hi', kind: 'number', doc: 'upper bound' },
  ],
  validate(attrs) {
    return attrNum(attrs, 'lo') > attrNum(attrs, 'hi') ? `lo (${attrs.lo}) must not exceed hi (${attrs.hi})` : null;
  },
  forward(x, o, attrs) {
    const lo = attrNum(attrs, 'lo');
    const hi = attrNum(attrs, 'hi');
    for (let i = 0; i < x.length; i++) o[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
  },
  backward(x, _out, g, dx, attrs) {
    const lo = attrNum(attrs, 'lo');
    const hi = attrNum(attrs, 'hi');
    for (let i = 0; i < g.length; i++) dx[i] = x[i] >= lo && x[i] <= hi ? g[i] : 0;
  },
  kinkSide(x, k, attrs) {
    const lo = attrNum(attrs, 'lo');
    const hi = attrNum(attrs, 'hi');
    for (let i = 0; i < x.length; i++) k[i] = x[i] < lo ? 0 : x[i] > hi ? 2 : 1;
  },
});

export const sign = defineUnary({
  id: 'sign',
  work: [4, 1],
  summary: '−1, 0 or 1 by the sign of x (an extension to spec v1, handy for l1 backward passes).',
  explain: 'Piecewise constant: its gradient is 0 everywhere, so nothing flows through it.',
  noGrad: true,
  steps: 'At x = 0 the output jumps from −1 to 0 to 1: a perturbation across it is a step crossing (reported as a kink).',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = Math.sign(x[i]);
  },
  kinkSide(x, k) {
    for (let i = 0; i < x.length; i++) k[i] = Math.sign(x[i]);
  },
  backward(_x, _out, g, dx) {
    dx.fill(0, 0, g.length);
  },
});

export const neg = defineUnary({
  id: 'neg',
  work: [3, 3],
  derive: ({ grad }) => [E.neg(grad)],
  name: '-',
  group: 'arithmetic',
  summary: 'Unary minus.',
  explain: 'Negates the upstream gradient.',
  forward(x, o) {
    for (let i = 0; i < x.length; i++) o[i] = -x[i];
  },
  backward(_x, _out, g, dx) {
    for (let i = 0; i < g.length; i++) dx[i] = -g[i];
  },
});

function tieSplit(a: Tensor, b: Tensor, out: Tensor, g: Tensor, pickA: (x: number, y: number) => boolean): [Tensor, Tensor] {
  // Evaluated on the broadcast shape: recompute both operands at each output position.
  const ga = new Tensor(out.shape);
  const gb = new Tensor(out.shape);
  const A = broadcastValues(a, out.shape);
  const B = broadcastValues(b, out.shape);
  for (let i = 0; i < out.size; i++) {
    const x = A[i];
    const y = B[i];
    if (x === y) {
      ga.data[i] = g.data[i] / 2;
      gb.data[i] = g.data[i] / 2;
    } else if (pickA(x, y)) ga.data[i] = g.data[i];
    else gb.data[i] = g.data[i];
  }
  return [ga, gb];
}

function broadcastValues(t: Tensor, shape: readonly number[]): Float64Array {
  return broadcastTo(t, shape).data;
}

/** Which operand is larger at each broadcast position: 1, −1, or 0 on a tie (the kink). */
function orderSides(a: Tensor, b: Tensor, out: Tensor): Int32Array {
  const A = broadcastValues(a, out.shape);
  const B = broadcastValues(b, out.shape);
  const k = new Int32Array(out.size);
  for (let i = 0; i < k.length; i++) k[i] = A[i] > B[i] ? 1 : A[i] < B[i] ? -1 : 0;
  return k;
}

/** Elementwise max (sign 1) or min (sign −1) of two tensors. */
function extremeOf(sign: 1 | -1): OpDef {
  const [id, name, word] = sign === 1 ? ['maximum', 'max', 'larger'] : ['minimum', 'min', 'smaller'];
  return defineBinary({
    id,
    name,
    group: 'elementwise',
    work: [8, 10],
    // A broadcast operand is materialised at the output's shape, and so is its gradient.
    temporaries: [0, 2],
    summary: `Elementwise ${id} of two tensors (broadcasting): ${name}(a, b).`,
    explain: `A router: sends the whole upstream gradient to whichever input was ${word} and nothing to the other.`,
    kinks: `On a tie the gradient is split evenly between both inputs (as torch.${id}).`,
    run(a, ai, as, b, bi, bs, o, oi, n) {
      for (let k = 0; k < n; k++) {
        const x = a[ai + k * as];
        const y = b[bi + k * bs];
        o[oi + k] = sign * x >= sign * y ? x : y;
      }
    },
    grads: (a, b, out, g) => tieSplit(a, b, out, g, (x, y) => sign * x > sign * y),
    kinkSide: orderSides,
    // The winner takes the gradient; a tie splits it: g·((a > b) + 0.5·(a == b)).
    derive({ grad, args: [a, b] }) {
      const wins = (x: Expr, y: Expr) => E.bin('+', E.bin(sign === 1 ? '>' : '<', x, y), E.bin('*', E.num(0.5), E.bin('==', x, y)));
      return [E.bin('*', grad, wins(a, b)), E.bin('*', grad, wins(b, a))];
    },
  });
}

export const maximum = extremeOf(1);
export const minimum = extremeOf(-1);

export const ELEMENTWISE_OPS: OpDef[] = [exp, log, sqrt, abs, square, tanh, sigmoid, relu, gelu, silu, leakyRelu, elu, clip, sign, maximum, minimum];
