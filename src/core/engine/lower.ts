// Builds the graph from the resolved, shape-checked program: one node per operation, gates inlined
// at each call between identity markers, hand-written backward blocks kept beside the forward order.
import { CORE_DEFAULTS } from '../defaults';
import { DiagnosticSink } from '../diagnostics';
import type { Assign, Call, DimRef, Expr } from '../lang/ast';
import { gradName, type GateInfo } from '../lang/resolve';
import { identity } from '../ops/internal';
import { isLabelArgument, type Attrs, type OpDef, type ValueType } from '../ops/op';
import { indexSpecs, opOfExpr, ShapeInference, unifyGateCall, type TypeEnv } from '../shapes/infer';
import { lit, named, sizes as concreteSizes, type Dim } from '../shapes/shape';
import { fromNested, Tensor } from '../tensor/tensor';
import type { Span } from '../text';
import type { GateCall, Graph, GraphNode, NodeKind } from './graph';
import { literalValue } from './init';

interface Scope {
  infer: ShapeInference;
  names: Map<string, number>;
  dim(name: string): Dim | undefined;
  gateCall: number | null;
  /** Forward nodes go to the evaluation order; backward-block nodes do not. */
  forward: boolean;
  collect: number[];
  rng: { prefix: string; counter: number };
}

/**
 * The lowered graph outgrew its limit (gates are inlined at every call, so gates calling gates can
 * multiply the nodes exponentially): lowering stops, and `build` reports where.
 */
export class GraphTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the graph would have more than ${limit} nodes`);
  }
}

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  readonly order: number[] = [];
  readonly gateCalls: GateCall[] = [];
  readonly named = new Map<string, number>();

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly gates: Map<string, GateInfo>,
    /** Whether a gate's definition already has errors (then a call does not report them again). */
    private readonly definitionHasErrors: (gate: GateInfo) => boolean = () => false,
    /** Whether a gate's backward block has errors (then its forward is differentiated automatically). */
    private readonly backwardHasErrors: (gate: GateInfo) => boolean = () => false,
    private readonly maxNodes: number = CORE_DEFAULTS.maxNodes,
  ) {}

  graph(root: number | null): Graph {
    return { nodes: this.nodes, order: this.order, named: this.named, root, gateCalls: this.gateCalls };
  }

  addLeaf(kind: NodeKind, name: string, type: ValueType, span: Span, init: Tensor | null, requiresGrad: boolean): number {
    const id = this.push({
      kind,
      op: null,
      attrs: {},
      inputs: [],
      type,
      span,
      label: name,
      name,
      gateCall: null,
      requiresGrad,
      rngKey: null,
      init,
    });
    this.order.push(id);
    return id;
  }

  private push(n: Omit<GraphNode, 'id' | 'sizes'>): number {
    const id = this.nodes.length;
    if (id >= this.maxNodes) throw new GraphTooLarge(this.maxNodes);
    const sizes = concreteSizes(n.type.shape) ?? [];
    this.nodes.push({ ...n, id, sizes });
    return id;
  }

  private addOp(op: OpDef, inputs: number[], attrs: Attrs, type: ValueType, span: Span, label: string, scope: Scope): number {
    const requiresGrad = !op.noGrad && inputs.some((i, k) => this.nodes[i].requiresGrad && !isLabelArgument(op, k));
    const id = this.push({
      kind: 'op',
      op,
      attrs,
      inputs,
      type,
      span,
      label,
      name: null,
      gateCall: scope.gateCall,
      requiresGrad: scope.forward && requiresGrad,
      rngKey: `${scope.rng.prefix}#${scope.rng.counter++}`,
      init: null,
    });
    if (scope.forward) this.order.push(id);
    scope.collect.push(id);
    return id;
  }

  private addLiteral(value: Tensor, span: Span, scope: Scope): number {
    const id = this.push({
      kind: 'literal',
      op: null,
      attrs: {},
      inputs: [],
      type: { shape: value.shape.map(lit), isInt: false },
      span,
      label: value.size === 1 ? literalLabel(value.item()) : `[${value.shape.join('×')}]`,
      name: null,
      gateCall: scope.gateCall,
      requiresGrad: false,
      rngKey: null,
      init: value,
    });
    if (scope.forward) this.order.push(id);
    scope.collect.push(id);
    return id;
  }

  /** Lowers a top-level assignment; returns its node or null if the statement did not type-check. */
  lowerAssign(a: Assign, infer: ShapeInference, env: TypeEnv): number | null {
    const scope: Scope = {
      infer,
      names: this.named,
      dim: (n) => env.dim(n),
      gateCall: null,
      forward: true,
      collect: [],
      rng: { prefix: a.name, counter: 0 },
    };
    const id = this.lowerExpr(a.expr, scope);
    if (id === null) return null;
    const named = this.nameNode(id, a.name, a.expr.span, scope);
    this.named.set(a.name, named);
    return named;
  }

  /** Gives a node a user name, wrapping it in an identity if it already has one or is a leaf. */
  private nameNode(id: number, name: string, span: Span, scope: Scope): number {
    const n = this.nodes[id];
    if (n.name === null && n.kind === 'op') {
      n.name = name;
      return id;
    }
    const w = this.addOp(identity, [id], {}, n.type, span, name, scope);
    this.nodes[w].name = name;
    return w;
  }

  private lowerExpr(e: Expr, scope: Scope): number | null {
    const type = scope.infer.types.get(e);
    if (!type) return null;
    switch (e.kind) {
      case 'num':
        return this.addLiteral(Tensor.scalar(e.value), e.span, scope);
      case 'name': {
        const id = scope.names.get(e.name);
        if (id !== undefined) return id;
        const d = scope.dim(e.name);
        if (d && d.size !== null) return this.addLiteral(Tensor.scalar(d.size), e.span, scope);
        return null;
      }
      case 'list': {
        const t = fromNested(literalValue(e));
        return typeof t === 'string' ? null : this.addLiteral(t, e.span, scope);
      }
      case 'unary':
      case 'transpose': {
        const x = this.lowerExpr(e.operand, scope);
        if (x === null) return null;
        return this.addOp(opOfExpr(e) as OpDef, [x], {}, type, e.span, e.kind === 'unary' ? '-' : '.T', scope);
      }
      case 'index': {
        const x = this.lowerExpr(e.operand, scope);
        if (x === null) return null;
        return this.addOp(opOfExpr(e) as OpDef, [x], { items: indexSpecs(e) }, type, e.span, '[]', scope);
      }
      case 'binary': {
        const l = this.lowerExpr(e.left, scope);
        const r = this.lowerExpr(e.right, scope);
        if (l === null || r === null) return null;
        return this.addOp(opOfExpr(e) as OpDef, [l, r], {}, type, e.span, e.op, scope);
      }
      case 'call': {
        const b = scope.infer.bindings.get(e);
        if (!b) return null;
        const args: number[] = [];
        for (const a of b.args) {
          const id = this.lowerExpr(a, scope);
          if (id === null) return null;
          args.push(id);
        }
        if (b.target.kind === 'gate') return this.instantiateGate(e, b.target.gate, args, scope);
        return this.addOp(b.target.op, args, b.attrs, type, e.span, b.label, scope);
      }
      default:
        return null;
    }
  }

  /** Inlines a gate at a call site: input markers, the body, an output marker, the backward block. */
  private instantiateGate(call: Call, gate: GateInfo, args: number[], outer: Scope): number | null {
    const argTypes = args.map((a) => this.nodes[a].type);
    const u = unifyGateCall(gate, argTypes);
    if (!u.ok) return null; // reported by shape inference
    const decl = gate.decl;
    const localDim = (name: string): Dim | undefined => {
      if (!gate.localDims.has(name)) return undefined;
      const bound = u.subst.get(name);
      return named(name, bound?.size ?? null);
    };
    const declDim = (d: DimRef): Dim => (d.kind === 'int' ? lit(d.value) : (localDim(d.name) as Dim));
    const index = this.gateCalls.length;
    const gc: GateCall = {
      index,
      gate,
      span: call.span,
      caller: outer.gateCall,
      outerInputs: args,
      inputNodes: [],
      outputNode: -1,
      bodyNodes: [],
      backward: null,
      autodiffFallback: false,
      names: new Map(),
    };
    this.gateCalls.push(gc);
    const types = new Map<string, ValueType>();
    // Gates called inside a gate body were declared before it, so the whole table is visible.
    const env: TypeEnv = { value: (n) => types.get(n), dim: localDim, gates: this.gates, gateVisible: () => true };
    const probe = new DiagnosticSink();
    const scope: Scope = { infer: new ShapeInference(env, probe), names: gc.names, dim: localDim, gateCall: index, forward: true, collect: gc.bodyNodes, rng: outer.rng };
    decl.params.forEach((p, i) => {
      const t: ValueType = { shape: (p.type.shape ?? []).map(declDim), isInt: p.type.isInt };
      const id = this.addOp(identity, [args[i]], {}, t, p.nameSpan, p.name, { ...scope, collect: gc.inputNodes });
      this.nodes[id].name = p.name;
      gc.names.set(p.name, id);
      types.set(p.name, t);
    });
    for (const a of decl.body) {
      const t = scope.infer.infer(a.expr);
      if (!t) return this.gateRunFailure(call, gate, probe, a.span);
      const id = this.lowerExpr(a.expr, scope);
      if (id === null) return this.gateRunFailure(call, gate, probe, a.span);
      const named = this.nameNode(id, a.name, a.expr.span, scope);
      gc.names.set(a.name, named);
      types.set(a.name, t);
    }
    const bodyOut = gc.names.get(decl.output.name);
    if (bodyOut === undefined) return null;
    gc.outputNode = this.addOp(identity, [bodyOut], {}, u.out, call.span, decl.name, { ...outer, collect: [] });
    this.nodes[gc.outputNode].gateCall = index;
    if (decl.backward && this.backwardHasErrors(gate)) gc.autodiffFallback = true;
    else if (decl.backward) {
      const doutType: ValueType = { shape: (decl.output.type.shape ?? []).map(declDim), isInt: false };
      const doutNode = this.push({
        kind: 'dout',
        op: null,
        attrs: {},
        inputs: [],
        type: doutType,
        span: decl.output.nameSpan,
        label: gate.doutName,
        name: gate.doutName,
        gateCall: index,
        requiresGrad: false,
        rngKey: null,
        init: null,
      });
      gc.names.set(gate.doutName, doutNode);
      types.set(gate.doutName, doutType);
      const nodes: number[] = [];
      const bscope: Scope = { ...scope, forward: false, collect: nodes };
      const grads: (number | null)[] = decl.params.map(() => null);
      const gradSpans: (Span | null)[] = decl.params.map(() => null);
      let complete = true;
      for (const a of decl.backward.body) {
        const t = bscope.infer.infer(a.expr);
        const id = t ? this.lowerExpr(a.expr, bscope) : null;
        if (!t || id === null) {
          // The forward pass still runs; without a usable backward block the file has an error anyway.
          this.gateRunFailure(call, gate, probe, a.span);
          complete = false;
          break;
        }
        const named = this.nameNode(id, a.name, a.expr.span, bscope);
        gc.names.set(a.name, named);
        types.set(a.name, t);
        const k = decl.params.findIndex((p) => !p.type.isInt && gradName(p.name) === a.name);
        if (k >= 0) {
          grads[k] = named;
          gradSpans[k] = a.span;
        }
      }
      if (complete) gc.backward = { doutNode, nodes, grads, gradSpans };
    }
    return gc.outputNode;
  }

  private gateRunFailure(call: Call, gate: GateInfo, probe: DiagnosticSink, at: Span): null {
    const gateName = gate.decl.name;
    const first = probe.items.find((d) => d.severity === 'error');
    if (this.definitionHasErrors(gate)) return null;
    // Errors inside the gate body at its declared shapes are reported where the gate is defined;
    // here the concrete sizes of this call made the body fail.
    if (first) {
      this.sink.error('gate-call', `\`${gateName}\` cannot run on these arguments: ${first.message}`, call.span, {
        related: [{ message: 'in this line of the gate', span: at }],
      });
    }
    return null;
  }
}

/**
 * A constant's node label: the literal as the user wrote it (an integer exactly, else 6 significant
 * digits), like the other parameters the user typed — not a computed number, which is printed by
 * format/number.ts.
 */
function literalLabel(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3).replace(/\.?0+e/, 'e');
  return String(Number(v.toPrecision(6)));
}
