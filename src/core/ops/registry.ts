// The op table: every built-in operation, looked up by id, by operator, or by function name.
import type { BinaryOp } from '../lang/ast';
import { ARITHMETIC_OPS, add, div, eq, ge, gt, le, lt, mul, pow, sub } from './arithmetic';
import { ATTENTION_OPS } from './attention';
import { CONVOLUTION_OPS } from './convolution';
import { ELEMENTWISE_OPS } from './elementwise';
import { EMBEDDING_OPS } from './embedding';
import { LOSS_OPS } from './losses';
import { matmul } from './matrixProduct';
import { LSTM_OPS } from './lstm';
import { NETWORK_OPS } from './networks';
import { NORMALIZATION_OPS } from './normalization';
import type { OpDef } from './op';
import { RECURRENT_OPS } from './recurrent';
import { REDUCTION_OPS } from './reductions';
import { REGULARIZER_OPS } from './regularizers';
import { SHAPE_OPS } from './shapeOps';
import { TEMPORAL_OPS } from './temporal';
import { GRADIENT_OPS } from './vjp';
import { WORD2VEC_OPS } from './word2vec';

export const ALL_OPS: readonly OpDef[] = [
  ...ARITHMETIC_OPS,
  ...ELEMENTWISE_OPS,
  ...REDUCTION_OPS,
  ...SHAPE_OPS,
  ...NETWORK_OPS,
  ...NORMALIZATION_OPS,
  ...EMBEDDING_OPS,
  ...CONVOLUTION_OPS,
  ...RECURRENT_OPS,
  ...LSTM_OPS,
  ...ATTENTION_OPS,
  ...TEMPORAL_OPS,
  ...LOSS_OPS,
  ...WORD2VEC_OPS,
  ...REGULARIZER_OPS,
  ...GRADIENT_OPS,
];

export const OPS_BY_ID: ReadonlyMap<string, OpDef> = new Map(ALL_OPS.map((op) => [op.id, op]));

/** Ops callable by name, `name(…)`; several ops may share a name (max(a, b) / max(x, axis=k)). */
export const FUNCTIONS: ReadonlyMap<string, readonly OpDef[]> = (() => {
  const m = new Map<string, OpDef[]>();
  for (const op of ALL_OPS) {
    if (!/^[A-Za-z_]\w*$/.test(op.name)) continue;
    const list = m.get(op.name) ?? [];
    list.push(op);
    m.set(op.name, list);
  }
  return m;
})();

const BINARY: Record<BinaryOp, OpDef> = {
  '+': add,
  '-': sub,
  '*': mul,
  '/': div,
  '@': matmul,
  '**': pow,
  '>': gt,
  '<': lt,
  '>=': ge,
  '<=': le,
  '==': eq,
};

export function binaryOpDef(op: BinaryOp): OpDef {
  return BINARY[op];
}

/**
 * Picks the overload of a function for a call with `positional` positional arguments:
 * max(a, b) is the elementwise maximum, max(x) / max(x, axis=k) the reduction.
 */
export function chooseOverload(candidates: readonly OpDef[], positional: number): OpDef {
  if (candidates.length === 1) return candidates[0];
  const tensorParams = (op: OpDef) => op.signature.filter((p) => p.kind === 'tensor').length;
  return candidates.find((op) => tensorParams(op) === positional) ?? candidates.find((op) => tensorParams(op) === 1) ?? candidates[0];
}
