// A gate whose backward block has an error is differentiated automatically in the block's place:
// the rest of the file keeps its gradients (the same as with no block at all), the gate's own check
// fails without running, and a note on the gate says so. Any other error still stops the backward pass.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyze } from '../../src/core/analyze';
import type { Analysis } from '../../src/core/model';

const broken = (f: string) => readFileSync(join(__dirname, '..', '..', 'examples', 'broken', f), 'utf8');

/** The same file without its backward block: what automatic differentiation gives. */
function withoutBackward(text: string): string {
  return text.replace(/\n {2}backward \{[^}]*\}/, '');
}

function grads(a: Analysis): Map<string, number[] | null> {
  return new Map(a.nodes.map((n) => [n.name, n.grad && Array.from(n.grad)]));
}

for (const file of ['missing-transpose.grad', 'forgotten-bias-sum.grad']) {
  test(`${file}: the broken backward block is replaced by autodiff; every other gradient stays`, () => {
    const text = broken(file);
    const a = analyze(text);
    const reference = analyze(withoutBackward(text));
    assert.notEqual(withoutBackward(text), text);
    assert.ok(a.diagnostics.some((d) => d.code === 'backward-shape' && d.severity === 'error'), 'the error itself is still reported');
    const expected = grads(reference);
    for (const [name, g] of grads(a)) {
      assert.ok(g, `${name} has no gradient`);
      assert.deepEqual(g, expected.get(name), `${name}'s gradient is autodiff's`);
    }
    const note = a.diagnostics.filter((d) => d.code === 'autodiff-fallback');
    assert.equal(note.length, 1);
    assert.equal(note[0].severity, 'info');
    assert.equal(note[0].range.start.line, text.split('\n').findIndex((l) => l.startsWith('gate affine')));
    // The gate's own check fails at the broken line, without a number; the others pass.
    const gateChecks = a.gradchecks.filter((c) => c.target.startsWith('affine.'));
    const brokenLine = a.diagnostics.find((d) => d.code === 'backward-shape')?.range.start.line;
    assert.equal(gateChecks.length, 1);
    assert.equal(gateChecks[0].verdict, 'fail');
    assert.ok(gateChecks[0].notRun);
    assert.equal(gateChecks[0].range.start.line, brokenLine);
    for (const c of a.gradchecks.filter((x) => !x.target.includes('.'))) assert.equal(c.verdict, 'pass', c.target);
    // The failing check is not a second diagnostic: the shape error is the message.
    assert.equal(a.diagnostics.filter((d) => d.code === 'gradcheck-failed').length, 0);
  });
}

test('an error on a line that is not a gradient marks every input of the gate as failing', () => {
  const text = broken('forgotten-bias-sum.grad').replace('    dX = dout @ W.T\n', '    t = dout @ X\n    dX = dout @ W.T\n');
  const a = analyze(text);
  assert.ok(a.diagnostics.some((d) => d.severity === 'error'));
  // `db = dout` is still wrong and `t` cannot be formed: both lines have errors, db's is a gradient.
  const fails = a.gradchecks.filter((c) => c.target.startsWith('affine.')).map((c) => c.target);
  assert.deepEqual(fails, ['affine.db']);
  const onlyIntermediate = broken('missing-transpose.grad').replace('dW = dout @ X', 'dW = X.T @ dout\n    t = dout @ X');
  const b = analyze(onlyIntermediate);
  assert.ok(b.diagnostics.some((d) => d.severity === 'error'), b.diagnostics.map((d) => d.message).join('|'));
  assert.deepEqual(
    b.gradchecks.filter((c) => c.target.startsWith('affine.')).map((c) => [c.target, c.verdict, !!c.notRun]),
    [
      ['affine.dX', 'fail', true],
      ['affine.dW', 'fail', true],
      ['affine.db', 'fail', true],
    ],
  );
  assert.ok(b.nodes.every((n) => n.grad), 'gradients everywhere');
});

test('an error outside every backward block still stops the backward pass (no note)', () => {
  const text = broken('missing-transpose.grad').replace('loss = sum(affine(X, W, b) ** 2)', 'bad = X @ X\nloss = sum(affine(X, W, b) ** 2)');
  const a = analyze(text);
  assert.ok(a.diagnostics.some((d) => d.severity === 'error' && d.range.start.line > 20));
  assert.ok(a.nodes.every((n) => n.grad === null));
  assert.equal(a.diagnostics.filter((d) => d.code === 'autodiff-fallback').length, 0);
});

test('a gate that is correct keeps its hand-written backward (no fallback, no note)', () => {
  const fixed = broken('missing-transpose.grad').replace('dW = dout @ X', 'dW = X.T @ dout');
  const a = analyze(fixed);
  assert.equal(a.diagnostics.filter((d) => d.severity === 'error').length, 0);
  assert.equal(a.diagnostics.filter((d) => d.code === 'autodiff-fallback').length, 0);
  assert.deepEqual(
    a.gradchecks.filter((c) => c.target.startsWith('affine.')).map((c) => [c.target, c.verdict, c.notRun]),
    [
      ['affine.dX', 'pass', undefined],
      ['affine.dW', 'pass', undefined],
      ['affine.db', 'pass', undefined],
    ],
  );
});
