// Shape operations: reshape, concat and stack move elements without changing them, so their
// backward passes move the upstream gradient back: reshape reshapes it, concat and stack slice it.
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { normAxis } from '../shapes/axes';
import { derived, dimsEqual, formatDimValues, formatShape, lit, namesConflict, type Dim, type Shape } from '../shapes/shape';
import { Tensor, sizeOf } from '../tensor/tensor';
import { X_PARAM } from './kit';
import { COST, entries } from './cost';
import { attrOr, type Attrs, type OpDef, type ParamSpec, type ShapeArg, type ShapeContext } from './op';
import { E } from '../lang/print';
import { dimExpr } from './deriveKit';

/** Parenthesises a compound symbol so it can be a factor or a multiplied term. */
function wrap(sym: string): string {
  return /^[A-Za-z_0-9]+$/.test(sym) ? sym : `(${sym})`;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

// ------------------------------------------------------------------ reshape

function shapeArg(attrs: Attrs): ShapeArg | null {
  const v = attrs.shape;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'kind' in v && v.kind === 'shape') return v;
  return null;
}

function formatTarget(dims: ShapeArg['dims']): string {
  return `[${dims.map((d) => (d === 'infer' ? '-1' : d.sym)).join(', ')}]`;
}

/** `N*D` for the element count of a shape. */
function countSym(s: Shape): string {
  return s.length ? s.map((d) => wrap(d.sym)).join('*') : '1';
}

function knownCount(s: Shape): number | null {
  let n = 1;
  for (const d of s) {
    if (d.size === null) return null;
    n *= d.size;
  }
  return n;
}

/** An element count as a product: a literal coefficient times symbolic factors. */
interface Product {
  coef: number;
  atoms: string[];
}

/** Splits a shape's element count into factors; `dims` remembers the Dim behind each factor. */
function productOf(s: Shape, dims: Map<string, Dim>): Product {
  const p: Product = { coef: 1, atoms: [] };
  for (const d of s) {
    if (d.origin === 'literal') {
      p.coef *= d.size ?? 1;
    } else if (d.origin === 'derived' && /^\w+(\*\w+)+$/.test(d.sym)) {
      // A product from an earlier reshape (N*D) cancels factor by factor.
      for (const part of d.sym.split('*')) {
        if (/^\d+$/.test(part)) p.coef *= Number(part);
        else p.atoms.push(part);
      }
    } else {
      const sym = wrap(d.sym);
      p.atoms.push(sym);
      dims.set(sym, d);
    }
  }
  return p;
}

/** num / den with common factors cancelled. */
function cancel(num: Product, den: Product): { num: Product; den: Product } {
  const rest = [...den.atoms];
  const top: string[] = [];
  for (const a of num.atoms) {
    const j = rest.indexOf(a);
    if (j >= 0) rest.splice(j, 1);
    else top.push(a);
  }
  const g = num.coef === 0 || den.coef === 0 ? 1 : gcd(num.coef, den.coef);
  return { num: { coef: num.coef / g, atoms: top }, den: { coef: den.coef / g, atoms: rest } };
}

function formatProduct(p: Product): string {
  const parts = [...(p.coef !== 1 || p.atoms.length === 0 ? [String(p.coef)] : []), ...p.atoms];
  return parts.join('*');
}

/** Folds factors whose size is known into the coefficient; false if some factor stays unknown. */
function fullyKnown(p: Product, dims: Map<string, Dim>): { coef: number; known: boolean } {
  let coef = p.coef;
  for (const a of p.atoms) {
    const size = dims.get(a)?.size ?? null;
    if (size === null) return { coef, known: false };
    coef *= size;
  }
  return { coef, known: true };
}

/** The inferred (-1) dimension: input count / product of the other target dimensions. */
function inferredDim(x: Shape, others: Shape, label: string, target: string): Dim | string {
  const dims = new Map<string, Dim>();
  const { num, den } = cancel(productOf(x, dims), productOf(others, dims));
  const inCount = knownCount(x);
  const otherCount = knownCount(others);
  let size: number | null = null;
  if (inCount !== null && otherCount !== null) {
    if (otherCount === 0) return `${label} cannot infer the -1 in ${target}: the other dimensions multiply to 0, so any size would fit; give every dimension explicitly`;
    if (inCount % otherCount !== 0) {
      return (
        `${label} cannot reshape x ${formatShape(x)} (${countSym(x)} = ${inCount} elements) into ${target}: ${inCount} is not a multiple of ${countSym(others)} = ${otherCount}` +
        `${formatDimValues(x, others)}; choose dimensions whose product divides ${inCount}`
      );
    }
    size = inCount / otherCount;
  } else if (num.atoms.length === 0 && den.atoms.length === 0 && num.coef % den.coef !== 0) {
    return `${label} cannot reshape x ${formatShape(x)} into ${target}: ${countSym(x)} elements are not a multiple of ${countSym(others)}; choose dimensions whose product divides the element count`;
  }
  // The -1 of reshape(x: [N, D], [N, -1]) is D itself, not a new symbol.
  if (num.coef === 1 && num.atoms.length === 1 && den.atoms.length === 0 && den.coef === 1) {
    const d = dims.get(num.atoms[0]);
    if (d && (size === null || d.size === size)) return d;
  }
  const top = formatProduct(num);
  const bottom = den.atoms.length === 0 && den.coef === 1 ? '' : den.atoms.length + (den.coef !== 1 ? 1 : 0) > 1 ? `/(${formatProduct(den)})` : `/${formatProduct(den)}`;
  const sym = `${top}${bottom}`;
  return size !== null && /^\d+$/.test(sym) ? lit(size) : derived(sym, size);
}

function reshapeShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const op = ctx.label;
  const x = ctx.types[0].shape;
  const arg = shapeArg(attrs);
  if (!arg) return fail(`${op} needs the target shape as a list, e.g. reshape(x, [N, -1])`, 1, 'bad-argument');
  const target = formatTarget(arg.dims);
  const infers = arg.dims.filter((d) => d === 'infer').length;
  if (infers > 1) return fail(`${op}: at most one dimension of the target can be -1, found ${infers} in ${target}; give the others explicitly`, 1, 'bad-argument');
  const given = arg.dims.filter((d): d is Dim => d !== 'infer');
  const negative = given.find((d) => d.size !== null && (d.size < 0 || !Number.isInteger(d.size)));
  if (negative) return fail(`${op}: target dimensions are non-negative integers or a single -1, found ${negative.sym} in ${target}`, 1, 'bad-argument');

  if (infers === 1) {
    const d = inferredDim(x, given, op, target);
    if (typeof d === 'string') return fail(d, 1, 'shape-mismatch');
    return ok(arg.dims.map((t) => (t === 'infer' ? d : t)));
  }

  const inCount = knownCount(x);
  const outCount = knownCount(given);
  const mismatch = (a: string, b: string) =>
    fail(
      `${op} cannot reshape x ${formatShape(x)} (${a} elements) into ${target} (${b} elements)${formatDimValues(x, given)}; ` +
        `the element counts must agree — write -1 for one dimension to infer it, e.g. reshape(x, [${given.length ? given[0].sym : 'N'}, -1])`,
      1,
      'shape-mismatch',
    );
  const dims = new Map<string, Dim>();
  const { num, den } = cancel(productOf(x, dims), productOf(given, dims));
  if (inCount !== null && outCount !== null) {
    if (inCount !== outCount) return mismatch(`${countSym(x)} = ${inCount}`, `${countSym(given)} = ${outCount}`);
    // [N, D] → [N, H] with D = H = 5 runs, but only because the sizes coincide.
    const conflicts: [Dim, Dim][] = [];
    if (num.atoms.length === 1 && den.atoms.length === 1) {
      const a = dims.get(num.atoms[0]);
      const b = dims.get(den.atoms[0]);
      if (a && b && namesConflict(a, b)) conflicts.push([a, b]);
    }
    return ok(given, conflicts);
  }
  // Sizes unknown (inside a gate): the counts must agree symbolically.
  const top = fullyKnown(num, dims);
  const bottom = fullyKnown(den, dims);
  if (!top.known || !bottom.known || top.coef !== bottom.coef) return mismatch(countSym(x), countSym(given));
  return ok(given);
}

export const reshape: OpDef = {
  id: 'reshape',
  sameEntries: true,
  // Reshape the gradient back to x's shape (one unnamed dimension may be written -1).
  derive({ grad, types: [t] }) {
    const dims = t.shape.map((d) => dimExpr(d));
    const unnamed = dims.filter((d) => d === null).length;
    if (unnamed > 1) return "x's shape has several unnamed dimensions, so it cannot be written back";
    return [E.call('reshape', [grad, E.list(dims.map((d) => d ?? E.num(-1)))])];
  },
  name: 'reshape',
  group: 'shape',
  signature: [X_PARAM, { name: 'shape', kind: 'shape', doc: 'target shape: dimension names, integers and at most one -1 (inferred)' }],
  summary: 'Reinterprets the elements of x (row-major order, as numpy and torch.reshape) with a new shape of the same element count; one dimension may be -1 and is inferred.',
  explain: 'Moves nothing, so it changes nothing about the gradient: the upstream gradient is reshaped back to the shape of x.',
  preservesInt: true,
  shape: reshapeShape,
  forward([x], attrs) {
    const arg = shapeArg(attrs);
    const dims = arg ? arg.dims : [];
    const sizes = dims.map((d) => (d === 'infer' ? -1 : d.size));
    if (sizes.some((s) => s === null)) {
      return { value: x.clone(), error: `reshape: the target ${formatTarget(dims)} has a dimension without a size at run time; give it a value in \`dims\`.` };
    }
    const known = sizes.reduce<number>((a, s) => (s === -1 ? a : a * (s as number)), 1);
    const shape = sizes.map((s) => (s === -1 ? (known === 0 ? 0 : x.size / known) : (s as number)));
    if (!Number.isInteger(sizeOf(shape)) || sizeOf(shape) !== x.size) {
      return { value: x.clone(), error: `reshape: cannot reshape ${x.size} elements of shape [${x.shape.join(', ')}] into ${formatTarget(dims)} = [${shape.join(', ')}].` };
    }
    // A copy, so that no later consumer can alias another node's buffer.
    return { value: new Tensor(shape, x.data.slice()) };
  },
  backward({ inputs: [x], grad }) {
    return [new Tensor(x.shape, grad.data.slice())];
  },
  // One copy each way (a block copy).
  cost: ([x]) => 0.4 * entries(x),
  backwardCost: ([x]) => 0.4 * entries(x),
};

// ------------------------------------------------------------------ concat / stack

const XS_PARAM: ParamSpec = { name: 'xs', kind: 'tensors', doc: 'list of tensors, e.g. [a, b]' };

/** Integer labels and floats do not mix: the result would be read as labels or lose them. */
function mixedInts(ctx: ShapeContext): ShapeResult | null {
  const ints = ctx.types.filter((t) => t.isInt).length;
  if (ints === 0 || ints === ctx.types.length) return null;
  return fail(`${ctx.label} mixes integer labels (int[...]) with float tensors; join labels with labels and floats with floats`, undefined, 'bad-argument');
}

/** Sum of the lengths along the concat axis, collecting like terms: [N, N, 3] → 2*N+3. */
function sumDims(ds: Dim[]): Dim {
  if (ds.length === 1) return ds[0];
  let literal = 0;
  let literalAt = -1;
  const terms: { d: Dim; count: number }[] = [];
  let size: number | null = 0;
  for (const d of ds) {
    size = size !== null && d.size !== null ? size + d.size : null;
    if (d.origin === 'literal') {
      if (literalAt < 0) literalAt = terms.length;
      literal += d.size ?? 0;
      continue;
    }
    const t = terms.find((e) => e.d.sym === d.sym);
    if (t) t.count++;
    else terms.push({ d, count: 1 });
  }
  if (terms.length === 0) return lit(literal);
  const parts = terms.map((t) => (t.count === 1 ? t.d.sym : `${t.count}*${wrap(t.d.sym)}`));
  if (literalAt >= 0 && literal !== 0) parts.splice(literalAt, 0, String(literal));
  return derived(parts.join('+'), size);
}

function concatShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const op = ctx.label;
  if (ctx.types.length === 0) return fail(`${op} needs at least one tensor, e.g. ${op}([a, b], axis=0)`, 0, 'bad-argument');
  const mixed = mixedInts(ctx);
  if (mixed) return mixed;
  const shapes = ctx.types.map((t) => t.shape);
  const first = shapes[0];
  const rank = first.length;
  if (rank === 0) return fail(`${op} cannot join scalars (rank 0) along an axis; use stack([a, b]) to make a vector of them`, undefined, 'shape-mismatch');
  const axisAttr = attrOr(attrs, 'axis', 0);
  const axis = Number.isInteger(axisAttr) ? normAxis(axisAttr, rank) : null;
  if (axis === null) return fail(`${op}: axis ${axisAttr} is out of range for tensors of rank ${rank} like ${formatShape(first)} (valid: -${rank}…${rank - 1})`, 1, 'bad-argument');
  const conflicts: [Dim, Dim][] = [];
  for (let k = 1; k < shapes.length; k++) {
    const s = shapes[k];
    if (s.length !== rank) {
      return fail(`${op} needs tensors of the same rank: tensor 0 is ${formatShape(first)} (rank ${rank}) but tensor ${k} is ${formatShape(s)} (rank ${s.length}); reshape one of them`, undefined, 'shape-mismatch');
    }
    for (let i = 0; i < rank; i++) {
      if (i === axis) continue;
      if (!dimsEqual(first[i], s[i])) {
        return fail(
          `${op} along axis ${axisAttr} needs equal dimensions on every other axis, but tensor 0 ${formatShape(first)} and tensor ${k} ${formatShape(s)} differ on axis ${i}: ${first[i].sym} vs ${s[i].sym}` +
            `${formatDimValues(first, s)}; transpose or reshape one of them, or join along axis ${i} instead`,
          undefined,
          'shape-mismatch',
        );
      }
      if (namesConflict(first[i], s[i])) conflicts.push([first[i], s[i]]);
    }
  }
  const out = [...first];
  out[axis] = sumDims(shapes.map((s) => s[axis]));
  return ok(out, conflicts);
}

/** Joins tensors whose shapes agree except on `axis` (each part's axis length may differ). */
function joinAlong(parts: Tensor[], axis: number, outShape: number[]): Tensor {
  const out = new Tensor(outShape);
  const outer = sizeOf(outShape.slice(0, axis));
  const inner = sizeOf(outShape.slice(axis + 1));
  const row = outShape[axis] * inner;
  let off = 0;
  for (const p of parts) {
    const block = p.shape[axis] * inner;
    for (let o = 0; o < outer; o++) out.data.set(p.data.subarray(o * block, (o + 1) * block), o * row + off);
    off += block;
  }
  return out;
}

/** The slice [start, start+len) of `g` along `axis`. */
function sliceAlong(g: Tensor, axis: number, start: number, len: number): Tensor {
  const shape = g.shape.map((d, i) => (i === axis ? len : d));
  const out = new Tensor(shape);
  const outer = sizeOf(g.shape.slice(0, axis));
  const inner = sizeOf(g.shape.slice(axis + 1));
  const row = g.shape[axis] * inner;
  const block = len * inner;
  for (let o = 0; o < outer; o++) out.data.set(g.data.subarray(o * row + start * inner, o * row + start * inner + block), o * block);
  return out;
}

export const concat: OpDef = {
  id: 'concat',
  derive: () => 'GradLens cannot write the gradient of concat as .grad text yet (it slices the gradient at offsets that depend on the shapes); pass the pieces separately',
  name: 'concat',
  group: 'shape',
  signature: [XS_PARAM, { name: 'axis', kind: 'int', default: 0, doc: 'existing axis to join along (negative counts from the end)' }],
  summary: 'Joins tensors along an existing axis (numpy.concatenate, torch.cat): shapes must agree on every other axis; the joined axis gets the sum of the lengths.',
  explain: 'A copy: each input receives the slice of the upstream gradient at the positions it was copied to.',
  preservesInt: true,
  shape: concatShape,
  forward(inputs, attrs) {
    const axis = normAxis(attrOr(attrs, 'axis', 0), inputs[0].rank) ?? 0;
    const outShape = [...inputs[0].shape];
    outShape[axis] = inputs.reduce((n, t) => n + t.shape[axis], 0);
    return { value: joinAlong(inputs, axis, outShape) };
  },
  backward({ inputs, grad, attrs, needs }) {
    const axis = normAxis(attrOr(attrs, 'axis', 0), inputs[0].rank) ?? 0;
    let start = 0;
    return inputs.map((t, k) => {
      const len = t.shape[axis];
      const g = needs[k] ? sliceAlong(grad, axis, start, len) : null;
      start += len;
      return g;
    });
  },
  cost: (shapes, out, attrs) => joinCost(shapes, out, normAxis(attrOr(attrs, 'axis', 0), out.length) ?? 0, 0.4),
  // Slicing back allocates each part's gradient anew.
  backwardCost: (shapes, out, attrs) => joinCost(shapes, out, normAxis(attrOr(attrs, 'axis', 0), out.length) ?? 0, 0.8),
};

/** Joining (or slicing back) copies one block per part and outer index: few long blocks or many short ones. */
function joinCost(parts: readonly (readonly number[])[], out: readonly number[], axis: number, perEntry: number): number {
  return perEntry * entries(out) + 4 * COST.run * parts.length * entries(out.slice(0, axis));
}

function stackShape(ctx: ShapeContext, attrs: Attrs): ShapeResult {
  const op = ctx.label;
  if (ctx.types.length === 0) return fail(`${op} needs at least one tensor, e.g. ${op}([a, b], axis=0)`, 0, 'bad-argument');
  const mixed = mixedInts(ctx);
  if (mixed) return mixed;
  const shapes = ctx.types.map((t) => t.shape);
  const first = shapes[0];
  const rank = first.length;
  const axisAttr = attrOr(attrs, 'axis', 0);
  const axis = Number.isInteger(axisAttr) ? normAxis(axisAttr, rank + 1) : null;
  if (axis === null) return fail(`${op}: axis ${axisAttr} is out of range for stacking tensors of rank ${rank} like ${formatShape(first)} (valid: -${rank + 1}…${rank})`, 1, 'bad-argument');
  const conflicts: [Dim, Dim][] = [];
  for (let k = 1; k < shapes.length; k++) {
    const s = shapes[k];
    const same = s.length === rank && s.every((d, i) => dimsEqual(d, first[i]));
    if (!same) {
      return fail(
        `${op} needs tensors of the same shape: tensor 0 is ${formatShape(first)} but tensor ${k} is ${formatShape(s)}${formatDimValues(first, s)}; ` +
          `reshape or transpose one of them, or use concat to join along an existing axis`,
        undefined,
        'shape-mismatch',
      );
    }
    s.forEach((d, i) => {
      if (namesConflict(first[i], d)) conflicts.push([first[i], d]);
    });
  }
  const out: Dim[] = [...first];
  out.splice(axis, 0, lit(shapes.length));
  return ok(out, conflicts);
}

/** Shape with a new axis of length 1 at `axis`. */
function withUnitAxis(shape: readonly number[], axis: number): number[] {
  const s = [...shape];
  s.splice(axis, 0, 1);
  return s;
}

export const stack: OpDef = {
  id: 'stack',
  derive: () => 'GradLens cannot write the gradient of stack as .grad text yet; pass the pieces separately',
  name: 'stack',
  group: 'shape',
  signature: [XS_PARAM, { name: 'axis', kind: 'int', default: 0, doc: 'position of the new axis (negative counts from the end)' }],
  summary: 'Stacks tensors of the same shape along a new axis (numpy.stack, torch.stack): k tensors of shape S give S with a new axis of length k inserted at `axis`.',
  explain: 'A copy: each input receives its slice of the upstream gradient along the new axis.',
  preservesInt: true,
  shape: stackShape,
  forward(inputs, attrs) {
    const axis = normAxis(attrOr(attrs, 'axis', 0), inputs[0].rank + 1) ?? 0;
    const parts = inputs.map((t) => t.reshaped(withUnitAxis(t.shape, axis)));
    const outShape = withUnitAxis(inputs[0].shape, axis);
    outShape[axis] = inputs.length;
    return { value: joinAlong(parts, axis, outShape) };
  },
  backward({ inputs, grad, attrs, needs }) {
    const axis = normAxis(attrOr(attrs, 'axis', 0), inputs[0].rank + 1) ?? 0;
    return inputs.map((t, k) => (needs[k] ? sliceAlong(grad, axis, k, 1).reshaped(t.shape) : null));
  },
  cost: (shapes, out, attrs) => joinCost(shapes, out, normAxis(attrOr(attrs, 'axis', 0), out.length) ?? 0, 0.4),
  // Slicing back allocates each part's gradient anew.
  backwardCost: (shapes, out, attrs) => joinCost(shapes, out, normAxis(attrOr(attrs, 'axis', 0), out.length) ?? 0, 0.8),
};

// ------------------------------------------------------------------ expand_dims, ones_like, zeros_like

export const expandDims: OpDef = {
  id: 'expand_dims',
  derive: ({ grad, attrExprs }) => [E.call('sum', [grad], { axis: attrExprs.axis })],
  name: 'expand_dims',
  group: 'shape',
  signature: [X_PARAM, { name: 'axis', kind: 'int', doc: 'where the new axis of size 1 goes (negative counts from the end of the result)' }],
  summary: 'Inserts an axis of size 1 (numpy.expand_dims), e.g. to broadcast a per-row value against a matrix.',
  explain: 'Passes the upstream gradient back with the inserted axis summed away (it has size 1).',
  preservesInt: true,
  shape(ctx, attrs) {
    const s = ctx.types[0].shape;
    const axis = normAxis(attrOr(attrs, 'axis', 0), s.length + 1);
    if (axis === null) return fail(`expand_dims: axis ${String(attrs.axis)} is out of range for a result of rank ${s.length + 1}`, 1, 'bad-argument');
    return ok([...s.slice(0, axis), lit(1), ...s.slice(axis)]);
  },
  forward([x], attrs) {
    const axis = normAxis(attrOr(attrs, 'axis', 0), x.rank + 1) as number;
    return { value: new Tensor([...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)], x.data) };
  },
  backward({ inputs: [x], grad }) {
    return [new Tensor(x.shape, grad.data)];
  },
  // A view: the data is shared.
  cost: () => 0,
  backwardCost: () => 0,
};

function constantLike(id: 'ones_like' | 'zeros_like', v: number): OpDef {
  return {
    id,
    name: id,
    group: 'shape',
    signature: [X_PARAM],
    summary: `A tensor of ${v === 1 ? 'ones' : 'zeros'} with the shape of x (numpy.${id}); handy in backward blocks, e.g. \`dout * ones_like(x)\` to broadcast a gradient back.`,
    explain: 'Does not depend on the values of x, so no gradient flows into x.',
    noGrad: true,
    shape: (ctx) => ok(ctx.types[0].shape),
    forward: ([x]) => ({ value: Tensor.full(x.shape, v) }),
    backward: () => [null],
    cost: ([x]) => (v === 0 ? COST.zeros : 0.4) * entries(x),
    backwardCost: () => 0,
  };
}

export const onesLike = constantLike('ones_like', 1);
export const zerosLike = constantLike('zeros_like', 0);

export const SHAPE_OPS: OpDef[] = [reshape, concat, stack, expandDims, onesLike, zerosLike];
