// Symbolic shape inference over expressions: every expression gets a ValueType, every op's shape
// rule is applied, and failures become diagnostics naming the operator and both operand shapes.
// Used for the top level (dimension sizes known) and for gate bodies (sizes unknown).
import type { DiagnosticSink } from '../diagnostics';
import type { Call, DimRef, Expr, GateParam, TypeAnn } from '../lang/ast';
import { bindCall, literalNumber, type BindScope, type BoundCall, type GateInfo } from '../lang/resolve';
import { nearby } from '../lang/suggest';
import { index, transposeT } from '../ops/indexing';
import { neg } from '../ops/elementwise';
import type { IndexSpec, OpDef, ValueType } from '../ops/op';
import { binaryOpDef } from '../ops/registry';
import type { Span } from '../text';
import type { ShapeResult } from './broadcast';
import { dimsEqual, formatDimValues, formatShape, lit, type Dim, type Shape } from './shape';

export interface TypeEnv extends BindScope {
  /** The type of a tensor name in scope. */
  value(name: string): ValueType | undefined;
  /** The names a shape error may suggest instead of an argument (the params in scope; none when absent). */
  names?(): Iterable<string>;
  /** Every tensor name defined so far: an undefined name's suggestions are re-ranked among these by shape fit (none when absent). */
  defined?(): Iterable<string>;
}

export const SCALAR_FLOAT: ValueType = { shape: [], isInt: false };

/** The op an expression node applies, for the expression kinds that are not calls. */
export function opOfExpr(e: Expr): OpDef | null {
  switch (e.kind) {
    case 'binary':
      return binaryOpDef(e.op);
    case 'unary':
      return neg;
    case 'transpose':
      return transposeT;
    case 'index':
      return index;
    default:
      return null;
  }
}

export function indexSpecs(e: Extract<Expr, { kind: 'index' }>): IndexSpec[] {
  return e.items.map((it) => (it.kind === 'at' ? { kind: 'at', value: it.value } : { kind: 'slice', start: it.start, stop: it.stop }));
}

/** Shape of a nested list of number literals, or a message. */
export function listLiteralShape(e: Expr): number[] | string {
  if (e.kind !== 'list') return literalNumber(e) !== null ? [] : 'not a number';
  if (e.items.length === 0) return [0];
  const inner = e.items.map(listLiteralShape);
  const first = inner[0];
  if (typeof first === 'string') return first;
  for (const s of inner) {
    if (typeof s === 'string') return s;
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) return 'ragged';
  }
  return [e.items.length, ...first];
}

export function typeFromAnn(t: TypeAnn | null, dim: (d: DimRef) => Dim): ValueType {
  if (!t || !t.shape) return { shape: [], isInt: t?.isInt ?? false };
  return { shape: t.shape.map(dim), isInt: t.isInt };
}

export class ShapeInference {
  readonly types = new Map<Expr, ValueType>();
  readonly bindings: Map<Call, BoundCall>;

  /**
   * `bound`: calls already bound in this scope (name resolution's, at the top level); they are
   * not bound again, and the map becomes this inference's `bindings`.
   */
  constructor(
    private readonly env: TypeEnv,
    private readonly sink: DiagnosticSink | null,
    bound?: Map<Call, BoundCall>,
  ) {
    this.bindings = bound ?? new Map();
  }

  private error(code: Parameters<DiagnosticSink['error']>[0], message: string, at: Span): null {
    this.sink?.error(code, message, at);
    return null;
  }

  infer(e: Expr): ValueType | null {
    const t = this.inferUncached(e);
    if (t) this.types.set(e, t);
    return t;
  }

  private inferUncached(e: Expr): ValueType | null {
    switch (e.kind) {
      case 'num':
        return SCALAR_FLOAT;
      case 'bool':
        return this.error('bad-argument', '`true` and `false` are only used as keyword arguments, e.g. `keepdims=true`', e.span);
      case 'error':
        return null;
      case 'name': {
        const v = this.env.value(e.name);
        if (v) return v;
        if (this.env.dim(e.name)) return SCALAR_FLOAT; // a dimension used as a number, e.g. `/ N`
        return null; // reported by name resolution
      }
      case 'list': {
        const s = listLiteralShape(e);
        if (typeof s === 'string') {
          return this.error(
            'bad-argument',
            s === 'ragged'
              ? 'this list is ragged: every row must have the same length'
              : 'a list in an expression holds number literals; to combine tensors use stack([a, b]) or concat([a, b], axis=0)',
            e.span,
          );
        }
        return { shape: s.map(lit), isInt: false };
      }
      case 'unary':
      case 'transpose': {
        const x = this.infer(e.operand);
        if (!x) return null;
        return this.applyOp(opOfExpr(e) as OpDef, e.kind === 'unary' ? '-' : '.T', [x], {}, e.span);
      }
      case 'index': {
        const x = this.infer(e.operand);
        if (!x) return null;
        return this.applyOp(index, 'indexing', [x], { items: indexSpecs(e) }, e.span);
      }
      case 'binary': {
        const l = this.infer(e.left);
        const r = this.infer(e.right);
        if (!l || !r) {
          this.suggestByFit(binaryOpDef(e.op), e.op, [e.left, e.right], [l, r], {});
          return null;
        }
        return this.applyOp(binaryOpDef(e.op), e.op, [l, r], {}, e.span, [e.left, e.right]);
      }
      case 'call':
        return this.inferCall(e);
    }
  }

  private inferCall(call: Call): ValueType | null {
    let b = this.bindings.get(call) ?? null;
    if (!b) {
      b = bindCall(call, this.env, null);
      if (!b) return null;
      this.bindings.set(call, b);
    }
    const types: ValueType[] = [];
    let ok = true;
    const maybe: (ValueType | null)[] = [];
    for (const a of b.args) {
      const t = this.infer(a);
      maybe.push(t);
      if (!t) ok = false;
      else types.push(t);
    }
    if (!ok) {
      if (b.target.kind === 'op') this.suggestByFit(b.target.op, b.label, b.args, maybe, b.attrs);
      return null;
    }
    if (b.target.kind === 'gate') return this.inferGateCall(call, b.target.gate, types);
    const op = b.target.op;
    return this.applyOp(op, b.label, types, b.attrs, call.span, b.args);
  }

  private applyOp(op: OpDef, label: string, types: ValueType[], attrs: Record<string, unknown>, at: Span, args: readonly Expr[] = []): ValueType | null {
    const r: ShapeResult = op.shape({ label, types }, attrs as never);
    if (!r.ok) {
      const fit = this.onlyFit(op, label, types, attrs, args, r.argIndex);
      if (!fit) return this.error(r.code ?? 'shape-mismatch', r.message, at);
      this.sink?.error(r.code ?? 'shape-mismatch', `${r.message}; did you mean \`${fit.name}\` (the one param whose shape fits here)?`, at, {
        fixes: [{ title: `Change \`${fit.was}\` to \`${fit.name}\``, edits: [{ span: fit.span, newText: fit.name }] }],
      });
      return null;
    }
    for (const [a, b] of r.conflicts ?? []) {
      this.sink?.warning(
        'dim-name-mismatch',
        `${label}: ${a.sym} and ${b.sym} are different dimensions that both have size ${a.size}; this runs only because the sizes coincide and breaks when they differ — check for a missing transpose`,
        at,
      );
    }
    return { shape: r.shape, isInt: !!op.preservesInt && types[0]?.isInt === true };
  }

  /**
   * When an argument that is one of the candidate names (the params in scope) has the wrong shape
   * and exactly one other candidate would make the op well-typed, that one (the quick fix of a shape error:
   * `h1 @ W1` → `W2`).
   */
  private onlyFit(op: OpDef, label: string, types: ValueType[], attrs: Record<string, unknown>, args: readonly Expr[], argIndex: number | undefined): { name: string; was: string; span: Span } | null {
    const names = this.env.names ? [...this.env.names()] : [];
    if (!names.length) return null;
    const fits: { name: string; was: string; span: Span }[] = [];
    args.forEach((arg, k) => {
      // Only a candidate standing in for another (one param mixed up with another).
      if (arg.kind !== 'name' || !names.includes(arg.name) || (argIndex !== undefined && argIndex !== k) || k >= types.length) return;
      for (const name of names) {
        const t = this.env.value(name);
        if (name === arg.name || !t || t.shape.length !== types[k].shape.length || t.isInt !== types[k].isInt) continue;
        const tried = [...types];
        tried[k] = t;
        if (op.shape({ label, types: tried }, attrs as never).ok) fits.push({ name, was: arg.name, span: arg.span });
      }
    });
    return fits.length === 1 ? fits[0] : null;
  }

  /**
   * An operand that is an undefined name (reported by the resolver, with its closest name by
   * spelling) while every other operand has a type: among the names spelt close to it, the first
   * whose type makes this op well-typed becomes the suggestion (`X @ W1 + b` with `b1` and `X`
   * both one edit away: `b1`, a bias that adds). The resolver's diagnostic is re-pointed in place.
   */
  private suggestByFit(op: OpDef, label: string, args: readonly Expr[], types: readonly (ValueType | null)[], attrs: Record<string, unknown>): void {
    if (!this.sink || !this.env.defined) return;
    const missing = types.flatMap((t, k) => (t ? [] : [k]));
    if (missing.length !== 1) return;
    const k = missing[0];
    const arg = args[k];
    if (arg?.kind !== 'name' || this.env.dim(arg.name)) return;
    const diag = this.sink.items.find((d) => (d.code === 'undefined-name' || d.code === 'gate-scope') && d.span.start === arg.span.start && d.span.end === arg.span.end);
    if (!diag) return;
    const known = types as ValueType[];
    const fit = nearby(arg.name, this.env.defined()).find((name) => {
      const t = this.env.value(name);
      if (!t) return false;
      const tried = [...known];
      tried[k] = t;
      return op.shape({ label, types: tried }, attrs as never).ok;
    });
    const current = diag.fixes?.[0]?.edits[0]?.newText;
    if (!fit || fit === current) return;
    const why = `\`${fit}\` (spelt close, and its shape fits here)?`;
    // The resolver's two wordings: "`b` is not defined; did you mean `x`?" and, in a gate, "… pass `b` as an input. Did you mean `x`?".
    diag.message =
      diag.code === 'undefined-name' ? `\`${arg.name}\` is not defined; did you mean ${why}` : `${diag.message.replace(/ Did you mean `[^`]*`\?$/, '')} Did you mean ${why}`;
    diag.fixes = [{ title: `Change to \`${fit}\``, edits: [{ span: arg.span, newText: fit }] }];
  }

  /** Unifies a gate's declared input shapes with the arguments, binding its local dimensions. */
  private inferGateCall(call: Call, gate: GateInfo, types: ValueType[]): ValueType | null {
    const u = unifyGateCall(gate, types);
    if (!u.ok) return this.error('gate-call', u.message, call.args[u.argIndex]?.span ?? call.span);
    return u.out;
  }
}

export type GateUnification = { ok: true; out: ValueType; subst: Map<string, Dim> } | { ok: false; message: string; argIndex: number };

export function unifyGateCall(gate: GateInfo, types: ValueType[]): GateUnification {
  const subst = new Map<string, Dim>();
  const boundBy = new Map<string, string>();
  const params = gate.decl.params;
  const name = gate.decl.name;
  for (let i = 0; i < params.length; i++) {
    const p: GateParam = params[i];
    const t = types[i];
    const declared = p.type.shape ?? [];
    const declText = `[${declared.map((d) => (d.kind === 'name' ? d.name : String(d.value))).join(', ')}]`;
    if (p.type.isInt && !t.isInt) {
      return { ok: false, argIndex: i, message: `\`${name}\` declares \`${p.name}\` as int${declText} (integer labels), found a float tensor ${formatShape(t.shape)}` };
    }
    if (declared.length !== t.shape.length) {
      return {
        ok: false,
        argIndex: i,
        message: `\`${name}\` expects \`${p.name}\` as ${declText} (rank ${declared.length}), found ${formatShape(t.shape)} (rank ${t.shape.length})`,
      };
    }
    for (let k = 0; k < declared.length; k++) {
      const d = declared[k];
      const actual = t.shape[k];
      if (d.kind === 'int') {
        if (actual.size !== null && actual.size !== d.value) {
          return { ok: false, argIndex: i, message: `\`${name}\` expects \`${p.name}\` as ${declText}, found ${formatShape(t.shape)}: axis ${k} must be ${d.value}${formatDimValues(t.shape)}` };
        }
        continue;
      }
      const prev = subst.get(d.name);
      if (!prev) {
        subst.set(d.name, actual);
        boundBy.set(d.name, p.name);
      } else if (!dimsEqual(prev, actual)) {
        return {
          ok: false,
          argIndex: i,
          message:
            `\`${name}\` expects \`${p.name}\` as ${declText}, found ${formatShape(t.shape)}: ${d.name} was bound to ${prev.sym}${prev.size !== null && prev.origin !== 'literal' ? ` (=${prev.size})` : ''} by \`${boundBy.get(d.name)}\`, ` +
            `but here it is ${actual.sym}${actual.size !== null && actual.origin !== 'literal' ? ` (=${actual.size})` : ''}`,
        };
      }
    }
  }
  const outDecl = gate.decl.output.type;
  const outShape: Dim[] = [];
  for (const d of outDecl.shape ?? []) {
    if (d.kind === 'int') outShape.push(lit(d.value));
    else {
      const s = subst.get(d.name);
      if (!s) return { ok: false, argIndex: -1, message: `the output dimension ${d.name} of \`${name}\` does not appear in any input shape, so a call cannot determine it` };
      outShape.push(s);
    }
  }
  return { ok: true, out: { shape: outShape as Shape, isInt: outDecl.isInt }, subst };
}
