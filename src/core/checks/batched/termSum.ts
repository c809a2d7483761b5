// Strategy for the ops that declare OpDef.termSum (softmax_ce, l2): a scalar output that is a
// sum of per-block terms, resumed from a perturbation's first changed block.
import type { GraphNode } from '../../engine/graph';
import type { OpDef } from '../../ops/op';
import type { Tensor } from '../../tensor/tensor';
import { arena } from './arena';
import type { RegionState } from './regionState';
import { apply, restore, same, Sparse } from './sparseDeltas';

/**
 * A scalar that sums per-block terms of its first operand (OpDef.termSum): the changed blocks'
 * terms are recomputed, and the sum resumed from the first changed block.
 */
export function termSumEntries(state: RegionState, node: GraphNode, op: OpDef, changed: (Sparse | null)[], B: number): Sparse | null {
  const form = op.termSum;
  const d = changed[0];
  if (!form || op.kinks !== undefined || !d || changed.some((c, k) => k > 0 && c !== null)) return null;
  const inputs = node.inputs.map((i) => state.ex.values[i] as Tensor);
  const bs = form.block(inputs);
  const nb = inputs[0].size / bs;
  if (!Number.isInteger(nb) || nb < 1) return null;
  let cache = state.termCache.get(node.id);
  if (!cache) {
    // The unperturbed terms, and the running sum before each block (the forward's own bits).
    const terms = new Float64Array(nb);
    const before = new Float64Array(nb + 1);
    let acc = 0;
    for (let k = 0; k < nb; k++) {
      before[k] = acc;
      terms[k] = form.term(inputs[0].data, k * bs, inputs, k, node.attrs);
      acc += terms[k];
    }
    before[nb] = acc;
    cache = { terms, before };
    state.termCache.set(node.id, cache);
  }
  const src = state.scratchOf(node.inputs[0]);
  const base = inputs[0].data;
  // Per perturbation b: its changed blocks in ascending order, with their recomputed terms,
  // at [cs[b], cs[b+1]).
  const cb = arena.ints(d.n);
  const cv = arena.floats(d.n);
  const cs = arena.ints(B + 1);
  cs[0] = 0;
  const tag = arena.ints(nb).fill(-1);
  let m = 0;
  for (let b = 0; b < B; b++) {
    const m0 = m;
    const t0 = d.start[b];
    const t1 = d.start[b + 1];
    // When b changes whole blocks, each as a run of its entries in order (rows of a product, a
    // block of l2's weights), a term reads its block straight from the changed values; otherwise from
    // the perturbed copy of the input.
    const whole = wholeBlocks(d.idx, t0, t1, bs);
    if (!whole) apply(src, d, b);
    for (let t = t0; t < t1; t += whole ? bs : 1) {
      const e = d.idx[t];
      const k = bs === 1 ? e : Math.floor(e / bs);
      if (tag[k] === b) continue;
      tag[k] = b;
      // Insertion into the sorted list: there are few changed blocks per perturbation.
      let u = m++;
      while (u > m0 && cb[u - 1] > k) {
        cb[u] = cb[u - 1];
        cv[u] = cv[u - 1];
        u--;
      }
      cb[u] = k;
      cv[u] = whole ? form.term(d.val, t, inputs, k, node.attrs) : form.term(src, k * bs, inputs, k, node.attrs);
    }
    if (!whole) restore(src, base, d, b);
    cs[b + 1] = m;
  }
  const sums = arena.floats(B);
  sumTerms(cache.terms, cache.before, nb, cb, cv, cs, B, sums);
  const out = Sparse.make(B, B);
  const baseOut = (state.ex.values[node.id] as Tensor).data[0];
  for (let b = 0; b < B; b++) {
    const y = form.finish(sums[b], inputs, node.attrs);
    if (!same(y, baseOut)) out.push(0, y);
    out.close(b);
  }
  return out;
}

/**
 * The sum of all terms for every perturbation b: from the running sum before its first changed
 * block, each block's term added in ascending order (b's recomputed one where it changed it).
 * Four perturbations at a time, so that four independent sums keep the adder busy; between
 * changed blocks they all add the same unperturbed terms.
 */
function sumTerms(terms: Float64Array, before: Float64Array, nb: number, cb: Int32Array, cv: Float64Array, cs: Int32Array, B: number, sums: Float64Array): void {
  const ptr = new Int32Array(4);
  const end = new Int32Array(4);
  const acc = new Float64Array(4);
  for (let g = 0; g < B; g += 4) {
    // A short last group repeats its last perturbation.
    let kmax = 0;
    for (let q = 0; q < 4; q++) {
      const b = Math.min(g + q, B - 1);
      ptr[q] = cs[b];
      end[q] = cs[b + 1];
      const first = ptr[q] < end[q] ? cb[ptr[q]] : nb;
      acc[q] = before[first];
      if (first > kmax) kmax = first;
    }
    // Each sum alone up to the latest first changed block of the group.
    for (let q = 0; q < 4; q++) {
      let a = acc[q];
      let p = ptr[q];
      for (let k = p < end[q] ? cb[p] : nb; k < kmax; k++) {
        if (p < end[q] && cb[p] === k) a += cv[p++];
        else a += terms[k];
      }
      acc[q] = a;
      ptr[q] = p;
    }
    let a0 = acc[0];
    let a1 = acc[1];
    let a2 = acc[2];
    let a3 = acc[3];
    let k = kmax;
    while (k < nb) {
      let next = nb;
      for (let q = 0; q < 4; q++) if (ptr[q] < end[q] && cb[ptr[q]] < next) next = cb[ptr[q]];
      for (; k < next; k++) {
        const t = terms[k];
        a0 += t;
        a1 += t;
        a2 += t;
        a3 += t;
      }
      if (k === nb) break;
      // Block k changed for some of them: each adds its own term.
      a0 += ptr[0] < end[0] && cb[ptr[0]] === k ? cv[ptr[0]++] : terms[k];
      a1 += ptr[1] < end[1] && cb[ptr[1]] === k ? cv[ptr[1]++] : terms[k];
      a2 += ptr[2] < end[2] && cb[ptr[2]] === k ? cv[ptr[2]++] : terms[k];
      a3 += ptr[3] < end[3] && cb[ptr[3]] === k ? cv[ptr[3]++] : terms[k];
      k++;
    }
    sums[g] = a0;
    if (g + 1 < B) sums[g + 1] = a1;
    if (g + 2 < B) sums[g + 2] = a2;
    if (g + 3 < B) sums[g + 3] = a3;
  }
}

/** Whether positions idx[t0 … t1) are whole blocks of `bs`, each as the run k·bs, k·bs+1, … in order. */
function wholeBlocks(idx: Int32Array, t0: number, t1: number, bs: number): boolean {
  if ((t1 - t0) % bs !== 0) return false;
  for (let t = t0; t < t1; t += bs) {
    const e = idx[t];
    if (e % bs !== 0) return false;
    for (let q = 1; q < bs; q++) if (idx[t + q] !== e + q) return false;
  }
  return true;
}
