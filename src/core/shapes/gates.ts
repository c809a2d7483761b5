// Static checks of a gate definition at its declared (symbolic) shapes: the body must produce the
// declared output, and every d<input> in the backward block must have its input's shape.
import type { DiagnosticSink } from '../diagnostics';
import type { DimRef } from '../lang/ast';
import { gradName, type GateInfo } from '../lang/resolve';
import type { ValueType } from '../ops/op';
import { ShapeInference, typeFromAnn, type TypeEnv } from './infer';
import { formatShape, lit, named, shapesSymbolicallyEqual, type Dim } from './shape';

export interface GateTypes {
  /** Types of every gate-local name (inputs, intermediates, output, d<out>, backward names). */
  types: Map<string, ValueType>;
  /** The inference that typed the backward block (dimension analysis re-uses its bindings). */
  backwardInference: ShapeInference | null;
}

/** A dimension of the gate's declared types, symbolic (size unknown until a call binds it). */
export function gateDim(d: DimRef): Dim {
  return d.kind === 'int' ? lit(d.value) : named(d.name, null);
}

export function checkGateDefinition(gate: GateInfo, gates: Map<string, GateInfo>, declared: Set<string>, sink: DiagnosticSink): GateTypes {
  const g = gate.decl;
  const types = new Map<string, ValueType>();
  for (const p of g.params) types.set(p.name, typeFromAnn(p.type, gateDim));
  const outType = typeFromAnn(g.output.type, gateDim);
  const env: TypeEnv = {
    value: (n) => types.get(n),
    dim: (n) => (gate.localDims.has(n) ? named(n, null) : undefined),
    gates,
    gateVisible: (n) => declared.has(n),
  };
  const forward = new ShapeInference(env, sink);
  for (const a of g.body) {
    if (types.has(a.name)) continue; // duplicate, reported by name resolution
    const t = forward.infer(a.expr);
    if (!t) continue;
    types.set(a.name, t);
    if (a.name === g.output.name && !shapesSymbolicallyEqual(t.shape, outType.shape)) {
      sink.error('shape-mismatch', `gate \`${g.name}\` declares \`${g.output.name}\` as ${formatShape(outType.shape)}, but its body computes ${formatShape(t.shape)}`, a.expr.span, {
        related: [{ message: 'declared here', span: g.output.span }],
      });
    }
  }
  let backwardInference: ShapeInference | null = null;
  if (g.backward) {
    types.set(gate.doutName, { shape: outType.shape, isInt: false });
    backwardInference = new ShapeInference(env, sink);
    for (const a of g.backward.body) {
      if (types.has(a.name)) continue;
      const t = backwardInference.infer(a.expr);
      if (!t) continue;
      types.set(a.name, t);
      const k = g.params.findIndex((p) => !p.type.isInt && gradName(p.name) === a.name);
      if (k < 0) continue;
      const p = g.params[k];
      const want = types.get(p.name) as ValueType;
      const isZeroLiteral = t.shape.length === 0 && a.expr.kind === 'num' && a.expr.value === 0;
      if (!isZeroLiteral && !shapesSymbolicallyEqual(t.shape, want.shape)) {
        sink.error('backward-shape', `\`${a.name}\` must have the shape of \`${p.name}\` ${formatShape(want.shape)}, but \`${a.name} = …\` has shape ${formatShape(t.shape)}`, a.expr.span, {
          related: [{ message: `\`${p.name}\` is declared here`, span: p.span }],
        });
      }
    }
  }
  return { types, backwardInference };
}
