// "Did you mean" for a misspelt name and for a shape error, with the fix in the JSON's `fixes`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { closest } from '../../src/core/lang/suggest';

const net = readFileSync(join(__dirname, '..', '..', 'examples', 'two-layer-net.grad'), 'utf8');

function apply(text: string, fix: { edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[] }): string {
  const lines = text.split('\n');
  for (const e of fix.edits) {
    const l = lines[e.range.start.line];
    lines[e.range.start.line] = l.slice(0, e.range.start.character) + e.newText + l.slice(e.range.end.character);
  }
  return lines.join('\n');
}

test('a dropped suffix is the first guess: `b` with b1 declared suggests b1, not X (one edit away too)', () => {
  assert.equal(closest('b', ['X', 'y', 'W1', 'b1', 'W2', 'b2']), 'b1');
  assert.equal(closest('rleu', ['relu', 'rel']), 'relu');
  const typo = net.replace('relu(X @ W1 + b1)', 'relu(X @ W1 + b)');
  const d = analyze(typo, { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(d, 'the typo is reported');
  assert.match(d.message, /`b` is not defined; did you mean `b1`\?/);
  assert.equal(d.fixes?.[0].title, 'Change to `b1`');
  const fixed = apply(typo, d.fixes?.[0] as never);
  assert.equal(fixed, net, 'the fix restores the file');
});

test('a shape error where exactly one declared param fits gets that param as a fix (`h1 @ W1` → `W2`)', () => {
  const wrong = net.replace('scores = h1 @ W2 + b2', 'scores = h1 @ W1 + b2');
  const d = analyze(wrong, { gradcheck: false }).diagnostics.find((x) => x.code === 'matmul-shape');
  assert.ok(d, 'the shape error is reported');
  assert.match(d.message, /did you mean `W2`/);
  assert.equal(d.fixes?.[0].title, 'Change `W1` to `W2`');
  const fixed = apply(wrong, d.fixes?.[0] as never);
  assert.equal(fixed, net);
  assert.equal(analyze(fixed, { gradcheck: false }).diagnostics.filter((x) => x.severity === 'error').length, 0);
});

test('no fix when no param, or more than one, fits', () => {
  // [N, D] + [N, H]: no param of rank 2 makes them add.
  const none = analyze(net.replace('h1     = relu(X @ W1 + b1)', 'h1     = relu(X + W1 + b1)'), { gradcheck: false }).diagnostics.find((x) => x.severity === 'error' && x.code !== 'undefined-name');
  assert.ok(none);
  assert.equal(none.fixes, undefined, none.message);
});

test('an undefined name: among the names spelt close to it, one whose shape fits the expression comes first', () => {
  // `b` is as close to b1 as to b2 by spelling (b1 declared first), but only b2 ([C]) adds to [N, C].
  const bias = net.replace('scores = h1 @ W2 + b2', 'scores = h1 @ W2 + b');
  const d = analyze(bias, { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(d, 'the typo is reported');
  assert.match(d.message, /`b` is not defined; did you mean `b2` \(spelt close, and its shape fits here\)\?/);
  assert.equal(d.fixes?.length, 1);
  assert.equal(apply(bias, d.fixes?.[0] as never), net, 'the fix restores the file');
  // A weight: `W` → W2 (W1 is [D, H], W2 the [H, C] that h1 @ _ needs).
  const weight = net.replace('scores = h1 @ W2 + b2', 'scores = h1 @ W + b2');
  const w = analyze(weight, { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(w);
  assert.match(w.message, /did you mean `W2`/);
  assert.equal(apply(weight, w.fixes?.[0] as never), net);
  // Through a call's argument: max([N, C], b) → b2.
  const call = net.replace('scores = h1 @ W2 + b2', 'scores = max(h1 @ W2, b)');
  const c = analyze(call, { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(c);
  assert.match(c.message, /did you mean `b2`/);
});

test('shape fit keeps the spelling order when it cannot tell: no fitting name, or the closest one fits already', () => {
  // No name spelt close to `q` exists at all: no suggestion, no fix.
  const far = analyze(net.replace('scores = h1 @ W2 + b2', 'scores = h1 @ W2 + qqq'), { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(far);
  assert.equal(far.fixes, undefined, far.message);
  // `b` in `X @ W1 + b`: b1 is both the closest and a fit; the message is the resolver's, unchanged.
  const d = analyze(net.replace('relu(X @ W1 + b1)', 'relu(X @ W1 + b)'), { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(d);
  assert.equal(d.message, '`b` is not defined; did you mean `b1`?');
  // No name spelt close to `b` (b1, b2, X, y) makes X @ _ well-typed ([N, D] @ [H], [C], [N, D], int[N]): the spelling's guess stays.
  const none = analyze(net.replace('h1     = relu(X @ W1 + b1)', 'h1     = relu(X @ b)'), { gradcheck: false }).diagnostics.find((x) => x.code === 'undefined-name');
  assert.ok(none);
  assert.match(none.message, /did you mean `b1`\?$/);
});

test('inside a gate the shape fit re-ranks too: `h @ W` with W1 and W2 spelt as close', () => {
  const gate = [
    'dims N = 3, D = 4, H = 5, C = 2',
    'gate mlp(x: [B, K], W1: [K, M], W2: [M, P]) -> out: [B, P] {',
    '  h = relu(x @ W1)',
    '  out = h @ W',
    '}',
    'input X: [N, D]',
    'param A: [D, H]',
    'param B2: [H, C]',
    'loss = sum(mlp(X, A, B2))',
  ].join('\n');
  const d = analyze(gate, { gradcheck: false }).diagnostics.find((x) => x.code === 'gate-scope');
  assert.ok(d, 'the typo is reported');
  // By spelling W1 comes first (declared first); only W2 ([M, P]) multiplies h ([B, M]).
  assert.match(d.message, /pass `W` as an input\. Did you mean `W2` \(spelt close, and its shape fits here\)\?$/);
  assert.equal(d.fixes?.[0].edits[0].newText, 'W2');
});
