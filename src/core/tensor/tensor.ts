// Dense float64 tensors, row-major and always contiguous. Operations return new tensors; nothing
// here knows about graphs or gradients.
import { resultBuffer } from './results';

export class Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;

  constructor(shape: readonly number[], data?: Float64Array) {
    this.shape = shape;
    const n = sizeOf(shape);
    this.data = data ?? new Float64Array(n);
    if (this.data.length !== n) throw new Error(`internal: tensor data length ${this.data.length} != ${n} for shape [${shape.join(', ')}]`);
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The single value of a scalar (or one-element) tensor. */
  item(): number {
    return this.data[0];
  }

  clone(): Tensor {
    return new Tensor(this.shape, this.data.slice());
  }

  reshaped(shape: readonly number[]): Tensor {
    return new Tensor(shape, this.data);
  }

  static scalar(v: number): Tensor {
    const t = new Tensor([]);
    t.data[0] = v;
    return t;
  }

  static full(shape: readonly number[], v: number): Tensor {
    const t = new Tensor(shape);
    if (v !== 0) t.data.fill(v);
    return t;
  }

  static zeros(shape: readonly number[]): Tensor {
    return new Tensor(shape);
  }

  static zerosLike(t: Tensor): Tensor {
    return new Tensor(t.shape);
  }

  /**
   * A zeroed tensor that an op returns as its result (a value, or a gradient it sends): fresh, or
   * during a pass whose results are recycled a buffer of the previous run's (results.ts). Only for
   * what the op returns, never a temporary: a recycled buffer is handed out again on the next run.
   * `written`: the op sets every entry itself, so a recycled buffer is not zeroed first (it holds
   * the previous run's numbers until then).
   */
  static result(shape: readonly number[], written = false): Tensor {
    return new Tensor(shape, resultBuffer(sizeOf(shape), written));
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Row-major multi-index of a flat offset. */
export function unravel(offset: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = offset % shape[i];
    offset = Math.floor(offset / shape[i]);
  }
  return idx;
}

export function ravel(index: readonly number[], shape: readonly number[]): number {
  let off = 0;
  for (let i = 0; i < shape.length; i++) off = off * shape[i] + index[i];
  return off;
}

/** numpy broadcast of concrete shapes; null if they do not broadcast. */
export function broadcastSizes(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let k = 0; k < rank; k++) {
    const da = k - (rank - a.length) >= 0 ? a[k - (rank - a.length)] : 1;
    const db = k - (rank - b.length) >= 0 ? b[k - (rank - b.length)] : 1;
    if (da === db || db === 1) out[k] = da;
    else if (da === 1) out[k] = db;
    else return null;
  }
  return out;
}

/** Strides of `shape` viewed as `outShape` under broadcasting (0 on broadcast axes). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const own = stridesOf(shape);
  const s = new Array<number>(rank).fill(0);
  for (let k = 0; k < shape.length; k++) {
    const j = rank - shape.length + k;
    s[j] = shape[k] === 1 && outShape[j] !== 1 ? 0 : own[k];
  }
  return s;
}

/**
 * Kernel over one contiguous run of the output: o[oi + k] = f(a[ai + k*as], b[bi + k*bs]) for k < n.
 * One call per run keeps the per-element loop monomorphic and tight.
 */
export type BinaryRun = (
  a: Float64Array,
  ai: number,
  as: number,
  b: Float64Array,
  bi: number,
  bs: number,
  o: Float64Array,
  oi: number,
  n: number,
) => void;

/**
 * Applies a broadcasting binary kernel; `outShape` must be the broadcast of both shapes. `result`:
 * the output is the op's result (Tensor.result), not a temporary.
 */
export function binaryBroadcast(a: Tensor, b: Tensor, outShape: readonly number[], run: BinaryRun, result = false): Tensor {
  // Every entry is written below (the runs cover the output).
  const out = result ? Tensor.result(outShape, true) : new Tensor(outShape);
  const n = out.size;
  if (n === 0) return out;
  if (sameShape(a.shape, outShape) && sameShape(b.shape, outShape)) {
    run(a.data, 0, 1, b.data, 0, 1, out.data, 0, n);
    return out;
  }
  if (b.size === 1 && sameShape(a.shape, outShape)) {
    run(a.data, 0, 1, b.data, 0, 0, out.data, 0, n);
    return out;
  }
  if (a.size === 1 && sameShape(b.shape, outShape)) {
    run(a.data, 0, 0, b.data, 0, 1, out.data, 0, n);
    return out;
  }
  const rank = outShape.length;
  const inner = outShape[rank - 1];
  // One operand a row of the other (a bias): the runs of the loop below, without its index work.
  if (isRowOf(b, inner) && sameShape(a.shape, outShape)) {
    for (let o = 0; o < n; o += inner) run(a.data, o, 1, b.data, 0, 1, out.data, o, inner);
    return out;
  }
  if (isRowOf(a, inner) && sameShape(b.shape, outShape)) {
    for (let o = 0; o < n; o += inner) run(a.data, 0, 1, b.data, o, 1, out.data, o, inner);
    return out;
  }
  const sa = broadcastStrides(a.shape, outShape);
  const sb = broadcastStrides(b.shape, outShape);
  const ia = sa[rank - 1];
  const ib = sb[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < n; o += inner) {
    run(a.data, offA, ia, b.data, offB, ib, out.data, o, inner);
    // advance the multi-index over all but the last axis
    for (let k = rank - 2; k >= 0; k--) {
      idx[k]++;
      offA += sa[k];
      offB += sb[k];
      if (idx[k] < outShape[k]) break;
      offA -= sa[k] * outShape[k];
      offB -= sb[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/** Whether `t` is one row of `inner` entries (shape [..., 1, inner]), broadcast along every other axis. */
function isRowOf(t: Tensor, inner: number): boolean {
  return t.rank > 0 && t.size === inner && t.shape[t.rank - 1] === inner;
}

const takeFirst: BinaryRun = (a, ai, as, _b, _bi, _bs, o, oi, n) => {
  for (let k = 0; k < n; k++) o[oi + k] = a[ai + k * as];
};

/** Copies `t` broadcast to `shape` (numpy.broadcast_to, materialised). */
export function broadcastTo(t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  return binaryBroadcast(t, t, shape, takeFirst);
}

/** Sums `grad` (shaped like a broadcast result) back down to `shape`: the gradient of broadcasting (an op's result). */
export function unbroadcast(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const out = Tensor.result(shape);
  const outShape = grad.shape;
  const rank = outShape.length;
  const n = grad.size;
  if (n === 0) return out;
  if (out.size === 1) {
    let acc = 0;
    const g = grad.data;
    for (let i = 0; i < n; i++) acc += g[i];
    out.data[0] = acc;
    return out;
  }
  const inner = outShape[rank - 1];
  const g = grad.data;
  const od = out.data;
  if (isRowOf(out, inner)) {
    sumRows(g, n, inner, od);
    return out;
  }
  const s = broadcastStrides(shape, outShape);
  const idx = new Array<number>(rank).fill(0);
  const is = s[rank - 1];
  let off = 0;
  for (let o = 0; o < n; o += inner) {
    if (is === 0) {
      let acc = 0;
      for (let k = 0; k < inner; k++) acc += g[o + k];
      od[off] += acc;
    } else {
      for (let k = 0; k < inner; k++) od[off + k] += g[o + k];
    }
    for (let k = rank - 2; k >= 0; k--) {
      idx[k]++;
      off += s[k];
      if (idx[k] < outShape[k]) break;
      off -= s[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * A bias's gradient: od[k] = the sum of g[k], g[inner + k], … over the rows, added in row order
 * from +0 as the general loop of unbroadcast does (the same bits). Four columns at a time, each
 * in a register: about three times faster than adding every row into `od`.
 */
function sumRows(g: Float64Array, n: number, inner: number, od: Float64Array): void {
  let k = 0;
  for (; k + 3 < inner; k += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let o = k; o < n; o += inner) {
      s0 += g[o];
      s1 += g[o + 1];
      s2 += g[o + 2];
      s3 += g[o + 3];
    }
    od[k] = s0;
    od[k + 1] = s1;
    od[k + 2] = s2;
    od[k + 3] = s3;
  }
  for (; k < inner; k++) {
    let s0 = 0;
    for (let o = k; o < n; o += inner) s0 += g[o];
    od[k] = s0;
  }
}

/** Views a shape as [outer, len, inner] around `axis`. */
export function aroundAxis(shape: readonly number[], axis: number): { outer: number; len: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, len: shape[axis], inner };
}

/** Permutes axes (general transpose). */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const rank = x.rank;
  const outShape = axes.map((a) => x.shape[a]);
  const out = new Tensor(outShape);
  const n = x.size;
  if (n === 0) return out;
  if (rank === 2 && axes[0] === 1) {
    const [r, c] = x.shape;
    const src = x.data;
    const dst = out.data;
    // Blocked transpose keeps both sides in cache.
    const B = 32;
    for (let i0 = 0; i0 < r; i0 += B) {
      const i1 = Math.min(r, i0 + B);
      for (let j0 = 0; j0 < c; j0 += B) {
        const j1 = Math.min(c, j0 + B);
        for (let i = i0; i < i1; i++) for (let j = j0; j < j1; j++) dst[j * r + i] = src[i * c + j];
      }
    }
    return out;
  }
  const inStrides = stridesOf(x.shape);
  const s = axes.map((a) => inStrides[a]);
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  const src = x.data;
  const dst = out.data;
  for (let o = 0; o < n; o++) {
    dst[o] = src[off];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      off += s[k];
      if (idx[k] < outShape[k]) break;
      off -= s[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return out;
}

export function inversePermutation(axes: readonly number[]): number[] {
  const inv = new Array<number>(axes.length);
  axes.forEach((a, i) => (inv[a] = i));
  return inv;
}

/** Builds a tensor from a nested number array, checking that it is rectangular. */
export function fromNested(v: unknown): Tensor | string {
  const shape: number[] = [];
  let cur = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  const out = new Tensor(shape);
  let k = 0;
  const walk = (node: unknown, depth: number): string | null => {
    if (depth === shape.length) {
      if (typeof node !== 'number') return 'ragged list';
      out.data[k++] = node;
      return null;
    }
    if (!Array.isArray(node) || node.length !== shape[depth]) return 'ragged list';
    for (const c of node) {
      const e = walk(c, depth + 1);
      if (e) return e;
    }
    return null;
  };
  const err = walk(v, 0);
  return err ?? out;
}

export function addInto(dst: Tensor, src: Tensor): void {
  const d = dst.data;
  const s = src.data;
  for (let i = 0; i < d.length; i++) d[i] += s[i];
}

export function norm(t: Tensor): number {
  let acc = 0;
  const d = t.data;
  for (let i = 0; i < d.length; i++) acc += d[i] * d[i];
  return Math.sqrt(acc);
}
