// The computational graph the engine runs: one node per operation or leaf, in topological order.
import type { GateInfo } from '../lang/resolve';
import type { Attrs, OpDef, ValueType } from '../ops/op';
import type { Tensor } from '../tensor/tensor';
import type { Span } from '../text';

export type NodeKind = 'input' | 'param' | 'const' | 'literal' | 'op' | 'dout';

export interface GraphNode {
  id: number;
  kind: NodeKind;
  /** The operation (null for leaves). */
  op: OpDef | null;
  attrs: Attrs;
  inputs: number[];
  /** Symbolic type (dimension names and sizes). */
  type: ValueType;
  /** Concrete shape. */
  sizes: number[];
  /** Source range of the expression (or declaration) that produced the node. */
  span: Span;
  /** How the node reads in a graph picture: an operator, a function or gate name, or a leaf name. */
  label: string;
  /** The user's name for the value, if it was assigned or declared. */
  name: string | null;
  /** The gate call this node belongs to, if any (index into Graph.gateCalls). */
  gateCall: number | null;
  /** Whether gradients flow into this node. */
  requiresGrad: boolean;
  /** Stream name for the node's random numbers (dropout masks). */
  rngKey: string | null;
  /** For leaves: the initial value. */
  init: Tensor | null;
}

export interface GateBackward {
  /** The leaf that receives the upstream gradient d<out>. */
  doutNode: number;
  /** The backward block's nodes, in evaluation order. */
  nodes: number[];
  /** Per gate input: the node computing d<input> (null for int inputs). */
  grads: (number | null)[];
  /** Per gate input: the span of the `d<input> = …` line. */
  gradSpans: (Span | null)[];
}

export interface GateCall {
  index: number;
  gate: GateInfo;
  /** Span of the call expression. */
  span: Span;
  /** The gate call whose body makes this call (null: a top-level statement makes it). */
  caller: number | null;
  /** Caller's argument nodes. */
  outerInputs: number[];
  /** Identity nodes marking the gate's inputs. */
  inputNodes: number[];
  /** Identity node marking the gate's output. */
  outputNode: number;
  /** Forward nodes of the body (between the input and output markers). */
  bodyNodes: number[];
  /** Null when the gate has no backward block (it is differentiated automatically). */
  backward: GateBackward | null;
  /**
   * True when the gate has a backward block with errors: it is differentiated automatically in
   * its place, so one broken block does not take away every other gradient of the file.
   */
  autodiffFallback: boolean;
  /** Gate-local names → node ids (forward and backward). */
  names: Map<string, number>;
}

export interface Graph {
  nodes: GraphNode[];
  /** Forward evaluation order (backward-block nodes are not in it). */
  order: number[];
  /** Top-level names → node ids. */
  named: Map<string, number>;
  root: number | null;
  gateCalls: GateCall[];
}
