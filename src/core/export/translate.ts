// .grad expressions → Python expressions for one target. Operators and calls are looked up in
// the target's template table by op id (the same binding the engine uses, so `max(a, b)` and
// `max(x, axis=1)` pick the same op here as there); names go through the scope's Python names.
import type { Call, Expr } from '../lang/ast';
import { printExpr } from '../lang/print';
import { bindCall, literalNumber, type GateInfo } from '../lang/resolve';
import type { OpDef, ParamSpec, ValueType } from '../ops/op';
import { indexSpecs, opOfExpr, type ShapeInference } from '../shapes/infer';
import type { BindScope } from '../lang/resolve';
import { py, PREC, type Py } from './pyExpr';
import type { PyNames } from './pyNames';
import { isUnsupported, type AttrArg, type TargetOps } from './templates';

/** A problem that stops the export (reported as data by the exporters, never thrown to callers). */
export class ExportProblem extends Error {}

export interface Target {
  ops: TargetOps;
  /** A Python number as a tensor, for functions and places that need one. */
  asTensor(e: Py): Py;
  /** A comparison's boolean mask as 0/1 floats. */
  boolToFloat(e: Py): Py;
  /** A list of numbers written in an expression (`x * [1, 2, 3]`). */
  listLiteral(values: number[], shape: number[]): Py;
}

export interface Scope {
  names: PyNames;
  /** Types and call bindings of this scope's expressions. */
  infer: ShapeInference;
  bind: BindScope;
  /** Whether a name is a dimension (a Python int in the script) rather than a tensor. */
  isDim(name: string): boolean;
  /** The embedded random numbers of a dropout call, or null. */
  random(call: Call): Py | null;
  /** A call of a gate; `whole` when it is the entire right-hand side of an assignment. */
  gateCall(gate: GateInfo, args: Py[], whole: boolean): Py;
  /** Where the expression is, for messages. */
  where: string;
}

export class Translator {
  readonly helpers = new Set<string>();

  constructor(
    private readonly target: Target,
    private readonly scope: Scope,
  ) {}

  /** The right-hand side of an assignment: always a float tensor in the script. */
  value(e: Expr): Py {
    const v = this.expr(e, true);
    if (v.kind === 'bool') return this.target.boolToFloat(v);
    if (v.kind === 'number') return this.target.asTensor(v);
    return v;
  }

  type(e: Expr): ValueType {
    const t = this.scope.infer.types.get(e) ?? this.scope.infer.infer(e);
    if (!t) throw new ExportProblem(`${this.scope.where}: cannot type \`${printExpr(e)}\``);
    return t;
  }

  expr(e: Expr, whole = false): Py {
    switch (e.kind) {
      case 'num':
        return py(numberText(e.text, e.value), PREC.ATOM, 'number');
      case 'name':
        if (this.scope.isDim(e.name)) return py(this.scope.names.get(e.name), PREC.ATOM, 'number');
        return py(this.scope.names.get(e.name));
      case 'list': {
        const flat: number[] = [];
        const shape = this.type(e).shape.map((d) => d.size ?? 0);
        const walk = (x: Expr) => {
          if (x.kind === 'list') x.items.forEach(walk);
          else flat.push(literalNumber(x) ?? 0);
        };
        walk(e);
        return this.target.listLiteral(flat, shape);
      }
      case 'bool':
      case 'error':
        throw new ExportProblem(`${this.scope.where}: \`${printExpr(e)}\` is not an expression`);
      case 'unary':
      case 'binary':
      case 'transpose':
        return this.op(opOfExpr(e) as OpDef, e.kind === 'binary' ? [e.left, e.right] : [e.operand], {}, e);
      case 'index':
        return this.op(opOfExpr(e) as OpDef, [e.operand], { items: { code: '', value: indexSpecs(e) } }, e);
      case 'call':
        return this.call(e, whole);
    }
  }

  private call(e: Call, whole: boolean): Py {
    const b = bindCall(e, this.scope.bind, null);
    if (!b) throw new ExportProblem(`${this.scope.where}: cannot bind \`${printExpr(e)}\``);
    if (b.target.kind === 'gate') {
      const args = b.args.map((a) => this.plain(this.expr(a)));
      return this.scope.gateCall(b.target.gate, args, whole);
    }
    const op = b.target.op;
    const attrs: Record<string, AttrArg> = {};
    const sources = attrSources(e, op);
    for (const p of op.signature) {
      if (p.kind === 'tensor' || p.kind === 'tensors') continue;
      attrs[p.name] = { code: attrCode(p, sources.get(p.name), this.scope.names), value: b.attrs[p.name] };
    }
    return this.op(op, b.args, attrs, e);
  }

  /** A gate argument or an operand that must be a float tensor or a number, not a mask. */
  private plain(v: Py): Py {
    return v.kind === 'bool' ? this.target.boolToFloat(v) : v;
  }

  private op(op: OpDef, argExprs: Expr[], attrs: Record<string, AttrArg>, e: Expr): Py {
    const tpl = this.target.ops.templates[op.id];
    if (!tpl) throw new ExportProblem(`${this.scope.where}: no template for \`${op.name}\``);
    if (tpl.kind === 'unsupported') throw new ExportProblem(`${this.scope.where}: \`${op.name}\` cannot be exported: ${tpl.reason}`);
    const raw = argExprs.map((a) => this.expr(a));
    const args = raw.map((a, i) => {
      // A mask multiplying a float tensor stays a mask (`dout * (x > 0)` reads as the user wrote it).
      if (a.kind === 'bool' && !(op.acceptsMask && raw[1 - i]?.kind === 'tensor')) return this.target.boolToFloat(a);
      if (a.kind === 'number' && tpl.numbers === 'tensor') return this.target.asTensor(a);
      return a;
    });
    const r = tpl.render({
      op,
      args,
      types: argExprs.map((a) => this.type(a)),
      out: this.type(e),
      attr: (name) => attrs[name] ?? { code: 'None', value: undefined },
      helper: (name) => {
        if (!this.target.ops.helpers[name]) throw new ExportProblem(`internal: no helper \`${name}\``);
        this.helpers.add(name);
        return name;
      },
      random: () => (e.kind === 'call' ? this.scope.random(e) : null),
    });
    if (isUnsupported(r)) throw new ExportProblem(`${this.scope.where}: \`${op.name}\` cannot be exported here: ${r.unsupported}`);
    return r;
  }
}

/** A number as written, unless Python would read it differently (`007` is a syntax error there). */
function numberText(text: string, value: number): string {
  if (text && /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) && !/^0\d/.test(text)) return text;
  return String(value);
}

/** The source expression of each attribute argument, positional or keyword. */
function attrSources(e: Call, op: OpDef): Map<string, Expr> {
  const out = new Map<string, Expr>();
  e.args.forEach((a, i) => {
    const p = op.signature[i];
    if (p && p.kind !== 'tensor' && p.kind !== 'tensors') out.set(p.name, a);
  });
  for (const k of e.kwargs) out.set(k.name, k.value);
  return out;
}

function attrCode(p: ParamSpec, e: Expr | undefined, names: PyNames): string {
  if (!e) return defaultCode(p.default);
  if (e.kind === 'bool') return e.value ? 'True' : 'False';
  if (e.kind === 'list') return `(${e.items.map((x) => itemCode(x, names)).join(', ')}${e.items.length === 1 ? ',' : ''})`;
  return itemCode(e, names);
}

function itemCode(e: Expr, names: PyNames): string {
  if (e.kind === 'name') return names.get(e.name);
  if (e.kind === 'num') return numberText(e.text, e.value);
  const n = literalNumber(e);
  if (n !== null) return String(n);
  return printExpr(e);
}

function defaultCode(v: ParamSpec['default']): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `(${v.join(', ')}${v.length === 1 ? ',' : ''})`;
  return String(v);
}

