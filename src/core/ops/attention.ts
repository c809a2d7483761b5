// Scaled dot-product attention and multi-head self-attention (cs231n assignment 3, cs224n, the
// transformer block). One kernel serves both: scores S = q·kᵀ/√d_k per batch, masked entries set to
// −∞, P = softmax(S) over the keys (max-subtracted), out = P·v. Its backward is the part people get
// wrong: the softmax's Jacobian applies along the keys axis of each query row —
// dS = P ∘ (dP − rowsum(dP ∘ P)) — and dq, dk both carry the 1/√d_k.
import { broadcastShapes, fail, ok, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, type Shape } from '../shapes/shape';
import { gemmNN, gemmNT, gemmPair, gemmTN, productNT, productTN } from '../tensor/matmul';
import { broadcastTo, sizeOf, Tensor, unravel } from '../tensor/tensor';
import { productBuffer } from '../tensor/results';
import { COST, gemmCost, needed } from './cost';
import { attrBool, attrOr, type Attrs, type OpDef, type ParamSpec, type ShapeContext } from './op';

// ------------------------------------------------------------------ the kernel

/**
 * Query rows (with at least two keys to choose from) whose largest weight is ≥ COLLAPSED, and all
 * such rows: published as the record `attentionCollapse` for the health check (checks/layerHealth.ts).
 */
type Collapse = [collapsed: number, rows: number];
const COLLAPSED = 0.99;

interface AttentionSaved {
  P: Float64Array;
  collapse: Collapse;
}

/** B independent attentions of Tq queries over Tk keys, contiguous [B, T, ·] operands. */
interface Dims {
  B: number;
  Tq: number;
  Tk: number;
  d: number;
  dv: number;
}

/**
 * Forward: out [B, Tq, dv] and the weights P [B, Tq, Tk]. `allow` is the 0/1 mask broadcast to
 * [B, Tq, Tk] (null: every key); causal keeps key j ≤ query i. A query row with no key left is an
 * error (PyTorch gives NaN there), named by its [b, i].
 */
function attend(n: Dims, q: Float64Array, k: Float64Array, v: Float64Array, allow: Float64Array | null, causal: boolean): { out: Float64Array; P: Float64Array; collapse: Collapse; empty?: [number, number] } {
  const { B, Tq, Tk, d, dv } = n;
  const P = new Float64Array(B * Tq * Tk);
  const out = new Float64Array(B * Tq * dv);
  const scale = 1 / Math.sqrt(d);
  let empty: [number, number] | undefined;
  const collapse: Collapse = [0, 0];
  for (let b = 0; b < B; b++) {
    const po = b * Tq * Tk;
    gemmNT(Tq, Tk, d, q, b * Tq * d, k, b * Tk * d, P, po, false);
    for (let i = 0; i < Tq; i++) {
      const row = po + i * Tk;
      let m = -Infinity;
      let keys = 0;
      for (let j = 0; j < Tk; j++) {
        const kept = (!causal || j <= i) && (allow === null || allow[row + j] !== 0);
        const s = kept ? P[row + j] * scale : -Infinity;
        if (kept) keys++;
        P[row + j] = s;
        if (s > m || s !== s) m = s;
      }
      if (m === -Infinity) {
        empty ??= [b, i];
        P.fill(0, row, row + Tk);
        continue;
      }
      let sum = 0;
      for (let j = 0; j < Tk; j++) {
        const e = Math.exp(P[row + j] - m);
        P[row + j] = e;
        sum += e;
      }
      for (let j = 0; j < Tk; j++) P[row + j] /= sum;
      // exp(0) = 1 is the max's own term: one key holds ≥ COLLAPSED of the weight when 1/sum does
      if (keys >= 2) {
        collapse[1]++;
        if (1 / sum >= COLLAPSED) collapse[0]++;
      }
    }
    gemmNN(Tq, dv, Tk, P, po, v, b * Tk * dv, out, b * Tq * dv, false);
  }
  return { out, P, collapse, empty };
}

/** Backward of `attend` for the upstream gradient g [B, Tq, dv]; null where not needed. */
function attendBackward(n: Dims, q: Float64Array, k: Float64Array, v: Float64Array, P: Float64Array, g: Float64Array, needs: readonly boolean[]): (Float64Array | null)[] {
  const { B, Tq, Tk, d, dv } = n;
  const scale = 1 / Math.sqrt(d);
  const dq = needs[0] ? new Float64Array(B * Tq * d) : null;
  const dk = needs[1] ? new Float64Array(B * Tk * d) : null;
  const dvv = needs[2] ? new Float64Array(B * Tk * dv) : null;
  const dS = new Float64Array(Tq * Tk);
  for (let b = 0; b < B; b++) {
    const po = b * Tq * Tk;
    const go = b * Tq * dv;
    if (dvv) gemmTN(Tk, dv, Tq, P, po, g, go, dvv, b * Tk * dv, false);
    if (!dq && !dk) continue;
    // dP = g·vᵀ, then the softmax's Jacobian along each query's keys: dS = P∘(dP − Σ_j dP∘P), times 1/√d.
    gemmNT(Tq, Tk, dv, g, go, v, b * Tk * dv, dS, 0, false);
    for (let i = 0; i < Tq; i++) {
      let dot = 0;
      for (let j = 0; j < Tk; j++) dot += dS[i * Tk + j] * P[po + i * Tk + j];
      for (let j = 0; j < Tk; j++) dS[i * Tk + j] = scale * P[po + i * Tk + j] * (dS[i * Tk + j] - dot);
    }
    if (dq) gemmNN(Tq, d, Tk, dS, 0, k, b * Tk * d, dq, b * Tq * d, false);
    if (dk) gemmTN(Tk, d, Tq, dS, 0, q, b * Tq * d, dk, b * Tk * d, false);
  }
  return [dq, dk, dvv];
}

function attendCost(n: Dims): number {
  const { B, Tq, Tk, d, dv } = n;
  return B * (gemmCost(Tq, Tk, d) + gemmCost(Tq, dv, Tk) + (COST.transcendental + 6 * COST.entry) * Tq * Tk);
}

function attendBackwardCost(n: Dims, needs: readonly boolean[] | undefined): number {
  const { B, Tq, Tk, d, dv } = n;
  const scores = needed(needs, 0) || needed(needs, 1);
  return B * ((needed(needs, 2) ? gemmCost(Tk, dv, Tq) : 0) + (scores ? gemmCost(Tq, Tk, dv) + 4 * COST.entry * Tq * Tk : 0) + (needed(needs, 0) ? gemmCost(Tq, d, Tk) : 0) + (needed(needs, 1) ? gemmCost(Tk, d, Tq) : 0));
}

/** The mask's 0/1 check and its broadcast to [..., Tq, Tk]; a sentence on a value other than 0 or 1. */
function maskValues(op: string, mask: Tensor | undefined, scores: readonly number[]): { allow: Float64Array | null; error?: string } {
  if (!mask) return { allow: null };
  for (let i = 0; i < mask.size; i++) {
    const m = mask.data[i];
    if (m !== 0 && m !== 1) {
      const at = mask.rank ? ` at [${unravel(i, mask.shape).join(', ')}]` : '';
      return { allow: null, error: `${op}: the mask${at} is ${m}; a mask holds 1 where a query may attend to a key and 0 where it may not (declare it \`int[…] in 0..2\`)` };
    }
  }
  return { allow: broadcastTo(mask, scores).data };
}

function emptyRow(op: string, lead: readonly number[], at: [number, number]): string {
  const idx = [...(lead.length ? unravel(at[0], lead) : []), at[1]];
  return `${op}: query [${idx.join(', ')}] may attend to no key (its mask row is all 0), so its softmax is undefined (PyTorch gives NaN); let every query see at least one key, e.g. itself`;
}

// ------------------------------------------------------------------ shape rules

const MASK_PARAM: ParamSpec = {
  name: 'mask',
  kind: 'tensor',
  labels: true,
  default: null,
  doc: 'optional 0/1 integers broadcastable to the scores [..., Tq, Tk]: 1 where a query may attend to a key, 0 where not (as a boolean attn_mask of F.scaled_dot_product_attention)',
};
const CAUSAL_PARAM: ParamSpec = { name: 'causal', kind: 'bool', default: false, doc: 'query i attends only to keys j ≤ i (is_causal=True), on top of any mask' };

function maskProblem(ctx: ShapeContext, typeIndex: number, argIndex: number, scores: Shape): ShapeResult | null {
  const t = ctx.types[typeIndex];
  if (!t) return null;
  const example = `int[${scores.map((s) => s.sym).join(', ')}] in 0..2`;
  if (!t.isInt) return fail(`${ctx.label}: the mask must hold 0/1 integers (1 = may attend), found a float tensor ${formatShape(t.shape)}; declare it as \`${example}\``, argIndex, 'bad-argument');
  const r = broadcastShapes(ctx.label, [t.shape, scores]);
  if (!r.ok || r.shape.length !== scores.length || !r.shape.every((d, i) => dimsEqual(d, scores[i]))) {
    return fail(`${ctx.label}: the mask ${formatShape(t.shape)} must broadcast to the scores ${formatShape(scores)} (one entry per query and key)${formatDimValues(t.shape, scores)}; declare it as \`${example}\``, argIndex, 'shape-mismatch');
  }
  return null;
}

function attentionShape(ctx: ShapeContext): ShapeResult {
  const [q, k, v] = ctx.types.map((t) => t.shape);
  const names = ['q', 'k', 'v'];
  for (let i = 0; i < 3; i++) {
    const s = [q, k, v][i];
    if (s.length < 2) return fail(`${ctx.label} expects ${names[i]} as [T, d] or batched [N, T, d], found ${formatShape(s)}`, i, 'shape-mismatch');
  }
  const all = formatDimValues(q, k, v);
  const lead = q.slice(0, -2);
  for (const [s, i] of [
    [k, 1],
    [v, 2],
  ] as const) {
    if (s.length !== q.length || !s.slice(0, -2).every((d, j) => dimsEqual(d, lead[j]))) {
      return fail(`${ctx.label}: ${names[i]} ${formatShape(s)} must have the batch axes of q ${formatShape(q)}${all}; the shapes are q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv]`, i, 'shape-mismatch');
    }
  }
  const r = q.length;
  if (!dimsEqual(k[r - 1], q[r - 1])) return fail(`${ctx.label}: k ${formatShape(k)} must have the feature size d of q ${formatShape(q)}${all}: each score is a dot product q_i·k_j`, 1, 'shape-mismatch');
  if (!dimsEqual(v[r - 2], k[r - 2])) return fail(`${ctx.label}: v ${formatShape(v)} must have one row per key of k ${formatShape(k)}${all}`, 2, 'shape-mismatch');
  return maskProblem(ctx, 3, 3, [...lead, q[r - 2], k[r - 2]]) ?? ok([...lead, q[r - 2], v[r - 1]]);
}

function dimsOf(shapes: readonly (readonly number[])[]): Dims {
  const [q, k, v] = shapes;
  const r = q.length;
  return { B: sizeOf(q.slice(0, -2)), Tq: q[r - 2], Tk: k[r - 2], d: q[r - 1], dv: v[r - 1] };
}

// ------------------------------------------------------------------ attention

export const attention: OpDef = {
  id: 'attention',
  name: 'attention',
  group: 'networks',
  signature: [
    { name: 'q', kind: 'tensor', doc: 'queries [T, d] or batched [N, T, d]' },
    { name: 'k', kind: 'tensor', doc: 'keys [..., Tk, d]' },
    { name: 'v', kind: 'tensor', doc: 'values [..., Tk, dv]' },
    MASK_PARAM,
    CAUSAL_PARAM,
  ],
  summary:
    'Scaled dot-product attention: softmax(q·kᵀ/√d + masked)·v, the softmax over the keys of each query (max-subtracted), shape [..., Tq, dv] ' +
    '(torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask.bool(), is_causal=causal)). A mask entry 0 sets that score to −∞ before the softmax.',
  explain:
    'With P = softmax(S), S = q·kᵀ/√d: v receives Pᵀ·g; the weights receive dP = g·vᵀ, and the softmax passes dS = P ∘ (dP − Σ_keys dP ∘ P) — along each query’s row of keys, the axis it normalised; ' +
    'then q receives dS·k/√d and k receives dSᵀ·q/√d. Masked scores have P = 0 and pass nothing; the mask gets no gradient. Taking the softmax’s sum over the queries axis, or dropping the 1/√d, is the classic mistake.',
  shape: attentionShape,
  forward([q, k, v, mask], attrs) {
    const n = dimsOf([q.shape, k.shape, v.shape]);
    const outShape = [...q.shape.slice(0, -1), n.dv];
    const m = maskValues('attention', mask, [...q.shape.slice(0, -1), n.Tk]);
    if (m.error) return { value: new Tensor(outShape), error: m.error };
    const r = attend(n, q.data, k.data, v.data, m.allow, attrBool(attrs, 'causal'));
    const value = new Tensor(outShape, r.out);
    if (r.empty) return { value, error: emptyRow('attention', q.shape.slice(0, -2), r.empty) };
    const saved: AttentionSaved = { P: r.P, collapse: r.collapse };
    return { value, saved };
  },
  backward({ inputs: [q, k, v, mask], grad, saved, needs, record }) {
    const n = dimsOf([q.shape, k.shape, v.shape]);
    const { P, collapse } = saved as AttentionSaved;
    record?.('attentionCollapse', collapse);
    const [dq, dk, dv] = attendBackward(n, q.data, k.data, v.data, P, grad.data, needs);
    const wrap = (t: Tensor, g: Float64Array | null) => (g ? new Tensor(t.shape, g) : null);
    return [wrap(q, dq), wrap(k, dk), wrap(v, dv), ...(mask ? [null] : [])];
  },
  cost: (shapes) => attendCost(dimsOf(shapes)) + (shapes[3] ? COST.entry * sizeOf(shapes[0]) : 0),
  backwardCost: (shapes, _out, _attrs, needs) => attendBackwardCost(dimsOf(shapes), needs),
  // Kept for backward: the weights P [..., Tq, Tk]; scratch: the broadcast mask and one batch's dS.
  workspace: (shapes) => {
    const n = dimsOf(shapes);
    return { saved: n.B * n.Tq * n.Tk, scratch: (shapes[3] ? n.B * n.Tq * n.Tk : 0) + n.Tq * n.Tk };
  },
};

// ------------------------------------------------------------------ multi-head self-attention

function mhaShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const shapes = ctx.types.map((t) => t.shape);
  const x = shapes[0];
  if (x.length !== 2 && x.length !== 3) return fail(`${ctx.label} expects x as [T, D] or batched [N, T, D], found ${formatShape(x)}`, 0, 'shape-mismatch');
  const D = x[x.length - 1];
  const names = ['Wq', 'Wk', 'Wv', 'Wo'];
  for (let i = 1; i <= 4; i++) {
    const w = shapes[i];
    if (w.length !== 2 || !dimsEqual(w[0], D) || !dimsEqual(w[1], D)) {
      return fail(`${ctx.label}: ${names[i - 1]} must be [${D.sym}, ${D.sym}] (x @ ${names[i - 1]} keeps the model width of x ${formatShape(x)}), found ${formatShape(w)}${formatDimValues(x, w)}`, i, 'shape-mismatch');
    }
  }
  const h = attrOr(attrs, 'heads', 1);
  if (!Number.isInteger(h) || h < 1) return fail(`${ctx.label}: heads must be a positive integer, found ${h}`, 5, 'bad-argument');
  if (D.size !== null && D.size % h !== 0) {
    const divisors = [...Array(D.size).keys()].map((j) => j + 1).filter((j) => D.size! % j === 0);
    return fail(`${ctx.label}: heads=${h} must divide the model width ${D.sym} = ${D.size} (each head gets ${D.sym}/heads features; PyTorch requires embed_dim % num_heads == 0); pick heads among ${divisors.join(', ')}`, 5, 'bad-argument');
  }
  const T = x[x.length - 2];
  return maskProblem(ctx, 5, 6, [...x.slice(0, -2), T, T]) ?? ok(x);
}

interface MhaSaved extends AttentionSaved {
  /** Q, K, V per head [B0, h, T, dk], the weights P [B0, h, T, T], the merged heads M [B0·T, D]. */
  Q: Float64Array;
  K: Float64Array;
  V: Float64Array;
  M: Float64Array;
}

/** [B0·T, D] → [B0, h, T, dk] (split) or back (merge). */
function heads(src: Float64Array, B0: number, T: number, D: number, h: number, merge: boolean): Float64Array {
  const dk = D / h;
  const dst = new Float64Array(src.length);
  for (let b = 0; b < B0; b++)
    for (let t = 0; t < T; t++)
      for (let j = 0; j < h; j++) {
        // A loop, not set(subarray): a run of D/h numbers is too short to pay for a view object.
        const flat = (b * T + t) * D + j * dk;
        const split = ((b * h + j) * T + t) * dk;
        if (merge) for (let c = 0; c < dk; c++) dst[flat + c] = src[split + c];
        else for (let c = 0; c < dk; c++) dst[split + c] = src[flat + c];
      }
  return dst;
}

/** The mask broadcast to [B0, T, T], repeated for each head: [B0, h, T, T]. */
function perHead(allow: Float64Array, B0: number, T: number, h: number): Float64Array {
  const out = new Float64Array(B0 * h * T * T);
  for (let b = 0; b < B0; b++) for (let j = 0; j < h; j++) out.set(allow.subarray(b * T * T, (b + 1) * T * T), (b * h + j) * T * T);
  return out;
}

function mhaDims(x: readonly number[], attrs: Attrs): { B0: number; T: number; D: number; h: number; n: Dims } {
  const D = x[x.length - 1];
  const T = x[x.length - 2];
  const B0 = x.length === 3 ? x[0] : 1;
  const h = attrOr(attrs, 'heads', 1);
  return { B0, T, D, h, n: { B: B0 * h, Tq: T, Tk: T, d: D / h, dv: D / h } };
}

export const multiheadAttention: OpDef = {
  id: 'multihead_attention',
  name: 'multihead_attention',
  group: 'networks',
  weighted: true,
  productsInside: true,
  signature: [
    { name: 'x', kind: 'tensor', doc: 'input sequence [T, D] or batched [N, T, D]' },
    { name: 'Wq', kind: 'tensor', doc: 'query projection [D, D] (x @ Wq)' },
    { name: 'Wk', kind: 'tensor', doc: 'key projection [D, D]' },
    { name: 'Wv', kind: 'tensor', doc: 'value projection [D, D]' },
    { name: 'Wo', kind: 'tensor', doc: 'output projection [D, D], applied to the heads side by side' },
    { name: 'heads', kind: 'int', doc: 'number of heads; each gets D/heads consecutive features of the projections' },
    MASK_PARAM,
    CAUSAL_PARAM,
  ],
  summary:
    'Multi-head self-attention without biases: Q, K, V = x·Wq, x·Wk, x·Wv split into `heads` blocks of D/heads features, attention(Q_h, K_h, V_h, mask, causal) per head, the heads side by side times Wo; shape of x ' +
    '(torch.nn.functional.multi_head_attention_forward with in_proj_weight = [Wqᵀ; Wkᵀ; Wvᵀ], out_proj_weight = Woᵀ, no biases; attn_mask = ~mask there, where True means blocked).',
  explain:
    'Wo receives Mᵀ·g (M the merged heads) and the heads receive g·Woᵀ, split back into blocks; each head backpropagates like attention (its softmax along the keys, its 1/√(D/heads)); ' +
    'then Wq receives xᵀ·dQ (likewise Wk, Wv) and x receives dQ·Wqᵀ + dK·Wkᵀ + dV·Wvᵀ — x is used three times, so its three gradients add.',
  shape: mhaShape,
  forward([x, Wq, Wk, Wv, Wo, mask], attrs) {
    const { B0, T, D, h, n } = mhaDims(x.shape, attrs);
    const rows = B0 * T;
    const m = maskValues('multihead_attention', mask, [...x.shape.slice(0, -2), T, T]);
    if (m.error) return { value: new Tensor(x.shape), error: m.error };
    // One projection buffer for the three (heads copies each out): pooled, it is held until the
    // run ends, which the workspace counts with what is kept.
    const p = productBuffer(rows * D, true);
    const proj = (W: Tensor) => {
      gemmNN(rows, D, D, x.data, 0, W.data, 0, p, 0, false);
      return heads(p, B0, T, D, h, false);
    };
    const [Q, K, V] = [proj(Wq), proj(Wk), proj(Wv)];
    const r = attend(n, Q, K, V, m.allow && perHead(m.allow, B0, T, h), attrBool(attrs, 'causal'));
    if (r.empty) {
      const [bh, i] = r.empty;
      return { value: new Tensor(x.shape), error: emptyRow('multihead_attention', x.shape.slice(0, -2), [Math.floor(bh / h), i]) };
    }
    // Every entry is written: a pooled buffer (in the kernel's memory in a loop that keeps
    // results there, as the projections' and the gradients' below).
    const out = Tensor.result(x.shape, true);
    const M = heads(r.out, B0, T, D, h, true);
    gemmNN(rows, D, D, M, 0, Wo.data, 0, out.data, 0, false);
    const saved: MhaSaved = { Q, K, V, P: r.P, M, collapse: r.collapse };
    return { value: out, saved };
  },
  backward({ inputs: [x, Wq, Wk, Wv, Wo, mask], grad, saved, attrs, needs, record }) {
    const { Q, K, V, P, M, collapse } = saved as MhaSaved;
    record?.('attentionCollapse', collapse);
    const { B0, T, D, h, n } = mhaDims(x.shape, attrs);
    const rows = B0 * T;
    const dWo = needs[4] ? Tensor.result(Wo.shape, true) : null;
    const W = [Wq, Wk, Wv];
    const want = [0, 1, 2].map((i) => needs[0] || needs[1 + i]);
    const dW: (Tensor | null)[] = [null, null, null];
    const dx = needs[0] ? Tensor.result(x.shape) : null;
    const dM = want.some(Boolean) ? productBuffer(rows * D, true) : null;
    // Independent products: one on each core where they are large enough (gemmPair).
    gemmPair(dWo && productTN(D, D, rows, M, 0, grad.data, 0, dWo.data, 0, false), dM && productNT(rows, D, D, grad.data, 0, Wo.data, 0, dM, 0, false));
    if (dM) {
      const dHeads = attendBackward(n, Q, K, V, P, heads(dM, B0, T, D, h, false), want);
      dHeads.forEach((dh, i) => {
        if (!dh) return;
        const dP = heads(dh, B0, T, D, h, true);
        const dWi = needs[1 + i] ? (dW[i] = Tensor.result(W[i].shape, true)) : null;
        gemmPair(dWi && productTN(D, D, rows, x.data, 0, dP, 0, dWi.data, 0, false), dx && productNT(rows, D, D, dP, 0, W[i].data, 0, dx.data, 0, true));
      });
    }
    return [dx, dW[0], dW[1], dW[2], dWo, ...(mask ? [null] : [])];
  },
  // The three projections, each head's attention, the output projection.
  cost: (shapes, _out, attrs) => {
    const { B0, T, D, n } = mhaDims(shapes[0], attrs);
    return 4 * gemmCost(B0 * T, D, D) + 8 * COST.entry * B0 * T * D + attendCost(n) + (shapes[5] ? 2 * COST.entry * n.B * T * T : 0);
  },
  backwardCost: (shapes, _out, attrs, needs) => {
    const { B0, T, D, n } = mhaDims(shapes[0], attrs);
    const weights = [1, 2, 3, 4].filter((i) => needed(needs, i)).length;
    return (weights + 1 + (needed(needs, 0) ? 3 : 0)) * gemmCost(B0 * T, D, D) + 10 * COST.entry * B0 * T * D + attendBackwardCost(n, undefined);
  },
  // Kept for backward: Q, K, V per head, the weights of every head, the merged heads; held until
  // the run ends: the pooled projection buffer and the gradient at the merged heads (dM);
  // scratch: the split and merged copies of one gradient and the per-head mask.
  workspace: (shapes, _out, attrs) => {
    const { B0, T, D, n } = mhaDims(shapes[0], attrs);
    const perHeadScores = n.B * T * T;
    return { saved: 6 * B0 * T * D + perHeadScores, scratch: 3 * B0 * T * D + (shapes[5] ? 2 * perHeadScores : 0) + T * T };
  },
};

export const ATTENTION_OPS: OpDef[] = [attention, multiheadAttention];
