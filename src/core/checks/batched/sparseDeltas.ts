// The bookkeeping of batched evaluations: per perturbation, the entries of a value (or the kink
// sides) that differ from the unperturbed ones.
import { arena } from './arena';

/**
 * Per perturbation b, the entries idx[start[b] … start[b+1]) with values val[…]: for a node's
 * value, the entries that differ from the unperturbed value; for kinks, the positions whose side
 * differs from the unperturbed side. Filled perturbation by perturbation.
 */
export class Sparse {
  constructor(
    readonly start: Int32Array,
    public idx: Int32Array,
    public val: Float64Array,
    public n: number,
  ) {}

  /** Empty, with room for `capacity` entries (more grow it). */
  static make(B: number, capacity: number): Sparse {
    const start = arena.ints(B + 1);
    start[0] = 0;
    return new Sparse(start, arena.ints(Math.max(16, capacity)), arena.floats(Math.max(16, capacity)), 0);
  }

  push(i: number, v: number): void {
    if (this.n === this.idx.length) this.grow();
    this.idx[this.n] = i;
    this.val[this.n++] = v;
  }

  private grow(): void {
    const idx = arena.ints(2 * this.n);
    idx.set(this.idx);
    this.idx = idx;
    const val = arena.floats(2 * this.n);
    val.set(this.val);
    this.val = val;
  }

  /** Ends perturbation b's entries. */
  close(b: number): void {
    this.start[b + 1] = this.n;
  }
}

/** Kinks of one node: the unperturbed sides and, per perturbation, the sides that differ. */
export interface NodeKinks {
  base: Int32Array;
  d: Sparse;
  /** A perturbation whose kink array had another length than the unperturbed one. */
  odd: Set<number> | null;
}

/** Bitwise equality of two float64 values (0 and −0 differ; NaN counts as changed). */
export function same(a: number, b: number): boolean {
  return a === b && (a !== 0 || 1 / a === 1 / b);
}

/** Writes perturbation b's changed entries into `s`. */
export function apply(s: Float64Array, d: Sparse, b: number): void {
  const idx = d.idx;
  const val = d.val;
  for (let t = d.start[b], end = d.start[b + 1]; t < end; t++) s[idx[t]] = val[t];
}

/** Puts back the unperturbed values of perturbation b's changed entries. */
export function restore(s: Float64Array, base: Float64Array, d: Sparse, b: number): void {
  const idx = d.idx;
  for (let t = d.start[b], end = d.start[b + 1]; t < end; t++) s[idx[t]] = base[idx[t]];
}

/**
 * The first position of this node's output where perturbation p took another side of a kink (or
 * step) than the unperturbed values, or −1 (0 when its kink array changed length).
 */
export function sideFromBase(k: NodeKinks, p: number): number {
  if (k.odd?.has(p)) return 0;
  const { start, idx } = k.d;
  let first = -1;
  for (let s = start[p]; s < start[p + 1]; s++) if (first < 0 || idx[s] < first) first = idx[s];
  return first;
}

/**
 * A position of this node's output where perturbations p and q took different sides of a kink
 * (or step), or −1 where they agree everywhere (0 when a kink array changed length).
 */
export function sideDifference(k: NodeKinks, p: number, q: number): number {
  if (k.odd && (k.odd.has(p) || k.odd.has(q))) return 0;
  const { start, idx, val } = k.d;
  const p0 = start[p];
  const p1 = start[p + 1];
  const q0 = start[q];
  const q1 = start[q + 1];
  // Both lists hold distinct positions whose side differs from the unperturbed one: the sides
  // agree everywhere exactly when the two lists hold the same (position, side) pairs.
  if (p1 - p0 > 32 || q1 - q0 > 32) {
    const sides = new Map<number, number>();
    for (let u = q0; u < q1; u++) sides.set(idx[u], val[u]);
    for (let s = p0; s < p1; s++) if (sides.get(idx[s]) !== val[s]) return idx[s];
    if (p1 - p0 === q1 - q0) return -1;
    const inP = new Set<number>();
    for (let s = p0; s < p1; s++) inP.add(idx[s]);
    for (let u = q0; u < q1; u++) if (!inP.has(idx[u])) return idx[u];
    return -1;
  }
  for (let s = p0; s < p1; s++) {
    let found = false;
    for (let u = q0; u < q1; u++) {
      if (idx[u] === idx[s]) {
        if (val[u] !== val[s]) return idx[s];
        found = true;
        break;
      }
    }
    if (!found) return idx[s];
  }
  // Every pair of p is in q: q differs only if it holds more.
  for (let u = q0; u < q1; u++) {
    let found = false;
    for (let s = p0; s < p1 && !found; s++) found = idx[s] === idx[u];
    if (!found) return idx[u];
  }
  return -1;
}
