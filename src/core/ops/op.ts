// One op, one place: each operation defines its signature, shape rule, forward, backward, kink
// behaviour and explanation together. The engine, the gradient checker, the derivation of backward
// code, the hovers and the language reference all read these definitions.
import type { Expr } from '../lang/ast';
import type { ShapeResult } from '../shapes/broadcast';
import type { Dim, Shape } from '../shapes/shape';
import type { Tensor } from '../tensor/tensor';

export type OpGroup =
  | 'gradients'
  | 'arithmetic'
  | 'comparison'
  | 'elementwise'
  | 'reductions'
  | 'shape'
  | 'networks'
  | 'convolution'
  | 'recurrent'
  | 'losses'
  | 'regularizers';

/** Kinds of argument an operation accepts. Attribute kinds must be literals in the source. */
export type ParamKind =
  | 'tensor' // any tensor expression
  | 'tensors' // a list of tensor expressions: [a, b, …]
  | 'int' // integer literal
  | 'number' // numeric literal
  | 'bool' // true / false
  | 'axes' // an integer or a list of integers (reduction axes)
  | 'ints' // a list of integers (permutation)
  | 'dim' // a dimension name or an integer literal
  | 'shape'; // a list of dimension names, integers and at most one -1

export type AttrValue = number | boolean | number[] | Dim | ShapeArg | IndexSpec[] | string | null;

/** One item of an indexing expression: `x[2]` or `x[1:3]`. */
export type IndexSpec = { kind: 'at'; value: number } | { kind: 'slice'; start: number | null; stop: number | null };

/** A reshape target: dimensions, or 'infer' for the one -1. */
export type ShapeArg = { kind: 'shape'; dims: (Dim | 'infer')[] };

export interface ParamSpec {
  name: string;
  kind: ParamKind;
  /** Absent: required. null: optional with no value. */
  default?: number | boolean | number[] | null;
  /** Tensor arguments that must hold integer labels (`int[...]`); they never get a gradient. */
  labels?: boolean;
  doc: string;
}

export type Attrs = Record<string, AttrValue>;

/** Static type of a value: its symbolic shape and whether it holds integer labels. */
export interface ValueType {
  shape: Shape;
  isInt: boolean;
}

export interface ShapeContext {
  /** How the op is written in the source (`+`, `@`, `sum`, a gate name), for messages. */
  label: string;
  /** The static types of the tensor arguments, in order. */
  types: ValueType[];
}

export interface ForwardContext {
  /** Record which side of each kink every element took (gradient checks compare them). */
  trackKinks: boolean;
  /** Deterministic uniform [0, 1) numbers for this node (dropout masks). */
  random(count: number): Float64Array;
  /** No backward pass will read this evaluation (gradient checks): `saved` may be left out. */
  forwardOnly?: boolean;
}

export interface ForwardResult {
  value: Tensor;
  /** Anything the backward pass needs that is not an input or the output. */
  saved?: unknown;
  /** Which side of each kink elements took; equal arrays mean no kink was crossed. */
  kinks?: Int32Array;
  /**
   * A problem only visible at run time (a label outside [0, C)): the engine reports it as a
   * diagnostic at this node and stops before the backward pass. Never throw for bad data.
   */
  error?: string;
}

export interface BackwardArgs {
  inputs: Tensor[];
  out: Tensor;
  grad: Tensor;
  saved: unknown;
  attrs: Attrs;
  /** Which inputs need a gradient; others may be returned as null. */
  needs: boolean[];
  /** Publishes per-node series for charts and health checks (rnn: 'timestepGradNorms'). */
  record?(name: string, values: number[]): void;
}

/**
 * What a derivation rule sees: the operands and the output as .grad expressions, the upstream
 * gradient, the attributes, and the static types. Rules build expressions with `E` (lang/print).
 */
export interface DeriveContext {
  args: Expr[];
  /** The op's output: the assigned name when the op is a whole right-hand side, else the op expression. */
  out: Expr;
  grad: Expr;
  attrs: Attrs;
  /** The attributes as source expressions (for re-emitting keyword arguments). */
  attrExprs: Record<string, Expr>;
  types: ValueType[];
  outType: ValueType;
  /** Binds a helper name to an expression (a line of the backward block) and returns the name. */
  let(hint: string, e: Expr): Expr;
}

/**
 * What the checks and the exporters need to know about an op beyond its maths. Declared on the op
 * so that no code outside ops/ decides anything by comparing op ids: a new op states its traits in
 * its own file and is handled everywhere. All are optional; an op without them takes the general path.
 */
export interface OpTraits {
  /** A nonlinearity that follows a layer: the health checks read how its units fail and which init suits it. */
  activation?: ActivationTrait;
  /**
   * The matrix product of 2-D operands A [M, K] · B [K, N] through `gemm` (tensor/matmul), whose
   * output row i reads only row i of A and column j only column j of B. Batched gradient checks
   * recompute just the rows (columns) a perturbation changed and budget one row (column) per entry;
   * fast-mode projections use that it is linear in each operand (checks/linearReaders.ts); the
   * init-scale check takes the first axis of a weight it multiplies as the fan-in.
   */
  matrixProduct?: true;
  /**
   * Its forward and backward passes are matrix products (gemm) over its tensor inputs, its value
   * and the gradients it sends (rnn's: every step's product reads the previous state and Wh;
   * multihead_attention's projections read x and the four weights and write its value and their
   * gradients). Where a loop keeps results in the GEMM kernel's memory (engine/run.ts
   * residentResults), its value, what it sends and its inputs live there as a product's do, so its
   * products read and write them in place instead of copying them in and out.
   */
  productsInside?: true;
  /**
   * The sum of the squares of every entry of its one input (a scalar). Fast-mode projections
   * evaluate it along a direction u from ⟨x, u⟩ and ‖u‖² instead of writing x ± s·u and re-running
   * it (checks/linearReaders.ts); a test holds the closed form to the forward pass.
   */
  sumOfSquares?: true;
  /**
   * Its forward pass and its rule run on the WebAssembly kernels that compute on tensors resident
   * in the GEMM kernel's memory in place (tensor/simdElementwise.ts), not on JavaScript loops (slower
   * over that shared memory): an engine running resident (engine/run.ts) keeps the results of such
   * an op in that memory when it follows a matrix product, so the product after it reads them in place.
   */
  residentKernels?: true;
  /** Part of an affine map x @ W + b: the init-scale check follows a weight through it to the activation it feeds. */
  affine?: true;
  /**
   * Applies learned weights (a layer): its params of rank ≥ 2 are layer weights, whose gradient
   * norms the vanishing/exploding-gradient check compares from the first layer to the last.
   */
  weighted?: true;
  /**
   * A pass-through the engine inserts (gate inputs and outputs, renames): views and checks look
   * through it to the value it stands for.
   */
  marker?: true;
  /** The output holds the input's entries in the same flat order: batched checks pass the input's changed entries on as they are. */
  sameEntries?: true;
  /**
   * Draws one uniform random number per output entry (`ForwardContext.random`): exporters embed
   * the numbers GradLens drew, so a script applies the same mask.
   */
  stochastic?: true;
  /**
   * Multiplies entrywise, so a 0/1 mask operand means what it says: exporters keep a mask times a
   * float tensor as written (`dout * (x > 0)`) instead of converting the mask to floats.
   */
  acceptsMask?: true;
  /**
   * Runs one cell over the time steps of a sequence (the first axis of its output): the graph view
   * unrolls the op into its steps on request. Its backward records `timestepGradNorms`
   * (‖∂L/∂h_t‖ per step) and `carriedGradNorms` (‖∂L/∂h_{t−1}‖ sent back through step t).
   */
  recurrent?: RecurrentTrait;
}

/** How a recurrent op's steps read (see `OpTraits.recurrent`). */
export interface RecurrentTrait {
  /** One step written out, as the graph shows it. */
  step: string;
  /** The input sliced per step (x_t is its t-th slice along the first axis). */
  sequence: number;
  /** The initial states (they enter step 0); every other input is a weight all steps share. */
  states: readonly number[];
}

/** How an activation's units fail, for the health checks (dead units, saturation, init scale). */
export interface ActivationTrait {
  /** The init that keeps pre-activations at unit variance: he for relu-like units, xavier for saturating ones. */
  init: 'he' | 'xavier';
  /** Outputs exactly 0, passing no gradient, for every input ≤ 0: a unit at 0 for a whole batch is dead. */
  dies?: true;
  /** The output values it saturates towards, where its local gradient vanishes. */
  saturatesAt?: readonly [low: number, high: number];
}

export interface OpDef extends OpTraits {
  /** Unique id; `name` may be shared by overloads (max(a, b) vs max(x, axis=k)). */
  id: string;
  /** How it is written: a function name, or the operator symbol. */
  name: string;
  group: OpGroup;
  signature: ParamSpec[];
  /** What it computes, one line (language reference, hovers). */
  summary: string;
  /** How it routes gradients: the backward rule in words (hovers, docs). */
  explain: string;
  /** The subgradient used at kinks, for ops that have them. */
  kinks?: string;
  /**
   * Where a piecewise-constant op jumps (comparisons, sign), for ops that have steps. Declared
   * next to `kinks` because the gradient check treats them alike: forward records which side
   * each element took (`ForwardResult.kinks`, when `ctx.trackKinks`), and a perturbation that
   * changes a side is reported as a kink crossing, not as a disagreement.
   */
  steps?: string;
  /** True if the output never carries a gradient (comparisons, sign, one_hot). */
  noGrad?: boolean;
  /** True if the output holds integer labels whenever the first input does (indexing, reshapes). */
  preservesInt?: boolean;
  shape(ctx: ShapeContext, attrs: Attrs): ShapeResult;
  forward(inputs: Tensor[], attrs: Attrs, ctx: ForwardContext): ForwardResult;
  backward(args: BackwardArgs): (Tensor | null)[];
  /**
   * For a scalar output that is a sum of independent per-block terms of the first input (a row's
   * loss, a block of weights' squares): forward computes exactly finish(((+0 + term(0)) + term(1)) + …), in
   * ascending block order. Gradient checks then recompute only the blocks a perturbation changed.
   * Only for ops without kinks.
   */
  termSum?: TermSum;
  /**
   * The work of the forward pass in cost units (ops/cost.ts: about a nanosecond each), counted
   * from what the kernel's loops really do at these sizes and attributes. The plan holds a run to
   * its operation budget with it, and the gradient checks their budget. Default: the output's size.
   */
  cost?(inputShapes: readonly (readonly number[])[], outShape: readonly number[], attrs: Attrs): number;
  /**
   * The work of the backward pass, in the same units, when the inputs flagged in `needs` (default:
   * all) take a gradient. Default: twice `cost`.
   */
  backwardCost?(inputShapes: readonly (readonly number[])[], outShape: readonly number[], attrs: Attrs, needs?: readonly boolean[]): number;
  /**
   * Memory the op needs besides its inputs, output and gradients, in float64 elements (an Int32
   * array counts half): what forward keeps for backward and what a pass allocates for a while.
   * The plan counts it before anything runs. Default: none.
   */
  workspace?(inputShapes: readonly (readonly number[])[], outShape: readonly number[], attrs: Attrs): Workspace;
  /**
   * The backward rule as .grad text: per tensor argument, the gradient expression at the shape of
   * the output (the deriver sums over broadcast axes), null for none, or a sentence saying why
   * it cannot be written. Ops without a rule are derived through their `<op>_d<arg>` functions.
   */
  derive?(ctx: DeriveContext): (Expr | null)[] | string;
  /** Computes a gradient from a backward rule: only allowed inside `backward { … }`. */
  backwardOnly?: boolean;
}

/** An op's memory besides its operands and output, in float64 elements (see OpDef.workspace). */
export interface Workspace {
  /** Kept from the forward pass until the backward pass (im2col patches, masks, argmax indices). */
  saved?: number;
  /**
   * Allocated during a pass and released after it: the larger of forward's and backward's
   * temporaries (backward's beyond one gradient per input).
   */
  scratch?: number;
}

export interface TermSum {
  /** Entries of the first input per block. */
  block(inputs: Tensor[]): number;
  /**
   * Block k's term from its entries of the first input, read at values[at … at+block): the
   * input's data (or a perturbed copy) at k·block, or just the block's new entries. Other inputs
   * as they are.
   */
  term(values: Float64Array, at: number, inputs: Tensor[], k: number, attrs: Attrs): number;
  /** The output from the sum of all terms (reads the inputs' shapes and the other inputs only). */
  finish(acc: number, inputs: Tensor[], attrs: Attrs): number;
}

export function attrNum(attrs: Attrs, name: string): number {
  const v = attrs[name];
  if (typeof v !== 'number') throw new Error(`internal: attribute ${name} is not a number`);
  return v;
}

/** A numeric attribute, or `fallback` when the caller left it out (direct calls in tests). */
export function attrOr(attrs: Attrs, name: string, fallback: number): number {
  const v = attrs[name];
  return typeof v === 'number' ? v : fallback;
}

export function attrBool(attrs: Attrs, name: string): boolean {
  return attrs[name] === true;
}


/** A parameter's default as the language reference prints it: `none`, `[0, 1]`, `0.00001`, `false`. */
export function formatParamDefault(v: ParamSpec['default']): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  return String(v);
}

/** True if tensor argument `k` of `op` holds integer labels (it never gets a gradient). */
export function isLabelArgument(op: OpDef, k: number): boolean {
  const tensorParams = op.signature.filter((p) => p.kind === 'tensor' || p.kind === 'tensors');
  if (tensorParams.some((p) => p.kind === 'tensors')) return false;
  return tensorParams[k]?.labels === true;
}
