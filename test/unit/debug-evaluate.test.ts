// The debugger's expressions: any .grad expression over the frame's names, with the language's
// own ops (one definition each) and the language's own shape errors, gradients as d<name>, the
// upstream gradient as dout at a backward stop; names not computed yet say so; nothing throws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyze } from '../../src/core/analyze';
import { shortText, type TraceCursor } from '../../src/core/debug';
import { cursorOf, lineOf, readExample, where } from './helpers/debug';

const net = readExample('two-layer-net.grad');

function value(c: TraceCursor, expr: string, depth = 0): string {
  const r = c.evaluate(expr, depth);
  assert.ok(r.ok, `${expr}: ${r.ok ? '' : r.message}`);
  return shortText(r.value);
}

function error(c: TraceCursor, expr: string, depth = 0): string {
  const r = c.evaluate(expr, depth);
  assert.ok(!r.ok, `${expr} should fail`);
  return r.message;
}

/** The cursor at the first backward stop of the `h1 = …` line's relu (dout: the gradient at h1). */
function atReluBackward(): TraceCursor {
  const c = cursorOf(net);
  c.start(true);
  while (!(c.current?.stop.phase === 'backward' && c.frame(0)?.step?.label === 'relu')) assert.ok(c.next().stopped, 'reached the relu');
  return c;
}

test('the circuit: q is 3 at f = q * z; gradients as d<name> once computed', () => {
  const text = readExample('circuit.grad');
  const c = cursorOf(text);
  c.setBreakpoints([{ line: lineOf(text, 'f = q * z') }]);
  c.start(false);
  assert.equal(value(c, 'q'), '3');
  assert.equal(value(c, 'q * z + x'), '-14');
  assert.match(error(c, 'dx'), /`dx` has no value yet at this step/);
  c.continue();
  assert.equal(value(c, 'dout'), '1', 'the gradient arriving at the root');
  assert.equal(value(c, 'dz'), '3');
  c.next();
  assert.equal(value(c, 'dx + dy'), '-8');
});

test('tensor expressions in a backward frame: products, reductions with keywords, comparisons, dims', () => {
  const c = atReluBackward();
  const dout = c.evaluate('dout', 0);
  assert.ok(dout.ok);
  assert.deepEqual(dout.value.shape, [4, 5]);
  assert.equal(value(c, 'N'), '4');
  assert.match(value(c, 'dout @ W2'), /^\[4×3\]/);
  assert.match(value(c, 'sum(dout, axis=0)'), /^\[5\]/);
  assert.match(value(c, 'max(abs(dout)) > 10'), /^0$/);
  const norm = c.evaluate('sqrt(sum(dscores ** 2))', 0);
  assert.ok(norm.ok && norm.value.size === 1 && norm.value.data[0] > 0);
  const direct = c.evaluate('dscores', 0);
  assert.ok(direct.ok);
  const expected = Math.sqrt(direct.value.data.reduce((s, v) => s + v * v, 0));
  assert.ok(Math.abs(norm.value.data[0] - expected) < 1e-12);
  assert.match(error(c, 'norm(dscores)'), /unknown function `norm`.*sqrt\(sum\(x \*\* 2\)\)/);
});

test('a shape error reads exactly as the language reports it in the file', () => {
  const c = atReluBackward();
  for (const expr of ['W1.T @ scores', 'h1 @ W1', 'X + W2', 'sum(h1, axis=3)']) {
    const bad = `${net}\nbad = ${expr}\n`;
    const d = analyze(bad).diagnostics.find((x) => x.severity === 'error' && x.range.start.line === bad.split('\n').length - 2);
    assert.ok(d, `the file reports ${expr}`);
    assert.equal(error(c, expr), d.message, expr);
  }
});

test('unknown names, syntax errors and names not computed yet', () => {
  const c = cursorOf(net);
  c.start(true);
  assert.match(error(c, 'scores'), /`scores` has no value yet at this step/);
  assert.match(error(c, 'Xx'), /`Xx` is not defined in this frame\. Did you mean `X`\?/);
  assert.match(error(c, 'X +'), /expected/);
  assert.match(error(c, 'X X'), /expected the end of the expression/);
  assert.match(error(c, 'relux(X)'), /unknown function `relux`.*relu/);
});

test('a gate frame evaluates the gate’s own names', () => {
  const text = readExample('affine-gate.grad');
  const c = cursorOf(text);
  c.setBreakpoints([{ line: lineOf(text, 'dW = X.T @ dout') }]);
  c.start(false);
  assert.match(where(c), /dW = X\.T @ dout$/);
  const dW = c.evaluate('X.T @ dout', 1);
  const dWname = c.evaluate('dW', 1);
  assert.ok(dW.ok && dWname.ok);
  assert.deepEqual([...dW.value.data], [...dWname.value.data], 'the line just computed dW = X.T @ dout');
  assert.deepEqual(c.frame(1)?.parameters.map((p) => p.name), ['X', 'W', 'b']);
  assert.match(error(c, 'loss', 1), /not defined in this frame/, 'the caller’s names are not in the gate frame');
  assert.ok(c.evaluate('scores', 0).ok, 'the caller’s frame has them');
});

test('the evaluator never throws, whatever the text', () => {
  const c = atReluBackward();
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      const r = c.evaluate(s, 0);
      return typeof r.ok === 'boolean' && (r.ok || r.message.length > 0);
    }),
    { numRuns: 300 },
  );
  const tokens = fc.constantFrom('X', 'W1', 'dout', '@', '+', '.T', '(', ')', 'sum', 'axis=0', ',', '2', '[', ']', 'relu', '-', '*', 'dW1');
  fc.assert(
    fc.property(fc.array(tokens, { maxLength: 12 }), (ts) => {
      const r = c.evaluate(ts.join(' '), 0);
      return typeof r.ok === 'boolean';
    }),
    { numRuns: 300 },
  );
});
