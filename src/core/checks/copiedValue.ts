// A static lint of hand-written backward blocks: "a copied value adds its gradients". When a gate
// input feeds several statements of the forward pass (x → q, k and v in self-attention; x and
// f(x) in a residual), its gradient is the sum of what comes back along every use. A `d<input>`
// line that reads the gradient of one use (dq) but not of the others (dk, dv) is wrong before any
// number is computed: this says so, naming the uses it leaves out, ahead of the numeric check.
import type { DiagnosticSink } from '../diagnostics';
import type { Assign, Expr, GateDecl } from '../lang/ast';
import { gradName } from '../lang/scope';
import { binaryOpDef, FUNCTIONS } from '../ops/registry';

/** Names an expression reads. */
function namesIn(e: Expr, into: Set<string>): Set<string> {
  switch (e.kind) {
    case 'name':
      into.add(e.name);
      break;
    case 'binary':
      namesIn(e.left, into);
      namesIn(e.right, into);
      break;
    case 'unary':
    case 'transpose':
    case 'index':
      namesIn(e.operand, into);
      break;
    case 'call':
      for (const a of e.args) namesIn(a, into);
      for (const k of e.kwargs) namesIn(k.value, into);
      break;
    case 'list':
      for (const a of e.items) namesIn(a, into);
      break;
    default:
      break;
  }
  return into;
}

/** Whether `name` reaches the value of `e` through an op that passes gradients (not only a comparison or sign). */
function carries(e: Expr, name: string): boolean {
  switch (e.kind) {
    case 'name':
      return e.name === name;
    case 'binary':
      return !binaryOpDef(e.op).noGrad && (carries(e.left, name) || carries(e.right, name));
    case 'unary':
    case 'transpose':
    case 'index':
      return carries(e.operand, name);
    case 'call': {
      const ops = FUNCTIONS.get(e.callee);
      if (ops && ops.every((op) => op.noGrad)) return false;
      return e.args.some((a) => carries(a, name)) || e.kwargs.some((k) => carries(k.value, name));
    }
    case 'list':
      return e.items.some((a) => carries(a, name));
    default:
      return false;
  }
}

function quoteList(names: string[]): string {
  const q = names.map((n) => `\`${n}\``);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} and ${q[q.length - 1]}`;
}

/** Warns on each `d<input>` line of `gate` that takes the gradient of some of the input's uses but not all. */
export function checkCopiedValues(gate: GateDecl, sink: DiagnosticSink): void {
  if (!gate.backward) return;
  const body = gate.body;
  const forward = new Set(body.map((s) => s.name));
  // The statements the output depends on (a dead statement passes no gradient).
  const live = new Set<Assign>();
  const needed = new Set([gate.output.name]);
  for (let i = body.length - 1; i >= 0; i--) {
    const s = body[i];
    if (!needed.has(s.name)) continue;
    live.add(s);
    for (const n of namesIn(s.expr, new Set())) needed.add(n);
  }
  // The live statements that read each statement, directly or through others.
  const after = new Map<Assign, Set<Assign>>();
  const byName = new Map(body.map((s) => [s.name, s]));
  for (let i = body.length - 1; i >= 0; i--) {
    const t = body[i];
    if (!live.has(t)) continue;
    for (const n of namesIn(t.expr, new Set())) {
      const s = byName.get(n);
      if (!s || s === t) continue;
      const set = after.get(s) ?? new Set<Assign>();
      set.add(t);
      for (const u of after.get(t) ?? []) set.add(u);
      after.set(s, set);
    }
  }
  const backward = new Map<string, Assign>();
  for (const s of gate.backward.body) backward.set(s.name, s);
  // The gradient names of forward values: reading one of them is taking that path.
  const pathNames = new Set([...forward].map(gradName));
  for (const p of gate.params) {
    if (p.type.isInt) continue;
    const line = backward.get(gradName(p.name));
    if (!line) continue;
    const uses = body.filter((s) => live.has(s) && carries(s.expr, p.name));
    if (uses.length < 2) continue;
    // What the line reads, through helper lines that are not themselves gradients of forward values.
    const read = new Set<string>();
    const pending = [...namesIn(line.expr, new Set())];
    while (pending.length) {
      const n = pending.pop() as string;
      if (read.has(n)) continue;
      read.add(n);
      const helper = backward.get(n);
      if (helper && helper !== line && !pathNames.has(n)) pending.push(...namesIn(helper.expr, new Set()));
    }
    // A use is taken when the line reads its gradient, or the gradient of a statement after it that
    // depends on it (the path from there back to the use written out inline: dout covers everything).
    const taken = uses.filter((s) => read.has(gradName(s.name)) || [...(after.get(s) ?? [])].some((t) => read.has(gradName(t.name))));
    const missed = uses.filter((s) => !taken.includes(s));
    if (missed.length && !uses.some((s) => read.has(gradName(s.name)))) continue;
    if (taken.length === 0 || missed.length === 0) continue;
    const d = gradName(p.name);
    sink.warning(
      'copied-value',
      `\`${p.name}\` is used ${uses.length} times in the forward pass of \`${gate.name}\` (in ${quoteList(uses.map((s) => s.name))}), so \`${d}\` is the sum of the gradients of all its uses; ` +
        `this line takes the gradient through ${quoteList(taken.map((s) => s.name))} but not through ${quoteList(missed.map((s) => s.name))}: add the term${missed.length > 1 ? 's' : ''} that ${quoteList(missed.map((s) => gradName(s.name)))} send${missed.length > 1 ? '' : 's'} back to \`${p.name}\`.`,
      line.span,
      { related: missed.map((s) => ({ message: `\`${p.name}\` is also used here`, span: s.span })) },
    );
  }
}
