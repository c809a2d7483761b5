// Stage 1, typecheck: names (resolve), numerically unstable patterns, gate definitions at their
// symbolic shapes, every top-level statement's type, `expect shape` lines and the backward root.
import { checkCopiedValues } from '../checks/copiedValue';
import { checkExpectShape } from '../checks/expect';
import { checkStability } from '../checks/stability';
import type { TensorDecl } from '../lang/ast';
import { resolve } from '../lang/resolve';
import type { ValueType } from '../ops/op';
import { checkGateDefinition } from '../shapes/gates';
import { listLiteralShape, ShapeInference, typeFromAnn, type TypeEnv } from '../shapes/infer';
import { formatShape, lit, type Dim } from '../shapes/shape';
import { literalValue } from '../engine/init';
import type { AnalysisSession, AnalyzeOptions } from './session';

/** The types the later stages lower with. */
export interface Typed {
  /** Top-level names → their types (the first definition of each). */
  types: Map<string, ValueType>;
  /** Declarations whose shape resolved. */
  declTypes: Map<TensorDecl, ValueType>;
  infer: ShapeInference;
  env: TypeEnv;
}

export function typecheck(session: AnalysisSession, options: AnalyzeOptions): Typed {
  const { program, sink, analysis } = session;
  const res = resolve(program, { seed: options.seed, dims: options.dims }, sink);
  session.resolution = res;
  analysis.seed = res.seed;
  analysis.dims = Object.fromEntries([...res.dims].map(([k, v]) => [k, v.size]));

  checkStability(program, session.lineMap.text, sink);

  // Gate definitions, at their symbolic shapes.
  const declaredGates = new Set<string>();
  for (const s of program.statements) {
    if (s.kind !== 'gate') continue;
    const info = res.gates.get(s.name);
    if (info && info.decl === s) {
      session.gateTypes.set(s.name, checkGateDefinition(info, res.gates, declaredGates, sink).types);
      if (info.valid) checkCopiedValues(s, sink);
      declaredGates.add(s.name);
    }
  }

  // Top-level types, statement by statement.
  const types = new Map<string, ValueType>();
  const dimOf = res.dim;
  const visibleGates = new Set<string>();
  // A shape error's suggestion picks among the params declared so far: weights and biases are what gets mixed up.
  const params: string[] = [];
  const env: TypeEnv = { value: (n) => types.get(n), names: () => params, defined: () => types.keys(), dim: dimOf, gates: res.gates, gateVisible: (n) => visibleGates.has(n) };
  const infer = new ShapeInference(env, sink, res.bound);
  const declTypes = new Map<TensorDecl, ValueType>();
  for (const s of program.statements) {
    if (s.kind === 'gate' && res.gates.get(s.name)?.decl === s) visibleGates.add(s.name);
    if (s.kind === 'decl') {
      const t = declType(s, dimOf);
      if (t && !types.has(s.name)) {
        types.set(s.name, t);
        declTypes.set(s, t);
        if (s.declKind === 'param') params.push(s.name);
      }
    } else if (s.kind === 'assign') {
      const t = infer.infer(s.expr);
      if (t && !types.has(s.name)) types.set(s.name, t);
    } else if (s.kind === 'expect' && s.what === 'shape') {
      const t = types.get(s.target);
      if (t) checkExpectShape(s, t, (n) => res.dims.get(n)?.size, sink);
    }
  }
  checkRoot(session, types);
  return { types, declTypes, infer, env };
}

/** The last assignment is the backward root: it must be a scalar. */
function checkRoot(session: AnalysisSession, types: Map<string, ValueType>): void {
  const { program, sink, analysis } = session;
  const root = session.resolution?.root ?? null;
  const rootType = root ? types.get(root.name) : undefined;
  if (!root) {
    const last = program.statements[program.statements.length - 1];
    sink.info('no-root', 'nothing to differentiate: add a statement `name = expression`; the last one is the backward root', last ? last.span : { start: 0, end: 0 });
  } else if (rootType && rootType.shape.length !== 0) {
    const text = session.lineMap.text.slice(root.expr.span.start, root.expr.span.end);
    sink.error('root-not-scalar', `backward root must be a scalar: \`${root.name}\` is ${formatShape(rootType.shape)}; reduce it, e.g. \`sum(...)\`, or end with a loss`, root.nameSpan, {
      fixes: [{ title: `Wrap in sum(…)`, edits: [{ span: root.expr.span, newText: `sum(${text})` }] }],
    });
  }
  analysis.root = root && rootType && rootType.shape.length === 0 ? root.name : null;
}

function declType(s: TensorDecl, dimOf: (n: string) => Dim | undefined): ValueType | null {
  if (s.type?.shape) {
    let ok = true;
    const t = typeFromAnn(s.type, (d) => {
      if (d.kind === 'int') return lit(d.value);
      const dim = dimOf(d.name);
      if (!dim) ok = false;
      return dim ?? lit(1);
    });
    return ok ? t : null;
  }
  // No shape written: a scalar, or the shape of a literal list.
  if (s.init?.kind === 'literal') {
    const shape = listLiteralShape(s.init.expr);
    if (typeof shape === 'string') return literalValue(s.init.expr) === null ? null : { shape: [], isInt: !!s.type?.isInt };
    return { shape: shape.map(lit), isInt: !!s.type?.isInt };
  }
  return { shape: [], isInt: !!s.type?.isInt };
}
