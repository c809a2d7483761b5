// Name resolution: which name each use refers to, dimensions, and the scope rules of gates.
// Calls are bound by bind.ts; problems become diagnostics with suggestions.
import type { DiagnosticSink } from '../diagnostics';
import { FUNCTIONS } from '../ops/registry';
import { named, type Dim } from '../shapes/shape';
import type { Span } from '../text';
import type { Assign, Call, DimRef, Expr, GateDecl, Program, Statement, TensorDecl } from './ast';
import { suggestion } from './suggest';
import { bindCall } from './bind';
import { gradName, MAX_DIM_SIZE, type BindScope, type BoundCall, type DimInfo, type GateInfo, type Resolution, type ResolveOptions } from './scope';

export { bindCall, literalNumber } from './bind';
export * from './scope';

// ------------------------------------------------------------------ the pass

export function resolve(program: Program, options: ResolveOptions, sink: DiagnosticSink): Resolution {
  const dims = collectDims(program, options, sink);
  const gates = new Map<string, GateInfo>();
  const definitions = new Map<string, TensorDecl | Assign>();
  let seed = 0;
  let seedSeen = false;
  let root: Assign | null = null;

  // Every top-level name with its first definition, to tell "defined later" from "undefined".
  const allNames = new Map<string, Statement>();
  for (const s of program.statements) {
    if ((s.kind === 'decl' || s.kind === 'assign') && !allNames.has(s.name)) allNames.set(s.name, s);
  }
  const allGates = new Set(program.statements.filter((s): s is GateDecl => s.kind === 'gate').map((g) => g.name));

  // One Dim per dimension name (Dims are immutable): a file's thousands of shapes share them.
  const dimObjects = new Map<string, Dim>();
  const globalDim = (name: string): Dim | undefined => {
    let dim = dimObjects.get(name);
    if (!dim) {
      const d = dims.get(name);
      if (!d) return undefined;
      dimObjects.set(name, (dim = named(name, d.size)));
    }
    return dim;
  };
  const bound = new Map<Call, BoundCall>();
  const bindTop = (c: Call): BoundCall | null => {
    const b = bindCall(c, scope, sink, allGates);
    if (b) bound.set(c, b);
    return b;
  };

  const declaredGates = new Set<string>();
  const scope: BindScope = { gates, dim: globalDim, gateVisible: (n) => declaredGates.has(n), inBackward: false };

  const checkName = (name: string, at: Span): void => {
    if (definitions.has(name) || dims.has(name)) return;
    if (allNames.has(name)) {
      const later = allNames.get(name) as Statement;
      sink.error('use-before-definition', `\`${name}\` is used before its definition (a .grad file is read top to bottom); move the definition above this line`, at, {
        related: [{ message: `\`${name}\` is defined here`, span: later.kind === 'decl' || later.kind === 'assign' ? later.nameSpan : later.span }],
      });
      return;
    }
    const hint = suggestion(name, [...definitions.keys(), ...dims.keys()], at);
    sink.error('undefined-name', `\`${name}\` is not defined${hint.clause}`, at, hint.fixes ? { fixes: hint.fixes } : undefined);
  };

  for (const s of program.statements) {
    switch (s.kind) {
      case 'seed':
        if (options.seed !== undefined) seed = options.seed;
        else if (!seedSeen) seed = s.value;
        else sink.error('duplicate-definition', 'the seed is set twice; keep one `seed` line', s.span);
        seedSeen = true;
        break;
      case 'dims':
        break;
      case 'decl':
        checkDeclTypes(s, dims, sink);
        if (definitions.has(s.name)) duplicate(s.name, s.nameSpan, definitions.get(s.name) as TensorDecl | Assign, sink);
        else definitions.set(s.name, s);
        break;
      case 'assign':
        walkNames(s.expr, checkName, bindTop);
        if (definitions.has(s.name)) duplicate(s.name, s.nameSpan, definitions.get(s.name) as TensorDecl | Assign, sink);
        else definitions.set(s.name, s);
        root = s;
        break;
      case 'expect':
        checkName(s.target, s.targetSpan);
        if (s.shape) for (const d of s.shape) checkDimRef(d, dims, sink);
        if (s.expected) walkNames(s.expected, checkName, bindTop);
        break;
      case 'gate': {
        const info = resolveGate(s, dims, scope, sink, allGates);
        if (gates.has(s.name)) sink.error('duplicate-definition', `gate \`${s.name}\` is defined twice`, s.nameSpan);
        else if (FUNCTIONS.has(s.name)) {
          sink.error('duplicate-definition', `gate \`${s.name}\` has the name of a built-in operation; rename it (e.g. \`my_${s.name}\`)`, s.nameSpan);
        } else {
          gates.set(s.name, info);
          declaredGates.add(s.name);
        }
        break;
      }
    }
  }
  if (options.seed !== undefined) seed = options.seed;
  return { seed, dims, gates, definitions, root, bound, dim: globalDim };
}

function duplicate(name: string, at: Span, first: TensorDecl | Assign, sink: DiagnosticSink): void {
  sink.error('duplicate-definition', `\`${name}\` is already defined; every name is assigned once — use a new name such as \`${name}2\``, at, {
    related: [{ message: `first definition of \`${name}\``, span: first.nameSpan }],
  });
}

function collectDims(program: Program, options: ResolveOptions, sink: DiagnosticSink): Map<string, DimInfo> {
  const dims = new Map<string, DimInfo>();
  for (const s of program.statements) {
    if (s.kind !== 'dims') continue;
    for (const item of s.items) {
      if (dims.has(item.name)) {
        sink.error('duplicate-dim', `dimension \`${item.name}\` is already defined (= ${dims.get(item.name)?.size})`, item.nameSpan);
        continue;
      }
      if (!Number.isInteger(item.value) || item.value < 1 || item.value > MAX_DIM_SIZE) {
        sink.error('bad-dim-value', `dimension \`${item.name}\` must be a positive integer up to ${MAX_DIM_SIZE}, found ${Number.isNaN(item.value) ? 'a malformed number' : item.value}`, item.valueSpan);
        dims.set(item.name, { name: item.name, size: 1, span: item.nameSpan });
        continue;
      }
      dims.set(item.name, { name: item.name, size: item.value, span: item.nameSpan });
    }
  }
  // Overrides come from outside the file (--dim, Set Dimension Sizes, the dashboard): checked like
  // the file's own values, and a bad one leaves the file's value in place.
  for (const [name, size] of Object.entries(options.dims ?? {})) {
    const cur = dims.get(name);
    if (!/^[A-Za-z_]\w*$/.test(name)) continue;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_DIM_SIZE) {
      const shown = typeof size === 'number' ? String(size) : JSON.stringify(size) ?? String(size);
      const kept = cur ? `; the file's ${name} = ${cur.size} is used` : '';
      sink.error('bad-dim-value', `the size given for dimension \`${name}\` from outside the file (--dim or Set Dimension Sizes) must be a positive integer up to ${MAX_DIM_SIZE}, found ${shown}${kept}`, cur?.span ?? { start: 0, end: 0 });
      continue;
    }
    dims.set(name, { name, size, span: cur?.span ?? null });
  }
  return dims;
}

/** Reports a dimension name that is not one of `dims` (the suggestions are among them). */
function checkDimRef(d: DimRef, dims: Map<string, DimInfo>, sink: DiagnosticSink): void {
  if (d.kind === 'name' && !dims.has(d.name)) {
    const hint = suggestion(d.name, [...dims.keys()], d.span);
    sink.error('undefined-dim', `dimension \`${d.name}\` is not defined: add it to a \`dims\` line (e.g. \`dims ${d.name} = 4\`) or write a number.${hint.text}`, d.span, hint.fixes ? { fixes: hint.fixes } : undefined);
  }
}

function checkDeclTypes(s: TensorDecl, dims: Map<string, DimInfo>, sink: DiagnosticSink): void {
  for (const d of s.type?.shape ?? []) checkDimRef(d, dims, sink);
  if (s.range) {
    checkDimRef(s.range.lo, dims, sink);
    checkDimRef(s.range.hi, dims, sink);
    if (!s.type?.isInt) sink.error('bad-init', `\`in lo..hi\` gives the range of integer labels; declare \`${s.name}\` as \`int[…]\``, s.range.span);
  }
  if (s.type?.isInt && s.declKind === 'param') sink.error('bad-init', `a \`param\` is learned by gradient descent and cannot be \`int\`; use \`input ${s.name}: int[…]\` for labels`, s.type.span);
  if (s.type?.isInt && !s.range && (!s.init || s.init.kind !== 'literal')) {
    sink.error('bad-init', `integer input \`${s.name}\` needs a range of labels, e.g. \`in 0..C\`, or a literal value`, s.nameSpan);
  }
}

// ------------------------------------------------------------------ gates

/** What a gate's header alone defines: its local dimensions, the `d<input>` names and `d<out>`. */
export function gateHeaderScope(g: GateDecl): Pick<GateInfo, 'localDims' | 'gradNames' | 'doutName'> {
  const localDims = new Set<string>();
  for (const p of [...g.params, g.output]) for (const d of p.type.shape ?? []) if (d.kind === 'name') localDims.add(d.name);
  const gradNames = new Map<string, number>();
  g.params.forEach((p, i) => {
    if (!p.type.isInt) gradNames.set(gradName(p.name), i);
  });
  return { localDims, gradNames, doutName: gradName(g.output.name) };
}

function resolveGate(g: GateDecl, globalDims: Map<string, DimInfo>, outer: BindScope, sink: DiagnosticSink, allGates: Set<string>): GateInfo {
  const { localDims, gradNames, doutName } = gateHeaderScope(g);
  const info: GateInfo = { decl: g, localDims, gradNames, doutName, valid: true };

  const locals = new Map<string, Span>();
  g.params.forEach((p) => {
    if (locals.has(p.name)) {
      sink.error('duplicate-definition', `gate \`${g.name}\` has two inputs named \`${p.name}\``, p.nameSpan);
      info.valid = false;
    }
    locals.set(p.name, p.nameSpan);
  });
  if (locals.has(g.output.name)) {
    sink.error('duplicate-definition', `the output \`${g.output.name}\` of gate \`${g.name}\` has the name of an input`, g.output.nameSpan);
    info.valid = false;
  }

  const scope: BindScope = {
    gates: outer.gates,
    dim: (n) => (localDims.has(n) ? named(n, null) : undefined),
    gateVisible: outer.gateVisible,
    inBackward: false,
  };
  const backwardScope: BindScope = { ...scope, inBackward: true };
  const forwardNames = new Set(locals.keys());
  const backwardNames = new Set<string>();
  const globalNames = (n: string) => globalDims.has(n);

  const check = (inBackward: boolean) => (name: string, at: Span) => {
    if (forwardNames.has(name) || backwardNames.has(name) || localDims.has(name)) return;
    if (name === doutName) {
      if (!inBackward) {
        sink.error('gate-dout-in-forward', `\`${name}\` is the upstream gradient of \`${g.output.name}\`: it exists only inside \`backward { … }\``, at);
      }
      return;
    }
    if (globalNames(name)) {
      sink.error('gate-scope', `dimension \`${name}\` is not one of gate \`${g.name}\`'s dimensions; use a dimension from its input or output shapes`, at);
      return;
    }
    const pool = [...forwardNames, ...backwardNames, ...(inBackward ? [doutName] : [])];
    const hint = suggestion(name, pool, at);
    sink.error('gate-scope', `\`${name}\` is not defined in gate \`${g.name}\`: a gate sees only its inputs, its own intermediates${inBackward ? ' and the upstream gradient' : ''}; pass \`${name}\` as an input.${hint.text}`, at, hint.fixes ? { fixes: hint.fixes } : undefined);
  };

  let outputAssigned = false;
  for (const a of g.body) {
    walkNames(a.expr, check(false), (c) => bindCall(c, scope, sink, allGates));
    if (forwardNames.has(a.name)) {
      sink.error('duplicate-definition', `\`${a.name}\` is already defined in gate \`${g.name}\`; every name is assigned once`, a.nameSpan);
      continue;
    }
    if (a.name === doutName) sink.error('gate-dout-in-forward', `\`${a.name}\` names the upstream gradient; it can only be read inside \`backward { … }\``, a.nameSpan);
    forwardNames.add(a.name);
    if (a.name === g.output.name) outputAssigned = true;
  }
  if (!outputAssigned) {
    sink.error('gate-output-missing', `gate \`${g.name}\` never assigns its output \`${g.output.name}\`: add a line \`${g.output.name} = …\` to its body`, g.output.nameSpan);
    info.valid = false;
  }

  if (g.backward) {
    const assigned = new Set<string>();
    for (const a of g.backward.body) {
      walkNames(a.expr, check(true), (c) => bindCall(c, backwardScope, sink, allGates));
      if (forwardNames.has(a.name) || backwardNames.has(a.name) || a.name === doutName) {
        sink.error('duplicate-definition', `\`${a.name}\` is already defined in gate \`${g.name}\`; every name is assigned once`, a.nameSpan);
        continue;
      }
      backwardNames.add(a.name);
      assigned.add(a.name);
      if (!gradNames.has(a.name)) checkUnknownGradient(a, g, gradNames, forwardNames, sink);
    }
    const missing = [...gradNames.keys()].filter((d) => !assigned.has(d));
    if (missing.length) {
      sink.error(
        'gate-missing-gradient',
        `the backward block of \`${g.name}\` must assign ${missing.map((m) => `\`${m}\``).join(', ')} (the gradient of every input; write \`${missing[0]} = 0\` for an input that truly gets none)`,
        g.backward.keywordSpan,
      );
    }
  }
  return info;
}

/**
 * A `d…` name that looks like a slip for an input's gradient: `dw` for input `W` (case), `dW1`
 * for `W` (one character too many or too few at the end). Other `d…` helpers (`dz`, `dz2`,
 * `dscores`) are fine.
 */
function checkUnknownGradient(a: Assign, g: GateDecl, gradNames: Map<string, number>, forwardNames: Set<string>, sink: DiagnosticSink): void {
  if (!/^d[A-Za-z_]/.test(a.name)) return;
  const base = a.name.slice(1);
  if (forwardNames.has(base)) return; // d<intermediate>: a helper, allowed
  const input = g.params.find((p) => {
    if (!gradNames.has(gradName(p.name))) return false;
    if (p.name.toLowerCase() === base.toLowerCase()) return true;
    // one character added or dropped at the end: dW1 for W, dW for W1
    const [short, long] = p.name.length < base.length ? [p.name, base] : [base, p.name];
    return long.length === short.length + 1 && long.toLowerCase().startsWith(short.toLowerCase());
  });
  if (!input) return;
  const close = gradName(input.name);
  sink.error(
    'gate-unknown-gradient',
    `\`${a.name}\` is not the gradient of any input or intermediate of \`${g.name}\` (there is no \`${base}\`); did you mean \`${close}\`, the gradient of input \`${input.name}\`?`,
    a.nameSpan,
    { fixes: [{ title: `Rename to \`${close}\``, edits: [{ span: a.nameSpan, newText: close }] }] },
  );
}

// ------------------------------------------------------------------ walking expressions

/** Visits every name reference and call in an expression (not attribute arguments). */
export function walkNames(e: Expr, onName: (name: string, at: Span) => void, onCall: (c: Call) => BoundCall | null): void {
  switch (e.kind) {
    case 'name':
      onName(e.name, e.span);
      return;
    case 'num':
    case 'bool':
    case 'error':
      return;
    case 'list':
      for (const it of e.items) walkNames(it, onName, onCall);
      return;
    case 'unary':
      walkNames(e.operand, onName, onCall);
      return;
    case 'binary':
      walkNames(e.left, onName, onCall);
      walkNames(e.right, onName, onCall);
      return;
    case 'transpose':
    case 'index':
      walkNames(e.operand, onName, onCall);
      return;
    case 'call': {
      const b = onCall(e);
      // Only tensor arguments hold names of tensors; attributes are literals or dimensions.
      const args = b ? b.args : e.args;
      for (const a of args) walkNames(a, onName, onCall);
      if (!b) for (const k of e.kwargs) walkNames(k.value, onName, onCall);
      return;
    }
  }
}
