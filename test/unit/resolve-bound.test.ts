// Name resolution binds every top-level call once, and the typecheck's shape inference reads those
// bindings instead of binding each call a second time (a 5,000-statement file has thousands). That
// is sound because a call that binds with diagnostics on binds to the same thing silently, in the
// same scope: this checks it on random programs and mutated examples, and that the typecheck
// really reuses them. Dimensions are one immutable object per name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { DiagnosticSink } from '../../src/core/diagnostics';
import type { Call, GateDecl } from '../../src/core/lang/ast';
import { parse } from '../../src/core/lang/parser';
import { bindCall, resolve } from '../../src/core/lang/resolve';
import { newSession } from '../../src/core/pipeline/session';
import { typecheck } from '../../src/core/pipeline/typecheck';
import { exampleTexts, mutation, program } from '../fuzz/generators';

function boundAgainSilently(text: string): void {
  const prog = parse(text, new DiagnosticSink());
  const res = resolve(prog, {}, new DiagnosticSink());
  const gates = prog.statements.filter((s): s is GateDecl => s.kind === 'gate');
  for (const [call, b] of res.bound as Map<Call, unknown>) {
    // A gate is visible below its own declaration (the one name resolution kept).
    const visible = (n: string) => gates.some((g) => g.name === n && res.gates.get(n)?.decl === g && g.span.end <= call.span.start);
    const again = bindCall(call, { gates: res.gates, dim: res.dim, gateVisible: visible, inBackward: false }, null);
    assert.deepEqual(again, b, `binding of \`${call.callee}\` differs in\n${text}`);
  }
}

test('a call bound by name resolution binds the same without diagnostics', () => {
  fc.assert(fc.property(program, (t) => boundAgainSilently(t)), { numRuns: 200, seed: 21 });
  fc.assert(fc.property(mutation(exampleTexts()), (t) => boundAgainSilently(t)), { numRuns: 200, seed: 22 });
  for (const t of exampleTexts()) boundAgainSilently(t);
});

test('the typecheck reuses the bindings of name resolution, and dimensions are shared', () => {
  const text = 'dims N = 4, D = 3\ninput X: [N, D]\nparam W: [D, D] ~ he\nh = relu(X @ W)\nloss = sum(softmax(h, axis=1))\n';
  const session = newSession(text, {});
  session.program = parse(text, session.sink);
  const typed = typecheck(session, {});
  const res = session.resolution!;
  assert.equal(res.bound.size, 3, 'relu, sum and softmax');
  for (const [call, b] of res.bound) assert.equal(typed.infer.bindings.get(call), b, `\`${call.callee}\` bound once`);
  assert.equal(res.dim('N'), res.dim('N'));
  assert.equal(res.dim('Q'), undefined);
  const x = typed.types.get('X')!;
  const w = typed.types.get('W')!;
  assert.equal(x.shape[1], w.shape[0], 'the two D are one object');
  assert.deepEqual(typed.types.get('loss')?.shape, []);
  // A gradient-only op at the top level is an error for resolution, which binds nothing for it.
  const bad = 'input x: [3]\nf = conv2d_dx(x, x, x)\n';
  const s2 = newSession(bad, {});
  s2.program = parse(bad, s2.sink);
  typecheck(s2, {});
  assert.equal(s2.resolution!.bound.size, 0);
  assert.ok(s2.sink.items.some((d) => d.code === 'backward-only'));
});
