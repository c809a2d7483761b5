// Machinery both scripts share: Python names for the file's names, translation scopes for the top
// level and for gate bodies, tensors embedded as literals or stored in the .npz, the dimensions a
// gate function binds from its inputs' shapes, the user's comments around statements, and the
// frame of an export: its file names, its target's tensor constructors, failures as data.
import type { Call, Expr, GateDecl, Statement } from '../lang/ast';
import type { GateInfo } from '../lang/resolve';
import type { ValueType } from '../ops/op';
import { named } from '../shapes/shape';
import { ShapeInference, type TypeEnv } from '../shapes/infer';
import type { Tensor } from '../tensor/tensor';
import { prepare, type ExportModel, type ExportOptions, type ExportResult } from './model';
import { npzBytes, type NpyArray } from './npz';
import type { PyCode } from './pyCode';
import { call, nestedList, py, PREC, pyFloat, pyInt, type Py } from './pyExpr';
import { PYTHON_RESERVED, PyNames } from './pyNames';
import type { TargetOps } from './templates';
import { ExportProblem, type Scope, type Target } from './translate';

/**
 * Runs one exporter on a .grad text: a file with errors or a construct the target cannot express
 * becomes a failed result with the reason, never an exception.
 */
export function runExporter(library: string, text: string, options: ExportOptions, build: (m: ExportModel) => ExportResult): ExportResult {
  try {
    const m = prepare(text, options);
    if ('error' in m) return { ok: false, reason: m.reason, error: m.error, warnings: [] };
    return build(m);
  } catch (e) {
    if (e instanceof ExportProblem) return { ok: false, reason: 'unsupported', error: e.message, warnings: [] };
    return { ok: false, reason: 'internal', error: `internal error while exporting to ${library}: ${e instanceof Error ? e.message : String(e)}`, warnings: [] };
  }
}

/** The script's name (`<stem>_<suffix>.py` unless given) and the .npz's beside it. */
export function scriptFileNames(m: ExportModel, options: ExportOptions, suffix: string): { scriptName: string; npzName: string } {
  const scriptName = options.scriptName ?? `${m.stem}_${suffix}.py`;
  return { scriptName, npzName: `${scriptName.replace(/\.py$/i, '')}.npz` };
}

/** The script, and the .npz beside it when some arrays went there. */
export function exportedFiles(script: { name: string; content: string }, npzName: string, store: ArrayStore, warnings: string[]): ExportResult {
  const files: ExportResult & { ok: true } = { ok: true, files: [{ path: script.name, content: script.content }], warnings };
  if (store.used) files.files.push({ path: npzName, bytes: npzBytes(store.entries) });
  return files;
}

/** A one-line nested list literal of a row-major array (lists written inside an expression). */
function inlineList(values: number[], shape: number[]): string {
  const render = (axis: number, offset: number): string => {
    if (axis === shape.length) return pyFloat(values[offset]);
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return `[${Array.from({ length: shape[axis] }, (_, i) => render(axis + 1, offset + i * stride)).join(', ')}]`;
  };
  return render(0, 0);
}

/**
 * The translation target of a tensor library: `tensor` builds a tensor from a number or a list
 * (`np.array`, `torch.tensor`), `toFloat` the method that turns a boolean mask into 0/1 floats.
 */
export function tensorTarget(ops: TargetOps, tensor: string, toFloat: string): Target {
  return {
    ops,
    asTensor: (e) => (e.kind !== 'number' ? e : /^-?[\d.]+([eE][+-]?\d+)?$/.test(e.code) ? call(tensor, [pyFloat(Number(e.code))]) : call(tensor, [`float(${e.code})`])),
    boolToFloat: (e) => py(`${e.prec < PREC.POSTFIX ? `(${e.code})` : e.code}.${toFloat}`, PREC.POSTFIX),
    listLiteral: (values, shape) => call(tensor, [inlineList(values, shape)]),
  };
}

/** Every .grad name of the top level: dimensions, tensors and gates. */
function topLevelNames(m: ExportModel): Set<string> {
  const out = new Set<string>(m.res.dims.keys());
  for (const s of m.program.statements) {
    if (s.kind === 'decl' || s.kind === 'assign' || s.kind === 'gate') out.add(s.name);
  }
  return out;
}

export function topNames(m: ExportModel, reserved: Iterable<string>): PyNames {
  return new PyNames([...PYTHON_RESERVED, ...reserved], topLevelNames(m));
}

/** The names local to a gate: inputs, body and backward names, d<out>, and its dimensions. */
export function gateLocalNames(decl: GateDecl, info: GateInfo): Set<string> {
  const out = new Set<string>([...info.localDims, ...decl.params.map((p) => p.name), ...decl.body.map((a) => a.name)]);
  if (decl.backward) {
    out.add(info.doutName);
    for (const a of decl.backward.body) out.add(a.name);
  }
  return out;
}

export function topScope(m: ExportModel, names: PyNames, random: (call: Call) => Py | null, gateCall: Scope['gateCall']): Scope {
  const env: TypeEnv = {
    value: (n) => {
      const id = m.graph.named.get(n);
      return id === undefined ? undefined : m.graph.nodes[id].type;
    },
    dim: (n) => {
      const d = m.res.dims.get(n);
      return d ? named(n, d.size) : undefined;
    },
    gates: m.res.gates,
    gateVisible: () => true,
    inBackward: false,
  };
  return {
    names,
    infer: new ShapeInference(env, null),
    bind: env,
    isDim: (n) => m.res.dims.has(n) && !m.graph.named.has(n),
    random,
    gateCall,
    where: m.fileName,
  };
}

export function gateScope(m: ExportModel, info: GateInfo, names: PyNames, gateCall: Scope['gateCall']): Scope {
  const types = m.session.gateTypes.get(info.decl.name) ?? new Map<string, ValueType>();
  const env: TypeEnv = {
    value: (n) => types.get(n),
    dim: (n) => (info.localDims.has(n) ? named(n, null) : undefined),
    gates: m.res.gates,
    gateVisible: () => true,
    inBackward: true,
  };
  return {
    names,
    infer: new ShapeInference(env, null),
    bind: env,
    isDim: (n) => info.localDims.has(n) && !types.has(n),
    // Dropout inside a gate draws a new mask at every call: the templates refuse it.
    random: () => null,
    gateCall,
    where: `gate \`${info.decl.name}\``,
  };
}

/** Names an expression reads: tensors, and dimensions used as numbers or as attributes. */
export function namesIn(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.kind) {
    case 'name':
      out.add(e.name);
      break;
    case 'list':
      e.items.forEach((x) => namesIn(x, out));
      break;
    case 'unary':
    case 'transpose':
    case 'index':
      namesIn(e.operand, out);
      break;
    case 'binary':
      namesIn(e.left, out);
      namesIn(e.right, out);
      break;
    case 'call':
      e.args.forEach((x) => namesIn(x, out));
      e.kwargs.forEach((k) => namesIn(k.value, out));
      break;
    default:
      break;
  }
  return out;
}

/**
 * Lines binding a gate's dimensions from its inputs' shapes (`B, K = X.shape`), for the
 * dimensions in `needed`; `from` limits which inputs may be read (the saved ones in backward).
 */
export function dimBindings(decl: GateDecl, needed: ReadonlySet<string>, names: PyNames, from?: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  const bound = new Set<string>();
  for (const p of decl.params) {
    if (from && !from.has(p.name)) continue;
    const dims = (p.type.shape ?? []).map((d) => (d.kind === 'name' && needed.has(d.name) && !bound.has(d.name) ? d.name : null));
    const wanted = dims.filter((d): d is string => d !== null);
    if (!wanted.length) continue;
    const x = names.get(p.name);
    if (wanted.length === 1) {
      lines.push(`${names.get(wanted[0])} = ${x}.shape[${dims.indexOf(wanted[0])}]`);
    } else {
      const targets = dims.map((d) => (d === null ? '_' : names.get(d)));
      lines.push(`${targets.join(', ')}${targets.length === 1 ? ',' : ''} = ${x}.shape`);
    }
    wanted.forEach((d) => bound.add(d));
  }
  return lines;
}

/** The gate input whose shape names each of `dims` first (what a function must keep to bind them). */
export function inputsBinding(decl: GateDecl, dims: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const d of dims) {
    const p = decl.params.find((q) => (q.type.shape ?? []).some((r) => r.kind === 'name' && r.name === d));
    if (p) out.add(p.name);
  }
  return out;
}

// ------------------------------------------------------------------ tensors in the script or the .npz

export type Stored = { kind: 'literal'; text: string } | { kind: 'npz'; key: string };

export class ArrayStore {
  readonly entries = new Map<string, NpyArray>();

  constructor(private readonly limit: number) {}

  /** A tensor as a nested-list literal (small) or an .npz entry (large); `indent` is where the literal starts. */
  put(key: string, t: Pick<Tensor, 'shape' | 'data'>, isInt: boolean, indent: string): Stored {
    if (t.data.length <= this.limit) return { kind: 'literal', text: nestedList(t.data, t.shape, isInt ? pyInt : pyFloat, indent) };
    this.entries.set(key, { shape: t.shape, data: t.data, dtype: isInt ? 'int64' : 'float64' });
    return { kind: 'npz', key };
  }

  get used(): boolean {
    return this.entries.size > 0;
  }
}

// ------------------------------------------------------------------ comments

/**
 * The user's comments around statements. Scripts regroup statements (values, gates, network), so
 * the comment lines above a statement are those between it and the statement before it in the
 * file; the comments above the first statement are the file's header.
 */
export class CommentPlacer {
  private readonly prevEnd = new Map<Statement, number>();

  constructor(private readonly m: ExportModel) {
    let prev: Statement | null = null;
    for (const s of m.program.statements) {
      if (prev) this.prevEnd.set(s, prev.span.end);
      prev = s;
    }
  }

  header(): string[] {
    const first = this.m.program.statements[0];
    return this.m.comments.between(-1, first ? this.m.comments.line(first.span.start) : this.m.comments.lineCount);
  }

  /** Comment lines after the last statement. */
  footer(): string[] {
    const last = this.m.program.statements[this.m.program.statements.length - 1];
    return last ? this.m.comments.between(this.m.comments.line(Math.max(0, last.span.end - 1)), this.m.comments.lineCount) : [];
  }

  /** Writes the comment lines above a top-level statement. */
  above(code: PyCode, s: Statement): void {
    const end = this.prevEnd.get(s);
    if (end === undefined) return;
    const lines = this.m.comments.between(this.m.comments.line(Math.max(0, end - 1)), this.m.comments.line(s.span.start));
    if (lines.length) code.comments(lines);
  }

  /** Comment lines between two offsets' lines (inside a gate). */
  between(afterOffset: number, beforeOffset: number): string[] {
    return this.m.comments.between(this.m.comments.line(Math.max(0, afterOffset - 1)), this.m.comments.line(beforeOffset));
  }

  trailing(span: { start: number; end: number }): string | null {
    return this.m.comments.trailing(span);
  }
}

/** The first source line of a declaration or an expect line (with its comment), as a comment. */
export function sourceLine(m: ExportModel, s: Statement): string {
  const more = m.comments.line(s.span.end) > m.comments.line(s.span.start) ? ' …' : '';
  return `# ${m.comments.text(s.span)}${more}`;
}

/** `affine_layer` → `AffineLayer`: a gate's autograd.Function class name. */
export function className(gate: string): string {
  const camel = gate
    .split('_')
    .filter((p) => p !== '')
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join('');
  return camel || 'Gate';
}

// ------------------------------------------------------------------ values

/** How a target writes a tensor value: from a literal, or from the .npz. */
export interface ValueRender {
  literal(text: string, requiresGrad: boolean): string;
  npz(key: string, requiresGrad: boolean): string;
}

/**
 * The random numbers the engine drew for each top-level dropout, embedded under a name so the
 * script applies GradLens' own mask.
 */
export class RandomNumbers {
  readonly list: { name: string; key: string; label: string; values: Float64Array; shape: readonly number[] }[] = [];

  constructor(
    private readonly m: ExportModel,
    private readonly names: PyNames,
  ) {}

  ref(c: Call): Py | null {
    const m = this.m;
    const node = m.graph.nodes.find((n) => n.op?.stochastic && n.gateCall === null && n.span.start === c.span.start && n.span.end === c.span.end);
    const v = node ? m.ex.values[node.id] : null;
    if (!node || !v) return null;
    const key = `random/${node.id}`;
    const known = this.list.find((r) => r.key === key);
    if (known) return py(known.name);
    const owner = m.program.statements.find((s) => s.kind === 'assign' && s.span.start <= c.span.start && c.span.end <= s.span.end);
    const base = owner && owner.kind === 'assign' ? owner.name : 'dropout';
    const name = this.names.fresh(`u_${base}`);
    this.list.push({ name, key, label: `\`${base} = …\``, values: m.ex.randomFor(node.id, v.size), shape: v.shape });
    return py(name);
  }
}

/** The dimensions, the declared tensors with the values GradLens used, and the dropout masks' random numbers. */
export function writeValues(m: ExportModel, code: PyCode, names: PyNames, store: ArrayStore, comments: CommentPlacer, render: ValueRender, randoms: RandomNumbers, trainable: ReadonlySet<string>): void {
  for (const s of m.program.statements) {
    if (s.kind === 'seed') {
      comments.above(code, s);
      code.comments([`# seed ${m.res.seed}: the random values below are the ones GradLens drew with it.`]);
    } else if (s.kind === 'dims') {
      comments.above(code, s);
      const items = s.items.filter((d) => m.res.dims.has(d.name));
      if (!items.length) continue;
      const sizes = items.map((d) => String(m.res.dims.get(d.name)?.size));
      code.line(`${items.map((d) => names.get(d.name)).join(', ')} = ${sizes.join(', ')}`, `# ${m.comments.text(s.span).replace(/^#\s*/, '')}`);
    } else if (s.kind === 'decl' && m.res.definitions.get(s.name) === s) {
      const id = m.graph.named.get(s.name);
      const v = id === undefined ? null : m.ex.values[id];
      if (!v) continue;
      comments.above(code, s);
      const grad = trainable.has(s.name);
      const stored = store.put(s.name, v, s.type?.isInt === true, '');
      code.comments([sourceLine(m, s)]);
      code.line(`${names.get(s.name)} = ${stored.kind === 'literal' ? render.literal(stored.text, grad) : render.npz(stored.key, grad)}`);
    }
  }
  for (const r of randoms.list) {
    code.blank();
    code.comments([`# GradLens' random numbers for the dropout in ${r.label}: uniform in [0, 1), a unit is kept where u >= p.`]);
    const stored = store.put(r.key, { shape: r.shape, data: r.values }, false, '');
    code.line(`${r.name} = ${stored.kind === 'literal' ? render.literal(stored.text, false) : render.npz(stored.key, false)}`);
  }
  const renamed = names.renamed();
  if (renamed.length) {
    code.blank();
    code.comments([`# Renamed here because Python or this script already uses the name: ${renamed.map(([a, b]) => `${a} → ${b}`).join(', ')}.`]);
  }
}

/**
 * Inputs whose gradient line is `d<input> = 0`, a scalar zero standing for zeros of the input's
 * shape: the script writes `zeros_like(input)`, so it keeps the input for the backward pass.
 */
export function zeroGradients(decl: GateDecl, types: ReadonlyMap<string, ValueType>): Set<string> {
  const out = new Set<string>();
  for (const a of decl.backward?.body ?? []) {
    const p = decl.params.find((q) => !q.type.isInt && `d${q.name}` === a.name);
    const it = p ? types.get(p.name) : undefined;
    if (p && it && it.shape.length > 0 && a.expr.kind === 'num' && a.expr.value === 0) out.add(p.name);
  }
  return out;
}
