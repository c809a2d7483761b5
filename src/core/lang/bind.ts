// Binding a call: to a gate (its inputs by position or name) or to an op's signature (positional
// and keyword arguments, literal attributes checked against their kind), with a diagnostic that
// says what was expected, what was found and how to fix it.
import type { DiagnosticSink } from '../diagnostics';
import { chooseOverload, FUNCTIONS } from '../ops/registry';
import { formatParamDefault, type AttrValue, type Attrs, type OpDef, type ParamSpec } from '../ops/op';
import { lit, type Dim } from '../shapes/shape';
import type { Call, Expr } from './ast';
import { didYouMean, suggestion } from './suggest';
import type { BindScope, BoundCall, GateInfo } from './scope';

/**
 * Binds a call to an op signature or a gate. With a sink, reports problems; without, is silent
 * (later passes re-bind calls that were already checked). Returns null when the call is unusable.
 */
export function bindCall(call: Call, scope: BindScope, sink: DiagnosticSink | null, allGates?: Set<string>): BoundCall | null {
  const gate = scope.gates.get(call.callee);
  if (gate && scope.gateVisible(call.callee)) return bindGateCall(call, gate, sink);
  const candidates = FUNCTIONS.get(call.callee);
  if (!candidates) {
    if (sink) {
      if (allGates?.has(call.callee)) {
        sink.error('use-before-definition', `gate \`${call.callee}\` is used before its definition; move the gate above this line`, call.calleeSpan);
      } else {
        const hint = suggestion(call.callee, [...FUNCTIONS.keys(), ...scope.gates.keys()], call.calleeSpan);
        sink.error('unknown-function', `unknown function \`${call.callee}\`.${hint.text}`, call.calleeSpan, hint.fixes ? { fixes: hint.fixes } : undefined);
      }
    }
    return null;
  }
  const positionalTensors = call.args.length;
  const op = chooseOverload(candidates, positionalTensors);
  if (op.backwardOnly && scope.inBackward === false && sink) {
    sink.error('backward-only', `\`${op.name}\` computes a gradient and can only be used inside \`backward { … }\` of a gate`, call.calleeSpan);
    return null;
  }
  return bindOpCall(call, op, scope, sink);
}

function bindGateCall(call: Call, gate: GateInfo, sink: DiagnosticSink | null): BoundCall | null {
  const params = gate.decl.params;
  const args: (Expr | null)[] = params.map((_, i) => call.args[i] ?? null);
  let ok = gate.valid;
  if (call.args.length > params.length) {
    sink?.error('bad-argument', `gate \`${gate.decl.name}\` takes ${params.length} input${params.length === 1 ? '' : 's'} (${params.map((p) => p.name).join(', ')}), ${call.args.length} given`, call.args[params.length].span);
    ok = false;
  }
  for (const k of call.kwargs) {
    const i = params.findIndex((p) => p.name === k.name);
    if (i < 0) {
      sink?.error('unknown-keyword', `gate \`${gate.decl.name}\` has no input \`${k.name}\`; its inputs are ${params.map((p) => `\`${p.name}\``).join(', ')}.${didYouMean(k.name, params.map((p) => p.name))}`, k.nameSpan);
      ok = false;
    } else if (args[i]) {
      sink?.error('bad-argument', `input \`${k.name}\` of \`${gate.decl.name}\` is given twice`, k.span);
      ok = false;
    } else args[i] = k.value;
  }
  const missing = params.filter((_, i) => !args[i]);
  if (missing.length) {
    sink?.error('bad-argument', `gate \`${gate.decl.name}\` is missing input${missing.length > 1 ? 's' : ''} ${missing.map((p) => `\`${p.name}\``).join(', ')}`, call.span);
    ok = false;
  }
  if (!ok) return null;
  return { target: { kind: 'gate', gate }, label: gate.decl.name, args: args as Expr[], attrs: {} };
}

function signatureText(op: OpDef): string {
  return `${op.name}(${op.signature.map((p) => (p.default !== undefined ? `${p.name}=${formatParamDefault(p.default)}` : p.name)).join(', ')})`;
}


function bindOpCall(call: Call, op: OpDef, scope: BindScope, sink: DiagnosticSink | null): BoundCall | null {
  const sig = op.signature;
  const given: (Expr | null)[] = new Array<Expr | null>(sig.length).fill(null);
  let ok = true;
  if (call.args.length > sig.length) {
    sink?.error('bad-argument', `\`${op.name}\` takes at most ${sig.length} argument${sig.length === 1 ? '' : 's'}: ${signatureText(op)}`, call.args[sig.length].span);
    ok = false;
  }
  for (let i = 0; i < call.args.length && i < sig.length; i++) given[i] = call.args[i];
  for (const k of call.kwargs) {
    const i = sig.findIndex((p) => p.name === k.name);
    if (i < 0) {
      sink?.error('unknown-keyword', `\`${op.name}\` has no argument \`${k.name}\`: ${signatureText(op)}.${didYouMean(k.name, sig.map((p) => p.name))}`, k.nameSpan);
      ok = false;
      continue;
    }
    if (given[i]) {
      sink?.error('bad-argument', `argument \`${k.name}\` of \`${op.name}\` is given twice`, k.span);
      ok = false;
      continue;
    }
    given[i] = k.value;
  }
  const args: Expr[] = [];
  const attrs: Attrs = {};
  for (let i = 0; i < sig.length; i++) {
    const p = sig[i];
    const e = given[i];
    if (!e) {
      if (p.default === undefined) {
        sink?.error('bad-argument', `\`${op.name}\` is missing argument \`${p.name}\` (${p.doc}): ${signatureText(op)}`, call.span);
        ok = false;
      } else if (p.kind !== 'tensor' && p.kind !== 'tensors') attrs[p.name] = p.default;
      continue;
    }
    if (p.kind === 'tensor') {
      args.push(e);
      continue;
    }
    if (p.kind === 'tensors') {
      if (e.kind !== 'list') {
        sink?.error('bad-argument', `\`${op.name}\` takes a list of tensors as \`${p.name}\`, e.g. \`${op.name}([a, b], axis=0)\``, e.span);
        ok = false;
        continue;
      }
      if (e.items.length === 0) {
        sink?.error('bad-argument', `\`${op.name}\` needs at least one tensor in the list`, e.span);
        ok = false;
        continue;
      }
      args.push(...e.items);
      continue;
    }
    const v = attrValue(e, p, scope);
    if (typeof v === 'string') {
      sink?.error('bad-argument', `argument \`${p.name}\` of \`${op.name}\` ${v}`, e.span);
      ok = false;
      continue;
    }
    attrs[p.name] = v;
  }
  if (!ok) return null;
  return { target: { kind: 'op', op }, label: op.name, args, attrs };
}

/** A literal number (with an optional minus), or null. */
export function literalNumber(e: Expr): number | null {
  if (e.kind === 'num') return e.value;
  if (e.kind === 'unary' && e.operand.kind === 'num') return -e.operand.value;
  return null;
}

const KIND_WORDS: Record<ParamSpec['kind'], string> = {
  tensor: 'a tensor',
  tensors: 'a list of tensors',
  int: 'an integer literal',
  number: 'a number literal',
  bool: '`true` or `false`',
  axes: 'an axis (an integer) or a list of axes',
  ints: 'a list of integers',
  dim: 'a dimension name or an integer',
  shape: 'a shape: a list of dimension names, integers and at most one -1',
};

/** Converts an attribute argument; returns a message (the rest of a sentence) when it is invalid. */
function attrValue(e: Expr, p: ParamSpec, scope: BindScope): AttrValue | string {
  const expected = `must be ${KIND_WORDS[p.kind]}`;
  const num = literalNumber(e);
  const dimSize = (x: Expr): number | null => {
    if (x.kind !== 'name') return null;
    const d = scope.dim(x.name);
    return d && d.size !== null ? d.size : null;
  };
  switch (p.kind) {
    case 'int': {
      const v = num ?? dimSize(e);
      if (v === null || !Number.isInteger(v)) return `${expected}, found \`${describeExpr(e)}\``;
      return v;
    }
    case 'number': {
      const v = num ?? dimSize(e);
      if (v === null || !Number.isFinite(v)) return `${expected}, found \`${describeExpr(e)}\``;
      return v;
    }
    case 'bool':
      if (e.kind !== 'bool') return `${expected}, found \`${describeExpr(e)}\``;
      return e.value;
    case 'axes': {
      if (num !== null) return Number.isInteger(num) ? num : `${expected}, found \`${describeExpr(e)}\``;
      if (e.kind === 'list') {
        const items = e.items.map(literalNumber);
        if (items.some((v) => v === null || !Number.isInteger(v))) return `${expected}, found \`${describeExpr(e)}\``;
        return items as number[];
      }
      return `${expected}, found \`${describeExpr(e)}\``;
    }
    case 'ints': {
      if (e.kind !== 'list') return `${expected}, found \`${describeExpr(e)}\``;
      const items = e.items.map(literalNumber);
      if (items.some((v) => v === null || !Number.isInteger(v))) return `${expected}, found \`${describeExpr(e)}\``;
      return items as number[];
    }
    case 'dim': {
      if (num !== null && Number.isInteger(num) && num > 0) return lit(num);
      if (e.kind === 'name') {
        const d = scope.dim(e.name);
        if (d) return d;
        return `must be a dimension name or a positive integer; \`${e.name}\` is not a dimension`;
      }
      return `${expected}, found \`${describeExpr(e)}\``;
    }
    case 'shape': {
      if (e.kind !== 'list') return `${expected}, found \`${describeExpr(e)}\``;
      const dims: (Dim | 'infer')[] = [];
      for (const it of e.items) {
        const v = literalNumber(it);
        if (v === -1) {
          if (dims.includes('infer')) return 'may contain at most one -1';
          dims.push('infer');
        } else if (v !== null && Number.isInteger(v) && v > 0) dims.push(lit(v));
        else if (it.kind === 'name' && scope.dim(it.name)) dims.push(scope.dim(it.name) as Dim);
        else if (it.kind === 'name') return `uses \`${it.name}\`, which is not a dimension`;
        else return `${expected}, found \`${describeExpr(it)}\``;
      }
      return { kind: 'shape', dims };
    }
    default:
      return expected;
  }
}

function describeExpr(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return e.text;
    case 'bool':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(describeExpr).join(', ')}]`;
    case 'unary':
      return `-${describeExpr(e.operand)}`;
    case 'call':
      return `${e.callee}(…)`;
    default:
      return 'an expression';
  }
}

