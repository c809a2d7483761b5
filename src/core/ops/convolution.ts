// Convolution over [N, C, H, W] images: conv2d lowers each image to a patch matrix (im2col) so
// that the forward pass and both weight/input gradients are plain matrix products. Pooling, the
// other image op, is in pooling.ts; CONVOLUTION_OPS lists both for the registry.
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, dimWindow, formatDimValues, formatShape, namesConflict, type Dim, type Shape } from '../shapes/shape';
import { gemmNN, gemmPair, productNN, productNT, type GemmArgs } from '../tensor/matmul';
import { COST, needed } from './cost';
import { productBuffer, resultBuffer } from '../tensor/results';
import { simdAddRuns } from '../tensor/simdElementwise';
import { Tensor } from '../tensor/tensor';
import { attrOr, type Attrs, type OpDef } from './op';
import { avgPool2d, maxPool2d } from './pooling';

export { avgPool2d, maxPool2d } from './pooling';

/** `H=5` style note for one dimension, when it is a name with a known size. */
function dimNote(d: Dim): string {
  return d.origin !== 'literal' && d.size !== null ? ` (${d.sym}=${d.size})` : '';
}

// ------------------------------------------------------------------ conv2d

/** Most patch entries (floats) a forward pass keeps for its backward pass: 64 MB. */
const SAVED_PATCHES_LIMIT = 1 << 23;

/**
 * Most entries of a patch matrix built at once (8 MB): larger images are lowered a band of output
 * rows at a time, so conv2d's working memory is bounded whatever the image and kernel sizes.
 */
export const PATCH_TILE = 1 << 20;

export interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  F: number;
  kh: number;
  kw: number;
  stride: number;
  pad: number;
  Ho: number;
  Wo: number;
}

function convGeometry(xShape: readonly number[], wShape: readonly number[], attrs: Attrs): ConvGeometry {
  const [N, C, H, W] = xShape;
  const [F, , kh, kw] = wShape;
  const stride = attrOr(attrs, 'stride', 1);
  const pad = attrOr(attrs, 'pad', 0);
  const Ho = Math.floor((H + 2 * pad - kh) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - kw) / stride) + 1;
  return { N, C, H, W, F, kh, kw, stride, pad, Ho, Wo };
}

/** How conv2d lays out its work at these sizes: kept patches or bands of output rows. */
interface ConvPlan {
  /** Patch rows per image (taps), without the row of ones. */
  K: number;
  /** Output positions per image. */
  P: number;
  /** Whether forward keeps every image's patches (with their row of ones) for backward. */
  keep: boolean;
  /** Output rows lowered at once (Ho: the whole image). */
  rows: number;
}

function convPlan(g: ConvGeometry, forwardOnly: boolean): ConvPlan {
  const K = g.C * g.kh * g.kw;
  const P = g.Ho * g.Wo;
  const keep = !forwardOnly && g.N * (K + 1) * P <= SAVED_PATCHES_LIMIT;
  const rows = Math.max(1, Math.min(g.Ho, Math.floor(PATCH_TILE / Math.max(1, (K + 1) * g.Wo))));
  return { K, P, keep, rows };
}

/** Output columns [lo, hi) whose kernel tap j lands inside the input row (not in the padding). */
function validRange(j: number, g: ConvGeometry): [number, number] {
  const { W, stride, pad, Wo } = g;
  const lo = Math.min(Wo, Math.max(0, Math.ceil((pad - j) / stride)));
  const hi = Math.max(lo, Math.min(Wo, Math.floor((W - 1 + pad - j) / stride) + 1));
  return [lo, hi];
}

/**
 * Lays out the receptive fields of output rows [oy0, oy0 + rows) of one image as a patch matrix:
 * entry (r, p) with r = (c·kh + i)·kw + j and p = (oy − oy0)·Wo + ox is the input pixel that kernel
 * tap (c, i, j) sees at output position (oy, ox), 0 in the padding. It is stored at
 * cols[r·rs + p·ps]: rs = rows·Wo, ps = 1 gives [C·kh·kw, rows·Wo]; rs = 1, ps = C·kh·kw its transpose.
 */
function im2col(src: Float64Array, off: number, g: ConvGeometry, oy0: number, rows: number, cols: Float64Array, rs: number, ps: number): void {
  const { C, H, W, kh, kw, stride, pad, Wo } = g;
  if (ps === 1 && stride === 1 && Wo === W) {
    im2colSame(src, off, g, oy0, rows, cols, rs);
    return;
  }
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        // Hoisting the padding test out of the inner loop keeps it a branch-free strided copy.
        const [lo, hi] = validRange(j, g);
        for (let t = 0; t < rows; t++) {
          const dst = row * rs + t * Wo * ps;
          const iy = (oy0 + t) * stride - pad + i;
          if (iy < 0 || iy >= H) {
            for (let ox = 0; ox < Wo; ox++) cols[dst + ox * ps] = 0;
            continue;
          }
          for (let ox = 0; ox < lo; ox++) cols[dst + ox * ps] = 0;
          for (let ox = hi; ox < Wo; ox++) cols[dst + ox * ps] = 0;
          const s0 = off + (c * H + iy) * W + j - pad;
          // The common case (stride 1 into rows of the patch matrix) as a plain run copy.
          if (ps === 1 && stride === 1) for (let d = dst + lo, e = s0 + lo, end = dst + hi; d < end; d++, e++) cols[d] = src[e];
          else for (let ox = lo; ox < hi; ox++) cols[dst + ox * ps] = src[s0 + ox * stride];
        }
      }
    }
  }
}

/** Runs shorter than this are copied by a loop: a typed-array copy costs a view object first. */
const COPY_RUN = 64;

/**
 * im2col for stride 1 into rows of the patch matrix when the output is as wide as the input (the
 * "same" padding, 2·pad = kw − 1): a tap's valid rows are then one run of the image, W apart in
 * both, copied at once (a memory copy); the few entries that run across a row's end into the
 * padding columns are zeroed after. The same values as the general loop.
 */
function im2colSame(src: Float64Array, off: number, g: ConvGeometry, oy0: number, rows: number, cols: Float64Array, rs: number): void {
  const { C, H, W, kh, kw, pad, Wo } = g;
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      // Output rows t in [tlo, thi) see input row oy0 + t − pad + i inside the image.
      const tlo = Math.min(rows, Math.max(0, pad - i - oy0));
      const thi = Math.max(tlo, Math.min(rows, H + pad - i - oy0));
      for (let j = 0; j < kw; j++, row++) {
        const base = row * rs;
        if (tlo > 0) cols.fill(0, base, base + tlo * Wo);
        if (thi < rows) cols.fill(0, base + thi * Wo, base + rows * Wo);
        if (thi === tlo) continue;
        const [lo, hi] = validRange(j, g);
        const d0 = base + tlo * Wo + lo;
        const n = (thi - 1 - tlo) * Wo + hi - lo;
        const s0 = off + (c * H + oy0 + tlo - pad + i) * W + j - pad + lo;
        if (n >= COPY_RUN) cols.set(src.subarray(s0, s0 + n), d0);
        else for (let k = 0; k < n; k++) cols[d0 + k] = src[s0 + k];
        for (let t = tlo; t < thi; t++) {
          const d = base + t * Wo;
          for (let ox = 0; ox < lo; ox++) cols[d + ox] = 0;
          for (let ox = hi; ox < Wo; ox++) cols[d + ox] = 0;
        }
      }
    }
  }
}

/**
 * The adjoint of im2col (a band of `rows` output rows from oy0): every column entry adds back into
 * the pixel it was copied from. Exported for tests.
 */
export function col2im(cols: Float64Array, g: ConvGeometry, oy0: number, rows: number, dst: Float64Array, off: number): void {
  if (g.stride === 1 && col2imRuns(cols, g, oy0, rows, dst, off)) return;
  col2imLoop(cols, g, oy0, rows, dst, off);
}

let runScratch = new Int32Array(0);

/**
 * col2im at stride 1 on WebAssembly SIMD (simdAddRuns): each tap's row of valid columns is a run
 * of consecutive pixels, added two at a time, the runs in col2imLoop's order: the same bits
 * (convnet's col2im took 0.10–0.14 ms a call in JavaScript). False when the kernel cannot run.
 */
function col2imRuns(cols: Float64Array, g: ConvGeometry, oy0: number, rows: number, dst: Float64Array, off: number): boolean {
  const { C, H, W, kh, kw, pad, Wo } = g;
  const Pt = rows * Wo;
  if (runScratch.length < 3 * C * kh * kw * rows) runScratch = new Int32Array(3 * C * kh * kw * rows);
  const runs = runScratch;
  let count = 0;
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const [lo, hi] = validRange(j, g);
        if (hi === lo) continue;
        for (let t = 0; t < rows; t++) {
          const iy = oy0 + t - pad + i;
          if (iy < 0 || iy >= H) continue;
          runs[3 * count] = row * Pt + t * Wo + lo;
          runs[3 * count + 1] = (c * H + iy) * W + j - pad + lo;
          runs[3 * count + 2] = hi - lo;
          count++;
        }
      }
    }
  }
  return simdAddRuns(cols.subarray(0, C * kh * kw * Pt), dst.subarray(off, off + C * H * W), runs, count);
}

/** col2im in JavaScript, any stride. Exported for tests. */
export function col2imLoop(cols: Float64Array, g: ConvGeometry, oy0: number, rows: number, dst: Float64Array, off: number): void {
  const { C, H, W, kh, kw, stride, pad, Wo } = g;
  const Pt = rows * Wo;
  let row = 0;
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++, row++) {
        const [lo, hi] = validRange(j, g);
        for (let t = 0; t < rows; t++) {
          const iy = (oy0 + t) * stride - pad + i;
          if (iy < 0 || iy >= H) continue;
          const src = row * Pt + t * Wo;
          const d0 = off + (c * H + iy) * W + j - pad;
          for (let ox = lo; ox < hi; ox++) dst[d0 + ox * stride] += cols[src + ox];
        }
      }
    }
  }
}

function convShape(label: string, x: Shape, w: Shape, b: Shape, attrs: Attrs): ShapeResult {
  if (x.length !== 4) {
    return fail(
      `${label} expects x as [N, C, H, W], found ${formatShape(x)}; images need 4 axes (batch, channels, height, width): ` +
        `reshape the input (a single grayscale image is [1, 1, H, W])`,
      0,
      'shape-mismatch',
    );
  }
  if (w.length !== 4) {
    return fail(
      `${label} expects w as [F, C, kh, kw], found ${formatShape(w)}; ` +
        `declare the filters with 4 axes (filters, input channels, kernel height, kernel width)`,
      1,
      'shape-mismatch',
    );
  }
  if (b.length !== 1) {
    return fail(`${label} expects b as [F], found ${formatShape(b)}; it holds one bias per filter, so declare it as [${w[0].sym}] to match w ${formatShape(w)}`, 2, 'shape-mismatch');
  }
  const stride = attrOr(attrs, 'stride', 1);
  const pad = attrOr(attrs, 'pad', 0);
  if (!Number.isInteger(stride) || stride < 1) return fail(`${label}: stride must be an integer ≥ 1, found ${stride}; use stride=1 to visit every position`, 3, 'bad-argument');
  if (!Number.isInteger(pad) || pad < 0) return fail(`${label}: pad must be an integer ≥ 0, found ${pad}; use pad=0 for no padding`, 4, 'bad-argument');

  const [N, C, H, W] = x;
  const [F, wC, kH, kW] = w;
  if (kH.size === null || kW.size === null) {
    return fail(
      `${label}: the kernel size of w ${formatShape(w)} must be known, but ${kH.size === null ? kH.sym : kW.sym} has no size here; ` +
        `give the last two dimensions of w literal sizes or dimensions with values`,
      1,
      'shape-mismatch',
    );
  }
  const conflicts: [Dim, Dim][] = [];
  if (!dimsEqual(C, wC)) {
    return fail(
      `${label}: x ${formatShape(x)} has ${C.sym} input channels but w ${formatShape(w)} expects ${wC.sym}${formatDimValues(x, w)}; ` +
        `the second dimension of w must equal the channel dimension of x`,
      1,
      'shape-mismatch',
    );
  }
  if (namesConflict(C, wC)) conflicts.push([C, wC]);
  if (!dimsEqual(F, b[0])) {
    return fail(
      `${label}: b ${formatShape(b)} must have one bias per filter, i.e. [${F.sym}] to match w ${formatShape(w)}, but found ${b[0].sym}${formatDimValues(w, b)}; declare b as [${F.sym}]`,
      2,
      'shape-mismatch',
    );
  }
  if (namesConflict(F, b[0])) conflicts.push([F, b[0]]);
  const kh = kH.size;
  const kw = kW.size;
  const axes: [Dim, number, string][] = [
    [H, kh, 'height'],
    [W, kw, 'width'],
  ];
  for (const [d, k, word] of axes) {
    if (d.size !== null && d.size + 2 * pad < k) {
      const needed = Math.ceil((k - d.size) / 2);
      return fail(
        `${label}: the ${kh}×${kw} kernel is larger than the padded input: ${word} ${d.sym}${pad ? ` + 2·${pad}` : ''} = ${d.size + 2 * pad} < ${k}${dimNote(d)}; ` +
          `use a smaller kernel, pad=${needed} or a larger input`,
        1,
        'shape-mismatch',
      );
    }
  }
  // Prefer a named filter dimension for the output, for readable shapes downstream.
  const outF = F.origin !== 'name' && b[0].origin === 'name' ? b[0] : F;
  return ok([N, outF, dimWindow(H, kh, stride, pad), dimWindow(W, kw, stride, pad)], conflicts);
}

export const conv2d: OpDef = {
  id: 'conv2d',
  weighted: true,
  name: 'conv2d',
  group: 'convolution',
  productsInside: true,
  signature: [
    { name: 'x', kind: 'tensor', doc: 'images [N, C, H, W]' },
    { name: 'w', kind: 'tensor', doc: 'filters [F, C, kh, kw]' },
    { name: 'b', kind: 'tensor', doc: 'biases [F]' },
    { name: 'stride', kind: 'int', default: 1, doc: 'step between windows (≥ 1)' },
    { name: 'pad', kind: 'int', default: 0, doc: 'zero padding on every side (≥ 0)' },
  ],
  summary: '2-D convolution (cross-correlation, as in PyTorch) of [N, C, H, W] images with [F, C, kh, kw] filters plus a bias per filter → [N, F, Ho, Wo], Ho = ⌊(H + 2·pad − kh)/stride⌋ + 1.',
  explain:
    'Each weight is shared across positions, so its gradient is the sum over every position it touched: dw = Σ upstream × the input patch it saw. ' +
    'Each input pixel is reused by every window that covers it, and copies add: its gradient sums upstream × weight over those windows; padding receives nothing. ' +
    'The bias is added everywhere, so db is the upstream summed over the batch and all positions.',
  shape: (ctx, attrs) => convShape(ctx.label, ctx.types[0].shape, ctx.types[1].shape, ctx.types[2].shape, attrs),
  forward([x, w, b], attrs, ctx) {
    const g = convGeometry(x.shape, w.shape, attrs);
    const { N, C, H, W, F, Ho, Wo } = g;
    const { K, P, keep, rows } = convPlan(g, ctx?.forwardOnly === true);
    const out = Tensor.result([N, F, Ho, Wo], true);
    // The bias rides in the product as one more term: [w | b] (F×(K+1)) · [patches; ones], whose
    // sum ends with + b·1 = + b, exactly the bits of adding b to the product afterwards.
    const wb = resultBuffer(F * (K + 1), true);
    for (let f = 0; f < F; f++) {
      wb.set(w.data.subarray(f * K, (f + 1) * K), f * (K + 1));
      wb[f * (K + 1) + K] = b.data[f];
    }
    // Every image's patches are kept for the backward pass (dw needs them again) when they are
    // not too many; rebuilding them, transposed, cost about as much as the product itself.
    // In the kernel's memory where the loop keeps results there (productBuffer): the products read
    // them in place, forward and for dw, instead of copying each image's patches in (convnet
    // 0.96–0.97× in paired rounds).
    const R = (K + 1) * P;
    const all = keep ? productBuffer(N * R, true) : null;
    if (all) {
      // out[n] (F×P) = [w | b] (F×(K+1)) · [cols; 1] ((K+1)×P), two images at a time: independent
      // products, one on each core where they are large enough (gemmPair).
      const image = (n: number): GemmArgs | null => {
        if (n >= N) return null;
        const cols = all.subarray(n * R, (n + 1) * R);
        im2col(x.data, n * C * H * W, g, 0, Ho, cols, P, 1);
        cols.fill(1, K * P, R);
        return productNN(F, P, K + 1, wb, 0, all, n * R, out.data, n * F * P, false);
      };
      for (let n = 0; n < N; n += 2) gemmPair(image(n), image(n + 1));
      return { value: out, saved: all };
    }
    // A band of output rows at a time: every output entry is the same sum over the taps, so the
    // bits do not depend on the band.
    const cols = resultBuffer((K + 1) * rows * Wo, true);
    const band = rows < Ho ? resultBuffer(F * rows * Wo, true) : null;
    for (let n = 0; n < N; n++) {
      for (let oy0 = 0; oy0 < Ho; oy0 += rows) {
        const r = Math.min(rows, Ho - oy0);
        const Pt = r * Wo;
        im2col(x.data, n * C * H * W, g, oy0, r, cols, Pt, 1);
        cols.fill(1, K * Pt, (K + 1) * Pt);
        if (!band) {
          gemmNN(F, P, K + 1, wb, 0, cols, 0, out.data, n * F * P, false);
          continue;
        }
        gemmNN(F, Pt, K + 1, wb, 0, cols, 0, band, 0, false);
        for (let f = 0; f < F; f++) out.data.set(band.subarray(f * Pt, (f + 1) * Pt), (n * F + f) * P + oy0 * Wo);
      }
    }
    return { value: out };
  },
  backward({ inputs: [x, w], grad, attrs, needs, saved }) {
    const g = convGeometry(x.shape, w.shape, attrs);
    const { N, C, H, W, F, Ho, Wo } = g;
    const { K, P, rows } = convPlan(g, false);
    const gd = grad.data;
    const dx = needs[0] ? Tensor.result(x.shape) : null;
    const dw = needs[1] ? Tensor.result(w.shape) : null;
    const db = needs[2] ? Tensor.result([F]) : null;
    // The forward pass's patches [K, P] per image (each followed by its row of ones), or (too many
    // to keep) rebuilt here a band at a time, transposed [Pt, K] so that dw = G · patches is a
    // product of row-major operands.
    const kept = saved instanceof Float64Array && saved.length === N * (K + 1) * P ? saved : null;
    const band = kept ? Ho : rows;
    const colsT = dw && !kept ? resultBuffer(band * Wo * K, true) : null;
    const dcols = dx ? resultBuffer(K * band * Wo, true) : null;
    // wᵀ (K×F) once, so dcols = wᵀ · G also reads row-major operands.
    let wT: Float64Array | null = null;
    if (dx) {
      wT = resultBuffer(K * F, true);
      for (let f = 0; f < F; f++) for (let k = 0; k < K; k++) wT[k * F + f] = w.data[f * K + k];
    }
    for (let n = 0; n < N; n++) {
      const o = n * F * P;
      for (let oy0 = 0; oy0 < Ho; oy0 += band) {
        const r = Math.min(band, Ho - oy0);
        const Pt = r * Wo;
        const at = o + oy0 * Wo;
        // dw (F×K) += G[n][:, band] (F×Pt, rows P apart) · colsᵀ (Pt×K)
        let dwProduct: GemmArgs | null = null;
        if (dw && kept) dwProduct = productNT(F, K, P, gd, o, kept, n * (K + 1) * P, dw.data, 0, true);
        else if (dw && colsT) {
          im2col(x.data, n * C * H * W, g, oy0, r, colsT, 1, K);
          dwProduct = { M: F, N: K, K: Pt, A: gd, aOff: at, ars: P, acs: 1, B: colsT, bOff: 0, brs: K, bcs: 1, C: dw.data, cOff: 0, accumulate: true };
        }
        // dcols (K×Pt) = wᵀ (K×F) · G[n][:, band] (F×Pt, rows P apart)
        const dcolsProduct: GemmArgs | null = dx && dcols && wT ? { M: K, N: Pt, K: F, A: wT, aOff: 0, ars: F, acs: 1, B: gd, bOff: at, brs: P, bcs: 1, C: dcols, cOff: 0, accumulate: false } : null;
        // Independent products: one on each core where they are large enough (gemmPair).
        gemmPair(dwProduct, dcolsProduct);
        if (dx && dcols) col2im(dcols, g, oy0, r, dx.data, n * C * H * W);
      }
      if (db) {
        for (let f = 0; f < F; f++) {
          let acc = 0;
          const row = o + f * P;
          for (let p = 0; p < P; p++) acc += gd[row + p];
          db.data[f] += acc;
        }
      }
    }
    return [dx, dw, db];
  },
  // Per image: the patches (one copy per tap and position) and one product, forward; backward
  // the products for dw and for the patches' gradient, folded back into the pixels.
  cost: ([x, w], _out, attrs) => {
    const g = convGeometry(x, w, attrs);
    const { K, P, rows } = convPlan(g, false);
    const bands = Math.ceil(g.Ho / rows);
    return g.N * (COST.entry * (K + 1) * P + COST.fma * g.F * P * (K + 1) + COST.entry * g.F * P + bands * COST.call);
  },
  backwardCost: ([x, w], _out, attrs, needs) => {
    const g = convGeometry(x, w, attrs);
    const { K, P, keep, rows } = convPlan(g, false);
    const bands = Math.ceil(g.Ho / rows);
    // dw: the product with the patches (rebuilt unless kept); dx: the product and its fold into pixels; db: a sum.
    const dw = needed(needs, 1) ? COST.fma * g.F * K * P + (keep ? 0 : COST.entry * K * P) : 0;
    const dx = needed(needs, 0) ? COST.fma * g.F * K * P + 2 * COST.entry * K * P : 0;
    const db = needed(needs, 2) ? COST.entry * g.F * P : 0;
    return g.N * (dw + dx + db + 2 * bands * COST.call);
  },
  workspace: ([x, w], _out, attrs) => {
    const g = convGeometry(x, w, attrs);
    const { K, P, keep, rows } = convPlan(g, false);
    const band = rows * g.Wo;
    const forward = keep ? 0 : (K + 1) * band + (rows < g.Ho ? g.F * band : 0);
    const backward = (keep ? K * P : 2 * K * band) + K * g.F;
    return { saved: keep ? g.N * (K + 1) * P : 0, scratch: g.F * (K + 1) + Math.max(forward, backward) };
  },
};

export const CONVOLUTION_OPS: OpDef[] = [conv2d, maxPool2d, avgPool2d];
