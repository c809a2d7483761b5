// Integer class labels: their shape rules and run-time range check (shared with the losses), and
// the label helpers one_hot (no gradient) and pick (routes each row's gradient to its label).
import { fail, ok, type ShapeFail, type ShapeResult } from '../shapes/broadcast';
import { dimsEqual, formatDimValues, formatShape, lit, namesConflict, type Dim } from '../shapes/shape';
import { Tensor, unravel } from '../tensor/tensor';
import { COST, entries } from './cost';
import { type AttrValue, type OpDef, type ShapeContext } from './op';
import { E } from '../lang/print';
import { dimExpr } from './deriveKit';

/** A 'dim' attribute: a Dim from the resolver, or a bare integer (tests, internal callers). */
function dimAttr(v: AttrValue | undefined): Dim | null {
  if (typeof v === 'number') return lit(v);
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && 'sym' in v && 'origin' in v) return v;
  return null;
}

/** The shape-rule failure for a label argument that is not declared as integers, or null. */
function requireLabels(ctx: ShapeContext, argIndex: number, argName: string): ShapeFail | null {
  const t = ctx.types[argIndex];
  if (t.isInt) return null;
  const example = t.shape.length ? `int[${t.shape.map((d) => d.sym).join(', ')}]` : 'int';
  return fail(
    `${ctx.label}: ${argName} must hold integer class labels, found a float tensor ${formatShape(t.shape)}; ` +
      `declare it as \`${example}\` (e.g. \`input y: int[N] in 0..C\`)`,
    argIndex,
    'bad-argument',
  );
}

/**
 * The run-time check of integer labels against C classes: undefined when all are valid, else a
 * sentence naming the first bad label's index and value and the valid range.
 */
export function labelProblem(op: string, y: Tensor, C: number): string | undefined {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < y.size; i++) {
    const v = y.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < C)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first < 0) return undefined;
  const v = y.data[first];
  const where = y.rank === 0 ? 'the label' : `the label at index [${unravel(first, y.shape).join(', ')}]`;
  const what = Number.isInteger(v) ? `is ${v}, outside the valid range [0, ${C})` : `is ${v}, which is not an integer class index in [0, ${C})`;
  const more = bad > 1 ? ` (${bad} of ${y.size} labels are invalid)` : '';
  return `${op}: ${where} ${what}${more}; labels are class indices 0…${C - 1} for ${C} classes.`;
}

/**
 * Shape rule for (scores, labels) pairs: scores [N, C] with labels [N], or [C] with a scalar label.
 * With `anyRank`, scores [..., C] with labels [...] (pick). Returns the batch shape scores.shape[:-1].
 */
export function scoresAndLabelsRule(ctx: ShapeContext, anyRank: boolean): ShapeResult {
  const op = ctx.label;
  const s = ctx.types[0].shape;
  const y = ctx.types[1].shape;
  const notInt = requireLabels(ctx, 1, 'the labels');
  if (notInt) return notInt;
  if (s.length === 0 || (!anyRank && s.length > 2)) {
    const fix = s.length === 0 ? 'pass one score per class' : `merge the leading axes first, e.g. reshape(scores, [-1, ${s[s.length - 1].sym}])`;
    return fail(`${op} expects scores as [N, C] (one row of class scores per example) or [C] for a single example, found ${formatShape(s)}; ${fix}`, 0, 'shape-mismatch');
  }
  const batch = s.slice(0, -1);
  const C = s[s.length - 1];
  const expected = batch.length ? formatShape(batch) : 'a scalar';
  if (y.length !== batch.length || !y.every((d, i) => dimsEqual(d, batch[i]))) {
    return fail(
      `${op} needs one label per row of scores ${formatShape(s)}: labels of shape ${batch.length ? expected : '[] (a scalar)'}, found ${formatShape(y)}${formatDimValues(s, y)}; ` +
        `each label is the class index in [0, ${C.sym}) of its example`,
      1,
      'shape-mismatch',
    );
  }
  const conflicts: [Dim, Dim][] = [];
  y.forEach((d, i) => {
    if (namesConflict(batch[i], d)) conflicts.push([batch[i], d]);
  });
  return ok(batch, conflicts);
}

// ------------------------------------------------------------------ one_hot and pick

export const oneHot: OpDef = {
  id: 'one_hot',
  name: 'one_hot',
  group: 'networks',
  signature: [
    { name: 'y', kind: 'tensor', labels: true, doc: 'integer class labels, any shape' },
    { name: 'C', kind: 'dim', doc: 'number of classes: a dimension name or an integer' },
  ],
  summary: 'One-hot encoding: y.shape + [C], 1 at each label’s class and 0 elsewhere (torch.nn.functional.one_hot, as floats). Labels must lie in [0, C).',
  explain: 'Piecewise constant in its integer labels, so no gradient flows through it. Multiply by it to select entries, e.g. sum(scores * one_hot(y, C), axis=1) picks the correct-class scores.',
  noGrad: true,
  shape(ctx, attrs) {
    const notInt = requireLabels(ctx, 0, 'y');
    if (notInt) return notInt;
    const C = dimAttr(attrs.C);
    if (!C) return fail(`${ctx.label}: C must be a dimension name or a positive integer, e.g. one_hot(y, C)`, 1, 'bad-argument');
    if (C.size !== null && (!Number.isInteger(C.size) || C.size < 1)) return fail(`${ctx.label}: the number of classes C must be a positive integer, found ${C.size}`, 1, 'bad-argument');
    return ok([...ctx.types[0].shape, C]);
  },
  forward([y], attrs) {
    const C = dimAttr(attrs.C)?.size ?? null;
    if (C === null) return { value: new Tensor([...y.shape, 0]), error: `one_hot: the number of classes C has no size at run time; give it a value in \`dims\`.` };
    const out = new Tensor([...y.shape, C]);
    const error = labelProblem('one_hot', y, C);
    if (error) return { value: out, error };
    for (let i = 0; i < y.size; i++) out.data[i * C + y.data[i]] = 1;
    return { value: out };
  },
  backward: ({ needs }) => needs.map(() => null),
  // The zeros, then one write per label.
  cost: ([y], out) => 0.3 * entries(out) + COST.entry * entries(y),
  backwardCost: () => 0,
};

export const pick: OpDef = {
  id: 'pick',
  // The picked entries get the gradient: one_hot(y, C) · g[..., None]
  derive({ grad, args: [, y], types: [t] }) {
    const C = dimExpr(t.shape[t.shape.length - 1]);
    if (!C) return 'the number of classes has no name here';
    return [E.bin('*', E.call('one_hot', [y, C]), E.call('expand_dims', [grad], { axis: E.num(-1) })), null];
  },
  name: 'pick',
  group: 'networks',
  signature: [
    { name: 'x', kind: 'tensor', doc: 'scores [N, C] (or [C], or [..., C])' },
    { name: 'y', kind: 'tensor', labels: true, doc: 'integer class labels [N] (or a scalar, or [...])' },
  ],
  summary:
    'Picks one entry per row: out[i] = x[i, y[i]] (numpy x[arange(N), y]); x [C] with a scalar label gives a scalar. An extension to spec v1 for writing losses by hand, e.g. mean(logsumexp(s, axis=1) − pick(s, y)).',
  explain: 'A router: each picked entry receives its row’s upstream gradient; every other entry of x gets 0. The labels get no gradient.',
  shape: (ctx) => scoresAndLabelsRule(ctx, true),
  forward([x, y]) {
    const C = x.shape[x.rank - 1];
    const out = new Tensor(y.shape);
    const error = labelProblem('pick', y, C);
    if (error) return { value: out, error };
    for (let i = 0; i < y.size; i++) out.data[i] = x.data[i * C + y.data[i]];
    return { value: out };
  },
  backward({ inputs: [x, y], grad, needs }) {
    if (!needs[0]) return [null, null];
    const C = x.shape[x.rank - 1];
    const dx = new Tensor(x.shape);
    for (let i = 0; i < y.size; i++) dx.data[i * C + y.data[i]] += grad.data[i];
    return [dx, null];
  },
  cost: (_s, out) => 2 * COST.entry * entries(out),
  // A gradient of zeros the size of x, but for the picked entries.
  backwardCost: ([x], out) => COST.zeros * entries(x) + COST.entry * entries(out),
};


export const LABEL_OPS: OpDef[] = [oneHot, pick];
