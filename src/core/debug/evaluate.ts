// The debugger's expressions (Watch, Debug Console, hovers, breakpoint conditions and logpoints):
// any .grad expression over the names of the current frame. It goes the language's own way —
// parsed by the parser, names and calls checked by the resolver, shapes by shape inference (so a
// shape error reads as it does in the editor), lowered by the graph builder and run by the engine,
// each op's forward from the op table. Never throws: a problem is a message.
import { DiagnosticSink } from '../diagnostics';
import { GraphBuilder } from '../engine/lower';
import { Execution } from '../engine/run';
import { parseExpression } from '../lang/parser';
import { bindCall, walkNames, type BindScope, type Resolution } from '../lang/resolve';
import { closest } from '../lang/suggest';
import type { ValueType } from '../ops/op';
import { ShapeInference, type TypeEnv } from '../shapes/infer';
import { named } from '../shapes/shape';
import type { Tensor } from '../tensor/tensor';

/** `pending`: the expression uses a name (or gradient) this step has not computed yet. */
export type EvalResult = { ok: true; value: Tensor; type: ValueType } | { ok: false; message: string; pending?: true };

export interface EvalScope {
  /** The frame's names with their values and types. */
  bindings: Map<string, { value: Tensor; type: ValueType }>;
  /** Names of the frame that have no value yet. */
  pending?: Set<string>;
  resolution: Resolution;
  seed: number;
}

const RESULT = '(result)';

export function evaluateExpression(text: string, scope: EvalScope): EvalResult {
  try {
    return evaluate(text, scope);
  } catch (e) {
    return { ok: false, message: `internal error while evaluating: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function evaluate(text: string, scope: EvalScope): EvalResult {
  const sink = new DiagnosticSink();
  const firstError = () => ({ ok: false as const, message: withHint(sink.items.find((d) => d.severity === 'error')?.message ?? 'this expression cannot be evaluated here') });
  const expr = parseExpression(text, sink);
  if (!expr || sink.hasErrors) return firstError();
  const res = scope.resolution;
  const dim = (n: string) => {
    const d = res.dims.get(n);
    return d ? named(n, d.size) : undefined;
  };
  const bindScope: BindScope = { gates: res.gates, dim, gateVisible: () => true, inBackward: true };
  const used = new Set<string>();
  let pending = false;
  walkNames(
    expr,
    (name, at) => {
      if (scope.bindings.has(name)) used.add(name);
      else if (!dim(name)) {
        pending ||= scope.pending?.has(name) === true;
        sink.error('undefined-name', undefinedMessage(name, scope), at);
      }
    },
    (call) => bindCall(call, bindScope, sink),
  );
  if (sink.hasErrors) return pending ? { ...firstError(), pending: true } : firstError();
  const env: TypeEnv = { ...bindScope, value: (n) => scope.bindings.get(n)?.type };
  const infer = new ShapeInference(env, sink);
  const type = infer.infer(expr);
  if (!type || sink.hasErrors) return firstError();
  const builder = new GraphBuilder(sink, res.gates);
  for (const name of used) {
    const b = scope.bindings.get(name);
    if (!b) continue;
    builder.named.set(name, builder.addLeaf('const', name, b.type, expr.span, b.value, false));
  }
  const id = builder.lowerAssign({ kind: 'assign', name: RESULT, nameSpan: expr.span, expr, span: expr.span }, infer, env);
  if (id === null) return firstError();
  const ex = new Execution(builder.graph(null), scope.seed);
  const error = ex.forward().find((i) => i.kind === 'error');
  if (error) return { ok: false, message: error.message };
  const value = ex.values[id];
  return value ? { ok: true, value, type } : firstError();
}

function undefinedMessage(name: string, scope: EvalScope): string {
  if (scope.pending?.has(name)) return `\`${name}\` has no value yet at this step`;
  const near = closest(name, scope.bindings.keys());
  return `\`${name}\` is not defined in this frame.${near ? ` Did you mean \`${near}\`?` : ''}`;
}

/** The language has no `norm`: say what computes one. */
function withHint(message: string): string {
  return message.startsWith('unknown function `norm`') ? `${message} The 2-norm of x is sqrt(sum(x ** 2)).` : message;
}
