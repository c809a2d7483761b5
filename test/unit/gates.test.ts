// Gates with hand-written backward passes: the classic mistakes are caught at the right line with
// the right message, correct gates pass, derived backward blocks pass their checks, kinks are
// recognised, and the health checks find what they should.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Analysis, GradCheckResult } from '../../src/core/model';
import { analyzeSession } from '../../src/core/analyze';
import { deriveGateInText } from '../../src/core/checks/derive';
import { stepSweep } from '../../src/core/checks/stepSweep';
import { errors, run } from './helpers/program';

const examples = join(__dirname, '..', '..', 'examples');
const read = (f: string) => readFileSync(join(examples, f), 'utf8');

/** 1-based line of the first line of `text` containing `needle`. */
function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(i >= 0, `no line contains ${needle}`);
  return i + 1;
}

function diag(a: Analysis, code: string) {
  const d = a.diagnostics.filter((x) => x.code === code);
  assert.ok(d.length > 0, `no ${code}: ${a.diagnostics.map((x) => `${x.code} ${x.message}`).join(' | ')}`);
  return d;
}

function check(a: Analysis, target: string): GradCheckResult {
  const c = a.gradchecks.find((g) => g.target === target);
  assert.ok(c, `no check of ${target}: ${a.gradchecks.map((g) => g.target).join(', ')}`);
  return c;
}

/** Applies the edits of a diagnostic's first fix to the text. */
function applyFix(text: string, d: Analysis['diagnostics'][number]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const edits = [...(d.fixes?.[0].edits ?? [])].sort((x, y) => offset(y.range.start) - offset(x.range.start));
  assert.ok(edits.length > 0, 'the diagnostic has a fix');
  let out = text;
  for (const e of edits) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

// ------------------------------------------------------------------ the classic mistakes

test('missing transpose: dimension analysis names the one arrangement, and its fix passes the check', () => {
  const text = read('broken/missing-transpose.grad');
  const a = run(text);
  const [d] = diag(a, 'backward-shape');
  assert.equal(d.range.start.line + 1, lineOf(text, 'dW = dout @ X'));
  assert.match(d.message, /`dW` must have the shape of `W` \[D, M\], but `dout @ X` cannot be formed \(@ cannot multiply \[N, M\] by \[N, D\]/);
  assert.match(d.message, /The only arrangement of `dout` and `X` with shape \[D, M\] is `X\.T @ dout`\./);
  // The error, and the note that the gate is differentiated automatically meanwhile; no cascade at the call.
  assert.deepEqual(a.diagnostics.map((x) => x.code).sort(), ['autodiff-fallback', 'backward-shape']);
  const fixed = run(applyFix(text, d));
  assert.deepEqual(errors(fixed), []);
  assert.equal(check(fixed, 'affine.dW').verdict, 'pass');
});

test('forgotten bias sum: proposes sum(dout, axis=0)', () => {
  const text = read('broken/forgotten-bias-sum.grad');
  const a = run(text);
  const [d] = diag(a, 'backward-shape');
  assert.equal(d.range.start.line + 1, lineOf(text, 'db = dout'));
  assert.match(d.message, /`db` must have the shape of `b` \[M\], but `dout` has shape \[N, M\]\. The only fix with shape \[M\] is `sum\(dout, axis=0\)`/);
  const fixed = run(applyFix(text, d));
  assert.deepEqual(errors(fixed), []);
  assert.equal(check(fixed, 'affine.db').verdict, 'pass');
});

/** A failing gate check: at the d<input> line, with a consistent worst entry. */
function assertGateFails(file: string, target: string, line: string): GradCheckResult {
  const text = read(file);
  const a = run(text);
  const c = check(a, target);
  assert.equal(c.verdict, 'fail');
  const w = c.worst[0];
  assert.equal(w.relError, c.maxRelError, 'the worst entry carries the max relative error');
  assert.ok(w.relError > 1e-2 && !w.kinkCrossed);
  assert.ok(c.worst.every((e, i) => i === 0 || e.relError <= c.worst[i - 1].relError), 'worst entries sorted');
  const failing = diag(a, 'gradcheck-failed').find((d) => d.range.start.line + 1 === lineOf(text, line));
  assert.ok(failing, `no gradcheck-failed on the line \`${line}\``);
  const [gate, d] = target.split('.');
  assert.match(failing.message, new RegExp(`gradient check failed for \`${d}\` of \`${gate}\`: relative error .* at \\[${w.index.join(', ')}\\]`));
  assert.equal(c.range.start.line + 1, lineOf(text, line), 'the result maps back to the d<input> line');
  return c;
}

test('swapped operand order (square W): only the gradient check catches it, at dW with its worst index', () => {
  const c = assertGateFails('broken/swapped-order.grad', 'linear.dW', 'dW = dout.T @ X');
  assert.equal(c.worst[0].index.length, 2);
  // the wrong dW is the transpose of the right one: diagonal entries agree, the others do not
  const text = read('broken/swapped-order.grad');
  const a = run(text);
  assert.equal(check(a, 'linear.dX').verdict, 'pass', 'dX is right');
  for (const e of check(a, 'linear.dW').worst) assert.notEqual(e.index[0], e.index[1]);
});

test('wrong sign: caught at db', () => {
  const c = assertGateFails('broken/wrong-sign.grad', 'difference.db', 'db = dout');
  assert.ok(Math.abs(c.worst[0].analytic + c.worst[0].numeric) < 1e-6, 'analytic is −numeric');
  assert.equal(check(run(read('broken/wrong-sign.grad')), 'difference.da').verdict, 'pass');
});

test('sigmoid backward with the input instead of the output: caught at dx', () => {
  assertGateFails('broken/sigmoid-input.grad', 'sig.dx', 'dx = sigmoid(x) * (1 - x) * dout');
});

test('relu backward through the wrong mask: caught at dx', () => {
  assertGateFails('broken/relu-mask.grad', 'relu_gate.dx', 'dx = dout * (dout > 0)');
});

test('a parameter check that fails because of a gate names the gate', () => {
  const a = run(read('broken/swapped-order.grad'));
  const d = diag(a, 'gradcheck-failed').find((x) => x.message.includes('for `W`'));
  assert.ok(d);
  assert.match(d.message, /The failing check of gate `linear` is the likely cause/);
});

test('softmax without max subtraction: a warning with a fix, and NaN reported at its origin', () => {
  const text = read('broken/softmax-overflow.grad');
  const a = run(text);
  const [w] = diag(a, 'unstable-softmax');
  assert.equal(w.severity, 'warning');
  assert.equal(w.range.start.line + 1, lineOf(text, 'p = exp(s) / sum(exp(s)'));
  const [nf] = diag(a, 'non-finite');
  assert.equal(nf.range.start.line + 1, lineOf(text, 'p = exp(s)'));
  assert.match(nf.message, /`exp` produced Inf in 3 of 6 entries/);
  const fixed = applyFix(text, w);
  assert.match(fixed, /p = exp\(s - max\(s, axis=1, keepdims=true\)\) \/ sum\(exp\(s - max\(s, axis=1, keepdims=true\)\), axis=1, keepdims=true\)/);
  const after = run(fixed);
  assert.deepEqual(errors(after), []);
  assert.equal(after.diagnostics.filter((d) => d.code === 'unstable-softmax').length, 0);
});

// ------------------------------------------------------------------ correct gates

test('the correct affine gate and relu gate pass every check, and match autodiff', () => {
  const text = read('affine-gate.grad');
  const a = run(text);
  assert.deepEqual(a.diagnostics, []);
  for (const t of ['affine.dX', 'affine.dW', 'affine.db', 'relu_layer.dx', 'W1', 'b1', 'W2', 'b2']) assert.ok(['pass', 'ok-if-kinked'].includes(check(a, t).verdict), t);
  // autodiff (no backward blocks) gives the same gradients
  const auto = run(text.replace(/ {2}backward \{[^}]*\}\n/g, ''));
  assert.ok(!auto.gradchecks.some((g) => g.target.includes('.')), 'no gate checks without backward blocks');
  for (const n of ['W1', 'b1', 'W2', 'b2']) {
    const g1 = a.nodes.find((x) => x.name === n)?.grad as number[];
    const g2 = auto.nodes.find((x) => x.name === n)?.grad as number[];
    g1.forEach((v, i) => assert.ok(Math.abs(v - g2[i]) < 1e-12));
  }
});

test('a gate is checked at the inputs it really received', () => {
  // d(x²)/dx = 2x, written as 2|x|: right for positive inputs only.
  const gate = (init: string) => `input x: [4] = ${init}\ngate sq(x: [N]) -> out: [N] {\n  out = x * x\n  backward {\n    dx = dout * 2 * abs(x)\n  }\n}\nloss = sum(sq(x))\n`;
  assert.equal(check(run(gate('[1, 2, 3, 4]')), 'sq.dx').verdict, 'pass');
  const bad = check(run(gate('[1, -2, 3, 4]')), 'sq.dx');
  assert.equal(bad.verdict, 'fail');
  assert.deepEqual(bad.worst[0].index, [1]);
  assert.equal(bad.failing, 1);
});

test('every call of a gate is checked and the worst one is reported', () => {
  const text = `input a: [3] = [1, 2, 3]\ninput b: [3] = [1, -2, 3]\ngate sq(x: [N]) -> out: [N] {\n  out = x * x\n  backward {\n    dx = dout * 2 * abs(x)\n  }\n}\nloss = sum(sq(a)) + sum(sq(b))\n`;
  const c = check(run(text), 'sq.dx');
  assert.equal(c.verdict, 'fail');
  assert.deepEqual(c.worst[0].index, [1]);
});

test('a kink crossed by the finite difference is flagged, not counted as wrong', () => {
  const a = run('input x: [4] = [0.000001, -0.000002, 0.5, -0.3]\ninput w: [4] = [1, 2, 3, 4]\nloss = sum(relu(x) * w)\n');
  const c = check(a, 'x');
  const byIndex = new Map(c.worst.map((e) => [e.index[0], e]));
  assert.equal(byIndex.get(0)?.kinkCrossed, true);
  assert.equal(byIndex.get(1)?.kinkCrossed, true);
  assert.ok(byIndex.get(0)!.relError > 1e-2, 'numerically the entry looks wrong…');
  assert.notEqual(c.verdict, 'fail', '…but it is not counted against the verdict');
  assert.equal(c.failing, 0);
  assert.deepEqual(errors(a), []);
  // away from the kink nothing is flagged
  const far = check(run('input x: [2] = [0.5, -0.3]\nloss = sum(relu(x) * [1, 2])\n'), 'x');
  assert.ok(far.worst.every((e) => !e.kinkCrossed));
  // max-pool winners count as kinks too
  const pool = check(run('input x: [1, 1, 2, 2] = [[[[1, 1.000001], [0, 0]]]]\nloss = sum(max_pool2d(x, size=2, stride=2))\n'), 'x');
  assert.ok(pool.worst.some((e) => e.kinkCrossed));
});

test('verdicts follow the cs231n thresholds', () => {
  const slightly = check(run('input x: [3]\ngate f(x: [N]) -> out: [N] {\n  out = x * 2\n  backward {\n    dx = dout * 2.001\n  }\n}\nloss = sum(f(x) ** 2)\n'), 'f.dx');
  assert.equal(slightly.verdict, 'warn');
  assert.ok(slightly.maxRelError > 1e-4 && slightly.maxRelError < 1e-2);
  const wrong = check(run('input x: [3]\ngate f(x: [N]) -> out: [N] {\n  out = x * 2\n  backward {\n    dx = dout * 3\n  }\n}\nloss = sum(f(x) ** 2)\n'), 'f.dx');
  assert.equal(wrong.verdict, 'fail');
  // the thresholds are settings: a stricter fail threshold turns the suspicious gradient into a failure
  const strict = run('input x: [3]\ngate f(x: [N]) -> out: [N] {\n  out = x * 2\n  backward {\n    dx = dout * 2.001\n  }\n}\nloss = sum(f(x) ** 2)\n', { gradcheck: { thresholds: { fail: 1e-4, warn: 1e-5, kinked: 1e-7 } } });
  assert.equal(check(strict, 'f.dx').verdict, 'fail');
  assert.ok(strict.diagnostics.some((d) => d.code === 'gradcheck-failed' && d.message.includes('off by more than 0.00001')));
});

test('large tensors are checked on a seeded sample that covers every tensor', () => {
  const text = 'seed 4\ndims N = 50, D = 40\ninput X: [N, D]\nparam W: [D, D] ~ xavier\nparam b: [D] = 0\nloss = sum(tanh(X @ W + b))\n';
  const a1 = run(text, { gradcheck: { fullLimit: 100, samples: 7 } });
  const a2 = run(text, { gradcheck: { fullLimit: 100, samples: 7 } });
  assert.equal(check(a1, 'W').checked, 7);
  assert.equal(check(a1, 'X').checked, 7);
  assert.equal(check(a1, 'b').checked, 40, 'small tensors: every entry');
  assert.deepEqual(check(a1, 'W').worst, check(a2, 'W').worst, 'deterministic');
  assert.ok(a1.gradchecks.every((g) => g.verdict === 'pass'));
});

test('the step-size sweep shows truncation error at large h and round-off at small h', () => {
  const s = analyzeSession('input x: [3] = [0.3, -1.2, 2]\nloss = sum(exp(x) * sin_free(x))\n'.replace('sin_free(x)', 'tanh(x)'));
  const sweep = stepSweep(s.graph!, s.execution!, 'x', 2);
  assert.ok(sweep);
  assert.equal(sweep.points.length, 10);
  const err = sweep.points.map((p) => p.relError);
  const best = Math.min(...err);
  assert.ok(best < 1e-9, `best ${best}`);
  assert.ok(err[0] > 1e-4, 'h = 0.1: truncation error');
  assert.ok(err[9] > 100 * best, 'h = 1e-10: round-off error');
});

// ------------------------------------------------------------------ derived backward blocks

const COMPOSITIONS: Record<string, string> = {
  affine: `dims N = 4, D = 5, M = 3
input X: [N, D]
param W: [D, M]
param b: [M]
gate affine(X: [B, K], W: [K, J], b: [J]) -> out: [B, J] {
  out = X @ W + b
}
loss = sum(affine(X, W, b) ** 2)
`,
  'two-layer net with softmax loss and L2': `dims N = 4, D = 6, H = 5, C = 3
input X: [N, D]
input y: int[N] in 0..C
param W1: [D, H] ~ he
param b1: [H] ~ normal(0.1)
param W2: [H, C] ~ xavier
param b2: [C] ~ normal(0.1)
gate net(X: [N, D], y: int[N], W1: [D, H], b1: [H], W2: [H, C], b2: [C]) -> loss: [] {
  h = relu(X @ W1 + b1)
  scores = h @ W2 + b2
  loss = softmax_ce(scores, y) + 0.01 * (l2(W1) + l2(W2))
}
L = net(X, y, W1, b1, W2, b2)
`,
  'sigmoid neuron': `param w: [3] = [2, -3, -3]
input x: [2] = [-1, -2]
gate neuron(w: [K], x: [J]) -> f: [] {
  f = 1 / (1 + exp(-(w[0] * x[0] + w[1] * x[1] + w[2])))
}
out = neuron(w, x)
`,
  'svm linear classifier': `dims N = 5, D = 8, C = 4
input X: [N, D]
input y: int[N] in 0..C
param W: [D, C] ~ normal(0.1)
param b: [C] ~ normal(0.1)
gate svm_loss(X: [N, D], y: int[N], W: [D, C], b: [C]) -> loss: [] {
  loss = svm(X @ W + b, y, delta=1) + 0.1 * l2(W)
}
L = svm_loss(X, y, W, b)
`,
  'window classifier with max-margin': `dims N = 6, D = 20, H = 8
input Xt: [N, D]
input Xc: [N, D]
param W: [D, H] ~ xavier
param b: [H] ~ normal(0.1)
param U: [H, 1] ~ xavier
gate window(Xt: [N, D], Xc: [N, D], W: [D, H], b: [H], U: [H, 1]) -> J: [] {
  s = sigmoid(Xt @ W + b) @ U
  s_c = sigmoid(Xc @ W + b) @ U
  J = max_margin(s, s_c, delta=1)
}
L = window(Xt, Xc, W, b, U)
`,
  'conv, relu, max pool': `dims N = 2, C = 2, S = 6, F = 3
input x: [N, C, S, S]
param w: [F, C, 3, 3] ~ he
param b: [F] ~ normal(0.1)
gate crp(x: [N, C, S, S], w: [F, C, 3, 3], b: [F]) -> out: [N, F, 3, 3] {
  c = relu(conv2d(x, w, b, pad=1))
  out = max_pool2d(c, size=2, stride=2)
}
loss = sum(crp(x, w, b) ** 2)
`,
  'rnn with BPTT': `dims T = 4, N = 2, D = 3, H = 4
input x: [T, N, D]
param h0: [N, H] ~ normal(0.1)
param Wx: [D, H] ~ xavier
param Wh: [H, H] ~ xavier
param b: [H] ~ normal(0.1)
gate r(x: [T, N, D], h0: [N, H], Wx: [D, H], Wh: [H, H], b: [H]) -> out: [] {
  hs = rnn(x, h0, Wx, Wh, b)
  out = mean(hs[-1] * hs[-1]) + l1(Wx) + elastic(Wh, 0.5)
}
loss = r(x, h0, Wx, Wh, b)
`,
  'elementwise zoo, softmax, logsumexp, max, mse, sigmoid_bce': `dims N = 3, C = 4
input s: [N, C]
input t: [N, C] ~ uniform(0, 1)
input y: int[N] in 0..C
gate zoo(s: [N, C], t: [N, C], y: int[N]) -> loss: [] {
  a = sigmoid(s) * tanh(s) + exp(s * 0.1) / (1 + abs(s)) - sqrt(square(s) + 1) + leaky_relu(s, alpha=0.2) + elu(s) + clip(s, -0.5, 0.5)
  p = softmax(a, axis=1)
  loss = -mean(pick(log_softmax(s, axis=1), y)) + sum(p * p) + mean(max(a, axis=1)) + sum(logsumexp(s, axis=1)) + mse(a, t) + sigmoid_bce(s, t) + sum(min(a, s * 0.5) * t) + sum(reshape(a, [-1]) ** 2) / N
}
L = zoo(s, t, y)
`,
};

for (const [name, text] of Object.entries(COMPOSITIONS)) {
  test(`derived backward passes its gradient check: ${name}`, () => {
    const gate = /gate (\w+)/.exec(text)![1];
    const r = deriveGateInText(text, gate);
    assert.ok(r.ok, r.ok ? '' : r.message);
    const withBlock = text.slice(0, r.edit.span.start) + r.edit.newText + text.slice(r.edit.span.end);
    assert.ok(withBlock.includes('backward {'));
    const a = run(withBlock);
    assert.deepEqual(
      a.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`),
      [],
      withBlock,
    );
    const gateChecks = a.gradchecks.filter((g) => g.target.startsWith(`${gate}.`));
    assert.ok(gateChecks.length > 0);
    for (const c of a.gradchecks) assert.ok(['pass', 'ok-if-kinked'].includes(c.verdict), `${c.target}: ${c.verdict} ${c.maxRelError}\n${r.block}`);
  });
}

test('derived backward reads like the lecture: no `* 1`, no double transposes, bias sums', () => {
  const r = deriveGateInText(COMPOSITIONS.affine, 'affine');
  assert.ok(r.ok);
  assert.deepEqual(
    r.lines.map((l) => `${l.name} = ${l.text}`),
    ['dX = dout @ W.T', 'dW = X.T @ dout', 'db = sum(dout, axis=0)'],
  );
  const t = deriveGateInText('gate f(x: [N], w: [N]) -> out: [] {\n  out = sum((x.T).T * w * 1)\n}\n', 'f');
  assert.ok(t.ok);
  for (const l of t.lines) {
    assert.doesNotMatch(l.text, /\* 1\b|\.T\.T/);
  }
});

test('derive replaces an existing backward block and explains what it cannot derive', () => {
  const text = read('broken/wrong-sign.grad');
  const r = deriveGateInText(text, 'difference');
  assert.ok(r.ok);
  const fixed = text.slice(0, r.edit.span.start) + r.edit.newText + text.slice(r.edit.span.end);
  assert.equal((fixed.match(/backward \{/g) ?? []).length, 1);
  assert.ok(run(fixed).gradchecks.every((g) => g.verdict === 'pass'));
  const no = deriveGateInText('gate f(x: [N]) -> out: [N] {\n  out = dropout(x, p=0.5)\n}\n', 'f');
  assert.equal(no.ok, false);
  assert.match(!no.ok ? no.message : '', /dropout's mask/);
  const missing = deriveGateInText('input x = 1\n', 'nope');
  assert.equal(missing.ok, false);
});

// ------------------------------------------------------------------ health

test('health: dead ReLUs, saturation, vanishing and exploding gradients, init scale', () => {
  const dead = run('dims N = 8, H = 6\ninput X: [N, H]\nparam b: [H] = -10\nh = relu(X + b)\nloss = sum(h * h)\n');
  assert.match(diag(dead, 'dead-relu')[0].message, /6 of 6 units of this relu \(100%\) are dead/);
  const sat = run('input x: [8] ~ normal(10)\ny = sigmoid(x)\nloss = sum(y)\n');
  assert.match(diag(sat, 'saturated')[0].message, /of this sigmoid's outputs are saturated/);
  const rnnExplode = run('dims T = 10, N = 1, D = 2, H = 2\ninput x: [T, N, D] ~ normal(0.000001)\nparam h0: [N, H] = 0\nparam Wx: [D, H] = [[1, 0], [0, 1]]\nparam Wh: [H, H] = [[3, 0], [0, 3]]\nparam b: [H] = 0\nhs = rnn(x, h0, Wx, Wh, b)\nloss = sum(hs[-1])\n');
  assert.ok(diag(rnnExplode, 'exploding-gradient').some((d) => /backprop through time/.test(d.message)));
  const rnnVanish = run('dims T = 12, N = 2, D = 3, H = 4\ninput x: [T, N, D]\nparam h0: [N, H] = 0\nparam Wx: [D, H] ~ normal(0.1)\nparam Wh: [H, H] ~ normal(0.05)\nparam b: [H] = 0\nhs = rnn(x, h0, Wx, Wh, b)\nloss = sum(hs[-1])\n');
  assert.ok(diag(rnnVanish, 'vanishing-gradient').some((d) => /step 0/.test(d.message)));
  const text = 'dims N = 4, D = 100, H = 10\ninput X: [N, D]\nparam W: [D, H]\nh = relu(X @ W)\nloss = sum(h)\n';
  const init = run(text);
  const [d] = diag(init, 'init-scale');
  assert.match(d.message, /Use `~ he`/);
  assert.equal(applyFix(text, d).split('\n')[2], 'param W: [D, H] ~ he');
  assert.equal(run(applyFix(text, d)).diagnostics.filter((x) => x.code === 'init-scale').length, 0);
  const tanhInit = 'dims N = 4, D = 100, H = 10\ninput X: [N, D]\nparam W: [D, H] ~ randn\nh = tanh(X @ W)\nloss = sum(h)\n';
  const [t] = diag(run(tanhInit), 'init-scale');
  assert.equal(applyFix(tanhInit, t).split('\n')[2], 'param W: [D, H] ~ xavier');
});

test('a NaN produced by a backward rule is reported at its origin', () => {
  const a = run('input x: [2] = [0, 4]\ny = sqrt(x)\nloss = sum(y)\n');
  const [d] = diag(a, 'non-finite');
  assert.equal(d.range.start.line, 1);
  assert.match(d.message, /the backward pass of `sqrt` turned a finite gradient into Inf for `x` \(first at \[0\]\)/);
});

test("a loop that reads no issues (Train's steps) skips the backward scan, and gets the same gradients", () => {
  const s = analyzeSession('input x: [2] = [0, 4]\ny = sqrt(x)\nloss = sum(y)\n', { gradcheck: false });
  const ex = s.execution;
  const root = s.graph?.root;
  assert.ok(ex && root !== null && root !== undefined);
  ex.forward();
  const scanned = ex.backward(root);
  assert.equal(scanned.length, 1, 'by default the Inf is reported');
  const grads = ex.grads.map((g) => (g ? [...g.data] : null));
  ex.forward();
  assert.deepEqual(ex.backward(root, undefined, { detectNonFinite: false }), []);
  assert.deepEqual(ex.grads.map((g) => (g ? [...g.data] : null)), grads);
});

test('the CLI reports gate checks and exits 1 on a failed one', async () => {
  const { main } = await import('../../src/cli/main');
  let out = '';
  const code = main(['check', join(examples, 'broken', 'wrong-sign.grad'), '--json'], { out: (s) => (out += s), err: () => {} });
  assert.equal(code, 1);
  const j = JSON.parse(out);
  const g = j.gradchecks.find((x: { target: string }) => x.target === 'difference.db');
  assert.deepEqual(Object.keys(g), ['target', 'maxRelError', 'verdict', 'checked', 'failing', 'h', 'worst']);
  // A failing entry was confirmed at more steps: its error budget says the disagreement is genuine.
  assert.deepEqual(Object.keys(g.worst[0]), ['index', 'analytic', 'numeric', 'absError', 'relError', 'kinkCrossed', 'budget']);
  assert.deepEqual(Object.keys(g.worst[0].budget), ['steps', 'numerics', 'estimate', 'relError', 'truncation', 'roundOff', 'uncertainty', 'cause']);
  assert.equal(g.worst[0].budget.cause, 'genuine');
  assert.equal(g.verdict, 'fail');
  assert.equal(main(['check', join(examples, 'affine-gate.grad')], { out: () => {}, err: () => {} }), 0);
});
