// Embeddings: rows of a table picked by integer indices (word vectors, token embeddings). The
// forward is a lookup; the backward is a scatter-add: every use of a row adds its upstream
// gradient into that row, so an index repeated in a batch (the same word twice) gets the sum —
// assigning instead of adding is the classic mistake.
import { E } from '../lang/print';
import { fail, ok, type ShapeResult } from '../shapes/broadcast';
import { formatShape } from '../shapes/shape';
import { Tensor, unravel } from '../tensor/tensor';
import { dimExpr } from './deriveKit';
import type { OpDef, ShapeContext } from './op';

/**
 * The run-time check of indices into a table of V rows: undefined when all are valid, else a
 * sentence naming the first bad index's position and value.
 */
export function indexProblem(op: string, idx: Tensor, V: number): string | undefined {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < idx.size; i++) {
    const v = idx.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v < V)) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (first < 0) return undefined;
  const where = idx.rank === 0 ? 'the index' : `the index at [${unravel(first, idx.shape).join(', ')}]`;
  const more = bad > 1 ? ` (${bad} of ${idx.size} indices are invalid)` : '';
  return `${op}: ${where} is ${idx.data[first]}, outside the table's rows 0…${V - 1}${more}; declare the indices with \`in 0..V\` for a table of V rows.`;
}

function embeddingShape(ctx: ShapeContext): ShapeResult {
  const [W, idx] = ctx.types;
  if (W.shape.length !== 2) {
    return fail(`${ctx.label} expects the table W as [V, D] (one row of D numbers per index), found ${formatShape(W.shape)}; declare W with 2 axes`, 0, 'shape-mismatch');
  }
  if (W.isInt) return fail(`${ctx.label}: the table W must hold floats (it is learned), found integers ${formatShape(W.shape)}; the indices go second: embedding(W, idx)`, 0, 'bad-argument');
  if (!idx.isInt) {
    const example = idx.shape.length ? `int[${idx.shape.map((d) => d.sym).join(', ')}]` : 'int';
    return fail(
      `${ctx.label}: idx must hold integer row indices, found a float tensor ${formatShape(idx.shape)}; declare it as \`${example}\` (e.g. \`input idx: int[N] in 0..V\`)`,
      1,
      'bad-argument',
    );
  }
  return ok([...idx.shape, W.shape[1]]);
}

export const embedding: OpDef = {
  id: 'embedding',
  name: 'embedding',
  group: 'networks',
  signature: [
    { name: 'W', kind: 'tensor', doc: 'the table [V, D]: one row of D numbers per index' },
    { name: 'idx', kind: 'tensor', labels: true, doc: 'integer row indices in [0, V), any shape' },
  ],
  summary:
    'Embedding lookup: out[..., :] = W[idx[...], :], shape idx.shape + [D] (torch.nn.functional.embedding(idx, W); numpy W[idx]; cs231n’s word_embedding_forward). ' +
    'Indices must lie in [0, V).',
  explain:
    'A scatter-add: each looked-up row of W receives the upstream gradient of every position that picked it, so an index used twice gets the sum of both gradients (numpy np.add.at(dW, idx, dout), not dW[idx] = dout). ' +
    'Rows no index picked get 0; the indices get no gradient. As a matrix product: dW = one_hot(idx, V)ᵀ · dout.',
  shape: embeddingShape,
  forward([W, idx]) {
    const [V, D] = W.shape;
    const out = new Tensor([...idx.shape, D]);
    const error = indexProblem('embedding', idx, V);
    if (error) return { value: out, error };
    for (let i = 0; i < idx.size; i++) out.data.set(W.data.subarray(idx.data[i] * D, idx.data[i] * D + D), i * D);
    return { value: out };
  },
  backward({ inputs: [W, idx], grad, needs }) {
    if (!needs[0]) return [null, null];
    const D = W.shape[1];
    const dW = new Tensor(W.shape);
    for (let i = 0; i < idx.size; i++) {
      const row = idx.data[i] * D;
      for (let j = 0; j < D; j++) dW.data[row + j] += grad.data[i * D + j];
    }
    return [dW, null];
  },
  cost: (s, out) => 2 * out.reduce((a, b) => a * b, 1) + s[0].reduce((a, b) => a * b, 1),
  // dW = one_hot(idx, V)ᵀ · dout, with the index axes flattened: repeated indices add up.
  derive({ grad, args: [, idx], types: [tW, tIdx] }) {
    const [V, D] = tW.shape.map(dimExpr);
    if (!V || !D) return 'the table’s dimensions have no name here';
    const hot = E.call('one_hot', [idx, V]);
    const rank = tIdx.shape.length;
    if (rank === 0) return [E.bin('*', E.call('expand_dims', [hot], { axis: E.num(1) }), E.call('expand_dims', [grad], { axis: E.num(0) })), null];
    if (rank === 1) return [E.bin('@', E.T(hot), grad), null];
    const rows = (e: typeof grad, last: typeof V) => E.call('reshape', [e], { shape: E.list([E.num(-1), last]) });
    return [E.bin('@', E.T(rows(hot, V)), rows(grad, D)), null];
  },
};

export const EMBEDDING_OPS: OpDef[] = [embedding];
