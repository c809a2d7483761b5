// The syntax tree. Every node keeps the span of source it came from.
import type { Span } from '../text';

export type BinaryOp = '+' | '-' | '*' | '/' | '@' | '**' | '>' | '<' | '>=' | '<=' | '==';

export interface NumberLit {
  kind: 'num';
  value: number;
  text: string;
  span: Span;
}

export interface BoolLit {
  kind: 'bool';
  value: boolean;
  span: Span;
}

export interface NameRef {
  kind: 'name';
  name: string;
  span: Span;
}

export interface ListLit {
  kind: 'list';
  items: Expr[];
  span: Span;
}

export interface Unary {
  kind: 'unary';
  op: '-';
  operand: Expr;
  span: Span;
}

export interface Binary {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  opSpan: Span;
  span: Span;
}

export interface KwArg {
  name: string;
  nameSpan: Span;
  value: Expr;
  span: Span;
}

export interface Call {
  kind: 'call';
  callee: string;
  calleeSpan: Span;
  args: Expr[];
  kwargs: KwArg[];
  span: Span;
}

export interface Transpose {
  kind: 'transpose';
  operand: Expr;
  /** Span of `.T`. */
  opSpan: Span;
  span: Span;
}

export type IndexItem =
  | { kind: 'at'; value: number; span: Span }
  | { kind: 'slice'; start: number | null; stop: number | null; span: Span };

export interface Index {
  kind: 'index';
  operand: Expr;
  items: IndexItem[];
  span: Span;
}

/** Placeholder for an expression that failed to parse (already reported). */
export interface ErrorExpr {
  kind: 'error';
  span: Span;
}

export type Expr = NumberLit | BoolLit | NameRef | ListLit | Unary | Binary | Call | Transpose | Index | ErrorExpr;

/** A dimension in a declared shape: a dimension name or an integer literal. */
export type DimRef = { kind: 'name'; name: string; span: Span } | { kind: 'int'; value: number; span: Span };

export interface TypeAnn {
  isInt: boolean;
  /** null when no shape was written (a scalar, or inferred from a literal init). */
  shape: DimRef[] | null;
  span: Span;
}

export interface IntRange {
  lo: DimRef;
  hi: DimRef;
  span: Span;
}

export type Init =
  | { kind: 'literal'; expr: Expr; span: Span }
  | { kind: 'random'; dist: string; distSpan: Span; args: Expr[]; kwargs: KwArg[]; span: Span };

export type DeclKind = 'input' | 'param' | 'const';

export interface TensorDecl {
  kind: 'decl';
  declKind: DeclKind;
  name: string;
  nameSpan: Span;
  type: TypeAnn | null;
  range: IntRange | null;
  init: Init | null;
  span: Span;
}

export interface SeedDecl {
  kind: 'seed';
  value: number;
  valueSpan: Span;
  span: Span;
}

export interface DimDef {
  name: string;
  nameSpan: Span;
  value: number;
  valueSpan: Span;
}

export interface DimsDecl {
  kind: 'dims';
  items: DimDef[];
  span: Span;
}

export interface Assign {
  kind: 'assign';
  name: string;
  nameSpan: Span;
  expr: Expr;
  span: Span;
}

export type ExpectWhat = 'shape' | 'value' | 'grad';

export interface Expect {
  kind: 'expect';
  what: ExpectWhat;
  target: string;
  targetSpan: Span;
  /** `==` is exact to 1e-6 relative; `~=` allows half a unit in the last digit written. */
  op: '==' | '~=';
  /** For `shape`. */
  shape: DimRef[] | null;
  /** For `value` / `grad`. */
  expected: Expr | null;
  span: Span;
}

export interface GateParam {
  name: string;
  nameSpan: Span;
  type: TypeAnn;
  span: Span;
}

export interface BackwardBlock {
  body: Assign[];
  /** Span of the `backward` keyword. */
  keywordSpan: Span;
  span: Span;
}

export interface GateDecl {
  kind: 'gate';
  name: string;
  nameSpan: Span;
  params: GateParam[];
  output: GateParam;
  body: Assign[];
  backward: BackwardBlock | null;
  /** Span of the header up to `{`. */
  headerSpan: Span;
  span: Span;
}

export type Statement = TensorDecl | SeedDecl | DimsDecl | Assign | Expect | GateDecl;

export interface Program {
  statements: Statement[];
}
