// Name resolution, shape inference and their diagnostics through the whole pipeline, with ranges.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Analysis } from '../../src/core/model';
import { assertClose, codes, errors, grad, node, run, value } from './helpers/program';

function only(a: Analysis, code: string) {
  const ds = a.diagnostics.filter((d) => d.code === code);
  assert.equal(ds.length, 1, `expected one ${code}, got: ${a.diagnostics.map((d) => `${d.code}: ${d.message}`).join(' | ')}`);
  return ds[0];
}

/** The source text a diagnostic range covers (single-line ranges). */
function covered(text: string, a: Analysis, code: string): string {
  const d = only(a, code);
  const line = text.split('\n')[d.range.start.line];
  return line.slice(d.range.start.character, d.range.end.character);
}

test('undefined names get a "did you mean" from the names in scope', () => {
  const text = 'dims N = 3\ninput hidden: [N]\nloss = sum(hiden)\n';
  const a = run(text);
  assert.match(only(a, 'undefined-name').message, /`hiden` is not defined; did you mean `hidden`\?/);
  assert.equal(covered(text, a, 'undefined-name'), 'hiden');
  assert.equal(a.diagnostics.length, 1, 'no cascade from the failed statement');
});

test('use before definition points at the later definition', () => {
  const text = 'input x = 1\ny = x * z\nz = x + 1\n';
  const a = run(text);
  const d = only(a, 'use-before-definition');
  assert.equal(d.range.start.line, 1);
  assert.equal(d.related?.[0].range.start.line, 2);
});

test('duplicates: names, dims and the seed', () => {
  assert.match(only(run('input x = 1\nx = x * 2\n'), 'duplicate-definition').message, /already defined; every name is assigned once/);
  assert.ok(codes(run('dims N = 4, N = 5\n')).includes('duplicate-dim'));
  assert.ok(codes(run('seed 1\nseed 2\ninput x = 1\ny = x\n')).includes('duplicate-definition'));
});

test('unknown functions and keyword arguments suggest the right one', () => {
  const t1 = 'input x: [3]\ny = sum(rleu(x))\n';
  const a1 = run(t1);
  assert.match(only(a1, 'unknown-function').message, /unknown function `rleu`\. Did you mean `relu`\?/);
  assert.equal(covered(t1, a1, 'unknown-function'), 'rleu');
  const a2 = run('input x: [2, 3]\ny = sum(x, axs=0)\n');
  assert.match(only(a2, 'unknown-keyword').message, /`sum` has no argument `axs`: sum\(x, axis=none, keepdims=false\)\. Did you mean `axis`\?/);
  const a3 = run('input x: [2, 3]\ny = sum(softmax(x, axis=0.5))\n');
  assert.match(only(a3, 'bad-argument').message, /argument `axis` of `softmax` must be an integer literal, found `0.5`/);
  const a4 = run('input x: [2, 3]\ny = sum(clip(x, 0))\n');
  assert.match(only(a4, 'bad-argument').message, /`clip` is missing argument `hi`/);
});

test('undefined dimensions suggest a dims line', () => {
  const a = run('dims N = 4, D = 3\ninput X: [N, DD]\n');
  assert.match(only(a, 'undefined-dim').message, /dimension `DD` is not defined: add it to a `dims` line \(e\.g\. `dims DD = 4`\) or write a number\. Did you mean `D`\?/);
});

test('the issue\'s matmul message, at the range of the product', () => {
  const text = 'dims N = 4, D = 10, H = 5\ninput X: [N, D]\nparam W: [H, D]\nloss = sum(X @ W)\n';
  const a = run(text);
  assert.equal(only(a, 'matmul-shape').message, '@ cannot multiply [N, D] by [H, D]: inner dimensions D and H differ (N=4, D=10, H=5)');
  assert.equal(covered(text, a, 'matmul-shape'), 'X @ W');
  assert.equal(a.diagnostics.length, 1);
});

test('broadcast errors name both shapes and the differing dimensions', () => {
  const text = 'dims N = 4, D = 3, H = 5\ninput a: [N, D]\ninput b: [N, H]\nc = sum(a + b)\n';
  const a = run(text);
  assert.match(only(a, 'shape-mismatch').message, /^\+ cannot broadcast \[N, D\] with \[N, H\]: dimensions D and H differ .*\(N=4, D=3, H=5\)$/);
  assert.equal(covered(text, a, 'shape-mismatch'), 'a + b');
});

test('dimensions that only coincide in size are a warning that names them', () => {
  const a = run('dims N = 4, D = 5, H = 5\ninput X: [N, D]\nparam W: [H, D]\nloss = sum(X @ W)\n');
  assert.deepEqual(errors(a), []);
  assert.match(only(a, 'dim-name-mismatch').message, /D and H are different dimensions that both have size 5/);
});

test('a non-scalar root is an error with a quick fix that wraps it in sum', () => {
  const text = 'input x: [3]\ny = x * 2\n';
  const a = run(text);
  const d = only(a, 'root-not-scalar');
  assert.match(d.message, /backward root must be a scalar: `y` is \[3\]; reduce it, e\.g\. `sum\(\.\.\.\)`, or end with a loss/);
  assert.deepEqual(d.fixes?.[0].edits[0].newText, 'sum(x * 2)');
  assert.equal(a.root, null);
  assert.deepEqual(value(a, 'y'), value(a, 'x').map((v) => v * 2), 'the forward pass still runs');
});

test('dimension names can be used as numbers', () => {
  const a = run('dims N = 4\ninput x: [N] = 2\nloss = sum(x) / N\n');
  assertClose(value(a, 'loss'), 2);
  assertClose(grad(a, 'x'), [0.25, 0.25, 0.25, 0.25]);
});

test('labels must be int tensors; int inputs need a range', () => {
  const a = run('dims N = 2, C = 3\ninput s: [N, C]\ninput y: [N]\nloss = softmax_ce(s, y)\n');
  assert.match(errors(a)[0], /softmax_ce: .*must hold integer class labels, found a float tensor \[N\]/);
  const b = run('dims N = 2\ninput y: int[N]\n');
  assert.match(errors(b)[0], /needs a range of labels, e\.g\. `in 0\.\.C`/);
});

test('max with two tensors is elementwise, with one it reduces', () => {
  const a = run('input x: [3] = [1, 5, 2]\ninput y: [3] = [4, 0, 2]\nm = max(x, y)\nr = max(x)\nloss = sum(m) + r\n');
  assert.deepEqual(value(a, 'm'), [4, 5, 2]);
  assert.deepEqual(value(a, 'r'), [5]);
  assert.deepEqual(grad(a, 'x'), [0, 2, 0.5]);
});

test('a statement with an error does not cascade into the statements that use it', () => {
  const a = run('dims N = 2\ninput x: [N]\ny = relu(x, 3, 4)\nz = y * 2\nw = z + 1\nloss = sum(w)\n');
  assert.deepEqual(codes(a), ['bad-argument']);
  assert.equal(node(a, 'x').value?.length, 2, 'what can run still runs');
});

test('gates: scope, output, upstream-gradient and call diagnostics', () => {
  assert.match(only(run('input W: [3]\ngate f(x: [N]) -> out: [N] {\n  out = x * W\n}\n'), 'gate-scope').message, /`W` is not defined in gate `f`: a gate sees only its inputs/);
  assert.ok(codes(run('gate f(x: [N]) -> out: [N] {\n  y = x\n}\n')).includes('gate-output-missing'));
  assert.ok(codes(run('gate f(x: [N]) -> out: [N] {\n  out = x * dout\n}\n')).includes('gate-dout-in-forward'));
  const missing = run('gate mul(a: [N], b: [N]) -> out: [N] {\n  out = a * b\n  backward {\n    da = dout * b\n  }\n}\n');
  assert.match(only(missing, 'gate-missing-gradient').message, /must assign `db`/);
  const typo = run('gate scale(W: [N]) -> out: [N] {\n  out = W * 2\n  backward {\n    dw = dout * 2\n  }\n}\n');
  assert.match(only(typo, 'gate-unknown-gradient').message, /did you mean `dW`, the gradient of input `W`\?/);
  assert.equal(only(typo, 'gate-unknown-gradient').fixes?.[0].edits[0].newText, 'dW');
  const call = run('dims N = 4, D = 3\ninput X: [N, D]\ninput v: [N]\ngate f(a: [B, K], b: [K]) -> out: [B] {\n  out = a @ b\n}\nloss = sum(f(X, v))\n');
  assert.match(only(call, 'gate-call').message, /`f` expects `b` as \[K\], found \[N\]: K was bound to D \(=3\) by `a`, but here it is N \(=4\)/);
});

test('gates without a backward block are differentiated automatically', () => {
  const a = run(`dims N = 3, D = 4, M = 2
input X: [N, D]
param W: [D, M]
param b: [M]
gate affine(X: [B, K], W: [K, J], b: [J]) -> out: [B, J] {
  out = X @ W + b
}
z = affine(X, W, b)
loss = sum(z * z)
`);
  assert.deepEqual(errors(a), []);
  assert.deepEqual(node(a, 'z').dims, ['N', 'M']);
  assert.equal(grad(a, 'b').length, 2);
});

test('a hand-written backward block is used in the real backward pass', () => {
  const base = (dX: string) => `dims N = 3, D = 4, M = 2
input X: [N, D]
param W: [D, M]
param b: [M]
gate affine(X: [B, K], W: [K, J], b: [J]) -> out: [B, J] {
  out = X @ W + b
  backward {
    dX = ${dX}
    dW = X.T @ dout
    db = sum(dout, axis=0)
  }
}
loss = sum(affine(X, W, b) ** 2)
`;
  const right = run(base('dout @ W.T'));
  const autoText = base('dout @ W.T').replace(/ {2}backward \{[^}]*\}\n/, '');
  assert.ok(!autoText.includes('backward'), 'the automatic version has no backward block');
  const auto = run(autoText);
  assert.deepEqual(errors(right), []);
  assertClose(grad(right, 'W'), grad(auto, 'W'), 1e-12);
  assertClose(grad(right, 'X'), grad(auto, 'X'), 1e-12);
  // a wrong (but well-shaped) dX flows into X's gradient: the user's derivation is what runs
  const wrong = run(base('dout @ W.T * 2'));
  assertClose(grad(wrong, 'X'), grad(auto, 'X').map((g) => 2 * g), 1e-12);
});

test('dimension analysis: d<input> must have the input\'s shape', () => {
  const a = run('gate affine(X: [N, D], W: [D, M]) -> out: [N, M] {\n  out = X @ W\n  backward {\n    dX = dout @ W.T\n    dW = dout.T @ X\n  }\n}\n');
  assert.match(only(a, 'backward-shape').message, /`dW` must have the shape of `W` \[D, M\], but `dout\.T @ X` has shape \[M, D\]\. The only arrangement of `dout` and `X` with shape \[D, M\] is `X\.T @ dout`\./);
});
