// What name resolution hands on: dimensions, gates with their local scope rules, calls bound to
// an op or a gate, and the scope a call is bound in. Types only (and the `d<name>` rule), read by
// the binder (bind.ts), the resolver (resolve.ts) and every later stage.
import type { Attrs, OpDef } from '../ops/op';
import type { Dim } from '../shapes/shape';
import type { Span } from '../text';
import type { Assign, Call, Expr, GateDecl, TensorDecl } from './ast';

export const MAX_DIM_SIZE = 1 << 30;

/**
 * A dimension size given from outside the file (`--dim N=…`, Set Dimension Sizes), as typed: the
 * size, or why it is not one. One rule for the CLI, the editor and the core's own check.
 */
export function parseDimSize(text: string): { size: number } | { problem: string } {
  const t = text.trim();
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : Number.NaN;
  if (Number.isInteger(n) && n >= 1 && n <= MAX_DIM_SIZE) return { size: n };
  const what = Number.isNaN(n) ? 'not a number' : !Number.isInteger(n) ? 'not a whole number' : n < 1 ? 'not positive' : 'too large';
  return { problem: `a dimension size is a whole number from 1 to ${MAX_DIM_SIZE}, found \`${t}\` (${what})` };
}

export interface DimInfo {
  name: string;
  size: number;
  span: Span | null;
}

export interface GateInfo {
  decl: GateDecl;
  /** Dimension names declared by the gate's input and output types: local to the gate. */
  localDims: Set<string>;
  /** `d<input>` name → input index, for inputs that take a gradient. */
  gradNames: Map<string, number>;
  /** The upstream gradient's name, `d<out>`. */
  doutName: string;
  /** False when the header has errors: calls to it are not analysed further. */
  valid: boolean;
}

export type CallTarget = { kind: 'op'; op: OpDef } | { kind: 'gate'; gate: GateInfo };

export interface BoundCall {
  target: CallTarget;
  /** The callee as written. */
  label: string;
  /** Tensor arguments in signature order (a `tensors` list flattened in place). */
  args: Expr[];
  attrs: Attrs;
}

export interface Resolution {
  seed: number;
  dims: Map<string, DimInfo>;
  gates: Map<string, GateInfo>;
  /** Top-level tensor definitions by name (first definition wins). */
  definitions: Map<string, TensorDecl | Assign>;
  /** The backward root: the last top-level assignment. */
  root: Assign | null;
  /**
   * The top-level calls that bound (the typecheck's inference reads them instead of binding every
   * call a second time: at the top level both see the same gates and dimensions, and a call that
   * bound with the diagnostics on binds the same without them).
   */
  bound: Map<Call, BoundCall>;
  /** A top-level dimension by name, one immutable Dim per name (undefined: not a dimension). */
  dim(name: string): Dim | undefined;
}

export interface ResolveOptions {
  seed?: number;
  dims?: Record<string, number>;
}

/** How names and dimensions are looked up while binding a call. */
export interface BindScope {
  gates: Map<string, GateInfo>;
  dim(name: string): Dim | undefined;
  /** Gates declared so far (calls may only use those). */
  gateVisible(name: string): boolean;
  /** Set by name resolution: whether the call is inside a backward block (gradient functions are allowed). */
  inBackward?: boolean;
}

export function gradName(name: string): string {
  return `d${name}`;
}
