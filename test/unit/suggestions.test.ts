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
