// Numerically risky code written by hand (static, before running): a softmax without the
// max-subtraction trick (exp overflows past ~709, and Inf/Inf is NaN), and a log of a
// probability that can underflow to 0 (log 0 = −Inf). Each finding comes with a fix.
import type { DiagnosticSink, SpanFix } from '../diagnostics';
import type { Assign, Call, Expr, Program } from '../lang/ast';
import { printExpr } from '../lang/print';

interface Scope {
  /** name → its defining expression, for the names assigned so far in this block. */
  defs: Map<string, Assign>;
}

function isCall(e: Expr, name: string): e is Call {
  return e.kind === 'call' && e.callee === name;
}

/** exp's argument already has its max (or logsumexp) subtracted, here or where its name was defined. */
function isShifted(arg: Expr, scope: Scope): boolean {
  if (arg.kind === 'name') {
    const def = scope.defs.get(arg.name);
    return def ? isShifted(def.expr, { defs: new Map() }) : false;
  }
  return arg.kind === 'binary' && arg.op === '-' && (isCall(arg.right, 'max') || isCall(arg.right, 'logsumexp'));
}

/** The exp(...) an expression is, directly or through a name defined as one. */
function expOf(e: Expr, scope: Scope): { call: Call; viaName: Assign | null } | null {
  if (isCall(e, 'exp')) return { call: e, viaName: null };
  if (e.kind === 'name') {
    const def = scope.defs.get(e.name);
    if (def && isCall(def.expr, 'exp')) return { call: def.expr, viaName: def };
  }
  return null;
}

function kwarg(c: Call, name: string): Expr | undefined {
  return c.kwargs.find((k) => k.name === name)?.value;
}

/** A hand-written softmax: exp(a) / sum(exp(a), axis=…) with exp unshifted. */
function checkSoftmax(e: Expr, scope: Scope, sink: DiagnosticSink, text: string): boolean {
  if (e.kind !== 'binary' || e.op !== '/') return false;
  const num = expOf(e.left, scope);
  if (!num || !isCall(e.right, 'sum') || e.right.args.length === 0) return false;
  const den = expOf(e.right.args[0], scope);
  if (!den || num.call.args.length !== 1 || isShifted(num.call.args[0], scope)) return false;
  const arg = num.call.args[0];
  const axis = kwarg(e.right, 'axis');
  const shifted = (a: Expr) => `exp(${printExpr(a)} - max(${printExpr(a)}${axis ? `, axis=${printExpr(axis)}, keepdims=true` : ''}))`;
  const edits = new Map<string, { span: { start: number; end: number }; newText: string }>();
  for (const c of [num.call, den.call]) {
    if (c.args.length === 1) edits.set(`${c.span.start}`, { span: c.span, newText: shifted(c.args[0]) });
  }
  const fix: SpanFix = { title: 'Subtract the max before exp (the softmax is unchanged)', edits: [...edits.values()] };
  sink.warning(
    'unstable-softmax',
    `this softmax is written without subtracting the max: exp(${text.slice(arg.span.start, arg.span.end)}) overflows to Inf once a score exceeds about 709, and Inf/Inf is NaN. ` +
      `Subtract the max first — ${shifted(arg)} — which leaves the result unchanged, or use softmax(…).`,
    e.span,
    { fixes: [fix] },
  );
  return true;
}

/** The probability a log is taken of: a softmax call, or a name defined as a softmax. */
function checkLog(e: Expr, softmaxNames: Set<string>, sink: DiagnosticSink): void {
  if (!isCall(e, 'log') || e.args.length !== 1) return;
  const arg = e.args[0];
  if (isCall(arg, 'softmax')) {
    const fixed = { ...arg, callee: 'log_softmax' };
    sink.warning('unstable-log', 'log(softmax(…)) is −Inf where a probability underflows to 0; log_softmax(…) computes the same thing stably.', e.span, {
      fixes: [{ title: 'Use log_softmax', edits: [{ span: e.span, newText: printExpr(fixed) }] }],
    });
    return;
  }
  if (arg.kind === 'name' && softmaxNames.has(arg.name)) {
    sink.warning('unstable-log', `\`${arg.name}\` is a probability that can underflow to 0, and log(0) = −Inf: add a small epsilon, log(${arg.name} + 1e-12), or use log_softmax on the scores.`, e.span, {
      fixes: [{ title: 'Add an epsilon inside the log', edits: [{ span: arg.span, newText: `${arg.name} + 1e-12` }] }],
    });
  }
}

function walk(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.kind) {
    case 'list':
      for (const x of e.items) walk(x, visit);
      return;
    case 'unary':
    case 'transpose':
    case 'index':
      walk(e.operand, visit);
      return;
    case 'binary':
      walk(e.left, visit);
      walk(e.right, visit);
      return;
    case 'call':
      for (const x of e.args) walk(x, visit);
      for (const k of e.kwargs) walk(k.value, visit);
      return;
    default:
      return;
  }
}

function checkBlock(body: Assign[], sink: DiagnosticSink, text: string): void {
  const scope: Scope = { defs: new Map() };
  const softmaxNames = new Set<string>();
  for (const a of body) {
    let isSoftmax = isCall(a.expr, 'softmax');
    walk(a.expr, (e) => {
      if (checkSoftmax(e, scope, sink, text) && e === a.expr) isSoftmax = true;
      if (e === a.expr && e.kind === 'binary' && e.op === '/' && expOf(e.left, scope)) isSoftmax = true;
      checkLog(e, softmaxNames, sink);
    });
    // Only definitions as an exp(…) or a difference are ever looked up (expOf, isShifted): a file's
    // other thousands of names stay out of the map (a name defined again loses its entry).
    if (isCall(a.expr, 'exp') || (a.expr.kind === 'binary' && a.expr.op === '-')) scope.defs.set(a.name, a);
    else scope.defs.delete(a.name);
    if (isSoftmax) softmaxNames.add(a.name);
  }
}

export function checkStability(program: Program, text: string, sink: DiagnosticSink): void {
  checkBlock(
    program.statements.filter((s): s is Assign => s.kind === 'assign'),
    sink,
    text,
  );
  for (const s of program.statements) {
    if (s.kind !== 'gate') continue;
    checkBlock(s.body, sink, text);
    if (s.backward) checkBlock(s.backward.body, sink, text);
  }
}
