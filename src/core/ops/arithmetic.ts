// Arithmetic: + - * / ** and the comparisons. These are the gates of the lecture: add
// distributes, mul switches, and a value used twice adds up its gradients. The family's other
// operators are in their own files: @ in matrixProduct.ts, .T and x[...] in indexing.ts.
import { fail, ok } from '../shapes/broadcast';
import { formatShape } from '../shapes/shape';
import { Tensor, type BinaryRun } from '../tensor/tensor';
import { simdAddRows } from '../tensor/simdElementwise';
import { addRun, defineBinary, divRun, mulRun, subRun, zip } from './kit';
import { E } from '../lang/print';
import { COST, entries } from './cost';
import type { OpDef } from './op';
import { matmul } from './matrixProduct';
import { index, transpose, transposeT } from './indexing';

export const add = defineBinary({
  id: 'add',
  // Backward passes the upstream gradient on as it is.
  work: [3, 0],
  traits: { affine: true, residentKernels: true },
  derive: ({ grad }) => [grad, grad],
  name: '+',
  summary: 'Elementwise sum, broadcasting like numpy.',
  explain: 'A distributor: passes the upstream gradient unchanged to both inputs. A broadcast input (a bias) receives the sum over the axes it was stretched along.',
  run: addRun,
  rows: (a, b, o, inner) => {
    if (!simdAddRows(a, b, o, inner)) for (let r = 0; r < a.length; r += inner) addRun(a, r, 1, b, 0, 1, o, r, inner);
  },
  grads: (_a, _b, _out, g) => [g, g],
});

export const sub = defineBinary({
  id: 'sub',
  work: [3, 3],
  temporaries: [0, 1],
  derive: ({ grad }) => [grad, E.neg(grad)],
  name: '-',
  summary: 'Elementwise difference, broadcasting like numpy.',
  explain: 'Passes the upstream gradient to the left input and its negation to the right; broadcast inputs sum over the stretched axes.',
  run: subRun,
  grads: (_a, _b, out, g, needs) => [g, needs[1] ? negate(g, out.shape) : null],
});

function negate(g: Tensor, shape: readonly number[]): Tensor {
  const t = new Tensor(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = -g.data[i];
  return t;
}

export const mul = defineBinary({
  id: 'mul',
  work: [3, 6],
  temporaries: [0, 1],
  traits: { acceptsMask: true },
  derive: ({ grad, args: [a, b] }) => [E.bin('*', grad, b), E.bin('*', grad, a)],
  name: '*',
  summary: 'Elementwise product, broadcasting like numpy.',
  explain: 'A switcher: each input receives the upstream gradient times the other input (d(xy)/dx = y). A broadcast input sums over the stretched axes.',
  run: mulRun,
  grads: (a, b, out, g, needs) => [needs[0] ? zip(g, b, out.shape, mulRun) : null, needs[1] ? zip(g, a, out.shape, mulRun) : null],
});

export const div = defineBinary({
  id: 'div',
  work: [3, 11],
  temporaries: [1, 1],
  derive: ({ grad, args: [a, b] }) => [E.bin('/', grad, b), E.neg(E.bin('/', E.bin('*', grad, a), E.bin('**', b, E.num(2))))],
  name: '/',
  summary: 'Elementwise quotient, broadcasting like numpy.',
  explain: 'The numerator receives upstream/b; the denominator receives −upstream·a/b² (d(1/x)/dx = −1/x²).',
  run: divRun,
  grads: (_a, b, out, g, needs) => {
    const ga = needs[0] ? zip(g, b, out.shape, divRun) : null;
    let gb: Tensor | null = null;
    if (needs[1]) {
      // −g · out / b  (out = a/b), evaluated on the broadcast shape
      const t = zip(g, out, out.shape, mulRun);
      gb = zip(t, b, out.shape, divRun);
      for (let i = 0; i < gb.size; i++) gb.data[i] = -gb.data[i];
    }
    return [ga, gb];
  },
});

export const pow: OpDef = {
  id: 'pow',
  derive({ grad, args: [x, p], out }) {
    // d(xᵖ)/dx = p·xᵖ⁻¹ (folded when p is a literal); d(xᵖ)/dp = Σ xᵖ·ln x
    const lower = p.kind === 'num' ? E.num(p.value - 1) : E.bin('-', p, E.num(1));
    return [E.bin('*', E.bin('*', grad, p), E.bin('**', x, lower)), E.call('sum', [E.bin('*', E.bin('*', grad, out), E.call('log', [x]))])];
  },
  name: '**',
  group: 'arithmetic',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'base' },
    { name: 'p', kind: 'tensor', doc: 'scalar exponent' },
  ],
  summary: 'x raised to a scalar power.',
  explain: 'The base receives upstream·p·x^(p−1); a scalar exponent that needs a gradient receives Σ upstream·xᵖ·ln x.',
  shape(ctx) {
    const p = ctx.types[1].shape;
    if (p.length !== 0) return fail(`** needs a scalar exponent, found ${formatShape(p)}; for elementwise powers write exp(p * log(x))`, 1);
    return ok(ctx.types[0].shape);
  },
  forward([x, p]) {
    const e = p.item();
    const out = new Tensor(x.shape);
    for (let i = 0; i < x.size; i++) out.data[i] = e === 2 ? x.data[i] * x.data[i] : Math.pow(x.data[i], e);
    return { value: out };
  },
  backward({ inputs: [x, p], out, grad, needs }) {
    const e = p.item();
    let dx: Tensor | null = null;
    if (needs[0]) {
      dx = new Tensor(x.shape);
      if (e !== 0) for (let i = 0; i < x.size; i++) dx.data[i] = grad.data[i] * e * Math.pow(x.data[i], e - 1);
    }
    let dp: Tensor | null = null;
    if (needs[1]) {
      let acc = 0;
      for (let i = 0; i < x.size; i++) acc += grad.data[i] * out.data[i] * Math.log(x.data[i]);
      dp = Tensor.scalar(acc);
    }
    return [dx, dp];
  },
  // Math.pow of a general exponent, forward and back (an exponent of 2 is cheaper, not counted).
  cost: (shapes) => 3 * COST.transcendental * entries(shapes[0]),
  backwardCost: (shapes) => 3 * COST.transcendental * entries(shapes[0]),
};

// ------------------------------------------------------------------ comparisons

function comparison(id: string, name: string, words: string, run: BinaryRun): OpDef {
  return defineBinary({
    id,
    name,
    group: 'comparison',
    steps: `Where a = b the output jumps between 0 and 1: a perturbation across it is a step crossing (reported as a kink), not a gradient to check.`,
    // The side of the step is the output itself.
    kinkSide: (_a, _b, out) => Int32Array.from(out.data),
    summary: `1 where a ${name} b, else 0 (broadcasting); ${words}.`,
    explain: 'Piecewise constant, so no gradient flows through it. Use it to build masks in a backward block, e.g. `dx = dout * (x > 0)`.',
    noGrad: true,
    run,
    work: [3, 0],
  });
}

// One loop per comparison (not one loop calling a comparator): a shared loop calling five
// different comparators runs several times slower once it has seen more than one. `+(a > b)`
// rather than `a > b ? 1 : 0`: no branch to mispredict on random data.
export const gt = comparison('gt', '>', 'greater than', (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = +(a[ai + k * as] > b[bi + k * bs]);
});
export const lt = comparison('lt', '<', 'less than', (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = +(a[ai + k * as] < b[bi + k * bs]);
});
export const ge = comparison('ge', '>=', 'greater or equal', (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = +(a[ai + k * as] >= b[bi + k * bs]);
});
export const le = comparison('le', '<=', 'less or equal', (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = +(a[ai + k * as] <= b[bi + k * bs]);
});
export const eq = comparison('eq', '==', 'equal', (a, ai, as, b, bi, bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = +(a[ai + k * as] === b[bi + k * bs]);
});

export const ARITHMETIC_OPS: OpDef[] = [add, sub, mul, div, pow, matmul, transposeT, transpose, index, gt, lt, ge, le, eq];
