// Gradient functions for the ops whose backward rule is not a short formula (convolution,
// pooling, BPTT, batchnorm, maxout): `conv2d_dw(dout, x, w, b, stride=1, pad=1)` is the
// gradient of conv2d with respect to w, computed by conv2d's own backward (one op, one place).
// They are what a cs231n student calls `conv_backward`, and what "Derive backward" writes for
// these ops; they only make sense inside `backward { … }`.
import { fail, ok } from '../shapes/broadcast';
import { formatShape, shapesEqual } from '../shapes/shape';
import { Tensor } from '../tensor/tensor';
import { conv2d, avgPool2d, maxPool2d } from './convolution';
import { batchnorm, maxout } from './networks';
import { groupnorm } from './normalization';
import { gelu } from './elementwise';
import { attention, multiheadAttention } from './attention';
import { lstm } from './lstm';
import { index } from './indexing';
import { backwardCost, entries, forwardCost } from './cost';
import type { IndexSpec, OpDef } from './op';
import { rnn } from './recurrent';

export function vjpName(op: OpDef, param: string): string {
  return `${op.id}_d${param}`;
}

function gradientFunction(op: OpDef, k: number): OpDef {
  const tensorParams = op.signature.filter((p) => p.kind === 'tensor');
  const param = tensorParams[k];
  const id = vjpName(op, param.name);
  return {
    id,
    name: id,
    group: 'gradients',
    signature: [{ name: 'dout', kind: 'tensor', doc: `upstream gradient, shaped like the output of ${op.name}` }, ...op.signature],
    summary: `The gradient of \`${op.name}\` with respect to \`${param.name}\`, given the upstream gradient dout (computed by ${op.name}'s own backward rule). Only inside backward blocks.`,
    explain: op.explain,
    backwardOnly: true,
    noGrad: true,
    shape(ctx, attrs) {
      const r = op.shape({ label: op.name, types: ctx.types.slice(1) }, attrs);
      if (!r.ok) return r;
      const dout = ctx.types[0].shape;
      if (!shapesEqual(dout, r.shape)) return fail(`${id}: dout must have the shape of ${op.name}'s output ${formatShape(r.shape)}, found ${formatShape(dout)}`, 0);
      return ok(ctx.types[1 + k].shape);
    },
    forward(inputs, attrs, ctx) {
      const args = inputs.slice(1);
      const f = op.forward(args, attrs, ctx);
      const grads = op.backward({ inputs: args, out: f.value, grad: inputs[0], saved: f.saved, attrs, needs: args.map((_, i) => i === k) });
      return { value: grads[k] ?? new Tensor(args[k].shape) };
    },
    backward: () => [],
    // The op's forward and backward passes, whose output and workspace live while it runs.
    cost: (shapes, _out, attrs) => forwardCost(op, shapes.slice(1), shapes[0], attrs) + backwardCost(op, shapes.slice(1), shapes[0], attrs, shapes.slice(1).map((_, i) => i === k)),
    backwardCost: () => 0,
    workspace: (shapes, _out, attrs) => {
      const ws = op.workspace?.(shapes.slice(1), shapes[0], attrs) ?? {};
      return { scratch: entries(shapes[0]) + (ws.saved ?? 0) + (ws.scratch ?? 0) + shapes.slice(1).reduce((a, s, i) => a + (i === k ? 0 : entries(s)), 0) };
    },
  };
}

/** Ops differentiated through gradient functions rather than a formula (the exporters define them too). */
export const THROUGH_FUNCTIONS: OpDef[] = [conv2d, maxPool2d, avgPool2d, rnn, batchnorm, maxout, groupnorm, lstm, gelu, attention, multiheadAttention];

/** The gradient of `x[i, j]`: dout placed at the indexed position of x, zeros elsewhere. */
export const indexGrad: OpDef = {
  id: 'index_grad',
  name: 'index_grad',
  group: 'gradients',
  signature: [
    { name: 'dout', kind: 'tensor', doc: 'upstream gradient, shaped like x[at]' },
    { name: 'x', kind: 'tensor', doc: 'the indexed tensor' },
    { name: 'at', kind: 'ints', doc: 'the integer indices, e.g. [0] for x[0] or [1, -1] for x[1, -1]' },
  ],
  summary: 'The gradient of the indexing x[at…]: dout placed at that position of a tensor of zeros shaped like x (numpy: g = zeros_like(x); g[at] = dout). Only inside backward blocks.',
  explain: index.explain,
  backwardOnly: true,
  noGrad: true,
  shape(ctx, attrs) {
    const items = atItems(attrs.at);
    const r = index.shape({ label: 'index_grad', types: [ctx.types[1]] }, { items });
    if (!r.ok) return r;
    if (!shapesEqual(ctx.types[0].shape, r.shape)) return fail(`index_grad: dout must have the shape of x[…] ${formatShape(r.shape)}, found ${formatShape(ctx.types[0].shape)}`, 0);
    return ok(ctx.types[1].shape);
  },
  forward([dout, x], attrs) {
    const [dx] = index.backward({ inputs: [x], out: dout, grad: dout, saved: undefined, attrs: { items: atItems(attrs.at) }, needs: [true] });
    return { value: dx ?? new Tensor(x.shape) };
  },
  backward: () => [],
  cost: ([dout, x]) => index.backwardCost?.([x], dout, {}) ?? entries(x),
  backwardCost: () => 0,
};

function atItems(v: unknown): IndexSpec[] {
  return (Array.isArray(v) ? (v as number[]) : []).map((value) => ({ kind: 'at', value }));
}

export const GRADIENT_OPS: OpDef[] = [
  ...THROUGH_FUNCTIONS.flatMap((op) =>
    op.signature
      .filter((p) => p.kind === 'tensor')
      .flatMap((p, k) => (p.labels ? [] : [gradientFunction(op, k)])),
  ),
  indexGrad,
];
