// "Derive backward": writes a gate's backward block as readable .grad text by symbolic
// reverse-mode differentiation of its body, using each op's derivation rule (or its
// `<op>_d<arg>` gradient function). The result is simplified (no `* 1`, no double transposes),
// sums over broadcast axes where needed, and is checked for shape before it is offered.
import { analyzeSession } from '../analyze';
import type { SpanEdit } from '../diagnostics';
import type { Expr } from '../lang/ast';
import { E, printExpr } from '../lang/print';
import { gradName, type GateInfo } from '../lang/resolve';
import { attrExpr } from '../ops/deriveKit';
import type { DeriveContext, OpDef, ValueType } from '../ops/op';
import { OPS_BY_ID } from '../ops/registry';
import { vjpName } from '../ops/vjp';
import { sumToTarget } from '../shapes/dimensionAnalysis';
import { gateDim } from '../shapes/gates';
import { opOfExpr, ShapeInference, typeFromAnn, type TypeEnv } from '../shapes/infer';
import { named, shapesSymbolicallyEqual } from '../shapes/shape';
import type { Span } from '../text';

export interface DerivedLine {
  name: string;
  expr: Expr;
  text: string;
}

/** One gradient of the derived block beside the user's line for it (what "Derive" tells them). */
export interface DerivedGradient {
  /** `d<input>`. */
  name: string;
  derived: string;
  /** The expression of the user's `d<input> = …` line, printed as `derived` is, or null when there is none. */
  yours: string | null;
}

export type DeriveResult =
  | { ok: true; lines: DerivedLine[]; block: string; edit: SpanEdit; gradients: DerivedGradient[] }
  | { ok: false; message: string; span: Span };

class Unsupported extends Error {
  constructor(
    message: string,
    readonly span: Span,
  ) {
    super(message);
  }
}

// ------------------------------------------------------------------ simplification

function isNum(e: Expr, v?: number): boolean {
  return e.kind === 'num' && (v === undefined || e.value === v);
}

/** Algebraic clean-up that never changes a value or a shape. */
export function simplify(e: Expr): Expr {
  switch (e.kind) {
    case 'unary': {
      const x = simplify(e.operand);
      if (x.kind === 'unary') return x.operand;
      return { ...e, operand: x };
    }
    case 'transpose': {
      const x = simplify(e.operand);
      if (x.kind === 'transpose') return x.operand;
      return { ...e, operand: x };
    }
    case 'binary': {
      const l = simplify(e.left);
      const r = simplify(e.right);
      if (l.kind === 'num' && r.kind === 'num') {
        const v = fold(e.op, l.value, r.value);
        if (v !== null) return E.num(v);
      }
      switch (e.op) {
        case '*':
          if (isNum(r, 1)) return l;
          if (isNum(l, 1)) return r;
          // -a * b and a * -b read better as -(a * b)
          if (l.kind === 'unary') return simplify(E.neg(E.bin('*', l.operand, r)));
          if (r.kind === 'unary' && r.operand.kind !== 'num') return simplify(E.neg(E.bin('*', l, r.operand)));
          break;
        case '/':
          if (isNum(r, 1)) return l;
          if (l.kind === 'unary') return simplify(E.neg(E.bin('/', l.operand, r)));
          break;
        case '+':
          if (isNum(r, 0)) return l;
          if (isNum(l, 0)) return r;
          if (r.kind === 'unary') return E.bin('-', l, r.operand);
          break;
        case '-':
          if (isNum(r, 0)) return l;
          if (isNum(l, 0)) return simplify(E.neg(r));
          if (r.kind === 'unary') return E.bin('+', l, r.operand);
          break;
        case '**':
          if (isNum(r, 1)) return l;
          break;
      }
      return { ...e, left: l, right: r };
    }
    case 'call':
      return { ...e, args: e.args.map(simplify), kwargs: e.kwargs.map((k) => ({ ...k, value: simplify(k.value) })) };
    default:
      return e;
  }
}

function fold(op: string, a: number, b: number): number | null {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return Number.isInteger(a / b) ? a / b : null;
    default:
      return null;
  }
}

function sumOf(terms: Expr[]): Expr {
  return terms.reduce((acc, t) => E.bin('+', acc, t));
}

// ------------------------------------------------------------------ the deriver

export function deriveBackward(gate: GateInfo, gates: Map<string, GateInfo>, text: string): DeriveResult {
  const g = gate.decl;
  try {
    const d = new Deriver(gate, gates);
    const lines = d.run();
    const indent = detectIndent(text, g.body[0]?.span.start ?? g.headerSpan.end);
    const inner = `${indent}${indent}`;
    const block = `${indent}backward {\n${lines.map((l) => `${inner}${l.name} = ${l.text}`).join('\n')}\n${indent}}`;
    let edit: SpanEdit;
    if (g.backward) {
      const start = lineStart(text, g.backward.span.start);
      edit = { span: { start, end: g.backward.span.end }, newText: block };
    } else {
      const close = lineStart(text, g.span.end - 1);
      const onOwnLine = /^\s*}$/.test(text.slice(close, g.span.end));
      edit = onOwnLine ? { span: { start: close, end: close }, newText: `${block}\n` } : { span: { start: g.span.end - 1, end: g.span.end - 1 }, newText: `\n${block}\n` };
    }
    const gradients = g.params.flatMap((p): DerivedGradient[] => {
      const line = lines.find((l) => l.name === gradName(p.name));
      if (!line) return [];
      const mine = g.backward?.body.find((a) => a.name === line.name);
      return [{ name: line.name, derived: line.text, yours: mine ? printExpr(mine.expr) : null }];
    });
    return { ok: true, lines, block, edit, gradients };
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, message: e.message, span: e.span };
    throw e;
  }
}

function lineStart(text: string, offset: number): number {
  let i = offset;
  while (i > 0 && text[i - 1] !== '\n') i--;
  return i;
}

function detectIndent(text: string, offset: number): string {
  const start = lineStart(text, offset);
  const m = /^[ \t]*/.exec(text.slice(start));
  return m && m[0].length > 0 ? m[0] : '  ';
}

class Deriver {
  private readonly types = new Map<string, ValueType>();
  private readonly env: TypeEnv;
  private readonly infer: ShapeInference;
  private readonly forwardNames = new Set<string>();
  private readonly inputs = new Set<string>();
  private readonly taken = new Set<string>();
  private readonly contributions = new Map<string, Expr[]>();
  private readonly lines: DerivedLine[] = [];

  constructor(
    private readonly gate: GateInfo,
    gates: Map<string, GateInfo>,
  ) {
    const g = gate.decl;
    for (const p of g.params) {
      this.types.set(p.name, typeFromAnn(p.type, gateDim));
      this.taken.add(p.name);
      if (!p.type.isInt) this.inputs.add(p.name);
    }
    this.env = {
      value: (n) => this.types.get(n),
      dim: (n) => (gate.localDims.has(n) ? named(n, null) : undefined),
      gates,
      gateVisible: () => true,
    };
    this.infer = new ShapeInference(this.env, null);
    for (const a of g.body) {
      const t = this.infer.infer(a.expr);
      if (!t) throw new Unsupported(`the body of \`${g.name}\` does not type-check; fix its errors first`, a.span);
      this.types.set(a.name, t);
      this.forwardNames.add(a.name);
      this.taken.add(a.name);
    }
    this.types.set(gate.doutName, { shape: typeFromAnn(g.output.type, gateDim).shape, isInt: false });
    this.taken.add(gate.doutName);
    for (const l of gate.localDims) this.taken.add(l);
  }

  run(): DerivedLine[] {
    const g = this.gate.decl;
    const body = [...g.body].reverse();
    for (const a of body) {
      let grad: Expr;
      if (a.name === g.output.name) grad = E.name(this.gate.doutName);
      else {
        const c = this.contributions.get(a.name);
        if (!c) continue; // no gradient flows into it
        grad = this.bind(gradName(a.name), sumOf(c), true);
      }
      this.back(a.expr, grad, E.name(a.name));
    }
    const ordered: DerivedLine[] = [];
    for (const p of g.params) {
      if (p.type.isInt) continue;
      const name = gradName(p.name);
      const c = this.contributions.get(p.name);
      const want = this.types.get(p.name) as ValueType;
      const expr = c ? this.fit(simplify(sumOf(c)), want, p.nameSpan) : E.num(0);
      ordered.push({ name, expr, text: printExpr(expr) });
    }
    return [...this.lines, ...ordered];
  }

  private unique(hint: string): string {
    let name = hint;
    for (let k = 2; this.taken.has(name) || this.gate.gradNames.has(name); k++) name = `${hint}${k}`;
    this.taken.add(name);
    return name;
  }

  /** Emits `name = e` (unless e is already a name or a number) and returns the name. */
  private bind(hint: string, e: Expr, always = false): Expr {
    const s = simplify(e);
    if (!always && (s.kind === 'name' || s.kind === 'num')) return s;
    if (s.kind === 'name' && always) return s;
    const t = this.typeOf(s, this.gate.decl.span);
    const name = this.unique(hint);
    this.types.set(name, t);
    this.lines.push({ name, expr: s, text: printExpr(s) });
    return E.name(name);
  }

  private typeOf(e: Expr, at: Span): ValueType {
    const t = new ShapeInference(this.env, null).infer(e);
    if (!t) throw new Unsupported(`could not derive a well-shaped gradient here (${printExpr(e)}); please report this`, at);
    return t;
  }

  /** Makes a gradient expression the shape of its target, summing over broadcast axes. */
  private fit(e: Expr, want: ValueType, at: Span): Expr {
    const t = this.typeOf(e, at);
    if (shapesSymbolicallyEqual(t.shape, want.shape)) return e;
    const summed = sumToTarget(e, t.shape, want.shape);
    if (summed) return summed;
    // A scalar gradient for a tensor input (e.g. from `x * 2` with a scalar upstream).
    if (t.shape.length === 0) return E.bin('*', e, E.call('ones_like', [this.anyOfShape(want, at)]));
    throw new Unsupported(`could not derive a well-shaped gradient here (${printExpr(e)}); please report this`, at);
  }

  private anyOfShape(want: ValueType, at: Span): Expr {
    for (const [n, t] of this.types) if (shapesSymbolicallyEqual(t.shape, want.shape)) return E.name(n);
    throw new Unsupported('could not find a value of the right shape to broadcast a gradient to', at);
  }

  private dependsOnInputs(e: Expr): boolean {
    switch (e.kind) {
      case 'name':
        return this.inputs.has(e.name) || this.forwardNames.has(e.name);
      case 'list':
        return e.items.some((x) => this.dependsOnInputs(x));
      case 'unary':
      case 'transpose':
      case 'index':
        return this.dependsOnInputs(e.operand);
      case 'binary':
        return this.dependsOnInputs(e.left) || this.dependsOnInputs(e.right);
      case 'call':
        return e.args.some((x) => this.dependsOnInputs(x));
      default:
        return false;
    }
  }

  private back(e: Expr, grad: Expr, out: Expr | null = null): void {
    switch (e.kind) {
      case 'name':
        if (this.inputs.has(e.name) || this.forwardNames.has(e.name)) {
          const list = this.contributions.get(e.name) ?? [];
          list.push(grad);
          this.contributions.set(e.name, list);
        }
        return;
      case 'num':
      case 'bool':
      case 'list':
      case 'error':
        return;
    }
    let op: OpDef;
    let args: Expr[];
    let attrExprs: Record<string, Expr> = {};
    let attrs = {};
    if (e.kind === 'call') {
      const b = this.infer.bindings.get(e);
      if (!b) throw new Unsupported(`cannot derive through \`${e.callee}\` here`, e.span);
      if (b.target.kind === 'gate') throw new Unsupported(`cannot derive through a call of gate \`${b.label}\`; derive that gate's backward and call its pieces, or inline it`, e.span);
      op = b.target.op;
      args = b.args;
      attrs = b.attrs;
      for (const [k, v] of Object.entries(b.attrs)) {
        const x = attrExpr(v);
        if (x) attrExprs[k] = x;
      }
    } else {
      op = opOfExpr(e) as OpDef;
      args = e.kind === 'binary' ? [e.left, e.right] : [e.operand];
      if (e.kind === 'index') {
        attrs = { items: e.items.map((it) => (it.kind === 'at' ? { kind: 'at', value: it.value } : { kind: 'slice', start: it.start, stop: it.stop })) };
        attrExprs = {};
      }
    }
    if (op.noGrad) return;
    const deps = args.map((a) => this.dependsOnInputs(a));
    if (!deps.some(Boolean)) return;
    // A compound upstream gradient used by several operands gets a name of its own.
    if (deps.filter(Boolean).length > 1 && grad.kind !== 'name') grad = this.bind('dz', grad);
    const types = args.map((a) => this.infer.types.get(a) as ValueType);
    const outType = this.infer.types.get(e) as ValueType;
    const ctx: DeriveContext = {
      args,
      out: out ?? e,
      grad,
      attrs,
      attrExprs,
      types,
      outType,
      let: (hint, x) => this.bind(hint, x),
    };
    const res = op.derive ? op.derive(ctx) : this.viaGradientFunctions(op, ctx, deps, e.span);
    if (typeof res === 'string') throw new Unsupported(res, e.span);
    args.forEach((a, i) => {
      const r = res[i];
      if (!deps[i] || !r) return;
      this.back(a, this.fit(simplify(r), types[i], e.span));
    });
  }

  /** Ops without a rule: call their `<op>_d<arg>` gradient functions. */
  private viaGradientFunctions(op: OpDef, ctx: DeriveContext, deps: boolean[], at: Span): (Expr | null)[] {
    const tensorParams = op.signature.filter((p) => p.kind === 'tensor');
    return tensorParams.map((p, i) => {
      if (!deps[i] || p.labels) return null;
      const fn = OPS_BY_ID.get(vjpName(op, p.name));
      if (!fn) throw new Unsupported(`GradLens cannot write the gradient of \`${op.name}\` as .grad text`, at);
      return E.call(fn.name, [ctx.grad, ...ctx.args], ctx.attrExprs);
    });
  }
}

/** Derives the backward block of gate `gateName` in `text` (parsing and resolving it first). */
export function deriveGateInText(text: string, gateName: string): DeriveResult {
  const session = analyzeSession(text, { staticOnly: true });
  const gate = session.resolution?.gates.get(gateName);
  if (!gate) return { ok: false, message: `there is no gate \`${gateName}\` in this file`, span: { start: 0, end: 0 } };
  return deriveBackward(gate, session.resolution?.gates ?? new Map(), text);
}
