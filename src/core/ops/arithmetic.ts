// Arithmetic: + - * / ** @, transposes and indexing. These are the gates of the lecture:
// add distributes, mul switches, and a value used twice adds up its gradients.
import { broadcastShapes, fail, ok } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, lit, namesConflict, derived, type Dim, type Shape } from '../shapes/shape';
import { gemmNN, gemmNT, gemmTN } from '../tensor/matmul';
import { broadcastSizes, broadcastStrides, inversePermutation, permute, stridesOf, Tensor, type BinaryRun } from '../tensor/tensor';
import { addRun, defineBinary, divRun, mulRun, subRun, zip } from './kit';
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { COST, entries, gemmCost, needed } from './cost';
import type { Attrs, IndexSpec, OpDef } from './op';

export const add = defineBinary({
  id: 'add',
  // Backward passes the upstream gradient on as it is.
  work: [3, 0],
  traits: { affine: true },
  derive: ({ grad }) => [grad, grad],
  name: '+',
  summary: 'Elementwise sum, broadcasting like numpy.',
  explain: 'A distributor: passes the upstream gradient unchanged to both inputs. A broadcast input (a bias) receives the sum over the axes it was stretched along.',
  run: addRun,
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

// ------------------------------------------------------------------ matrix product

interface MatmulPlan {
  M: number;
  K: number;
  N: number;
  batch: number[];
  aBatchStrides: number[];
  bBatchStrides: number[];
  outShape: number[];
}

function planMatmul(aShape: readonly number[], bShape: readonly number[]): MatmulPlan {
  const a2 = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const b2 = bShape.length === 1 ? [bShape[0], 1] : bShape;
  const M = a2[a2.length - 2];
  const K = a2[a2.length - 1];
  const N = b2[b2.length - 1];
  const batchA = a2.slice(0, -2);
  const batchB = b2.slice(0, -2);
  const batch = broadcastSizes(batchA, batchB);
  if (!batch) throw new Error('internal: matmul batch dimensions do not broadcast');
  const sa = batchA.length ? broadcastStrides(batchA, batch).map((s) => s * M * K) : batch.map(() => 0);
  const sb = batchB.length ? broadcastStrides(batchB, batch).map((s) => s * K * N) : batch.map(() => 0);
  const outShape = [...batch];
  if (aShape.length > 1) outShape.push(M);
  if (bShape.length > 1) outShape.push(N);
  return { M, K, N, batch, aBatchStrides: sa, bBatchStrides: sb, outShape };
}

function forEachBatch(plan: MatmulPlan, f: (aOff: number, bOff: number, outIndex: number) => void): void {
  const { batch, aBatchStrides, bBatchStrides } = plan;
  const count = batch.reduce((x, y) => x * y, 1);
  const idx = new Array<number>(batch.length).fill(0);
  let aOff = 0;
  let bOff = 0;
  for (let t = 0; t < count; t++) {
    f(aOff, bOff, t);
    for (let k = batch.length - 1; k >= 0; k--) {
      idx[k]++;
      aOff += aBatchStrides[k];
      bOff += bBatchStrides[k];
      if (idx[k] < batch[k]) break;
      aOff -= aBatchStrides[k] * batch[k];
      bOff -= bBatchStrides[k] * batch[k];
      idx[k] = 0;
    }
  }
}

/** For matmul's backward: whether a product into the block at `off` adds to it (all but the first). */
function addsAfterFirst(): (off: number) => boolean {
  const seen = new Set<number>();
  return (off) => {
    if (seen.has(off)) return true;
    seen.add(off);
    return false;
  };
}

/** a is [..., M, K] with batch dimensions and b a plain [K, N]: the batches stack as rows. */
function stacksRows(a: Tensor, b: Tensor): boolean {
  return a.rank >= 3 && b.rank === 2;
}

function matmulShape(label: string, a: Shape, b: Shape): ReturnType<typeof ok> | ReturnType<typeof fail> {
  if (a.length === 0 || b.length === 0) {
    return fail(`${label} needs operands of rank 1 or more, found ${formatShape(a)} ${label} ${formatShape(b)}; use * to scale by a scalar`, a.length === 0 ? 0 : 1, 'matmul-shape');
  }
  const inner = a[a.length - 1];
  const innerB = b.length === 1 ? b[0] : b[b.length - 2];
  if (!dimsEqual(inner, innerB)) {
    return fail(
      `${label} cannot multiply ${formatShape(a)} by ${formatShape(b)}: inner dimensions ${inner.sym} and ${innerB.sym} differ${formatDimValues(a, b)}`,
      undefined,
      'matmul-shape',
    );
  }
  const conflicts: [Dim, Dim][] = namesConflict(inner, innerB) ? [[inner, innerB]] : [];
  const batchA = a.length > 2 ? a.slice(0, -2) : [];
  const batchB = b.length > 2 ? b.slice(0, -2) : [];
  let batch: Shape = [];
  if (batchA.length || batchB.length) {
    const r = broadcastShapes(`${label} (batch dimensions)`, [batchA, batchB]);
    if (!r.ok) return r;
    batch = r.shape;
    if (r.conflicts) conflicts.push(...r.conflicts);
  }
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a[a.length - 2]);
  if (b.length > 1) out.push(b[b.length - 1]);
  return ok(out, conflicts);
}

export const matmul: OpDef = {
  id: 'matmul',
  matrixProduct: true,
  affine: true,
  weighted: true,
  derive({ grad, args: [a, b], types: [ta, tb] }) {
    const ra = ta.shape.length;
    const rb = tb.shape.length;
    // Swap the last two axes (for batched operands .T would reverse all of them).
    const swap = (x: Expr, r: number) => (r <= 2 ? E.T(x) : E.call('transpose', [x], { axes: E.ints([...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]) }));
    if (ra === 1 && rb === 1) return [E.bin('*', grad, b), E.bin('*', grad, a)];
    const col = (x: Expr) => E.call('reshape', [x, E.list([E.num(-1), E.num(1)])]);
    const row = (x: Expr) => E.call('reshape', [x, E.list([E.num(1), E.num(-1)])]);
    if (ra === 1) return [E.bin('@', b, grad), E.bin('@', col(a), row(grad))];
    if (rb === 1) return [E.bin('@', col(grad), row(b)), E.bin('@', swap(a, ra), grad)];
    return [E.bin('@', grad, swap(b, rb)), E.bin('@', swap(a, ra), grad)];
  },
  name: '@',
  group: 'arithmetic',
  signature: [
    { name: 'a', kind: 'tensor', doc: 'left matrix (or vector)' },
    { name: 'b', kind: 'tensor', doc: 'right matrix (or vector)' },
  ],
  summary: 'Matrix product with numpy rules: 1-D operands are vectors, leading dimensions batch.',
  explain:
    'For C = A @ B: dA = dC @ Bᵀ and dB = Aᵀ @ dC. Each is the only arrangement of the two operands with the shape of the input it belongs to — dimension analysis finds it.',
  shape: (ctx) => matmulShape(ctx.label, ctx.types[0].shape, ctx.types[1].shape),
  forward([a, b]) {
    const p = planMatmul(a.shape, b.shape);
    const out = new Tensor(p.outShape);
    const mn = p.M * p.N;
    // A batch of matrices times one matrix is one product over all the rows (same sums, one call).
    if (stacksRows(a, b)) gemmNN(out.size / p.N, p.N, p.K, a.data, 0, b.data, 0, out.data, 0, false);
    else forEachBatch(p, (aOff, bOff, t) => gemmNN(p.M, p.N, p.K, a.data, aOff, b.data, bOff, out.data, t * mn, false));
    return { value: out };
  },
  backward({ inputs: [a, b], grad, needs }) {
    const p = planMatmul(a.shape, b.shape);
    const mn = p.M * p.N;
    const da = needs[0] ? new Tensor(a.shape) : null;
    const db = needs[1] ? new Tensor(b.shape) : null;
    // The first product into a block of a fresh (+0) gradient sets it instead of adding to it: the
    // same bits, since a sum that starts from +0 is never −0 and so +0 + sum = sum; and it spares
    // reading the zeros (a plain 2-D product has one batch: both gradients are set).
    const addsA = addsAfterFirst();
    const addsB = addsAfterFirst();
    if (da && stacksRows(a, b)) {
      // dA's rows each belong to one batch: one product. dB sums over batches, kept in batch order.
      gemmNT(a.size / p.K, p.K, p.N, grad.data, 0, b.data, 0, da.data, 0, false);
      if (db) forEachBatch(p, (aOff, bOff, t) => gemmTN(p.K, p.N, p.M, a.data, aOff, grad.data, t * mn, db.data, bOff, addsB(bOff)));
      return [da, db];
    }
    forEachBatch(p, (aOff, bOff, t) => {
      // dA[M,K] += G[M,N] · B[K,N]ᵀ ;  dB[K,N] += A[M,K]ᵀ · G[M,N]
      if (da) gemmNT(p.M, p.K, p.N, grad.data, t * mn, b.data, bOff, da.data, aOff, addsA(aOff));
      if (db) gemmTN(p.K, p.N, p.M, a.data, aOff, grad.data, t * mn, db.data, bOff, addsB(bOff));
    });
    return [da, db];
  },
  // One GEMM per batch forward, two back (dA and dB).
  cost: ([a, b]) => {
    const p = planMatmul(a, b);
    return MATMUL_SETUP + batches(p) * gemmCost(p.M, p.N, p.K);
  },
  backwardCost: ([a, b], _out, _attrs, needs) => {
    const p = planMatmul(a, b);
    return MATMUL_SETUP + batches(p) * ((needed(needs, 0) ? gemmCost(p.M, p.K, p.N) : 0) + (needed(needs, 1) ? gemmCost(p.K, p.N, p.M) : 0));
  },
};

/** Planning a product (its batch dimensions and strides), whatever its size. */
const MATMUL_SETUP = 1500;

function batches(p: MatmulPlan): number {
  return p.batch.reduce((x, y) => x * y, 1);
}

// ------------------------------------------------------------------ transposes

function reversedAxes(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

export const transposeT: OpDef = {
  id: 'T',
  derive: ({ grad }) => [E.T(grad)],
  name: '.T',
  group: 'arithmetic',
  signature: [{ name: 'x', kind: 'tensor', doc: 'tensor to transpose' }],
  summary: 'Transpose: reverses the axes (numpy `.T`); a no-op on vectors and scalars.',
  preservesInt: true,
  explain: 'Transposes the upstream gradient back: the gradient of Xᵀ is (dXᵀ)ᵀ.',
  shape: (ctx) => ok([...ctx.types[0].shape].reverse()),
  forward([x]) {
    return { value: x.rank < 2 ? x : permute(x, reversedAxes(x.rank)) };
  },
  backward({ inputs: [x], grad }) {
    return [x.rank < 2 ? grad : permute(grad, reversedAxes(x.rank))];
  },
  cost: ([x]) => (x.length < 2 ? 0 : permuteCost(x)),
  backwardCost: ([x]) => (x.length < 2 ? 0 : permuteCost(x)),
};

/** A permutation copies every entry: a blocked loop for a 2-D transpose, an index walk otherwise. */
function permuteCost(shape: readonly number[]): number {
  return (shape.length === 2 ? 1.3 * COST.entry : 2 * COST.entry) * entries(shape);
}

export const transpose: OpDef = {
  id: 'transpose',
  derive({ grad, attrs, types: [t] }) {
    const inv = inversePermutation(permAxes(attrs, t.shape.length));
    return [E.call('transpose', [grad], { axes: E.ints(inv) })];
  },
  name: 'transpose',
  group: 'shape',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'tensor' },
    { name: 'axes', kind: 'ints', default: null, doc: 'permutation of the axes (default: reversed)' },
  ],
  summary: 'Permutes the axes: transpose(x, [1, 0, 2]); without axes reverses them.',
  preservesInt: true,
  explain: 'Applies the inverse permutation to the upstream gradient.',
  shape(ctx, attrs) {
    const s = ctx.types[0].shape;
    const axes = (attrs.axes as number[] | null) ?? reversedAxes(s.length);
    const norm = axes.map((a) => (a < 0 ? a + s.length : a));
    const valid = norm.length === s.length && norm.every((a) => a >= 0 && a < s.length) && new Set(norm).size === s.length;
    if (!valid) return fail(`transpose: [${axes.join(', ')}] is not a permutation of the ${s.length} axes of ${formatShape(s)}`, undefined, 'bad-argument');
    return ok(norm.map((a) => s[a]));
  },
  forward([x], attrs) {
    return { value: permute(x, permAxes(attrs, x.rank)) };
  },
  backward({ inputs: [x], grad, attrs }) {
    return [permute(grad, inversePermutation(permAxes(attrs, x.rank)))];
  },
  cost: ([x]) => permuteCost(x),
  backwardCost: ([x]) => permuteCost(x),
};

function permAxes(attrs: Attrs, rank: number): number[] {
  const axes = (attrs.axes as number[] | null) ?? reversedAxes(rank);
  return axes.map((a) => (a < 0 ? a + rank : a));
}

// ------------------------------------------------------------------ indexing

interface AxisSelection {
  /** Source positions along the axis. */
  picks: number[];
  /** Whether the axis survives in the output. */
  keep: boolean;
}

function sliceBounds(start: number | null, stop: number | null, n: number): [number, number] {
  const norm = (v: number) => Math.max(0, Math.min(n, v < 0 ? v + n : v));
  const s = start === null ? 0 : norm(start);
  const e = stop === null ? n : norm(stop);
  return [s, Math.max(s, e)];
}

function selections(shape: readonly number[], items: IndexSpec[]): AxisSelection[] {
  return shape.map((n, axis) => {
    const it = items[axis];
    if (!it) return { picks: Array.from({ length: n }, (_, i) => i), keep: true };
    if (it.kind === 'at') return { picks: [it.value < 0 ? it.value + n : it.value], keep: false };
    const [s, e] = sliceBounds(it.start, it.stop, n);
    return { picks: Array.from({ length: e - s }, (_, i) => s + i), keep: true };
  });
}

/** Calls f(outOffset, srcOffset) for every selected element, in row-major output order. */
function forEachPick(shape: readonly number[], sel: AxisSelection[], f: (o: number, s: number) => void): void {
  const strides = stridesOf(shape);
  const counts = sel.map((a) => a.picks.length);
  const total = counts.reduce((x, y) => x * y, 1);
  if (total === 0) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < total; o++) {
    let src = 0;
    for (let k = 0; k < shape.length; k++) src += sel[k].picks[idx[k]] * strides[k];
    f(o, src);
    for (let k = shape.length - 1; k >= 0; k--) {
      idx[k]++;
      if (idx[k] < counts[k]) break;
      idx[k] = 0;
    }
  }
}

export const index: OpDef = {
  id: 'index',
  derive({ grad, args: [x], attrs }) {
    const items = attrs.items as IndexSpec[];
    if (items.some((i) => i.kind === 'slice')) return 'GradLens cannot write the gradient of a slice as .grad text yet; index single positions, or pass the slice as a gate input';
    return [E.call('index_grad', [grad, x], { at: E.ints(items.map((i) => (i.kind === 'at' ? i.value : 0))) })];
  },
  name: '[]',
  group: 'arithmetic',
  signature: [{ name: 'x', kind: 'tensor', doc: 'tensor to index' }],
  summary: 'Indexing with integer literals and slices: x[0], x[-1], x[1, 2], x[1:3].',
  preservesInt: true,
  explain: 'Routes the upstream gradient back to the selected positions; every other position gets 0.',
  shape(ctx, attrs) {
    const s = ctx.types[0].shape;
    const items = attrs.items as IndexSpec[];
    if (items.length > s.length) {
      return fail(`too many indices for ${formatShape(s)}: ${items.length} given, the tensor has ${s.length} axes`, undefined, 'bad-argument');
    }
    const out: Dim[] = [];
    for (let axis = 0; axis < s.length; axis++) {
      const d = s[axis];
      const it = items[axis];
      if (!it) {
        out.push(d);
        continue;
      }
      if (it.kind === 'at') {
        if (d.size !== null && (it.value >= d.size || it.value < -d.size)) {
          return fail(`index ${it.value} is out of range for axis ${axis} of ${formatShape(s)} (size ${d.size}${d.origin === 'name' ? `, ${d.sym}=${d.size}` : ''})`, undefined, 'bad-argument');
        }
        continue;
      }
      if (it.start === null && it.stop === null) out.push(d);
      else if (d.size !== null) {
        const [a, b] = sliceBounds(it.start, it.stop, d.size);
        out.push(lit(b - a));
      } else out.push(derived(`${d.sym}[${it.start ?? ''}:${it.stop ?? ''}]`, null));
    }
    return ok(out);
  },
  forward([x], attrs) {
    const items = attrs.items as IndexSpec[];
    const sel = selections(x.shape, items);
    const outShape = sel.filter((a) => a.keep).map((a) => a.picks.length);
    const out = new Tensor(outShape);
    forEachPick(x.shape, sel, (o, s) => (out.data[o] = x.data[s]));
    return { value: out };
  },
  backward({ inputs: [x], grad, attrs }) {
    const sel = selections(x.shape, attrs.items as IndexSpec[]);
    const dx = new Tensor(x.shape);
    forEachPick(x.shape, sel, (o, s) => (dx.data[s] += grad.data[o]));
    return [dx];
  },
  cost: ([x], out) => indexCost(x, out),
  // A gradient the size of x, zero but for the picked entries.
  backwardCost: ([x], out) => indexCost(x, out) + COST.zeros * entries(x),
};

/** Indexing walks the picked entries one callback each, after listing every axis' picks. */
export function indexCost(x: readonly number[], out: readonly number[]): number {
  return 5 * COST.entry * entries(out) + x.reduce((a, b) => a + b, 0);
}

export const ARITHMETIC_OPS: OpDef[] = [add, sub, mul, div, pow, matmul, transposeT, transpose, index, gt, lt, ge, le, eq];

