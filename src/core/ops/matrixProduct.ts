// The matrix product @ (numpy matmul semantics: vectors promoted, batch axes broadcast), computed
// by the GEMM kernels; its backward is two more products.
import { broadcastShapes, fail, ok } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, namesConflict, type Dim, type Shape } from '../shapes/shape';
import { gemmNN, gemmNT, gemmPair, gemmTN, productNT, productTN } from '../tensor/matmul';
import { broadcastSizes, broadcastStrides, Tensor } from '../tensor/tensor';
import type { Expr } from '../lang/ast';
import { E } from '../lang/print';
import { gemmCost, needed } from './cost';
import type { OpDef } from './op';

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
    if (a.rank === 2 && b.rank === 2) {
      // A plain product: no batch to plan (the commonest case, and per node the planning showed).
      // The product sets every entry (it does not add to the output).
      const out = Tensor.result([a.shape[0], b.shape[1]], true);
      gemmNN(a.shape[0], b.shape[1], a.shape[1], a.data, 0, b.data, 0, out.data, 0, false);
      return { value: out };
    }
    const p = planMatmul(a.shape, b.shape);
    // Every block is set by its batch's product: a pooled buffer needs no zeros first.
    const out = Tensor.result(p.outShape, true);
    const mn = p.M * p.N;
    // A batch of matrices times one matrix is one product over all the rows (same sums, one call).
    if (stacksRows(a, b)) gemmNN(out.size / p.N, p.N, p.K, a.data, 0, b.data, 0, out.data, 0, false);
    else forEachBatch(p, (aOff, bOff, t) => gemmNN(p.M, p.N, p.K, a.data, aOff, b.data, bOff, out.data, t * mn, false));
    return { value: out };
  },
  backward({ inputs: [a, b], grad, needs }) {
    if (a.rank === 2 && b.rank === 2) {
      // One batch: both gradients are set, as below.
      const [M, K] = a.shape;
      const N = b.shape[1];
      const da = needs[0] ? Tensor.result(a.shape, true) : null;
      const db = needs[1] ? Tensor.result(b.shape, true) : null;
      // Independent products: one on each core where they are large enough (gemmPair).
      gemmPair(da && productNT(M, K, N, grad.data, 0, b.data, 0, da.data, 0, false), db && productTN(K, N, M, a.data, 0, grad.data, 0, db.data, 0, false));
      return [da, db];
    }
    const p = planMatmul(a.shape, b.shape);
    const mn = p.M * p.N;
    // The first product into a block of a fresh (+0) gradient sets it instead of adding to it: the
    // same bits, since a sum that starts from +0 is never −0 and so +0 + sum = sum; and it spares
    // reading the zeros (a plain 2-D product has one batch: both gradients are set). Every block of
    // an operand is read by some batch, so every block of its gradient is set: no zeros needed.
    const da = needs[0] ? Tensor.result(a.shape, true) : null;
    const db = needs[1] ? Tensor.result(b.shape, true) : null;
    if (stacksRows(a, b)) {
      // dA's rows each belong to one batch: one product. dB sums over every row of every batch:
      // one product over the stacked rows, as PyTorch folds the batch (one sum per entry in row
      // order, not a sum per batch added up).
      const rows = a.size / p.K;
      gemmPair(da && productNT(rows, p.K, p.N, grad.data, 0, b.data, 0, da.data, 0, false), db && productTN(p.K, p.N, rows, a.data, 0, grad.data, 0, db.data, 0, false));
      return [da, db];
    }
    const addsA = addsAfterFirst();
    const addsB = addsAfterFirst();
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
