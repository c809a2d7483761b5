// Symbolic shapes. A dimension carries both a symbol (for messages and for dimension analysis:
// `D` and `H` are different even when both are 5) and, when known, its size (for running).

export interface Dim {
  /** Canonical text: a dimension name (`D`), a literal (`3`), or a derived expression (`D+H`). */
  readonly sym: string;
  /** The size, or null where it is not known (inside a gate, before a call binds it). */
  readonly size: number | null;
  /** 'name': a declared dimension; 'literal': a number written by the user; 'derived': computed. */
  readonly origin: 'name' | 'literal' | 'derived';
}

export type Shape = readonly Dim[];

export function lit(n: number): Dim {
  return { sym: String(n), size: n, origin: 'literal' };
}

export function named(name: string, size: number | null): Dim {
  return { sym: name, size, origin: 'name' };
}

export function derived(sym: string, size: number | null): Dim {
  // A derived dimension whose size is known and whose expression folds to a number is a literal.
  if (/^\d+$/.test(sym)) return lit(Number(sym));
  return { sym, size, origin: 'derived' };
}

export const SCALAR: Shape = [];

export function shapeOf(sizes: readonly number[]): Shape {
  return sizes.map(lit);
}

/**
 * A derived dimension whose size is not known yet (a pooled size inside a gate): it cannot be
 * compared before a call binds the sizes, so it is checked then, with numbers.
 */
function undecided(d: Dim): boolean {
  return d.origin === 'derived' && d.size === null;
}

/** True when two dimensions can be the same axis. Known sizes decide; otherwise symbols must agree. */
export function dimsEqual(a: Dim, b: Dim): boolean {
  if (a.size !== null && b.size !== null) return a.size === b.size;
  if (undecided(a) || undecided(b)) return true;
  return a.sym === b.sym;
}

/**
 * True when two declared dimension names differ but their sizes coincide: the program runs, but
 * only by accident (the classic hidden missing transpose when D == H).
 */
export function namesConflict(a: Dim, b: Dim): boolean {
  return a.origin === 'name' && b.origin === 'name' && a.sym !== b.sym && a.size !== null && a.size === b.size;
}

/** Symbolic equality, as dimension analysis uses it: names must match, literals compare by size. */
export function dimsSymbolicallyEqual(a: Dim, b: Dim): boolean {
  if (a.origin === 'name' && b.origin === 'name') return a.sym === b.sym;
  if (a.sym === b.sym || undecided(a) || undecided(b)) return true;
  // A name against a literal or derived dimension: equal if their sizes are known and equal.
  return a.size !== null && b.size !== null && a.size === b.size;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsEqual(d, b[i]));
}

export function shapesSymbolicallyEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsSymbolicallyEqual(d, b[i]));
}

export function sizes(s: Shape): number[] | null {
  const out: number[] = [];
  for (const d of s) {
    if (d.size === null) return null;
    out.push(d.size);
  }
  return out;
}

export function elementCount(s: Shape): number {
  let n = 1;
  for (const d of s) n *= d.size ?? 1;
  return n;
}

export function formatShape(s: Shape): string {
  return `[${s.map((d) => d.sym).join(', ')}]`;
}

export function formatSizes(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** `(N=4, D=10)` for the named/derived dimensions of the given shapes, in order of appearance. */
export function formatDimValues(...shapes: Shape[]): string {
  const seen = new Map<string, number>();
  for (const s of shapes) {
    for (const d of s) {
      if (d.origin !== 'literal' && d.size !== null && !seen.has(d.sym)) seen.set(d.sym, d.size);
    }
  }
  if (seen.size === 0) return '';
  return ` (${[...seen].map(([k, v]) => `${k}=${v}`).join(', ')})`;
}

// ------------------------------------------------------------------ derived dimension arithmetic

function wrap(sym: string): string {
  return /^[A-Za-z_0-9]+$/.test(sym) ? sym : `(${sym})`;
}

export function dimMul(a: Dim, b: Dim): Dim {
  if (a.origin === 'literal' && a.size === 1) return b;
  if (b.origin === 'literal' && b.size === 1) return a;
  const size = a.size !== null && b.size !== null ? a.size * b.size : null;
  if (a.origin === 'literal' && b.origin === 'literal' && size !== null) return lit(size);
  return derived(`${wrap(a.sym)}*${wrap(b.sym)}`, size);
}

export function dimAdd(a: Dim, b: Dim): Dim {
  const size = a.size !== null && b.size !== null ? a.size + b.size : null;
  if (a.origin === 'literal' && b.origin === 'literal' && size !== null) return lit(size);
  if (a.sym === b.sym) return derived(`2*${wrap(a.sym)}`, size);
  return derived(`${a.sym}+${b.sym}`, size);
}

/** Output length of a sliding window: (n + 2*pad - k) / stride + 1. */
export function dimWindow(n: Dim, k: number, stride: number, pad: number): Dim {
  const size = n.size !== null ? Math.floor((n.size + 2 * pad - k) / stride) + 1 : null;
  if (n.origin === 'literal' && size !== null) return lit(size);
  if (k === 1 + 2 * pad && stride === 1) return n; // 'same' convolution keeps the dimension
  let sym = wrap(n.sym);
  const shift = 2 * pad - k;
  if (shift !== 0) sym = `${sym}${shift > 0 ? '+' : '-'}${Math.abs(shift)}`;
  if (stride !== 1) sym = `(${sym})/${stride}`;
  sym = `${sym}+1`;
  return derived(sym, size);
}

