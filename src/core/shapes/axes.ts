// Axes, in one place: an `axis=` attribute as written (a number, a list, or none for all axes),
// a possibly negative axis normalised against a rank, and a reduction's axes resolved (normalised,
// sorted, checked). The ops, their derivation rules and the exporters all read these.
import type { AttrValue } from '../ops/op';

/** Normalises a possibly negative axis; null when out of range. */
export function normAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : null;
}

/** An axis attribute as written: the listed axes, or null for all of them (the attribute left out). */
export function axesAttr(v: AttrValue | undefined): number[] | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  throw new Error('internal: an axis attribute is a number or a list of numbers');
}

/** Normalised, sorted, de-duplicated axes (all of them for null); or a message when one is out of range. */
export function resolveAxes(axes: number[] | null, rank: number): number[] | string {
  if (axes === null) return Array.from({ length: rank }, (_, i) => i);
  const out: number[] = [];
  for (const a of axes) {
    const n = normAxis(a, rank);
    if (n === null) return `axis ${a} is out of range for a tensor of rank ${rank} (valid: ${rank === 0 ? 'none' : `-${rank}…${rank - 1}`})`;
    if (out.includes(n)) return `axis ${a} is repeated`;
    out.push(n);
  }
  return out.sort((x, y) => x - y);
}

/** The axes an attribute names against a rank, resolved; for code that runs after the shape check (which reported bad axes). */
export function axesOfAttr(v: AttrValue | undefined, rank: number): number[] {
  const r = resolveAxes(axesAttr(v), rank);
  if (typeof r === 'string') throw new Error(`internal: ${r}`);
  return r;
}
