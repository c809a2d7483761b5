// Static checks of a gate definition at its declared (symbolic) shapes: the body must produce the
// declared output, and every d<input> in the backward block must have its input's shape.
import { DiagnosticSink } from '../diagnostics';
import type { Assign } from '../lang/ast';
import { printExpr } from '../lang/print';
import type { Span } from '../text';
import { proposeArrangements } from './dimensionAnalysis';
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
    defined: () => types.keys(),
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
      const k = g.params.findIndex((p) => !p.type.isInt && gradName(p.name) === a.name);
      if (k < 0) {
        const t = backwardInference.infer(a.expr);
        if (t) types.set(a.name, t);
        continue;
      }
      // A d<input> line: its shape problems become one dimension-analysis diagnostic.
      const p = g.params[k];
      const want = types.get(p.name) as ValueType;
      const probe = new DiagnosticSink();
      const t = new ShapeInference(env, probe).infer(a.expr);
      if (t) types.set(a.name, t);
      const isZeroLiteral = t !== null && t.shape.length === 0 && a.expr.kind === 'num' && a.expr.value === 0;
      if (t && (isZeroLiteral || shapesSymbolicallyEqual(t.shape, want.shape))) {
        backwardInference.infer(a.expr);
        continue;
      }
      const formError = probe.items.find((d) => d.severity === 'error');
      if (!t && !formError) continue; // an undefined name, already reported
      reportBackwardShape(a, p.name, p.span, want, t, formError?.message ?? null, env, sink);
    }
  }
  return { types, backwardInference };
}

function quoteList(items: string[]): string {
  const q = items.map((x) => `\`${x}\``);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

/** The dimension-analysis diagnostic for a d<input> line, with the shape-consistent rearrangements as fixes. */
function reportBackwardShape(
  a: Assign,
  input: string,
  inputSpan: Span,
  want: ValueType,
  found: ValueType | null,
  formError: string | null,
  env: TypeEnv,
  sink: DiagnosticSink,
): void {
  const text = printExpr(a.expr);
  const what = found ? `\`${text}\` has shape ${formatShape(found.shape)}` : `\`${text}\` cannot be formed (${formError})`;
  const { operands, proposals } = proposeArrangements(a.expr, want.shape, (e) => new ShapeInference(env, null).infer(e));
  const target = formatShape(want.shape);
  let advice: string;
  if (proposals.length === 0) advice = ` No arrangement of ${quoteList(operands)} has shape ${target}; check the derivation.`;
  else if (proposals.length === 1) {
    const how = operands.length > 1 ? `arrangement of ${quoteList(operands)}` : 'fix';
    const why = proposals[0].expr.kind === 'call' && proposals[0].expr.callee === 'sum' ? ' (the gradient of a broadcast input sums over the axes it was broadcast along)' : '';
    advice = ` The only ${how} with shape ${target} is \`${proposals[0].text}\`${why}.`;
  } else {
    advice = ` Several arrangements of ${quoteList(operands)} have shape ${target}: ${proposals.map((p) => `\`${p.text}\``).join(', ')}; only the gradient check can decide which is right.`;
  }
  sink.error('backward-shape', `\`${a.name}\` must have the shape of \`${input}\` ${target}, but ${what}.${advice}`, a.expr.span, {
    related: [{ message: `\`${input}\` is declared here`, span: inputSpan }],
    fixes: proposals.map((p) => ({ title: `Replace with \`${p.text}\``, edits: [{ span: a.expr.span, newText: p.text }] })),
  });
}
