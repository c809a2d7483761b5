// Rearranging entries: the transposes (.T and transpose with axes) and indexing (x[i, a:b, ...]).
// Each output entry is one input entry, so each backward pass routes the gradient back to where
// the entry came from.
import { fail, ok } from '../shapes/broadcast';
import { formatShape, lit, derived, type Dim } from '../shapes/shape';
import { inversePermutation, permute, stridesOf, Tensor } from '../tensor/tensor';
import { E } from '../lang/print';
import { COST, entries } from './cost';
import type { Attrs, IndexSpec, OpDef } from './op';

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

/**
 * Calls f(outOffset, srcOffset, n) for every run of n selected elements along the last axis, in
 * row-major output order (every axis' picks are one ascending range, so a run is contiguous on
 * both sides).
 */
function forEachRun(shape: readonly number[], sel: AxisSelection[], f: (o: number, s: number, n: number) => void): void {
  const rank = shape.length;
  if (rank === 0) {
    f(0, 0, 1);
    return;
  }
  const strides = stridesOf(shape);
  const counts = sel.map((a) => a.picks.length);
  const total = counts.reduce((x, y) => x * y, 1);
  if (total === 0) return;
  const run = counts[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < total; o += run) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += sel[k].picks[idx[k]] * strides[k];
    f(o, src, run);
    for (let k = rank - 2; k >= 0; k--) {
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
    const xd = x.data;
    const od = out.data;
    forEachRun(x.shape, sel, (o, s, n) => {
      for (let k = 0; k < n; k++) od[o + k] = xd[s + k];
    });
    return { value: out };
  },
  backward({ inputs: [x], grad, attrs }) {
    const sel = selections(x.shape, attrs.items as IndexSpec[]);
    const dx = new Tensor(x.shape);
    const dd = dx.data;
    const g = grad.data;
    forEachRun(x.shape, sel, (o, s, n) => {
      for (let k = 0; k < n; k++) dd[s + k] += g[o + k];
    });
    return [dx];
  },
  cost: ([x], out) => indexCost(x, out),
  // A gradient the size of x, zero but for the picked entries.
  backwardCost: ([x], out) => indexCost(x, out) + COST.zeros * entries(x),
};

/** Indexing copies the picked entries (a run along the last axis at a time), after listing every axis' picks. */
export function indexCost(x: readonly number[], out: readonly number[]): number {
  return 5 * COST.entry * entries(out) + x.reduce((a, b) => a + b, 0);
}

